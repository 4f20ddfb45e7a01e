package npy

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"unicode/utf8"
)

// Magic starts every .npy file.
const Magic = "\x93NUMPY"

// MaxHeader is the longest header (in bytes) ReadHeader accepts; NumPy's own limit is
// 10,000 bytes for the files it reads back safely.
const MaxHeader = 1 << 20

// Header is what a .npy file's header says about its array.
type Header struct {
	// Major and Minor are the format version: 1.0, 2.0 or 3.0.
	Major, Minor int
	// Descr is the dtype as written, such as "<f4".
	Descr string
	// Kind is the dtype's kind: 'f' (float), 'i' (signed), 'u' (unsigned) or 'b'
	// (bool); Size its item size in bytes; Order its byte order.
	Kind  byte
	Size  int
	Order binary.ByteOrder
	// Fortran is set for column-major data.
	Fortran bool
	// Shape is the array's shape; () is a scalar.
	Shape []int
	// DataOffset is the number of bytes before the data.
	DataOffset int64
}

// ErrNotNPY is returned (wrapped) for a file without the .npy magic string.
var ErrNotNPY = errors.New(`not a NumPy .npy file (no \x93NUMPY magic string); save the array with numpy.save`)

// ReadHeader reads the header of a .npy file from r and leaves r at the first data
// byte. It accepts versions 1.0, 2.0 and 3.0 (NumPy writes each as needed) and refuses,
// with an error and never a panic: a missing magic string, other versions, a header
// longer than MaxHeader or not ending in a newline, anything but the dictionary NumPy
// writes ({'descr': ..., 'fortran_order': ..., 'shape': (...)}), structured, object
// and string dtypes, and shapes with negative dimensions or more than 2^62 items.
func ReadHeader(r io.Reader) (*Header, error) {
	var pre [8]byte
	if _, err := io.ReadFull(r, pre[:]); err != nil || string(pre[:6]) != Magic {
		return nil, ErrNotNPY
	}
	h := &Header{Major: int(pre[6]), Minor: int(pre[7])}
	var n int
	switch {
	case h.Major == 1 && h.Minor == 0:
		var b [2]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, errors.New("the .npy file ends inside its header; is it truncated?")
		}
		n, h.DataOffset = int(binary.LittleEndian.Uint16(b[:])), 10
	case (h.Major == 2 || h.Major == 3) && h.Minor == 0:
		var b [4]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, errors.New("the .npy file ends inside its header; is it truncated?")
		}
		n, h.DataOffset = int(binary.LittleEndian.Uint32(b[:])), 12
	default:
		return nil, fmt.Errorf(".npy format version %d.%d is not supported (1.0, 2.0 and 3.0 are); save the array with numpy.save", h.Major, h.Minor)
	}
	if n > MaxHeader {
		return nil, fmt.Errorf("the .npy header claims %d bytes, more than any array needs; the file is damaged", n)
	}
	text := make([]byte, n)
	if _, err := io.ReadFull(r, text); err != nil {
		return nil, errors.New("the .npy file ends inside its header; is it truncated?")
	}
	h.DataOffset += int64(n)
	if err := h.parse(text); err != nil {
		return nil, fmt.Errorf("malformed .npy header (%v); save the array again with numpy.save", err)
	}
	return h, nil
}

// parse reads the header dictionary.
func (h *Header) parse(text []byte) error {
	if len(text) == 0 || text[len(text)-1] != '\n' {
		return errors.New("it does not end in a newline")
	}
	if h.Major < 3 && !isASCII(text) || !utf8.Valid(text) {
		return errors.New("it is not text")
	}
	p := &parser{s: text}
	seen := map[string]bool{}
	if !p.eat('{') {
		return errors.New("no dictionary")
	}
	for {
		if p.eat('}') {
			break
		}
		key, err := p.str()
		if err != nil {
			return err
		}
		if seen[key] {
			return fmt.Errorf("key %q repeats", key)
		}
		seen[key] = true
		if !p.eat(':') {
			return fmt.Errorf("no ':' after %q", key)
		}
		switch key {
		case "descr":
			if h.Descr, err = p.str(); err != nil {
				return fmt.Errorf("descr: %v (structured dtypes are not supported)", err)
			}
		case "fortran_order":
			switch {
			case p.word("True"):
				h.Fortran = true
			case p.word("False"):
			default:
				return errors.New("fortran_order is neither True nor False")
			}
		case "shape":
			if h.Shape, err = p.tuple(); err != nil {
				return fmt.Errorf("shape: %v", err)
			}
		default:
			return fmt.Errorf("unknown key %q", key)
		}
		if !p.eat(',') {
			if !p.eat('}') {
				return errors.New("no ',' or '}' after a value")
			}
			break
		}
	}
	p.space()
	if p.i != len(p.s) {
		return errors.New("text after the dictionary")
	}
	if !seen["descr"] || !seen["fortran_order"] || !seen["shape"] {
		return errors.New("descr, fortran_order or shape is missing")
	}
	if _, err := h.Count(); err != nil {
		return err
	}
	h.dtype()
	return nil
}

// dtype splits Descr into kind, size and byte order when it has the form of a simple
// dtype ("<f4", "|u1", ">i8"); other dtypes (strings, objects) leave Kind zero, for the
// caller to refuse in its own words.
func (h *Header) dtype() {
	d := h.Descr
	if len(d) < 3 {
		return
	}
	var order binary.ByteOrder = binary.LittleEndian
	switch d[0] {
	case '<', '|', '=':
	case '>':
		order = binary.BigEndian
	default:
		return
	}
	size, err := strconv.Atoi(d[2:])
	if err != nil || size < 1 || size > 16 || d[2] < '0' || d[2] > '9' {
		return
	}
	h.Kind, h.Size, h.Order = d[1], size, order
}

