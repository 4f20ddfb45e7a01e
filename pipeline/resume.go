package pipeline

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/shiftgen/shiftgen/manifests"
)

// WorkDir is the hidden folder inside OUT/<shift> holding a run's lock and journals
// until its manifest is written.
const WorkDir = manifests.WorkDir

// jobSpec is everything that decides a run's output bytes. A resumed run must match it
// exactly; shards of one job differ only in Shard.
type jobSpec struct {
	Generator      string   `json:"generator"`
	Shifts         []string `json:"shifts"`
	Seed           int64    `json:"seed"`
	TintTableSize  int      `json:"tint_table_size"`
	Preprocess     string   `json:"preprocess"`
	Format         string   `json:"format"`
	Quality        int      `json:"quality"`
	Layout         string   `json:"layout"`
	Output         string   `json:"output,omitempty"`
	FFCVImage      string   `json:"ffcv_image,omitempty"`
	ShardImages    int      `json:"shard_images,omitempty"`
	NoDedup        bool     `json:"no_dedup,omitempty"`
	MaxPixels      int64    `json:"max_pixels"`
	MaxFileBytes   int64    `json:"max_file_bytes"`
	FollowSymlinks bool     `json:"follow_symlinks"`
	FrostTextures  string   `json:"frost_textures"`
	StyleImages    string   `json:"style_images,omitempty"`
	StyleDigest    string   `json:"style_digest,omitempty"`
	Codec          string   `json:"codec"`
	Source         string   `json:"source"`
	InputFiles     int      `json:"input_files"`
	InputDigest    string   `json:"input_digest"`
	Shard          string   `json:"shard"`
}

// newJobSpec describes o and the scanned input (every source's path, size and
// modification time).
func newJobSpec(o *Options, plan *Plan) (*jobSpec, error) {
	h := sha256.New()
	n := 0
	for _, sp := range plan.Dataset.Splits {
		for _, src := range sp.Sources {
			fi, err := os.Stat(joinSource(sp.Dir, src.Path))
			size, mod := int64(-1), int64(0)
			if err == nil {
				size, mod = fi.Size(), fi.ModTime().UnixNano()
			}
			fmt.Fprintf(h, "%s\x00%s\x00%d\x00%d\n", sp.Name, src.Path, size, mod)
			n++
		}
	}
	for _, sk := range plan.Dataset.Skipped {
		fmt.Fprintf(h, "skip\x00%s\x00%s\n", sk.Split, sk.Path)
	}
	var specs []string
	for _, ps := range plan.Shifts {
		specs = append(specs, ps.Spec)
	}
	out := string(o.Output)
	if o.Output == FolderOutput {
		out = "" // as jobs were described before there were other outputs
	}
	return &jobSpec{
		Output:    out,
		Generator: "shiftgen " + Version, Shifts: specs, Seed: o.Seed, TintTableSize: o.TintTableSize,
		Preprocess: string(o.Preprocess), Format: string(o.Format), Quality: o.Quality, Layout: string(o.Layout),
		FFCVImage: o.FFCVImage, ShardImages: o.ShardImages, NoDedup: o.NoDedup,
		MaxPixels: o.MaxPixels, MaxFileBytes: o.MaxFileBytes, FollowSymlinks: o.FollowSymlinks, FrostTextures: o.FrostTextures,
		StyleImages: o.StyleImages, StyleDigest: o.styleDigest,
		Codec: o.Codec.Name(), Source: o.SourceName, InputFiles: n, InputDigest: hex.EncodeToString(h.Sum(nil)),
		Shard: o.Shard.String(),
	}, nil
}

