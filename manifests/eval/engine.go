package eval

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/shiftgen/shiftgen/manifests"
)

// ExpandManifests turns --manifest values into manifest paths, in order, each once: a
// manifest.json file; a dataset folder (holding manifest.json); a folder searched
// recursively for datasets (hidden folders and the inside of datasets are not
// searched); or a glob (path/filepath.Match syntax) of any of these. Each value must
// name at least one dataset.
func ExpandManifests(values []string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	found := 0
	add := func(p string) {
		found++
		key := p
		if a, err := filepath.Abs(p); err == nil {
			key = a
		}
		if !seen[key] {
			seen[key] = true
			out = append(out, p)
		}
	}
	for _, v := range values {
		matches := []string{v}
		if strings.ContainsAny(v, "*?[") {
			var err error
			matches, err = filepath.Glob(v)
			if err != nil {
				return nil, fmt.Errorf("--manifest %s: %w", v, err)
			}
			if len(matches) == 0 {
				return nil, fmt.Errorf("--manifest %s: the pattern matches no file or folder", v)
			}
		}
		found = 0
		for _, m := range matches {
			st, err := os.Stat(m)
			if err != nil {
				return nil, fmt.Errorf("--manifest %s: %w", m, err)
			}
			if !st.IsDir() {
				add(m)
				continue
			}
			found, err := findManifests(m)
			if err != nil {
				return nil, fmt.Errorf("--manifest %s: %w", m, err)
			}
			for _, f := range found {
				add(f)
			}
		}
		if found == 0 {
			return nil, fmt.Errorf("--manifest %s: no %s found there; give a dataset's manifest, its folder, or a folder holding datasets", v, manifests.ManifestFile)
		}
	}
	return out, nil
}

// findManifests returns dir's manifest if it has one, else the manifests of the
// datasets below it, in sorted order of their paths.
func findManifests(dir string) ([]string, error) {
	if st, err := os.Stat(filepath.Join(dir, manifests.ManifestFile)); err == nil && st.Mode().IsRegular() {
		return []string{filepath.Join(dir, manifests.ManifestFile)}, nil
	}
	var out []string
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !e.IsDir() {
			return nil
		}
		if p != dir && strings.HasPrefix(e.Name(), ".") {
			return filepath.SkipDir
		}
		m := filepath.Join(p, manifests.ManifestFile)
		if st, err := os.Stat(m); err == nil && st.Mode().IsRegular() {
			out = append(out, m)
			return filepath.SkipDir
		}
		return nil
	})
	return out, err
}

// scored is one dataset's outcome: its report, or why it was skipped.
type scored struct {
	*Report
	// Name is the dataset's name (see engine.names), Manifest its manifest path.
	Name, Manifest string
	// Skipped, if set, says why the dataset has no report.
	Skipped string
	// Params are the shift's parameters, as the manifest records them.
	Params []byte
}

// engine evaluates datasets: it sorts the prediction files by dataset, reads each file
// once, and scores every dataset against its reference images.
type engine struct {
	cfg   Config
	warn  func(string)
	opt   Options
	sels  []Selector
	roots []NPYRoot
	split string
	// single: one dataset with its own reference, read exactly as a lone dataset always
	// was (every prediction file belongs to it; notes carry no dataset name).
	single bool
	// failFast makes a dataset that cannot be scored an error rather than a skip.
	failFast bool

	// Datasets 0..n-1 are scored; ref, if >= 0, is the reference dataset (n when it is
	// not also scored).
	n     int
	paths []string
	dirs  []string // absolute folders
	names []string // folders relative to common, with '/'
	// common is the deepest folder holding every dataset (absolute).
	common string
	ref    int
	byDir  map[string]int
	// bySuffix maps every trailing part of a dataset's folder path ("vflip",
	// "out/vflip", …) to the dataset, or to ambiguous when two datasets share it.
	bySuffix map[string]int
	cwd      string

	models []ModelFiles // every model, files of all datasets together
	info   []ModelInfo
	// own[k][i] are model i's files for dataset k (under PREDICTIONS/NAME/);
	// cover[i] are model i's files covering several datasets.
	own   []map[int][]string
	cover map[int][]string
}

