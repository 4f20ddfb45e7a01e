package eval

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// testbedFile returns the published testbed table committed in testdata/testbed.
func testbedFile(t testing.TB) string {
	t.Helper()
	f := filepath.Join("..", "..", "testdata", "testbed", "natural_shift_top1.csv")
	if _, err := os.Stat(f); err != nil {
		t.Fatalf("testbed table: %v", err)
	}
	return f
}

// TestTestbed reproduces the line fits of the published ImageNet testbed table, with
// its used_for_line_fit_heuristic rows as baselines. The expected numbers were computed
// once with SciPy 1.10 (scipy.stats.linregress on norm.ppf / scipy.special.logit of the
// accuracies, the band as in the paper's code) and are committed here.
func TestTestbed(t *testing.T) {
	file := testbedFile(t)
	cases := []struct {
		col       string
		scale     Scale
		slope     float64
		intercept float64
		r         float64
		maxModel  string  // MORE_DATA model with the highest ER
		maxER     float64 // its ER
		meanER    float64 // mean ER of the MORE_DATA group
		meanLow   float64 // the group's interval (mean of the models' bounds)
		meanHigh  float64
	}{
		{"imagenetv2-matched-frequency-format-val", Probit, 0.9616775133, -0.3247018444, 0.9978143533, "resnet50_clip_zeroshot", 0.059503, 0.008359, 0.00696715627873705, 0.009753111399957494},
		{"imagenetv2-matched-frequency-format-val", Logit, 0.9232287730, -0.4976898817, 0.9980208632, "resnet50_clip_zeroshot", 0.057937, 0.007674, 0.006369105829365848, 0.008982847361693655},
		{"imagenet-sketch", Probit, 1.0435316202, -1.4258616242, 0.9301642878, "vit_b_32_clip_zeroshot", 0.281687, 0.069888, 0.060823462776489375, 0.07883185421095852},
		{"imagenet-sketch", Logit, 1.0709154136, -2.3700729126, 0.9322047067, "vit_b_32_clip_zeroshot", 0.280189, 0.066437, 0.056895289183432396, 0.07582413811279137},
	}
	for _, c := range cases {
		t.Run(c.col+"/"+string(c.scale), func(t *testing.T) {
			var warns []string
			rep, err := Run(context.Background(), Config{
				Accuracies: file, RefCol: "val", ShiftCol: c.col, GroupCol: "model_type",
				Baselines: []string{"used_for_line_fit_heuristic=1"}, Scale: c.scale,
				Warn: func(s string) { warns = append(warns, s) },
			})
			if err != nil {
				t.Fatal(err)
			}
			f := rep.Fit
			if f.NBaselines != 85 {
				t.Errorf("n_baselines = %d, want 85", f.NBaselines)
			}
			if rep.Units != UnitsPercent || len(warns) == 0 {
				t.Errorf("units = %q (warnings %q), want percent, stated", rep.Units, warns)
			}
			near(t, "slope", f.Slope, c.slope, 1e-9)
			near(t, "intercept", f.Intercept, c.intercept, 1e-9)
			near(t, "r", f.R, c.r, 1e-9)
			best, bestER := "", math.Inf(-1)
			for _, m := range rep.Models {
				if m.Group == "MORE_DATA" && m.ER > bestER {
					best, bestER = m.Model, m.ER
				}
			}
			if best != c.maxModel {
				t.Errorf("highest-ER MORE_DATA model = %s, want %s", best, c.maxModel)
			}
			near(t, "max ER", bestER, c.maxER, 5e-7)
			var g *GroupResult
			for i := range rep.Groups {
				if rep.Groups[i].Group == "MORE_DATA" {
					g = &rep.Groups[i]
				}
			}
			if g == nil || g.N != 43 {
				t.Fatalf("MORE_DATA group = %+v, want 43 models", g)
			}
			near(t, "mean ER", g.MeanER, c.meanER, 5e-7)
			near(t, "mean ER low", g.ERLow, c.meanLow, 1e-9)
			near(t, "mean ER high", g.ERHigh, c.meanHigh, 1e-9)
		})
	}
}

func near(t testing.TB, what string, got, want, tol float64) {
	t.Helper()
	if math.IsNaN(got) || math.Abs(got-want) > tol {
		t.Errorf("%s = %.12g, want %.12g (±%g)", what, got, want, tol)
	}
}
