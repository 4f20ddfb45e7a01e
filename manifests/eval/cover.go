package eval

import (
	"fmt"
	"io"
	"path"
	"path/filepath"
	"strings"
)

// coverReader reads one model's files that cover several datasets: each row names its
// dataset, by a dataset column (trailing folders of the dataset's path, such as vflip
// or fog/3, with distribution, split and index or a path inside the dataset) or by the
// image's path (see engine.resolve), and goes to that dataset's predSet.
type coverReader struct {
	e     *engine
	ds    []*Dataset
	model string
	sets  []*predSet
	file  string
	// outside counts rows naming images of no evaluated dataset.
	outside int
}

// header refuses rows that cannot name their dataset.
func (r *coverReader) header(c columns) error {
	if c.path < 0 && c.dataset < 0 {
		return fmt.Errorf("the rows name images by distribution, split and index but not their dataset: a file covering several datasets needs a dataset column (%s) or a path column; or put each dataset's predictions in a folder named like it (PREDICTIONS/%s/%s.csv)", listSome(r.e.names, 3), r.e.names[0], r.model)
	}
	return nil
}

// row routes one row to its dataset's predSet.
func (r *coverReader) row(c columns, f [][]byte, line int) error {
	need := max(c.path, c.dataset) + 1
	if len(f) < need {
		return atLine(line, "%d fields but the header names %d columns; every row needs them all", len(f), c.n)
	}
	k := -1
	if c.dataset >= 0 {
		var err error
		if k, err = r.e.matchName(string(f[c.dataset])); err != nil {
			return atLine(line, "dataset %w", err)
		}
		if k < 0 {
			r.outside++
			return nil
		}
	} else {
		var rest string
		k, rest = r.e.resolve(string(f[c.path]))
		if k < 0 {
			r.outside++
			return nil
		}
		f[c.path] = []byte(rest)
	}
	s := r.sets[k]
	if s == nil {
		s = newPredSet(r.ds[k], r.model)
		r.sets[k] = s
	}
	if len(s.files) == 0 || s.files[len(s.files)-1] != r.file {
		s.files = append(s.files, r.file)
	}
	return s.row(c, f, line)
}

// resolve finds the dataset holding the image at p and p's path inside it. p is
// absolute, relative to the working folder, or begins with trailing folders of a
// dataset's path ("vflip/shifted/val/…" or "c/fog/3/n01440764/…"). It returns -1 when
// no evaluated dataset holds p.
func (e *engine) resolve(p string) (int, string) {
	p = filepath.FromSlash(strings.ReplaceAll(p, "\\", "/"))
	abs := p
	if !filepath.IsAbs(p) {
		abs = filepath.Join(e.cwd, p)
	}
	abs = filepath.Clean(abs)
	for dir := filepath.Dir(abs); ; dir = filepath.Dir(dir) {
		if k, ok := e.byDir[dir]; ok {
			if rel, err := filepath.Rel(dir, abs); err == nil {
				return k, filepath.ToSlash(rel)
			}
		}
		if parent := filepath.Dir(dir); parent == dir {
			break
		}
	}
	if filepath.IsAbs(p) {
		return -1, ""
	}
	rel := path.Clean(filepath.ToSlash(p))
	for dir := path.Dir(rel); dir != "." && dir != "/"; dir = path.Dir(dir) {
		if k, err := e.matchName(dir); err == nil && k >= 0 {
			return k, strings.TrimPrefix(rel, dir+"/")
		}
	}
	return -1, ""
}

// readCover reads model i's covering files and returns its hits on each dataset (nil
// where no row names the dataset) and notes on ignored rows.
func (e *engine) readCover(ds []*Dataset, i int) ([]hits, []string, error) {
	model := e.models[i].Model
	r := &coverReader{e: e, ds: ds, model: model, sets: make([]*predSet, len(ds))}
	var notes []string
	for _, file := range e.cover[i] {
		r.file = file
		r.outside = 0
		err := readPredFile(file, r, func(io.Reader) error {
			return fmt.Errorf("a .npy file follows one ImageFolder root of one dataset, so it cannot cover several: put it in a folder named like its dataset (PREDICTIONS/%s/%s)", e.names[0], filepath.Base(file))
		})
		if err != nil {
			return nil, nil, err
		}
		if r.outside > 0 {
			notes = append(notes, fmt.Sprintf("%s: %d rows name images of no dataset evaluated (%s); ignored", file, r.outside, listSome(e.names, 3)))
		}
	}
	out := make([]hits, len(ds))
	for k, s := range r.sets {
		if s == nil {
			continue
		}
		if err := s.complete(strings.Join(s.files, ", ")); err != nil {
			return nil, nil, fmt.Errorf("dataset %s: %w", e.names[k], err)
		}
		if s.ignored > 0 {
			notes = append(notes, fmt.Sprintf("%s: %s: %d predictions for images %s ignored", strings.Join(s.files, ", "), e.names[k], s.ignored, ds[k].notScored()))
		}
		out[k] = newHits(ds[k], s.pred)
	}
	return out, notes, nil
}
