package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/urfave/cli/v2"

	"github.com/shiftgen/shiftgen/pipeline"
	"github.com/shiftgen/shiftgen/shifts"
)

// listWidth is the width `shiftgen list` fits its lines into.
const listWidth = 100

// listedShift is one element of `shiftgen list --json`.
type listedShift struct {
	Name        string         `json:"name"`
	Kind        shifts.Kind    `json:"kind"`
	Description string         `json:"description"`
	Params      []shifts.Param `json:"params"`
}

func listCommand() *cli.Command {
	return &cli.Command{
		Name:      "list",
		Usage:     "list the shifts and presets, or show the named ones in full",
		UsageText: "shiftgen list [--json] [NAME ...]",
		Description: "Without names: one line per shift and preset, with its kind and a short description.\n" +
			"With names: each one in full, with its parameters (type, default, range, meaning) and, for\n" +
			"parameters set by severity, their values at severities 1 to 5.",
		Flags: []cli.Flag{&cli.BoolFlag{Name: "json", Usage: "print a JSON array of the shifts for tools"}},
		Action: func(c *cli.Context) error {
			entries, presets, err := listSelection(c.Args().Slice())
			if err != nil {
				return err
			}
			if c.Bool("json") {
				enc := json.NewEncoder(c.App.Writer)
				enc.SetIndent("", "  ")
				return enc.Encode(listedShifts(entries, presets))
			}
			if c.NArg() == 0 {
				return listShort(c.App.Writer, entries, presets)
			}
			for i, e := range entries {
				if i > 0 {
					fmt.Fprintln(c.App.Writer)
				}
				listEntry(c.App.Writer, e)
			}
			for i, p := range presets {
				if i > 0 || len(entries) > 0 {
					fmt.Fprintln(c.App.Writer)
				}
				listPreset(c.App.Writer, p)
			}
			return nil
		},
	}
}

// listSelection returns the shifts and presets names asks for (every one when names is
// empty), refusing unknown names with a suggestion. For --json, a preset stands for the
// shifts it holds.
func listSelection(names []string) ([]shifts.Entry, []shifts.Preset, error) {
	if len(names) == 0 {
		return shifts.Entries(), shifts.Presets(), nil
	}
	all := shifts.Names()
	byPreset := map[string]shifts.Preset{}
	for _, p := range shifts.Presets() {
		byPreset[p.Name] = p
		all = append(all, p.Name)
	}
	var entries []shifts.Entry
	var presets []shifts.Preset
	for _, n := range names {
		if e, ok := shifts.Lookup(n); ok {
			entries = append(entries, e)
			continue
		}
		if p, ok := byPreset[n]; ok {
			presets = append(presets, p)
			continue
		}
		msg := fmt.Sprintf("list: no shift or preset called %q", n)
		if s := shifts.Suggest(n, all); s != "" {
			msg += fmt.Sprintf("; did you mean %s?", s)
		}
		return nil, nil, usage(fmt.Errorf("%s (`shiftgen list` shows them all)", msg))
	}
	return entries, presets, nil
}

// listedShifts is what `list --json` prints: the shifts of entries, then those the
// presets hold that are not listed yet, each once.
func listedShifts(entries []shifts.Entry, presets []shifts.Preset) []listedShift {
	all := []listedShift{}
	seen := map[string]bool{}
	add := func(e shifts.Entry) {
		if seen[e.Name] {
			return
		}
		seen[e.Name] = true
		p := e.Params
		if p == nil {
			p = []shifts.Param{}
		}
		all = append(all, listedShift{Name: e.Name, Kind: e.Kind, Description: e.Description, Params: p})
	}
	for _, e := range entries {
		add(e)
	}
	for _, p := range presets {
		for _, spec := range p.Specs {
			if e, _, err := shifts.Resolve(spec); err == nil {
				add(e)
			}
		}
	}
	return all
}

// listShort prints one line per shift and preset, cut to listWidth columns.
func listShort(w io.Writer, entries []shifts.Entry, presets []shifts.Preset) error {
	nameW := len("NAME")
	for _, e := range entries {
		nameW = max(nameW, utf8.RuneCountInString(e.Name))
	}
	for _, p := range presets {
		nameW = max(nameW, utf8.RuneCountInString(p.Name))
	}
	kindW := len(shifts.OutOfSupport)
	descW := listWidth - nameW - kindW - 4
	row := func(name, kind, desc string) {
		fmt.Fprintf(w, "%-*s  %-*s  %s\n", nameW, name, kindW, kind, cut(desc, descW))
	}
	row("NAME", "KIND", "DESCRIPTION")
	for _, e := range entries {
		row(e.Name, string(e.Kind), e.Description)
	}
	for _, p := range presets {
		row(p.Name, "preset", count(len(p.Specs), "shift")+": "+p.Description)
	}
	_, err := fmt.Fprintln(w, "\nParameters, defaults and severity tables: shiftgen list NAME [NAME ...]")
	return err
}

