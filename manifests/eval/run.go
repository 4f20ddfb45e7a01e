package eval

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/shiftgen/shiftgen/manifests"
)

// Config is one evaluation, as the shiftgen eval command's flags give it. Accuracies come
// either from Manifest with Predictions or from Accuracies (a table); exactly one of
// the two must be set.
type Config struct {
	// Manifests name the datasets scored: manifest.json files, dataset folders, folders
	// searched for datasets, or globs of any of these (see ExpandManifests). One
	// dataset gives a Report (Run), several a ShiftsReport (RunShifts).
	Manifests []string
	// Reference is the manifest of the reference images for datasets that hold none of
	// their own (the ImageNet-C layout, a natural shift indexed alone): a generated
	// dataset's reference images, or every image of an index of clean images. Classes
	// match by name.
	Reference string
	// Predictions are files or folders of prediction files, one model per file stem
	// (see FindPredictions, and RunShifts for several datasets).
	Predictions []string
	// NPYRoots say which ImageFolder root .npy files follow ("DIST/SPLIT" or
	// "DIR=DIST/SPLIT", see ParseNPYRoot).
	NPYRoots []string
	// Split is the split scored; "" means "val".
	Split string
	// Models is an optional models.csv (model,group[,...]) naming each model's group
	// and, unless Baselines is set, its baselines (see ReadModels).
	Models string
	// Baselines select the baseline models: globs on model names or COL=VALUE on a
	// column of Models or of the Accuracies table.
	Baselines []string

	// Accuracies is a CSV table of accuracies, one row per model, read as TableSpec
	// says with the columns below and Units.
	Accuracies                           string
	ModelCol, RefCol, ShiftCol, GroupCol string
	Units                                string

	// By lists record fields: everything is repeated for each value of each field
	// (predictions only).
	By []string
	// Scale is the fit's scale; "" means Probit.
	Scale Scale
	// Bootstrap is the number of bootstrap resamples of the baselines (0: none); Seed
	// seeds them.
	Bootstrap int
	Seed      uint64
	// CEBaseline names the model whose ImageNet-C errors normalise everyone's
	// corruption errors (mCE); "" means AlexNet's published errors (see AlexNetErrors).
	CEBaseline string
	// Title titles the report and plot; "" means the shift's spec and kind, or
	// "REF-COL → SHIFT-COL" for a table.
	Title string
	// Workers is the number of goroutines decoding records and of prediction files read
	// at once (0: all cores, see manifests.WorkerCount).
	Workers int
	// Warn, if set, receives notes (the units a table was read in, class matching) and
	// warnings (clamped accuracies, skipped rows or subsets, ignored predictions), each
	// a sentence. It is called from one goroutine at a time.
	Warn func(string)
}

// Report is the result of Run: the overall Result (fit, models, groups) and, with By,
// one Result per field and value. Its JSON form is the eval command's stable contract.
type Report struct {
	Title string `json:"title"`
	// Shift is the dataset's shift (predictions only).
	Shift *ShiftInfo `json:"shift,omitempty"`
	// Split is the split scored (predictions only).
	Split string `json:"split,omitempty"`
	// Reference is the manifest whose images served as the reference, when they came
	// from another dataset (Config.Reference).
	Reference string `json:"reference,omitempty"`
	// Units is how a table's accuracies were read (tables only).
	Units     string `json:"units,omitempty"`
	Bootstrap int    `json:"bootstrap,omitempty"`
	Seed      uint64 `json:"seed,omitempty"`
	Result
	// By maps field → value → Result.
	By map[string]map[string]*Result `json:"by,omitempty"`
}

// ShiftInfo names the shift a dataset was made with.
type ShiftInfo struct {
	Name string `json:"name"`
	Spec string `json:"spec,omitempty"`
	Kind string `json:"kind"`
	// Params are the shift's parameters as its manifest records them (in a
	// ShiftsReport's entries only), so that a sweep over a parameter can be drawn.
	Params json.RawMessage `json:"params,omitempty"`
}

