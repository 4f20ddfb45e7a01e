package eval

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
)

// Acc is one accuracy. Value is a fraction in [0, 1]. Correct and N are the counts it
// was computed from; N is 0 when the accuracy was read from a table, and then no
// Clopper–Pearson interval is given.
type Acc struct {
	Value      float64
	Correct, N int
}

// Count returns the accuracy of k correct out of n (0 when n is 0).
func Count(k, n int) Acc {
	if n == 0 {
		return Acc{}
	}
	return Acc{Value: float64(k) / float64(n), Correct: k, N: n}
}

// Point is one model's accuracies on the reference and the shifted distribution.
type Point struct {
	Model string
	// Group names the kind of model (e.g. "baseline", "CLIP (FT)"); it picks the
	// model's colour in plots and its group summary.
	Group string
	// Baseline marks models trained from scratch: only they are fitted.
	Baseline bool
	Ref      Acc
	Shift    Acc
}

// Options tune Analyze. The zero value fits on the probit scale without a bootstrap.
type Options struct {
	// Scale is the fit's scale; "" means Probit.
	Scale Scale
	// Bootstrap is the number of resamples of the baselines (the ImageNet testbed uses
	// 1000); 0 means none.
	Bootstrap int
	// Seed and Key seed the bootstrap's generator; Key tells apart the subsets of one
	// run (Run uses "FIELD=VALUE"), so that each subset's draws do not depend on which
	// other subsets are evaluated.
	Seed uint64
	Key  string
}

// FitSummary is the fit as the JSON contract shows it.
type FitSummary struct {
	Scale      Scale   `json:"scale"`
	Slope      float64 `json:"slope"`
	Intercept  float64 `json:"intercept"`
	R          float64 `json:"r"`
	NBaselines int     `json:"n_baselines"`
}

// ModelResult is one model's row. Accuracies and ER are fractions; ER = ShiftAcc −
// PredictedAcc, and [ERLow, ERHigh] is its 95 % interval from the fit's t-band.
type ModelResult struct {
	Model        string  `json:"model"`
	Group        string  `json:"group"`
	Baseline     bool    `json:"baseline"`
	RefAcc       float64 `json:"ref_acc"`
	ShiftAcc     float64 `json:"shift_acc"`
	PredictedAcc float64 `json:"predicted_acc"`
	ER           float64 `json:"er"`
	ERLow        float64 `json:"er_low"`
	ERHigh       float64 `json:"er_high"`
	// BootLow and BootHigh are the bootstrap's 2.5 and 97.5 percentiles of ER (with
	// Options.Bootstrap > 0).
	BootLow  *float64 `json:"boot_low,omitempty"`
	BootHigh *float64 `json:"boot_high,omitempty"`
	// NRef and NShift count the images scored; RefCI and ShiftCI are the accuracies'
	// Clopper–Pearson 95 % intervals. All are absent for accuracies read from a table.
	NRef    int         `json:"n_ref,omitempty"`
	NShift  int         `json:"n_shift,omitempty"`
	RefCI   *[2]float64 `json:"ref_ci,omitempty"`
	ShiftCI *[2]float64 `json:"shift_ci,omitempty"`
	// Clamped is set when an accuracy was exactly 0 or 1 and was clamped before the
	// transform.
	Clamped bool `json:"clamped,omitempty"`
}

// GroupResult summarises one group: the mean of its models' ERs, with the interval the
// paper gives it, [mean of ERLow, mean of ERHigh], and with a bootstrap the 2.5 and 97.5
// percentiles of the resampled mean.
type GroupResult struct {
	Group    string   `json:"group"`
	N        int      `json:"n"`
	MeanER   float64  `json:"mean_er"`
	ERLow    float64  `json:"er_low"`
	ERHigh   float64  `json:"er_high"`
	BootLow  *float64 `json:"boot_low,omitempty"`
	BootHigh *float64 `json:"boot_high,omitempty"`
}

// Result is the effective robustness of a set of models on one shift (or one subset of
// it): the fit, one row per model and one summary per group.
type Result struct {
	Fit    FitSummary    `json:"fit"`
	Models []ModelResult `json:"models"`
	Groups []GroupResult `json:"groups"`
	// Images says which images the accuracies were computed on (predictions only).
	Images *Images `json:"images,omitempty"`
	// Line is the full fit, for plots.
	Line Fit `json:"-"`
}

