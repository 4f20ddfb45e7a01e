package pipeline

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/shiftgen/shiftgen/pipeline/imageio"

	"golang.org/x/sync/errgroup"

	"github.com/shiftgen/shiftgen/manifests"
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
	// Skipped is the number of distinct inputs the datasets list as skipped (unreadable,
	// corrupt or too large files, links not followed, entries at class level), those
	// of datasets a resumed run found finished included.
	Skipped int
	// Codec names the codec that ran.
	Codec string
	// Elapsed is the wall time of the run.
	Elapsed time.Duration
	// Shard is set when the run wrote one shard; datasets are complete only after merge.
	Shard Shard
	// AlreadyComplete is true when --resume found every dataset already finished.
	AlreadyComplete bool
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

// written is one output file a worker wrote.
type written struct {
	out    Output
	w, h   int
	size   int64
	sha256 string
}

// jobResult is a worker's outcome for one job.
type jobResult struct {
	seq    int
	outs   []written
	skip   string // non-empty: the input was skipped for this reason
	nOuts  int
	source Source
	split  string
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
	env := shifts.Env{Seed: o.Seed, Classes: len(ds.Classes), TintTableSize: o.TintTableSize, FrostTextures: o.FrostTextures,
		LoadImage: func(p string) (*image.RGBA, error) { return imageio.Load(p, o.MaxFileBytes, o.MaxPixels) }}
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
		for _, d := range ex.dirs {
			if err := skips.addFrom(d); err != nil {
				return nil, err
			}
		}
		return &Result{AlreadyComplete: true, Skipped: len(skips), Codec: o.Codec.Name(), Elapsed: time.Since(start)}, nil
	}
	if err := ex.run(ctx); err != nil {
		ex.close()
		return nil, err
	}
	return ex.finish(start)
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
	dirs      []string // absolute shift folders
	works     []string // their work folders
	parts     [][]*partFile
	skipLogs  []*journal
	stats     []*shiftStats
	// resumed counts images found done.
	resumed   int
	done      int
	lastFlush time.Time
	// complete is set when --resume finds every dataset already finished; finished[si]
	// when only shift si's dataset is (it is then left untouched).
	complete bool
	finished []bool
}

type shiftStats struct {
	counts  []manifests.Count
	skipped []manifests.Skip
}

// partFile collects one folder's records in order before they are joined into
// records.jsonl; it doubles as the resume journal.
type partFile struct {
	path string
	f    *os.File
	w    *manifests.RecordWriter
}

// journal is an append-only JSON-lines file (the skipped inputs of a run).
type journal struct {
	f *os.File
	w *bufio.Writer
}

// skipEntry is one line of the skipped-inputs journal.
type skipEntry struct {
	Seq    int            `json:"seq"`
	Split  string         `json:"split"`
	Source manifests.Name `json:"source"`
	Reason string         `json:"reason"`
}

func newExecution(o *Options, plan *Plan) (*execution, error) {
	ex := &execution{o: o, plan: plan, lastFlush: time.Now()}
	lo, hi := o.Shard.bounds(len(plan.Jobs))
	for i := lo; i < hi; i++ {
		ex.shardJobs = append(ex.shardJobs, &plan.Jobs[i])
	}
	spec, err := newJobSpec(o, plan)
	if err != nil {
		return nil, err
	}
	ex.spec = spec
	state, err := ex.prepare()
	if err != nil {
		return nil, err
	}
	if state == stateComplete {
		ex.complete = true
		return ex, nil
	}
	for si, ps := range plan.Shifts {
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
		if ex.finished[si] {
			continue
		}
		if err := ex.makeFolders(si); err != nil {
			return nil, err
		}
	}
	start := 0
	if state == stateResume {
		if start, err = ex.restore(); err != nil {
			return nil, err
		}
	}
	if err := ex.openJournals(); err != nil {
		return nil, err
	}
	ex.jobs = ex.shardJobs[start:]
	return ex, nil
}

