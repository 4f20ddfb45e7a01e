package supportsplit

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shiftgen/shiftgen/manifests"
)

var testClasses = []string{"n01440764", "n01443537", "n01484850"}

// splitFixture writes a reference and a shifted dataset with features of known support
// under dir and returns the config that splits them, and which shifted records are far.
func splitFixture(t testing.TB, dir string, nRef, nShift int) (Config, []bool) {
	t.Helper()
	rows, _, far := synth(nRef, nShift, 8, 0.3, 8, 21)
	refM := writeDataset(t, filepath.Join(dir, "ref"), "reference", nRef, testClasses)
	shiftM := writeDataset(t, filepath.Join(dir, "v2"), "shifted", nShift, testClasses)
	refF := writeFile(t, dir, "ref.npy", f32npy(rows[:nRef]))
	shiftF := writeFile(t, dir, "v2.npy", f32npy(rows[nRef:]))
	return Config{Reference: refM, Shifted: shiftM, ReferenceFeatures: refF, ShiftedFeatures: shiftF, Out: filepath.Join(dir, "out"), Version: "test"}, far[nRef:]
}

func TestRun(t *testing.T) {
	dir := t.TempDir()
	cfg, far := splitFixture(t, dir, 1200, 600)
	cfg.Plot = filepath.Join(dir, "ratios.svg")
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.Reference != 1200 || res.Shifted != 600 || res.In+res.Out != 600 {
		t.Fatalf("counts %+v", res)
	}
	m, err := manifests.ReadManifest(res.Manifest)
	if err != nil {
		t.Fatal(err)
	}
	if m.Shift.Name != "support-split" || m.Shift.Kind != "natural" || m.Records.Count != 1800 {
		t.Errorf("manifest shift %+v, %d records", m.Shift, m.Records.Count)
	}
	if len(m.Counts) != 2 || m.Counts[1].Stats["in"] != res.In || m.Counts[1].Stats["out"] != res.Out {
		t.Errorf("counts %+v; want reference then shifted with in/out stats", m.Counts)
	}
	recs, err := manifests.ReadRecordsFile(filepath.Join(cfg.Out, manifests.RecordsFile))
	if err != nil {
		t.Fatal(err)
	}
	wrong := 0
	for i, r := range recs {
		if i < 1200 {
			if r.Distribution != "reference" || r.Fields[FieldSupport] != nil || r.Fields[FieldScore] == nil {
				t.Fatalf("record %d: %+v; want a reference record with a score and no support", i, r)
			}
			continue
		}
		sup, _ := r.Field(FieldSupport)
		if r.Distribution != "shifted" || (sup != "in" && sup != "out") {
			t.Fatalf("record %d: %+v; want a shifted record with support in or out", i, r)
		}
		if (sup == "out") != far[i-1200] {
			wrong++
		}
		lr, _ := r.Field(FieldLogDensityRatio)
		dr, _ := r.Field(FieldDensityRatio)
		var l, d float64
		fmt.Sscan(lr, &l)
		fmt.Sscan(dr, &d)
		if math.Abs(math.Exp(l)-d) > 1e-9*d {
			t.Fatalf("record %d: density ratio %v is not exp(log density ratio %v)", i, d, l)
		}
		// Paths are rebased onto the output folder and still name the same file.
		if want := "../v2/" + fmt.Sprintf("../data/shifted/%s/%05d.png", r.Class, r.Index); filepath.Clean(filepath.Join(cfg.Out, r.Path)) != filepath.Clean(filepath.Join(cfg.Out, want)) {
			t.Fatalf("record %d: path %s; want it to resolve like %s", i, r.Path, want)
		}
	}
	if wrong > 6 {
		t.Errorf("%d of 600 shifted records on the wrong side of the threshold", wrong)
	}
	if b, err := os.ReadFile(cfg.Plot); err != nil || !bytes.Contains(b, []byte("<svg")) {
		t.Errorf("plot: %v", err)
	}
	var sum strings.Builder
	if err := res.Summary(&sum); err != nil || !strings.Contains(sum.String(), "out-of-fold AUC") {
		t.Errorf("summary %q, %v", sum.String(), err)
	}

	// Same inputs, other worker count: byte-identical files.
	cfg2 := cfg
	cfg2.Out, cfg2.Plot = filepath.Join(dir, "out2"), ""
	cfg2.Fit.Workers = 1
	if _, err := Run(context.Background(), cfg2); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{manifests.RecordsFile, manifests.ManifestFile} {
		a, _ := os.ReadFile(filepath.Join(cfg.Out, f))
		b, _ := os.ReadFile(filepath.Join(cfg2.Out, f))
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs between 2 workers and 1", f)
		}
	}

	// Existing output: refused without Force.
	if _, err := Run(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Errorf("second run into %s: %v; want a --force hint", cfg.Out, err)
	}
}