// listEntry prints one shift in full.
func listEntry(w io.Writer, e shifts.Entry) {
	fmt.Fprintf(w, "%s (%s)\n", e.Name, e.Kind)
	for _, l := range wrap(e.Description, listWidth-2) {
		fmt.Fprintln(w, "  "+l)
	}
	if len(e.Params) == 0 {
		fmt.Fprintf(w, "\n  no parameters: --shift %s\n", e.Name)
		return
	}
	rows := [][]string{{"PARAMETER", "TYPE", "DEFAULT", "RANGE", "MEANING"}}
	var bySev []shifts.Param
	for _, p := range e.Params {
		def := "by severity"
		if p.Default != nil {
			def = p.DefaultString()
		} else if p.BySeverity == nil {
			def = "-"
		} else {
			bySev = append(bySev, p)
		}
		rows = append(rows, []string{p.Name, string(p.Type), def, p.RangeString(), p.Doc})
	}
	fmt.Fprintln(w)
	table(w, rows)
	if len(bySev) > 0 {
		head := []string{"BY SEVERITY"}
		for s := 1; s <= 5; s++ {
			head = append(head, strconv.Itoa(s))
		}
		rows := [][]string{head}
		for _, p := range bySev {
			r := []string{p.Name}
			for _, v := range p.BySeverity {
				r = append(r, strconv.FormatFloat(v, 'g', -1, 64))
			}
			rows = append(rows, r)
		}
		fmt.Fprintln(w)
		table(w, rows)
	}
	ex := e.Params[0]
	fmt.Fprintf(w, "\n  e.g. --shift %s:%s=%s\n", e.Name, ex.Name, exampleValue(ex))
}

// exampleValue is a value of p worth showing in an example.
func exampleValue(p shifts.Param) string {
	switch {
	case p.Type == shifts.Bool:
		return "true"
	case p.Name == "severity":
		return "5"
	case p.Default != nil:
		return fmt.Sprint(p.Default)
	case p.BySeverity != nil:
		return strconv.FormatFloat(p.BySeverity[4], 'g', -1, 64)
	}
	return strconv.FormatFloat(p.Min, 'g', -1, 64)
}

// listPreset prints one preset in full: what it is for, then each shift it expands to
// with its kind and the folder it writes under OUT.
func listPreset(w io.Writer, p shifts.Preset) {
	fmt.Fprintf(w, "%s (preset of %s)\n", p.Name, count(len(p.Specs), "shift"))
	for _, l := range wrap(p.Description, listWidth-2) {
		fmt.Fprintln(w, "  "+l)
	}
	fmt.Fprintln(w)
	rows := [][]string{{"SHIFT", "KIND", "WRITES"}}
	for _, spec := range p.Specs {
		kind := "?"
		if e, _, err := shifts.Resolve(spec); err == nil {
			kind = string(e.Kind)
		}
		dir, err := pipeline.DirName(spec)
		if err != nil {
			dir = "?"
		}
		rows = append(rows, []string{spec, kind, "OUT/" + dir + "/"})
	}
	table(w, rows)
	fmt.Fprintf(w, "\n  e.g. --shift %s\n", p.Name)
}

// table prints rows with two spaces between columns, indented by two, the last column
// wrapped to fit listWidth.
func table(w io.Writer, rows [][]string) {
	n := len(rows[0])
	widths := make([]int, n)
	for _, r := range rows {
		for i, c := range r {
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	lead := 2
	for _, wd := range widths[:n-1] {
		lead += wd + 2
	}
	lastW := max(listWidth-lead, 20)
	for _, r := range rows {
		var b strings.Builder
		b.WriteString("  ")
		for i, c := range r[:n-1] {
			b.WriteString(c + strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c)+2))
		}
		for j, l := range wrap(r[n-1], lastW) {
			if j > 0 {
				b.WriteString("\n" + strings.Repeat(" ", lead))
			}
			b.WriteString(l)
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
}

// wrap breaks s into lines of at most width runes at spaces (a longer word stays whole).
func wrap(s string, width int) []string {
	var lines []string
	var cur strings.Builder
	n := 0
	for _, word := range strings.Fields(s) {
		wl := utf8.RuneCountInString(word)
		if n > 0 && n+1+wl > width {
			lines = append(lines, cur.String())
			cur.Reset()
			n = 0
		}
		if n > 0 {
			cur.WriteByte(' ')
			n++
		}
		cur.WriteString(word)
		n += wl
	}
	if n > 0 || len(lines) == 0 {
		lines = append(lines, cur.String())
	}
	return lines
}

// cut shortens s to at most width runes, at a word boundary, marking the cut with "…".
func cut(s string, width int) string {
	if utf8.RuneCountInString(s) <= width {
		return s
	}
	r := []rune(s)[:width-1]
	if i := strings.LastIndexByte(string(r), ' '); i > width/2 {
		return strings.TrimRight(string(r)[:i], " ,;:") + "…"
	}
	return string(r) + "…"
}

// count renders "1 file", "2 files".
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
