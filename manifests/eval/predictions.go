package eval

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/shiftgen/shiftgen/manifests"
)

// Prediction file extensions, lower case.
var predExts = map[string]bool{".csv": true, ".jsonl": true, ".npy": true}

// ModelFiles is one model's prediction files. A model may spread its predictions over
// several files with the same stem (for instance one .npy per ImageFolder root).
type ModelFiles struct {
	// Model is the files' common stem.
	Model string
	Files []string
}

// FindPredictions expands paths (files, or folders searched recursively for .csv, .jsonl
// and .npy files) into models, one per file stem, sorted by name. Files listed in skip
// (such as a models.csv inside a predictions folder) are left out.
func FindPredictions(paths, skip []string) ([]ModelFiles, error) {
	abs := func(p string) string {
		if a, err := filepath.Abs(p); err == nil {
			return a
		}
		return filepath.Clean(p)
	}
	skipped := map[string]bool{}
	for _, s := range skip {
		if s != "" {
			skipped[abs(s)] = true
		}
	}
	byModel := map[string][]string{}
	add := func(p string) {
		if skipped[abs(p)] {
			return
		}
		stem := stemOf(p)
		byModel[stem] = append(byModel[stem], p)
	}
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("--predictions %s: %w", p, err)
		}
		if !st.IsDir() {
			if !predExts[strings.ToLower(filepath.Ext(p))] {
				return nil, fmt.Errorf("--predictions %s: unknown format; name prediction files *.csv, *.jsonl or *.npy", p)
			}
			add(p)
			continue
		}
		n := 0
		err = filepath.WalkDir(p, func(q string, e fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if e.Type().IsRegular() && predExts[strings.ToLower(filepath.Ext(q))] {
				add(q)
				n++
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("--predictions %s: %w", p, err)
		}
		if n == 0 {
			return nil, fmt.Errorf("--predictions %s: the folder holds no .csv, .jsonl or .npy file", p)
		}
	}
	out := make([]ModelFiles, 0, len(byModel))
	for m, files := range byModel {
		sort.Strings(files)
		uniq := files[:0]
		for i, f := range files {
			if i == 0 || f != files[i-1] {
				uniq = append(uniq, f)
			}
		}
		out = append(out, ModelFiles{Model: m, Files: uniq})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Model < out[j].Model })
	return out, nil
}

// quoteShort quotes b for a message, cut to its first 60 bytes (with the full length
// said) so that a huge or binary input cannot flood the terminal.
func quoteShort(b []byte) string {
	const keep = 60
	if len(b) <= keep {
		return strconv.Quote(string(b))
	}
	return fmt.Sprintf("%s… (%d bytes)", strconv.Quote(string(b[:keep])), len(b))
}

// openRegular opens file for reading, refusing what is not a regular file (a device or
// a pipe named .csv would never end) and, when max > 0, files over max bytes.
func openRegular(file string, max int64) (*os.File, error) {
	fi, err := os.Stat(file)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("not a regular file (%s); give a file of predictions", fi.Mode().Type())
	}
	if max > 0 && fi.Size() > max {
		return nil, fmt.Errorf("the file holds %d bytes, more than the %d this reader accepts", fi.Size(), max)
	}
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("not a regular file; give a file of predictions")
	}
	return f, nil
}

// stemOf returns a file's base name without its extension.
func stemOf(p string) string {
	b := filepath.Base(p)
	return strings.TrimSuffix(b, filepath.Ext(b))
}

// NPYRoot says which ImageFolder root a .npy file's rows follow: the images of
// Distribution/Split in ImageFolder order. Dir, when set, limits it to .npy files inside
// that folder.
type NPYRoot struct {
	Dir          string
	Distribution string
	Split        string
}

// ParseNPYRoot parses "DIST/SPLIT" or "DIR=DIST/SPLIT", e.g. "reference/val" or
// "preds/shifted=shifted/val".
func ParseNPYRoot(s string) (NPYRoot, error) {
	var r NPYRoot
	root := s
	if dir, rest, ok := strings.Cut(s, "="); ok {
		r.Dir, root = filepath.Clean(dir), rest
	}
	dist, split, ok := strings.Cut(strings.Trim(root, "/"), "/")
	if !ok || (dist != "reference" && dist != "shifted") || split == "" || strings.Contains(split, "/") {
		return r, fmt.Errorf("--npy-root %q: want DIST/SPLIT such as reference/val or shifted/val, optionally DIR=DIST/SPLIT for the .npy files inside DIR", s)
	}
	r.Distribution, r.Split = dist, split
	return r, nil
}

