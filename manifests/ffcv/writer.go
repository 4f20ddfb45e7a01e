package ffcv

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Options configure a Writer or a Merge. The zero value is FFCV's defaults.
type Options struct {
	// PageSize is the size of the data pages, a power of two of at least MinPageSize.
	// Zero means DefaultPageSize (8 MiB), FFCV's own default. A payload must fit in one
	// page. Every writer and merge of one dataset must use the same page size.
	PageSize int64
}

func (o Options) pageSize() (int64, error) {
	ps := o.PageSize
	if ps == 0 {
		ps = DefaultPageSize
	}
	return ps, checkPageSize(ps)
}

// Work-file names inside a Writer's folder.
const (
	dataFile  = "data"
	indexFile = "index"
)

// The index file starts with indexMagic and the page size (u64), then holds one
// indexEntrySize-byte entry per sample: label i64, rel u64, size u64, mode u8, 0,
// width u16, height u16, 0, 0 (little-endian).
const (
	indexMagic     = "shiftgen.ffcv.1\n"
	indexHead      = len(indexMagic) + 8
	indexEntrySize = 32
)

// A Writer streams samples into a .beton file. Payloads go to a data file in a work
// folder, already laid out in pages as in the final file; the header, metadata and
// allocation table, which depend on the number of samples, are written by Finish, which
// assembles the final file.
//
// Samples are appended in order by one goroutine: a Writer is not safe for concurrent
// use. Once Append returns, the sample is in the work files as far as the operating
// system is concerned, so it survives the process being killed (the work files are
// never synced; the caller syncs the assembled file). A run that was killed reopens the
// work folder with Reopen and cuts it back with Truncate to the number of samples it
// had journaled, then appends again: the final file is byte-identical to an
// uninterrupted run's.
type Writer struct {
	dir         string
	pageSize    int64
	data, index *os.File
	n           int64
	pack        packer
	dataEnd     int64
	scratch     [indexEntrySize]byte
}

