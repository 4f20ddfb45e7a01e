package pipeline

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/shiftgen/shiftgen/manifests"
)

// WorkDir is the hidden folder inside OUT/<shift> holding a run's journals until its
// manifest is written.
const WorkDir = ".work"

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
	MaxPixels      int64    `json:"max_pixels"`
	MaxFileBytes   int64    `json:"max_file_bytes"`
	FollowSymlinks bool     `json:"follow_symlinks"`
	FrostTextures  string   `json:"frost_textures"`
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
	return &jobSpec{
		Generator: "shiftgen " + Version, Shifts: specs, Seed: o.Seed, TintTableSize: o.TintTableSize,
		Preprocess: string(o.Preprocess), Format: string(o.Format), Quality: o.Quality, Layout: string(o.Layout),
		MaxPixels: o.MaxPixels, MaxFileBytes: o.MaxFileBytes, FollowSymlinks: o.FollowSymlinks, FrostTextures: o.FrostTextures,
		Codec: o.Codec.Name(), Source: o.SourceName, InputFiles: n, InputDigest: hex.EncodeToString(h.Sum(nil)),
		Shard: o.Shard.String(),
	}, nil
}

// diff lists the fields in which a and b differ, for people.
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
	sort.Strings(keys)
	var d []string
	for _, k := range keys {
		x, _ := json.Marshal(am[k])
		y, _ := json.Marshal(bm[k])
		if !bytes.Equal(x, y) {
			if k == "input_digest" {
				d = append(d, "the input changed (files added, removed or modified since the first run)")
				continue
			}
			d = append(d, fmt.Sprintf("%s was %s, now %s", k, x, y))
		}
	}
	return d
}

type workState int

const (
	stateFresh workState = iota
	stateResume
	stateComplete
)

// prepare sets up every shift's folder and work folder and says whether the run starts
// fresh, resumes, or has nothing left to do.
func (ex *execution) prepare() (workState, error) {
	o := ex.o
	specJSON, err := marshalIndent(ex.spec)
	if err != nil {
		return 0, err
	}
	states := map[workState][]string{}
	for _, ps := range ex.plan.Shifts {
		dir := filepath.Join(o.Out, filepath.FromSlash(ps.Dir))
		work := filepath.Join(dir, WorkDir)
		if !o.Shard.IsZero() {
			work = filepath.Join(work, o.Shard.workName())
		}
		ex.dirs = append(ex.dirs, dir)
		ex.works = append(ex.works, work)
		jobFile := filepath.Join(work, "job.json")
		_, werr := os.Stat(jobFile)
		_, merr := os.Stat(filepath.Join(dir, manifests.ManifestFile))
		switch {
		case o.Resume && werr == nil:
			b, err := os.ReadFile(jobFile)
			if err != nil {
				return 0, fmt.Errorf("resume %s: %w", dir, err)
			}
			var prev jobSpec
			if err := json.Unmarshal(b, &prev); err != nil {
				return 0, fmt.Errorf("resume %s: %s is damaged (%v); rerun without --resume and with --force to start over", dir, jobFile, err)
			}
			if d := prev.diff(ex.spec); len(d) > 0 {
				return 0, fmt.Errorf("cannot resume %s: it was started with other options or input: %s; rerun the original command with --resume, or use --force to start over", dir, strings.Join(d, "; "))
			}
			if err := removeTemps(dir); err != nil {
				return 0, err
			}
			states[stateResume] = append(states[stateResume], ps.Spec)
			continue
		case o.Resume && merr == nil && o.Shard.IsZero():
			states[stateComplete] = append(states[stateComplete], ps.Spec)
			continue
		}
		if o.Shard.IsZero() {
			if err := prepareDir(dir, o.Force); err != nil {
				return 0, err
			}
		} else {
			if merr == nil && !o.Force {
				return 0, fmt.Errorf("output %s is already a complete dataset; pass --force to replace it", dir)
			}
			if werr == nil && !o.Force {
				return 0, fmt.Errorf("shard %s of %s was already started; rerun with --resume to continue it, or --force to restart it", o.Shard, dir)
			}
			if err := os.RemoveAll(work); err != nil {
				return 0, fmt.Errorf("output %s: %w", work, err)
			}
		}
		if err := os.MkdirAll(work, 0o755); err != nil {
			return 0, fmt.Errorf("output %s: %w", work, err)
		}
		if err := manifests.WriteFileAtomic(jobFile, specJSON); err != nil {
			return 0, err
		}
		states[stateFresh] = append(states[stateFresh], ps.Spec)
	}
	if c := states[stateComplete]; len(c) == len(ex.plan.Shifts) {
		return stateComplete, nil
	}
	// Datasets a previous run already finished (it was killed while removing its
	// journals, say) are left as they are; the others are resumed or started.
	ex.finished = make([]bool, len(ex.plan.Shifts))
	for si, ps := range ex.plan.Shifts {
		for _, spec := range states[stateComplete] {
			if ps.Spec == spec {
				ex.finished[si] = true
			}
		}
	}
	if len(states[stateResume]) > 0 {
		return stateResume, nil
	}
	return stateFresh, nil
}

// lineReader reads whole lines of a journal, treating a last line without its newline
// (torn by a crash) as absent.
type lineReader struct {
	r   *bufio.Reader
	f   *os.File
	off int64
}

func openLines(path string) (*lineReader, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return &lineReader{}, nil
	}
	if err != nil {
		return nil, err
	}
	return &lineReader{r: bufio.NewReaderSize(f, 1<<16), f: f}, nil
}

func (l *lineReader) next() ([]byte, bool) {
	if l.r == nil {
		return nil, false
	}
	b, err := l.r.ReadBytes('\n')
	if err != nil {
		return nil, false
	}
	l.off += int64(len(b))
	return b, true
}

