package pipeline

import (
	"context"
	"errors"
	"fmt"
	"image"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/shiftgen/shiftgen/manifests"
	"github.com/shiftgen/shiftgen/pipeline/imageio"
	"github.com/shiftgen/shiftgen/shifts"
)

// Result summarises a finished Run.
type Result struct {
	// Datasets has one entry per shift, in the order given.
	Datasets []DatasetResult
	// Images is the number of images written over all shifts by this process.
	Images int
	// Resumed is the number of images a resumed run found already done and verified.
	Resumed int
	// Skipped is the number of distinct inputs skipped (unreadable, corrupt, too large).
	Skipped int
	// Codec names the codec that ran.
	Codec string
	// Elapsed is the wall time of the run.
	Elapsed time.Duration
	// Shard is set when the run wrote one shard; datasets are complete only after merge.
	Shard Shard
	// AlreadyComplete is true when --resume found every dataset already finished.
	AlreadyComplete bool
	// Shared sums, over the datasets, the images this process stored once for several
	// datasets (hard links, copies where links failed, references to another dataset's
	// containers) and the bytes not written again.
	Shared manifests.Sharing
}

// DatasetResult describes one written dataset (or, for a shard, its part).
type DatasetResult struct {
	Spec string
	Dir  string
	// Manifest is the manifest written: manifest.json, or the shard's shard.json.
	Manifest string
	Images   int
	Skipped  int
}

// written is one output image a worker stored: its output, its folder's stream, its
// record (placed by emit) and what the sink staged.
type written struct {
	out   Output
	fi    int
	rec   *manifests.Record
	image manifests.Staged
}

// jobResult is a worker's outcome for one job.
type jobResult struct {
	outs  []written
	skip  string // non-empty: the input was skipped for this reason
	nOuts int
}

// Run scans the source, plans every output and executes the plan with a bounded worker
// pool. Inputs that cannot be decoded are recorded in each manifest as skipped and the
// run goes on; output-side failures abort it. When ctx is cancelled Run stops promptly,
// leaves no partial file under a final name and returns an error wrapping ctx.Err().
// With Options.Resume a run that was interrupted (even by kill -9) continues where its
// verified work ends; with Options.Shard it writes one part of the plan for Merge.
func Run(ctx context.Context, o Options) (*Result, error) {
	start := time.Now()
	if err := o.validate(); err != nil {
		return nil, err
	}
	ds, err := Scan(o.In, ScanOptions{FollowSymlinks: o.FollowSymlinks})
	if err != nil {
		return nil, err
	}
	ds.Warn(o.Warn)
	var specs []string
	for _, s := range o.Shifts {
		specs = append(specs, shifts.Expand(s)...)
	}
	if !shifts.NeedStyles(specs) {
		o.StyleImages = "" // unused: neither loaded nor recorded
	}
	styles, err := LoadStyles(o.StyleImages, o.Seed, o.MaxFileBytes, o.MaxPixels)
	if err != nil {
		return nil, err
	}
	o.styleDigest = styleDigest(styles)
	env := shifts.Env{Seed: o.Seed, Classes: len(ds.Classes), TintTableSize: o.TintTableSize, FrostTextures: o.FrostTextures, Styles: styles,
		LoadImage: func(p string) (*image.RGBA, error) { return imageio.Load(p, o.MaxFileBytes, o.MaxPixels) }}
	for _, sp := range ds.Splits { // item indices count within a split
		env.Items = max(env.Items, len(sp.Sources))
	}
	built := make([]shifts.Shift, len(specs))
	for i, s := range specs {
		if built[i], err = shifts.New(s, env); err != nil {
			return nil, err
		}
	}
	plan, err := MakePlan(ds, specs, built, &o)
	if err != nil {
		return nil, err
	}
	seen := map[string]string{}
	for _, ps := range plan.Shifts {
		if prev, dup := seen[ps.Dir]; dup {
			return nil, fmt.Errorf("--shift %q and %q would both write %s; give each shift once", prev, ps.Spec, filepath.Join(o.Out, ps.Dir))
		}
		seen[ps.Dir] = ps.Spec
	}
	ex, err := newExecution(&o, plan)
	if err != nil {
		return nil, err
	}
	if ex.complete {
		skips := skipSet{}
		for _, ps := range plan.Shifts {
			if err := skips.addFrom(filepath.Join(o.Out, filepath.FromSlash(ps.Dir))); err != nil {
				return nil, err
			}
		}
		return &Result{AlreadyComplete: true, Skipped: len(skips), Codec: o.Codec.Name(), Elapsed: time.Since(start)}, nil
	}
	if err := ex.run(ctx); err != nil {
		ex.close()
		return nil, err
	}
	res, err := ex.finish(start)
	if err != nil {
		ex.close()
	}
	return res, err
}

