package eval

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/stat/distuv"
)

// LogregConfig sets up the paper's logistic-regression picture. Inputs have
// Dim in-support coordinates x_W and one out-of-support coordinate x_⊥. In the
// reference distribution x_⊥ = 0, class +1 has x_W ~ N(Mu·e, I) and class −1 has
// x_W ~ N(−Mu·e, Sigma²·I) (e the unit diagonal), and classes are balanced. The
// in-support shift changes only the class mix (InShiftPositive of the images are +1);
// the out-of-support shift keeps the mix and adds x_⊥ | y ~ N(y·MuPerp, 1).
//
// Every model is f(x) = w_W·x_W + w_⊥·x_⊥ + b, trained by full-batch gradient descent on
// the logistic loss over reference samples. Baselines start from zero and differ in
// training-set size and number of steps; each pre-trained initialisation starts from a
// random w_W and a chosen w_⊥ and is trained on the same sets. Accuracies are exact
// (Gaussian integrals), not sampled. The zero value of a field means its default.
type LogregConfig struct {
	// Dim is the number of in-support coordinates (default 10).
	Dim int
	// Mu and Sigma shape the classes (defaults 0.9 and 1.6); MuPerp the out-of-support
	// coordinate's signal (default 1).
	Mu, Sigma, MuPerp float64
	// InShiftPositive is the fraction of class +1 in the in-support shift (default 0.2).
	InShiftPositive float64
	// Sizes are the training-set sizes (default 4, 6, 8, 12, 16, 24, 32, 64, 128, 512);
	// Steps the step counts (default 5, 50, 500); LR the step size (default 0.5).
	Sizes []int
	Steps []int
	LR    float64
	// Perp are the pre-trained initialisations' w_⊥ (default −1, −0.5, 0.5, 1, 2); InitW
	// the standard deviation of their random w_W coordinates (default 0.3).
	Perp  []float64
	InitW float64
	// Seed seeds the training sets and the initialisations.
	Seed uint64
	// Scale is the fit's scale ("" means Probit); Bootstrap as in Options.
	Scale     Scale
	Bootstrap int
}

func (c *LogregConfig) defaults() {
	if c.Dim <= 0 {
		c.Dim = 10
	}
	if c.Mu == 0 {
		c.Mu = 0.9
	}
	if c.Sigma == 0 {
		c.Sigma = 1.6
	}
	if c.MuPerp == 0 {
		c.MuPerp = 1
	}
	if c.InShiftPositive == 0 {
		c.InShiftPositive = 0.2
	}
	if len(c.Sizes) == 0 {
		c.Sizes = []int{4, 6, 8, 12, 16, 24, 32, 64, 128, 512}
	}
	if len(c.Steps) == 0 {
		c.Steps = []int{5, 50, 500}
	}
	if c.LR == 0 {
		c.LR = 0.5
	}
	if len(c.Perp) == 0 {
		c.Perp = []float64{-1, -0.5, 0.5, 1, 2}
	}
	if c.InitW == 0 {
		c.InitW = 0.3
	}
	if c.Scale == "" {
		c.Scale = Probit
	}
}

// LogregInit summarises one initialisation: its w_⊥ before and after training (equal,
// by the theorem), and its group's mean ER on each shift.
type LogregInit struct {
	Group     string  `json:"group"`
	PerpInit  float64 `json:"w_perp_init"`
	PerpFinal float64 `json:"w_perp_final"`
	// InSupport and OutOfSupport are the group's summaries on each shift.
	InSupport    GroupResult `json:"in_support"`
	OutOfSupport GroupResult `json:"out_of_support"`
}

// LogregResult is the outcome of Logreg: both shifts evaluated through Analyze, and one
// summary per initialisation.
type LogregResult struct {
	InSupport    *Report      `json:"in_support"`
	OutOfSupport *Report      `json:"out_of_support"`
	Inits        []LogregInit `json:"inits"`
}