// newEngine checks the flags against the datasets and sorts the prediction files.
func newEngine(cfg Config, paths []string, warn func(string)) (*engine, error) {
	e := &engine{cfg: cfg, warn: warn, paths: append([]string(nil), paths...), n: len(paths), ref: -1, split: cfg.Split}
	if e.split == "" {
		e.split = "val"
	}
	if e.opt.Scale = cfg.Scale; e.opt.Scale == "" {
		e.opt.Scale = Probit
	}
	e.opt.Bootstrap, e.opt.Seed = cfg.Bootstrap, cfg.Seed
	for _, b := range cfg.Baselines {
		s, _ := ParseSelector(b)
		e.sels = append(e.sels, s)
	}
	for _, r := range cfg.NPYRoots {
		nr, _ := ParseNPYRoot(r)
		e.roots = append(e.roots, nr)
	}
	e.single = len(paths) == 1 && cfg.Reference == ""
	for _, p := range paths {
		a, err := filepath.Abs(filepath.Dir(p))
		if err != nil {
			return nil, err
		}
		e.dirs = append(e.dirs, a)
	}
	if cfg.Reference != "" {
		a, err := filepath.Abs(filepath.Dir(cfg.Reference))
		if err != nil {
			return nil, err
		}
		e.ref = len(e.dirs)
		for k, d := range e.dirs {
			if d == a {
				e.ref = k
			}
		}
		if e.ref == len(e.dirs) {
			e.paths = append(e.paths, cfg.Reference)
			e.dirs = append(e.dirs, a)
		}
	}
	e.common = commonDir(e.dirs)
	e.names = datasetNames(e.dirs)
	e.byDir, e.bySuffix = map[string]int{}, map[string]int{}
	for k, d := range e.dirs {
		e.byDir[d] = k
		parts := strings.Split(strings.Trim(filepath.ToSlash(d), "/"), "/")
		for i := len(parts) - 1; i >= 0; i-- {
			suf := strings.Join(parts[i:], "/")
			if prev, ok := e.bySuffix[suf]; ok && prev != k {
				e.bySuffix[suf] = ambiguous
			} else {
				e.bySuffix[suf] = k
			}
		}
	}
	e.cwd, _ = os.Getwd()
	if err := e.findFiles(); err != nil {
		return nil, err
	}
	info, err := modelInfo(e.models, cfg.Models, e.sels, warn)
	if err != nil {
		return nil, err
	}
	e.info = info
	return e, nil
}

// ambiguous marks a name that ends the folder paths of two datasets.
const ambiguous = -2

// matchName finds the dataset whose folder path ends with name (whole folder names:
// "vflip", "demo/vflip"); -1 when none does. Two datasets ending with name are an
// error asking for more of the path.
func (e *engine) matchName(name string) (int, error) {
	name = strings.Trim(path.Clean(strings.ReplaceAll(name, "\\", "/")), "/")
	k, ok := e.bySuffix[name]
	if !ok {
		return -1, nil
	}
	if k == ambiguous {
		var both []string
		for j, d := range e.dirs {
			if strings.HasSuffix(filepath.ToSlash(d), "/"+name) {
				both = append(both, e.names[j])
			}
		}
		return -1, fmt.Errorf("%s names several datasets (%s); name them by more of their folder path", name, strings.Join(both, ", "))
	}
	return k, nil
}

// datasetOf finds the dataset of a file found at rel (slash-separated, relative to a
// --predictions folder): the longest leading folders of rel that end a dataset's
// folder path; -1 when none do.
func (e *engine) datasetOf(rel string) (int, error) {
	for dir := path.Dir(rel); dir != "." && dir != "/"; dir = path.Dir(dir) {
		k, err := e.matchName(dir)
		if err != nil || k >= 0 {
			return k, err
		}
	}
	return -1, nil
}

// folderOf returns the dataset a --predictions folder is named after (its last folder
// names, as in preds/vflip), or -1.
func (e *engine) folderOf(dir string) (int, error) {
	parts := strings.Split(strings.Trim(filepath.ToSlash(absPath(dir)), "/"), "/")
	for i := len(parts) - 1; i >= 0; i-- {
		k, err := e.matchName(strings.Join(parts[i:], "/"))
		if err != nil {
			return -1, err
		}
		if k >= 0 {
			return k, nil
		}
	}
	return -1, nil
}