// Run evaluates cfg: it reads the accuracies, fits the baselines and computes every
// model's effective robustness. Errors name the file, line and fix.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	warn := cfg.Warn
	if warn == nil {
		warn = func(string) {}
	}
	if cfg.Scale == "" {
		cfg.Scale = Probit
	}
	cfg.By = uniqueStrings(cfg.By)
	sels := make([]Selector, 0, len(cfg.Baselines))
	for _, b := range cfg.Baselines {
		s, _ := ParseSelector(b)
		sels = append(sels, s)
	}
	opt := Options{Scale: cfg.Scale, Bootstrap: cfg.Bootstrap, Seed: cfg.Seed}
	rep := &Report{Bootstrap: cfg.Bootstrap}
	if cfg.Bootstrap > 0 {
		rep.Seed = cfg.Seed
	}
	if cfg.Accuracies != "" {
		pts, info, err := ReadTable(TableSpec{File: cfg.Accuracies, ModelCol: cfg.ModelCol, RefCol: cfg.RefCol, ShiftCol: cfg.ShiftCol, GroupCol: cfg.GroupCol, Units: cfg.Units, Baselines: sels})
		if err != nil {
			return nil, err
		}
		how := "as given by --units"
		if info.Detected {
			how = fmt.Sprintf("auto-detected: the largest is %g", info.Max)
			if info.Units == UnitsFraction {
				how = fmt.Sprintf("auto-detected: none exceeds 1, the largest is %g", info.Max)
			}
		}
		warn(fmt.Sprintf("%s: accuracies read as %s (%s)", cfg.Accuracies, info.Units, how))
		if info.Skipped > 0 {
			warn(fmt.Sprintf("%s: %d rows without a %s or %s accuracy skipped", cfg.Accuracies, info.Skipped, cfg.RefCol, cfg.ShiftCol))
		}
		rep.Units = info.Units
		rep.Title = cfg.Title
		if rep.Title == "" {
			rep.Title = cfg.RefCol + " → " + cfg.ShiftCol
		}
		res, warns, err := Analyze(pts, opt)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", cfg.Accuracies, err)
		}
		for _, w := range warns {
			warn(w)
		}
		rep.Result = *res
		return rep, nil
	}
	paths, err := ExpandManifests(cfg.Manifests)
	if err != nil {
		return nil, err
	}
	if len(paths) != 1 {
		return nil, fmt.Errorf("--manifest names %d datasets; Run scores one (RunShifts scores several)", len(paths))
	}
	e, err := newEngine(cfg, paths, warn)
	if err != nil {
		return nil, err
	}
	e.failFast = true
	reps, err := e.run(ctx)
	if err != nil {
		return nil, err
	}
	return reps[0].Report, nil
}

// Validate checks the configuration's flags and their combinations without reading any
// file: exactly one source of accuracies, the columns a table needs, a known scale and
// units, well-formed --baseline and --npy-root values.
func (cfg *Config) Validate() error {
	if cfg.Scale != "" {
		if _, err := ParseScale(string(cfg.Scale)); err != nil {
			return fmt.Errorf("--scale: %w", err)
		}
	}
	if cfg.Bootstrap < 0 {
		return fmt.Errorf("--bootstrap %d: want a number of resamples, 0 or more", cfg.Bootstrap)
	}
	for _, b := range cfg.Baselines {
		if _, err := ParseSelector(b); err != nil {
			return err
		}
	}
	for _, r := range cfg.NPYRoots {
		if _, err := ParseNPYRoot(r); err != nil {
			return err
		}
	}
	switch cfg.Units {
	case "", UnitsAuto, UnitsPercent, UnitsFraction:
	default:
		return fmt.Errorf("--units %q: want auto, percent or fraction", cfg.Units)
	}
	switch {
	case len(cfg.Manifests) > 0 && cfg.Accuracies != "":
		return fmt.Errorf("give either --manifest with --predictions or --accuracies, not both")
	case cfg.Accuracies != "":
		if len(cfg.Predictions) > 0 || len(cfg.By) > 0 || cfg.Models != "" || len(cfg.NPYRoots) > 0 || cfg.Reference != "" || cfg.CEBaseline != "" {
			return fmt.Errorf("--predictions, --models, --npy-root, --by, --reference and --ce-baseline work with --manifest, not with --accuracies")
		}
		if cfg.RefCol == "" || cfg.ShiftCol == "" {
			return fmt.Errorf("--accuracies needs --ref-col and --shift-col: the columns holding the reference and shifted accuracies")
		}
	case len(cfg.Manifests) == 0:
		return fmt.Errorf("nothing to evaluate: give --manifest OUT/SHIFT/manifest.json with --predictions, or --accuracies TABLE.csv with --ref-col and --shift-col")
	default:
		if len(cfg.Predictions) == 0 {
			return fmt.Errorf("--manifest needs --predictions: files or folders with one .csv, .jsonl or .npy file per model")
		}
		if cfg.RefCol != "" || cfg.ShiftCol != "" || cfg.GroupCol != "" || cfg.Units != "" {
			return fmt.Errorf("--ref-col, --shift-col, --group-col and --units work with --accuracies, not with --manifest")
		}
	}
	return nil
}