// predSet collects one model's predictions, one per image of the evaluated split.
type predSet struct {
	d     *Dataset
	model string
	pred  []int32 // -1: none yet
	from  []int32 // file number<<24 | line, for duplicate messages
	files []string
	// ignored counts predictions for images of other splits.
	ignored int
	// next is the image after the last one looked up: files usually list images in
	// the dataset's order, so it is tried before the map.
	next int32
}

func newPredSet(d *Dataset, model string) *predSet {
	s := &predSet{d: d, model: model, pred: make([]int32, len(d.images)), from: make([]int32, len(d.images))}
	for i := range s.pred {
		s.pred[i] = -1
	}
	return s
}

// set records prediction p for image id, read at line of the current file.
func (s *predSet) set(id, p int32, line int) error {
	if s.pred[id] >= 0 {
		f, l := s.from[id]>>24, s.from[id]&(1<<24-1)
		return atLine(line, "duplicate prediction for image %s (already given at %s:%d); keep one row per image", s.d.images[id].path, s.files[f], l)
	}
	s.pred[id] = p
	s.from[id] = int32(len(s.files)-1)<<24 | int32(min(line, 1<<24-1))
	return nil
}

// lineError is an error at a line of a predictions file; ReadPredictions reports it as
// FILE:LINE: message.
type lineError struct {
	line int
	err  error
}

// Error returns the message with its line.
func (e *lineError) Error() string { return fmt.Sprintf("line %d: %v", e.line, e.err) }

// Unwrap returns the message without its line.
func (e *lineError) Unwrap() error { return e.err }

// atLine returns a lineError.
func atLine(line int, format string, args ...any) error {
	return &lineError{line, fmt.Errorf(format, args...)}
}

// errIgnored marks an image of another split.
var errIgnored = errors.New("image of another split")

// lookupPath finds the image a dataset-relative path names.
func (s *predSet) lookupPath(p []byte) (int32, error) {
	if int(s.next) < len(s.d.images) && s.d.images[s.next].path == string(p) {
		s.next++
		return s.next - 1, nil
	}
	if id, ok := s.d.byPath[string(p)]; ok {
		s.next = id + 1
		return id, nil
	}
	q := string(p)
	if filepath.IsAbs(q) {
		if rel, err := filepath.Rel(s.d.Dir, q); err == nil {
			q = filepath.ToSlash(rel)
		}
	}
	q = cleanPath(q)
	if id, ok := s.d.byPath[q]; ok {
		return id, nil
	}
	h := fnv.New64a()
	h.Write([]byte(q))
	if _, ok := s.d.other[h.Sum64()]; ok {
		return 0, errIgnored
	}
	if s.d.packed {
		return 0, fmt.Errorf("unknown image %s: the images of %s sit in containers, named by the container and place, like %q (or give distribution,split,sample or distribution,split,index columns)", quoteShort(p), s.d.recordsPath, s.d.images[0].path)
	}
	return 0, fmt.Errorf("unknown image %s: no record of %s has this path (paths are relative to the dataset folder %s, like %q)", quoteShort(p), s.d.recordsPath, s.d.Dir, s.d.images[0].path)
}

// lookupSample finds the image at position sample of a distribution's container order
// (its .beton, or its tar shards read in order).
func (s *predSet) lookupSample(dist, split, sample []byte) (int32, error) {
	di, err := distIndex(dist)
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseInt(string(sample), 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("sample %s: want a non-negative integer", quoteShort(sample))
	}
	if !s.d.packed {
		return 0, fmt.Errorf("a sample column numbers images in containers, but the images of %s are files; give path or distribution,split,index columns", s.d.recordsPath)
	}
	if string(split) != s.d.Split {
		return 0, errIgnored
	}
	id, ok := s.d.bySample[di][n]
	if !ok {
		return 0, fmt.Errorf("unknown image %s/%s sample %d: %s has %d %s images of split %s (samples 0..%d)", dist, split, n, s.d.recordsPath, len(s.d.bySample[di]), dist, s.d.Split, len(s.d.bySample[di])-1)
	}
	return id, nil
}

