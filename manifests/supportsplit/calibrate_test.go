package supportsplit

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

var regen = flag.Bool("regen", false, "regenerate testdata/natural/{scores,logreg}.csv and expected.json with /usr/bin/python3 (NumPy, SciPy)")

// natural is the folder of this package's fixtures.
const natural = "../../testdata/natural"

// python is the interpreter with NumPy and SciPy (Debian's); the one on PATH may lack them.
const python = "/usr/bin/python3"

// expected is what testdata/natural/expected.py computes.
type expected struct {
	Calibration struct {
		AUC          float64   `json:"auc"`
		Temperature  float64   `json:"temperature"`
		NRef         int       `json:"n_ref"`
		NShift       int       `json:"n_shift"`
		DensityRatio []float64 `json:"density_ratio"`
		Out02        []bool    `json:"out_0.2"`
		Out01        []bool    `json:"out_0.1"`
	} `json:"calibration"`
	Logreg struct {
		Lambda    float64   `json:"lambda"`
		Objective float64   `json:"objective"`
		W         []float64 `json:"w"`
		B         float64   `json:"b"`
		Logits    []float64 `json:"logits"`
	} `json:"logreg"`
}

func haveSciPy() bool {
	return exec.Command(python, "-c", "import numpy, scipy").Run() == nil
}

// readLabelled reads a CSV of feature columns then a 0/1 label column.
func readLabelled(t *testing.T, path string) ([][]float32, []bool) {
	t.Helper()
	f, err := ReadFeatures(path)
	if err != nil {
		t.Fatal(err)
	}
	rows := make([][]float32, f.Rows)
	y := make([]bool, f.Rows)
	for i := range rows {
		r := f.Row(i)
		rows[i], y[i] = r[:f.Cols-1], r[f.Cols-1] == 1
	}
	return rows, y
}

// fitOne fits one model with strength lambda on all rows to a tight tolerance and
// returns its standardised parameters, objective and raw-feature logits.
func fitOne(t *testing.T, rows [][]float32, y []bool, lambda float64) (theta []float64, obj float64, logits []float64) {
	t.Helper()
	eng := newEngine(rows, y, make([]uint8, len(rows)), 2)
	eng.covariance()
	bat := newBatcher(eng)
	done := make(chan struct{})
	go func() { bat.loop(context.Background(), 1); close(done) }()
	req := &request{train: 1}
	n := float64(len(rows))
	d := eng.dim
	f := func(x, g []float64) (float64, error) {
		eng.setModel(req, x)
		if err := bat.eval(req); err != nil {
			return 0, err
		}
		v := req.loss / n
		for j := 0; j < d; j++ {
			g[j] = (req.g[j]-eng.mean[j]*req.r)*eng.invStd[j]/n + lambda*x[j]
			v += 0.5 * lambda * x[j] * x[j]
		}
		g[d] = req.r / n
		return v, nil
	}
	pre, err := eng.precondition(0.25, lambda)
	if err != nil {
		t.Fatal(err)
	}
	theta = make([]float64, d+1)
	if _, err := minimise(f, theta, lbfgsOptions{maxIter: 1000, gradTol: 1e-10, funcTol: 0, memory: 10, precond: pre}); err != nil {
		t.Fatal(err)
	}
	g := make([]float64, d+1)
	obj, _ = f(theta, g)
	logits = make([]float64, len(rows))
	sreq := &request{score: 1, out: logits}
	eng.setModel(sreq, theta)
	if err := bat.eval(sreq); err != nil {
		t.Fatal(err)
	}
	bat.done()
	<-done
	return theta, obj, logits
}