// Images describes the images behind a Result computed from predictions.
type Images struct {
	// Ref and Shift count the reference and shifted images scored.
	Ref   int `json:"ref"`
	Shift int `json:"shift"`
	// Classes is the number of classes the shifted images cover; ClassMatched is set
	// when that is fewer than the reference holds, so that the reference accuracy was
	// computed on those classes only.
	Classes      int  `json:"classes"`
	ClassMatched bool `json:"class_matched,omitempty"`
	// KeepRates is set when the dataset's manifest records per-class keep rates (a
	// label shift, see KeepRates): the class proportions are the shift, so the reference
	// accuracy is computed on every reference image, not class-matched.
	KeepRates bool `json:"keep_rates,omitempty"`
}

// Analyze fits the baselines among points and computes every model's effective
// robustness and every group's mean. Models are ordered by group (groups holding
// baselines first, then by name) and by name. It returns warnings for accuracies of
// exactly 0 or 1, which are clamped before the transform.
func Analyze(points []Point, opt Options) (*Result, []string, error) {
	if opt.Scale == "" {
		opt.Scale = Probit
	}
	if _, err := ParseScale(string(opt.Scale)); err != nil {
		return nil, nil, err
	}
	pts := append([]Point(nil), points...)
	sortPoints(pts)
	var warns []string
	seen := map[string]bool{}
	var bx, by []float64
	var names []string
	for _, p := range pts {
		if seen[p.Model] {
			return nil, nil, fmt.Errorf("model %q appears twice; model names must be unique", p.Model)
		}
		seen[p.Model] = true
		for _, a := range []struct {
			what string
			v    float64
		}{{"reference", p.Ref.Value}, {"shifted", p.Shift.Value}} {
			if math.IsNaN(a.v) || a.v < 0 || a.v > 1 {
				return nil, nil, fmt.Errorf("model %s: %s accuracy %v is not a fraction in [0, 1]", p.Model, a.what, a.v)
			}
			if a.v == 0 || a.v == 1 {
				warns = append(warns, fmt.Sprintf("model %s: %s accuracy is exactly %g; clamped to [%g, 1-%g] before the %s transform", p.Model, a.what, a.v, ClampLow, ClampLow, opt.Scale))
			}
		}
		if p.Baseline {
			bx = append(bx, p.Ref.Value)
			by = append(by, p.Shift.Value)
			names = append(names, p.Model)
		}
	}
	fit, err := FitLine(opt.Scale, bx, by)
	if err != nil {
		if len(bx) < 3 {
			return nil, nil, fmt.Errorf("%d baseline model(s) (%s) but the fit needs at least 3: mark models trained from scratch as baselines (--baseline GLOB, --baseline COL=VALUE or a models.csv group)", len(bx), strings.Join(names, ", "))
		}
		return nil, nil, fmt.Errorf("baselines %s: %w", strings.Join(names, ", "), err)
	}
	res := &Result{
		Fit:  FitSummary{Scale: fit.Scale, Slope: fit.Slope, Intercept: fit.Intercept, R: fit.R, NBaselines: fit.N},
		Line: fit,
	}
	for _, p := range pts {
		er, lo, hi := fit.ER(p.Ref.Value, p.Shift.Value)
		m := ModelResult{
			Model: p.Model, Group: p.Group, Baseline: p.Baseline,
			RefAcc: p.Ref.Value, ShiftAcc: p.Shift.Value, PredictedAcc: fit.Predict(p.Ref.Value),
			ER: er, ERLow: lo, ERHigh: hi,
			NRef: p.Ref.N, NShift: p.Shift.N,
			Clamped: p.Ref.Value != clamp(p.Ref.Value) || p.Shift.Value != clamp(p.Shift.Value),
		}
		if p.Ref.N > 0 {
			l, h := ClopperPearson(p.Ref.Correct, p.Ref.N)
			m.RefCI = &[2]float64{l, h}
		}
		if p.Shift.N > 0 {
			l, h := ClopperPearson(p.Shift.Correct, p.Shift.N)
			m.ShiftCI = &[2]float64{l, h}
		}
		res.Models = append(res.Models, m)
	}
	res.Groups = groupSummaries(res.Models)
	if opt.Bootstrap > 0 {
		bootstrap(res, opt)
	}
	return res, warns, nil
}

