package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/shiftgen/shiftgen/manifests"
	"github.com/shiftgen/shiftgen/shifts"
)

func TestListJSON(t *testing.T) {
	var out bytes.Buffer
	if code := runTo(context.Background(), []string{"shiftgen", "list", "--json"}, &out); code != 0 {
		t.Fatalf("exit %d", code)
	}
	var got []struct {
		Name        string `json:"name"`
		Kind        string `json:"kind"`
		Description string `json:"description"`
		Params      []struct {
			Name    string   `json:"name"`
			Type    string   `json:"type"`
			Default any      `json:"default"`
			Min     *float64 `json:"min"`
			Max     *float64 `json:"max"`
			Doc     string   `json:"doc"`
		} `json:"params"`
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	entries := shifts.Entries()
	if len(got) != len(entries) {
		t.Fatalf("%d shifts listed, registry has %d", len(got), len(entries))
	}
	outOfSupport := 0
	names := map[string]string{}
	for i, s := range got {
		if s.Name != entries[i].Name || s.Description == "" {
			t.Errorf("entry %d: %+v", i, s)
		}
		if s.Kind != "in-support" && s.Kind != "out-of-support" {
			t.Errorf("%s: kind %q", s.Name, s.Kind)
		}
		for _, p := range s.Params {
			if p.Name == "" || p.Type == "" || p.Min == nil || p.Max == nil || p.Doc == "" {
				t.Errorf("%s: incomplete parameter %+v", s.Name, p)
			}
		}
		names[s.Name] = s.Kind
		if s.Kind == "out-of-support" {
			outOfSupport++
		}
	}
	// Every out-of-support transform has its in-support spurious- twin; the paper's
	// in-support shifts are there.
	for name, kind := range names {
		if kind == "out-of-support" && name != "unseen-tint" && names["spurious-"+name] != "in-support" {
			t.Errorf("%s has no spurious- twin", name)
		}
	}
	for _, n := range []string{"spurious-tint", "label-shift", "unseen-tint", "vflip", "pad"} {
		if _, ok := names[n]; !ok {
			t.Errorf("%s missing", n)
		}
	}
	if outOfSupport < 15 {
		t.Errorf("%d out-of-support shifts, want at least 15", outOfSupport)
	}

	// A named preset stands for the shifts it holds, each listed once, after the shifts
	// named.
	out.Reset()
	if code := runTo(context.Background(), []string{"shiftgen", "list", "--json", "vflip", "paper"}, &out); code != 0 {
		t.Fatalf("list --json vflip paper: exit %d", code)
	}
	got = nil
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	var listed []string
	for _, s := range got {
		listed = append(listed, s.Name+" "+s.Kind)
	}
	if want := "vflip out-of-support, spurious-tint in-support, label-shift in-support, unseen-tint out-of-support"; strings.Join(listed, ", ") != want {
		t.Errorf("list --json vflip paper lists %q, want %q", strings.Join(listed, ", "), want)
	}
}

// TestListText: the plain list has a line per shift and preset within 100 columns; a
// named shift shows its parameters and its severity table as numbers; a mistyped name
// gets a suggestion and exit status 2.
func TestListText(t *testing.T) {
	code, out, _ := naturalRun(t, "list")
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if code != 0 || len(lines) != 1+len(shifts.Entries())+len(shifts.Presets())+2 {
		t.Fatalf("exit %d, %d lines:\n%s", code, len(lines), out)
	}
	for _, l := range lines {
		if n := utf8.RuneCountInString(l); n > 100 {
			t.Errorf("%d columns: %s", n, l)
		}
	}
	code, out, _ = naturalRun(t, "list", "night", "imagenet-c")
	if code != 0 {
		t.Fatalf("list night: exit %d", code)
	}
	e, _ := shifts.Lookup("night")
	for _, p := range e.Params {
		if p.BySeverity == nil {
			continue
		}
		// The parameter's row of the severity table holds its five values.
		want := p.Name
		for _, v := range p.BySeverity {
			want += " " + strconv.FormatFloat(v, 'g', -1, 64)
		}
		found := false
		for _, l := range strings.Split(out, "\n") {
			if strings.Join(strings.Fields(l), " ") == want {
				found = true
			}
		}
		if !found {
			t.Errorf("no severity row %q in:\n%s", want, out)
		}
	}
	if strings.Contains(out, "from severity") || !strings.Contains(out, "imagenet-c (preset of 75 shifts)") {
		t.Errorf("list night imagenet-c:\n%s", out)
	}
	code, _, stderr := naturalRun(t, "list", "nigth")
	if code != exitUsage || !strings.Contains(stderr, "did you mean night?") {
		t.Errorf("list nigth: exit %d: %s", code, stderr)
	}
}

// TestListAndRunPaperPresets: `list paper` shows every shift of the suite with its kind
// and folder, and `generate --shift paper-main` on the embedded sample writes Figure 4's
// four datasets, with the parameters the paper uses in their manifests.
func TestListAndRunPaperPresets(t *testing.T) {
	code, out, _ := naturalRun(t, "list", "paper")
	if code != 0 {
		t.Fatalf("list paper: exit %d", code)
	}
	for _, row := range [][]string{
		{"spurious-tint:p=0.9", "in-support", "OUT/spurious-tint_p-0.9/"},
		{"label-shift:p=0.15", "in-support", "OUT/label-shift_p-0.15/"},
		{"unseen-tint", "out-of-support", "OUT/unseen-tint/"},
		{"vflip", "out-of-support", "OUT/vflip/"},
	} {
		if !strings.Contains(out, "\n  "+strings.Join(row, "  ")) && !containsFields(out, row) {
			t.Errorf("list paper lacks the row %v:\n%s", row, out)
		}
	}
	if !strings.HasPrefix(out, "paper (preset of 12 shifts)\n") {
		t.Errorf("list paper:\n%s", out)
	}
	outDir := t.TempDir()
	code, stdout, stderr := naturalRun(t, "generate", "--out", outDir, "--shift", "paper-main", "--quiet", "--tint-table-size", "100")
	if code != 0 {
		t.Fatalf("generate paper-main: exit %d: %s", code, stderr)
	}
	want := map[string]map[string]float64{"spurious-tint_p-0.5": {"p": 0.5, "alpha": 0.25}, "label-shift_p-0.2": {"p": 0.2},
		"unseen-tint": {"alpha": 0.25}, "vflip": {}}
	for dir, params := range want {
		m, err := manifests.ReadManifest(filepath.Join(outDir, dir, manifests.ManifestFile))
		if err != nil {
			t.Fatalf("%s: %v\n%s", dir, err, stdout)
		}
		var got map[string]any
		if err := json.Unmarshal(m.Shift.Params, &got); err != nil {
			t.Fatal(err)
		}
		for k, v := range params {
			if got[k] != v {
				t.Errorf("%s records %s = %v, want %v", dir, k, got[k], v)
			}
		}
	}
	if n := strings.Count(stdout, "manifest.json"); n != 4 {
		t.Errorf("generate paper-main wrote %d datasets:\n%s", n, stdout)
	}
}

// containsFields reports whether some line of out has exactly the fields row.
func containsFields(out string, row []string) bool {
	for _, l := range strings.Split(out, "\n") {
		if strings.Join(strings.Fields(l), " ") == strings.Join(row, " ") {
			return true
		}
	}
	return false
}