// check compares shiftgen's calibration, density ratios, AUC and logistic regression
// with exp on the data of scoresCSV and logregCSV.
func check(t *testing.T, exp *expected, scoresCSV, logregCSV string) {
	t.Helper()
	feat, err := ReadFeatures(scoresCSV)
	if err != nil {
		t.Fatal(err)
	}
	scores := make([]float64, feat.Rows)
	shifted := make([]bool, feat.Rows)
	nRef, nShift := 0, 0
	for i := range scores {
		r := feat.Row(i)
		// Parse the score at full precision: the CSV holds decimal values.
		scores[i] = float64(r[0])
		shifted[i] = r[1] == 1
		if shifted[i] {
			nShift++
		} else {
			nRef++
		}
	}
	// Re-read the scores column in float64 (ReadFeatures stores float32).
	raw, err := os.ReadFile(scoresCSV)
	if err != nil {
		t.Fatal(err)
	}
	for i, line := range strings.Split(strings.TrimSpace(string(raw)), "\n")[1:] {
		scores[i], _ = strconv.ParseFloat(strings.Split(line, ",")[0], 64)
	}
	c := exp.Calibration
	if nRef != c.NRef || nShift != c.NShift {
		t.Fatalf("%d/%d reference/shifted scores; expected.json says %d/%d", nRef, nShift, c.NRef, c.NShift)
	}
	if auc := AUC(scores, shifted); math.Abs(auc-c.AUC) > 1e-12 {
		t.Errorf("AUC %.15g; SciPy's Mann-Whitney gives %.15g", auc, c.AUC)
	}
	alpha, err := Calibrate(scores, shifted)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(alpha-c.Temperature) > 1e-9*math.Abs(c.Temperature) {
		t.Errorf("temperature %.15g; SciPy gives %.15g", alpha, c.Temperature)
	}
	for i, s := range scores {
		lr := LogDensityRatio(s, alpha, nRef, nShift)
		if want := c.DensityRatio[i]; math.Abs(math.Exp(lr)-want) > 1e-8*want {
			t.Errorf("example %d: density ratio %.15g; q/(1-q)·N_ref/N_shift gives %.15g", i, math.Exp(lr), want)
		}
		if OutOfSupport(lr, 0.2) != c.Out02[i] || OutOfSupport(lr, 0.1) != c.Out01[i] {
			t.Errorf("example %d (ratio %.6g): out of support at ε 0.2, 0.1: %v, %v; want %v, %v", i, math.Exp(lr), OutOfSupport(lr, 0.2), OutOfSupport(lr, 0.1), c.Out02[i], c.Out01[i])
		}
	}
	rows, y := readLabelled(t, logregCSV)
	l := exp.Logreg
	theta, obj, logits := fitOne(t, rows, y, l.Lambda)
	if math.Abs(obj-l.Objective) > 1e-7*math.Abs(l.Objective) {
		t.Errorf("objective %.12g; SciPy's L-BFGS-B reaches %.12g", obj, l.Objective)
	}
	// Features and the kernels are float32, so parameters agree to about 1e-4 (the
	// gradient's rounding noise over the regularisation's curvature), not to float64.
	for j, w := range l.W {
		if math.Abs(theta[j]-w) > 1e-3*max(1, math.Abs(w)) {
			t.Errorf("w[%d] = %.8g; SciPy gives %.8g", j, theta[j], w)
		}
	}
	if math.Abs(theta[len(l.W)]-l.B) > 1e-3*max(1, math.Abs(l.B)) {
		t.Errorf("b = %.8g; SciPy gives %.8g", theta[len(l.W)], l.B)
	}
	for i, z := range l.Logits {
		if math.Abs(logits[i]-z) > 1e-3*max(1, math.Abs(z)) {
			t.Fatalf("row %d: logit %.8g; SciPy gives %.8g", i, logits[i], z)
		}
	}
}

// TestMathsFixture compares with the numbers SciPy computed for the committed data.
func TestMathsFixture(t *testing.T) {
	if *regen {
		if !haveSciPy() {
			t.Fatalf("-regen needs %s with NumPy and SciPy", python)
		}
		out, err := exec.Command(python, filepath.Join(natural, "expected.py"), "make", natural).CombinedOutput()
		if err != nil {
			t.Fatalf("expected.py make: %v\n%s", err, out)
		}
	}
	b, err := os.ReadFile(filepath.Join(natural, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var exp expected
	if err := json.Unmarshal(b, &exp); err != nil {
		t.Fatal(err)
	}
	check(t, &exp, filepath.Join(natural, "scores.csv"), filepath.Join(natural, "logreg.csv"))
}

// TestMathsSciPy draws new data and has SciPy compute the expected numbers; it skips
// without /usr/bin/python3, NumPy and SciPy.
func TestMathsSciPy(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: calls Python")
	}
	if !haveSciPy() {
		t.Skipf("%s with NumPy and SciPy not found", python)
	}
	for seed := uint64(1); seed <= 3; seed++ {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			r := rand.New(rand.NewPCG(seed, 9))
			dir := t.TempDir()
			var sb strings.Builder
			sb.WriteString("score,shifted\n")
			nRef, nShift := 200+r.IntN(200), 50+r.IntN(200)
			for i := 0; i < nRef+nShift; i++ {
				s, y := r.NormFloat64()*2-0.3, 0
				if i >= nRef {
					s, y = r.NormFloat64()*1.5+0.7, 1
				}
				fmt.Fprintf(&sb, "%.17g,%d\n", s, y)
			}
			scores := filepath.Join(dir, "scores.csv")
			os.WriteFile(scores, []byte(sb.String()), 0o644)
			sb.Reset()
			k := 3 + r.IntN(6)
			for j := 0; j < k; j++ {
				fmt.Fprintf(&sb, "f%d,", j)
			}
			sb.WriteString("shifted\n")
			for i := 0; i < 300; i++ {
				z := -0.5
				for j := 0; j < k; j++ {
					v := float32(r.NormFloat64()*float64(j+1) + float64(j))
					z += float64(v) * float64(j%3-1) * 0.7
					fmt.Fprintf(&sb, "%.9g,", v)
				}
				y := 0
				if r.Float64() < sigmoid(z) {
					y = 1
				}
				fmt.Fprintf(&sb, "%d\n", y)
			}
			lr := filepath.Join(dir, "logreg.csv")
			os.WriteFile(lr, []byte(sb.String()), 0o644)
			lambda := []float64{0.1, 0.01, 0.001}[seed%3]
			out, err := exec.Command(python, filepath.Join(natural, "expected.py"), "compute", scores, lr, fmt.Sprint(lambda)).Output()
			if err != nil {
				t.Fatalf("expected.py: %v", err)
			}
			var exp expected
			if err := json.Unmarshal(out, &exp); err != nil {
				t.Fatal(err)
			}
			check(t, &exp, scores, lr)
		})
	}
}

