package manifests

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Images says where a dataset's image bytes go: loose files (LooseFiles) or, for
// formats that pack them, container files. A Writer opens one ImageSink per writing
// process; Merge asks it to join what the shards of a job left.
type Images interface {
	// Sink opens the sink of one Writer (see SinkOptions).
	Sink(o SinkOptions) (ImageSink, error)
	// Join is called by Merge, under the dataset's lock, with the shards' parts in
	// shard order and the merged manifest (counts summed, no records yet). It joins the
	// shards' partial outputs into exactly what one Writer would have written, records
	// them in m (a container format lists its files in m.Output), and returns how a
	// record's placement moves: shard is 0-based, stream the record's stream. A nil
	// function means placements stay as they are (loose files already sit where one
	// writer puts them) and records are joined byte for byte.
	Join(dir string, parts []ShardPart, m *Manifest) (func(shard, stream int, p Placement) Placement, error)
}

// SinkOptions say which Writer a sink serves.
type SinkOptions struct {
	// Dir is the dataset folder; Work the Writer's own work folder (Dir/.work, or
	// Dir/.work/shard-K-of-N for one shard): a container sink keeps its partial files
	// there until Close puts them in place (whole dataset) or leaves them for Join
	// (shard).
	Dir, Work string
	// Resume is set when the Writer continues an interrupted run: Check and Rewind
	// follow before any Commit.
	Resume bool
	// Shard is set when the Writer writes one shard of a job.
	Shard bool
}

// ShardPart is what Join learns of one finished shard.
type ShardPart struct {
	// Work is the shard's work folder.
	Work string
	// Counts are the shard's numbers of records per stream.
	Counts []int
}

// ImageSink stores the images of one Writer, one stream of records at a time (a
// stream is one distribution × split). The Writer drives it:
//
//   - Put runs on the workers, concurrently, once per image. A loose-file sink writes
//     the file here, atomically, so that writing stays parallel; a container sink keeps
//     a copy of the bytes (and may hash them) for Commit.
//   - Commit runs on the single goroutine that joins results in record order, once per
//     Put, in that order, and returns where the image now lives. A container sink
//     appends the bytes here, so its files' order is the records' order whatever the
//     worker count. The placement goes into the record and so into the resume journal.
//   - Flush runs before every flush of the journal: afterwards, every committed image's
//     bytes are in the file system, so the journal never names bytes that are not
//     there.
//   - Check reports, when a run resumes, whether the bytes of a journaled placement of
//     a stream are intact.
//   - Rewind cuts each stream back to just after the last placement a resumed run keeps
//     (last[stream], nil: none), before the first Commit.
//   - Close finishes the sink and makes every committed image durable (the Deferred
//     class of the fsync policy). For a whole dataset it puts the containers in place
//     and lists them in m.Output; for a shard it leaves its partial files to Join.
//   - Abandon, for a run that stops before Close, closes the sink's files and keeps
//     what they hold for a resumed run.
type ImageSink interface {
	Put(stream int, img Image) (Staged, error)
	Commit(s Staged) (Placement, error)
	Flush() error
	Check(stream int, p Placement) bool
	Rewind(last []*Placement) error
	Close(m *Manifest) error
	Abandon()
}

// Image is one image handed to a sink.
type Image struct {
	// Name is the image's name in the dataset (slash-separated, relative to the dataset
	// folder; checked by CheckName): where a loose-file sink writes it.
	Name string
	// Data is the stored bytes: an encoded image, or raw pixels for a container that
	// stores them. It is valid only during Put.
	Data []byte
	// Record is the image's record without its placement (path, position, size and
	// SHA-256 are set by Add): a container sink stores what it needs of it (label, size,
	// the record itself).
	Record *Record
	// Same, when set, is the path of a file that already holds exactly Data: an earlier
	// copy written by this run. A loose-file sink makes the image a hard link to it
	// instead of writing the bytes again, and writes them where the file system cannot
	// link. Container sinks ignore it.
	Same string
}

// Staged is an image a worker handed to a sink, waiting for its Commit.
type Staged struct {
	// Stream is the record stream the image belongs to; Name its name in the dataset.
	Stream int
	Name   string
	// Placed is set when Put already stored the image (loose files).
	Placed *Placement
	// Data is the copy a container sink keeps until Commit, Sum its hex SHA-256 (when
	// Put computed it), Record the image's record.
	Data   []byte
	Sum    string
	Record *Record
	// Shared says whether Put stored the bytes (SharedNone), found them in the file
	// Image.Same (SharedLinked; SharedCopied when it could not link, with the reason), or
	// left them in another dataset's container (SharedReferenced).
	Shared SharedAs
	Reason string
}