// execution holds the state of one Run between planning and the manifests.
type execution struct {
	o    *Options
	plan *Plan
	// jobs are the jobs this process still has to run: its shard, minus the prefix a
	// resumed run found done.
	jobs []*Job
	// shardJobs are all jobs of this process's shard (all jobs when not sharded).
	shardJobs []*Job
	spec      *jobSpec
	// writers[si] owns shift si's dataset folder; nil when a previous run finished it
	// (finished[si]), which is then left untouched.
	writers  []*manifests.Writer
	finished []bool
	stats    []*shiftStats
	// resumed counts images found done.
	resumed int
	done    int
	// complete is set when --resume finds every dataset already finished.
	complete bool
	// shared[si] maps the folders of shift si stored in another dataset's containers to
	// that dataset's folder ("../vflip"); owner[si][fi] is that dataset's shift (-1:
	// none). See planShares.
	shared []map[string]string
	owner  [][]int
}

type shiftStats struct {
	counts  []manifests.Count
	skipped []manifests.Skip
}

func newExecution(o *Options, plan *Plan) (*execution, error) {
	ex := &execution{o: o, plan: plan}
	ex.planShares()
	lo, hi := o.Shard.bounds(len(plan.Jobs))
	for i := lo; i < hi; i++ {
		ex.shardJobs = append(ex.shardJobs, &plan.Jobs[i])
	}
	spec, err := newJobSpec(o, plan)
	if err != nil {
		return nil, err
	}
	ex.spec = spec
	if err := ex.open(); err != nil {
		return nil, err
	}
	if ex.complete {
		return ex, nil
	}
	for _, ps := range plan.Shifts {
		st := &shiftStats{}
		for _, folder := range ps.Folders() {
			dist, split, _ := strings.Cut(folder, "/")
			st.counts = append(st.counts, manifests.Count{
				Distribution: dist, Split: split,
				PerClass: make([]int, len(plan.Dataset.Classes)),
				Rates:    ps.Rates[folder],
			})
		}
		for _, sk := range plan.Dataset.Skipped {
			st.skipped = append(st.skipped, manifests.Skip{Split: sk.Split, Source: splitRel(plan.Dataset, sk.Split, sk.Path), Reason: sk.Reason})
		}
		ex.stats = append(ex.stats, st)
	}
	start, err := ex.restore()
	if err == nil {
		for si, w := range ex.writers {
			if w == nil {
				continue
			}
			if err = w.Begin(); err != nil {
				break
			}
			if err = ex.makeFolders(si); err != nil {
				break
			}
		}
	}
	if err != nil {
		ex.close()
		return nil, err
	}
	ex.jobs = ex.shardJobs[start:]
	return ex, nil
}

