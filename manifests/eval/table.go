package eval

import (
	"fmt"
	"math"
	"strconv"
)

// Units of the accuracies in a table.
const (
	UnitsAuto     = "auto"
	UnitsPercent  = "percent"
	UnitsFraction = "fraction"
)

// TableSpec says how to read a table of published accuracies, one row per model.
type TableSpec struct {
	// File is the CSV file.
	File string
	// ModelCol names the models ("" means "model"); RefCol and ShiftCol hold the
	// reference and shifted accuracies; GroupCol, if set, the models' groups.
	ModelCol, RefCol, ShiftCol, GroupCol string
	// Units is UnitsPercent, UnitsFraction or UnitsAuto ("" means auto: percent when
	// any accuracy used exceeds 1).
	Units string
	// Baselines select the baseline models (COL=VALUE on any column, or a glob on
	// model names).
	Baselines []Selector
}

// TableInfo tells how a table was read.
type TableInfo struct {
	// Units is the units the accuracies were read in; Detected is set when they were
	// auto-detected, and Max is the largest accuracy used.
	Units    string
	Detected bool
	Max      float64
	// Rows is the number of models read; Skipped counts rows without a reference or a
	// shifted accuracy.
	Rows, Skipped int
}

// ReadTable reads accuracies from a table such as the ImageNet testbed's
// natural_shift_top1.csv. Rows with an empty reference or shifted cell are skipped
// (counted in TableInfo.Skipped).
func ReadTable(spec TableSpec) ([]Point, TableInfo, error) {
	var info TableInfo
	t, err := readTable(spec.File)
	if err != nil {
		return nil, info, err
	}
	if spec.ModelCol == "" {
		spec.ModelCol = "model"
	}
	if spec.RefCol == "" || spec.ShiftCol == "" {
		return nil, info, fmt.Errorf("%s: name the reference and shifted accuracy columns (--ref-col and --shift-col); the columns are %v", spec.File, t.header)
	}
	for _, c := range []struct{ col, flag string }{{spec.ModelCol, "--model-col"}, {spec.RefCol, "--ref-col"}, {spec.ShiftCol, "--shift-col"}, {spec.GroupCol, "--group-col"}} {
		if c.col != "" {
			if err := t.need(c.col, c.flag); err != nil {
				return nil, info, err
			}
		}
	}
	for _, s := range spec.Baselines {
		if s.Column != "" {
			if err := t.need(s.Column, "--baseline "+s.String()); err != nil {
				return nil, info, err
			}
		}
	}
	type raw struct {
		p    Point
		line int
	}
	var rows []raw
	seen := map[string]int{}
	for i, row := range t.rows {
		line := t.lines[i]
		model := row[spec.ModelCol]
		if model == "" {
			return nil, info, fmt.Errorf("%s:%d: empty %s cell; every row needs a model name", spec.File, line, spec.ModelCol)
		}
		if l, dup := seen[model]; dup {
			return nil, info, fmt.Errorf("%s:%d: model %s appears twice (also on line %d); keep one row per model", spec.File, line, model, l)
		}
		seen[model] = line
		rs, ss := row[spec.RefCol], row[spec.ShiftCol]
		if rs == "" || ss == "" {
			info.Skipped++
			continue
		}
		var v [2]float64
		for j, c := range []struct{ col, s string }{{spec.RefCol, rs}, {spec.ShiftCol, ss}} {
			x, err := strconv.ParseFloat(c.s, 64)
			if err != nil || math.IsNaN(x) || math.IsInf(x, 0) || x < 0 {
				return nil, info, fmt.Errorf("%s:%d: column %s holds %q, not an accuracy (a number in [0, 1] or [0, 100])", spec.File, line, c.col, c.s)
			}
			v[j] = x
			info.Max = math.Max(info.Max, x)
		}
		p := Point{Model: model, Ref: Acc{Value: v[0]}, Shift: Acc{Value: v[1]}}
		for _, s := range spec.Baselines {
			if s.Match(model, row) {
				p.Baseline = true
			}
		}
		if spec.GroupCol != "" {
			p.Group = row[spec.GroupCol]
		}
		if p.Group == "" {
			p.Group = defaultGroup(p.Baseline)
		}
		rows = append(rows, raw{p, line})
	}
	info.Units = spec.Units
	if info.Units == "" || info.Units == UnitsAuto {
		info.Detected = true
		info.Units = UnitsFraction
		if info.Max > 1 {
			info.Units = UnitsPercent
		}
	}
	if info.Units != UnitsPercent && info.Units != UnitsFraction {
		return nil, info, fmt.Errorf("units %q: want auto, percent or fraction", spec.Units)
	}
	scale, limit := 1.0, 1.0
	if info.Units == UnitsPercent {
		scale, limit = 100, 100
	}
	pts := make([]Point, len(rows))
	for i, r := range rows {
		for _, a := range []*Acc{&r.p.Ref, &r.p.Shift} {
			if a.Value > limit {
				return nil, info, fmt.Errorf("%s:%d: model %s has accuracy %g, above %g; the table is read in %s (pass --units to override)", spec.File, r.line, r.p.Model, a.Value, limit, info.Units)
			}
			a.Value /= scale
		}
		pts[i] = r.p
	}
	info.Rows = len(pts)
	if len(pts) == 0 {
		return nil, info, fmt.Errorf("%s: no row has both a %s and a %s accuracy", spec.File, spec.RefCol, spec.ShiftCol)
	}
	return pts, info, nil
}