// distIndex reads a distribution name.
func distIndex(dist []byte) (int, error) {
	switch string(dist) {
	case "reference":
		return distRef, nil
	case "shifted":
		return distShift, nil
	}
	return 0, fmt.Errorf("distribution %s: want reference or shifted", quoteShort(dist))
}

// lookupIndex finds the image given by distribution, split and index.
func (s *predSet) lookupIndex(dist, split, index []byte) (int32, error) {
	di, err := distIndex(dist)
	if err != nil {
		return 0, err
	}
	i, err := strconv.Atoi(string(index))
	if err != nil || i < 0 {
		return 0, fmt.Errorf("index %s: want a non-negative integer", quoteShort(index))
	}
	if string(split) != s.d.Split {
		return 0, errIgnored
	}
	id, ok := s.d.byIndex[di][i]
	if !ok {
		return 0, fmt.Errorf("unknown image %s/%s/%d: no record of %s has this distribution, split and index", dist, split, i, s.d.recordsPath)
	}
	return id, nil
}

// parseLabel reads a prediction or label: a label number or a class name.
func (s *predSet) parseLabel(b []byte) (int32, error) {
	if n, ok := atoi(b); ok {
		if n < 0 || n >= len(s.d.Manifest.Classes) {
			return 0, fmt.Errorf("label %d is out of range: the manifest has %d classes, labels 0..%d; write labels in the manifest's class order (ImageFolder's) or class names", n, len(s.d.Manifest.Classes), len(s.d.Manifest.Classes)-1)
		}
		return int32(n), nil
	}
	if id, ok := s.d.classID[string(b)]; ok {
		return id, nil
	}
	return 0, fmt.Errorf("prediction %s is neither a label number (0..%d) nor a class name of the manifest (like %q)", quoteShort(b), len(s.d.Manifest.Classes)-1, s.d.Manifest.Classes[0].Name)
}

