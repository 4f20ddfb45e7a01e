package eval

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"testing"

	"github.com/shiftgen/shiftgen/manifests"
)

// TestSweeps: datasets of one shift form a sweep when their parameters differ in one
// numeric key only, with distinct values; rows come in increasing order of the value.
func TestSweeps(t *testing.T) {
	entry := func(name, kind, params string) *ShiftReport {
		return &ShiftReport{Dataset: name + params, Report: &Report{Shift: &ShiftInfo{Name: name, Kind: kind, Params: json.RawMessage(params)}}}
	}
	r := &ShiftsReport{Shifts: []*ShiftReport{
		entry("tint", "in-support", `{"p":0.7,"alpha":0.25}`),
		entry("labels", "in-support", `{"p":0.2,"classes":10}`),
		entry("tint", "in-support", `{"p":0.5, "alpha":0.25}`), // spacing differs: same value
		entry("flip", "out-of-support", `{}`),
		entry("tint", "in-support", `{"p":0.6,"alpha":0.25}`),
		entry("labels", "in-support", `{"p":0.1,"classes":10}`),
		// Two keys vary: no sweep.
		entry("blur", "out-of-support", `{"severity":1,"sigma":1}`),
		entry("blur", "out-of-support", `{"severity":2,"sigma":2}`),
		// A value repeats: no sweep.
		entry("dark", "out-of-support", `{"stops":1,"noise":0}`),
		entry("dark", "out-of-support", `{"stops":1,"noise":1}`),
		entry("dark", "out-of-support", `{"stops":1,"noise":1}`),
		// Not a number: no sweep.
		entry("style", "out-of-support", `{"name":"a"}`),
		entry("style", "out-of-support", `{"name":"b"}`),
		// A key only some datasets record varies too.
		entry("pad", "out-of-support", `{"pixels":6}`),
		entry("pad", "out-of-support", `{"pixels":8,"tint":true}`),
	}}
	type got struct {
		Shift, Kind, Param string
		X                  []float64
		Datasets           []string
	}
	var all []got
	for _, s := range r.sweeps() {
		g := got{s.shift, s.kind, s.param, s.x, nil}
		for _, row := range s.rows {
			g.Datasets = append(g.Datasets, row.Dataset)
		}
		all = append(all, g)
	}
	want := []got{
		{"tint", "in-support", "p", []float64{0.5, 0.6, 0.7}, []string{`tint{"p":0.5, "alpha":0.25}`, `tint{"p":0.6,"alpha":0.25}`, `tint{"p":0.7,"alpha":0.25}`}},
		{"labels", "in-support", "p", []float64{0.1, 0.2}, []string{`labels{"p":0.1,"classes":10}`, `labels{"p":0.2,"classes":10}`}},
	}
	if !reflect.DeepEqual(all, want) {
		t.Errorf("sweeps:\n%+v\nwant\n%+v", all, want)
	}
}

// paperDemoTitle is the title `make paper-demo` gives its report (see the Makefile).
const paperDemoTitle = "paper suite, embedded sample, SIMULATED predictions"

// paperDemo writes, under root/data, datasets that hold what eval and Simulate read of
// the ones `make paper-demo` generates from the embedded sample (48 classes, one image
// each): the `paper` preset's 12 shifts with their folder names, specs, kinds and
// recorded parameters, 48 reference and 48 shifted images of one class each, or, for the
// label shifts, 24 and 24 of disjoint classes with per-class keep rates. Simulate's
// predictions depend on the counts only, not on which images, so the report and figures
// are those of the demo (cmd/shiftgen's TestPaperDemo compares its report).
func paperDemo(t *testing.T, root string) {
	t.Helper()
	const table = 1281167
	write := func(dir string, f fakeSet, s manifests.Shift) {
		f.shift = &s
		f.write(t, filepath.Join(root, "data", dir))
	}
	one := fakeSet{classes: 48, nRef: 48, nShift: 48}
	for _, p := range []string{"0.5", "0.6", "0.7", "0.8", "0.9"} {
		write("spurious-tint_p-"+p, one, manifests.Shift{Name: "spurious-tint", Spec: "spurious-tint:p=" + p, Kind: "in-support",
			Params: json.RawMessage(fmt.Sprintf(`{"p":%s,"alpha":0.25,"tint_table_size":%d}`, p, table))})
	}
	halves := fakeSet{classes: 48, nRef: 24, nShift: 24, shiftClasses: 24, refLabels: func(i int) int { return 24 + i }, rates: true}
	for _, p := range []string{"0.1", "0.15", "0.2", "0.25", "0.3"} {
		write("label-shift_p-"+p, halves, manifests.Shift{Name: "label-shift", Spec: "label-shift:p=" + p, Kind: "in-support",
			Params: json.RawMessage(fmt.Sprintf(`{"p":%s,"classes":48}`, p))})
	}
	write("unseen-tint", one, manifests.Shift{Name: "unseen-tint", Spec: "unseen-tint", Kind: "out-of-support",
		Params: json.RawMessage(fmt.Sprintf(`{"p":0,"alpha":0.25,"tint_table_size":%d}`, table))})
	write("vflip", one, manifests.Shift{Name: "vflip", Spec: "vflip", Kind: "out-of-support", Params: json.RawMessage(`{}`)})
}

