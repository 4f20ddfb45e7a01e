package eval

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
)

// Formats Report.Write renders.
var Formats = []string{"table", "csv", "json", "markdown"}

// Write renders the report in format: "table" (aligned text, accuracies in percent, ER
// in percentage points), "markdown" (the same as Markdown tables), "csv" (one row per
// model and per group, fractions) or "json" (the stable contract, fractions).
func (r *Report) Write(w io.Writer, format string) error {
	return writeFormat(w, format, r, r.writeCSV, r.writeText)
}

// writeFormat renders a report v in format, one of Formats: "json" encodes v (indented,
// HTML characters unescaped, with a final newline), "csv" calls csv, "table" (or empty)
// and "markdown" call text, with md set for Markdown.
func writeFormat(w io.Writer, format string, v any, csv func(io.Writer) error, text func(w io.Writer, md bool) error) error {
	switch format {
	case "json":
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			return err
		}
		_, err := w.Write(buf.Bytes())
		return err
	case "csv":
		return csv(w)
	case "table", "":
		return text(w, false)
	case "markdown":
		return text(w, true)
	}
	return fmt.Errorf("unknown format %q; use one of %s", format, strings.Join(Formats, ", "))
}

// subsets lists the report's results in output order: overall, then each field's values
// as sorted by sortValues.
func (r *Report) subsets() []struct {
	field, value string
	res          *Result
} {
	out := []struct {
		field, value string
		res          *Result
	}{{"", "", &r.Result}}
	for _, f := range sortedKeys(r.By) {
		vals := sortedKeys(r.By[f])
		for _, i := range sortValues(vals) {
			out = append(out, struct {
				field, value string
				res          *Result
			}{f, vals[i], r.By[f][vals[i]]})
		}
	}
	return out
}

// keepRatesNote qualifies the image counts of a dataset with per-class keep rates.
const keepRatesNote = "reference not class-matched: the class proportions are the shift"

func pct(x float64) string { return strconv.FormatFloat(100*x, 'f', 2, 64) }
func pp(x float64) string  { return fmt.Sprintf("%+.2f", 100*x) }

// writeText writes the aligned text or Markdown form.
func (r *Report) writeText(w io.Writer, md bool) error {
	var b bytes.Buffer
	boot := r.Bootstrap > 0
	for i, s := range r.subsets() {
		res := s.res
		if i > 0 {
			b.WriteString("\n")
		}
		head := r.Title
		if s.field != "" {
			head = fmt.Sprintf("%s, %s = %s", r.Title, s.field, s.value)
		}
		var facts []string
		if r.Split != "" {
			facts = append(facts, "split "+r.Split)
		}
		if im := res.Images; im != nil {
			f := fmt.Sprintf("%d reference and %d shifted images", im.Ref, im.Shift)
			switch {
			case im.ClassMatched:
				f += fmt.Sprintf(" (reference class-matched to the %d shifted classes)", im.Classes)
			case im.KeepRates:
				f += " (" + keepRatesNote + ")"
			}
			facts = append(facts, f)
		}
		if r.Units != "" {
			facts = append(facts, "accuracies read as "+r.Units)
		}
		if md {
			fmt.Fprintf(&b, "### %s\n\n", head)
			if len(facts) > 0 {
				fmt.Fprintf(&b, "%s.\n\n", strings.Join(facts, "; "))
			}
		} else {
			fmt.Fprintf(&b, "%s\n", head)
			if len(facts) > 0 {
				fmt.Fprintf(&b, "%s\n", strings.Join(facts, "; "))
			}
			b.WriteString("\n")
		}
		hdr := []string{"model", "group", "baseline", "ref acc %", "shift acc %", "predicted %", "ER pp [95% CI]"}
		if boot {
			hdr = append(hdr, "ER bootstrap [95%]")
		}
		rows := [][]string{hdr}
		for _, m := range res.Models {
			base := ""
			if m.Baseline {
				base = "yes"
			}
			row := []string{m.Model, m.Group, base, accCell(m.RefAcc, m.RefCI), accCell(m.ShiftAcc, m.ShiftCI), pct(m.PredictedAcc),
				fmt.Sprintf("%s [%s, %s]", pp(m.ER), pp(m.ERLow), pp(m.ERHigh))}
			if boot {
				row = append(row, bootCell(m.BootLow, m.BootHigh))
			}
			rows = append(rows, row)
		}
		writeRows(&b, rows, md, 3)
		f := res.Fit
		fitLine := fmt.Sprintf("fit: %s(shift) = %.4f·%s(ref) %s %.4f, r = %.4f, %d baselines", f.Scale, f.Slope, f.Scale, sign(f.Intercept), abs(f.Intercept), f.R, f.NBaselines)
		fmt.Fprintf(&b, "\n%s\n\n", fitLine)
		gh := []string{"group", "n", "mean ER pp [95% CI]"}
		if boot {
			gh = append(gh, "bootstrap [95%]")
		}
		grows := [][]string{gh}
		for _, g := range res.Groups {
			row := []string{g.Group, strconv.Itoa(g.N), fmt.Sprintf("%s [%s, %s]", pp(g.MeanER), pp(g.ERLow), pp(g.ERHigh))}
			if boot {
				row = append(row, bootCell(g.BootLow, g.BootHigh))
			}
			grows = append(grows, row)
		}
		writeRows(&b, grows, md, 1)
	}
	_, err := w.Write(b.Bytes())
	return err
}

