package ffcv

import (
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Entry describes one sample of a .beton file.
type Entry struct {
	// Label is the sample's label.
	Label int64
	// Mode, Width and Height describe the image.
	Mode          Mode
	Width, Height int
	// Offset is the payload's position in the file, Size its length in bytes.
	Offset, Size int64
}

// A Reader reads a .beton file with an "image" (RGBImageField) and a "label"
// (IntField) field, in either order: the files this package writes, and those FFCV's
// own writer makes with the same fields. Open checks the file's structure; the payload
// bytes themselves are checked by their users (a SHA-256 in a manifest, say).
//
// A Reader is safe for concurrent use.
type Reader struct {
	f        *os.File
	name     string
	pageSize int64
	entries  []Entry
}

// Open opens and checks the .beton file at path.
func Open(path string) (*Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("ffcv: %w", err)
	}
	r, err := NewReader(f, path)
	if err != nil {
		f.Close()
		return nil, err
	}
	return r, nil
}

// NewReader checks and reads the .beton file f (opened by the caller, say inside an
// os.Root), naming it name in errors. The Reader reads from f; closing it closes f.
func NewReader(f *os.File, name string) (*Reader, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("ffcv: %s: %w", name, err)
	}
	return read(f, fi.Size(), name)
}

// OpenWork opens the work folder of a Writer that was closed (not removed), written
// with the options o, as a Reader of its samples, for Merge: the payloads are read from
// the data file where the writer put them, with no assembled copy of the file. Like
// Reopen it keeps the longest intact prefix of samples.
func OpenWork(dir string, o Options) (*Reader, error) {
	w, err := Reopen(dir, o)
	if err != nil {
		return nil, err
	}
	entries := make([]Entry, w.n)
	for i := range entries {
		e, err := w.entry(int64(i))
		if err != nil {
			w.Close()
			return nil, err
		}
		entries[i] = Entry{Label: e.label, Mode: e.mode, Width: int(e.width), Height: int(e.height), Offset: e.rel, Size: e.size}
	}
	w.index.Close()
	return &Reader{f: w.data, name: filepath.Join(dir, dataFile), pageSize: w.pageSize, entries: entries}, nil
}

// read parses the file structure from f, of the given size.
func read(f *os.File, size int64, name string) (*Reader, error) {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("ffcv: %s: "+format+"; the file is damaged or not an FFCV dataset with image and label fields", append([]any{name}, a...)...)
	}
	le := binary.LittleEndian
	var h [headerSize]byte
	if _, err := f.ReadAt(h[:], 0); err != nil {
		return nil, bad("header: %v", err)
	}
	if v := le.Uint16(h[0:]); v != Version {
		return nil, bad("format version %d, want %d", v, Version)
	}
	nf := int64(le.Uint16(h[2:]))
	ps := int64(le.Uint32(h[4:]))
	n := int64(le.Uint64(h[8:]))
	allocPtr := int64(le.Uint64(h[16:]))
	if ps < 1 || ps&(ps-1) != 0 {
		return nil, bad("page size %d is not a power of two", ps)
	}
	if nf != 2 {
		return nil, bad("%d fields, want 2 (image and label)", nf)
	}
	var fd [2 * fieldDescSize]byte
	if _, err := f.ReadAt(fd[:], headerSize); err != nil {
		return nil, bad("field descriptors: %v", err)
	}
	// Offsets of the image and label fields in a metadata row (numpy's aligned struct:
	// the 13-byte image struct has alignment 1, the int64 label alignment 8).
	imageOff, labelOff := -1, -1
	for i := 0; i < 2; i++ {
		d := fd[i*fieldDescSize : (i+1)*fieldDescSize]
		fname := string(d[1 : 1+nameSize])
		if j := strings.IndexByte(fname, 0); j >= 0 {
			fname = fname[:j]
		}
		switch {
		case fname == "image" && d[0] == typeImage:
			imageOff = 0
			if i == 1 {
				imageOff = 8
			}
		case fname == "label" && d[0] == typeInt:
			labelOff = 0
			if i == 1 {
				labelOff = 16
			}
		default:
			return nil, bad("field %d is %q of type %d, want image (RGBImageField) and label (IntField)", i, fname, d[0])
		}
	}
	if imageOff < 0 || labelOff < 0 {
		return nil, bad("fields must be one image and one label")
	}
	if n < 0 || n > (size-metaStart)/metaSize {
		return nil, bad("%d samples do not fit in %d bytes", n, size)
	}
	if allocPtr < metaStart+n*metaSize || allocPtr > size || (size-allocPtr)%allocSize != 0 {
		return nil, bad("allocation table at %d does not fit the file of %d bytes", allocPtr, size)
	}
	meta := make([]byte, n*metaSize)
	if _, err := f.ReadAt(meta, metaStart); err != nil {
		return nil, bad("metadata: %v", err)
	}
	alloc := make([]byte, size-allocPtr)
	if _, err := f.ReadAt(alloc, allocPtr); err != nil {
		return nil, bad("allocation table: %v", err)
	}
	if int64(len(alloc)/allocSize) != n {
		return nil, bad("%d allocations for %d samples, want one each", len(alloc)/allocSize, n)
	}
	entries := make([]Entry, n)
	seen := make([]bool, n)
	for i := int64(0); i < n; i++ {
		a := alloc[i*allocSize:]
		id, ptr, sz := int64(le.Uint64(a[0:])), int64(le.Uint64(a[8:])), int64(le.Uint64(a[16:]))
		if id < 0 || id >= n || seen[id] {
			return nil, bad("allocation %d names sample %d (of %d) twice or out of range", i, id, n)
		}
		seen[id] = true
		m := meta[id*metaSize:]
		img := m[imageOff:]
		e := Entry{
			Label: int64(le.Uint64(m[labelOff:])), Mode: Mode(img[0]),
			Width: int(le.Uint16(img[1:])), Height: int(le.Uint16(img[3:])),
			Offset: int64(le.Uint64(img[5:])), Size: sz,
		}
		switch {
		case e.Offset != ptr:
			return nil, bad("sample %d: metadata points at %d, allocation at %d", id, e.Offset, ptr)
		case e.Mode != JPG && e.Mode != Raw:
			return nil, bad("sample %d: image mode %d", id, e.Mode)
		case sz < 1 || ptr < metaStart+n*metaSize || ptr > allocPtr-sz:
			return nil, bad("sample %d: payload of %d bytes at %d lies outside the data region", id, sz, ptr)
		case ptr/ps != (ptr+sz-1)/ps:
			return nil, bad("sample %d: payload at %d straddles a page boundary", id, ptr)
		case e.Mode == Raw && sz != int64(e.Width)*int64(e.Height)*3:
			return nil, bad("sample %d: raw %d×%d image in %d bytes", id, e.Width, e.Height, sz)
		}
		entries[id] = e
	}
	return &Reader{f: f, name: name, pageSize: ps, entries: entries}, nil
}

