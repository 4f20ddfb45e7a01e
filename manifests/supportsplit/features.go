package supportsplit

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/shiftgen/shiftgen/manifests/internal/npy"
)

// Features is an N×D matrix of float32 feature vectors, one row per example, stored
// row-major.
type Features struct {
	Rows, Cols int
	// Data holds Rows·Cols values; row i is Data[i·Cols : (i+1)·Cols].
	Data []float32
}

// Row returns row i (sharing Data).
func (f *Features) Row(i int) []float32 { return f.Data[i*f.Cols : (i+1)*f.Cols : (i+1)*f.Cols] }

// maxCSVLine is the longest CSV line ReadFeatures accepts.
const maxCSVLine = 64 << 20

// ReadFeatures reads a feature matrix from path: a NumPy .npy file holding a 2-D float32
// or float64 array (C or Fortran order, either byte order; a 1-D array is one feature
// per row), or a .csv (or .txt) file with one row of comma-separated numbers per line
// and an optional header line. Values are stored as float32; every value must be finite.
// Errors name the file, and the row and column of a bad value.
func ReadFeatures(path string) (*Features, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	switch strings.ToLower(filepath.Ext(path)) {
	case ".npy":
		st, err := f.Stat()
		if err != nil {
			return nil, err
		}
		feat, err := readNPYFeatures(bufio.NewReaderSize(f, 1<<20), st.Size(), nil)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return feat, nil
	case ".csv", ".txt":
		feat, err := readCSVFeatures(f)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return feat, nil
	}
	return nil, fmt.Errorf("%s: unknown format; save features as NumPy .npy (N×D float32 or float64) or .csv (one row per line)", path)
}

// readNPYFeatures reads a .npy file of size bytes. When exact is not nil and the array
// has one column, exact also receives its values at the file's full precision.
func readNPYFeatures(r *bufio.Reader, size int64, exact *[]float64) (*Features, error) {
	h, err := npy.ReadHeader(r)
	if err != nil {
		return nil, err
	}
	shape := h.Shape
	var rows, cols int
	switch len(shape) {
	case 1:
		rows, cols = shape[0], 1
	case 2:
		rows, cols = shape[0], shape[1]
	default:
		return nil, fmt.Errorf("shape %v: want a 2-D array (N examples × D features)", shape)
	}
	if h.Kind != 'f' || !h.Numeric() {
		return nil, fmt.Errorf("dtype %s is not supported: save features as float32 or float64 (x.astype(np.float32))", h.Descr)
	}
	if rows == 0 || cols == 0 {
		return nil, fmt.Errorf("shape %v holds no features", shape)
	}
	item := int64(h.Size)
	if avail := size - h.DataOffset; int64(rows) > avail/int64(cols)/item {
		return nil, fmt.Errorf("the file ends after %d of %d×%d values; is it truncated?", avail/item, rows, cols)
	}
	feat := &Features{Rows: rows, Cols: cols, Data: make([]float32, rows*cols)}
	total, done := rows*cols, 0
	err = h.Values(r, total, 1<<18, func(vals []float64) error {
		for k, v64 := range vals {
			v := float32(v64)
			i, j := (done+k)/cols, (done+k)%cols
			if h.Fortran {
				i, j = (done+k)%rows, (done+k)/rows
			}
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return badValue(i, j, v64)
			}
			feat.Data[i*cols+j] = v
		}
		if exact != nil && cols == 1 {
			*exact = append(*exact, vals...)
		}
		done += len(vals)
		return nil
	})
	if errors.Is(err, npy.ErrTruncated) {
		return nil, fmt.Errorf("the file ends after %d of %d values (%d×%d); is it truncated?", done, total, rows, cols)
	}
	if err != nil {
		return nil, err
	}
	if _, err := r.ReadByte(); err == nil {
		return nil, fmt.Errorf("the file holds more data than its %d×%d header says; rewrite it with np.save", rows, cols)
	}
	return feat, nil
}

// badValue describes a non-finite feature (0-based row and column).
func badValue(i, j int, v float64) error {
	what := fmt.Sprint(v)
	if !math.IsNaN(v) && !math.IsInf(v, 0) {
		what = fmt.Sprintf("%g, beyond float32's range,", v)
	}
	return fmt.Errorf("row %d (0-based), column %d is %s; features must be finite: fix the feature extractor's output (np.isfinite(x).all() must hold) or drop the record", i, j, what)
}