// atoi parses a non-empty run of decimal digits with an optional sign.
func atoi(b []byte) (int, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	neg := false
	if b[0] == '-' || b[0] == '+' {
		neg = b[0] == '-'
		b = b[1:]
		if len(b) == 0 {
			return 0, false
		}
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

// columns are the positions of the known columns of a CSV header (-1: absent).
type columns struct {
	path, dist, split, index, sample, pred, label int
	// dataset names the dataset of a row in a file covering several (see coverReader).
	dataset int
	n       int
}

func parseHeader(fields []string) (columns, error) {
	c := columns{path: -1, dist: -1, split: -1, index: -1, sample: -1, pred: -1, label: -1, dataset: -1, n: len(fields)}
	for i, f := range fields {
		switch strings.ToLower(strings.TrimSpace(f)) {
		case "path":
			c.path = i
		case "distribution":
			c.dist = i
		case "split":
			c.split = i
		case "index":
			c.index = i
		case "sample":
			c.sample = i
		case "prediction":
			c.pred = i
		case "label":
			c.label = i
		case "dataset":
			c.dataset = i
		}
	}
	if c.pred < 0 {
		return c, fmt.Errorf("the header %s has no prediction column; the first line must name the columns, e.g. path,prediction or distribution,split,index,prediction", quoteShort([]byte(strings.Join(fields, ","))))
	}
	if c.path < 0 && (c.dist < 0 || c.split < 0 || (c.index < 0 && c.sample < 0)) {
		return c, fmt.Errorf("the header %s names no image: add a path column (relative to the dataset folder), or distribution, split and index columns (or sample, the position in a container's order)", quoteShort([]byte(strings.Join(fields, ","))))
	}
	return c, nil
}

// rowSink takes the rows of a predictions file: a predSet (one dataset) or a
// coverReader (several).
type rowSink interface {
	// header checks the columns a file's rows have.
	header(c columns) error
	// row handles one row's fields.
	row(c columns, f [][]byte, line int) error
}

// header accepts any columns parseHeader accepts.
func (s *predSet) header(columns) error { return nil }

// row handles one row's fields: the image key, the prediction and the optional label.
func (s *predSet) row(c columns, f [][]byte, line int) error {
	need := max(c.path, c.dist, c.split, c.index, c.sample, c.pred, c.label) + 1
	if len(f) < need {
		return atLine(line, "%d fields but the header names %d columns; every row needs them all", len(f), c.n)
	}
	var id int32
	var err error
	switch {
	case c.path >= 0:
		id, err = s.lookupPath(f[c.path])
	case c.index >= 0:
		id, err = s.lookupIndex(f[c.dist], f[c.split], f[c.index])
	default:
		id, err = s.lookupSample(f[c.dist], f[c.split], f[c.sample])
	}
	if err == errIgnored {
		s.ignored++
		return nil
	}
	if err != nil {
		return atLine(line, "%w", err)
	}
	p, err := s.parseLabel(f[c.pred])
	if err != nil {
		return atLine(line, "%w", err)
	}
	if c.label >= 0 {
		l, err := s.parseLabel(f[c.label])
		if err != nil {
			return atLine(line, "label column: %w", err)
		}
		if want := s.d.images[id].label; l != want {
			return atLine(line, "the label column says %d but the manifest gives image %s label %d; are the rows in the dataset's order and the classes in the same order as the manifest's?", l, s.d.images[id].path, want)
		}
	}
	return s.set(id, p, line)
}

// MaxLine is the longest line (or CSV record) a predictions file may hold, in bytes:
// far more than any path and prediction need, small enough that a file of one endless
// line is refused without being held in memory.
const MaxLine = 1 << 20

// errLongLine reports a line over MaxLine.
var errLongLine = fmt.Errorf("the line is longer than %d bytes; a prediction file holds one short row per image (is this the right file?)", MaxLine)

// lineReader reads the lines of r, each without its line ending, refusing lines over
// MaxLine without reading them whole.
type lineReader struct {
	br   *bufio.Reader
	long []byte
}

func newLineReader(r io.Reader) *lineReader { return &lineReader{br: bufio.NewReaderSize(r, 1<<16)} }

// next returns the next line (valid until the next call), or io.EOF after the last.
func (l *lineReader) next() ([]byte, error) {
	b, err := l.br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		l.long = append(l.long[:0], b...)
		for errors.Is(err, bufio.ErrBufferFull) {
			if len(l.long) > MaxLine {
				return nil, errLongLine
			}
			b, err = l.br.ReadSlice('\n')
			l.long = append(l.long, b...)
		}
		b = l.long
	}
	if len(b) > MaxLine+2 {
		return nil, errLongLine
	}
	if err != nil && (err != io.EOF || len(b) == 0) {
		return nil, err
	}
	return bytes.TrimRight(b, "\r\n"), nil
}

// readCSV reads a CSV predictions file as RFC 4180 has it: fields may be quoted, and a
// quoted field may hold commas, quotes (doubled) and line breaks. Rows without quotes
// are split by a fast path; quoted rows, gathered over as many lines as their quotes
// span, go through encoding/csv.
func readCSV(r io.Reader, s rowSink) error {
	lr := newLineReader(r)
	var c columns
	var fields [][]byte
	var rec []byte
	line, start := 0, 0
	for {
		b, err := lr.next()
		if err == io.EOF {
			if rec != nil {
				return atLine(start, "a quoted field is not closed before the end of the file")
			}
			break
		}
		if err != nil {
			return atLine(line+1, "%w", err)
		}
		line++
		if rec != nil || bytes.IndexByte(b, '"') >= 0 {
			// A record is whole once its quotes pair up.
			if rec == nil {
				start = line
				rec = append(rec, b...)
			} else {
				rec = append(append(rec, '\n'), b...)
			}
			if len(rec) > MaxLine {
				return atLine(start, "%w", errLongLine)
			}
			if bytes.Count(rec, []byte{'"'})%2 == 1 {
				continue
			}
			b, rec = rec, nil
		} else {
			start = line
		}
		if start == 1 {
			b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
			h, herr := csvFields(b)
			if herr != nil {
				return atLine(1, "header: %w", herr)
			}
			if c, herr = parseHeader(h); herr != nil {
				return atLine(1, "%w", herr)
			}
			if herr = s.header(c); herr != nil {
				return atLine(1, "%w", herr)
			}
			continue
		}
		if len(b) == 0 {
			continue
		}
		if bytes.IndexByte(b, '"') >= 0 {
			f, cerr := csvFields(b)
			if cerr != nil {
				return atLine(start, "%w", cerr)
			}
			fields = fields[:0]
			for _, x := range f {
				fields = append(fields, []byte(x))
			}
		} else {
			fields = splitComma(fields[:0], b)
		}
		if rerr := s.row(c, fields, start); rerr != nil {
			return rerr
		}
	}
	if line == 0 {
		return fmt.Errorf("the file is empty; it needs a header line and one row per image")
	}
	return nil
}

// csvFields parses one whole CSV record (which may span lines inside quotes).
func csvFields(b []byte) ([]string, error) {
	cr := csv.NewReader(bytes.NewReader(b))
	cr.FieldsPerRecord = -1
	f, err := cr.Read()
	if err != nil {
		return nil, err
	}
	if _, err := cr.Read(); err != io.EOF {
		return nil, errors.New("one record holds more than one CSV line; close the quotes of every quoted field")
	}
	return f, nil
}

// splitComma splits b at commas into dst, trimming spaces around fields.
func splitComma(dst [][]byte, b []byte) [][]byte {
	for {
		i := bytes.IndexByte(b, ',')
		if i < 0 {
			return append(dst, bytes.TrimSpace(b))
		}
		dst = append(dst, bytes.TrimSpace(b[:i]))
		b = b[i+1:]
	}
}

// jsonRow is one line of a JSONL predictions file.
type jsonRow struct {
	Path         *manifests.Name `json:"path"`
	Distribution *string         `json:"distribution"`
	Split        *string         `json:"split"`
	Index        json.RawMessage `json:"index"`
	Sample       json.RawMessage `json:"sample"`
	Prediction   json.RawMessage `json:"prediction"`
	Label        json.RawMessage `json:"label"`
	Dataset      *string         `json:"dataset"`
}

// readJSONL reads a JSONL predictions file: one object per line with "prediction" and
// either "path" or "distribution", "split" and "index" (or "sample", for images in
// containers).
func readJSONL(r io.Reader, s rowSink) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), MaxLine)
	c := columns{path: 0, dist: -1, split: -1, index: -1, sample: -1, pred: 1, label: -1, dataset: -1, n: 2}
	ci := columns{path: -1, dist: 0, split: 1, index: 2, sample: -1, pred: 3, label: -1, dataset: -1, n: 4}
	cs := columns{path: -1, dist: 0, split: 1, index: -1, sample: 2, pred: 3, label: -1, dataset: -1, n: 4}
	line := 0
	var f [][]byte
	for sc.Scan() {
		line++
		b := sc.Bytes()
		if line == 1 {
			b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf")) // a byte-order mark, as some editors write
		}
		b = bytes.TrimSpace(b)
		if len(b) == 0 {
			continue
		}
		var jr jsonRow
		if err := json.Unmarshal(b, &jr); err != nil {
			return atLine(line, "%v; each line must be a JSON object like {\"path\": \"reference/val/c/x.png\", \"prediction\": 3}", err)
		}
		if jr.Prediction == nil {
			return atLine(line, "no \"prediction\" key; each line needs a prediction (a label number or a class name)")
		}
		pred, err := rawScalar(jr.Prediction)
		if err != nil {
			return atLine(line, "prediction: %w", err)
		}
		cols := c
		switch {
		case jr.Path != nil:
			f = append(f[:0], []byte(*jr.Path), pred)
		case jr.Distribution != nil && jr.Split != nil && jr.Index != nil:
			idx, err := rawScalar(jr.Index)
			if err != nil {
				return atLine(line, "index: %w", err)
			}
			f = append(f[:0], []byte(*jr.Distribution), []byte(*jr.Split), idx, pred)
			cols = ci
		case jr.Distribution != nil && jr.Split != nil && jr.Sample != nil:
			n, err := rawScalar(jr.Sample)
			if err != nil {
				return atLine(line, "sample: %w", err)
			}
			f = append(f[:0], []byte(*jr.Distribution), []byte(*jr.Split), n, pred)
			cols = cs
		default:
			return atLine(line, "the object names no image: give \"path\" (relative to the dataset folder) or \"distribution\", \"split\" and \"index\" (or \"sample\")")
		}
		if jr.Label != nil {
			l, err := rawScalar(jr.Label)
			if err != nil {
				return atLine(line, "label: %w", err)
			}
			cols.label = len(f)
			f = append(f, l)
		}
		if jr.Dataset != nil {
			cols.dataset = len(f)
			f = append(f, []byte(*jr.Dataset))
		}
		if err := s.header(cols); err != nil {
			return atLine(line, "%w", err)
		}
		if err := s.row(cols, f, line); err != nil {
			return err
		}
	}
	if err := sc.Err(); errors.Is(err, bufio.ErrTooLong) {
		return atLine(line+1, "%w", errLongLine)
	} else if err != nil {
		return atLine(line+1, "%w", err)
	}
	if line == 0 {
		return fmt.Errorf("the file is empty; it needs one JSON object per image")
	}
	return nil
}