func (l *lineReader) close() {
	if l.f != nil {
		l.f.Close()
	}
}

// journalCursor walks one shift's journals job by job.
type journalCursor struct {
	ex     *execution
	si     int
	parts  []*lineReader
	skips  *lineReader
	peeked []byte
	// offsets after the last fully accepted job
	partOff []int64
	skipOff int64
}

func (ex *execution) cursor(si int) (*journalCursor, error) {
	c := &journalCursor{ex: ex, si: si, partOff: make([]int64, len(ex.plan.Shifts[si].folders))}
	for i := range ex.plan.Shifts[si].folders {
		lr, err := openLines(filepath.Join(ex.works[si], fmt.Sprintf("records-%d.jsonl", i)))
		if err != nil {
			return nil, err
		}
		c.parts = append(c.parts, lr)
	}
	var err error
	c.skips, err = openLines(filepath.Join(ex.works[si], "skipped.jsonl"))
	return c, err
}

func (c *journalCursor) close() {
	for _, p := range c.parts {
		p.close()
	}
	c.skips.close()
}

// step tries to accept job j from the journals: either a skip entry for it, or one
// valid record per planned output whose file is intact (when verify is set). It returns
// the accepted records (nil for a skip) and whether the job was accepted.
func (c *journalCursor) step(j *Job, verify bool) (recs []*manifests.Record, skip *skipEntry, ok bool) {
	if c.peeked == nil {
		c.peeked, _ = c.skips.next()
	}
	if c.peeked != nil {
		var e skipEntry
		if json.Unmarshal(c.peeked, &e) == nil && e.Seq == j.Seq {
			c.peeked = nil
			c.skipOff = c.skips.off
			return nil, &e, true
		}
	}
	ps := c.ex.plan.Shifts[c.si]
	for _, out := range c.ex.plan.Outputs(j) {
		if out.Shift != c.si {
			continue
		}
		fi := c.ex.folderIndex(ps, out.Distribution, j.Split)
		line, more := c.parts[fi].next()
		if !more {
			return nil, nil, false
		}
		var r manifests.Record
		if r.UnmarshalJSON(bytes.TrimSpace(line)) != nil || r.Split != j.Split || r.Index != j.Source.Index ||
			r.Path != out.Path || r.Distribution != string(out.Distribution) {
			return nil, nil, false
		}
		if verify && !fileMatches(filepath.Join(c.ex.dirs[c.si], filepath.FromSlash(r.Path)), r.Size, r.SHA256) {
			return nil, nil, false
		}
		recs = append(recs, &r)
	}
	for i, p := range c.parts {
		c.partOff[i] = p.off
	}
	return recs, nil, true
}

// fileMatches reports whether the file at path has the given size and SHA-256.
func fileMatches(path string, size int64, sum string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || fi.Size() != size {
		return false
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return false
	}
	return hex.EncodeToString(h.Sum(nil)) == sum
}

// restore reads the journals of an interrupted run, finds the longest prefix of this
// process's jobs whose outputs are all recorded and intact on disk (re-hashed) in every
// shift, cuts the journals back to that prefix, rebuilds the counts and skips it
// implies, and returns the number of jobs done. Later jobs are redone; their files are
// rewritten with the same bytes.
func (ex *execution) restore() (int, error) {
	limit := len(ex.shardJobs)
	for si := range ex.plan.Shifts {
		if ex.finished[si] {
			continue
		}
		c, err := ex.cursor(si)
		if err != nil {
			return 0, err
		}
		n := 0
		for n < limit {
			if _, _, ok := c.step(ex.shardJobs[n], true); !ok {
				break
			}
			n++
		}
		c.close()
		limit = n
	}
	for si := range ex.plan.Shifts {
		if ex.finished[si] {
			continue
		}
		c, err := ex.cursor(si)
		if err != nil {
			return 0, err
		}
		for n := 0; n < limit; n++ {
			j := ex.shardJobs[n]
			recs, skip, ok := c.step(j, false)
			if !ok {
				c.close()
				return 0, fmt.Errorf("resume %s: journal changed while reading it", ex.dirs[si])
			}
			if skip != nil {
				st := ex.stats[si]
				st.skipped = append(st.skipped, manifests.Skip{Split: skip.Split, Source: string(skip.Source), Reason: skip.Reason})
				continue
			}
			for _, out := range ex.plan.Outputs(j) {
				if out.Shift == si {
					ex.count(out, ex.folderIndex(ex.plan.Shifts[si], out.Distribution, j.Split), j.Source.Label)
				}
			}
			ex.resumed += len(recs)
		}
		c.close()
		for i := range ex.plan.Shifts[si].folders {
			p := filepath.Join(ex.works[si], fmt.Sprintf("records-%d.jsonl", i))
			if err := truncate(p, c.partOff[i]); err != nil {
				return 0, err
			}
		}
		if err := truncate(filepath.Join(ex.works[si], "skipped.jsonl"), c.skipOff); err != nil {
			return 0, err
		}
	}
	ex.done = ex.resumed
	return limit, nil
}

func truncate(path string, size int64) error {
	err := os.Truncate(path, size)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("resume: %w", err)
	}
	return nil
}

// tempName matches the temporary files writeAtomic and WriteFileAtomic create.
var tempName = regexp.MustCompile(`^\..+\.tmp-[0-9]+$`)

// removeTemps deletes temporary files a killed run left below dir (they never carry a
// final name, but must not stay behind as extra files).
func removeTemps(dir string) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && tempName.MatchString(d.Name()) {
			if err := os.Remove(p); err != nil {
				return fmt.Errorf("resume: %w", err)
			}
		}
		return nil
	})
}
