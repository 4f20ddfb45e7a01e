package supportsplit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/shiftgen/shiftgen/manifests"
	"github.com/shiftgen/shiftgen/manifests/internal/plotfile"
)

// DefaultEpsilon is the threshold of the paper's text (its released notebook uses 0.1).
const DefaultEpsilon = 0.2

// Fields written to the records of a split dataset.
const (
	// FieldSupport is "in" or "out" on shifted records (absent on reference records, so
	// that eval --by support compares each part with the whole reference).
	FieldSupport = "support"
	// FieldDensityRatio is p_shift(x)/p_ref(x), capped at e^±700 to stay finite.
	FieldDensityRatio = "density_ratio"
	// FieldLogDensityRatio is log(p_shift(x)/p_ref(x)).
	FieldLogDensityRatio = "log_density_ratio"
	// FieldScore is the domain classifier's out-of-fold logit of P(shifted | x).
	FieldScore = "score"
)

// Config configures Run. Zero values are documented per field; Run checks them once,
// before reading any data.
type Config struct {
	// Reference and Shifted are the manifest.json files of the two datasets (required),
	// as written by shiftgen index or generate. A manifest holding one distribution
	// contributes all its records; one holding both (a generated dataset) contributes
	// the records of the matching distribution.
	Reference, Shifted string
	// ReferenceFeatures and ShiftedFeatures are the feature files (see ReadFeatures): one
	// row per contributed record, in records.jsonl order (for a manifest holding both
	// distributions, one row per record of the file is accepted too). Required unless
	// Scores is given.
	ReferenceFeatures, ShiftedFeatures string
	// Scores, instead of features, is a file of precomputed out-of-fold logits of
	// P(shifted | x) (see ReadScores): the reference examples' in record order, then the
	// shifted examples'.
	Scores string
	// Out is the folder that receives manifest.json and records.jsonl (required). It must
	// not hold the inputs.
	Out string
	// Force replaces an existing, non-empty Out.
	Force bool
	// Epsilon is the threshold on p_ref/p_shift, in (0, 1); 0 means DefaultEpsilon.
	Epsilon float64
	// Fit configures the domain classifier (unused with Scores).
	Fit FitOptions
	// Plot, if set, is a file (.png, .svg or .pdf) that receives the histogram of log
	// density ratios (see Result.Plot).
	Plot string
	// Version is recorded as the generator's version in the manifest.
	Version string
}

// Params are the inputs and settings a split dataset's manifest records under
// shift.params.
type Params struct {
	Reference         string    `json:"reference"`
	Shifted           string    `json:"shifted"`
	ReferenceFeatures string    `json:"reference_features,omitempty"`
	ShiftedFeatures   string    `json:"shifted_features,omitempty"`
	Scores            string    `json:"scores,omitempty"`
	Epsilon           float64   `json:"epsilon"`
	Folds             int       `json:"folds,omitempty"`
	Seed              int64     `json:"seed"`
	Lambdas           []float64 `json:"lambdas,omitempty"`
}

// Result summarises a split.
type Result struct {
	// Manifest is the manifest written.
	Manifest string
	// Reference and Shifted count the examples of each domain; In and Out the shifted
	// examples in and out of support.
	Reference, Shifted, In, Out int
	// AUC is the out-of-fold scores' area under the ROC curve.
	AUC float64
	// Temperature is the calibration's α.
	Temperature float64
	// Epsilon is the threshold used.
	Epsilon float64
	// Folds describes the cross-fitted models (nil with precomputed scores).
	Folds []FoldFit
	// Lambda is the regularisation strength chosen, Path the strengths tried with their
	// inner validation AUC (zero and nil with precomputed scores).
	Lambda float64
	Path   []PathPoint
	// Passes counts the passes over the features.
	Passes int
	// LogRatios holds every example's log density ratio: reference examples first.
	LogRatios []float64
}

// role is one side of the split: a manifest and the records it contributes.
type role struct {
	name     string // "reference" or "shifted"
	path     string
	dir      string
	m        *manifests.Manifest
	all      []*manifests.Record
	use      []bool // use[i]: record i of all is an example
	n        int
	both     bool // the manifest holds both distributions
	fpath    string
	features *Features
}