// rawScalar returns a JSON string's contents or an integer's digits.
func rawScalar(raw json.RawMessage) ([]byte, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '"' {
		s, err := manifests.ParseName(raw)
		if err != nil {
			return nil, err
		}
		return []byte(s), nil
	}
	if _, ok := atoi(raw); ok {
		return raw, nil
	}
	return nil, fmt.Errorf("%s is not an integer or a string", quoteShort(raw))
}

// ReadPredictions reads one model's files and returns its predicted label for every
// image of the evaluated split, by image position. roots say which ImageFolder root each
// .npy file follows (see NPYRoot; a .npy under a folder DIST/SPLIT needs none). It
// returns the number of predictions for images of other splits, which are ignored.
// Every image must be predicted exactly once.
func (d *Dataset) ReadPredictions(mf ModelFiles, roots []NPYRoot) (pred []int32, ignored int, err error) {
	s := newPredSet(d, mf.Model)
	for _, file := range mf.Files {
		s.files = append(s.files, file)
		err := readPredFile(file, s, func(f io.Reader) error {
			root, err := d.npyRootOf(file, roots)
			if err != nil {
				return err
			}
			return s.readNPY(f, root)
		})
		if err != nil {
			return nil, 0, err
		}
	}
	if err := s.complete(strings.Join(mf.Files, ", ")); err != nil {
		return nil, 0, err
	}
	return s.pred, s.ignored, nil
}