// sortPoints orders points by group (groups with a baseline first) and name.
func sortPoints(pts []Point) {
	hasBase := map[string]bool{}
	for _, p := range pts {
		if p.Baseline {
			hasBase[p.Group] = true
		}
	}
	sort.SliceStable(pts, func(i, j int) bool {
		a, b := pts[i], pts[j]
		if hasBase[a.Group] != hasBase[b.Group] {
			return hasBase[a.Group]
		}
		if a.Group != b.Group {
			return a.Group < b.Group
		}
		return a.Model < b.Model
	})
}

// groupSummaries averages ER and its interval bounds over each group, in model order.
func groupSummaries(models []ModelResult) []GroupResult {
	var out []GroupResult
	idx := map[string]int{}
	for _, m := range models {
		i, ok := idx[m.Group]
		if !ok {
			i = len(out)
			idx[m.Group] = i
			out = append(out, GroupResult{Group: m.Group})
		}
		g := &out[i]
		g.N++
		g.MeanER += m.ER
		g.ERLow += m.ERLow
		g.ERHigh += m.ERHigh
	}
	for i := range out {
		n := float64(out[i].N)
		out[i].MeanER /= n
		out[i].ERLow /= n
		out[i].ERHigh /= n
	}
	return out
}

// keyStream hashes a subset key into the second word of the generator's seed.
func keyStream(key string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(key))
	return h.Sum64()
}

// bootstrap resamples the baselines with replacement opt.Bootstrap times, refits the
// line each time and stores every model's and group's 2.5 and 97.5 percentiles of ER.
func bootstrap(res *Result, opt Options) {
	s := opt.Scale
	var bx, by []float64
	for _, m := range res.Models {
		if m.Baseline {
			bx = append(bx, s.T(m.RefAcc))
			by = append(by, s.T(m.ShiftAcc))
		}
	}
	tx := make([]float64, len(res.Models))
	for i, m := range res.Models {
		tx[i] = s.T(m.RefAcc)
	}
	gi := map[string]int{}
	for i, g := range res.Groups {
		gi[g.Group] = i
	}
	rng := rand.New(rand.NewPCG(opt.Seed, keyStream(opt.Key)))
	n := len(bx)
	B := opt.Bootstrap
	ers := make([][]float64, len(res.Models))
	for i := range ers {
		ers[i] = make([]float64, B)
	}
	gers := make([][]float64, len(res.Groups))
	for i := range gers {
		gers[i] = make([]float64, B)
	}
	rx := make([]float64, n)
	ry := make([]float64, n)
	for b := 0; b < B; {
		for i := range n {
			j := rng.IntN(n)
			rx[i], ry[i] = bx[j], by[j]
		}
		slope, icpt, ok := ols(rx, ry)
		if !ok {
			continue // every draw was the same model: draw again
		}
		for i, m := range res.Models {
			e := m.ShiftAcc - s.Inv(slope*tx[i]+icpt)
			ers[i][b] = e
			gers[gi[m.Group]][b] += e
		}
		b++
	}
	for i := range res.Models {
		sort.Float64s(ers[i])
		lo, hi := percentile(ers[i], 0.025), percentile(ers[i], 0.975)
		res.Models[i].BootLow, res.Models[i].BootHigh = &lo, &hi
	}
	for i := range res.Groups {
		n := float64(res.Groups[i].N)
		for b := range gers[i] {
			gers[i][b] /= n
		}
		sort.Float64s(gers[i])
		lo, hi := percentile(gers[i], 0.025), percentile(gers[i], 0.975)
		res.Groups[i].BootLow, res.Groups[i].BootHigh = &lo, &hi
	}
}

// ols fits y ≈ slope·x + intercept; ok is false when x is constant.
func ols(x, y []float64) (slope, intercept float64, ok bool) {
	n := float64(len(x))
	var mx, my float64
	for i := range x {
		mx += x[i]
		my += y[i]
	}
	mx /= n
	my /= n
	var sxx, sxy float64
	for i := range x {
		dx := x[i] - mx
		sxx += dx * dx
		sxy += dx * (y[i] - my)
	}
	if sxx <= 1e-300 {
		return 0, 0, false
	}
	slope = sxy / sxx
	return slope, my - slope*mx, true
}
