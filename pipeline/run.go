package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/shiftgen/shiftgen/manifests"
	"github.com/shiftgen/shiftgen/shifts"
)

// Result summarises a finished Run.
type Result struct {
	// Datasets has one entry per shift, in the order given.
	Datasets []DatasetResult
	// Images is the number of images written over all shifts.
	Images int
	// Skipped is the number of distinct inputs skipped (unreadable, corrupt, too large).
	Skipped int
	// Codec names the codec that ran.
	Codec string
	// Elapsed is the wall time of the run.
	Elapsed time.Duration
}

// DatasetResult describes one written dataset.
type DatasetResult struct {
	Spec     string
	Dir      string
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
func Run(ctx context.Context, o Options) (*Result, error) {
	start := time.Now()
	if err := o.validate(); err != nil {
		return nil, err
	}
	ds, err := Scan(o.In, ScanOptions{FollowSymlinks: o.FollowSymlinks})
	if err != nil {
		return nil, err
	}
	var specs []string
	for _, s := range o.Shifts {
		specs = append(specs, shifts.Expand(s)...)
	}
	env := shifts.Env{Seed: o.Seed, Classes: len(ds.Classes), TintTableSize: o.TintTableSize, FrostTextures: o.FrostTextures}
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
	if err := ex.run(ctx); err != nil {
		ex.abort()
		return nil, err
	}
	res, err := ex.finish(start)
	if err != nil {
		return nil, err
	}
	return res, nil
}

// execution holds the state of one Run between planning and the manifests.
type execution struct {
	o     *Options
	plan  *Plan
	dirs  []string // absolute shift folders
	parts [][]*partFile
	stats []*shiftStats
	// skippedJobs counts distinct skipped inputs.
	skippedJobs int
	done        int
}

type shiftStats struct {
	counts  []manifests.Count
	skipped []manifests.Skip
}

// partFile collects one folder's records in order before they are joined into
// records.jsonl.
type partFile struct {
	path string
	f    *os.File
	w    *manifests.RecordWriter
}

func newExecution(o *Options, plan *Plan) (*execution, error) {
	ex := &execution{o: o, plan: plan}
	for _, ps := range plan.Shifts {
		dir := filepath.Join(o.Out, filepath.FromSlash(ps.Dir))
		if err := prepareDir(dir, o.Force); err != nil {
			return nil, err
		}
		ex.dirs = append(ex.dirs, dir)
		st := &shiftStats{}
		var parts []*partFile
		for i, folder := range ps.Folders() {
			fp := ps.folders[i]
			for _, c := range plan.Dataset.Classes {
				cdir := filepath.Join(dir, filepath.FromSlash(fp.prefix), c)
				if err := os.MkdirAll(cdir, 0o755); err != nil {
					return nil, fmt.Errorf("output %s: %w", cdir, err)
				}
			}
			pf := &partFile{path: filepath.Join(dir, fmt.Sprintf(".records-%d.part", i))}
			f, err := os.Create(pf.path)
			if err != nil {
				return nil, fmt.Errorf("output %s: %w", pf.path, err)
			}
			pf.f, pf.w = f, manifests.NewRecordWriter(f)
			parts = append(parts, pf)
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
		ex.parts = append(ex.parts, parts)
		ex.stats = append(ex.stats, st)
	}
	return ex, nil
}

// splitRel returns a split-relative path relative to the dataset root.
func splitRel(ds *Dataset, split, p string) string {
	if sp := ds.Split(split); sp != nil && sp.Rel != "" {
		return sp.Rel + "/" + p
	}
	return p
}

// abort removes the part files of a failed run.
func (ex *execution) abort() {
	for _, parts := range ex.parts {
		for _, pf := range parts {
			pf.f.Close()
			os.Remove(pf.path)
		}
	}
}

// run executes the plan: one feeder, o.Workers workers, and this goroutine joining
// results in plan order (for determinism: records are written by input index, never by
// arrival). At most window jobs are in flight, so memory is bounded by the worker
// count, not the dataset size.
func (ex *execution) run(ctx context.Context) error {
	g, gctx := errgroup.WithContext(ctx)
	jobs := make(chan *Job)
	results := make(chan jobResult)
	window := 4 * ex.o.Workers
	tokens := make(chan struct{}, window)
	g.Go(func() error {
		defer close(jobs)
		for i := range ex.plan.Jobs {
			select {
			case tokens <- struct{}{}:
			case <-gctx.Done():
				return gctx.Err()
			}
			select {
			case jobs <- &ex.plan.Jobs[i]:
			case <-gctx.Done():
				return gctx.Err()
			}
		}
		return nil
	})
	workersDone := make(chan struct{})
	wg, wctx := errgroup.WithContext(gctx)
	for w := 0; w < ex.o.Workers; w++ {
		wg.Go(func() error {
			for j := range jobs {
				if err := wctx.Err(); err != nil {
					return err
				}
				r, err := ex.process(j)
				if err != nil {
					return err
				}
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
		close(workersDone)
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
				if err := ex.emit(pr); err != nil {
					return err
				}
				next++
				<-tokens
			}
		}
		if next != len(ex.plan.Jobs) && gctx.Err() == nil {
			return fmt.Errorf("internal error: %d of %d jobs finished", next, len(ex.plan.Jobs))
		}
		return nil
	})
	err := g.Wait()
	<-workersDone
	if err == nil {
		err = ctx.Err() // errgroup's Wait is nil when only the parent was cancelled
	}
	if ctx.Err() != nil {
		return fmt.Errorf("stopped before the end: %w", ctx.Err())
	}
	return err
}

// process decodes, preprocesses, transforms, encodes and writes every output of one job.
// Input problems make a skip; output problems are returned as errors.
func (ex *execution) process(j *Job) (jobResult, error) {
	outs := ex.plan.Outputs(j)
	r := jobResult{seq: j.Seq, nOuts: len(outs), source: j.Source, split: j.Split}
	data, err := os.ReadFile(j.Abs)
	if err != nil {
		r.skip = "cannot read: " + errText(err)
		return r, nil
	}
	img, err := ex.o.Codec.Decode(data, ex.hint(j.Split), ex.o.MaxPixels)
	if err != nil {
		r.skip = err.Error()
		return r, nil
	}
	pre := ex.o.Preprocess.Apply(j.Split, img)
	// Outputs without a transform share one encoding of the preprocessed image, made
	// before any transform may reuse pre's pixels.
	var plain []byte
	lastT := -1
	for i, out := range outs {
		if out.Sample.Transform == nil && plain == nil {
			if plain, err = ex.o.Codec.Encode(pre, ex.o.Format, ex.o.Quality); err != nil {
				return r, fmt.Errorf("encode %s: %w", j.Source.Path, err)
			}
		}
		if out.Sample.Transform != nil {
			lastT = i
		}
	}
	key := shifts.Key{Purpose: "pixels", Seed: ex.o.Seed, Split: j.Split, Index: j.Source.Index}
	for i, out := range outs {
		data, dst := plain, pre
		if t := out.Sample.Transform; t != nil {
			src := pre
			if i != lastT {
				src = cloneRGBA(pre)
			}
			dst = t.Apply(src, key)
			if data, err = ex.o.Codec.Encode(dst, ex.o.Format, ex.o.Quality); err != nil {
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
func (ex *execution) hint(split string) Hint {
	switch ex.o.Preprocess {
	case PaperPreprocess:
		if split == "train" {
			return Hint{Long: 256}
		}
		return Hint{Short: 256}
	case ImageNetCPreprocess:
		return Hint{Short: 256}
	}
	return Hint{}
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
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("output %s: %w", dir, err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return "", fmt.Errorf("output %s: %w", path, err)
	}
	tmp := f.Name()
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

// emit records one job's outputs, in plan order.
func (ex *execution) emit(r jobResult) error {
	if r.skip != "" {
		ex.skippedJobs++
		marked := map[int]bool{}
		for _, out := range ex.plan.Outputs(&ex.plan.Jobs[r.seq]) {
			if marked[out.Shift] {
				continue
			}
			marked[out.Shift] = true
			st := ex.stats[out.Shift]
			st.skipped = append(st.skipped, manifests.Skip{Split: r.split, Source: splitRel(ex.plan.Dataset, r.split, r.source.Path), Reason: r.skip})
		}
		ex.done += r.nOuts
	}
	for _, w := range r.outs {
		ps := ex.plan.Shifts[w.out.Shift]
		fi := ex.folderIndex(ps, w.out.Distribution, r.split)
		rec := &manifests.Record{
			Distribution: string(w.out.Distribution), Split: r.split, Index: r.source.Index,
			Label: r.source.Label, Class: ex.plan.Dataset.Classes[r.source.Label],
			Source: splitRel(ex.plan.Dataset, r.split, r.source.Path), Path: w.out.Path,
			Width: w.w, Height: w.h, Size: w.size, SHA256: w.sha256, Fields: w.out.Sample.Fields,
		}
		if err := ex.parts[w.out.Shift][fi].w.Write(rec); err != nil {
			return err
		}
		c := &ex.stats[w.out.Shift].counts[fi]
		c.Images++
		c.PerClass[r.source.Label]++
		for _, t := range w.out.Sample.Tally {
			if c.Stats == nil {
				c.Stats = map[string]int{}
			}
			c.Stats[t]++
		}
		ex.done++
	}
	if ex.o.Progress != nil {
		ex.o.Progress(ex.done, ex.plan.Total)
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

// finish joins each shift's part files into records.jsonl and writes manifest.json and
// run.json.
func (ex *execution) finish(start time.Time) (*Result, error) {
	res := &Result{Codec: ex.o.Codec.Name(), Skipped: ex.skippedJobs}
	for si, ps := range ex.plan.Shifts {
		dir := ex.dirs[si]
		n, sum, err := joinParts(filepath.Join(dir, manifests.RecordsFile), ex.parts[si])
		if err != nil {
			return nil, err
		}
		params, err := paramsJSON(ps.Shift)
		if err != nil {
			return nil, err
		}
		st := ex.stats[si]
		sort.SliceStable(st.skipped, func(a, b int) bool {
			if st.skipped[a].Split != st.skipped[b].Split {
				return st.skipped[a].Split < st.skipped[b].Split
			}
			return st.skipped[a].Source < st.skipped[b].Source
		})
		m := &manifests.Manifest{
			Schema:     manifests.SchemaVersion,
			Generator:  manifests.Generator{Name: "shiftgen", Version: Version},
			Shift:      manifests.Shift{Name: ps.Shift.Name(), Spec: ps.Spec, Kind: string(ps.Shift.Kind()), Params: params},
			Seed:       ex.o.Seed,
			Preprocess: string(ex.o.Preprocess),
			Format:     string(ex.o.Format),
			Codec:      ex.o.Codec.Name(),
			Source:     ex.o.SourceName,
			Counts:     st.counts,
			Records:    manifests.FileRef{Name: manifests.RecordsFile, Count: n, SHA256: sum},
			Skipped:    st.skipped,
		}
		if m.Skipped == nil {
			m.Skipped = []manifests.Skip{}
		}
		if ex.o.Format == JPEG {
			m.Quality = ex.o.Quality
		}
		for i, c := range ex.plan.Dataset.Classes {
			m.Classes = append(m.Classes, manifests.Class{Label: i, Name: c})
		}
		if err := m.Validate(); err != nil {
			return nil, fmt.Errorf("internal error: manifest for %s: %w", ps.Spec, err)
		}
		b, err := m.Marshal()
		if err != nil {
			return nil, err
		}
		mpath := filepath.Join(dir, manifests.ManifestFile)
		if err := manifests.WriteFileAtomic(mpath, b); err != nil {
			return nil, err
		}
		res.Datasets = append(res.Datasets, DatasetResult{Spec: ps.Spec, Dir: dir, Manifest: mpath, Images: n, Skipped: len(st.skipped)})
		res.Images += n
	}
	res.Elapsed = time.Since(start)
	host, _ := os.Hostname()
	for _, d := range res.Datasets {
		run := manifests.Run{
			Started: start.UTC().Format(time.RFC3339), Finished: time.Now().UTC().Format(time.RFC3339),
			Host: host, Workers: ex.o.Workers, Seconds: res.Elapsed.Seconds(), Images: res.Images,
			PerSec: float64(res.Images) / res.Elapsed.Seconds(), Codec: res.Codec, Command: ex.o.Command,
		}
		b, err := marshalIndent(run)
		if err != nil {
			return nil, err
		}
		if err := manifests.WriteFileAtomic(filepath.Join(d.Dir, manifests.RunFile), b); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// joinParts concatenates the part files into path (atomically) and removes them,
// returning the record count and the SHA-256 of the joined file.
func joinParts(path string, parts []*partFile) (int, string, error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return 0, "", fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	h := sha256.New()
	w := io.MultiWriter(f, h)
	total := 0
	fail := func(err error) (int, string, error) {
		f.Close()
		os.Remove(tmp)
		return 0, "", fmt.Errorf("write %s: %w", path, err)
	}
	for _, pf := range parts {
		n, _, err := pf.w.Close()
		if err != nil {
			return fail(err)
		}
		total += n
		if _, err := pf.f.Seek(0, io.SeekStart); err != nil {
			return fail(err)
		}
		if _, err := io.Copy(w, pf.f); err != nil {
			return fail(err)
		}
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return 0, "", fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Chmod(tmp, 0o644); err != nil {
		return 0, "", err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return 0, "", fmt.Errorf("write %s: %w", path, err)
	}
	for _, pf := range parts {
		pf.f.Close()
		os.Remove(pf.path)
	}
	return total, hex.EncodeToString(h.Sum(nil)), nil
}

// ErrSkipped is returned by callers that want a distinct status for runs that skipped
// inputs; Run itself reports skips in Result.Skipped.
var ErrSkipped = errors.New("some inputs were skipped")