// SharedAs says how an image whose bytes an earlier file holds was stored.
type SharedAs uint8

// How an image identical to an earlier one was stored.
const (
	// SharedNone: the image is not a copy of an earlier file.
	SharedNone SharedAs = iota
	// SharedLinked: a hard link to the earlier file.
	SharedLinked
	// SharedCopied: a copy, because the file system refused the link.
	SharedCopied
	// SharedReferenced: not stored; the record names another dataset's container, which
	// holds the same bytes.
	SharedReferenced
)

// Placement says where an image's bytes live. It is the part of a record a sink
// decides: Path, In, Size and SHA256 are the record's path, position, size and sha256.
type Placement struct {
	// Path is the file holding the image, relative to the dataset folder: the image file
	// itself, or the container file.
	Path string
	// In is the image's position inside the container file; nil for loose files.
	In *Position
	// Size is the image's length in bytes, SHA256 the hex SHA-256 of those bytes.
	Size   int64
	SHA256 string
}

// placementOf is the placement a record holds.
func placementOf(r *Record) Placement {
	return Placement{Path: r.Path, In: r.In, Size: r.Size, SHA256: r.SHA256}
}

// LooseFiles stores every image as a file of its own, at its name below the dataset
// folder (the folders must exist). Workers write the files directly, in parallel; an
// image whose bytes an earlier file of the run holds (Image.Same) becomes a hard link
// to it.
type LooseFiles struct{}

// Sink opens the loose-file sink of o.Dir.
func (LooseFiles) Sink(o SinkOptions) (ImageSink, error) {
	return &looseSink{dir: o.Dir}, nil
}

// Join has nothing to do: every shard wrote its files where they belong.
func (LooseFiles) Join(string, []ShardPart, *Manifest) (func(int, int, Placement) Placement, error) {
	return nil, nil
}

type looseSink struct{ dir string }

// Put writes the file atomically (Deferred), or links it to img.Same, and hashes the
// bytes in memory.
func (s *looseSink) Put(stream int, img Image) (Staged, error) {
	path := filepath.Join(s.dir, filepath.FromSlash(img.Name))
	st := Staged{Stream: stream, Name: img.Name}
	if img.Same != "" {
		err := linkFile(img.Same, path)
		if err == nil {
			st.Shared = SharedLinked
		} else {
			st.Shared, st.Reason = SharedCopied, err.Error()
		}
	}
	if st.Shared != SharedLinked {
		if err := writeFile(path, img.Data, Deferred); err != nil {
			return Staged{}, err
		}
	}
	sum := sha256.Sum256(img.Data)
	st.Placed = &Placement{Path: img.Name, Size: int64(len(img.Data)), SHA256: hex.EncodeToString(sum[:])}
	return st, nil
}

// linkFile makes path a hard link to the file from, atomically: the link is made under
// a temporary name in path's folder and renamed over path. It fails, changing nothing,
// where the file system cannot link (another file system, too many links, no support).
func linkFile(from, path string) error {
	tmp, err := withTempName(path, func(tmp string) error { return os.Link(from, tmp) })
	if err != nil {
		var le *os.LinkError
		if errors.As(err, &le) {
			err = le.Err
		}
		return fmt.Errorf("hard link %s to %s: %w", path, from, err)
	}
	err = os.Rename(tmp, path)
	// When path already is a link to from, rename does nothing and leaves tmp.
	os.Remove(tmp)
	if err != nil {
		return fmt.Errorf("hard link %s to %s: %w", path, from, err)
	}
	return nil
}

func (s *looseSink) Commit(st Staged) (Placement, error) {
	if st.Placed == nil {
		return Placement{}, fmt.Errorf("internal error: image %s was not stored", st.Name)
	}
	return *st.Placed, nil
}

func (s *looseSink) Flush() error { return nil }

// Check re-hashes the file.
func (s *looseSink) Check(_ int, p Placement) bool {
	return p.In == nil && fileMatches(filepath.Join(s.dir, filepath.FromSlash(p.Path)), p.Size, p.SHA256)
}

// Rewind has nothing to cut: later images are simply written again.
func (s *looseSink) Rewind([]*Placement) error { return nil }

// Abandon has nothing to close: every file was closed when written.
func (s *looseSink) Abandon() {}

// Close makes the images durable with one sync of their file system.
func (s *looseSink) Close(*Manifest) error {
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