// Validate checks c and fills its defaults; Run calls it. Its errors are about how
// the split was asked for, not about the data.
func (c *Config) Validate() error {
	if c.Reference == "" || c.Shifted == "" {
		return errors.New("both --reference and --shifted manifests are needed")
	}
	if c.Out == "" {
		return errors.New("no output folder given (--out)")
	}
	if c.Epsilon == 0 {
		c.Epsilon = DefaultEpsilon
	}
	if !(c.Epsilon > 0 && c.Epsilon < 1) {
		return fmt.Errorf("--epsilon %v is out of range: it bounds p_ref/p_shift and must lie in (0, 1)", c.Epsilon)
	}
	feat := c.ReferenceFeatures != "" || c.ShiftedFeatures != ""
	switch {
	case c.Scores != "" && feat:
		return errors.New("give either --scores or --reference-features and --shifted-features, not both")
	case c.Scores == "" && (c.ReferenceFeatures == "" || c.ShiftedFeatures == ""):
		return errors.New("give --reference-features and --shifted-features (one row per record), or --scores with precomputed out-of-fold logits")
	}
	if c.Scores == "" {
		if err := c.Fit.defaults(); err != nil {
			return err
		}
	}
	if c.Plot != "" {
		if err := plotfile.Check(c.Plot); err != nil {
			return fmt.Errorf("--plot %s: %w", c.Plot, err)
		}
	}
	return nil
}