// checkGoldenText compares text with its golden file in testdata/eval (rewritten with
// -regen).
func checkGoldenText(t *testing.T, got []byte, name string) {
	t.Helper()
	path, want := golden(t, got, name)
	if want == nil {
		return
	}
	if !bytes.Equal(got, want) {
		t.Errorf("the report differs from %s; if the change is intended, run go test -run %s -regen:\n%s", path, t.Name(), got)
	}
}

// TestPaperDemoGolden draws `make paper-demo`'s report and figures (the small
// multiples, the mean ER by kind and the sweeps over p) from the demo's datasets and
// simulated predictions, and compares them with testdata/eval/paper-demo.*. The sweeps
// figure's legends must cover no data.
func TestPaperDemoGolden(t *testing.T) {
	root := t.TempDir()
	paperDemo(t, root)
	data := filepath.Join(root, "data", "*")
	preds := filepath.Join(root, "preds")
	if _, err := Simulate(context.Background(), SimConfig{Manifests: []string{data}, Out: preds}); err != nil {
		t.Fatal(err)
	}
	rep, err := RunShifts(context.Background(), Config{Manifests: []string{data}, Predictions: []string{preds},
		Models: filepath.Join(preds, "models.csv"), Title: paperDemoTitle})
	if err != nil {
		t.Fatal(err)
	}
	var text bytes.Buffer
	if err := rep.Write(&text, "table"); err != nil {
		t.Fatal(err)
	}
	checkGoldenText(t, text.Bytes(), "paper-demo.txt")
	dir := t.TempDir()
	files, err := rep.Plot(filepath.Join(dir, "er.png"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 3 || filepath.Base(files[2]) != "er.sweeps.png" {
		t.Fatalf("files %v", files)
	}
	for i, golden := range []string{"paper-demo.png", "paper-demo.kinds.png", "paper-demo.sweeps.png"} {
		got, err := os.ReadFile(files[i])
		if err != nil {
			t.Fatal(err)
		}
		checkGolden(t, got, golden)
	}
	sw := rep.sweeps()
	if len(sw) != 2 || sw[0].shift != "label-shift" || sw[1].shift != "spurious-tint" || !reflect.DeepEqual(sw[1].x, []float64{0.5, 0.6, 0.7, 0.8, 0.9}) {
		t.Fatalf("sweeps %+v", sw)
	}
	placers, err := rep.saveSweeps(filepath.Join(dir, "s.png"), sw)
	if err != nil {
		t.Fatal(err)
	}
	for i, lp := range placers {
		if lp.last == nil || lp.last.hits != 0 {
			t.Errorf("sweep %s: the legend covers data (%+v)", sw[i].shift, lp.last)
		}
	}
}

// TestSweepsNone: without a sweep, Plot draws the two figures only.
func TestSweepsNone(t *testing.T) {
	c := newCatalogue(t)
	preds := filepath.Join(t.TempDir(), "preds")
	c.perDataset(t, preds)
	cfg := Config{Predictions: []string{preds}, Baselines: []string{"base-*"}}
	for _, n := range c.order {
		cfg.Manifests = append(cfg.Manifests, c.manifest(n))
	}
	rep, err := RunShifts(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	files, err := rep.Plot(filepath.Join(t.TempDir(), "s.svg"))
	if err != nil || len(files) != 2 {
		t.Errorf("files %v, %v", files, err)
	}
}

// TestPlainTicksLabelZero: on an axis across zero the labels include 0 and fall on
// multiples of their spacing; every label is the tick's value written plainly.
func TestPlainTicksLabelZero(t *testing.T) {
	for _, r := range [][2]float64{{-3.56, 9.1}, {-2.9, 8.7}, {-30, 80}, {-0.7, 0.4}, {1, 9}} {
		var labels []string
		for _, tk := range (plainTicks{}).Ticks(r[0], r[1]) {
			if tk.Label == "" {
				continue
			}
			labels = append(labels, tk.Label)
			if tk.Label != strconv.FormatFloat(tk.Value, 'f', -1, 64) {
				t.Errorf("%v: tick %v labelled %q", r, tk.Value, tk.Label)
			}
		}
		if len(labels) < 2 {
			t.Errorf("%v: labels %v, want at least two", r, labels)
		}
		if r[0] < 0 && !slices.Contains(labels, "0") {
			t.Errorf("%v: labels %v lack 0", r, labels)
		}
		t.Logf("%v: %v", r, labels)
	}
}
