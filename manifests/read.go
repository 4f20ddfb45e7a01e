package manifests

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"sync"
)

// MaxRecordLine is the longest records.jsonl line the reader accepts.
const MaxRecordLine = 1 << 20

// ReadOptions configures ReadRecords. The zero value decodes every field on all cores
// and checks the file against nothing.
type ReadOptions struct {
	// Workers is the number of goroutines decoding lines (see WorkerCount); 1 decodes on
	// the calling goroutine.
	Workers int
	// Light decodes only the fields scoring needs (distribution, split, index, label,
	// path, and the position of an image inside a container), checked as a full decoding
	// checks them; the other fields stay empty and Fields nil. It is several times faster.
	Light bool
	// Want, if set, is the manifest's reference to the file: the bytes read must hold
	// Want.Count records and have the SHA-256 Want.SHA256, or ReadRecords fails. The
	// check is made at the end, after fn has seen every record, so callers must use
	// nothing they collected until ReadRecords returns nil.
	Want *FileRef
}

// ReadRecords reads records.jsonl from r, calling fn for each record in file order
// from the calling goroutine. name is used in error messages, which give the line
// number. Every line must be one record, and records must be ordered by distribution
// (reference first), split and index with no repeats. When ctx is cancelled ReadRecords
// stops and returns ctx.Err().
//
// With several workers, lines are read in batches, decoded in parallel and handed to fn
// in their order: the results (and errors) are those of a single worker.
func ReadRecords(ctx context.Context, r io.Reader, name string, o ReadOptions, fn func(*Record) error) error {
	var h hash.Hash
	if o.Want != nil {
		h = sha256.New()
		r = io.TeeReader(r, h)
	}
	n := 0
	count := func(rec *Record) error {
		n++
		return fn(rec)
	}
	var err error
	if workers := WorkerCount(o.Workers); workers == 1 {
		err = readSerial(ctx, r, name, o.Light, count)
	} else {
		err = readParallel(ctx, r, name, workers, o.Light, count)
	}
	if err != nil || o.Want == nil {
		return err
	}
	const fix = "the file was changed after the dataset was written; write the dataset again (or restore the file) and check it with `shiftgen verify`"
	if n != o.Want.Count {
		return fmt.Errorf("%s holds %d records but the manifest says %d: %s", name, n, o.Want.Count, fix)
	}
	if sum := hex.EncodeToString(h.Sum(nil)); sum != o.Want.SHA256 {
		return fmt.Errorf("%s has SHA-256 %s but the manifest says %s: %s", name, sum, o.Want.SHA256, fix)
	}
	return nil
}

// decodeLine decodes line number line of name.
func decodeLine(b []byte, name string, line int, light bool) (*Record, error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return nil, fmt.Errorf("%s:%d: empty line; records.jsonl holds one JSON object per line", name, line)
	}
	rec := new(Record)
	var err error
	if light {
		err = decodeLight(rec, b)
	} else {
		err = rec.UnmarshalJSON(b)
	}
	if err != nil {
		return nil, fmt.Errorf("%s:%d: %w", name, line, err)
	}
	return rec, nil
}

// inOrder refuses rec at line when it does not come after prev.
func inOrder(prev, rec *Record, name string, line int) error {
	if prev != nil && !Less(prev, rec) {
		return fmt.Errorf("%s:%d: record %s/%s/%d is out of order or repeated (records are sorted by distribution, split, index)", name, line, rec.Distribution, rec.Split, rec.Index)
	}
	return nil
}

func newScanner(r io.Reader) *bufio.Scanner {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), MaxRecordLine)
	return sc
}

func readSerial(ctx context.Context, r io.Reader, name string, light bool, fn func(*Record) error) error {
	sc := newScanner(r)
	line := 0
	var prev *Record
	for sc.Scan() {
		line++
		if line%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		rec, err := decodeLine(sc.Bytes(), name, line, light)
		if err != nil {
			return err
		}
		if err := inOrder(prev, rec, name, line); err != nil {
			return err
		}
		if err := fn(rec); err != nil {
			return err
		}
		prev = rec
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s:%d: %w", name, line+1, err)
	}
	return ctx.Err()
}

// recordBatch is a run of consecutive lines decoded by one worker.
type recordBatch struct {
	first int // line number of lines[0]
	lines [][]byte
	recs  []*Record
	err   error
	done  chan struct{}
}

// batchLines is the number of lines a worker decodes at a time.
const batchLines = 512

