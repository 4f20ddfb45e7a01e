package manifests

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Journal reads back the journal of the interrupted run a Resumed Writer continues, so
// that the caller can find how much of the work is done and intact. The caller reads the
// records and skips of one job after another, calls Mark after each job it accepts, and
// finally Writer.Rewind cuts the journal (and the image sink) back to the last Mark:
// later work is redone.
type Journal struct {
	w       *Writer
	streams []*lineReader
	skips   *lineReader
	peeked  *JournalSkip
	// peekEnd is the offset after the peeked line, taken the offset after the last
	// skip taken; broken is set at a skip line that cannot be read.
	peekEnd, taken int64
	broken         bool
	// last[i] is the last record read from stream i; mark the positions and records
	// of the last Mark.
	last     []*Record
	mark     []int64
	markSkip int64
	markLast []*Record
}

// ReadJournal opens the journal from its start. A missing journal file reads as empty.
func (w *Writer) ReadJournal() (*Journal, error) {
	if w.state != Resumed {
		return nil, errors.New("internal error: ReadJournal on a writer that does not resume")
	}
	j := &Journal{w: w, mark: make([]int64, w.o.Streams), last: make([]*Record, w.o.Streams), markLast: make([]*Record, w.o.Streams)}
	for i := range w.o.Streams {
		lr, err := openLines(filepath.Join(w.work, streamFile(i)))
		if err != nil {
			j.Close()
			return nil, fmt.Errorf("resume %s: %w", w.dir, err)
		}
		j.streams = append(j.streams, lr)
	}
	var err error
	if j.skips, err = openLines(filepath.Join(w.work, skipsFile)); err != nil {
		j.Close()
		return nil, fmt.Errorf("resume %s: %w", w.dir, err)
	}
	return j, nil
}

// Record returns the next record of stream i, or false at the end of the stream or at a
// line that is torn (no newline: the run was killed while writing it) or not a record.
func (j *Journal) Record(i int) (*Record, bool) {
	line, ok := j.streams[i].next()
	if !ok {
		return nil, false
	}
	var r Record
	if r.UnmarshalJSON(bytes.TrimSpace(line)) != nil {
		return nil, false
	}
	j.last[i] = &r
	return &r, true
}

// PeekSkip returns the next skipped-input entry without taking it.
func (j *Journal) PeekSkip() (*JournalSkip, bool) {
	if j.peeked == nil {
		if j.broken {
			return nil, false
		}
		line, ok := j.skips.next()
		if !ok {
			return nil, false
		}
		var e JournalSkip
		if json.Unmarshal(line, &e) != nil {
			j.broken = true
			return nil, false
		}
		j.peeked, j.peekEnd = &e, j.skips.off
	}
	return j.peeked, true
}

// TakeSkip takes the entry PeekSkip returned.
func (j *Journal) TakeSkip() {
	if j.peeked != nil {
		j.peeked, j.taken = nil, j.peekEnd
	}
}

// Mark accepts everything read so far: Rewind keeps it.
func (j *Journal) Mark() {
	for i, s := range j.streams {
		j.mark[i] = s.off
	}
	j.markSkip = j.taken
	copy(j.markLast, j.last)
}

// Check reports whether the image of a record journaled in stream i is intact.
func (j *Journal) Check(i int, r *Record) bool {
	return j.w.sink == nil || j.w.sink.Check(i, placementOf(r))
}

// Close closes the journal's files.
func (j *Journal) Close() {
	for _, s := range j.streams {
		s.close()
	}
	if j.skips != nil {
		j.skips.close()
	}
}

// Rewind cuts the journal read by j back to its last Mark and rewinds the image sink to
// the last image kept. It is called before Begin.
func (w *Writer) Rewind(j *Journal) error {
	j.Close()
	for i := range w.o.Streams {
		if err := truncate(filepath.Join(w.work, streamFile(i)), j.mark[i]); err != nil {
			return fmt.Errorf("resume %s: %w", w.dir, err)
		}
	}
	if err := truncate(filepath.Join(w.work, skipsFile), j.markSkip); err != nil {
		return fmt.Errorf("resume %s: %w", w.dir, err)
	}
	if w.sink != nil {
		last := make([]*Placement, len(j.markLast))
		for i, r := range j.markLast {
			if r != nil {
				p := placementOf(r)
				last[i] = &p
			}
		}
		return w.sink.Rewind(last)
	}
	return nil
}

func truncate(path string, size int64) error {
	err := os.Truncate(path, size)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// lineReader reads the whole lines of a journal file, treating a last line without its
// newline (torn by a crash) as absent, and counts the bytes taken.
type lineReader struct {
	r   *bufio.Reader
	f   *os.File
	off int64
}

func openLines(path string) (*lineReader, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &lineReader{}, nil
	}
	if err != nil {
		return nil, err
	}
	return &lineReader{r: bufio.NewReaderSize(f, 1<<16), f: f}, nil
}

func (l *lineReader) next() ([]byte, bool) {
	if l.r == nil {
		return nil, false
	}
	b, err := l.r.ReadBytes('\n')
	if err != nil {
		return nil, false
	}
	l.off += int64(len(b))
	return b, true
}

func (l *lineReader) close() {
	if l.f != nil {
		l.f.Close()
		l.f = nil
	}
}