// makeFolders creates every output folder of shift si up front: one per class in every
// output split (so label indices never move) and the nested folders sources live in.
// Workers never create folders, so an output folder removed mid-run is an error.
func (ex *execution) makeFolders(si int) error {
	ps := ex.plan.Shifts[si]
	dirs := map[string]bool{}
	for _, fp := range ps.folders {
		for _, c := range ex.plan.Dataset.Classes {
			dirs[fp.prefix+c] = true
		}
		sp := ex.plan.Dataset.Split(fp.split)
		for _, src := range sp.Sources {
			if d := pathDir(src.Path); d != "" {
				dirs[fp.prefix+d] = true
			}
		}
	}
	for d := range dirs {
		p := filepath.Join(ex.dirs[si], filepath.FromSlash(d))
		if err := os.MkdirAll(p, 0o755); err != nil {
			return fmt.Errorf("output %s: %w", p, err)
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

// openJournals opens (or, on resume, reopens for appending) the part files and the
// skipped-inputs journal of every shift.
func (ex *execution) openJournals() error {
	for si, ps := range ex.plan.Shifts {
		if ex.finished[si] {
			ex.parts = append(ex.parts, nil)
			ex.skipLogs = append(ex.skipLogs, nil)
			continue
		}
		var parts []*partFile
		for i := range ps.folders {
			pf := &partFile{path: filepath.Join(ex.works[si], fmt.Sprintf("records-%d.jsonl", i))}
			f, err := os.OpenFile(pf.path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
			if err != nil {
				return fmt.Errorf("output %s: %w", pf.path, err)
			}
			pf.f, pf.w = f, manifests.NewRecordWriter(f)
			parts = append(parts, pf)
		}
		ex.parts = append(ex.parts, parts)
		p := filepath.Join(ex.works[si], "skipped.jsonl")
		f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return fmt.Errorf("output %s: %w", p, err)
		}
		ex.skipLogs = append(ex.skipLogs, &journal{f: f, w: bufio.NewWriter(f)})
	}
	return nil
}

// splitRel returns a split-relative path relative to the dataset root.
func splitRel(ds *Dataset, split, p string) string {
	if sp := ds.Split(split); sp != nil && sp.Rel != "" {
		return sp.Rel + "/" + p
	}
	return p
}

// close flushes and closes the journals of a stopped run, so that --resume continues
// from everything recorded.
func (ex *execution) close() {
	ex.flush()
	for _, parts := range ex.parts {
		for _, pf := range parts {
			pf.f.Close()
		}
	}
	for _, j := range ex.skipLogs {
		if j != nil {
			j.f.Close()
		}
	}
}

// flush writes buffered journal lines to their files.
func (ex *execution) flush() error {
	for _, parts := range ex.parts {
		for _, pf := range parts {
			if err := pf.w.Flush(); err != nil {
				return fmt.Errorf("output %s: %w", pf.path, err)
			}
		}
	}
	for _, j := range ex.skipLogs {
		if j == nil {
			continue
		}
		if err := j.w.Flush(); err != nil {
			return fmt.Errorf("output %s: %w", j.f.Name(), err)
		}
	}
	return nil
}

// run executes the jobs: one feeder, o.Workers workers, and this goroutine joining
// results in plan order (for determinism: records are written by input index, never by
// arrival). At most window jobs are in flight, so memory is bounded by the worker
// count, not the dataset size.
func (ex *execution) run(ctx context.Context) error {
	g, gctx := errgroup.WithContext(ctx)
	type item struct {
		pos int
		job *Job
	}
	jobs := make(chan item)
	results := make(chan jobResult)
	window := 4 * ex.o.Workers
	tokens := make(chan struct{}, window)
	g.Go(func() error {
		defer close(jobs)
		for i, j := range ex.jobs {
			select {
			case tokens <- struct{}{}:
			case <-gctx.Done():
				return gctx.Err()
			}
			select {
			case jobs <- item{i, j}:
			case <-gctx.Done():
				return gctx.Err()
			}
		}
		return nil
	})
	wg, wctx := errgroup.WithContext(gctx)
	for w := 0; w < ex.o.Workers; w++ {
		wg.Go(func() error {
			for it := range jobs {
				if err := wctx.Err(); err != nil {
					return err
				}
				r, err := ex.process(it.job)
				if err != nil {
					return err
				}
				r.seq = it.pos
				select {
				case results <- r:
				case <-wctx.Done():
					return wctx.Err()
				}
			}
			return nil
		})
	}
	g.Go(func() error {
		err := wg.Wait()
		close(results)
		return err
	})
	g.Go(func() error {
		pending := map[int]jobResult{}
		next := 0
		for r := range results {
			pending[r.seq] = r
			for {
				pr, ok := pending[next]
				if !ok {
					break
				}
				delete(pending, next)
				if err := ex.emit(ex.jobs[next], pr); err != nil {
					return err
				}
				next++
				<-tokens
			}
		}
		if next != len(ex.jobs) && gctx.Err() == nil {
			return fmt.Errorf("internal error: %d of %d jobs finished", next, len(ex.jobs))
		}
		return nil
	})
	err := g.Wait()
	if ctx.Err() != nil {
		return fmt.Errorf("stopped before the end (rerun with --resume to continue): %w", ctx.Err())
	}
	return err // errgroup's Wait is nil when only the parent was cancelled: checked above
}

// process decodes, preprocesses, transforms, encodes and writes every output of one job.
// Input problems make a skip; output problems are returned as errors.
func (ex *execution) process(j *Job) (jobResult, error) {
	outs := ex.outputs(j)
	r := jobResult{seq: j.Seq, nOuts: len(outs), source: j.Source, split: j.Split}
	if len(outs) == 0 {
		return r, nil
	}
	// Every buffer of this image (file, pixels, encodings) comes from a Scratch reused
	// from image to image; nothing it holds outlives this call.
	sc := imageio.GetScratch()
	defer imageio.PutScratch(sc)
	data, err := sc.ReadFile(j.Abs, ex.o.MaxFileBytes)
	if err != nil {
		r.skip = "cannot read: " + errText(err)
		return r, nil
	}
	img, full, err := sc.Decode(ex.o.Codec, data, ex.hint(j.Split), ex.o.MaxPixels)
	if err != nil {
		r.skip = err.Error()
		return r, nil
	}
	pre := sc.Preprocess(ex.o.Preprocess, j.Split, img, full)
	// Outputs without a transform share one encoding of the preprocessed image, made
	// before any transform may reuse pre's pixels.
	var plain []byte
	lastT := -1
	for i, out := range outs {
		if out.Sample.Transform == nil && plain == nil {
			if plain, err = sc.Encode(ex.o.Codec, pre, ex.o.Format, ex.o.Quality); err != nil {
				return r, fmt.Errorf("encode %s: %w", j.Source.Path, err)
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
			if data, err = sc.Encode(ex.o.Codec, dst, ex.o.Format, ex.o.Quality); err != nil {
				return r, fmt.Errorf("encode %s for %s: %w", j.Source.Path, ex.plan.Shifts[out.Shift].Spec, err)
			}
		}
		path := filepath.Join(ex.dirs[out.Shift], filepath.FromSlash(out.Path))
		sum, err := writeAtomic(path, data)
		if err != nil {
			return r, err
		}
		r.outs = append(r.outs, written{out: out, w: dst.Rect.Dx(), h: dst.Rect.Dy(), size: int64(len(data)), sha256: sum})
	}
	return r, nil
}

// hint is the smallest decoded size preprocessing needs for split.
func (ex *execution) hint(split string) imageio.Hint {
	switch ex.o.Preprocess {
	case imageio.PaperPreprocess:
		if split == "train" {
			return imageio.Hint{Long: 256}
		}
		return imageio.Hint{Short: 256}
	case imageio.ImageNetCPreprocess:
		return imageio.Hint{Short: 256}
	}
	return imageio.Hint{}
}

func cloneRGBA(img *image.RGBA) *image.RGBA {
	c := *img
	c.Pix = append([]uint8(nil), img.Pix...)
	return &c
}

// writeAtomic writes data to path via a temporary file and a rename, returning the
// data's SHA-256 (computed from the same bytes in memory, not read back).
func writeAtomic(path string, data []byte) (string, error) {
	sum := sha256.Sum256(data)
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return "", fmt.Errorf("output %s: %w", path, err)
	}
	tmp := f.Name()
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		os.Remove(tmp)
		return "", fmt.Errorf("output %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(tmp)
		return "", fmt.Errorf("output %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("output %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("output %s: %w", path, err)
	}
	return hex.EncodeToString(sum[:]), nil
}

// emit records one job's outputs, in plan order. Journals are flushed every second, so
// an interrupted run loses at most that much recorded work.
func (ex *execution) emit(j *Job, r jobResult) error {
	if r.skip != "" {
		ex.recordSkip(j, r.skip, true)
		ex.done += r.nOuts
	}
	for _, w := range r.outs {
		rec := ex.record(j, w.out, w.w, w.h, w.size, w.sha256)
		fi := ex.folderIndex(ex.plan.Shifts[w.out.Shift], w.out.Distribution, j.Split)
		if err := ex.parts[w.out.Shift][fi].w.Write(rec); err != nil {
			return fmt.Errorf("output %s: %w", ex.parts[w.out.Shift][fi].path, err)
		}
		ex.count(w.out, fi, j.Source.Label)
		ex.done++
	}
	if time.Since(ex.lastFlush) > time.Second {
		if err := ex.flush(); err != nil {
			return err
		}
		ex.lastFlush = time.Now()
	}
	if ex.o.Progress != nil {
		ex.o.Progress(ex.done, ex.plan.Total)
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

// record builds the record of one written output.
func (ex *execution) record(j *Job, out Output, w, h int, size int64, sum string) *manifests.Record {
	return &manifests.Record{
		Distribution: string(out.Distribution), Split: j.Split, Index: j.Source.Index,
		Label: j.Source.Label, Class: ex.plan.Dataset.Classes[j.Source.Label],
		Source: splitRel(ex.plan.Dataset, j.Split, j.Source.Path), Path: out.Path,
		Width: w, Height: h, Size: size, SHA256: sum, Fields: out.Sample.Fields,
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
// their journals when journal is set.
func (ex *execution) recordSkip(j *Job, reason string, journal bool) {
	marked := map[int]bool{}
	src := splitRel(ex.plan.Dataset, j.Split, j.Source.Path)
	for _, out := range ex.outputs(j) {
		if marked[out.Shift] {
			continue
		}
		marked[out.Shift] = true
		st := ex.stats[out.Shift]
		st.skipped = append(st.skipped, manifests.Skip{Split: j.Split, Source: src, Reason: reason})
		if journal {
			b, _ := json.Marshal(skipEntry{Seq: j.Seq, Split: j.Split, Source: manifests.Name(src), Reason: reason})
			ex.skipLogs[out.Shift].w.Write(append(b, '\n'))
		}
	}
}

func (ex *execution) folderIndex(ps *PlannedShift, d shifts.Distribution, split string) int {
	for i, fp := range ps.folders {
		if fp.dist == d && fp.split == split {
			return i
		}
	}
	panic("pipeline: output for a folder the plan does not have")
}

// errVanished explains an output folder removed while the run was writing it.
func errVanished(path string) error {
	return fmt.Errorf("output %s was removed or replaced during the run; restore the output folder (or free the disk) and rerun with --resume", path)
}