// readParallel reads lines into batches on one goroutine, decodes the batches on
// workers goroutines and hands the records to fn in file order (for determinism: by
// position in the file, never by arrival).
func readParallel(ctx context.Context, r io.Reader, name string, workers int, light bool, fn func(*Record) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	work := make(chan *recordBatch, workers)
	ordered := make(chan *recordBatch, 2*workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for b := range work {
				b.recs = make([]*Record, len(b.lines))
				for i, l := range b.lines {
					rec, err := decodeLine(l, name, b.first+i, light)
					if err != nil {
						b.err = err
						break
					}
					b.recs[i] = rec
				}
				close(b.done)
			}
		})
	}
	var readErr error
	wg.Go(func() {
		defer close(ordered)
		defer close(work)
		sc := newScanner(r)
		line := 0
		b := &recordBatch{first: 1, done: make(chan struct{})}
		send := func() bool {
			select {
			case work <- b:
			case <-ctx.Done():
				return false
			}
			select {
			case ordered <- b:
			case <-ctx.Done():
				return false
			}
			return true
		}
		for sc.Scan() {
			line++
			b.lines = append(b.lines, append([]byte(nil), sc.Bytes()...))
			if len(b.lines) == batchLines {
				if !send() {
					return
				}
				b = &recordBatch{first: line + 1, done: make(chan struct{})}
			}
		}
		if err := sc.Err(); err != nil {
			readErr = fmt.Errorf("%s:%d: %w", name, line+1, err)
		}
		if len(b.lines) > 0 {
			send()
		}
	})
	var prev *Record
	var err error
	for b := range ordered {
		<-b.done
		if err == nil && b.err != nil {
			err = b.err
		}
		if err == nil {
			err = ctx.Err()
		}
		for i := 0; err == nil && i < len(b.recs); i++ {
			rec := b.recs[i]
			if err = inOrder(prev, rec, name, b.first+i); err != nil {
				break
			}
			if err = fn(rec); err != nil {
				break
			}
			prev = rec
		}
		if err != nil {
			cancel()
		}
	}
	wg.Wait()
	if err != nil {
		return err
	}
	if readErr != nil {
		return readErr
	}
	return ctx.Err()
}

// lightRecord holds the record fields scoring needs.
type lightRecord struct {
	Distribution *string         `json:"distribution"`
	Split        *string         `json:"split"`
	Index        *int64          `json:"index"`
	Label        *int64          `json:"label"`
	Path         *Name           `json:"path"`
	Sample       json.RawMessage `json:"sample"`
	Member       json.RawMessage `json:"member"`
}

// decodeLight decodes the fields of lightRecord into rec, with the checks
// Record.UnmarshalJSON makes on them (and must follow any change of how they are
// encoded).
func decodeLight(rec *Record, line []byte) error {
	var lr lightRecord
	if err := json.Unmarshal(line, &lr); err != nil {
		return err
	}
	for _, f := range []struct {
		name string
		ok   bool
	}{{"distribution", lr.Distribution != nil}, {"split", lr.Split != nil}, {"index", lr.Index != nil}, {"label", lr.Label != nil}, {"path", lr.Path != nil}} {
		if !f.ok {
			return fmt.Errorf("missing field %q", f.name)
		}
	}
	if *lr.Index < 0 || *lr.Label < 0 {
		return fmt.Errorf("fields \"index\" and \"label\" must be non-negative integers")
	}
	if *lr.Distribution != "reference" && *lr.Distribution != "shifted" {
		return fmt.Errorf("field \"distribution\" is %q; want reference or shifted", *lr.Distribution)
	}
	if *lr.Split == "" || *lr.Path == "" {
		return fmt.Errorf("fields \"split\" and \"path\" must not be empty")
	}
	in, err := decodePosition(lr.Sample, lr.Member)
	if err != nil {
		return err
	}
	rec.Distribution, rec.Split, rec.Index, rec.Label, rec.Path, rec.In = *lr.Distribution, *lr.Split, int(*lr.Index), int(*lr.Label), string(*lr.Path), in
	return nil
}

// Less orders records by distribution (reference before shifted), split and index.
func Less(a, b *Record) bool {
	if a.Distribution != b.Distribution {
		return a.Distribution == "reference"
	}
	if a.Split != b.Split {
		return a.Split < b.Split
	}
	return a.Index < b.Index
}

// ReadRecordsFile reads every record of the file at path into memory, checking nothing
// beyond the file itself (see ReadDataset).
func ReadRecordsFile(path string) ([]*Record, error) {
	return readRecordsFile(path, nil)
}

func readRecordsFile(path string, want *FileRef) ([]*Record, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("manifests: %w", err)
	}
	defer f.Close()
	var out []*Record
	err = ReadRecords(context.Background(), f, path, ReadOptions{Want: want}, func(r *Record) error { out = append(out, r); return nil })
	if err != nil {
		return nil, fmt.Errorf("manifests: %w", err)
	}
	return out, nil
}

// ReadDataset reads the manifest at manifestPath and every record of its records file,
// which must hold the count and have the SHA-256 the manifest gives.
func ReadDataset(manifestPath string) (*Manifest, []*Record, error) {
	m, err := ReadManifest(manifestPath)
	if err != nil {
		return nil, nil, err
	}
	recs, err := readRecordsFile(filepath.Join(filepath.Dir(manifestPath), m.Records.Name), &m.Records)
	if err != nil {
		return nil, nil, err
	}
	return m, recs, nil
}
