package eval

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var (
	// testSet has 4 classes, 40 reference and 40 shifted val images and 8 train images.
	testSet = fakeSet{classes: 4, nRef: 40, nShift: 40, nTrain: 8}
	// testModels: five baselines on a rough line and two "pre-trained" models above it.
	testModels = []fakeModel{
		{"base-a", 20, 12}, {"base-b", 24, 15}, {"base-c", 28, 19}, {"base-d", 32, 23}, {"base-e", 36, 29},
		{"pre-x", 26, 22}, {"pre-y", 34, 31},
	}
)

// writePredictions writes every test model's predictions in format ("csv", "jsonl" or
// "npy") under dir and returns the folder to pass as --predictions.
func writePredictions(t testing.TB, f fakeSet, models []fakeModel, dir, format string) string {
	t.Helper()
	root := filepath.Join(dir, "preds-"+format)
	for _, m := range models {
		switch format {
		case "csv":
			writeCSV(t, f, m, filepath.Join(root, m.name+".csv"))
		case "jsonl":
			writeJSONL(t, f, m, filepath.Join(root, m.name+".jsonl"))
		case "npy":
			// reference via the folder layout, shifted via --npy-root DIR=shifted/val.
			writeNPY(t, f, m, filepath.Join(root, "reference", "val", m.name+".npy"), filepath.Join(root, "logits", m.name+".npy"))
		}
	}
	return root
}

// TestFormatsAgree scores the same predictions written as CSV, JSONL and NPY and checks
// that every accuracy is exactly the known count and that the three reports are
// byte-identical.
func TestFormatsAgree(t *testing.T) {
	dir := t.TempDir()
	manifest := testSet.write(t, dir)
	var outs [][]byte
	for _, format := range []string{"csv", "jsonl", "npy"} {
		preds := writePredictions(t, testSet, testModels, dir, format)
		var warns []string
		cfg := Config{Manifests: []string{manifest}, Predictions: []string{preds}, Baselines: []string{"base-*"}, Workers: 3,
			Bootstrap: 100, Seed: 1, Warn: func(s string) { warns = append(warns, s) }}
		if format == "npy" {
			cfg.NPYRoots = []string{filepath.Join(preds, "logits") + "=shifted/val"}
		}
		rep, err := Run(context.Background(), cfg)
		if err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		if len(rep.Models) != len(testModels) {
			t.Fatalf("%s: %d models", format, len(rep.Models))
		}
		for _, m := range rep.Models {
			var want fakeModel
			for _, tm := range testModels {
				if tm.name == m.Model {
					want = tm
				}
			}
			if m.RefAcc != float64(want.refOK)/40 || m.ShiftAcc != float64(want.shftOK)/40 || m.NRef != 40 || m.NShift != 40 {
				t.Errorf("%s: %s: ref %v (n %d), shift %v (n %d); want %d/40, %d/40", format, m.Model, m.RefAcc, m.NRef, m.ShiftAcc, m.NShift, want.refOK, want.shftOK)
			}
			if m.Baseline != strings.HasPrefix(m.Model, "base-") || (m.Group == "baseline") != m.Baseline {
				t.Errorf("%s: %s: baseline %v group %q", format, m.Model, m.Baseline, m.Group)
			}
		}
		if format == "csv" && !containsAll(warns, "8 predictions for images of other splits") {
			t.Errorf("csv: warnings %q; want the 8 train predictions reported as ignored", warns)
		}
		var b bytes.Buffer
		if err := rep.Write(&b, "json"); err != nil {
			t.Fatal(err)
		}
		outs = append(outs, b.Bytes())
	}
	for i := 1; i < len(outs); i++ {
		if !bytes.Equal(outs[0], outs[i]) {
			t.Errorf("format %d gives a different report:\n%s\nvs\n%s", i, outs[0], outs[i])
		}
	}
	// The JSON contract: keys and fractions.
	var doc map[string]any
	if err := json.Unmarshal(outs[0], &doc); err != nil {
		t.Fatal(err)
	}
	fit := doc["fit"].(map[string]any)
	for _, k := range []string{"scale", "slope", "intercept", "r", "n_baselines"} {
		if _, ok := fit[k]; !ok {
			t.Errorf("fit lacks %q", k)
		}
	}
	m0 := doc["models"].([]any)[0].(map[string]any)
	for _, k := range []string{"model", "group", "baseline", "ref_acc", "shift_acc", "predicted_acc", "er", "er_low", "er_high"} {
		if _, ok := m0[k]; !ok {
			t.Errorf("models[0] lacks %q", k)
		}
	}
	if m0["model"] != "base-a" || m0["ref_acc"] != 0.5 || m0["shift_acc"] != 0.3 {
		t.Errorf("models[0] = %v", m0)
	}
	g := doc["groups"].([]any)
	if len(g) != 2 || g[1].(map[string]any)["group"] != "other" || g[1].(map[string]any)["n"] != 2.0 {
		t.Errorf("groups = %v", g)
	}
}