// Create starts a new writer whose work files live in the folder dir (created if
// missing; work files already there are replaced).
func Create(dir string, o Options) (*Writer, error) {
	ps, err := o.pageSize()
	if err != nil {
		return nil, fmt.Errorf("ffcv: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("ffcv: work folder: %w", err)
	}
	w := &Writer{dir: dir, pageSize: ps, pack: packer{pageSize: ps}}
	if w.data, err = os.Create(filepath.Join(dir, dataFile)); err != nil {
		return nil, fmt.Errorf("ffcv: %w", err)
	}
	if w.index, err = os.Create(filepath.Join(dir, indexFile)); err != nil {
		w.data.Close()
		return nil, fmt.Errorf("ffcv: %w", err)
	}
	head := make([]byte, indexHead)
	copy(head, indexMagic)
	binary.LittleEndian.PutUint64(head[len(indexMagic):], uint64(ps))
	if _, err := w.index.Write(head); err != nil {
		w.Close()
		return nil, fmt.Errorf("ffcv: %w", err)
	}
	return w, nil
}

// Reopen opens the work folder of a writer that was interrupted. It keeps the longest
// prefix of samples whose index entries and payload bytes are complete (cutting off
// whatever a crash left half-written); Len says how many that is.
func Reopen(dir string, o Options) (*Writer, error) {
	ps, err := o.pageSize()
	if err != nil {
		return nil, fmt.Errorf("ffcv: %w", err)
	}
	w := &Writer{dir: dir, pageSize: ps, pack: packer{pageSize: ps}}
	fail := func(err error) (*Writer, error) {
		w.Close()
		return nil, fmt.Errorf("ffcv: reopen %s: %w; start over without resuming", dir, err)
	}
	if w.data, err = os.OpenFile(filepath.Join(dir, dataFile), os.O_RDWR, 0); err != nil {
		return fail(err)
	}
	if w.index, err = os.OpenFile(filepath.Join(dir, indexFile), os.O_RDWR, 0); err != nil {
		return fail(err)
	}
	head := make([]byte, indexHead)
	if _, err := io.ReadFull(w.index, head); err != nil || string(head[:len(indexMagic)]) != indexMagic {
		return fail(errors.New("the index is not a shiftgen FFCV work index"))
	}
	if got := int64(binary.LittleEndian.Uint64(head[len(indexMagic):])); got != ps {
		return fail(fmt.Errorf("it was written with page size %d, not %d", got, ps))
	}
	fi, err := w.data.Stat()
	if err != nil {
		return fail(err)
	}
	// Walk the entries, replaying the packing, and stop at the first one that is torn,
	// inconsistent or whose payload is not all in the data file.
	r := bufio.NewReaderSize(w.index, 1<<16)
	p := packer{pageSize: ps}
	var b [indexEntrySize]byte
	for {
		if _, err := io.ReadFull(r, b[:]); err != nil {
			break
		}
		e := decodeEntry(b[:])
		if e.size < 1 || e.size > ps || p.place(e.size) != e.rel || e.rel+e.size > fi.Size() {
			break
		}
		w.n++
		w.pack = p
		w.dataEnd = e.rel + e.size
	}
	if err := w.cut(); err != nil {
		return fail(err)
	}
	return w, nil
}

func decodeEntry(b []byte) entry {
	le := binary.LittleEndian
	return entry{
		label: int64(le.Uint64(b[0:])), rel: int64(le.Uint64(b[8:])), size: int64(le.Uint64(b[16:])),
		mode: Mode(b[24]), width: le.Uint16(b[26:]), height: le.Uint16(b[28:]),
	}
}

func encodeEntry(b []byte, e entry) {
	le := binary.LittleEndian
	clear(b)
	le.PutUint64(b[0:], uint64(e.label))
	le.PutUint64(b[8:], uint64(e.rel))
	le.PutUint64(b[16:], uint64(e.size))
	b[24] = byte(e.mode)
	le.PutUint16(b[26:], e.width)
	le.PutUint16(b[28:], e.height)
}

// cut truncates the work files to the writer's current state.
func (w *Writer) cut() error {
	if err := w.index.Truncate(int64(indexHead) + w.n*indexEntrySize); err != nil {
		return err
	}
	return w.data.Truncate(w.dataEnd)
}

// Len returns the number of samples in the writer.
func (w *Writer) Len() int64 { return w.n }

// Truncate cuts the writer back to its first n samples (n ≤ Len), as a resumed run
// does to return to the state it last journaled.
func (w *Writer) Truncate(n int64) error {
	if n < 0 || n > w.n {
		return fmt.Errorf("ffcv: truncate %s to %d samples: it holds %d", w.dir, n, w.n)
	}
	if n == w.n {
		return nil
	}
	w.n, w.dataEnd, w.pack = n, 0, packer{pageSize: w.pageSize}
	if n > 0 {
		e, err := w.entry(n - 1)
		if err != nil {
			return err
		}
		w.dataEnd = e.rel + e.size
		w.pack = after(w.pageSize, e.rel, e.size)
	}
	if err := w.cut(); err != nil {
		return fmt.Errorf("ffcv: truncate %s: %w", w.dir, err)
	}
	return nil
}

func (w *Writer) entry(i int64) (entry, error) {
	var b [indexEntrySize]byte
	if _, err := w.index.ReadAt(b[:], int64(indexHead)+i*indexEntrySize); err != nil {
		return entry{}, fmt.Errorf("ffcv: %s: index entry %d: %w", w.dir, i, err)
	}
	return decodeEntry(b[:]), nil
}

// Append adds s as the next sample and returns its index.
func (w *Writer) Append(s Sample) (int64, error) {
	if err := s.check(w.pageSize); err != nil {
		return 0, fmt.Errorf("ffcv: sample %d: %w", w.n, err)
	}
	size := int64(len(s.Payload))
	p := w.pack
	rel := p.place(size)
	if _, err := w.data.WriteAt(s.Payload, rel); err != nil {
		return 0, fmt.Errorf("ffcv: %s: %w", w.dir, err)
	}
	e := entry{label: s.Label, rel: rel, size: size, mode: s.Mode, width: uint16(s.Width), height: uint16(s.Height)}
	encodeEntry(w.scratch[:], e)
	if _, err := w.index.WriteAt(w.scratch[:], int64(indexHead)+w.n*indexEntrySize); err != nil {
		return 0, fmt.Errorf("ffcv: %s: %w", w.dir, err)
	}
	w.pack, w.dataEnd = p, rel+size
	w.n++
	return w.n - 1, nil
}

// Payload returns the stored bytes of sample i (i < Len), read back from the work
// files, so that a resumed run can check them against its journal.
func (w *Writer) Payload(i int64) ([]byte, error) {
	if i < 0 || i >= w.n {
		return nil, fmt.Errorf("ffcv: %s: no sample %d (it holds %d)", w.dir, i, w.n)
	}
	e, err := w.entry(i)
	if err != nil {
		return nil, err
	}
	b := make([]byte, e.size)
	if _, err := w.data.ReadAt(b, e.rel); err != nil {
		return nil, fmt.Errorf("ffcv: %s: sample %d: %w", w.dir, i, err)
	}
	return b, nil
}

// Finish writes the complete .beton file to dst (typically a temporary file that the
// caller syncs and renames into place). The writer stays usable: Finish may be called
// again, after more samples or none.
func (w *Writer) Finish(dst io.Writer) error {
	entries := make([]entry, w.n)
	r := bufio.NewReaderSize(io.NewSectionReader(w.index, int64(indexHead), w.n*indexEntrySize), 1<<16)
	var b [indexEntrySize]byte
	for i := range entries {
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return fmt.Errorf("ffcv: %s: index: %w", w.dir, err)
		}
		entries[i] = decodeEntry(b[:])
	}
	err := assemble(dst, w.pageSize, entries, w.pack, func(dst io.Writer) (int64, error) {
		if _, err := w.data.Seek(0, io.SeekStart); err != nil {
			return 0, err
		}
		// A LimitedReader over the file lets io.Copy use copy_file_range where it can.
		return io.Copy(dst, &io.LimitedReader{R: w.data, N: w.dataEnd})
	})
	if err != nil {
		return fmt.Errorf("ffcv: finish %s: %w", w.dir, err)
	}
	return nil
}

// Close closes the work files and keeps them, so that the run can be resumed.
func (w *Writer) Close() error {
	var errs []error
	for _, f := range []*os.File{w.data, w.index} {
		if f != nil {
			errs = append(errs, f.Close())
		}
	}
	w.data, w.index = nil, nil
	return errors.Join(errs...)
}

// Remove closes the writer and deletes its work folder.
func (w *Writer) Remove() error {
	w.Close()
	return os.RemoveAll(w.dir)
}
