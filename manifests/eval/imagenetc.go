package eval

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Corruption is one ImageNet-C corruption: its shiftgen name, the short heading tables
// give it, and whether it is one of the 4 extra (validation) corruptions, which are
// reported apart from the 15 common ones that the mCE averages.
type Corruption struct {
	Name  string
	Short string
	Extra bool
}

// Corruptions lists the 19 ImageNet-C corruptions in the order of Hendrycks & Dietterich
// (2019): noise, blur, weather, digital, then the 4 extra ones.
var Corruptions = []Corruption{
	{"gaussian-noise", "gauss", false}, {"shot-noise", "shot", false}, {"impulse-noise", "impulse", false},
	{"defocus-blur", "defocus", false}, {"glass-blur", "glass", false}, {"motion-blur", "motion", false}, {"zoom-blur", "zoom", false},
	{"snow", "snow", false}, {"frost", "frost", false}, {"fog", "fog", false}, {"brightness", "bright", false},
	{"contrast", "contrast", false}, {"elastic-transform", "elastic", false}, {"pixelate", "pixel", false}, {"jpeg-compression", "jpeg", false},
	{"speckle-noise", "speckle", true}, {"gaussian-blur", "g-blur", true}, {"spatter", "spatter", true}, {"saturate", "saturate", true},
}

// AlexNetErrors are AlexNet's top-1 error rates on ImageNet-C, per corruption (in the
// order of Corruptions) and severity 1 to 5, as published by the benchmark's authors for
// normalising corruption errors: the table "AlexNet ImageNet-C Error" of the README of
// github.com/hendrycks/robustness, added in commit 76d93933ab5ff56044973bbd4efe75cc2a795a7a
// (2019-10-10) and removed from the README in 5aa129e (2020-05-05). Its "Average" column
// (0.886428 for Gaussian noise, …) is the mean of each row; a test checks it.
var AlexNetErrors = [19][5]float64{
	{0.69528, 0.82542, 0.93554, 0.98138, 0.99452}, // Gaussian noise
	{0.71224, 0.85108, 0.93574, 0.98182, 0.99146}, // shot noise
	{0.78374, 0.89808, 0.94870, 0.98720, 0.99548}, // impulse noise
	{0.65624, 0.73202, 0.85036, 0.91364, 0.94714}, // defocus blur
	{0.64308, 0.75054, 0.88806, 0.91622, 0.93344}, // glass blur
	{0.58430, 0.70048, 0.82108, 0.89750, 0.92638}, // motion blur
	{0.70008, 0.76992, 0.80784, 0.84198, 0.87198}, // zoom blur
	{0.71726, 0.88392, 0.86468, 0.91870, 0.94952}, // snow
	{0.61390, 0.79734, 0.88790, 0.89942, 0.93430}, // frost
	{0.67474, 0.76050, 0.84378, 0.87260, 0.94500}, // fog
	{0.45140, 0.48502, 0.54048, 0.62166, 0.72440}, // brightness
	{0.64548, 0.76150, 0.88874, 0.97760, 0.99270}, // contrast
	{0.52596, 0.70116, 0.55686, 0.64076, 0.80554}, // elastic transform
	{0.52218, 0.54620, 0.73728, 0.87092, 0.91262}, // pixelate
	{0.51002, 0.54718, 0.57294, 0.65458, 0.74778}, // JPEG compression
	{0.66192, 0.74440, 0.90246, 0.94548, 0.97268}, // speckle noise
	{0.54732, 0.70444, 0.82574, 0.89864, 0.95940}, // Gaussian blur
	{0.47196, 0.62194, 0.75052, 0.84132, 0.90182}, // spatter
	{0.59342, 0.65514, 0.51174, 0.70834, 0.82260}, // saturate
}

// AlexNetCleanError is AlexNet's top-1 error on clean ImageNet validation images, which
// relative corruption errors subtract: 1 − 0.56522, the top-1 accuracy torchvision
// documents for the AlexNet weights (alexnet-owt) that the benchmark's evaluation script
// (ImageNet-C/test.py of github.com/hendrycks/robustness) loads; the paper's Table 1
// rounds it to 43.5 %.
const AlexNetCleanError = 0.43478

// alexNetSource is how reports cite the numbers above.
const alexNetSource = "AlexNet's published errors (Hendrycks & Dietterich 2019, github.com/hendrycks/robustness; clean error 43.478 %, torchvision)"

