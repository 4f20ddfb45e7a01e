package eval

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strings"

	"codeberg.org/sbinet/npyio"
)

// npyRootOf picks the root a .npy file's rows follow: the first root whose Dir holds the
// file, else a root without Dir, else the file's two parent folders if they read
// DIST/SPLIT (as in preds/reference/val/model.npy).
func (d *Dataset) npyRootOf(file string, roots []NPYRoot) (NPYRoot, error) {
	var chosen *NPYRoot
	clean := filepath.Clean(file)
	for i, r := range roots {
		if r.Dir != "" {
			if rel, err := filepath.Rel(r.Dir, clean); err == nil && !strings.HasPrefix(rel, "..") {
				chosen = &roots[i]
				break
			}
		}
	}
	if chosen == nil {
		for i, r := range roots {
			if r.Dir == "" {
				chosen = &roots[i]
				break
			}
		}
	}
	if chosen == nil {
		split := filepath.Base(filepath.Dir(clean))
		dist := filepath.Base(filepath.Dir(filepath.Dir(clean)))
		if dist == "reference" || dist == "shifted" {
			chosen = &NPYRoot{Distribution: dist, Split: split}
		}
	}
	if chosen == nil {
		return NPYRoot{}, fmt.Errorf("cannot tell which ImageFolder root the rows follow: pass --npy-root reference/%s (or shifted/%s), --npy-root DIR=DIST/SPLIT for the files in DIR, or put the file in a folder DIST/SPLIT", d.Split, d.Split)
	}
	if chosen.Split != d.Split {
		return NPYRoot{}, fmt.Errorf("rows follow %s/%s but the evaluated split is %s; pass --split %s or give %s predictions", chosen.Distribution, chosen.Split, d.Split, chosen.Split, d.Split)
	}
	return *chosen, nil
}

// npyChunk is how many values are read at a time.
const npyChunk = 1 << 14

// readNPY reads a .npy file holding, for the images of root in ImageFolder order, either
// N integer predictions or an N×K matrix of float logits (argmax taken, first maximum on
// ties, as NumPy and PyTorch do).
func (s *predSet) readNPY(f io.Reader, root NPYRoot) (err error) {
	// npyio panics on some malformed headers; report those as bad files.
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("malformed .npy file (%v); save it with numpy.save", p)
		}
	}()
	br := bufio.NewReaderSize(f, 1<<16)
	if err := checkNPYHeader(br); err != nil {
		return err
	}
	r, err := npyio.NewReader(br)
	if err != nil {
		return fmt.Errorf("not a NumPy .npy file: %w", err)
	}
	di := distRef
	if root.Distribution == "shifted" {
		di = distShift
	}
	s.d.rootOnce.Do(func() { s.d.rootOrder = s.d.npyOrder() })
	order := s.d.rootOrder[di]
	shape := r.Header.Descr.Shape
	dtype := r.Header.Descr.Type
	k := len(s.d.Manifest.Classes)
	where := fmt.Sprintf("%s/%s", root.Distribution, root.Split)
	if len(shape) == 0 || len(shape) > 2 {
		return fmt.Errorf("shape %v: want (N,) integer predictions or (N, K) logits", shape)
	}
	if shape[0] != len(order) {
		return fmt.Errorf("%d rows but %s has %d images; the rows must follow that ImageFolder root (check --npy-root)", shape[0], where, len(order))
	}
	kind, size := dtypeKind(dtype)
	cols := 1
	if len(shape) == 2 {
		cols = shape[1]
	}
	logits := kind == 'f' && len(shape) == 2
	if logits && cols != k {
		return fmt.Errorf("%d logits per row but the manifest has %d classes; the class count must match (is this the model's output for these classes?)", cols, k)
	}
	if !logits && cols != 1 {
		return fmt.Errorf("shape %v of %s: an N×K array must hold float logits; integer predictions are a vector (N,)", shape, dtype)
	}
	if r.Header.Descr.Fortran && logits {
		return s.npyFortran(r, kind, size, order, cols)
	}
	row := 0
	emit := func(vals []float64) error {
		for i := 0; i+cols <= len(vals); i += cols {
			p, err := s.npyValue(vals[i:i+cols], logits, row)
			if err != nil {
				return err
			}
			if err := s.set(order[row], p, row+1); err != nil {
				return fmt.Errorf("row %d: %w", row, errors.Unwrap(err))
			}
			row++
		}
		return nil
	}
	total := len(order) * cols
	chunk := max(npyChunk/cols, 1) * cols
	switch {
	case kind == 'f' && size == 4:
		return readNPYChunks[float32](r, total, chunk, emit)
	case kind == 'f' && size == 8:
		return readNPYChunks[float64](r, total, chunk, emit)
	case kind == 'i' && size == 1:
		return readNPYChunks[int8](r, total, chunk, emit)
	case kind == 'i' && size == 2:
		return readNPYChunks[int16](r, total, chunk, emit)
	case kind == 'i' && size == 4:
		return readNPYChunks[int32](r, total, chunk, emit)
	case kind == 'i' && size == 8:
		return readNPYChunks[int64](r, total, chunk, emit)
	case kind == 'u' && size == 1:
		return readNPYChunks[uint8](r, total, chunk, emit)
	case kind == 'u' && size == 2:
		return readNPYChunks[uint16](r, total, chunk, emit)
	case kind == 'u' && size == 4:
		return readNPYChunks[uint32](r, total, chunk, emit)
	case kind == 'u' && size == 8:
		return readNPYChunks[uint64](r, total, chunk, emit)
	}
	return fmt.Errorf("dtype %s is not supported: save integer predictions as int64 or logits as float32/float64", dtype)
}