// Logreg runs the logistic-regression picture: every initialisation shows the same
// in-support behaviour (ER ≈ 0), while out-of-support ER follows the initialisation's
// w_⊥, which gradient descent never changes.
func Logreg(cfg LogregConfig) (*LogregResult, error) {
	cfg.defaults()
	if _, err := ParseScale(string(cfg.Scale)); err != nil {
		return nil, err
	}
	d := cfg.Dim
	type init struct {
		group string
		w     []float64 // length d+1: w_W then w_⊥
		b     float64
	}
	inits := []init{{group: "scratch (baseline)", w: make([]float64, d+1)}}
	rng := rand.New(rand.NewPCG(cfg.Seed, keyStream("logreg-init")))
	for i, p := range cfg.Perp {
		w := make([]float64, d+1)
		for j := range d {
			w[j] = cfg.InitW * rng.NormFloat64()
		}
		w[d] = p
		inits = append(inits, init{group: fmt.Sprintf("init %d (w_perp=%+g)", i+1, p), w: w})
	}
	var in, out []Point
	finals := make([]float64, len(inits))
	for si, n := range cfg.Sizes {
		x, y := logregData(cfg, n, uint64(si))
		for _, steps := range cfg.Steps {
			for k, it := range inits {
				w := append([]float64(nil), it.w...)
				b := it.b
				gradientDescent(x, y, w, &b, steps, cfg.LR)
				finals[k] = w[d]
				name := fmt.Sprintf("%s n=%d steps=%d", it.group, n, steps)
				if k == 0 {
					name = fmt.Sprintf("scratch n=%d steps=%d", n, steps)
				}
				ref, ins, oos := cfg.accuracies(w, b)
				in = append(in, Point{Model: name, Group: it.group, Baseline: k == 0, Ref: Acc{Value: ref}, Shift: Acc{Value: ins}})
				out = append(out, Point{Model: name, Group: it.group, Baseline: k == 0, Ref: Acc{Value: ref}, Shift: Acc{Value: oos}})
			}
		}
	}
	opt := Options{Scale: cfg.Scale, Bootstrap: cfg.Bootstrap, Seed: cfg.Seed}
	opt.Key = "in-support"
	ri, _, err := Analyze(in, opt)
	if err != nil {
		return nil, fmt.Errorf("in-support shift: %w", err)
	}
	opt.Key = "out-of-support"
	ro, _, err := Analyze(out, opt)
	if err != nil {
		return nil, fmt.Errorf("out-of-support shift: %w", err)
	}
	res := &LogregResult{
		InSupport:    &Report{Title: fmt.Sprintf("logistic regression, in-support shift (class +1: 50%% → %g%%)", 100*cfg.InShiftPositive), Result: *ri, Bootstrap: cfg.Bootstrap},
		OutOfSupport: &Report{Title: "logistic regression, out-of-support shift (x_perp informative)", Result: *ro, Bootstrap: cfg.Bootstrap},
	}
	for k, it := range inits {
		li := LogregInit{Group: it.group, PerpInit: it.w[d], PerpFinal: finals[k]}
		for _, g := range ri.Groups {
			if g.Group == it.group {
				li.InSupport = g
			}
		}
		for _, g := range ro.Groups {
			if g.Group == it.group {
				li.OutOfSupport = g
			}
		}
		res.Inits = append(res.Inits, li)
	}
	return res, nil
}

// logregData draws n reference training samples (balanced classes, x_⊥ = 0), keyed by
// the seed and the set's number.
func logregData(cfg LogregConfig, n int, set uint64) ([][]float64, []float64) {
	rng := rand.New(rand.NewPCG(cfg.Seed, keyStream(fmt.Sprintf("logreg-data-%d", set))))
	d := cfg.Dim
	e := 1 / math.Sqrt(float64(d))
	x := make([][]float64, n)
	y := make([]float64, n)
	for i := range n {
		y[i] = 1
		sd := 1.0
		if i%2 == 1 {
			y[i], sd = -1, cfg.Sigma
		}
		x[i] = make([]float64, d+1)
		for j := range d {
			x[i][j] = y[i]*cfg.Mu*e + sd*rng.NormFloat64()
		}
	}
	return x, y
}

// gradientDescent runs steps of full-batch gradient descent on the mean logistic loss,
// updating w and b in place.
func gradientDescent(x [][]float64, y []float64, w []float64, b *float64, steps int, lr float64) {
	gw := make([]float64, len(w))
	n := float64(len(x))
	for range steps {
		clear(gw)
		gb := 0.0
		for i, xi := range x {
			s := *b
			for j, v := range xi {
				s += w[j] * v
			}
			// d/ds log(1+exp(−y s)) = −y·σ(−y s)
			g := -y[i] / (1 + math.Exp(y[i]*s))
			for j, v := range xi {
				gw[j] += g * v
			}
			gb += g
		}
		for j := range w {
			w[j] -= lr * gw[j] / n
		}
		*b -= lr * gb / n
	}
}

// accuracies returns the exact accuracy of (w, b) on the reference, the in-support shift
// and the out-of-support shift.
func (cfg LogregConfig) accuracies(w []float64, b float64) (ref, in, out float64) {
	d := cfg.Dim
	e := 1 / math.Sqrt(float64(d))
	var we, ww float64
	for j := range d {
		we += w[j] * e
		ww += w[j] * w[j]
	}
	wp := w[d]
	phi := distuv.UnitNormal.CDF
	// P(correct | y) for a score ~ N(mean, sd²): Φ(y·mean/sd).
	pos := phi((cfg.Mu*we + b) / math.Sqrt(ww))
	neg := phi((cfg.Mu*we - b) / (cfg.Sigma * math.Sqrt(ww)))
	ref = 0.5*pos + 0.5*neg
	in = cfg.InShiftPositive*pos + (1-cfg.InShiftPositive)*neg
	posO := phi((cfg.Mu*we + cfg.MuPerp*wp + b) / math.Sqrt(ww+wp*wp))
	negO := phi((cfg.Mu*we + cfg.MuPerp*wp - b) / math.Sqrt(cfg.Sigma*cfg.Sigma*ww+wp*wp))
	out = 0.5*posO + 0.5*negO
	return ref, in, out
}