// makeFolders creates every output folder of shift si up front: one per class in every
// output split (so label indices never move) and the nested folders sources live in.
// Workers never create folders, so an output folder removed mid-run is an error. A
// folder that already exists (a resumed run) must be a real folder where the dataset
// folder says: a symbolic link could lead the images anywhere. Parents come before
// their children, so each folder costs one mkdir, or one mkdir and one lstat when it
// exists.
func (ex *execution) makeFolders(si int) error {
	ps := ex.plan.Shifts[si]
	dirs := map[string]bool{}
	add := func(d string) {
		for d != "" && !dirs[d] {
			dirs[d] = true
			d = pathDir(d)
		}
	}
	for _, fp := range ps.folders {
		switch ex.o.Output {
		case FFCVOutput:
			// The folder of <distribution>/<split>.beton.
			if ex.shared[si][string(fp.dist)+"/"+fp.split] == "" {
				dirs[string(fp.dist)] = true
			}
			continue
		case WebDatasetOutput:
			continue // shards sit in the dataset folder itself
		}
		for _, c := range ex.plan.Dataset.Classes {
			add(fp.prefix + c)
		}
		sp := ex.plan.Dataset.Split(fp.split)
		for _, src := range sp.Sources {
			if d := pathDir(src.Path); d != "" {
				add(fp.prefix + d)
			}
		}
	}
	sorted := make([]string, 0, len(dirs))
	for d := range dirs {
		sorted = append(sorted, d)
	}
	sort.Strings(sorted) // a parent is a prefix of its children: it sorts first
	base := ex.writers[si].Dir()
	for _, d := range sorted {
		p := filepath.Join(base, filepath.FromSlash(d))
		err := os.Mkdir(p, 0o755)
		if err == nil {
			continue
		}
		if !errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("output %s: %w", p, err)
		}
		if fi, err := os.Lstat(p); err != nil || !fi.IsDir() {
			if err == nil && fi.Mode()&fs.ModeSymlink == 0 {
				return fmt.Errorf("output %s exists and is not a folder; remove it, or rerun with --force", p)
			}
			return fmt.Errorf("output %s is (or lies below) a symbolic link; a dataset folder must hold real folders: remove the link, or rerun with --force", p)
		}
	}
	return nil
}

func pathDir(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[:i]
	}
	return ""
}

// splitRel returns a split-relative path relative to the dataset root.
func splitRel(ds *Dataset, split, p string) string {
	if sp := ds.Split(split); sp != nil && sp.Rel != "" {
		return sp.Rel + "/" + p
	}
	return p
}

// close ends every writer of a stopped run: their journals are flushed and closed, so
// that --resume continues from everything recorded, and their locks released.
func (ex *execution) close() {
	for _, w := range ex.writers {
		if w != nil {
			w.Close()
		}
	}
}

// run executes the jobs on the ordered pool: o.Workers workers process them, and this
// goroutine records their results in plan order (for determinism: records are written
// by input index, never by arrival).
func (ex *execution) run(ctx context.Context) error {
	err := ordered(ctx, len(ex.jobs), ex.o.Workers,
		func(i int) (jobResult, error) { return ex.process(ex.jobs[i]) },
		func(i int, r jobResult) error { return ex.emit(ex.jobs[i], r) })
	if ctx.Err() != nil {
		return fmt.Errorf("stopped before the end (rerun with --resume to continue): %w", ctx.Err())
	}
	return err
}

// process decodes, preprocesses, transforms, encodes and writes every output of one job.
// Input problems make a skip; output problems are returned as errors.
func (ex *execution) process(j *Job) (jobResult, error) {
	outs := ex.outputs(j)
	r := jobResult{nOuts: len(outs)}
	if len(outs) == 0 {
		return r, nil
	}
	// first is the file of this job's first untransformed image (folder output): the
	// later untransformed images hold the same bytes and become hard links to it. It is
	// the first in plan order, whatever the worker count.
	first := ""
	var err error
	r.skip, err = ex.render(j, outs, func(out Output, data []byte, w, h int) error {
		ps := ex.plan.Shifts[out.Shift]
		fi := ex.folderIndex(ps, out.Distribution, j.Split)
		rec := ex.record(j, out, w, h)
		wr := ex.writers[out.Shift]
		img := manifests.Image{Name: out.Path, Data: data, Record: rec}
		if ex.o.Output == FolderOutput && !ex.o.NoDedup && out.Sample.Transform == nil {
			if first == "" {
				first = filepath.Join(wr.Dir(), filepath.FromSlash(out.Path))
			} else {
				img.Same = first
			}
		}
		st, err := wr.Put(fi, img)
		if err != nil {
			return err
		}
		r.outs = append(r.outs, written{out: out, fi: fi, rec: rec, image: st})
		return nil
	})
	return r, err
}