// Count is the number of items of the array (1 for a scalar).
func (h *Header) Count() (int, error) {
	n := 1
	for _, d := range h.Shape {
		if d < 0 {
			return 0, fmt.Errorf("shape %v has a negative dimension", h.Shape)
		}
		if d > 0 && n > (1<<62)/d {
			return 0, fmt.Errorf("shape %v holds more than 2^62 items", h.Shape)
		}
		n *= d
	}
	return n, nil
}

// Numeric reports whether Values can read the dtype: float32 and float64, and signed,
// unsigned and bool integers of 1, 2, 4 or 8 bytes.
func (h *Header) Numeric() bool {
	switch h.Kind {
	case 'f':
		return h.Size == 4 || h.Size == 8
	case 'i', 'u':
		return h.Size == 1 || h.Size == 2 || h.Size == 4 || h.Size == 8
	case 'b':
		return h.Size == 1
	}
	return false
}

// ErrTruncated is returned (wrapped) by Values when the data ends early.
var ErrTruncated = errors.New("the file ends early; is it truncated?")

// Values reads n values of the header's numeric dtype (see Numeric) from r, which is at
// the first value to read, chunk values at a time, and passes each chunk to fn as
// float64 in file order (exact for float32 and for integers up to 2^53). The slice is
// reused between calls.
func (h *Header) Values(r io.Reader, n, chunk int, fn func([]float64) error) error {
	if !h.Numeric() {
		return fmt.Errorf("dtype %s cannot be read as numbers", h.Descr)
	}
	chunk = max(1, min(chunk, n))
	raw := make([]byte, chunk*h.Size)
	vals := make([]float64, chunk)
	for done := 0; done < n; {
		k := min(chunk, n-done)
		if _, err := io.ReadFull(r, raw[:k*h.Size]); err != nil {
			return fmt.Errorf("values %d..%d of %d: %w", done, done+k, n, ErrTruncated)
		}
		for i := range k {
			vals[i] = h.value(raw[i*h.Size:])
		}
		if err := fn(vals[:k]); err != nil {
			return err
		}
		done += k
	}
	return nil
}

// value decodes one item.
func (h *Header) value(b []byte) float64 {
	o := h.Order
	switch h.Kind {
	case 'f':
		if h.Size == 4 {
			return float64(math.Float32frombits(o.Uint32(b)))
		}
		return math.Float64frombits(o.Uint64(b))
	case 'i':
		switch h.Size {
		case 1:
			return float64(int8(b[0]))
		case 2:
			return float64(int16(o.Uint16(b)))
		case 4:
			return float64(int32(o.Uint32(b)))
		}
		return float64(int64(o.Uint64(b)))
	}
	switch h.Size { // 'u', 'b'
	case 1:
		return float64(b[0])
	case 2:
		return float64(o.Uint16(b))
	case 4:
		return float64(o.Uint32(b))
	}
	return float64(o.Uint64(b))
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}

// parser reads the Python literals of a header dictionary.
type parser struct {
	s []byte
	i int
}

func (p *parser) space() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\n' || p.s[p.i] == '\t') {
		p.i++
	}
}

// eat skips spaces and takes c if it comes next.
func (p *parser) eat(c byte) bool {
	p.space()
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

// word takes the identifier w if it comes next.
func (p *parser) word(w string) bool {
	p.space()
	if bytes.HasPrefix(p.s[p.i:], []byte(w)) {
		end := p.i + len(w)
		if end == len(p.s) || !isIdent(p.s[end]) {
			p.i = end
			return true
		}
	}
	return false
}

func isIdent(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// str takes a quoted string without escapes.
func (p *parser) str() (string, error) {
	p.space()
	if p.i >= len(p.s) || (p.s[p.i] != '\'' && p.s[p.i] != '"') {
		return "", errors.New("a quoted string is expected")
	}
	q := p.s[p.i]
	end := bytes.IndexByte(p.s[p.i+1:], q)
	if end < 0 {
		return "", errors.New("a string is not closed")
	}
	s := p.s[p.i+1 : p.i+1+end]
	if bytes.IndexByte(s, '\\') >= 0 {
		return "", errors.New("escapes in strings are not supported")
	}
	p.i += end + 2
	return string(s), nil
}

// tuple takes a tuple of non-negative integers: (), (3,), (3, 4).
func (p *parser) tuple() ([]int, error) {
	if !p.eat('(') {
		return nil, errors.New("a tuple is expected")
	}
	shape := []int{}
	for {
		if p.eat(')') {
			return shape, nil
		}
		p.space()
		start := p.i
		for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
			p.i++
		}
		d, err := strconv.Atoi(string(p.s[start:p.i]))
		if err != nil || d < 0 {
			return nil, errors.New("a dimension is not a non-negative integer")
		}
		p.word("L") // Python 2 longs
		shape = append(shape, d)
		if !p.eat(',') {
			if !p.eat(')') {
				return nil, errors.New("no ',' or ')' after a dimension")
			}
			if len(shape) == 1 {
				return nil, errors.New("a one-dimensional shape needs its comma, (n,)")
			}
			return shape, nil
		}
	}
}
