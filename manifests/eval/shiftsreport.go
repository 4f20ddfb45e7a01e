package eval

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// maxModelColumns is the largest number of shifts for which the text form lists every
// model's ER in a table with one column per shift; beyond it, the CSV and JSON forms do.
const maxModelColumns = 12

// Write renders the report in format: "table" or "markdown" (the summary per shift and
// per kind, per-value tables with Config.By, the ImageNet-C metrics), "csv" (the rows of
// every shift's CSV form, each led by the dataset, shift, spec and shift_kind) or "json" (the
// stable contract: every shift's Report under "shifts", with "kinds" and
// "imagenet_c").
func (r *ShiftsReport) Write(w io.Writer, format string) error {
	return writeFormat(w, format, r, r.writeCSV, r.writeText)
}

// writeCSV writes every shift's CSV rows, each led by the dataset, shift name, spec and
// kind.
func (r *ShiftsReport) writeCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(append([]string{"dataset", "shift", "spec", "shift_kind"}, csvHeader...)); err != nil {
		return err
	}
	for _, s := range r.Shifts {
		lead := []string{s.Dataset, s.Shift.Name, s.Shift.Spec, s.Shift.Kind}
		for _, row := range s.csvRows() {
			if err := cw.Write(append(append([]string(nil), lead...), row...)); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

// section writes a heading and an optional line of facts.
func section(b *bytes.Buffer, md bool, head, facts string) {
	if b.Len() > 0 {
		b.WriteString("\n")
	}
	if md {
		fmt.Fprintf(b, "### %s\n\n", head)
		if facts != "" {
			fmt.Fprintf(b, "%s\n\n", facts)
		}
		return
	}
	fmt.Fprintf(b, "%s\n", head)
	if facts != "" {
		fmt.Fprintf(b, "%s\n", facts)
	}
	b.WriteString("\n")
}

// erCell formats a group's mean ER in pp, or "" when the group has no model there.
func erCell(g *GroupResult) string {
	if g == nil {
		return ""
	}
	return pp(g.MeanER)
}

// writeText writes the aligned text or Markdown form.
func (r *ShiftsReport) writeText(w io.Writer, md bool) error {
	var b bytes.Buffer
	facts := fmt.Sprintf("split %s; %s", r.Split, r.ClassMatching)
	if r.Reference != "" {
		facts += fmt.Sprintf("; reference images of the datasets without their own: %s", r.Reference)
	}
	if md {
		facts += "."
	}
	section(&b, md, r.Title, facts)
	hdr := []string{"shift", "kind", "ref/shift images", "baselines", "slope", "intercept", "r"}
	for _, g := range r.Groups {
		hdr = append(hdr, g)
	}
	rows := [][]string{hdr}
	for _, s := range r.Shifts {
		row := []string{s.Label, s.Shift.Kind, fmt.Sprintf("%d/%d", s.Images.Ref, s.Images.Shift), strconv.Itoa(s.Fit.NBaselines),
			fmt.Sprintf("%.4f", s.Fit.Slope), fmt.Sprintf("%+.4f", s.Fit.Intercept), fmt.Sprintf("%.4f", s.Fit.R)}
		for _, g := range r.Groups {
			row = append(row, erCell(s.groupER(g)))
		}
		rows = append(rows, row)
	}
	writeRows(&b, rows, md, 2)
	scale := Probit
	if len(r.Shifts) > 0 {
		scale = r.Shifts[0].Fit.Scale
	}
	fmt.Fprintf(&b, "\nthe baselines' line: %s(shift) = slope·%s(ref) + intercept; the last columns: each group's mean ER, pp\n", scale, scale)

	section(&b, md, "mean ER pp by kind of shift", "the mean over the kind's shifts of each group's mean ER")
	krows := [][]string{append([]string{"kind", "shifts"}, r.Groups...)}
	for _, k := range r.Kinds {
		row := []string{k.Kind, strconv.Itoa(k.Shifts)}
		for _, g := range r.Groups {
			cell := ""
			for _, kg := range k.Groups {
				if kg.Group == g {
					cell = pp(kg.MeanER)
				}
			}
			row = append(row, cell)
		}
		krows = append(krows, row)
	}
	writeRows(&b, krows, md, 1)

	if len(r.Shifts) <= maxModelColumns {
		section(&b, md, "ER pp per model", "")
		mh := []string{"model", "group"}
		for _, s := range r.Shifts {
			mh = append(mh, s.Label)
		}
		mrows := [][]string{mh}
		for _, m := range r.modelOrder() {
			row := []string{m.Model, m.Group}
			for _, s := range r.Shifts {
				cell := ""
				for _, x := range s.Models {
					if x.Model == m.Model {
						cell = pp(x.ER)
					}
				}
				row = append(row, cell)
			}
			mrows = append(mrows, row)
		}
		writeRows(&b, mrows, md, 2)
	} else {
		fmt.Fprintf(&b, "\nER per model of the %d shifts: --format csv or json\n", len(r.Shifts))
	}
	r.writePivots(&b, md)
	if r.ImageNetC != nil {
		r.ImageNetC.writeText(&b, md)
	}
	if len(r.Skipped) > 0 {
		section(&b, md, "skipped", "")
		srows := [][]string{{"dataset", "reason"}}
		for _, s := range r.Skipped {
			srows = append(srows, []string{s.Dataset, s.Reason})
		}
		writeRows(&b, srows, md, 2)
	}
	_, err := w.Write(b.Bytes())
	return err
}

// modelOrder lists every model once, in the order of the shifts' tables.
func (r *ShiftsReport) modelOrder() []ModelResult {
	var out []ModelResult
	seen := map[string]bool{}
	for _, g := range r.Groups {
		for _, s := range r.Shifts {
			for _, m := range s.Models {
				if m.Group == g && !seen[m.Model] {
					seen[m.Model] = true
					out = append(out, m)
				}
			}
		}
	}
	return out
}

// pivot is the mean ER of one group per shift (rows, by shift name) and value of a --by
// field (columns), gathered from every shift's subsets.
type pivot struct {
	field  string
	rows   []string
	values []string
	cells  map[[2]string]string
}

// pivots gathers, for each --by field, every shown group's mean ER per shift name and
// value. A shift name holding one value twice (two datasets of one shift) is shown by
// dataset label instead.
func (r *ShiftsReport) pivots() map[string]map[string]*pivot {
	out := map[string]map[string]*pivot{}
	groups := shownGroups(r.Shifts, r.Groups)
	var fields []string
	for _, s := range r.Shifts {
		for _, f := range sortedKeys(s.By) {
			if !slices.Contains(fields, f) {
				fields = append(fields, f)
			}
		}
	}
	for _, f := range fields {
		rowOf := func(s *ShiftReport) string { return s.Shift.Name }
		dup := map[[2]string]bool{}
		for _, s := range r.Shifts {
			for v := range s.By[f] {
				k := [2]string{s.Shift.Name, v}
				if dup[k] {
					rowOf = func(s *ShiftReport) string { return s.Label }
				}
				dup[k] = true
			}
		}
		out[f] = map[string]*pivot{}
		for _, g := range groups {
			p := &pivot{field: f, cells: map[[2]string]string{}}
			var vals []string
			for _, s := range r.Shifts {
				for v, res := range s.By[f] {
					for _, gr := range res.Groups {
						if gr.Group != g {
							continue
						}
						row := rowOf(s)
						if !slices.Contains(p.rows, row) {
							p.rows = append(p.rows, row)
						}
						if !slices.Contains(vals, v) {
							vals = append(vals, v)
						}
						p.cells[[2]string{row, v}] = pp(gr.MeanER)
					}
				}
			}
			for _, i := range sortValues(vals) {
				p.values = append(p.values, vals[i])
			}
			if len(p.rows) > 0 {
				out[f][g] = p
			}
		}
	}
	return out
}

// writePivots writes one table per --by field and shown group.
func (r *ShiftsReport) writePivots(b *bytes.Buffer, md bool) {
	ps := r.pivots()
	for _, f := range sortedKeys(ps) {
		for _, g := range shownGroups(r.Shifts, r.Groups) {
			p := ps[f][g]
			if p == nil {
				continue
			}
			section(b, md, fmt.Sprintf("mean ER pp of %s by %s", g, f), "")
			rows := [][]string{append([]string{"shift"}, p.values...)}
			for _, row := range p.rows {
				cells := []string{row}
				for _, v := range p.values {
					cells = append(cells, p.cells[[2]string{row, v}])
				}
				rows = append(rows, cells)
			}
			writeRows(b, rows, md, 1)
		}
	}
}

// pctP formats a fraction in percent, or "" for none.
func pctP(x *float64) string {
	if x == nil {
		return ""
	}
	return pct(*x)
}

// writeText writes the ImageNet-C tables: each model's clean error, mCE and relative
// mCE (and the extra corruptions' means), then its error and CE per corruption.
func (c *ImageNetC) writeText(b *bytes.Buffer, md bool) {
	norm := c.Baseline + "'s errors"
	if c.Source != "" {
		norm = c.Source
	}
	facts := fmt.Sprintf("corruption errors (CE) normalised by %s; mCE and relative mCE average the 15 common corruptions, the 4 extra ones are averaged apart", norm)
	if len(c.Missing) > 0 {
		facts += fmt.Sprintf("; not evaluated: %s", listSome(c.Missing, 6))
	}
	section(b, md, "ImageNet-C", facts)
	rows := [][]string{{"model", "group", "clean err %", "mCE %", "relative mCE %", "extra mCE %", "extra relative mCE %"}}
	for _, m := range c.Models {
		rows = append(rows, []string{m.Model, m.Group, pct(m.CleanError), pctP(m.MCE), pctP(m.RelativeMCE), pctP(m.ExtraMCE), pctP(m.ExtraRelativeMCE)})
	}
	writeRows(b, rows, md, 2)
	for _, t := range []struct {
		head string
		cell func(CECorruption) string
	}{
		{"ImageNet-C error % per corruption (mean over severities)", func(x CECorruption) string { return pct(x.Error) }},
		{"ImageNet-C corruption error (CE) % per corruption", func(x CECorruption) string { return pctP(x.CE) }},
		{"ImageNet-C relative CE % per corruption", func(x CECorruption) string { return pctP(x.RelativeCE) }},
	} {
		section(b, md, t.head, "")
		hdr := []string{"model"}
		for _, cor := range Corruptions {
			hdr = append(hdr, cor.Short)
		}
		rows := [][]string{hdr}
		for _, m := range c.Models {
			row := []string{m.Model}
			for _, cor := range Corruptions {
				cell := ""
				for _, x := range m.Corruptions {
					if x.Corruption == cor.Name {
						cell = t.cell(x)
						if len(x.Severities) < 5 {
							cell += "*"
						}
					}
				}
				row = append(row, cell)
			}
			rows = append(rows, row)
		}
		writeRows(b, rows, md, 1)
	}
	fmt.Fprintf(b, "\nshort names: %s; extra: %s; * fewer than 5 severities\n", shortNames(false), shortNames(true))
}

// shortNames lists the corruptions' table headings with their names.
func shortNames(extra bool) string {
	var out []string
	for _, c := range Corruptions {
		if c.Extra == extra && c.Short != c.Name {
			out = append(out, c.Short+" = "+c.Name)
		}
	}
	return strings.Join(out, ", ")
}
