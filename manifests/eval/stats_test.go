package eval

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Fixed inputs of the fit tests: six baselines and three other models.
var (
	fixedBX     = []float64{0.55, 0.62, 0.68, 0.71, 0.76, 0.80}
	fixedBY     = []float64{0.42, 0.50, 0.55, 0.60, 0.64, 0.70}
	fixedModels = [][2]float64{{0.65, 0.58}, {0.78, 0.70}, {0.90, 0.85}}
)

// TestFitFixed checks the fit, the prediction, ER and its band interval against numbers
// computed once with SciPy 1.10 (linregress, t.ppf, norm.ppf/cdf, logit/expit, the band
// as in the paper's robustness_utils.py).
func TestFitFixed(t *testing.T) {
	cases := []struct {
		want   Fit
		models [][4]float64 // predicted, ER, ER low, ER high
	}{
		{Fit{Scale: Probit, Slope: 0.991167617543914, Intercept: -0.318946117643541, R: 0.997265169820742, SE: 0.0195819733836829, Sxx: 0.341126257837187, TCrit: 2.7764451051978},
			[][4]float64{
				{0.525105221758869, 0.0548947782411312, 0.0450966984423737, 0.0647080659451852},
				{0.672355507915695, 0.0276444920843046, 0.0155747535425896, 0.0398970758182796},
				{0.829270468740135, 0.0207295312598647, 0.00212862175606354, 0.0407255025686362},
			}},
		{Fit{Scale: Logit, Slope: 0.963959719009255, Intercept: -0.499417861478354, R: 0.997179393958322, SE: 0.0320035152643121, Sxx: 0.93391191204855, TCrit: 2.7764451051978},
			[][4]float64{
				{0.524308570644471, 0.0556914293555291, 0.0456204632042677, 0.0657822049751559},
				{0.672746511662016, 0.0272534883379836, 0.0152171447251582, 0.0395215577261472},
				{0.834604464136082, 0.0153955358639183, -0.00207331562665958, 0.0344806679639488},
			}},
	}
	for _, c := range cases {
		t.Run(string(c.want.Scale), func(t *testing.T) {
			f, err := FitLine(c.want.Scale, fixedBX, fixedBY)
			if err != nil {
				t.Fatal(err)
			}
			const tol = 1e-10
			near(t, "slope", f.Slope, c.want.Slope, tol)
			near(t, "intercept", f.Intercept, c.want.Intercept, tol)
			near(t, "r", f.R, c.want.R, tol)
			near(t, "se", f.SE, c.want.SE, tol)
			near(t, "sxx", f.Sxx, c.want.Sxx, tol)
			near(t, "t", f.TCrit, c.want.TCrit, 1e-9)
			if f.N != 6 {
				t.Errorf("n = %d", f.N)
			}
			for i, m := range fixedModels {
				w := c.models[i]
				near(t, fmt.Sprintf("model %d predicted", i), f.Predict(m[0]), w[0], tol)
				er, lo, hi := f.ER(m[0], m[1])
				near(t, fmt.Sprintf("model %d ER", i), er, w[1], tol)
				near(t, fmt.Sprintf("model %d ER low", i), lo, w[2], 1e-9)
				near(t, fmt.Sprintf("model %d ER high", i), hi, w[3], 1e-9)
			}
		})
	}
}

// TestClopperPearson checks exact intervals against scipy.stats.beta.ppf.
func TestClopperPearson(t *testing.T) {
	for _, c := range []struct {
		k, n     int
		low, hig float64
	}{
		{0, 10, 0, 0.308497107818761},
		{10, 10, 0.691502892181239, 1},
		{7, 10, 0.347547149940003, 0.933260488822266},
		{4321, 5000, 0.854391725285152, 0.873580896702381},
		{1, 1000, 2.5317487491294e-05, 0.00555892427982667},
		{999, 1000, 0.994441075720173, 0.999974682512509},
	} {
		lo, hi := ClopperPearson(c.k, c.n)
		near(t, fmt.Sprintf("CP(%d/%d) low", c.k, c.n), lo, c.low, 1e-9)
		near(t, fmt.Sprintf("CP(%d/%d) high", c.k, c.n), hi, c.hig, 1e-9)
	}
}