// datasetNames names datasets by their folders (absolute, cleaned): each folder relative
// to the deepest folder holding them all, with '/' (vflip for out/vflip beside
// out/night), or its base name for a lone dataset.
func datasetNames(dirs []string) []string {
	common := commonDir(dirs)
	names := make([]string, len(dirs))
	for k, d := range dirs {
		names[k] = filepath.Base(d)
		if rel, err := filepath.Rel(common, d); err == nil && rel != "." {
			names[k] = filepath.ToSlash(rel)
		}
	}
	return names
}

// commonDir returns the deepest folder holding every one of dirs (absolute, cleaned).
func commonDir(dirs []string) string {
	c := dirs[0]
	for _, d := range dirs[1:] {
		for c != d && !strings.HasPrefix(d, strings.TrimSuffix(c, string(filepath.Separator))+string(filepath.Separator)) {
			parent := filepath.Dir(c)
			if parent == c {
				break
			}
			c = parent
		}
	}
	return c
}

// findFiles sorts the prediction files. A lone dataset takes every file found (see
// FindPredictions). Otherwise a folder that has a subfolder named like a dataset (its
// name: the dataset's folder relative to the folder holding all the datasets, such as
// vflip for out/vflip) holds one folder per dataset: the files under PREDICTIONS/NAME/
// are that dataset's; a file given directly, or found in a folder without such
// subfolders, covers several datasets, its rows naming the images by path or by
// dataset name.
func (e *engine) findFiles() error {
	nk := len(e.paths)
	e.own = make([]map[int][]string, nk)
	for k := range e.own {
		e.own[k] = map[int][]string{}
	}
	e.cover = map[int][]string{}
	if e.single {
		models, err := FindPredictions(e.cfg.Predictions, []string{e.cfg.Models})
		if err != nil {
			return err
		}
		e.models = models
		for i, m := range models {
			e.own[0][i] = m.Files
		}
		return nil
	}
	skip := ""
	if e.cfg.Models != "" {
		skip = absPath(e.cfg.Models)
	}
	type found struct {
		file string
		k    int // dataset, or -1 for a covering file
	}
	byStem := map[string][]found{}
	add := func(file string, k int) {
		if absPath(file) == skip {
			return
		}
		stem := stemOf(file)
		byStem[stem] = append(byStem[stem], found{file, k})
	}
	for _, p := range e.cfg.Predictions {
		st, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("--predictions %s: %w", p, err)
		}
		if !st.IsDir() {
			if !predExts[strings.ToLower(filepath.Ext(p))] {
				return fmt.Errorf("--predictions %s: unknown format; name prediction files *.csv, *.jsonl or *.npy", p)
			}
			add(p, -1)
			continue
		}
		// A folder named like a dataset holds that dataset's files.
		own, err := e.folderOf(p)
		if err != nil {
			return fmt.Errorf("--predictions %s: %w", p, err)
		}
		// Otherwise files whose folders name a dataset are that dataset's; if any are,
		// the folder holds one folder per dataset and other files are ignored, else
		// every file covers several datasets.
		var files []string
		var owner []int
		err = filepath.WalkDir(p, func(q string, de fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !de.Type().IsRegular() || !predExts[strings.ToLower(filepath.Ext(q))] || absPath(q) == skip {
				return nil
			}
			k := own
			if k < 0 {
				rel, _ := filepath.Rel(p, q)
				if k, err = e.datasetOf(filepath.ToSlash(rel)); err != nil {
					return fmt.Errorf("%s: %w", q, err)
				}
			}
			files = append(files, q)
			owner = append(owner, k)
			return nil
		})
		n := len(files)
		perDataset := slices.ContainsFunc(owner, func(k int) bool { return k >= 0 })
		ignored := 0
		for i, q := range files {
			switch {
			case !perDataset:
				add(q, -1)
			case owner[i] >= 0:
				add(q, owner[i])
			default:
				ignored++
			}
		}
		if err != nil {
			return fmt.Errorf("--predictions %s: %w", p, err)
		}
		if n == 0 {
			return fmt.Errorf("--predictions %s: the folder holds no .csv, .jsonl or .npy file", p)
		}
		if ignored > 0 {
			e.warn(fmt.Sprintf("--predictions %s: %d files outside the folders of the datasets (%s) ignored", p, ignored, listSome(e.names, 3)))
		}
	}
	for i, stem := range sortedKeys(byStem) {
		fs := byStem[stem]
		sort.Slice(fs, func(a, b int) bool { return fs[a].file < fs[b].file })
		mf := ModelFiles{Model: stem}
		for j, f := range fs {
			if j > 0 && f.file == fs[j-1].file {
				continue
			}
			mf.Files = append(mf.Files, f.file)
			if f.k < 0 {
				e.cover[i] = append(e.cover[i], f.file)
			} else {
				e.own[f.k][i] = append(e.own[f.k][i], f.file)
			}
		}
		e.models = append(e.models, mf)
	}
	if len(e.models) == 0 {
		return fmt.Errorf("no prediction file found in %s", strings.Join(e.cfg.Predictions, ", "))
	}
	return nil
}