// TestRunScores: precomputed scores replace the classifier and give the same split as
// the scores Run computed.
func TestRunScores(t *testing.T) {
	dir := t.TempDir()
	cfg, _ := splitFixture(t, dir, 600, 300)
	if _, err := Run(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	recs, err := manifests.ReadRecordsFile(filepath.Join(cfg.Out, manifests.RecordsFile))
	if err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	sb.WriteString("score\n")
	for _, r := range recs {
		s, _ := r.Field(FieldScore)
		sb.WriteString(s + "\n")
	}
	sc := Config{Reference: cfg.Reference, Shifted: cfg.Shifted, Scores: writeFile(t, dir, "scores.csv", []byte(sb.String())), Out: filepath.Join(dir, "out-scores"), Version: "test"}
	if _, err := Run(context.Background(), sc); err != nil {
		t.Fatal(err)
	}
	again, err := manifests.ReadRecordsFile(filepath.Join(sc.Out, manifests.RecordsFile))
	if err != nil {
		t.Fatal(err)
	}
	for i := range recs {
		a, _ := recs[i].Field(FieldSupport)
		b, _ := again[i].Field(FieldSupport)
		if a != b {
			t.Fatalf("record %d: support %q from features, %q from the same scores", i, a, b)
		}
	}
	sc.Out = filepath.Join(dir, "out-short")
	sc.Scores = writeFile(t, dir, "short.csv", []byte("1\n2\n"))
	if _, err := Run(context.Background(), sc); err == nil || !strings.Contains(err.Error(), "has 2 scores but there are 900 examples") {
		t.Errorf("short scores: %v", err)
	}
}

// TestRunGenerated: a generated dataset holding both distributions can be both sides;
// its reference records are the reference, its shifted records the shifted examples, and
// a feature file with one row per record of the whole file is accepted.
func TestRunGenerated(t *testing.T) {
	dir := t.TempDir()
	rows, _, _ := synth(300, 150, 4, 1, 8, 3)
	gen := filepath.Join(dir, "gen")
	ref := writeDataset(t, filepath.Join(dir, "a"), "reference", 300, testClasses)
	shift := writeDataset(t, filepath.Join(dir, "b"), "shifted", 150, testClasses)
	// Join the two into one dataset, as generate writes.
	os.MkdirAll(gen, 0o755)
	a, _ := os.ReadFile(filepath.Join(filepath.Dir(ref), manifests.RecordsFile))
	b, _ := os.ReadFile(filepath.Join(filepath.Dir(shift), manifests.RecordsFile))
	recs := append(a, b...)
	os.WriteFile(filepath.Join(gen, manifests.RecordsFile), recs, 0o644)
	ma, _ := manifests.ReadManifest(ref)
	mb, _ := manifests.ReadManifest(shift)
	ma.Counts = append(ma.Counts, mb.Counts...)
	sum := sha256.Sum256(recs)
	ma.Records.Count, ma.Records.SHA256 = 450, hex.EncodeToString(sum[:])
	mj, _ := ma.Marshal()
	genM := writeFile(t, gen, manifests.ManifestFile, mj)
	feats := writeFile(t, dir, "all.npy", f32npy(rows))
	cfg := Config{Reference: genM, Shifted: genM, ReferenceFeatures: feats, ShiftedFeatures: feats, Out: filepath.Join(dir, "out"), Fit: FitOptions{Folds: 5}, Version: "test"}
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.Reference != 300 || res.Shifted != 150 || res.Out < 145 {
		t.Errorf("%d reference, %d shifted, %d out of support; want 300, 150 and nearly all out", res.Reference, res.Shifted, res.Out)
	}
}

func TestRunErrors(t *testing.T) {
	dir := t.TempDir()
	cfg, _ := splitFixture(t, dir, 200, 100)
	f4 := func(rows, cols int, poison bool) []byte {
		data := new(bytes.Buffer)
		for i := 0; i < rows*cols; i++ {
			v := float32(i % 7)
			if poison && i == cols+2 {
				v = float32(math.NaN())
			}
			binary.Write(data, binary.LittleEndian, v)
		}
		return npyBytes("<f4", []int{rows, cols}, false, data.Bytes())
	}
	otherClasses := writeDataset(t, filepath.Join(dir, "other"), "shifted", 100, []string{"a", "b", "c"})
	empty := writeDataset(t, filepath.Join(dir, "empty"), "shifted", 0, testClasses)
	for _, tc := range []struct {
		name string
		edit func(c *Config)
		want []string
	}{
		{"rows ≠ records", func(c *Config) { c.ShiftedFeatures = writeFile(t, dir, "s99.npy", f4(99, 8, false)) },
			[]string{"--shifted-features", "s99.npy has 99 rows but", "has 100 records", "one row per record, in records.jsonl order"}},
		{"NaN", func(c *Config) { c.ReferenceFeatures = writeFile(t, dir, "nan.npy", f4(200, 8, true)) },
			[]string{"nan.npy", "row 1 (0-based), column 2 is NaN", "features must be finite"}},
		{"dimension mismatch", func(c *Config) { c.ShiftedFeatures = writeFile(t, dir, "s5.npy", f4(100, 5, false)) },
			[]string{"have 8 columns", "s5.npy) have 5", "extract both with the same model"}},
		{"one class only", func(c *Config) { c.Shifted, c.ShiftedFeatures = empty, writeFile(t, dir, "e.npy", f4(1, 8, false)) },
			[]string{"--shifted", "no records", "needs examples of both datasets"}},
		{"same dataset", func(c *Config) { c.Shifted, c.ShiftedFeatures = c.Reference, c.ReferenceFeatures },
			[]string{"are the same dataset"}},
		{"classes differ", func(c *Config) { c.Shifted = otherClasses },
			[]string{`class 0 is "n01440764"`, "--classes"}},
		{"epsilon", func(c *Config) { c.Epsilon = 1.5 }, []string{"--epsilon 1.5 is out of range"}},
		{"no features", func(c *Config) { c.ShiftedFeatures = "" }, []string{"--reference-features and --shifted-features"}},
		{"out holds input", func(c *Config) { c.Out = dir }, []string{"holds the input"}},
		{"out holds images", func(c *Config) { c.Out, c.Force = filepath.Join(dir, "data"), true }, []string{"holds images of the reference dataset", "--force would delete"}},
		{"plot format", func(c *Config) { c.Plot = "x.jpg" }, []string{"unknown format"}},
		{"folds", func(c *Config) { c.Fit.Folds = 200 }, []string{"--folds 200 is out of range"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := cfg
			c.Out = filepath.Join(t.TempDir(), "out")
			tc.edit(&c)
			_, err := Run(context.Background(), c)
			for _, w := range tc.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Fatalf("error %v; want one containing %q", err, w)
				}
			}
			if _, err := os.Stat(filepath.Join(c.Out, manifests.ManifestFile)); err == nil {
				t.Error("a manifest was written despite the error")
			}
		})
	}
}

// TestParamsRecorded: the manifest records what ran.
func TestParamsRecorded(t *testing.T) {
	dir := t.TempDir()
	cfg, _ := splitFixture(t, dir, 300, 150)
	cfg.Epsilon, cfg.Fit = 0.1, FitOptions{Folds: 4, Seed: 3, Lambdas: []float64{0.01}}
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	m, err := manifests.ReadManifest(res.Manifest)
	if err != nil {
		t.Fatal(err)
	}
	var p Params
	if err := json.Unmarshal(m.Shift.Params, &p); err != nil {
		t.Fatal(err)
	}
	if p.Epsilon != 0.1 || p.Folds != 4 || p.Seed != 3 || len(p.Lambdas) != 1 || m.Shift.Spec != "support-split:epsilon=0.1,folds=4,seed=3" {
		t.Errorf("params %+v, spec %s", p, m.Shift.Spec)
	}
}