// modelInfo gives each model its group and baseline mark, from a models.csv or from the
// selectors alone.
func modelInfo(models []ModelFiles, modelsCSV string, sels []Selector, warn func(string)) ([]ModelInfo, error) {
	out := make([]ModelInfo, len(models))
	if modelsCSV == "" {
		for _, s := range sels {
			if s.Column != "" {
				return nil, fmt.Errorf("--baseline %s selects by a column, which needs --models models.csv (or --accuracies); use a glob on model names instead", s)
			}
		}
		for i, mf := range models {
			b := isBaseline(mf.Model, nil, sels, false)
			out[i] = ModelInfo{Group: defaultGroup(b), Baseline: b}
		}
		return out, nil
	}
	listed, err := ReadModels(modelsCSV, sels)
	if err != nil {
		return nil, err
	}
	have := map[string]bool{}
	var unlisted []string
	for i, mf := range models {
		have[mf.Model] = true
		mi, ok := listed[mf.Model]
		if !ok {
			b := isBaseline(mf.Model, nil, sels, false)
			mi = ModelInfo{Group: "unlisted", Baseline: b && len(sels) > 0}
			unlisted = append(unlisted, mf.Model)
		}
		out[i] = mi
	}
	if len(unlisted) > 0 {
		warn(fmt.Sprintf("%s does not list %d model(s) with predictions: %s; they are shown in group \"unlisted\"", modelsCSV, len(unlisted), strings.Join(unlisted, ", ")))
	}
	var absent []string
	for _, m := range sortedKeys(listed) {
		if !have[m] {
			absent = append(absent, m)
		}
	}
	if len(absent) > 0 {
		warn(fmt.Sprintf("%s lists %d model(s) without a prediction file: %s", modelsCSV, len(absent), strings.Join(absent, ", ")))
	}
	return out, nil
}

// readAll reads every model's predictions with up to workers files at once and keeps
// which images each predicted right. Results are stored by model index, so the outcome
// does not depend on which file finishes first; on errors the one of the first model
// (in name order) is returned: a model's error does not stop the others, so that the
// first one is always known.
func (d *Dataset) readAll(ctx context.Context, models []ModelFiles, roots []NPYRoot, workers int, warn func(string)) ([]hits, error) {
	out := make([]hits, len(models))
	ignored := make([]int, len(models))
	err := perModel(ctx, len(models), workers, func(i int) error {
		pred, n, err := d.ReadPredictions(models[i], roots)
		if err == nil {
			out[i], ignored[i] = newHits(d, pred), n
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	for i, n := range ignored {
		if n > 0 {
			warn(fmt.Sprintf("%s: %d predictions for images %s ignored", strings.Join(models[i].Files, ", "), n, d.notScored()))
		}
	}
	return out, nil
}

// notScored describes the images of the dataset that are not scored, for notes.
func (d *Dataset) notScored() string {
	if d.refOnly {
		return fmt.Sprintf("other than the reference images of split %s (the dataset serves as reference)", d.Split)
	}
	return "of other splits than " + d.Split
}

// perModel calls read(i) for every model i in 0..n−1, up to workers at once (see
// manifests.WorkerCount). A model's error does not stop the others, so that the error
// returned is always the first model's in index order, whichever file finishes first;
// read stores its results by i. When ctx is cancelled perModel returns ctx.Err().
func perModel(ctx context.Context, n, workers int, read func(i int) error) error {
	errs := make([]error, n)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(manifests.WorkerCount(workers))
	for i := range n {
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				return err
			}
			errs[i] = read(i)
			return nil
		})
	}
	werr := g.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if werr != nil && !errors.Is(werr, context.Canceled) {
		return werr
	}
	return nil
}