// absPath returns p made absolute, or cleaned when that fails.
func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return filepath.Clean(p)
}

// note passes a warning on, prefixed with dataset k's name when several are scored.
func (e *engine) note(k int) func(string) {
	if e.single {
		return e.warn
	}
	return func(msg string) { e.warn(e.names[k] + ": " + msg) }
}

// load reads dataset k's manifest and records.
func (e *engine) load(ctx context.Context, k int) (*Dataset, error) {
	o := loadOptions{split: e.split, by: e.cfg.By, workers: e.cfg.Workers, lenientBy: !e.single}
	switch {
	case k == e.ref && k >= e.n:
		o.role = roleReference
	case e.ref >= 0:
		o.role = roleScored
	}
	return loadDataset(ctx, e.paths[k], o)
}

// run scores every dataset, in order. A lone dataset's failure is an error; among
// several, a dataset that cannot be scored (too few baselines, no class shared with
// its reference) is skipped with the reason, and bad input remains an error.
func (e *engine) run(ctx context.Context) ([]scored, error) {
	nk := len(e.paths)
	ds := make([]*Dataset, nk)
	// Model i's hits on dataset k, from files covering several datasets.
	var covered [][]hits
	if len(e.cover) > 0 {
		for k := range nk {
			d, err := e.load(ctx, k)
			if err != nil {
				return nil, err
			}
			ds[k] = d
		}
		var err error
		if covered, err = e.readCovering(ctx, ds); err != nil {
			return nil, err
		}
	}
	// hitsOn reads the files of dataset k's own folder and joins them with the
	// covering files' rows: model i's hits on k, or nil.
	hitsOn := func(k int, d *Dataset) ([]hits, error) {
		out := make([]hits, len(e.models))
		var idx []int
		var mfs []ModelFiles
		for _, i := range sortedKeys(e.own[k]) {
			if covered != nil && covered[i][k] != nil {
				return nil, fmt.Errorf("model %s has predictions for dataset %s both in %s and in %s; keep one", e.models[i].Model, e.names[k], strings.Join(e.own[k][i], ", "), strings.Join(e.cover[i], ", "))
			}
			idx = append(idx, i)
			mfs = append(mfs, ModelFiles{Model: e.models[i].Model, Files: e.own[k][i]})
		}
		hs, err := d.readAll(ctx, mfs, e.roots, e.cfg.Workers, e.note(k))
		if err != nil {
			return nil, err
		}
		for j, i := range idx {
			out[i] = hs[j]
		}
		if covered != nil {
			for i := range out {
				if out[i] == nil {
					out[i] = covered[i][k]
				}
			}
		}
		return out, nil
	}
	var refHits []hits
	if e.ref >= 0 {
		if ds[e.ref] == nil {
			d, err := e.load(ctx, e.ref)
			if err != nil {
				return nil, err
			}
			ds[e.ref] = d
		}
		var err error
		if refHits, err = hitsOn(e.ref, ds[e.ref]); err != nil {
			return nil, err
		}
	}
	out := make([]scored, e.n)
	for k := range e.n {
		d := ds[k]
		if d == nil {
			var err error
			if d, err = e.load(ctx, k); err != nil {
				return nil, err
			}
		}
		// What cannot be scored is known from the records: say so before reading the
		// predictions.
		p, err := e.pairOf(d, ds)
		if err == nil {
			err = p.shareClasses()
		}
		var res *Report
		if err == nil {
			hs := refHits
			if k != e.ref {
				if hs, err = hitsOn(k, d); err != nil {
					return nil, err
				}
			}
			res, err = e.score(k, d, p, hs, refHits)
		}
		if err != nil {
			if e.failFast {
				return nil, fmt.Errorf("%s: %w", e.paths[k], err)
			}
			e.warn(fmt.Sprintf("%s: skipped: %v", e.names[k], err))
			out[k] = scored{Name: e.names[k], Manifest: e.paths[k], Skipped: err.Error()}
		} else {
			out[k] = scored{Report: res, Name: e.names[k], Manifest: e.paths[k], Params: d.Manifest.Shift.Params}
		}
		if k != e.ref {
			ds[k] = nil // scored: its records are no longer needed
		}
	}
	return out, nil
}

