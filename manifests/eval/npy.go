package eval

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strings"

	"github.com/shiftgen/shiftgen/manifests/internal/npy"
)

// npyRootOf picks the root a .npy file's rows follow: the first root whose Dir holds the
// file, else a root without Dir, else the file's two parent folders if they read
// DIST/SPLIT (as in preds/reference/val/model.npy), else the dataset's only root when
// all its scored images are of one distribution.
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
		// A dataset of one distribution (the ImageNet-C layout, an index) has one root.
		var n [2]int
		for _, im := range d.images {
			n[im.dist]++
		}
		for di := range n {
			if n[di] == len(d.images) {
				chosen = &NPYRoot{Distribution: distNames[di], Split: d.Split}
			}
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
func (s *predSet) readNPY(f io.Reader, root NPYRoot) error {
	br := bufio.NewReaderSize(f, 1<<16)
	h, err := npy.ReadHeader(br)
	if err != nil {
		return err
	}
	di := distRef
	if root.Distribution == "shifted" {
		di = distShift
	}
	s.d.rootOnce.Do(func() { s.d.rootOrder = s.d.npyOrder() })
	order := s.d.rootOrder[di]
	shape := h.Shape
	k := len(s.d.Manifest.Classes)
	where := fmt.Sprintf("%s/%s", root.Distribution, root.Split)
	if len(shape) == 0 || len(shape) > 2 {
		return fmt.Errorf("shape %v: want (N,) integer predictions or (N, K) logits", shape)
	}
	if shape[0] != len(order) {
		follow := "that ImageFolder root"
		if s.d.packed {
			follow = "its containers' sample order"
		}
		return fmt.Errorf("%d rows but %s has %d images; the rows must follow %s (check --npy-root)", shape[0], where, len(order), follow)
	}
	if !h.Numeric() || h.Kind == 'b' {
		return fmt.Errorf("dtype %s is not supported: save integer predictions as int64 or logits as float32/float64", h.Descr)
	}
	cols := 1
	if len(shape) == 2 {
		cols = shape[1]
	}
	logits := h.Kind == 'f' && len(shape) == 2
	if logits && cols != k {
		return fmt.Errorf("%d logits per row but the manifest has %d classes; the class count must match (is this the model's output for these classes?)", cols, k)
	}
	if !logits && cols != 1 {
		return fmt.Errorf("shape %v of %s: an N×K array must hold float logits; integer predictions are a vector (N,)", shape, h.Descr)
	}
	if h.Fortran && logits {
		return s.npyFortran(br, h, order, cols)
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
	return h.Values(br, len(order)*cols, max(npyChunk/cols, 1)*cols, emit)
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
func (s *predSet) npyFortran(r io.Reader, h *npy.Header, order []int32, cols int) error {
	n := len(order)
	all := make([]float64, 0, n*cols)
	if err := h.Values(r, n*cols, npyChunk, func(v []float64) error { all = append(all, v...); return nil }); err != nil {
		return err
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
