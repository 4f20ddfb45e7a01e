package eval

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/shiftgen/shiftgen/manifests"
)

// simSuite writes three made-up datasets under root/out: an in-support shift, a label
// shift whose reference and shifted images share no class, and an out-of-support shift.
func simSuite(t *testing.T, root string, n int) map[string]fakeSet {
	t.Helper()
	sets := map[string]fakeSet{
		"tint": {classes: 5, nRef: n, nShift: n - 20, nTrain: 4,
			shift: &manifests.Shift{Name: "tint", Spec: "tint:p=0.5", Kind: "in-support", Params: json.RawMessage(`{"p":0.5}`)}},
		"labels": {classes: 6, nRef: n - 10, nShift: n, shiftClasses: 3, refLabels: func(i int) int { return 3 + i%3 }, rates: true,
			shift: &manifests.Shift{Name: "labels", Spec: "labels:p=0.2", Kind: "in-support", Params: json.RawMessage(`{"p":0.2}`)}},
		"flip": {classes: 5, nRef: n, nShift: n,
			shift: &manifests.Shift{Name: "flip", Spec: "flip", Kind: "out-of-support", Params: json.RawMessage(`{}`)}},
	}
	for name, f := range sets {
		f.write(t, filepath.Join(root, "out", name))
	}
	return sets
}

// phi and phiInv are the standard normal CDF and quantile, from the standard library's
// error functions (eval's own use gonum).
func phi(x float64) float64 { return 0.5 * math.Erfc(-x/math.Sqrt2) }
func phiInv(p float64) float64 {
	p = math.Min(math.Max(p, ClampLow), ClampHigh)
	return -math.Sqrt2 * math.Erfcinv(2*p)
}