// render is the per-image path: it reads and decodes job j's source, preprocesses it,
// applies each output's transform and encodes it, handing every encoded image to put in
// outs' order (the bytes are valid only during the call). An input problem returns the
// reason to skip the input; an output problem (encoding, put) an error.
func (ex *execution) render(j *Job, outs []Output, put func(out Output, data []byte, w, h int) error) (skip string, err error) {
	// Every buffer of this image (file, pixels, encodings) comes from a Scratch reused
	// from image to image; nothing it holds outlives this call.
	sc := imageio.GetScratch()
	defer imageio.PutScratch(sc)
	data, err := sc.ReadFile(j.Abs, ex.o.MaxFileBytes)
	if err != nil {
		return "cannot read: " + errText(err), nil
	}
	var pre *image.RGBA
	if ex.ffcvTrain(j.Split) {
		// As FFCV's RGBImageField(max_resolution=256) stores a train image of the
		// paper's write_imagenet_ffcv.py: the full decode, shrunk with OpenCV's INTER_AREA.
		img, _, err := sc.Decode(ex.o.Codec, data, imageio.Hint{}, ex.o.MaxPixels)
		if err != nil {
			return err.Error(), nil
		}
		if pre, err = imageio.FFCVResize(img, ffcvMaxResolution); err != nil {
			return err.Error(), nil
		}
	} else if pre, err = sc.DecodePreprocess(ex.o.Codec, data, ex.o.Preprocess, j.Split, ex.o.MaxPixels); err != nil {
		return err.Error(), nil
	}
	// Outputs without a transform share one encoding of the preprocessed image, made
	// before any transform may reuse pre's pixels.
	var plain []byte
	lastT := -1
	for i, out := range outs {
		if out.Sample.Transform == nil && plain == nil {
			if plain, err = ex.encode(sc, pre); err != nil {
				return "", fmt.Errorf("encode %s: %w", j.Source.Path, err)
			}
		}
		if out.Sample.Transform != nil {
			lastT = i
		}
	}
	key := shifts.PixelKey(ex.o.Seed, shifts.Item{Split: j.Split, Index: j.Source.Index, Label: j.Source.Label})
	for i, out := range outs {
		data, dst := plain, pre
		if t := out.Sample.Transform; t != nil {
			src := pre
			if i != lastT {
				src = sc.Clone(pre)
			}
			dst = t.Apply(src, key)
			if data, err = ex.encode(sc, dst); err != nil {
				return "", fmt.Errorf("encode %s for %s: %w", j.Source.Path, ex.plan.Shifts[out.Shift].Spec, err)
			}
		}
		if err := put(out, data, dst.Rect.Dx(), dst.Rect.Dy()); err != nil {
			return "", err
		}
	}
	return "", nil
}

// encode is what the output stores of an image: its pixels (FFCV raw) or its encoding.
func (ex *execution) encode(sc *imageio.Scratch, img *image.RGBA) ([]byte, error) {
	if ex.o.Output == FFCVOutput && ex.o.FFCVImage == FFCVRaw {
		return sc.RGB(img), nil
	}
	return sc.Encode(ex.o.Codec, img, ex.o.Format, ex.o.Quality)
}

// ffcvTrain reports whether images of split are stored as FFCV's max_resolution=256
// resizer stores them: train images of the paper's preprocessing, in FFCV output.
func (ex *execution) ffcvTrain(split string) bool {
	return ex.o.Output == FFCVOutput && ex.o.Preprocess == imageio.PaperPreprocess && split == "train"
}

// emit records one job's outputs, in plan order: each image is committed and its record
// appended to its folder's stream.
func (ex *execution) emit(j *Job, r jobResult) error {
	if r.skip != "" {
		if err := ex.recordSkip(j, r.skip); err != nil {
			return err
		}
		ex.done += r.nOuts
	}
	for _, w := range r.outs {
		if err := ex.writers[w.out.Shift].Add(w.fi, w.rec, &w.image); err != nil {
			return err
		}
		if w.image.Shared == manifests.SharedReferenced {
			if err := ex.checkShared(w, r.outs); err != nil {
				return err
			}
		}
		ex.count(w.out, w.fi, j.Source.Label)
		ex.done++
	}
	if ex.o.Progress != nil {
		ex.o.Progress(ex.done, ex.plan.Total)
	}
	return nil
}