// maxNPYHeader bounds the header length a .npy file may declare.
const maxNPYHeader = 1 << 20

// checkNPYHeader peeks at the magic string, version and header length, so that a
// corrupt file is refused before a reader allocates what it declares.
func checkNPYHeader(br *bufio.Reader) error {
	b, err := br.Peek(12)
	if err != nil || string(b[:6]) != "\x93NUMPY" {
		return fmt.Errorf("not a NumPy .npy file (no \\x93NUMPY magic string); save predictions with numpy.save")
	}
	n := 0
	switch b[6] {
	case 1:
		n = int(binary.LittleEndian.Uint16(b[8:10]))
	case 2, 3:
		n = int(binary.LittleEndian.Uint32(b[8:12]))
	default:
		return fmt.Errorf(".npy format version %d is not supported; save with numpy.save", b[6])
	}
	if n > maxNPYHeader {
		return fmt.Errorf(".npy header of %d bytes is implausible; the file is corrupt", n)
	}
	return nil
}

// dtypeKind splits a NumPy dtype string such as "<f4" into its kind ('f', 'i', 'u') and
// item size in bytes.
func dtypeKind(dtype string) (byte, int) {
	d := strings.TrimLeft(strings.Trim(dtype, "'\" "), "<>|=")
	if len(d) < 2 {
		return 0, 0
	}
	n := 0
	for _, c := range d[1:] {
		if c < '0' || c > '9' {
			return 0, 0
		}
		n = n*10 + int(c-'0')
	}
	return d[0], n
}

// number is an element type readNPYChunks reads.
type number interface {
	~int8 | ~int16 | ~int32 | ~int64 | ~uint8 | ~uint16 | ~uint32 | ~uint64 | ~float32 | ~float64
}

// readNPYChunks reads total values of type T, chunk at a time, and passes them on as
// float64 (exact for labels and for float32 logits).
func readNPYChunks[T number](r *npyio.Reader, total, chunk int, fn func([]float64) error) error {
	buf := make([]T, min(chunk, total))
	vals := make([]float64, len(buf))
	for done := 0; done < total; {
		n := min(chunk, total-done)
		buf = buf[:n]
		if err := r.Read(&buf); err != nil {
			return fmt.Errorf("reading values %d..%d: %w (is the file truncated?)", done, done+n, err)
		}
		vals = vals[:n]
		for i, v := range buf {
			vals[i] = float64(v)
		}
		if err := fn(vals); err != nil {
			return err
		}
		done += n
	}
	return nil
}

// npyValue turns one row into a label: the value itself for predictions, the argmax
// for logits.
func (s *predSet) npyValue(v []float64, logits bool, row int) (int32, error) {
	k := len(s.d.Manifest.Classes)
	if !logits {
		x := v[0]
		if x != math.Trunc(x) || x < 0 || x >= float64(k) {
			return 0, fmt.Errorf("row %d: prediction %v is not a label 0..%d (the manifest has %d classes)", row, x, k-1, k)
		}
		return int32(x), nil
	}
	best := 0
	for j, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return 0, fmt.Errorf("row %d: logit %d is %v; the model's outputs must be finite (check for overflow or a failed batch)", row, j, x)
		}
		if x > v[best] {
			best = j
		}
	}
	return int32(best), nil
}

// npyFortran reads a column-major (Fortran-order) logits matrix whole.
func (s *predSet) npyFortran(r *npyio.Reader, kind byte, size int, order []int32, cols int) error {
	var all []float64
	switch {
	case kind == 'f' && size == 4:
		var a []float32
		if err := r.Read(&a); err != nil {
			return err
		}
		all = make([]float64, len(a))
		for i, x := range a {
			all[i] = float64(x)
		}
	case kind == 'f' && size == 8:
		if err := r.Read(&all); err != nil {
			return err
		}
	default:
		return fmt.Errorf("logits must be float32 or float64")
	}
	n := len(order)
	if len(all) != n*cols {
		return fmt.Errorf("%d values for shape (%d, %d) (is the file truncated?)", len(all), n, cols)
	}
	row := make([]float64, cols)
	for i := range n {
		for j := range cols {
			row[j] = all[j*n+i]
		}
		p, err := s.npyValue(row, true, i)
		if err != nil {
			return err
		}
		if err := s.set(order[i], p, i+1); err != nil {
			return fmt.Errorf("row %d: %w", i, errors.Unwrap(err))
		}
	}
	return nil
}