// pairOf pairs dataset d's shifted images with its own reference images or, without
// any, with the reference dataset's.
func (e *engine) pairOf(d *Dataset, ds []*Dataset) (pair, error) {
	p := ownPair(d)
	if len(p.refIDs) > 0 {
		return p, nil
	}
	if e.ref < 0 {
		return pair{}, fmt.Errorf("no reference image of split %s; pass --reference with a dataset that holds them", e.split)
	}
	return refPair(ds[e.ref], d), nil
}

// score scores dataset k (d), paired in p, with model hits hs on d and refHits on the
// reference dataset.
func (e *engine) score(k int, d *Dataset, p pair, hs, refHits []hits) (*Report, error) {
	m := d.Manifest
	rep := &Report{Bootstrap: e.cfg.Bootstrap, Split: e.split}
	if e.cfg.Bootstrap > 0 {
		rep.Seed = e.cfg.Seed
	}
	rep.Shift = &ShiftInfo{Name: m.Shift.Name, Spec: m.Shift.Spec, Kind: m.Shift.Kind}
	rep.Title = e.cfg.Title
	if rep.Title == "" {
		name := m.Shift.Spec
		if name == "" {
			name = m.Shift.Name
		}
		rep.Title = fmt.Sprintf("%s (%s)", name, m.Shift.Kind)
	}
	refSide := hs
	if p.ref != d {
		refSide = refHits
		rep.Reference = e.paths[e.ref]
	}
	warn := e.note(k)
	if !e.single {
		var absent, oneSided []string
		for i, mf := range e.models {
			switch {
			case hs[i] == nil && refSide[i] == nil:
				absent = append(absent, mf.Model)
			case hs[i] == nil || refSide[i] == nil:
				oneSided = append(oneSided, mf.Model)
			}
		}
		if len(absent) > 0 {
			warn(fmt.Sprintf("no predictions from %d model(s) (%s); scored without them", len(absent), listSome(absent, 5)))
		}
		if len(oneSided) > 0 {
			warn(fmt.Sprintf("%d model(s) (%s) have predictions for only one of this dataset and its reference %s; scored without them", len(oneSided), listSome(oneSided, 5), e.names[e.ref]))
		}
	}
	if !e.single {
		for fi, f := range e.cfg.By {
			if len(p.ref.byNames[fi]) == 0 && len(p.shift.byNames[fi]) == 0 {
				warn(fmt.Sprintf("--by %s: no record has this field, so the dataset is scored as a whole only", f))
			}
		}
	}
	s := scorer{p: p, models: modelNames(e.models), info: e.info, ref: refSide, shift: hs, opt: e.opt}
	if err := s.evaluate(rep, e.cfg.By, warn); err != nil {
		return nil, err
	}
	return rep, nil
}

// modelNames lists the models' names.
func modelNames(models []ModelFiles) []string {
	out := make([]string, len(models))
	for i, m := range models {
		out[i] = m.Model
	}
	return out
}

// readCovering reads every model's covering files, up to Workers models at once, each
// file once, and returns model i's hits on dataset k (nil where the files have no row
// for k). On errors the first model's (in name order) is returned.
func (e *engine) readCovering(ctx context.Context, ds []*Dataset) ([][]hits, error) {
	out := make([][]hits, len(e.models))
	notes := make([][]string, len(e.models))
	err := perModel(ctx, len(e.models), e.cfg.Workers, func(i int) error {
		if len(e.cover[i]) == 0 {
			out[i] = make([]hits, len(ds))
			return nil
		}
		var err error
		out[i], notes[i], err = e.readCover(ds, i)
		return err
	})
	if err != nil {
		return nil, err
	}
	for _, ns := range notes {
		for _, n := range ns {
			e.warn(n)
		}
	}
	return out, nil
}