// ImageNetC holds the corruption errors of the models of a ShiftsReport whose datasets
// include ImageNet-C corruptions, as Hendrycks & Dietterich (2019) define them. For
// model f, corruption c and severities s: E_{s,c} is f's error on the shifted images and
// E_clean its error on the reference images (clean ones, for ImageNet-C);
// CE_c = Σ_s E_{s,c} / Σ_s B_{s,c} and relative CE_c = Σ_s (E_{s,c} − E_clean) /
// Σ_s (B_{s,c} − B_clean), with B the baseline's errors (AlexNet's unless
// Config.CEBaseline names a model); the mCE and relative mCE average them over the 15
// common corruptions, the extra ones over the 4 extra corruptions. Values are fractions.
type ImageNetC struct {
	// Baseline names whose errors normalise (AlexNet, or the model of --ce-baseline);
	// Source says where AlexNet's come from.
	Baseline string `json:"baseline"`
	Source   string `json:"source,omitempty"`
	// BaselineCleanError is the baseline's clean error (AlexNet's, or the model's mean
	// reference error).
	BaselineCleanError float64 `json:"baseline_clean_error"`
	// Missing lists the corruption and severity pairs among the 19 × 5 that no dataset
	// evaluated ("fog/3"); the mCE needs all 15 × 5 common ones.
	Missing []string   `json:"missing,omitempty"`
	Models  []CEResult `json:"models"`
}

// CEResult is one model's ImageNet-C errors. MCE, RelativeMCE and their extra twins are
// absent when a corruption or severity they average over was not evaluated for the
// model (or, for relative values, when the baseline's errors do not exceed its clean
// error).
type CEResult struct {
	Model    string `json:"model"`
	Group    string `json:"group"`
	Baseline bool   `json:"baseline"`
	// CleanError is the model's error on the reference images, averaged over the
	// ImageNet-C datasets (they usually share one reference).
	CleanError       float64        `json:"clean_error"`
	MCE              *float64       `json:"mce"`
	RelativeMCE      *float64       `json:"relative_mce"`
	ExtraMCE         *float64       `json:"extra_mce"`
	ExtraRelativeMCE *float64       `json:"extra_relative_mce"`
	Corruptions      []CECorruption `json:"corruptions"`
}

// CECorruption is a model's errors on one corruption: the error at each severity
// evaluated, their mean, and the corruption error and relative corruption error.
type CECorruption struct {
	Corruption string    `json:"corruption"`
	Extra      bool      `json:"extra,omitempty"`
	Severities []int     `json:"severities"`
	Errors     []float64 `json:"errors"`
	Error      float64   `json:"error"`
	CE         *float64  `json:"ce"`
	RelativeCE *float64  `json:"relative_ce"`
}

// corruptionOf returns the index in Corruptions and the severity of a dataset made by
// a standard ImageNet-C corruption (its registry name, with only severity set in its
// spec), or ok = false.
func corruptionOf(sh *ShiftInfo) (c, severity int, ok bool) {
	c = slices.IndexFunc(Corruptions, func(x Corruption) bool { return x.Name == sh.Name })
	if c < 0 {
		return 0, 0, false
	}
	if _, opts, has := strings.Cut(sh.Spec, ":"); has {
		for _, kv := range strings.Split(opts, ",") {
			if k, _, _ := strings.Cut(kv, "="); strings.TrimSpace(k) != "severity" {
				return 0, 0, false
			}
		}
	}
	var p struct {
		Severity int `json:"severity"`
	}
	if json.Unmarshal(sh.Params, &p) != nil || p.Severity < 1 || p.Severity > 5 {
		return 0, 0, false
	}
	return c, p.Severity, true
}

// ceCell is one model's errors on one ImageNet-C dataset.
type ceCell struct {
	err, clean float64
}