// Run splits the shifted dataset into an in-support and an out-of-support part
// and writes Out/manifest.json and Out/records.jsonl: the reference examples' records,
// relabelled "reference", then the shifted examples', relabelled "shifted", each with
// its score, density ratio and log density ratio, the shifted ones with "support" ("in"
// or "out"). Record paths are rewritten relative to Out, so they still open the same
// files. Both datasets must have the same class list (index natural shifts with
// --classes REFERENCE/manifest.json).
//
// Scores come from CrossFit on the feature files or from Config.Scores; Calibrate fits
// the temperature on all of them; a shifted example is out of support when
// p_ref/p_shift ≤ ε. Output files are written atomically; the same inputs and seed
// give byte-identical files.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	ref, err := loadRole("reference", cfg.Reference, cfg.ReferenceFeatures)
	if err != nil {
		return nil, err
	}
	shift, err := loadRole("shifted", cfg.Shifted, cfg.ShiftedFeatures)
	if err != nil {
		return nil, err
	}
	if err := checkPair(ref, shift); err != nil {
		return nil, err
	}
	// The output folder is checked and locked before the (long) fit, and, with Force,
	// checked for the datasets' images before anything is removed.
	w, err := manifests.Create(manifests.WriterOptions{Dir: cfg.Out, Inputs: []manifests.Input{
		{Flag: "--reference", Path: cfg.Reference}, {Flag: "--shifted", Path: cfg.Shifted},
		{Flag: "--reference-features", Path: cfg.ReferenceFeatures}, {Flag: "--shifted-features", Path: cfg.ShiftedFeatures},
		{Flag: "--scores", Path: cfg.Scores},
	}, Force: cfg.Force})
	if err != nil {
		return nil, err
	}
	defer w.Close()
	if cfg.Force {
		if err := checkImagesOutside(cfg.Out, ref, shift); err != nil {
			return nil, err
		}
	}
	domain := make([]bool, ref.n+shift.n)
	for i := ref.n; i < len(domain); i++ {
		domain[i] = true
	}
	res := &Result{Reference: ref.n, Shifted: shift.n, Epsilon: cfg.Epsilon}
	scores, err := score(ctx, cfg, res, ref, shift, domain)
	if err != nil {
		return nil, err
	}
	res.AUC = AUC(scores, domain)
	if res.Temperature, err = Calibrate(scores, domain); err != nil {
		return nil, err
	}
	res.LogRatios = make([]float64, len(scores))
	for i, s := range scores {
		res.LogRatios[i] = LogDensityRatio(s, res.Temperature, ref.n, shift.n)
		if domain[i] {
			if OutOfSupport(res.LogRatios[i], cfg.Epsilon) {
				res.Out++
			} else {
				res.In++
			}
		}
	}
	if err := write(w, cfg, res, ref, shift, scores); err != nil {
		return nil, err
	}
	if cfg.Plot != "" {
		if err := res.Plot(cfg.Plot); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// score returns every example's out-of-fold logit: read from cfg.Scores, or computed by
// CrossFit on the feature files (whose fit is described in res).
func score(ctx context.Context, cfg Config, res *Result, ref, shift *role, domain []bool) ([]float64, error) {
	if cfg.Scores != "" {
		scores, err := ReadScores(cfg.Scores)
		if err != nil {
			return nil, err
		}
		if len(scores) != len(domain) {
			return nil, fmt.Errorf("%s has %d scores but there are %d examples (%d reference records of %s, then %d shifted records of %s); give one score per example in that order", cfg.Scores, len(scores), len(domain), ref.n, ref.path, shift.n, shift.path)
		}
		return scores, nil
	}
	for _, r := range []*role{ref, shift} {
		if err := readFeatures(r); err != nil {
			return nil, err
		}
	}
	defer func() { ref.features, shift.features = nil, nil }()
	if ref.features.Cols != shift.features.Cols {
		return nil, fmt.Errorf("the reference features (%s) have %d columns but the shifted features (%s) have %d; extract both with the same model and layer", cfg.ReferenceFeatures, ref.features.Cols, cfg.ShiftedFeatures, shift.features.Cols)
	}
	rows := make([][]float32, 0, len(domain))
	for _, r := range []*role{ref, shift} {
		rows = appendRows(rows, r)
	}
	fit, err := CrossFit(ctx, rows, domain, cfg.Fit)
	if err != nil {
		return nil, err
	}
	res.Folds, res.Passes, res.Lambda, res.Path = fit.Folds, fit.Passes, fit.Lambda, fit.Path
	return fit.Scores, nil
}

// loadRole reads a manifest and its records (checked against it) and picks the
// examples.
func loadRole(name, path, featPath string) (*role, error) {
	m, all, err := manifests.ReadDataset(path)
	if err != nil {
		return nil, fmt.Errorf("--%s: %w", name, err)
	}
	if m.Output != nil {
		return nil, fmt.Errorf("--%s %s: its images sit in %s containers, and a split dataset names image files; split a dataset written with --output folder, or an indexed one", name, path, m.Output.Kind)
	}
	r := &role{name: name, path: path, dir: filepath.Dir(path), m: m, all: all, fpath: featPath}
	var has [2]bool
	for _, rec := range r.all {
		has[b2i(rec.Distribution == "shifted")] = true
	}
	r.both = has[0] && has[1]
	r.use = make([]bool, len(r.all))
	for i, rec := range r.all {
		r.use[i] = !r.both || rec.Distribution == name
		if r.use[i] {
			r.n++
		}
	}
	if r.n == 0 {
		return nil, fmt.Errorf("--%s %s: no records, so there is nothing to split; the domain classifier needs examples of both datasets", name, path)
	}
	return r, nil
}

// checkPair refuses datasets whose labels would disagree, or the same dataset twice.
func checkPair(ref, shift *role) error {
	a, b := ref.m.ClassNames(), shift.m.ClassNames()
	if len(a) != len(b) {
		return fmt.Errorf("%s has %d classes but %s has %d; labels must agree: index the shifted dataset with --classes %s", ref.path, len(a), shift.path, len(b), ref.path)
	}
	for i := range a {
		if a[i] != b[i] {
			return fmt.Errorf("class %d is %q in %s but %q in %s; labels must agree: index the shifted dataset with --classes %s", i, a[i], ref.path, b[i], shift.path, ref.path)
		}
	}
	if !ref.both && !shift.both && sameFile(ref.path, shift.path) {
		return fmt.Errorf("--reference and --shifted are the same dataset (%s); pass the reference dataset's manifest and the shifted one's", ref.path)
	}
	return nil
}

func sameFile(a, b string) bool {
	sa, err1 := os.Stat(a)
	sb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(sa, sb)
}

// readFeatures reads a role's feature file and checks its rows against the records.
func readFeatures(r *role) error {
	path := r.fpath
	f, err := ReadFeatures(path)
	if err != nil {
		return fmt.Errorf("--%s-features %w", r.name, err)
	}
	switch {
	case f.Rows == r.n:
	case r.both && f.Rows == len(r.all):
		// One row per record of the file: keep the rows of this role's records.
		k := 0
		for i, use := range r.use {
			if use {
				copy(f.Data[k*f.Cols:(k+1)*f.Cols], f.Row(i))
				k++
			}
		}
		f.Rows = k
		f.Data = f.Data[:k*f.Cols]
	default:
		what := fmt.Sprintf("%d records", r.n)
		if r.both {
			what = fmt.Sprintf("%d %s records (of %d)", r.n, r.name, len(r.all))
		}
		hint := "were the features extracted from another folder or with a different loader order?"
		if k := len(r.m.Skipped); k > 0 && f.Rows > r.n {
			hint = fmt.Sprintf("the manifest lists %d skipped (unreadable) images, which have no record: drop their rows, or remove the files and index again", k)
		}
		return fmt.Errorf("--%s-features %s has %d rows but %s has %s; give one row per record, in records.jsonl order (%s)", r.name, path, f.Rows, r.path, what, hint)
	}
	r.features = f
	return nil
}

func appendRows(rows [][]float32, r *role) [][]float32 {
	for i := 0; i < r.features.Rows; i++ {
		rows = append(rows, r.features.Row(i))
	}
	return rows
}

// capped returns e^x with x limited to ±700, so that it stays a finite float64.
func capped(x float64) float64 { return math.Exp(math.Max(-700, math.Min(700, x))) }

// write writes the split dataset's records and manifest through w.
func write(w *manifests.Writer, cfg Config, res *Result, ref, shift *role, scores []float64) error {
	outAbs, err := manifests.Resolve(cfg.Out)
	if err != nil {
		return err
	}
	if err := w.Begin(); err != nil {
		return err
	}
	classes := len(ref.m.Classes)
	var counts []manifests.Count
	k := 0
	for _, r := range []*role{ref, shift} {
		inAbs, err := manifests.Resolve(r.dir)
		if err != nil {
			return err
		}
		for i, rec := range r.all {
			if !r.use[i] {
				continue
			}
			out := *rec
			out.Distribution = r.name
			if out.Path, err = rebase(inAbs, outAbs, rec.Path); err != nil {
				return err
			}
			out.Fields = make(map[string]any, len(rec.Fields)+4)
			for key, v := range rec.Fields {
				out.Fields[key] = v
			}
			delete(out.Fields, FieldSupport) // a reference record has no support
			lr := res.LogRatios[k]
			out.Fields[FieldScore] = scores[k]
			out.Fields[FieldLogDensityRatio] = lr
			out.Fields[FieldDensityRatio] = capped(lr)
			stat := ""
			if r.name == "shifted" {
				stat = "in"
				if OutOfSupport(lr, cfg.Epsilon) {
					stat = "out"
				}
				out.Fields[FieldSupport] = stat
			}
			k++
			if len(counts) == 0 || counts[len(counts)-1].Distribution != out.Distribution || counts[len(counts)-1].Split != out.Split {
				counts = append(counts, manifests.Count{Distribution: out.Distribution, Split: out.Split, PerClass: make([]int, classes)})
			}
			c := &counts[len(counts)-1]
			c.Images++
			c.PerClass[out.Label]++
			if stat != "" {
				if c.Stats == nil {
					c.Stats = map[string]int{"in": 0, "out": 0}
				}
				c.Stats[stat]++
			}
			if err := w.Add(0, &out, nil); err != nil {
				return err
			}
		}
	}
	m, err := splitManifest(cfg, res, ref, shift, counts)
	if err != nil {
		return err
	}
	if res.Manifest, err = w.Finish(m); err != nil {
		return err
	}
	return w.Done(nil)
}

// checkImagesOutside refuses an output folder that holds images of the datasets, which
// --force would delete.
func checkImagesOutside(out string, roles ...*role) error {
	outAbs, err := manifests.Resolve(out)
	if err != nil {
		return err
	}
	for _, r := range roles {
		inAbs, err := manifests.Resolve(r.dir)
		if err != nil {
			return err
		}
		for i, rec := range r.all {
			if !r.use[i] {
				continue
			}
			p := filepath.FromSlash(rec.Path)
			if !filepath.IsAbs(p) {
				p = filepath.Join(inAbs, p)
			}
			if rel, err := filepath.Rel(outAbs, p); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
				return fmt.Errorf("--out %s holds images of the %s dataset (such as %s), which --force would delete; choose an output folder of its own", out, r.name, p)
			}
		}
	}
	return nil
}