func TestAUCSmall(t *testing.T) {
	for _, tc := range []struct {
		scores []float64
		pos    []bool
		want   float64
	}{
		{[]float64{1, 2, 3, 4}, []bool{false, false, true, true}, 1},
		{[]float64{1, 2, 3, 4}, []bool{true, true, false, false}, 0},
		{[]float64{1, 1, 1, 1}, []bool{true, false, true, false}, 0.5},
		{[]float64{1, 2, 2, 3}, []bool{false, true, false, true}, 0.875},
		{[]float64{5, 5}, []bool{true, true}, math.NaN()},
	} {
		got := AUC(tc.scores, tc.pos)
		if !(got == tc.want || math.IsNaN(got) && math.IsNaN(tc.want)) {
			t.Errorf("AUC(%v, %v) = %v; want %v", tc.scores, tc.pos, got, tc.want)
		}
	}
}

func TestCalibrateEdges(t *testing.T) {
	// Perfectly separated scores have no finite optimum: the temperature grows until
	// the loss vanishes in float64.
	a, err := Calibrate([]float64{-2, -1, 1, 2}, []bool{false, false, true, true})
	if err != nil || a < 100 || a > MaxTemperature {
		t.Errorf("separable: α %v, %v; want a large temperature", a, err)
	}
	// Reversed scores get a negative temperature.
	a, err = Calibrate([]float64{-2, 1, -1, 2, 0.5}, []bool{true, false, true, false, true})
	if err != nil || a >= 0 {
		t.Errorf("reversed: α %v, %v; want < 0", a, err)
	}
	if _, err := Calibrate([]float64{1, 2}, []bool{true, true}); err == nil {
		t.Error("one class only: no error")
	}
	if _, err := Calibrate([]float64{1, math.NaN()}, []bool{true, false}); err == nil {
		t.Error("NaN score: no error")
	}
	// Identity: scores already calibrated (drawn from their own model) give α ≈ 1.
	r := rand.New(rand.NewPCG(4, 4))
	var s []float64
	var y []bool
	for i := 0; i < 200000; i++ {
		z := r.NormFloat64() * 2
		s = append(s, z)
		y = append(y, r.Float64() < sigmoid(z))
	}
	if a, _ := Calibrate(s, y); math.Abs(a-1) > 0.03 {
		t.Errorf("calibrated scores: α %v; want ≈ 1", a)
	}
}

func TestDensityRatio(t *testing.T) {
	// q = 0.5 with equal pools: ratio 1; with N_ref = 4·N_shift: ratio 4.
	if lr := LogDensityRatio(0, 1, 100, 100); lr != 0 {
		t.Errorf("log ratio %v; want 0", lr)
	}
	if lr := LogDensityRatio(0, 3, 400, 100); math.Abs(math.Exp(lr)-4) > 1e-12 {
		t.Errorf("ratio %v; want 4", math.Exp(lr))
	}
	// The threshold: out of support exactly when p_ref/p_shift ≤ ε.
	eps := 0.2
	at := -math.Log(eps)
	if !OutOfSupport(at, eps) || OutOfSupport(math.Nextafter(at, 0), eps) {
		t.Errorf("the threshold log(1/ε) = %v must be out of support, just below it in", at)
	}
}
