package webdataset

import (
	"fmt"
	"io"
	"os"
	"strconv"
)

// A Reader reads one complete shard written by this package: it checks every header
// (checksum, ustar magic, regular files), the grouping of members into samples by
// WebDataset's rule (the key is the name up to the first dot of the base name), each
// sample's members (cls, json and one jpg or png, in name order), the order of keys and
// the end-of-archive marker. Members' contents are checked by their users (a SHA-256 in
// a manifest, say).
//
// A Reader is safe for concurrent use.
type Reader struct {
	f       *os.File
	name    string
	entries []Entry
}

// Open opens and checks the shard at path.
func Open(path string) (*Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("webdataset: %w", err)
	}
	r, err := NewReader(f, path)
	if err != nil {
		f.Close()
		return nil, err
	}
	return r, nil
}

// NewReader checks and reads the shard f (opened by the caller, say inside an
// os.Root), naming it name in errors. The Reader reads from f; closing it closes f.
func NewReader(f *os.File, name string) (*Reader, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("webdataset: %s: %w", name, err)
	}
	entries, _, err := scan(f, fi.Size(), name, true)
	if err != nil {
		return nil, err
	}
	return &Reader{f: f, name: name, entries: entries}, nil
}

// Len returns the number of samples in the shard.
func (r *Reader) Len() int { return len(r.entries) }

// Entry returns sample i's members and place in the file.
func (r *Reader) Entry(i int) Entry { return r.entries[i] }

// ReadMember returns a member's bytes.
func (r *Reader) ReadMember(m Member) ([]byte, error) {
	return readMember(r.f, r.name, m)
}

// Sample returns sample i, decoded: key, image, label and record.
func (r *Reader) Sample(i int) (Sample, error) { return decodeSample(r.f, r.name, &r.entries[i]) }

// Close closes the file.
func (r *Reader) Close() error { return r.f.Close() }

func readMember(f io.ReaderAt, name string, m Member) ([]byte, error) {
	b := make([]byte, m.Size)
	if _, err := f.ReadAt(b, m.Offset); err != nil {
		return nil, fmt.Errorf("webdataset: %s: %s: %w", name, m.Name, err)
	}
	return b, nil
}

func decodeSample(f io.ReaderAt, name string, e *Entry) (Sample, error) {
	s := Sample{Key: e.Key}
	for _, m := range e.Members {
		b, err := readMember(f, name, m)
		if err != nil {
			return Sample{}, err
		}
		switch _, ext, _ := splitName(m.Name); ext {
		case "cls":
			if s.Label, err = strconv.Atoi(string(b)); err != nil {
				return Sample{}, fmt.Errorf("webdataset: %s: %s is not a decimal label", name, m.Name)
			}
		case "json":
			s.JSON = b
		default:
			s.Image, s.ImageExt = b, ext
		}
	}
	return s, nil
}

// Merge appends to dst the samples of the given shard files, in order: the partial
// files of a sharded run (each written by a Writer with ShardImages Unlimited, or any
// complete shards of this package). Samples are copied byte for byte, so dst's shards
// are the ones a single writer of the whole sequence would have made.
func Merge(dst *Writer, parts ...string) error {
	for _, p := range parts {
		r, err := Open(p)
		if err != nil {
			return err
		}
		for _, e := range r.entries {
			b := make([]byte, e.End-e.Start)
			if _, err := r.f.ReadAt(b, e.Start); err != nil {
				r.Close()
				return fmt.Errorf("webdataset: merge %s: %w", p, err)
			}
			if _, err := dst.appendBlob(e.Key, b); err != nil {
				r.Close()
				return fmt.Errorf("webdataset: merge %s: %w", p, err)
			}
		}
		r.Close()
	}
	return nil
}