func containsAll(warns []string, subs ...string) bool {
	for _, s := range subs {
		found := false
		for _, w := range warns {
			if strings.Contains(w, s) {
				found = true
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// TestDeterministicWorkers checks that the report does not depend on the number of
// workers and is the same on every run for a seed.
func TestDeterministicWorkers(t *testing.T) {
	dir := t.TempDir()
	manifest := testSet.write(t, dir)
	preds := writePredictions(t, testSet, testModels, dir, "csv")
	var first []byte
	for _, w := range []int{1, 2, 7, 1} {
		rep, err := Run(context.Background(), Config{Manifests: []string{manifest}, Predictions: []string{preds}, Baselines: []string{"base-*"}, Workers: w, Bootstrap: 50, Seed: 9})
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		for _, f := range Formats {
			if err := rep.Write(&b, f); err != nil {
				t.Fatal(err)
			}
		}
		if first == nil {
			first = b.Bytes()
		} else if !bytes.Equal(first, b.Bytes()) {
			t.Fatalf("workers=%d changes the output", w)
		}
	}
}

// TestByAndClassMatch checks --by subsets (a field on both distributions, and one on
// shifted images only) and class matching when the shift covers fewer classes.
func TestByAndClassMatch(t *testing.T) {
	f := fakeSet{classes: 4, nRef: 40, nShift: 20, shiftClasses: 2,
		fields: func(dist string, i, l int) map[string]any {
			m := map[string]any{"parity": i % 2}
			if dist == "shifted" {
				m["support"] = []string{"in", "out"}[boolInt(i >= 10)]
			}
			return m
		}}
	dir := t.TempDir()
	manifest := f.write(t, dir)
	models := []fakeModel{{"b1", 10, 4}, {"b2", 20, 9}, {"b3", 30, 14}, {"b4", 40, 20}, {"p", 25, 18}}
	preds := writePredictions(t, f, models, dir, "csv")
	var warns []string
	rep, err := Run(context.Background(), Config{Manifests: []string{manifest}, Predictions: []string{preds}, Baselines: []string{"b?"},
		By: []string{"parity", "support"}, Warn: func(s string) { warns = append(warns, s) }})
	if err != nil {
		t.Fatal(err)
	}
	// Shifted labels are 0 and 1 only: the reference is matched to its 20 images of
	// classes 0 and 1 (indices i with i%4 < 2).
	if im := rep.Images; im.Ref != 20 || im.Shift != 20 || im.Classes != 2 || !im.ClassMatched {
		t.Errorf("images = %+v", im)
	}
	if !containsAll(warns, "cover 2 classes") {
		t.Errorf("no class-matching note in %q", warns)
	}
	// Model p: correct on reference indices < 25; of those with i%4 < 2: 0,1,4,5,...,24
	// → 13 of 20.
	acc := func(r *Result, name string) (float64, float64) {
		for _, m := range r.Models {
			if m.Model == name {
				return m.RefAcc, m.ShiftAcc
			}
		}
		t.Fatalf("no model %s", name)
		return 0, 0
	}
	if ra, sa := acc(&rep.Result, "p"); ra != 13.0/20 || sa != 18.0/20 {
		t.Errorf("p overall = %v, %v; want 13/20, 18/20", ra, sa)
	}
	// parity=0: reference even indices of classes 0,1 (0,4,8,...,36: 10 images; p gets
	// 0..24 → 7), shifted even indices (10 images; p gets 0..16 → 9).
	if ra, sa := acc(rep.By["parity"]["0"], "p"); ra != 7.0/10 || sa != 9.0/10 {
		t.Errorf("p parity=0 = %v, %v; want 7/10, 9/10", ra, sa)
	}
	// support lives on shifted records only: each value uses the whole (class-matched)
	// reference. support=out: shifted 10..19, p gets 10..17 → 8/10.
	out := rep.By["support"]["out"]
	if ra, sa := acc(out, "p"); ra != 13.0/20 || sa != 8.0/10 {
		t.Errorf("p support=out = %v, %v; want 13/20, 8/10", ra, sa)
	}
	if len(rep.By["support"]) != 2 || len(rep.By["parity"]) != 2 {
		t.Errorf("by = %v", rep.By)
	}
	var b bytes.Buffer
	if err := rep.Write(&b, "json"); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		By map[string]map[string]struct {
			Fit    FitSummary    `json:"fit"`
			Models []ModelResult `json:"models"`
			Groups []GroupResult `json:"groups"`
		} `json:"by"`
	}
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if d := doc.By["support"]["in"]; d.Fit.NBaselines != 4 || len(d.Models) != 5 || len(d.Groups) != 2 {
		t.Errorf("by.support.in = %+v", d)
	}
	// Unknown field.
	_, err = Run(context.Background(), Config{Manifests: []string{manifest}, Predictions: []string{preds}, Baselines: []string{"b?"}, By: []string{"colour"}})
	if err == nil || !strings.Contains(err.Error(), "parity") || !strings.Contains(err.Error(), "support") {
		t.Errorf("--by colour: err = %v, want the fields listed", err)
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestModelsCSV checks groups and baselines from a models.csv, by its group names, its
// baseline column and --baseline COL=VALUE.
func TestModelsCSV(t *testing.T) {
	dir := t.TempDir()
	manifest := testSet.write(t, dir)
	preds := writePredictions(t, testSet, testModels, dir, "csv")
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		mustWrite(t, p, []byte(body))
		return p
	}
	byGroup := write("models.csv", "model,group\nbase-a,scratch\nbase-b,scratch\nbase-c,scratch\nbase-d,scratch\nbase-e,scratch\npre-x,CLIP (FT)\n")
	byCol := write("m2.csv", "model,group,baseline,arch\nbase-a,A,1,r\nbase-b,A,yes,r\nbase-c,A,true,v\nbase-d,B,0,v\nbase-e,B,no,v\npre-x,C,0,v\npre-y,C,0,r\n")
	for _, c := range []struct {
		models string
		sel    []string
		nBase  int
		groups string
	}{
		{byGroup, nil, 5, "scratch,CLIP (FT),unlisted"},
		{byCol, nil, 3, "A,B,C"},
		{byCol, []string{"arch=v"}, 4, "A,B,C"},
	} {
		var warns []string
		rep, err := Run(context.Background(), Config{Manifests: []string{manifest}, Predictions: []string{preds}, Models: c.models, Baselines: c.sel, Warn: func(s string) { warns = append(warns, s) }})
		if err != nil {
			t.Fatal(err)
		}
		var gs []string
		for _, g := range rep.Groups {
			gs = append(gs, g.Group)
		}
		if rep.Fit.NBaselines != c.nBase || strings.Join(gs, ",") != c.groups {
			t.Errorf("%s %v: %d baselines, groups %v; want %d, %s", filepath.Base(c.models), c.sel, rep.Fit.NBaselines, gs, c.nBase, c.groups)
		}
		if c.models == byGroup && !containsAll(warns, "pre-y") {
			t.Errorf("unlisted model not reported: %q", warns)
		}
	}
	// A models.csv inside the predictions folder is not a model.
	inside := write(filepath.Join(filepath.Base(preds), "models.csv"), "model,group\nbase-a,scratch\nbase-b,scratch\nbase-c,scratch\n")
	rep, err := Run(context.Background(), Config{Manifests: []string{manifest}, Predictions: []string{preds}, Models: inside})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Models) != len(testModels) || rep.Fit.NBaselines != 3 {
		t.Errorf("models.csv in the predictions folder: %d models, %d baselines", len(rep.Models), rep.Fit.NBaselines)
	}
}

// TestBadInput checks that every kind of bad input is refused with the file, the line
// and a fix.
func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	manifest := testSet.write(t, dir)
	good := writePredictions(t, testSet, testModels, dir, "csv")
	goodNPY := writePredictions(t, testSet, testModels, dir, "npy")
	// mk copies the good CSV predictions and replaces base-a.csv by body.
	n := 0
	mk := func(name, body string) string {
		n++
		d := filepath.Join(dir, fmt.Sprintf("bad%d", n))
		for _, m := range testModels {
			b, err := os.ReadFile(filepath.Join(good, m.name+".csv"))
			if err != nil {
				t.Fatal(err)
			}
			mustWrite(t, filepath.Join(d, m.name+".csv"), b)
		}
		os.Remove(filepath.Join(d, "base-a.csv"))
		mustWrite(t, filepath.Join(d, name), []byte(body))
		return d
	}
	goodA, _ := os.ReadFile(filepath.Join(good, "base-a.csv"))
	lines := strings.Split(strings.TrimSpace(string(goodA)), "\n")
	join := func(ls ...string) string { return strings.Join(ls, "\n") + "\n" }
	// cat concatenates slices into a fresh one (lines must not be overwritten).
	cat := func(parts ...[]string) []string {
		var out []string
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	rest := lines[1:]
	// npy variants
	npyDir := func(name string, write func(file string)) (string, []string) {
		n++
		d := filepath.Join(dir, fmt.Sprintf("badnpy%d", n))
		for _, m := range testModels {
			for _, sub := range []string{filepath.Join("reference", "val"), "logits"} {
				b, err := os.ReadFile(filepath.Join(goodNPY, sub, m.name+".npy"))
				if err != nil {
					t.Fatal(err)
				}
				mustWrite(t, filepath.Join(d, sub, m.name+".npy"), b)
			}
		}
		write(filepath.Join(d, "logits", name))
		return d, []string{filepath.Join(d, "logits") + "=shifted/val"}
	}
	nanLogits := func(file string) {
		data := make([]float32, 40*4)
		data[5*4+2] = float32(math.NaN())
		writeNPYMatrix(t, file, data, 40, 4)
	}
	fewCols := func(file string) { writeNPYMatrix(t, file, make([]float32, 40*3), 40, 3) }
	fewRows := func(file string) { writeNPYMatrix(t, file, make([]float32, 39*4), 39, 4) }
	badLabel := func(file string) { writeNPYValue(t, file, make([]int64, 40)) }
	nanDir, nanRoots := npyDir("base-a.npy", nanLogits)
	colDir, colRoots := npyDir("base-a.npy", fewCols)
	rowDir, rowRoots := npyDir("base-a.npy", fewRows)
	// Integer labels for the shifted root are fine; 9 is out of range.
	labDir, labRoots := npyDir("base-a.npy", func(file string) {
		v := make([]int64, 40)
		v[3] = 9
		writeNPYValue(t, file, v)
	})
	_ = badLabel

	cases := []struct {
		name  string
		cfg   Config
		wants []string
	}{
		{"missing rows", Config{Predictions: []string{mk("base-a.csv", join(cat(lines[:1], rest[3:])...))}},
			[]string{"base-a.csv", "no prediction for 3 of the 80 images", "reference/val/c00/img00000.png", "predict every"}},
		{"unknown id", Config{Predictions: []string{mk("base-a.csv", join(cat(lines[:4], []string{"reference/val/c09/nope.png,1"})...)+join(rest[3:]...))}},
			[]string{"base-a.csv:5:", "unknown image", "relative to the dataset folder"}},
		{"duplicate", Config{Predictions: []string{mk("base-a.csv", join(lines...)+lines[2]+"\n")}},
			[]string{fmt.Sprintf("base-a.csv:%d:", len(lines)+1), "duplicate prediction", "base-a.csv:3", "one row per image"}},
		{"label out of range", Config{Predictions: []string{mk("base-a.csv", join(lines[0], "reference/val/c00/img00000.png,4")+join(rest[1:]...))}},
			[]string{"base-a.csv:2:", "label 4 is out of range", "4 classes"}},
		{"unknown class name", Config{Predictions: []string{mk("base-a.csv", join(lines[0], "reference/val/c00/img00000.png,dog")+join(rest[1:]...))}},
			[]string{"base-a.csv:2:", `"dog"`, "class name"}},
		{"no prediction column", Config{Predictions: []string{mk("base-a.csv", "path,pred\n")}},
			[]string{"base-a.csv:1:", "no prediction column"}},
		{"short row", Config{Predictions: []string{mk("base-a.csv", join(lines[0], "reference/val/c00/img00000.png")+join(rest[1:]...))}},
			[]string{"base-a.csv:2:", "1 fields", "2 columns"}},
		{"wrong label column", Config{Predictions: []string{mk("base-a.jsonl", `{"distribution":"reference","split":"val","index":0,"prediction":0,"label":3}`+"\n")}},
			[]string{"base-a.jsonl:1:", "label column says 3", "label 0"}},
		{"jsonl garbage", Config{Predictions: []string{mk("base-a.jsonl", "{\"path\": 3}\n")}},
			[]string{"base-a.jsonl:1:", "JSON object like"}},
		{"NaN logits", Config{Predictions: []string{nanDir}, NPYRoots: nanRoots},
			[]string{"base-a.npy", "row 5", "logit 2 is NaN", "finite"}},
		{"class-count mismatch", Config{Predictions: []string{colDir}, NPYRoots: colRoots},
			[]string{"base-a.npy", "3 logits per row", "4 classes"}},
		{"row-count mismatch", Config{Predictions: []string{rowDir}, NPYRoots: rowRoots},
			[]string{"base-a.npy", "39 rows", "shifted/val has 40 images", "--npy-root"}},
		{"npy label out of range", Config{Predictions: []string{labDir}, NPYRoots: labRoots},
			[]string{"base-a.npy", "row 3", "prediction 9 is not a label 0..3"}},
		{"npy without root", Config{Predictions: []string{colDir}},
			[]string{"base-a.npy", "--npy-root"}},
		{"fewer than 3 baselines", Config{Predictions: []string{good}, Baselines: []string{"base-a", "base-b"}},
			[]string{"2 baseline model(s) (base-a, base-b)", "at least 3", "--baseline"}},
		{"no baselines at all", Config{Predictions: []string{good}},
			[]string{"0 baseline model(s)", "--baseline"}},
		{"column selector without table", Config{Predictions: []string{good}, Baselines: []string{"arch=r"}},
			[]string{"--models"}},
		{"models.csv duplicate", Config{Predictions: []string{good}, Models: writeFile(t, dir, "dup.csv", "model,group\na,x\na,y\n")},
			[]string{"dup.csv:3:", "listed twice", "line 2"}},
		{"wrong split", Config{Predictions: []string{good}, Split: "test"},
			[]string{"records.jsonl", `split "test"`, "--split"}},
		{"both sources", Config{Manifests: []string{manifest}, Predictions: []string{good}, Accuracies: "x.csv"},
			[]string{"not both"}},
		{"empty predictions folder", Config{Predictions: []string{t.TempDir()}},
			[]string{"no .csv, .jsonl or .npy"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := c.cfg
			if cfg.Accuracies == "" {
				cfg.Manifests = []string{manifest}
			}
			if cfg.Baselines == nil && c.name != "no baselines at all" {
				cfg.Baselines = []string{"base-*"}
			}
			_, err := Run(context.Background(), cfg)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range c.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func writeFile(t testing.TB, dir, name, body string) string {
	p := filepath.Join(dir, name)
	mustWrite(t, p, []byte(body))
	return p
}

// TestTableInput checks reading accuracies from tables: units, skipped rows, errors.
func TestTableInput(t *testing.T) {
	dir := t.TempDir()
	frac := writeFile(t, dir, "frac.csv", "name,kind,ref,shift\na,base,0.55,0.42\nb,base,0.62,0.50\nc,base,0.68,0.55\nd,base,0.71,0.60\ne,base,0.76,0.64\nf,base,0.80,0.70\nm0,pre,0.65,0.58\nm1,pre,0.78,\n")
	pct := writeFile(t, dir, "pct.csv", "name,kind,ref,shift\na,base,55,42\nb,base,62,50\nc,base,68,55\nd,base,71,60\ne,base,76,64\nf,base,80,70\nm0,pre,65,58\n")
	for _, file := range []string{frac, pct} {
		var warns []string
		rep, err := Run(context.Background(), Config{Accuracies: file, ModelCol: "name", RefCol: "ref", ShiftCol: "shift", GroupCol: "kind", Baselines: []string{"kind=base"}, Warn: func(s string) { warns = append(warns, s) }})
		if err != nil {
			t.Fatal(err)
		}
		wantUnits := map[string]string{frac: "fraction", pct: "percent"}[file]
		if rep.Units != wantUnits || !containsAll(warns, "read as "+wantUnits) {
			t.Errorf("%s: units %s, warnings %q", filepath.Base(file), rep.Units, warns)
		}
		if file == frac && !containsAll(warns, "1 rows without") {
			t.Errorf("skipped row not reported: %q", warns)
		}
		// Same fixed inputs as TestFitFixed.
		near(t, "slope", rep.Fit.Slope, 0.991167617543914, 1e-10)
		last := rep.Models[len(rep.Models)-1]
		near(t, "m0 ER", last.ER, 0.0548947782411312, 1e-10)
		if last.RefCI != nil || last.NRef != 0 {
			t.Errorf("table accuracies got counts: %+v", last)
		}
	}
	for _, c := range []struct {
		body  string
		cfg   Config
		wants []string
	}{
		{"name,ref,shift\na,0.5,x\n", Config{}, []string{"t.csv:2:", `"x"`, "not an accuracy"}},
		{"name,ref\na,0.5\n", Config{}, []string{"t.csv:1:", `no column "shift"`, "name, ref"}},
		{"name,ref,shift\na,0.5,0.4\na,0.6,0.5\n", Config{}, []string{"t.csv:3:", "twice"}},
		{"name,ref,shift\na,0.5,0.4\nb,0.6,1.5\n", Config{Units: "fraction"}, []string{"t.csv:3:", "above 1", "--units"}},
		{"name,ref,shift\na,0.5,0.4,9\n", Config{}, []string{"t.csv:2:", "4 fields", "header has 3"}},
	} {
		f := writeFile(t, dir, "t.csv", c.body)
		cfg := c.cfg
		cfg.Accuracies, cfg.ModelCol, cfg.RefCol, cfg.ShiftCol, cfg.Baselines = f, "name", "ref", "shift", []string{"*"}
		_, err := Run(context.Background(), cfg)
		if err == nil {
			t.Errorf("%q: no error", c.body)
			continue
		}
		for _, w := range c.wants {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%q: error %q lacks %q", c.body, err, w)
			}
		}
	}
}

// TestReportFormats checks the text forms on fixed inputs.
func TestReportFormats(t *testing.T) {
	res, _, err := Analyze(fixedPoints(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	rep := &Report{Title: "fixed", Result: *res}
	var b bytes.Buffer
	if err := rep.Write(&b, "table"); err != nil {
		t.Fatal(err)
	}
	s := b.String()
	for _, want := range []string{"fixed\n", "m0 ", "65.00", "58.00", "52.51", "+5.49 [+4.51, +6.47]", "fit: probit(shift) = 0.9912·probit(ref) - 0.3189, r = 0.9973, 6 baselines", "pretrained  3"} {
		if !strings.Contains(s, want) {
			t.Errorf("table lacks %q:\n%s", want, s)
		}
	}
	b.Reset()
	rep.Write(&b, "markdown")
	if !strings.Contains(b.String(), "| m0 | pretrained |  | 65.00 | 58.00 | 52.51 | +5.49 [+4.51, +6.47] |") {
		t.Errorf("markdown:\n%s", b.String())
	}
	b.Reset()
	rep.Write(&b, "csv")
	lines := strings.Split(b.String(), "\n")
	if lines[0] != strings.Join(csvHeader, ",") || !strings.HasPrefix(lines[7], ",,model,m0,pretrained,false,,0.65,,,0.58,,,0.5251052217588") {
		t.Errorf("csv:\n%s", b.String())
	}
	if err := rep.Write(&b, "yaml"); err == nil {
		t.Error("unknown format accepted")
	}
}