func sign(x float64) string {
	if x < 0 {
		return "-"
	}
	return "+"
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

func accCell(v float64, ci *[2]float64) string {
	if ci == nil {
		return pct(v)
	}
	return fmt.Sprintf("%s [%s, %s]", pct(v), pct(ci[0]), pct(ci[1]))
}

func bootCell(lo, hi *float64) string {
	if lo == nil || hi == nil {
		return ""
	}
	return fmt.Sprintf("[%s, %s]", pp(*lo), pp(*hi))
}

// writeRows writes rows (the first is the header) as an aligned table or a Markdown
// table; columns from rightFrom on are right-aligned in Markdown.
func writeRows(b *bytes.Buffer, rows [][]string, md bool, rightFrom int) {
	if md {
		for i, row := range rows {
			b.WriteString("| " + strings.Join(escapeMD(row), " | ") + " |\n")
			if i == 0 {
				seps := make([]string, len(row))
				for j := range seps {
					seps[j] = "---"
					if j >= rightFrom {
						seps[j] = "---:"
					}
				}
				b.WriteString("|" + strings.Join(seps, "|") + "|\n")
			}
		}
		return
	}
	tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', 0)
	for _, row := range rows {
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	tw.Flush()
}

func escapeMD(row []string) []string {
	out := make([]string, len(row))
	for i, c := range row {
		out[i] = strings.ReplaceAll(c, "|", `\|`)
	}
	return out
}

// csvHeader is the CSV form's header. Rows of kind "model" describe one model, rows of
// kind "group" one group (model empty, n its size, er its mean ER); every row repeats
// its subset's fit.
var csvHeader = []string{"by", "value", "kind", "model", "group", "baseline", "n", "ref_acc", "ref_low", "ref_high", "shift_acc", "shift_low", "shift_high", "predicted_acc", "er", "er_low", "er_high", "boot_low", "boot_high", "scale", "slope", "intercept", "r", "n_baselines"}

func fmtF(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

func fmtP(x *float64) string {
	if x == nil {
		return ""
	}
	return fmtF(*x)
}

func ciCells(ci *[2]float64) (string, string) {
	if ci == nil {
		return "", ""
	}
	return fmtF(ci[0]), fmtF(ci[1])
}

func (r *Report) writeCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return err
	}
	if err := cw.WriteAll(r.csvRows()); err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

// csvRows returns the CSV form's rows (without the header), subset by subset.
func (r *Report) csvRows() [][]string {
	var rows [][]string
	for _, s := range r.subsets() {
		f := s.res.Fit
		fit := []string{string(f.Scale), fmtF(f.Slope), fmtF(f.Intercept), fmtF(f.R), strconv.Itoa(f.NBaselines)}
		for _, m := range s.res.Models {
			rl, rh := ciCells(m.RefCI)
			sl, sh := ciCells(m.ShiftCI)
			row := []string{s.field, s.value, "model", m.Model, m.Group, strconv.FormatBool(m.Baseline), "",
				fmtF(m.RefAcc), rl, rh, fmtF(m.ShiftAcc), sl, sh, fmtF(m.PredictedAcc),
				fmtF(m.ER), fmtF(m.ERLow), fmtF(m.ERHigh), fmtP(m.BootLow), fmtP(m.BootHigh)}
			rows = append(rows, append(row, fit...))
		}
		for _, g := range s.res.Groups {
			row := []string{s.field, s.value, "group", "", g.Group, "", strconv.Itoa(g.N),
				"", "", "", "", "", "", "", fmtF(g.MeanER), fmtF(g.ERLow), fmtF(g.ERHigh), fmtP(g.BootLow), fmtP(g.BootHigh)}
			rows = append(rows, append(row, fit...))
		}
	}
	return rows
}
