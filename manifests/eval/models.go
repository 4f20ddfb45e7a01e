package eval

import (
	"cmp"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strings"
)

// Selector picks baseline models: by a glob on the model name (path.Match syntax, e.g.
// "resnet*"), or by a column of a models.csv or accuracies table equal to a value.
type Selector struct {
	Glob          string
	Column, Value string
}

// ParseSelector parses a --baseline value: "COL=VALUE" or a glob.
func ParseSelector(s string) (Selector, error) {
	if col, val, ok := strings.Cut(s, "="); ok {
		if col == "" {
			return Selector{}, fmt.Errorf("--baseline %q: the column name before = is empty; want COL=VALUE or a glob on model names", s)
		}
		return Selector{Column: col, Value: val}, nil
	}
	if _, err := path.Match(s, ""); err != nil {
		return Selector{}, fmt.Errorf("--baseline %q: bad glob: %v", s, err)
	}
	return Selector{Glob: s}, nil
}

// String returns the selector as given on the command line.
func (s Selector) String() string {
	if s.Glob != "" {
		return s.Glob
	}
	return s.Column + "=" + s.Value
}

// Match reports whether the model with the given table row (column → value; may be nil)
// is selected.
func (s Selector) Match(model string, row map[string]string) bool {
	if s.Column == "" {
		ok, _ := path.Match(s.Glob, model)
		return ok
	}
	v, ok := row[s.Column]
	return ok && strings.TrimSpace(v) == s.Value
}

// table is a small CSV table with a header, keyed by one column.
type table struct {
	file   string
	header []string
	rows   []map[string]string
	lines  []int // line of each row
}

// maxTable is the largest models or accuracies table read (bytes): a row per model.
const maxTable = 64 << 20

// readTable reads a whole CSV file with a header line.
func readTable(file string) (*table, error) {
	f, err := openRegular(file, maxTable)
	if err != nil {
		if _, ok := err.(*fs.PathError); ok {
			return nil, err // it names the file
		}
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	defer f.Close()
	cr := csv.NewReader(f)
	cr.FieldsPerRecord = -1
	t := &table{file: file}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		if t.header == nil {
			for i := range rec {
				rec[i] = strings.TrimSpace(strings.TrimPrefix(rec[i], "\xef\xbb\xbf"))
			}
			t.header = rec
			continue
		}
		if len(rec) != len(t.header) {
			return nil, fmt.Errorf("%s:%d: %d fields but the header has %d; every row needs one value per column (an empty value is allowed)", file, line, len(rec), len(t.header))
		}
		row := make(map[string]string, len(rec))
		for i, v := range rec {
			row[t.header[i]] = strings.TrimSpace(v)
		}
		t.rows = append(t.rows, row)
		t.lines = append(t.lines, line)
	}
	if t.header == nil {
		return nil, fmt.Errorf("%s: the file is empty; it needs a header line", file)
	}
	return t, nil
}

// has reports whether the table has column c.
func (t *table) has(c string) bool {
	for _, h := range t.header {
		if h == c {
			return true
		}
	}
	return false
}

// need checks that the table has column c, for the named flag.
func (t *table) need(c, flag string) error {
	if !t.has(c) {
		return fmt.Errorf("%s:1: no column %q (%s); the columns are %s", t.file, c, flag, strings.Join(t.header, ", "))
	}
	return nil
}

// ModelInfo is what a models.csv says about one model.
type ModelInfo struct {
	Group    string
	Baseline bool
	// Row holds every column's value.
	Row map[string]string
}

// ReadModels reads a models.csv (columns model, optionally group, baseline and others)
// and marks baselines: those matched by sel if given; else those whose baseline column
// is 1, true or yes; else those in a group named baseline, baselines or scratch.
func ReadModels(file string, sel []Selector) (map[string]ModelInfo, error) {
	t, err := readTable(file)
	if err != nil {
		return nil, err
	}
	if err := t.need("model", "a models.csv lists model,group[,...]"); err != nil {
		return nil, err
	}
	for _, s := range sel {
		if s.Column != "" {
			if err := t.need(s.Column, "--baseline "+s.String()); err != nil {
				return nil, err
			}
		}
	}
	out := map[string]ModelInfo{}
	line := map[string]int{}
	for i, row := range t.rows {
		m := row["model"]
		if m == "" {
			return nil, fmt.Errorf("%s:%d: empty model name", file, t.lines[i])
		}
		if l, dup := line[m]; dup {
			return nil, fmt.Errorf("%s:%d: model %s is listed twice (also on line %d); list each model once", file, t.lines[i], m, l)
		}
		line[m] = t.lines[i]
		out[m] = ModelInfo{Group: row["group"], Row: row}
	}
	for m, info := range out {
		info.Baseline = isBaseline(m, info.Row, sel, t.has("baseline"))
		if info.Group == "" {
			info.Group = defaultGroup(info.Baseline)
		}
		out[m] = info
	}
	return out, nil
}

// isBaseline applies the rules of ReadModels to one row.
func isBaseline(model string, row map[string]string, sel []Selector, hasCol bool) bool {
	if len(sel) > 0 {
		for _, s := range sel {
			if s.Match(model, row) {
				return true
			}
		}
		return false
	}
	if hasCol {
		switch strings.ToLower(row["baseline"]) {
		case "1", "true", "yes", "y":
			return true
		}
		return false
	}
	switch strings.ToLower(row["group"]) {
	case "baseline", "baselines", "scratch":
		return true
	}
	return false
}

// defaultGroup names the group of a model no table groups.
func defaultGroup(baseline bool) string {
	if baseline {
		return "baseline"
	}
	return "other"
}

// sortedKeys returns m's keys in increasing order.
func sortedKeys[K cmp.Ordered, V any](m map[K]V) []K {
	return slices.Sorted(maps.Keys(m))
}