// readTree returns every file below dir by its relative path.
func readTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestSimulateExact checks what Simulate writes against an independent reading: every
// file's right predictions number exactly round(acc·n) per side, accuracies follow the
// recorded line (plus the group's gain out of support), wrong predictions are other
// classes' labels, and the same inputs and seed give the same bytes whatever the
// worker count.
func TestSimulateExact(t *testing.T) {
	root := t.TempDir()
	sets := simSuite(t, root, 60)
	cfg := SimConfig{Manifests: []string{filepath.Join(root, "out")}, Out: filepath.Join(root, "preds"), Seed: 7}
	sim, err := Simulate(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	files := readTree(t, cfg.Out)
	if len(files) != 3*18+2 || sim.Files != 3*18 {
		t.Fatalf("%d files written (%d counted), want %d", len(files), sim.Files, 3*18+2)
	}
	var recorded Simulation
	if err := json.Unmarshal(files[SimulationFile], &recorded); err != nil {
		t.Fatal(err)
	}
	if recorded.Note != SimulationNote || !strings.HasPrefix(recorded.Note, "SIMULATED") || len(recorded.Datasets) != 3 || recorded.Seed != 7 {
		t.Fatalf("simulation.json: %+v", recorded)
	}
	groups := map[string]SimGroup{}
	for _, g := range SimGroups() {
		groups[g.Name] = g
	}
	for _, d := range recorded.Datasets {
		f := sets[d.Dataset]
		if d.Ref != f.nRef || d.Shifted != f.nShift || d.Kind != f.shift.Kind || d.Slope < 0.85 || d.Slope >= 1.15 || d.Intercept > -0.3 || d.Intercept <= -0.9 {
			t.Errorf("%s: %+v", d.Dataset, d)
		}
		if len(d.Models) != 18 {
			t.Fatalf("%s: %d models", d.Dataset, len(d.Models))
		}
		for _, m := range d.Models {
			g := groups[m.Group]
			if m.RefCorrect != int(math.Round(m.TargetRef*float64(d.Ref))) || m.Baseline != g.Baseline || !strings.HasPrefix(m.Model, g.Prefix+"-") {
				t.Errorf("%s %s: %+v", d.Dataset, m.Model, m)
			}
			want := phi(d.Slope*phiInv(float64(m.RefCorrect)/float64(d.Ref)) + d.Intercept)
			if d.Kind == "out-of-support" {
				want += g.Gain
			}
			want = math.Min(math.Max(want, 0), 1)
			if math.Abs(m.TargetShift-want) > 1e-9 || m.ShiftCorrect != int(math.Round(m.TargetShift*float64(d.Shifted))) {
				t.Errorf("%s %s: shifted target %v (%d right), want %v", d.Dataset, m.Model, m.TargetShift, m.ShiftCorrect, want)
			}
			// The file: every val image of both sides once, right exactly as recorded.
			rows, err := csv.NewReader(bytes.NewReader(files[d.Dataset+"/"+m.Model+".csv"])).ReadAll()
			if err != nil || len(rows) != 1+d.Ref+d.Shifted || strings.Join(rows[0], ",") != "distribution,split,index,prediction,simulated" {
				t.Fatalf("%s/%s.csv: %d rows, %v", d.Dataset, m.Model, len(rows), err)
			}
			right := map[string]int{}
			seen := map[string]bool{}
			for _, r := range rows[1:] {
				i, err1 := strconv.Atoi(r[2])
				p, err2 := strconv.Atoi(r[3])
				key := r[0] + "/" + r[2]
				if err1 != nil || err2 != nil || r[1] != "val" || i < 0 || i >= f.n(r[0], "val") || seen[key] || p < 0 || p >= f.classes || r[4] != "yes" {
					t.Fatalf("%s/%s.csv: row %v", d.Dataset, m.Model, r)
				}
				seen[key] = true
				if p == f.label(r[0], i) {
					right[r[0]]++
				}
			}
			if right["reference"] != m.RefCorrect || right["shifted"] != m.ShiftCorrect {
				t.Errorf("%s/%s.csv: %d and %d right, recorded %d and %d", d.Dataset, m.Model, right["reference"], right["shifted"], m.RefCorrect, m.ShiftCorrect)
			}
		}
	}
	table, err := ReadModels(filepath.Join(cfg.Out, "models.csv"), nil)
	if err != nil || len(table) != 18 || !table["sim-scratch-3"].Baseline || table["sim-pretrained-b-2"].Baseline || table["sim-pretrained-a-1"].Group != "pre-trained A (simulated)" {
		t.Errorf("models.csv: %v, %v", table, err)
	}
	// Same inputs and seed: the same bytes, with one worker too; another seed differs.
	cfg.Out, cfg.Workers = filepath.Join(root, "again"), 1
	if _, err := Simulate(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	again := readTree(t, cfg.Out)
	for name, b := range files {
		if !bytes.Equal(again[name], b) {
			t.Errorf("%s differs between two runs", name)
		}
	}
	cfg.Out, cfg.Seed = filepath.Join(root, "seed8"), 8
	if _, err := Simulate(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	if other := readTree(t, cfg.Out); bytes.Equal(other["flip/sim-scratch-1.csv"], files["flip/sim-scratch-1.csv"]) {
		t.Error("seed 8 gives the predictions of seed 7")
	}
}

// TestSimulateEval: eval, reading the simulated files as a user would, finds what the
// simulation built: baselines on a line, the pre-trained groups' ER near 0 in support
// and near their gain out of support.
func TestSimulateEval(t *testing.T) {
	root := t.TempDir()
	simSuite(t, root, 400)
	preds := filepath.Join(root, "preds")
	if _, err := Simulate(context.Background(), SimConfig{Manifests: []string{filepath.Join(root, "out", "*")}, Out: preds}); err != nil {
		t.Fatal(err)
	}
	rep, err := RunShifts(context.Background(), Config{Manifests: []string{filepath.Join(root, "out")}, Predictions: []string{preds},
		Models: filepath.Join(preds, "models.csv")})
	if err != nil {
		t.Fatal(err)
	}
	gains := map[string]float64{}
	for _, g := range SimGroups() {
		gains[g.Name] = g.Gain
	}
	for _, s := range rep.Shifts {
		if s.Fit.NBaselines != 8 || s.Fit.R < 0.999 {
			t.Errorf("%s: fit %+v", s.Dataset, s.Fit)
		}
		for _, g := range s.Groups {
			want := 0.0
			if s.Shift.Kind == "out-of-support" {
				want = gains[g.Group]
			}
			if math.Abs(g.MeanER-want) > 0.005 {
				t.Errorf("%s: %s mean ER %+.4f, built %+.4f", s.Dataset, g.Group, g.MeanER, want)
			}
		}
	}
	if !strings.Contains(rep.ClassMatching, KeepRatesRule) {
		t.Errorf("class_matching %q lacks the label-shift rule", rep.ClassMatching)
	}
}

// TestSimulateRefusals: what Simulate will not do, and that it leaves nothing behind.
func TestSimulateRefusals(t *testing.T) {
	root := t.TempDir()
	simSuite(t, root, 30)
	ok := SimConfig{Manifests: []string{filepath.Join(root, "out")}}
	run := func(mod func(*SimConfig)) error {
		c := ok
		mod(&c)
		_, err := Simulate(context.Background(), c)
		return err
	}
	mine := filepath.Join(root, "preds")
	theirs := filepath.Join(root, "theirs")
	mustWrite(t, filepath.Join(theirs, "notes.txt"), []byte("x"))
	if err := run(func(c *SimConfig) { c.Out = mine }); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, filepath.Join(mine, "stale", "m.csv"), []byte("path,prediction\n"))
	natural := fakeSet{classes: 3, nRef: 6, nShift: 6, shift: &manifests.Shift{Name: "index", Kind: "natural", Params: json.RawMessage(`{}`)}}
	naturalDir := filepath.Join(t.TempDir(), "natural")
	natural.write(t, naturalDir)
	noRef := fakeSet{classes: 3, nShift: 6, noRef: true}
	noRefDir := filepath.Join(t.TempDir(), "c")
	noRef.write(t, noRefDir)
	for _, c := range []struct {
		mod  func(*SimConfig)
		want string
	}{
		{func(c *SimConfig) { c.Out = mine }, "exists and is not empty; pass --force"},
		{func(c *SimConfig) { c.Out, c.Force = theirs, true }, "holds no simulation.json"},
		{func(c *SimConfig) { c.Out = filepath.Join(root, "out", "flip", "preds") }, "--out"},
		{func(c *SimConfig) { c.Out, c.Manifests = filepath.Join(root, "n"), []string{naturalDir} }, `kind "natural"`},
		{func(c *SimConfig) { c.Out, c.Manifests = filepath.Join(root, "n"), []string{noRefDir} }, "no reference image of split val"},
		{func(c *SimConfig) { c.Out, c.Groups = filepath.Join(root, "n"), SimGroups()[1:] }, "0 baselines"},
		{func(c *SimConfig) {}, "--out"},
	} {
		if err := run(c.mod); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("err %v, want %q", err, c.want)
		}
	}
	if _, err := os.Stat(filepath.Join(root, "n")); err == nil {
		t.Error("a refused run left its output folder")
	}
	// --force replaces a simulation's folder whole: the stale file goes.
	if err := run(func(c *SimConfig) { c.Out, c.Force = mine, true }); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(mine, "stale")); err == nil {
		t.Error("--force kept a file of the replaced folder")
	}
	entries, _ := os.ReadDir(root)
	for _, e := range entries {
		if manifests.IsTemp(e.Name()) {
			t.Errorf("left behind %s", e.Name())
		}
	}
}