// rebase rewrites a record path relative to inDir into one relative to outDir (both
// absolute), with forward slashes; absolute paths stay as they are.
func rebase(inDir, outDir, p string) (string, error) {
	native := filepath.FromSlash(p)
	if filepath.IsAbs(native) {
		return p, nil
	}
	rel, err := filepath.Rel(outDir, filepath.Join(inDir, native))
	if err != nil {
		return filepath.ToSlash(filepath.Join(inDir, native)), nil
	}
	return filepath.ToSlash(rel), nil
}

// splitManifest builds the split dataset's manifest (the writer adds its records).
func splitManifest(cfg Config, res *Result, ref, shift *role, counts []manifests.Count) (*manifests.Manifest, error) {
	p := Params{
		Reference: cfg.Reference, Shifted: cfg.Shifted, Epsilon: cfg.Epsilon,
		ReferenceFeatures: cfg.ReferenceFeatures, ShiftedFeatures: cfg.ShiftedFeatures, Scores: cfg.Scores,
	}
	spec := "support-split:epsilon=" + strconv.FormatFloat(cfg.Epsilon, 'g', -1, 64)
	if cfg.Scores == "" {
		p.Folds, p.Seed, p.Lambdas = cfg.Fit.Folds, cfg.Fit.Seed, cfg.Fit.Lambdas
		spec += fmt.Sprintf(",folds=%d,seed=%d", p.Folds, p.Seed)
	}
	params, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	skipped := manifests.SortSkips(append(append([]manifests.Skip{}, ref.m.Skipped...), shift.m.Skipped...))
	extra := manifests.Extra{
		"auc":                         res.AUC,
		"temperature":                 res.Temperature,
		"in_support":                  res.In,
		"out_of_support":              res.Out,
		"threshold_log_density_ratio": -math.Log(cfg.Epsilon),
	}
	if res.Folds != nil {
		extra["folds"] = res.Folds
		extra["lambda"] = res.Lambda
		if res.Path != nil {
			extra["lambda_path"] = res.Path
		}
	}
	m := &manifests.Manifest{
		Schema:     manifests.SchemaVersion,
		Generator:  manifests.Generator{Name: "shiftgen", Version: cfg.Version},
		Shift:      manifests.Shift{Name: "support-split", Spec: spec, Kind: "natural", Params: params},
		Seed:       p.Seed,
		Preprocess: shift.m.Preprocess,
		Source:     shift.m.Source,
		Classes:    ref.m.Classes,
		Counts:     counts,
		Skipped:    skipped,
		Extra:      extra,
	}
	return m, nil
}