// checkShared makes sure an image stored in another dataset's container is the one
// there: the owner's output of the same job (when this run writes it) must have the
// same bytes and position and, for WebDataset, the same .json. A shift whose Untouched
// disagrees with its Sample fails here rather than writing wrong records.
func (ex *execution) checkShared(w written, outs []written) error {
	owner := ex.owner[w.out.Shift][w.fi]
	fail := func(why string) error {
		return fmt.Errorf("internal error: %s shares %s of %s, but %s", ex.plan.Shifts[w.out.Shift].Spec, w.rec.Path, ex.plan.Shifts[max(owner, 0)].Spec, why)
	}
	if owner < 0 || w.out.Sample.Transform != nil {
		return fail("its image is transformed")
	}
	for _, o := range outs {
		// The owner's output of the same folder (the job fixes the split).
		if o.out.Shift != owner || o.out.Distribution != w.out.Distribution {
			continue
		}
		if o.rec.In == nil || w.rec.In == nil || o.rec.In.Sample != w.rec.In.Sample || o.rec.SHA256 != w.rec.SHA256 || o.rec.Label != w.rec.Label || o.rec.Width != w.rec.Width || o.rec.Height != w.rec.Height {
			return fail("the images differ")
		}
		if ex.o.Output == WebDatasetOutput {
			a, err1 := o.rec.MarshalContent()
			b, err2 := w.rec.MarshalContent()
			if err1 != nil || err2 != nil || string(a) != string(b) {
				return fail("the records' .json differ")
			}
		}
	}
	return nil
}

// outputs are job j's outputs in the datasets this run writes (those a previous run
// finished are left out).
func (ex *execution) outputs(j *Job) []Output {
	outs := ex.plan.Outputs(j)
	if ex.finished == nil {
		return outs
	}
	live := outs[:0]
	for _, o := range outs {
		if !ex.finished[o.Shift] {
			live = append(live, o)
		}
	}
	return live
}

// record builds the record of one output (its path, size and sha256 are set where the
// image is committed).
func (ex *execution) record(j *Job, out Output, w, h int) *manifests.Record {
	return &manifests.Record{
		Distribution: string(out.Distribution), Split: j.Split, Index: j.Source.Index,
		Label: j.Source.Label, Class: ex.plan.Dataset.Classes[j.Source.Label],
		Source: splitRel(ex.plan.Dataset, j.Split, j.Source.Path), Path: out.Path,
		Width: w, Height: h, Fields: out.Sample.Fields,
	}
}

// count adds one output to its folder's counts.
func (ex *execution) count(out Output, fi, label int) {
	c := &ex.stats[out.Shift].counts[fi]
	c.Images++
	c.PerClass[label]++
	for _, t := range out.Sample.Tally {
		if c.Stats == nil {
			c.Stats = map[string]int{}
		}
		c.Stats[t]++
	}
}

// recordSkip adds a skipped input to every shift that planned outputs for it, and to
// their journals.
func (ex *execution) recordSkip(j *Job, reason string) error {
	marked := map[int]bool{}
	src := splitRel(ex.plan.Dataset, j.Split, j.Source.Path)
	for _, out := range ex.outputs(j) {
		if marked[out.Shift] {
			continue
		}
		marked[out.Shift] = true
		sk := manifests.Skip{Split: j.Split, Source: src, Reason: reason}
		st := ex.stats[out.Shift]
		st.skipped = append(st.skipped, sk)
		if err := ex.writers[out.Shift].Skip(j.Seq, sk); err != nil {
			return err
		}
	}
	return nil
}

func (ex *execution) folderIndex(ps *PlannedShift, d shifts.Distribution, split string) int {
	for i, fp := range ps.folders {
		if fp.dist == d && fp.split == split {
			return i
		}
	}
	panic("pipeline: output for a folder the plan does not have")
}
