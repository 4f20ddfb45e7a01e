package ffcv

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
)

// Version is the file-format version FFCV 0.0.3 writes and accepts.
const Version = 2

// Page sizes. FFCV's writer uses DefaultPageSize and refuses page sizes below
// MinPageSize or that are not powers of two.
const (
	DefaultPageSize = 8 << 20
	MinPageSize     = 2 << 20
)

// Sizes of the on-disk structures (bytes), as numpy lays out FFCV's dtypes.
const (
	headerSize    = 24   // version u2, num_fields u2, page_size u4, num_samples u8, alloc_table_ptr u8
	fieldDescSize = 1041 // type_id u1, name [16]u1, arguments [1024]u1
	nameSize      = 16
	metaSize      = 24 // one sample: the image field (13 bytes, packed), 3 bytes of padding, the label (i8)
	allocSize     = 24 // sample_id u8, ptr u8, size u8
	// metaStart is where the metadata table begins: after the header and our two field
	// descriptors.
	metaStart = headerSize + 2*fieldDescSize
)

// FFCV's field type ids.
const (
	typeInt   = 1
	typeImage = 2
)

// Mode says how an image's payload is stored, with FFCV's numbering.
type Mode uint8

// The image modes.
const (
	// JPG payloads are encoded JPEG files; FFCV decodes them with libjpeg-turbo.
	JPG Mode = 0
	// Raw payloads are the pixels, height×width×3 bytes, RGB, rows top to bottom.
	Raw Mode = 1
)

// String returns "jpg" or "raw".
func (m Mode) String() string {
	switch m {
	case JPG:
		return "jpg"
	case Raw:
		return "raw"
	}
	return fmt.Sprintf("mode(%d)", uint8(m))
}

// Sample is one record of a .beton file: an image and its label. The record's index in
// the file is its position in the sequence of appended samples.
type Sample struct {
	// Label is the class label (FFCV IntField, int64).
	Label int64
	// Mode says what Payload holds.
	Mode Mode
	// Width and Height are the image's size in pixels, 1..65535.
	Width, Height int
	// Payload is the stored bytes: Width·Height·3 pixel bytes for Raw, a JPEG file for JPG.
	Payload []byte
}

// check validates s against a page size.
func (s *Sample) check(pageSize int64) error {
	if s.Mode != JPG && s.Mode != Raw {
		return fmt.Errorf("image mode %d is neither jpg (0) nor raw (1)", s.Mode)
	}
	if s.Width < 1 || s.Height < 1 || s.Width > 65535 || s.Height > 65535 {
		return fmt.Errorf("image size %d×%d is outside 1..65535", s.Width, s.Height)
	}
	if s.Mode == Raw && len(s.Payload) != s.Width*s.Height*3 {
		return fmt.Errorf("raw image of %d×%d needs %d bytes, got %d", s.Width, s.Height, s.Width*s.Height*3, len(s.Payload))
	}
	if len(s.Payload) == 0 {
		return fmt.Errorf("empty payload")
	}
	if int64(len(s.Payload)) > pageSize {
		return fmt.Errorf("payload of %d bytes does not fit in a page of %d bytes; use a larger page size", len(s.Payload), pageSize)
	}
	return nil
}

// entry is one sample's place in the file: its metadata and where its payload sits,
// relative to the start of the data region.
type entry struct {
	label         int64
	rel, size     int64
	mode          Mode
	width, height uint16
}

// packer places payloads in pages the way FFCV's MemoryAllocator does for one writer: a
// payload goes right after the previous one if it fits in the rest of the current page,
// otherwise at the start of the next page. No payload straddles a page boundary, which
// FFCV's process-cache loader relies on (it reads whole pages and slices within one).
type packer struct {
	pageSize int64
	pages    int64 // pages opened so far
	used     int64 // bytes used in the last opened page
}

// place returns the relative offset of the next payload of size bytes.
func (p *packer) place(size int64) int64 {
	if p.pages == 0 || size > p.pageSize-p.used {
		p.pages++
		p.used = size
		return (p.pages - 1) * p.pageSize
	}
	rel := (p.pages-1)*p.pageSize + p.used
	p.used += size
	return rel
}

