package eval

import (
	"bytes"
	"math"
	"strings"
	"testing"
)

// TestLogreg checks the picture of the paper: w_⊥ never moves; every initialisation has
// the in-support behaviour of training from scratch; out-of-support ER follows w_⊥.
func TestLogreg(t *testing.T) {
	r, err := Logreg(LogregConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Inits) != 6 || r.Inits[0].Group != "scratch (baseline)" {
		t.Fatalf("inits = %+v", r.Inits)
	}
	if r.InSupport.Fit.NBaselines != 30 || r.InSupport.Fit.R < 0.95 {
		t.Errorf("in-support fit %+v", r.InSupport.Fit)
	}
	prev := math.Inf(-1)
	for _, in := range r.Inits {
		if in.PerpFinal != in.PerpInit {
			t.Errorf("%s: w_perp moved from %g to %g", in.Group, in.PerpInit, in.PerpFinal)
		}
		if math.Abs(in.InSupport.MeanER) > 0.005 {
			t.Errorf("%s: in-support mean ER %.4f, want within 0.5 pp of 0", in.Group, in.InSupport.MeanER)
		}
		if in.PerpInit == 0 {
			if math.Abs(in.OutOfSupport.MeanER) > 1e-9 {
				t.Errorf("scratch out-of-support ER %g, want 0", in.OutOfSupport.MeanER)
			}
			continue
		}
		// Sign of ER follows w_⊥, and it grows with w_⊥ (the inits are in increasing
		// order of w_⊥).
		if math.Signbit(in.OutOfSupport.MeanER) != math.Signbit(in.PerpInit) || math.Abs(in.OutOfSupport.MeanER) < 0.05 {
			t.Errorf("%s: out-of-support ER %.4f for w_perp %g", in.Group, in.OutOfSupport.MeanER, in.PerpInit)
		}
		if in.OutOfSupport.MeanER <= prev {
			t.Errorf("%s: out-of-support ER %.4f not above the previous %.4f", in.Group, in.OutOfSupport.MeanER, prev)
		}
		prev = in.OutOfSupport.MeanER
	}
	var a, b bytes.Buffer
	r.Write(&a, "table")
	r2, _ := Logreg(LogregConfig{})
	r2.Write(&b, "table")
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("two runs differ")
	}
	for _, want := range []string{"scratch (baseline)", "in-support: every initialisation's mean ER is within", "out-of-support: mean ER runs from -18.66 pp (init 1 (w_perp=-1)) to +14.88 pp (init 5 (w_perp=+2))"} {
		if !strings.Contains(a.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, a.String())
		}
	}
	for _, f := range Formats {
		var w bytes.Buffer
		if err := r.Write(&w, f); err != nil || w.Len() == 0 {
			t.Errorf("format %s: %v", f, err)
		}
	}
}

// TestGradientDescentKeepsPerp checks the theorem on one run directly: with x_⊥ = 0 in
// every training input, the gradient has no x_⊥ component.
func TestGradientDescentKeepsPerp(t *testing.T) {
	cfg := LogregConfig{}
	cfg.defaults()
	x, y := logregData(cfg, 16, 0)
	w := make([]float64, cfg.Dim+1)
	w[cfg.Dim] = 0.7
	b := 0.0
	gradientDescent(x, y, w, &b, 200, cfg.LR)
	if w[cfg.Dim] != 0.7 {
		t.Errorf("w_perp = %g", w[cfg.Dim])
	}
	ref, in, out := cfg.accuracies(w, b)
	for _, a := range []float64{ref, in, out} {
		if a <= 0.5 || a >= 1 {
			t.Errorf("accuracies %v %v %v", ref, in, out)
		}
	}
}