// readCSVFeatures reads the file twice: once to count rows and columns, once to fill a
// matrix allocated to its exact size.
func readCSVFeatures(f *os.File) (*Features, error) {
	rows, cols, header := 0, 0, false
	err := scanCSV(f, func(line int, fields [][]byte) error {
		if rows == 0 && !header && !numeric(fields[0]) {
			header = true
			return nil
		}
		if cols == 0 {
			cols = len(fields)
		} else if len(fields) != cols {
			return fmt.Errorf("line %d has %d values, earlier rows have %d; every row needs the same number of features", line, len(fields), cols)
		}
		rows++
		return nil
	})
	if err != nil {
		return nil, err
	}
	if rows == 0 {
		return nil, errors.New("no rows of features")
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	feat := &Features{Rows: rows, Cols: cols, Data: make([]float32, rows*cols)}
	i := 0
	err = scanCSV(f, func(line int, fields [][]byte) error {
		if header && line == 1 {
			return nil
		}
		if i >= rows || len(fields) != cols {
			return fmt.Errorf("line %d: the file changed while being read", line)
		}
		for j, fb := range fields {
			v, err := strconv.ParseFloat(string(bytes.TrimSpace(fb)), 64)
			if err != nil {
				return fmt.Errorf("line %d, column %d: %q is not a number", line, j, fb)
			}
			if math.IsNaN(v) || math.IsInf(float32Inf(v), 0) {
				return fmt.Errorf("line %d: %w", line, badValue(i, j, v))
			}
			feat.Data[i*cols+j] = float32(v)
		}
		i++
		return nil
	})
	if err != nil {
		return nil, err
	}
	return feat, nil
}

// float32Inf returns v as it would read as a float32 (±Inf beyond its range).
func float32Inf(v float64) float64 { return float64(float32(v)) }

// numeric reports whether b reads as a number (a header line's first field does not).
func numeric(b []byte) bool {
	_, err := strconv.ParseFloat(string(bytes.TrimSpace(b)), 64)
	return err == nil || errors.Is(err, strconv.ErrRange)
}

// scanCSV calls fn with each non-blank line's comma-separated fields and its 1-based
// line number. Blank lines are only allowed at the end.
func scanCSV(r io.Reader, fn func(line int, fields [][]byte) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<16), maxCSVLine)
	line, blank := 0, 0
	var fields [][]byte
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			blank = line
			continue
		}
		if blank > 0 {
			return fmt.Errorf("line %d is blank; every line must hold one row (rows follow the records in order)", blank)
		}
		fields = fields[:0]
		for {
			i := bytes.IndexByte(b, ',')
			if i < 0 {
				fields = append(fields, b)
				break
			}
			fields = append(fields, b[:i])
			b = b[i+1:]
		}
		if err := fn(line, fields); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("line %d: %w", line+1, err)
	}
	return nil
}

// ReadScores reads one score per example from path: a NumPy .npy vector (N,) or column
// (N, 1) of floats, or a .csv/.txt file with one number per line, or several columns
// under a header naming one "score" or "logit" (an optional header line is skipped).
// Every score must be finite.
func ReadScores(path string) ([]float64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var scores []float64
	switch strings.ToLower(filepath.Ext(path)) {
	case ".npy":
		st, err := f.Stat()
		if err != nil {
			return nil, err
		}
		// Features store float32; scores keep a float64 file's full precision.
		feat, err := readNPYFeatures(bufio.NewReaderSize(f, 1<<20), st.Size(), &scores)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if feat.Cols != 1 {
			return nil, fmt.Errorf("%s: shape (%d, %d): want one score per example, shape (N,) or (N, 1)", path, feat.Rows, feat.Cols)
		}
	case ".csv", ".txt":
		col, header := 0, false
		err := scanCSV(f, func(line int, fields [][]byte) error {
			if line == 1 && !numeric(fields[0]) {
				header = true
				col = -1
				for j, h := range fields {
					if n := strings.ToLower(string(bytes.TrimSpace(h))); n == "score" || n == "logit" {
						col = j
					}
				}
				if col < 0 {
					if len(fields) != 1 {
						return fmt.Errorf("line 1: header %q names no column \"score\" or \"logit\"", bytes.Join(fields, []byte(",")))
					}
					col = 0
				}
				return nil
			}
			if !header && len(fields) != 1 {
				return fmt.Errorf("line %d has %d values; give one score per line, or a header naming the \"score\" column", line, len(fields))
			}
			if col >= len(fields) {
				return fmt.Errorf("line %d has %d values, no column %d", line, len(fields), col)
			}
			v, err := strconv.ParseFloat(string(bytes.TrimSpace(fields[col])), 64)
			if err != nil {
				return fmt.Errorf("line %d: %q is not a number", line, fields[col])
			}
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("line %d: score %v; scores must be finite logits", line, v)
			}
			scores = append(scores, v)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	default:
		return nil, fmt.Errorf("%s: unknown format; save scores as NumPy .npy (N,) or .csv (one per line)", path)
	}
	return scores, nil
}