// Write renders the result: "table" or "markdown" give one row per initialisation (its
// w_⊥ before and after training and its mean ER on each shift), both fits and the
// conclusion; "csv" the rows alone; "json" everything, every model included.
func (r *LogregResult) Write(w io.Writer, format string) error {
	switch format {
	case "json":
		b, err := json.MarshalIndent(r, "", "  ")
		if err != nil {
			return err
		}
		_, err = w.Write(append(b, '\n'))
		return err
	case "csv":
		cw := csv.NewWriter(w)
		cw.Write([]string{"group", "w_perp_init", "w_perp_final", "n", "in_support_er", "in_support_er_low", "in_support_er_high", "out_of_support_er", "out_of_support_er_low", "out_of_support_er_high"})
		for _, i := range r.Inits {
			cw.Write([]string{i.Group, fmtF(i.PerpInit), fmtF(i.PerpFinal), strconv.Itoa(i.InSupport.N),
				fmtF(i.InSupport.MeanER), fmtF(i.InSupport.ERLow), fmtF(i.InSupport.ERHigh),
				fmtF(i.OutOfSupport.MeanER), fmtF(i.OutOfSupport.ERLow), fmtF(i.OutOfSupport.ERHigh)})
		}
		cw.Flush()
		return cw.Error()
	case "table", "", "markdown":
	default:
		return fmt.Errorf("unknown format %q; use one of %s", format, strings.Join(Formats, ", "))
	}
	md := format == "markdown"
	var b bytes.Buffer
	fi, fo := r.InSupport.Fit, r.OutOfSupport.Fit
	if md {
		b.WriteString("### logistic regression: in-support vs out-of-support\n\n")
	} else {
		b.WriteString("logistic regression: in-support vs out-of-support\n\n")
	}
	rows := [][]string{{"initialisation", "w_perp init", "w_perp final", "models", "in-support ER pp [95% CI]", "out-of-support ER pp [95% CI]"}}
	for _, i := range r.Inits {
		rows = append(rows, []string{i.Group, fmt.Sprintf("%+.3f", i.PerpInit), fmt.Sprintf("%+.3f", i.PerpFinal), strconv.Itoa(i.InSupport.N),
			fmt.Sprintf("%s [%s, %s]", pp(i.InSupport.MeanER), pp(i.InSupport.ERLow), pp(i.InSupport.ERHigh)),
			fmt.Sprintf("%s [%s, %s]", pp(i.OutOfSupport.MeanER), pp(i.OutOfSupport.ERLow), pp(i.OutOfSupport.ERHigh))})
	}
	writeRows(&b, rows, md, 1)
	b.WriteString("\n")
	for _, f := range []struct {
		name string
		fit  FitSummary
	}{{"in-support", fi}, {"out-of-support", fo}} {
		fmt.Fprintf(&b, "%s fit: %s(shift) = %.4f·%s(ref) %s %.4f, r = %.4f, %d baselines\n", f.name, f.fit.Scale, f.fit.Slope, f.fit.Scale, sign(f.fit.Intercept), abs(f.fit.Intercept), f.fit.R, f.fit.NBaselines)
	}
	inMax := 0.0
	lo, hi := r.Inits[0], r.Inits[0]
	for _, i := range r.Inits {
		inMax = math.Max(inMax, math.Abs(i.InSupport.MeanER))
		if i.OutOfSupport.MeanER < lo.OutOfSupport.MeanER {
			lo = i
		}
		if i.OutOfSupport.MeanER > hi.OutOfSupport.MeanER {
			hi = i
		}
	}
	fmt.Fprintf(&b, "\nin-support: every initialisation's mean ER is within %.2f pp of 0, the behaviour of training from scratch.\n", 100*inMax)
	fmt.Fprintf(&b, "out-of-support: mean ER runs from %s pp (%s) to %s pp (%s): the initialisation decides it, since gradient descent never moves w_perp.\n",
		pp(lo.OutOfSupport.MeanER), lo.Group, pp(hi.OutOfSupport.MeanER), hi.Group)
	_, err := w.Write(b.Bytes())
	return err
}

// Plot draws the two panels, in-support left and out-of-support right, into file.
func (r *LogregResult) Plot(file string) error {
	a, err := NewPlot(&r.InSupport.Result, r.InSupport.Title)
	if err != nil {
		return err
	}
	b, err := NewPlot(&r.OutOfSupport.Result, r.OutOfSupport.Title)
	if err != nil {
		return err
	}
	return SavePlots(file, a, b)
}