// Summary prints the split's counts, the classifier's AUC and the threshold.
func (r *Result) Summary(w io.Writer) error {
	pct := func(k int) float64 { return 100 * float64(k) / math.Max(1, float64(r.Shifted)) }
	var b strings.Builder
	fmt.Fprintf(&b, "reference examples      %d\n", r.Reference)
	fmt.Fprintf(&b, "shifted examples        %d\n", r.Shifted)
	fmt.Fprintf(&b, "  in support            %d (%.1f%%)\n", r.In, pct(r.In))
	fmt.Fprintf(&b, "  out of support        %d (%.1f%%)\n", r.Out, pct(r.Out))
	if r.Folds != nil {
		fmt.Fprintf(&b, "domain classifier       %d-fold cross-fitted logistic regression, out-of-fold AUC %.4f\n", len(r.Folds), r.AUC)
		fmt.Fprintf(&b, "regularisation          lambda %g", r.Lambda)
		if len(r.Path) > 0 {
			b.WriteString(" (inner validation AUC:")
			for _, p := range r.Path {
				fmt.Fprintf(&b, " %g→%.4f", p.Lambda, p.AUC)
			}
			b.WriteString(")")
		}
		b.WriteString("\n")
	} else {
		fmt.Fprintf(&b, "domain classifier       precomputed scores, AUC %.4f\n", r.AUC)
	}
	fmt.Fprintf(&b, "temperature             %.4f\n", r.Temperature)
	fmt.Fprintf(&b, "out of support when     p_ref/p_shift <= %g (log density ratio >= %.4f)\n", r.Epsilon, -math.Log(r.Epsilon))
	_, err := io.WriteString(w, b.String())
	return err
}