// after returns the packer state right after a payload of size bytes placed at rel.
func after(pageSize, rel, size int64) packer {
	return packer{pageSize: pageSize, pages: rel/pageSize + 1, used: rel%pageSize + size}
}

// alignUp rounds n up to a multiple of page.
func alignUp(n, page int64) int64 {
	if r := n % page; r != 0 {
		return n + page - r
	}
	return n
}

// layout is where the parts of a file with n samples go.
type layout struct {
	dataStart  int64 // first byte of the first page
	dataLen    int64 // pages·pageSize
	allocStart int64 // the allocation table
}

func newLayout(n, pageSize int64, p packer) layout {
	end := int64(metaStart) + n*metaSize
	if p.pages == 0 {
		// Nothing allocated: FFCV writes the allocation table right after the metadata.
		return layout{dataStart: end, allocStart: end}
	}
	start := alignUp(end, pageSize)
	return layout{dataStart: start, dataLen: p.pages * pageSize, allocStart: start + p.pages*pageSize}
}

// checkPageSize validates a page size the way FFCV's writer does.
func checkPageSize(ps int64) error {
	if ps < MinPageSize || ps&(ps-1) != 0 || ps > 1<<31 {
		return fmt.Errorf("page size %d must be a power of two between %d and 2^31", ps, MinPageSize)
	}
	return nil
}

// zeros writes n zero bytes.
func zeros(w io.Writer, n int64) error {
	var z [64 << 10]byte
	for n > 0 {
		k := min(n, int64(len(z)))
		if _, err := w.Write(z[:k]); err != nil {
			return err
		}
		n -= k
	}
	return nil
}

// assemble writes a whole .beton file to dst: header, field descriptors, metadata,
// zero padding to the first page, the data region (written by data, which must write
// exactly the bytes up to the end of the last payload), zero padding to the end of the
// last page, and the allocation table.
func assemble(dst io.Writer, pageSize int64, entries []entry, p packer, data func(io.Writer) (int64, error)) error {
	n := int64(len(entries))
	lay := newLayout(n, pageSize, p)
	bw := bufio.NewWriterSize(dst, 1<<16)
	var b [fieldDescSize]byte
	le := binary.LittleEndian

	// Header.
	le.PutUint16(b[0:], Version)
	le.PutUint16(b[2:], 2)
	le.PutUint32(b[4:], uint32(pageSize))
	le.PutUint64(b[8:], uint64(n))
	le.PutUint64(b[16:], uint64(lay.allocStart))
	bw.Write(b[:headerSize])

	// Field descriptors: "image" (RGBImageField), then "label" (IntField); FFCV stores
	// no arguments for either.
	for _, f := range []struct {
		typ  byte
		name string
	}{{typeImage, "image"}, {typeInt, "label"}} {
		clear(b[:])
		b[0] = f.typ
		copy(b[1:1+nameSize], f.name)
		bw.Write(b[:fieldDescSize])
	}

	// Metadata table.
	for _, e := range entries {
		clear(b[:metaSize])
		b[0] = byte(e.mode)
		le.PutUint16(b[1:], e.width)
		le.PutUint16(b[3:], e.height)
		le.PutUint64(b[5:], uint64(lay.dataStart+e.rel))
		le.PutUint64(b[16:], uint64(e.label))
		bw.Write(b[:metaSize])
	}
	if err := zeros(bw, lay.dataStart-(metaStart+n*metaSize)); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}

	// Data region.
	written := int64(0)
	if n > 0 {
		var err error
		if written, err = data(dst); err != nil {
			return err
		}
		last := entries[n-1]
		if want := last.rel + last.size; written != want {
			return fmt.Errorf("data region holds %d bytes, want %d", written, want)
		}
	}
	if err := zeros(bw, lay.dataLen-written); err != nil {
		return err
	}

	// Allocation table: one allocation per sample (the image payload), in sample order.
	for i, e := range entries {
		le.PutUint64(b[0:], uint64(i))
		le.PutUint64(b[8:], uint64(lay.dataStart+e.rel))
		le.PutUint64(b[16:], uint64(e.size))
		bw.Write(b[:allocSize])
	}
	return bw.Flush()
}
