package eval

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"
)

// Scale is the transform T under which baseline accuracies are fitted by a line.
type Scale string

// The two scales.
const (
	// Probit is Φ⁻¹, the inverse standard normal CDF: the paper's default.
	Probit Scale = "probit"
	// Logit is log(p/(1−p)): the ImageNet testbed's default.
	Logit Scale = "logit"
)

// ParseScale returns the scale named s ("probit" or "logit").
func ParseScale(s string) (Scale, error) {
	switch Scale(s) {
	case Probit, Logit:
		return Scale(s), nil
	}
	return "", fmt.Errorf("unknown scale %q; use probit or logit", s)
}

// Clamp bounds: accuracies are clamped to [ClampLow, ClampHigh] before they are
// transformed, so that 0 and 1 have finite images.
const (
	ClampLow  = 1e-6
	ClampHigh = 1 - 1e-6
)

// Confidence is the level of every interval this package reports.
const Confidence = 0.95

// clamp bounds an accuracy to [ClampLow, ClampHigh].
func clamp(p float64) float64 { return math.Min(math.Max(p, ClampLow), ClampHigh) }

// T maps an accuracy in [0, 1] to the scale's real line, after clamping.
func (s Scale) T(p float64) float64 {
	p = clamp(p)
	if s == Logit {
		return math.Log(p / (1 - p))
	}
	return distuv.UnitNormal.Quantile(p)
}

// Inv maps a value of the scale's real line back to an accuracy in (0, 1).
func (s Scale) Inv(t float64) float64 {
	if s == Logit {
		return 1 / (1 + math.Exp(-t))
	}
	return distuv.UnitNormal.CDF(t)
}

// Fit is a line fitted by ordinary least squares to baseline models on a scale:
// Scale.T(shift) ≈ Slope·Scale.T(ref) + Intercept. The other fields are what the
// paper's confidence band needs.
type Fit struct {
	Scale     Scale
	Slope     float64
	Intercept float64
	// R is Pearson's correlation of the transformed accuracies.
	R float64
	// N is the number of baselines fitted.
	N int
	// MeanX is the mean of T(ref) over the baselines, Sxx the sum of squared deviations
	// from it.
	MeanX, Sxx float64
	// SE is the standard error of the estimate, sd₀(T(shift))·√((1−r²)(n−1)/(n−2)).
	SE float64
	// TCrit is Student's t quantile at 0.975 with n−2 degrees of freedom.
	TCrit float64
}

// ErrFewBaselines is returned (wrapped) when fewer than 3 baselines are given.
var ErrFewBaselines = errors.New("fewer than 3 baselines")

// FitLine fits the baseline line on scale s to the accuracies ref[i] → shift[i]
// (fractions in [0, 1]). It needs at least 3 baselines whose reference accuracies are not
// all equal.
func FitLine(s Scale, ref, shift []float64) (Fit, error) {
	n := len(ref)
	if n != len(shift) {
		return Fit{}, fmt.Errorf("eval: %d reference and %d shifted accuracies", n, len(shift))
	}
	if n < 3 {
		return Fit{}, fmt.Errorf("%w: got %d, and a line with a confidence band needs at least 3", ErrFewBaselines, n)
	}
	tx := make([]float64, n)
	ty := make([]float64, n)
	for i := range ref {
		tx[i], ty[i] = s.T(ref[i]), s.T(shift[i])
	}
	return fitT(s, tx, ty)
}

// fitT fits already transformed values.
func fitT(s Scale, tx, ty []float64) (Fit, error) {
	n := len(tx)
	mx, sdx := stat.PopMeanStdDev(tx, nil)
	_, sdy := stat.PopMeanStdDev(ty, nil)
	if sdx == 0 {
		return Fit{}, fmt.Errorf("all %d baselines have the same reference accuracy, so no line can be fitted", n)
	}
	intercept, slope := stat.LinearRegression(tx, ty, nil, false)
	r := 0.0
	if sdy > 0 {
		r = stat.Correlation(tx, ty, nil)
	}
	r2 := math.Min(r*r, 1)
	f := Fit{
		Scale:     s,
		Slope:     slope,
		Intercept: intercept,
		R:         r,
		N:         n,
		MeanX:     mx,
		Sxx:       sdx * sdx * float64(n),
		SE:        sdy * math.Sqrt((1-r2)*float64(n-1)/float64(n-2)),
		TCrit:     distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(n - 2)}.Quantile(1 - (1-Confidence)/2),
	}
	return f, nil
}

// Predict returns the shifted accuracy the line predicts for reference accuracy ref.
func (f Fit) Predict(ref float64) float64 {
	return f.Scale.Inv(f.Slope*f.Scale.T(ref) + f.Intercept)
}

// Band returns the 95 % confidence band of the line at reference accuracy ref, as
// shifted accuracies lo ≤ hi.
func (f Fit) Band(ref float64) (lo, hi float64) {
	tx := f.Scale.T(ref)
	yh := f.Slope*tx + f.Intercept
	d := tx - f.MeanX
	err := f.TCrit * f.SE * math.Sqrt(1/float64(f.N)+d*d/f.Sxx)
	return f.Scale.Inv(yh - err), f.Scale.Inv(yh + err)
}

// ER returns a model's effective robustness, shift − Predict(ref), and its 95 % interval
// from the band: [shift − upper band, shift − lower band]. All are fractions.
func (f Fit) ER(ref, shift float64) (er, lo, hi float64) {
	bl, bh := f.Band(ref)
	return shift - f.Predict(ref), shift - bh, shift - bl
}

// ClopperPearson returns the exact (Clopper–Pearson) 95 % interval of a proportion
// with k successes out of n trials. It returns 0, 1 when n is 0.
func ClopperPearson(k, n int) (lo, hi float64) {
	if n <= 0 {
		return 0, 1
	}
	a := (1 - Confidence) / 2
	lo, hi = 0, 1
	if k > 0 {
		lo = distuv.Beta{Alpha: float64(k), Beta: float64(n - k + 1)}.Quantile(a)
	}
	if k < n {
		hi = distuv.Beta{Alpha: float64(k + 1), Beta: float64(n - k)}.Quantile(1 - a)
	}
	return lo, hi
}

// percentile returns the q-quantile (0 ≤ q ≤ 1) of sorted values with linear
// interpolation between order statistics (NumPy's default method).
func percentile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return math.NaN()
	}
	h := q * float64(len(sorted)-1)
	i := int(math.Floor(h))
	if i >= len(sorted)-1 {
		return sorted[len(sorted)-1]
	}
	return sorted[i] + (h-float64(i))*(sorted[i+1]-sorted[i])
}