// diff lists the fields in which a and b differ, for people. The fields of both are
// compared: one a side leaves out (omitempty at its zero value, such as the folder
// output or dedup on) is its default.
func (a *jobSpec) diff(b *jobSpec) []string {
	am, bm := map[string]any{}, map[string]any{}
	ab, _ := json.Marshal(a)
	bb, _ := json.Marshal(b)
	json.Unmarshal(ab, &am)
	json.Unmarshal(bb, &bm)
	var keys []string
	for k := range am {
		keys = append(keys, k)
	}
	for k := range bm {
		if _, ok := am[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var d []string
	for _, k := range keys {
		x, _ := json.Marshal(am[k])
		y, _ := json.Marshal(bm[k])
		if !bytes.Equal(x, y) {
			if _, ok := am[k]; !ok {
				x = []byte("the default")
			}
			if _, ok := bm[k]; !ok {
				y = []byte("the default")
			}
			if k == "input_digest" {
				d = append(d, "the input changed (files added, removed or modified since the first run)")
				continue
			}
			d = append(d, fmt.Sprintf("%s was %s, now %s", k, x, y))
		}
	}
	return d
}

// beyondManifest keeps the fields of a job that no manifest holds: the input and how it
// is read, and, unless the shift's recorded parameters hold it (tableInParams), the tint
// table's size (pad's tint uses the table without recording its size).
func (a *jobSpec) beyondManifest(tableInParams bool) *jobSpec {
	b := &jobSpec{Layout: a.Layout, MaxPixels: a.MaxPixels, MaxFileBytes: a.MaxFileBytes,
		FollowSymlinks: a.FollowSymlinks, InputFiles: a.InputFiles, InputDigest: a.InputDigest}
	if !tableInParams {
		b.TintTableSize = a.TintTableSize
	}
	return b
}

// finishedDiff lists how the finished dataset of shift si, in dir, differs from the one
// this run would write. Its manifest gives the shift (spec and every parameter, so the
// tint table, frost textures and style images it used), the seed, preprocessing, format,
// quality, codec, output, source, generator and classes; the job its run recorded in run.json
// (job, nil when there is none) gives the rest: the input's files, the layout, the
// limits, --follow-symlinks and the tint table's size. The run's other shifts and its
// shard are not compared: a dataset does not depend on them.
func (ex *execution) finishedDiff(si int, dir string, job []byte) ([]string, error) {
	m, err := manifests.ReadManifest(filepath.Join(dir, manifests.ManifestFile))
	if err != nil {
		return nil, fmt.Errorf("resume %s: %w; rerun without --resume and with --force to start over", dir, err)
	}
	want, err := ex.template(si)
	if err != nil {
		return nil, err
	}
	var d []string
	differ := func(name string, was, now any) {
		x, _ := json.Marshal(was)
		y, _ := json.Marshal(now)
		if !bytes.Equal(x, y) {
			d = append(d, fmt.Sprintf("%s was %s, now %s", name, x, y))
		}
	}
	differ("generator", m.Generator.Name+" "+m.Generator.Version, want.Generator.Name+" "+want.Generator.Version)
	if m.Shift.Spec != want.Shift.Spec {
		differ("shift", m.Shift.Spec, want.Shift.Spec)
	} else {
		var was, now any
		json.Unmarshal(m.Shift.Params, &was)
		json.Unmarshal(want.Shift.Params, &now)
		differ("params", was, now)
	}
	differ("seed", m.Seed, want.Seed)
	differ("preprocess", m.Preprocess, want.Preprocess)
	differ("format", m.Format, want.Format)
	if m.Format == want.Format {
		differ("quality", m.Quality, want.Quality)
	}
	differ("codec", m.Codec, want.Codec)
	differ("output", storage(m.Output), storage(want.Output))
	differ("source", m.Source, want.Source)
	if !slices.Equal(m.Classes, want.Classes) {
		d = append(d, "the input's classes changed")
	}
	if job != nil {
		var prev jobSpec
		if err := json.Unmarshal(job, &prev); err != nil {
			return nil, fmt.Errorf("resume %s: the job description in its %s is damaged (%v); rerun without --resume and with --force to start over", dir, manifests.RunFile, err)
		}
		inParams := bytes.Contains(want.Shift.Params, []byte(`"tint_table_size"`))
		d = append(d, prev.beyondManifest(inParams).diff(ex.spec.beyondManifest(inParams))...)
	}
	return d, nil
}

// storage describes how a manifest's output stores the images: its kind and options,
// not which folders another dataset holds (that depends on the run's other shifts).
func storage(o *manifests.Output) string {
	if o == nil {
		return string(FolderOutput)
	}
	s := o.Kind
	if o.Image != "" {
		s += " image " + o.Image
	}
	if o.PageSize != 0 {
		s += fmt.Sprintf(" page_size %d", o.PageSize)
	}
	if o.ShardImages != 0 {
		s += fmt.Sprintf(" shard_images %d", o.ShardImages)
	}
	return s
}

// open creates the Writer of every shift's dataset folder (checking, locking and
// classifying it) and, for a resumed run, checks that the job is the one the journal was
// written by. Datasets a previous run finished (it was killed while removing its
// journals, say) are left as they are, once they are found to be the ones this run would
// write; when all are, the run is complete.
func (ex *execution) open() error {
	o := ex.o
	specJSON, err := json.MarshalIndent(ex.spec, "", "  ")
	if err != nil {
		return err
	}
	var shard *manifests.ShardOf
	if !o.Shard.IsZero() {
		shard = &manifests.ShardOf{Index: o.Shard.K, Count: o.Shard.N}
	}
	inputs := []manifests.Input{{Flag: "--in", Path: o.In}, {Flag: "--frost-textures", Path: o.FrostTextures}, {Flag: "--style-images", Path: styleFolder(o.StyleImages)}}
	ex.finished = make([]bool, len(ex.plan.Shifts))
	complete := 0
	for si, ps := range ex.plan.Shifts {
		images, err := ex.images(si)
		if err != nil {
			ex.close()
			return err
		}
		w, err := manifests.Create(manifests.WriterOptions{
			Dir: filepath.Join(o.Out, filepath.FromSlash(ps.Dir)), Inputs: inputs,
			Force: o.Force, Resume: o.Resume, Shard: shard, Job: specJSON,
			Streams: len(ps.folders), Journal: true, Command: o.Command, Images: images,
		})
		if err != nil {
			ex.close()
			return err
		}
		switch w.State() {
		case manifests.Complete:
			d, err := ex.finishedDiff(si, w.Dir(), w.PreviousJob())
			if err == nil && len(d) > 0 {
				err = fmt.Errorf("cannot resume %s: it is a finished dataset made with other options or input: %s; rerun without --resume and with --force to replace it, or choose another --out", w.Dir(), strings.Join(d, "; "))
			}
			if err != nil {
				w.Close()
				ex.close()
				return err
			}
			w.Close()
			w = nil
			ex.finished[si] = true
			complete++
		case manifests.Resumed:
			var prev jobSpec
			if err := json.Unmarshal(w.PreviousJob(), &prev); err != nil {
				w.Close()
				ex.close()
				return fmt.Errorf("resume %s: its job description is damaged (%v); rerun without --resume and with --force to start over", w.Dir(), err)
			}
			if d := prev.diff(ex.spec); len(d) > 0 {
				w.Close()
				ex.close()
				return fmt.Errorf("cannot resume %s: it was started with other options or input: %s; rerun the original command with --resume, or use --force to start over", w.Dir(), strings.Join(d, "; "))
			}
		}
		ex.writers = append(ex.writers, w)
	}
	ex.complete = complete == len(ex.plan.Shifts)
	return nil
}

// step tries to accept job j from shift si's journal: either a skip entry for it, or one
// valid record per planned output whose image is intact (when verify is set). It
// returns the accepted records (nil for a skip) and whether the job was accepted.
func (ex *execution) step(jr *manifests.Journal, si int, j *Job, verify bool) (recs []*manifests.Record, skip *manifests.JournalSkip, ok bool) {
	if e, ok := jr.PeekSkip(); ok && e.Seq == j.Seq {
		jr.TakeSkip()
		return nil, e, true
	}
	ps := ex.plan.Shifts[si]
	for _, out := range ex.plan.Outputs(j) {
		if out.Shift != si {
			continue
		}
		r, more := jr.Record(ex.folderIndex(ps, out.Distribution, j.Split))
		if !more || r.Split != j.Split || r.Index != j.Source.Index || r.Path != out.Path || r.Distribution != string(out.Distribution) {
			return nil, nil, false
		}
		if verify && !jr.Check(ex.folderIndex(ps, out.Distribution, j.Split), r) {
			return nil, nil, false
		}
		recs = append(recs, r)
	}
	return recs, nil, true
}

// restore reads the journals of an interrupted run, finds the longest prefix of this
// process's jobs whose outputs are all recorded and intact on disk (re-hashed) in every
// shift, cuts the journals back to that prefix, rebuilds the counts and skips it
// implies, and returns the number of jobs done. Later jobs are redone; their files are
// rewritten with the same bytes. A run with nothing to resume returns 0.
func (ex *execution) restore() (int, error) {
	limit := len(ex.shardJobs)
	var resumed []int
	for si, w := range ex.writers {
		switch {
		case w == nil:
		case w.State() == manifests.Resumed:
			resumed = append(resumed, si)
		default:
			limit = 0 // a dataset that starts afresh redoes every job
		}
	}
	if len(resumed) == 0 {
		return 0, nil
	}
	for _, si := range resumed {
		jr, err := ex.writers[si].ReadJournal()
		if err != nil {
			return 0, err
		}
		n := 0
		for n < limit {
			if _, _, ok := ex.step(jr, si, ex.shardJobs[n], true); !ok {
				break
			}
			n++
		}
		jr.Close()
		limit = n
	}
	for _, si := range resumed {
		w := ex.writers[si]
		jr, err := w.ReadJournal()
		if err != nil {
			return 0, err
		}
		for n := 0; n < limit; n++ {
			j := ex.shardJobs[n]
			recs, skip, ok := ex.step(jr, si, j, false)
			if !ok {
				jr.Close()
				return 0, fmt.Errorf("resume %s: the journal changed while it was read; is another process writing it?", w.Dir())
			}
			jr.Mark()
			if skip != nil {
				st := ex.stats[si]
				st.skipped = append(st.skipped, skip.Skip)
				continue
			}
			for _, out := range ex.plan.Outputs(j) {
				if out.Shift == si {
					ex.count(out, ex.folderIndex(ex.plan.Shifts[si], out.Distribution, j.Split), j.Source.Label)
				}
			}
			ex.resumed += len(recs)
		}
		if err := w.Rewind(jr); err != nil {
			return 0, err
		}
	}
	ex.done = ex.resumed
	return limit, nil
}