// complete checks that every image has a prediction; files names the files read, for
// the message.
func (s *predSet) complete(files string) error {
	missing, first := 0, -1
	for i, p := range s.pred {
		if p < 0 {
			if first < 0 {
				first = i
			}
			missing++
		}
	}
	if missing == 0 {
		return nil
	}
	d := s.d
	im := d.images[first]
	return fmt.Errorf("%s: model %s has no prediction for %d of the %d images of split %s (the first is %s, %s/%s index %d); predict every reference and shifted image of the split, and give one model's files the same name",
		files, s.model, missing, len(s.pred), d.Split, im.path, distNames[im.dist], d.Split, im.index)
}

// readPredFile reads a prediction file's rows into s, by its extension: CSV, JSONL, or
// .npy, which readNPY reads. Errors name the file and, for a bad row, its line.
func readPredFile(file string, s rowSink, readNPY func(io.Reader) error) error {
	f, err := openRegular(file, 0)
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	defer f.Close()
	switch strings.ToLower(filepath.Ext(file)) {
	case ".csv":
		err = readCSV(f, s)
	case ".jsonl":
		err = readJSONL(f, s)
	case ".npy":
		err = readNPY(f)
	default:
		err = fmt.Errorf("unknown format; name prediction files *.csv, *.jsonl or *.npy")
	}
	var le *lineError
	if errors.As(err, &le) {
		return fmt.Errorf("%s:%d: %w", file, le.line, le.err)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	return nil
}