func TestFitErrors(t *testing.T) {
	if _, err := FitLine(Probit, []float64{0.5, 0.6}, []float64{0.4, 0.5}); err == nil {
		t.Error("2 baselines: no error")
	}
	if _, err := FitLine(Probit, []float64{0.5, 0.5, 0.5}, []float64{0.4, 0.5, 0.6}); err == nil {
		t.Error("constant reference accuracies: no error")
	}
	if _, err := ParseScale("linear"); err == nil {
		t.Error("unknown scale accepted")
	}
}

func TestScaleRoundTrip(t *testing.T) {
	for _, s := range []Scale{Probit, Logit} {
		for _, p := range []float64{1e-5, 0.01, 0.3, 0.5, 0.77, 0.999} {
			if got := s.Inv(s.T(p)); math.Abs(got-p) > 1e-12 {
				t.Errorf("%s: Inv(T(%g)) = %g", s, p, got)
			}
		}
		if s.T(0) != s.T(ClampLow) || s.T(1) != s.T(ClampHigh) || math.IsInf(s.T(1), 0) {
			t.Errorf("%s: 0 and 1 are not clamped", s)
		}
	}
}

func fixedPoints() []Point {
	var pts []Point
	for i := range fixedBX {
		pts = append(pts, Point{Model: fmt.Sprintf("b%d", i), Group: "baseline", Baseline: true, Ref: Acc{Value: fixedBX[i]}, Shift: Acc{Value: fixedBY[i]}})
	}
	for i, m := range fixedModels {
		pts = append(pts, Point{Model: fmt.Sprintf("m%d", i), Group: "pretrained", Ref: Acc{Value: m[0]}, Shift: Acc{Value: m[1]}})
	}
	return pts
}

