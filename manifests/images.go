package manifests

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Images says where a dataset's image bytes go: loose files (LooseFiles) or, for
// formats that pack them, container files. A Writer opens one ImageSink per writing
// process; Merge asks it to join what the shards of a job left.
type Images interface {
	// Sink opens the sink of the dataset folder dir for one Writer. work is that
	// writer's own work folder (dir/.work, or dir/.work/shard-K-of-N for one shard): a
	// container sink keeps its partial file there until Close puts it in place (whole
	// dataset) or leaves it for Merge (shard). resume is set when the Writer continues
	// an interrupted run (Rewind follows before any Commit).
	Sink(dir, work string, resume bool) (ImageSink, error)
	// Join is called by Merge, under the dataset's lock, with the shards' work folders
	// in shard order. It joins their partial outputs into exactly what one Writer would
	// have written and returns how each shard's placements move (shard is 0-based); a
	// nil function means they stay as they are (loose files already sit where one
	// writer puts them) and records are joined byte for byte.
	Join(dir string, shards []string) (func(shard int, p Placement) Placement, error)
}

// ImageSink stores the encoded images of one Writer. The Writer drives it:
//
//   - Put runs on the workers, concurrently, once per image, with the image's name
//     (slash-separated, relative to the dataset folder; checked by CheckName) and its
//     encoded bytes, which are valid only during the call. A loose-file sink writes the
//     file here, atomically, so that writing stays parallel; a container sink keeps a
//     copy (and may hash it) for Commit.
//   - Commit runs on the single goroutine that joins results in record order, once per
//     Put, in that order, and returns where the image now lives. A container sink
//     appends the bytes here, so its file's order is the records' order whatever the
//     worker count. The placement goes into the record and so into the resume journal.
//   - Flush runs before every flush of the journal: afterwards, every committed image's
//     bytes are in the file system, so the journal never names bytes that are not
//     there.
//   - Check reports, when a run resumes, whether the bytes of a journaled placement
//     are intact.
//   - Rewind cuts the sink back to just after the last placement a resumed run keeps
//     (nil: none), before the first Commit.
//   - Close finishes the sink and makes every committed image durable (the Deferred
//     class of the fsync policy).
type ImageSink interface {
	Put(name string, data []byte) (Staged, error)
	Commit(s Staged) (Placement, error)
	Flush() error
	Check(p Placement) bool
	Rewind(last *Placement) error
	Close() error
}

// Staged is an image a worker handed to a sink, waiting for its Commit.
type Staged struct {
	// Name is the image's name in the dataset.
	Name string
	// Placed is set when Put already stored the image (loose files).
	Placed *Placement
	// Data is the copy a container sink keeps until Commit.
	Data []byte
}

// Placement says where an image's bytes live. It is the part of a record a sink
// decides: Path, Size and SHA256 are the record's path, size and sha256.
type Placement struct {
	// Path is the file holding the image, relative to the dataset folder: the image file
	// itself, or the container file.
	Path string
	// Offset is the image's first byte within a container file; 0 for loose files.
	Offset int64
	// Size is the image's length in bytes, SHA256 the hex SHA-256 of those bytes.
	Size   int64
	SHA256 string
}

// placementOf is the placement a record holds.
func placementOf(r *Record) Placement {
	return Placement{Path: r.Path, Size: r.Size, SHA256: r.SHA256}
}

// LooseFiles stores every image as a file of its own, at its name below the dataset
// folder (the folders must exist). Workers write the files directly, in parallel.
type LooseFiles struct{}

// Sink opens the loose-file sink of dir.
func (LooseFiles) Sink(dir, work string, resume bool) (ImageSink, error) {
	return &looseSink{dir: dir}, nil
}

// Join has nothing to do: every shard wrote its files where they belong.
func (LooseFiles) Join(dir string, shards []string) (func(int, Placement) Placement, error) {
	return nil, nil
}

type looseSink struct{ dir string }

// Put writes the file atomically (Deferred) and hashes the bytes in memory.
func (s *looseSink) Put(name string, data []byte) (Staged, error) {
	path := filepath.Join(s.dir, filepath.FromSlash(name))
	if err := writeFile(path, data, Deferred); err != nil {
		return Staged{}, err
	}
	sum := sha256.Sum256(data)
	return Staged{Name: name, Placed: &Placement{Path: name, Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:])}}, nil
}

func (s *looseSink) Commit(st Staged) (Placement, error) {
	if st.Placed == nil {
		return Placement{}, fmt.Errorf("internal error: image %s was not stored", st.Name)
	}
	return *st.Placed, nil
}

func (s *looseSink) Flush() error { return nil }

// Check re-hashes the file.
func (s *looseSink) Check(p Placement) bool {
	return fileMatches(filepath.Join(s.dir, filepath.FromSlash(p.Path)), p.Size, p.SHA256)
}

// Rewind has nothing to cut: later images are simply written again.
func (s *looseSink) Rewind(*Placement) error { return nil }

// Close makes the images durable with one sync of their file system.
func (s *looseSink) Close() error {
	if err := syncFS(s.dir); err != nil {
		return fmt.Errorf("output %s: sync: %w", s.dir, err)
	}
	return nil
}

// fileMatches reports whether the file at path has the given size and SHA-256.
func fileMatches(path string, size int64, sum string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() || fi.Size() != size {
		return false
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return false
	}
	return hex.EncodeToString(h.Sum(nil)) == sum
}