// imageNetC computes the ImageNet-C metrics of the scored datasets that are standard
// corruptions (nil when there are none). baseline, if set, names the model that
// normalises; notes receive what was left out and why.
func imageNetC(shifts []*ShiftReport, baseline string, note func(string)) (*ImageNetC, error) {
	// errs[model][c][s-1], with the models in the order of their first appearance.
	type modelErrs struct {
		group    string
		baseline bool
		cells    [19][5]*ceCell
	}
	var order []string
	byModel := map[string]*modelErrs{}
	var seen [19][5]string
	found := false
	for _, sh := range shifts {
		c, s, ok := corruptionOf(sh.Shift)
		if !ok {
			if slices.ContainsFunc(Corruptions, func(x Corruption) bool { return x.Name == sh.Shift.Name }) {
				note(fmt.Sprintf("%s: %s is not a standard ImageNet-C corruption (a parameter besides severity is set), so it is left out of the corruption errors", sh.Dataset, sh.Shift.Spec))
			}
			continue
		}
		if prev := seen[c][s-1]; prev != "" {
			return nil, fmt.Errorf("datasets %s and %s are both %s at severity %d; give one of them", prev, sh.Dataset, Corruptions[c].Name, s)
		}
		seen[c][s-1] = sh.Dataset
		found = true
		for _, m := range sh.Models {
			me := byModel[m.Model]
			if me == nil {
				me = &modelErrs{group: m.Group, baseline: m.Baseline}
				byModel[m.Model] = me
				order = append(order, m.Model)
			}
			me.cells[c][s-1] = &ceCell{err: 1 - m.ShiftAcc, clean: 1 - m.RefAcc}
		}
	}
	if !found {
		return nil, nil
	}
	out := &ImageNetC{Baseline: "AlexNet", Source: alexNetSource, BaselineCleanError: AlexNetCleanError}
	for c := range Corruptions {
		for s := range 5 {
			if seen[c][s] == "" {
				out.Missing = append(out.Missing, fmt.Sprintf("%s/%d", Corruptions[c].Name, s+1))
			}
		}
	}
	// base(c, s) gives the baseline's error and clean error on corruption c, severity s.
	base := func(c, s int) (*ceCell, bool) {
		return &ceCell{err: AlexNetErrors[c][s], clean: AlexNetCleanError}, true
	}
	if baseline != "" {
		b := byModel[baseline]
		if b == nil {
			return nil, fmt.Errorf("--ce-baseline %s: no model of that name has ImageNet-C results; the models are %s", baseline, listSome(order, 8))
		}
		out.Baseline, out.Source = baseline, ""
		var sum float64
		n := 0
		for c := range Corruptions {
			for s := range 5 {
				if x := b.cells[c][s]; x != nil {
					sum += x.clean
					n++
				}
			}
		}
		out.BaselineCleanError = sum / float64(n)
		base = func(c, s int) (*ceCell, bool) {
			x := b.cells[c][s]
			return x, x != nil
		}
	}
	for _, name := range order {
		me := byModel[name]
		r := CEResult{Model: name, Group: me.group, Baseline: me.baseline}
		var cleanSum float64
		cleanN := 0
		var sums [2][2]float64 // [extra][relative]
		var counts [2]int
		var complete [2][2]bool = [2][2]bool{{true, true}, {true, true}}
		for c, cor := range Corruptions {
			x := 0
			if cor.Extra {
				x = 1
			}
			cc := CECorruption{Corruption: cor.Name, Extra: cor.Extra}
			var num, den, rnum, rden float64
			for s := range 5 {
				e := me.cells[c][s]
				if e == nil {
					continue
				}
				cleanSum += e.clean
				cleanN++
				b, ok := base(c, s)
				if !ok {
					continue
				}
				cc.Severities = append(cc.Severities, s+1)
				cc.Errors = append(cc.Errors, e.err)
				num += e.err
				den += b.err
				rnum += e.err - e.clean
				rden += b.err - b.clean
			}
			if len(cc.Severities) == 0 {
				complete[x] = [2]bool{false, false}
				continue
			}
			cc.Error = num / float64(len(cc.Severities))
			if den > 0 {
				v := num / den
				cc.CE = &v
			}
			if rden > 0 {
				v := rnum / rden
				cc.RelativeCE = &v
			}
			full := len(cc.Severities) == 5
			for rel, p := range []*float64{cc.CE, cc.RelativeCE} {
				if p == nil || !full {
					complete[x][rel] = false
				} else {
					sums[x][rel] += *p
				}
			}
			counts[x]++
			r.Corruptions = append(r.Corruptions, cc)
		}
		r.CleanError = cleanSum / float64(max(cleanN, 1))
		want := [2]int{15, 4}
		dst := [2][2]**float64{{&r.MCE, &r.RelativeMCE}, {&r.ExtraMCE, &r.ExtraRelativeMCE}}
		for x := range 2 {
			for rel := range 2 {
				if complete[x][rel] && counts[x] == want[x] {
					v := sums[x][rel] / float64(want[x])
					*dst[x][rel] = &v
				}
			}
		}
		out.Models = append(out.Models, r)
	}
	return out, nil
}