// TestAnalyzeGroups checks the group summary: mean ER and the paper's interval, the
// mean of the bounds.
func TestAnalyzeGroups(t *testing.T) {
	res, warns, err := Analyze(fixedPoints(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(warns) != 0 {
		t.Errorf("warnings %q", warns)
	}
	if len(res.Groups) != 2 || res.Groups[0].Group != "baseline" || res.Groups[1].Group != "pretrained" {
		t.Fatalf("groups %+v", res.Groups)
	}
	g := res.Groups[1]
	near(t, "mean ER", g.MeanER, (0.0548947782411312+0.0276444920843046+0.0207295312598647)/3, 1e-10)
	near(t, "mean ER low", g.ERLow, (0.0450966984423737+0.0155747535425896+0.00212862175606354)/3, 1e-9)
	near(t, "mean ER high", g.ERHigh, (0.0647080659451852+0.0398970758182796+0.0407255025686362)/3, 1e-9)
	// Baselines' ERs are OLS residuals on the transformed scale, which sum to 0 there;
	// in accuracy they nearly cancel.
	if math.Abs(res.Groups[0].MeanER) > 2e-3 {
		t.Errorf("baseline mean ER %g", res.Groups[0].MeanER)
	}
}

func TestAnalyzeClampAndFewBaselines(t *testing.T) {
	pts := fixedPoints()
	pts = append(pts, Point{Model: "perfect", Group: "x", Ref: Acc{Value: 1}, Shift: Acc{Value: 1}})
	res, warns, err := Analyze(pts, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(warns) != 2 {
		t.Errorf("want 2 clamp warnings, got %q", warns)
	}
	for _, m := range res.Models {
		if m.Model == "perfect" && (!m.Clamped || math.IsNaN(m.ER) || math.IsNaN(m.ERLow)) {
			t.Errorf("perfect model: %+v", m)
		}
	}
	_, _, err = Analyze(fixedPoints()[4:], Options{})
	if err == nil || !strings.Contains(err.Error(), "at least 3") || !strings.Contains(err.Error(), "--baseline") || !strings.Contains(err.Error(), "b4, b5") {
		t.Errorf("2 baselines: err = %v, want one naming them and the fix", err)
	}
	_, _, err = Analyze(append(fixedPoints(), fixedPoints()[0]), Options{})
	if err == nil || !strings.Contains(err.Error(), "twice") {
		t.Errorf("duplicate model: err = %v", err)
	}
}

// bootIndices replays the bootstrap's draws (same generator, same rejection of
// resamples of a single model) so that an independent computation can use them.
func bootIndices(seed uint64, key string, n, B int) [][]int {
	rng := rand.New(rand.NewPCG(seed, keyStream(key)))
	var out [][]int
	for len(out) < B {
		idx := make([]int, n)
		same := true
		for i := range idx {
			idx[i] = rng.IntN(n)
			same = same && idx[i] == idx[0]
		}
		if !same {
			out = append(out, idx)
		}
	}
	return out
}

// TestBootstrapDeterministic checks that the bootstrap depends on the seed and key only,
// and its percentiles against values replayed by hand.
func TestBootstrapDeterministic(t *testing.T) {
	opt := Options{Bootstrap: 200, Seed: 7, Key: "k"}
	a, _, err := Analyze(fixedPoints(), opt)
	if err != nil {
		t.Fatal(err)
	}
	b, _, _ := Analyze(fixedPoints(), opt)
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if !bytes.Equal(ja, jb) {
		t.Error("same seed, different results")
	}
	opt.Seed = 8
	c, _, _ := Analyze(fixedPoints(), opt)
	if *c.Models[6].BootLow == *a.Models[6].BootLow {
		t.Error("different seed, same bootstrap")
	}
	// Replay: fit each resample, take the model's ER, sort, interpolate.
	idx := bootIndices(7, "k", len(fixedBX), 200)
	var ers []float64
	for _, ix := range idx {
		var x, y []float64
		for _, i := range ix {
			x = append(x, Probit.T(fixedBX[i]))
			y = append(y, Probit.T(fixedBY[i]))
		}
		f, err := fitT(Probit, x, y)
		if err != nil {
			t.Fatal(err)
		}
		ers = append(ers, fixedModels[0][1]-f.Predict(fixedModels[0][0]))
	}
	m := a.Models[6]
	if m.Model != "m0" {
		t.Fatalf("model order: %s", m.Model)
	}
	sortFloats(ers)
	near(t, "boot low", *m.BootLow, percentile(ers, 0.025), 1e-12)
	near(t, "boot high", *m.BootHigh, percentile(ers, 0.975), 1e-12)
	if !(*m.BootLow < m.ER && m.ER < *m.BootHigh) {
		t.Errorf("ER %g outside its bootstrap interval [%g, %g]", m.ER, *m.BootLow, *m.BootHigh)
	}
}

func sortFloats(x []float64) {
	for i := 1; i < len(x); i++ {
		for j := i; j > 0 && x[j] < x[j-1]; j-- {
			x[j], x[j-1] = x[j-1], x[j]
		}
	}
}

// scipyPython returns a Python with SciPy, or skips.
func scipyPython(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("short mode: calls Python")
	}
	for _, p := range []string{"python3", "/usr/bin/python3"} {
		path, err := exec.LookPath(p)
		if err != nil {
			continue
		}
		if exec.Command(path, "-c", "import scipy, numpy").Run() == nil {
			return path
		}
	}
	t.Skip("no python3 with SciPy")
	return ""
}

const scipyScript = `
import json, sys
import numpy as np
from scipy.stats import norm, linregress, t, beta
from scipy.special import logit, expit
d = json.load(open(sys.argv[1]))
out = {}
for sc, (f, fi) in {"probit": (norm.ppf, norm.cdf), "logit": (logit, expit)}.items():
    bx, by = np.clip(d["bx"], 1e-6, 1 - 1e-6), np.clip(d["by"], 1e-6, 1 - 1e-6)
    tx, ty = f(bx), f(by)
    n = len(tx)
    r = linregress(tx, ty)
    se = np.std(ty) * np.sqrt((1 - r.rvalue ** 2) * (n - 1) / (n - 2))
    sxx = np.std(tx) ** 2 * n
    tc = t(n - 2).ppf(0.975)
    ms = []
    for x0, y0 in d["models"]:
        tx0 = f(x0)
        yh = tx0 * r.slope + r.intercept
        e = tc * se * np.sqrt(1 / n + (tx0 - tx.mean()) ** 2 / sxx)
        ms.append([fi(yh), y0 - fi(yh), y0 - fi(yh + e), y0 - fi(yh - e)])
    boots = []
    for x0, y0 in d["models"]:
        ers = []
        for ix in d["boot"]:
            rr = linregress(tx[ix], ty[ix])
            ers.append(y0 - fi(f(x0) * rr.slope + rr.intercept))
        boots.append([np.percentile(ers, 2.5), np.percentile(ers, 97.5)])
    out[sc] = {"slope": r.slope, "intercept": r.intercept, "r": r.rvalue, "models": ms, "boot": boots}
out["cp"] = [[beta.ppf(0.025, k, n - k + 1) if k > 0 else 0.0, beta.ppf(0.975, k + 1, n - k) if k < n else 1.0] for k, n in d["cp"]]
json.dump(out, sys.stdout)
`

// TestAgainstSciPy compares fit, ER, band, bootstrap and Clopper–Pearson intervals with
// SciPy on random inputs, when a python3 with SciPy is available.
func TestAgainstSciPy(t *testing.T) {
	py := scipyPython(t)
	rng := rand.New(rand.NewPCG(1, 2))
	const nb, nm, B = 12, 8, 300
	in := struct {
		BX     []float64    `json:"bx"`
		BY     []float64    `json:"by"`
		Models [][2]float64 `json:"models"`
		Boot   [][]int      `json:"boot"`
		CP     [][2]int     `json:"cp"`
	}{}
	var pts []Point
	for i := range nb {
		x := 0.3 + 0.6*rng.Float64()
		y := Probit.Inv(1.1*Probit.T(x) - 0.4 + 0.1*rng.NormFloat64())
		if i == 0 {
			y = 0 // exercises the clamp
		}
		in.BX, in.BY = append(in.BX, x), append(in.BY, y)
		pts = append(pts, Point{Model: fmt.Sprintf("b%02d", i), Group: "a", Baseline: true, Ref: Acc{Value: x}, Shift: Acc{Value: y}})
	}
	for i := range nm {
		x, y := 0.2+0.79*rng.Float64(), 0.1+0.8*rng.Float64()
		in.Models = append(in.Models, [2]float64{x, y})
		pts = append(pts, Point{Model: fmt.Sprintf("m%02d", i), Group: "b", Ref: Acc{Value: x}, Shift: Acc{Value: y}})
	}
	in.Boot = bootIndices(3, "scipy", nb, B)
	for range 20 {
		n := 1 + rng.IntN(20000)
		in.CP = append(in.CP, [2]int{rng.IntN(n + 1), n})
	}
	dir := t.TempDir()
	data, _ := json.Marshal(in)
	inFile := filepath.Join(dir, "in.json")
	if err := os.WriteFile(inFile, data, 0o644); err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(dir, "check.py")
	if err := os.WriteFile(script, []byte(scipyScript), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(py, script, inFile).Output()
	if err != nil {
		t.Fatalf("python: %v", err)
	}
	var want map[string]json.RawMessage
	if err := json.Unmarshal(out, &want); err != nil {
		t.Fatal(err)
	}
	for _, s := range []Scale{Probit, Logit} {
		var w struct {
			Slope, Intercept, R float64
			Models              [][4]float64
			Boot                [][2]float64
		}
		if err := json.Unmarshal(want[string(s)], &w); err != nil {
			t.Fatal(err)
		}
		res, _, err := Analyze(pts, Options{Scale: s, Bootstrap: B, Seed: 3, Key: "scipy"})
		if err != nil {
			t.Fatal(err)
		}
		near(t, string(s)+" slope", res.Fit.Slope, w.Slope, 1e-9)
		near(t, string(s)+" intercept", res.Fit.Intercept, w.Intercept, 1e-9)
		near(t, string(s)+" r", res.Fit.R, w.R, 1e-9)
		for i := range nm {
			m := res.Models[nb+i]
			name := fmt.Sprintf("%s m%02d", s, i)
			near(t, name+" predicted", m.PredictedAcc, w.Models[i][0], 1e-9)
			near(t, name+" ER", m.ER, w.Models[i][1], 1e-9)
			near(t, name+" ER low", m.ERLow, w.Models[i][2], 1e-8)
			near(t, name+" ER high", m.ERHigh, w.Models[i][3], 1e-8)
			near(t, name+" boot low", *m.BootLow, w.Boot[i][0], 1e-9)
			near(t, name+" boot high", *m.BootHigh, w.Boot[i][1], 1e-9)
		}
	}
	var cp [][2]float64
	if err := json.Unmarshal(want["cp"], &cp); err != nil {
		t.Fatal(err)
	}
	for i, kn := range in.CP {
		lo, hi := ClopperPearson(kn[0], kn[1])
		near(t, fmt.Sprintf("CP %d/%d low", kn[0], kn[1]), lo, cp[i][0], 1e-9)
		near(t, fmt.Sprintf("CP %d/%d high", kn[0], kn[1]), hi, cp[i][1], 1e-9)
	}
}