// Len returns the number of samples.
func (r *Reader) Len() int { return len(r.entries) }

// PageSize returns the file's page size.
func (r *Reader) PageSize() int64 { return r.pageSize }

// Entry returns sample i's metadata (0 ≤ i < Len).
func (r *Reader) Entry(i int) Entry { return r.entries[i] }

// Payload returns sample i's stored bytes.
func (r *Reader) Payload(i int) ([]byte, error) {
	e := r.entries[i]
	b := make([]byte, e.Size)
	if _, err := r.f.ReadAt(b, e.Offset); err != nil {
		return nil, fmt.Errorf("ffcv: %s: sample %d: %w", r.name, i, err)
	}
	return b, nil
}

// Sample returns sample i with its payload.
func (r *Reader) Sample(i int) (Sample, error) {
	e := r.entries[i]
	p, err := r.Payload(i)
	return Sample{Label: e.Label, Mode: e.Mode, Width: e.Width, Height: e.Height, Payload: p}, err
}

// Close closes the file.
func (r *Reader) Close() error { return r.f.Close() }

// Merge writes to dst the one .beton file holding the samples of parts, in order, as a
// single Writer appending them would have written it, byte for byte: the layout depends
// only on the sequence of samples, never on how it was split. Sample i of the result is
// the i-th sample of the concatenated parts. Every writer of the parts and the merge
// should use the same Options, though the parts' own page size does not matter.
func Merge(dst io.Writer, o Options, parts ...*Reader) error {
	ps, err := o.pageSize()
	if err != nil {
		return fmt.Errorf("ffcv: merge: %w", err)
	}
	type src struct {
		r *Reader
		i int
	}
	var entries []entry
	var srcs []src
	p := packer{pageSize: ps}
	for _, r := range parts {
		for i, e := range r.entries {
			if e.Size > ps {
				return fmt.Errorf("ffcv: merge: %s: sample %d of %d bytes does not fit in a page of %d bytes", r.name, i, e.Size, ps)
			}
			entries = append(entries, entry{label: e.Label, rel: p.place(e.Size), size: e.Size, mode: e.Mode, width: uint16(e.Width), height: uint16(e.Height)})
			srcs = append(srcs, src{r, i})
		}
	}
	err = assemble(dst, ps, entries, p, func(dst io.Writer) (int64, error) {
		pos := int64(0)
		for k, e := range entries {
			if err := zeros(dst, e.rel-pos); err != nil {
				return pos, err
			}
			s := srcs[k]
			re := s.r.entries[s.i]
			n, err := io.Copy(dst, io.NewSectionReader(s.r.f, re.Offset, re.Size))
			if err != nil {
				return pos, fmt.Errorf("%s: sample %d: %w", s.r.name, s.i, err)
			}
			if n != re.Size {
				return pos, fmt.Errorf("%s: sample %d: short read", s.r.name, s.i)
			}
			pos = e.rel + e.size
		}
		return pos, nil
	})
	if err != nil {
		return fmt.Errorf("ffcv: merge: %w", err)
	}
	return nil
}
