package eval

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sync"

	"github.com/shiftgen/shiftgen/manifests"
)

// recordBatch is a run of consecutive records.jsonl lines decoded by one worker.
type recordBatch struct {
	first int // line number of lines[0]
	lines [][]byte
	recs  []*manifests.Record
	err   error
	done  chan struct{}
}

// batchLines is the number of lines a worker decodes at a time.
const batchLines = 512

// readRecords reads records.jsonl like manifests.ReadRecords (same checks, same
// messages: every line a record, sorted by distribution, split and index, no repeats),
// but decodes lines on up to workers goroutines. fn is called for every record in file
// order, from the calling goroutine.
//
// With light set, lines are decoded into the fields scoring needs (distribution, split,
// index, label, path), checked for presence and type, and Fields stays empty: several
// times faster than the full decoding.
func readRecords(ctx context.Context, r io.Reader, name string, workers int, light bool, fn func(*manifests.Record) error) error {
	workers = max(workers, 1)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	work := make(chan *recordBatch, workers)
	ordered := make(chan *recordBatch, 2*workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range work {
				b.recs = make([]*manifests.Record, len(b.lines))
				for i, l := range b.lines {
					line := b.first + i
					l = bytes.TrimSpace(l)
					if len(l) == 0 {
						b.err = fmt.Errorf("%s:%d: empty line; records.jsonl holds one JSON object per line", name, line)
						break
					}
					rec := new(manifests.Record)
					var err error
					if light {
						err = decodeLight(rec, l)
					} else {
						err = rec.UnmarshalJSON(l)
					}
					if err != nil {
						b.err = fmt.Errorf("%s:%d: %w", name, line, err)
						break
					}
					b.recs[i] = rec
				}
				close(b.done)
			}
		}()
	}
	// The producer reads lines into batches and hands each to a worker and, in file
	// order, to the consumer below.
	var readErr error
	go func() {
		defer close(ordered)
		defer close(work)
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64*1024), manifests.MaxRecordLine)
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
	}()
	var prev *manifests.Record
	var err error
	for b := range ordered {
		<-b.done
		if err == nil && b.err != nil {
			err = b.err
		}
		for i := 0; err == nil && i < len(b.recs); i++ {
			rec := b.recs[i]
			if prev != nil && !manifests.Less(prev, rec) {
				err = fmt.Errorf("%s:%d: record %s/%s/%d is out of order or repeated (records are sorted by distribution, split, index)", name, b.first+i, rec.Distribution, rec.Split, rec.Index)
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
	Path         *manifests.Name `json:"path"`
}

// decodeLight decodes the fields of lightRecord into rec, with the checks
// manifests.Record.UnmarshalJSON makes on them.
func decodeLight(rec *manifests.Record, line []byte) error {
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
	rec.Distribution, rec.Split, rec.Index, rec.Label, rec.Path = *lr.Distribution, *lr.Split, int(*lr.Index), int(*lr.Label), string(*lr.Path)
	return nil
}
