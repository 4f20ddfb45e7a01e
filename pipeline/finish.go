package pipeline

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"time"

	"github.com/shiftgen/shiftgen/pipeline/imageio"

	"github.com/shiftgen/shiftgen/manifests"
)

// shardFile is the shard manifest a shard writes into its work folder when it finishes.
type shardFile struct {
	Complete bool                `json:"complete"`
	Shard    string              `json:"shard"`
	Job      *jobSpec            `json:"job"`
	Manifest *manifests.Manifest `json:"manifest"`
	Parts    int                 `json:"parts"`
}

// template is shift si's manifest without its counts, records and skips.
func (ex *execution) template(si int) (*manifests.Manifest, error) {
	ps := ex.plan.Shifts[si]
	params, err := paramsJSON(ps.Shift)
	if err != nil {
		return nil, err
	}
	m := &manifests.Manifest{
		Schema:     manifests.SchemaVersion,
		Generator:  manifests.Generator{Name: "shiftgen", Version: Version},
		Shift:      manifests.Shift{Name: ps.Shift.Name(), Spec: ps.Spec, Kind: string(ps.Shift.Kind()), Params: params},
		Seed:       ex.o.Seed,
		Preprocess: string(ex.o.Preprocess),
		Format:     string(ex.o.Format),
		Codec:      ex.o.Codec.Name(),
		Source:     manifests.Name(ex.o.SourceName),
	}
	if ex.o.Format == imageio.JPEG {
		m.Quality = ex.o.Quality
	}
	for i, c := range ex.plan.Dataset.Classes {
		m.Classes = append(m.Classes, manifests.Class{Label: i, Name: c})
	}
	return m, nil
}

// sortSkips orders skipped inputs by split and source, as every manifest lists them.
func sortSkips(s []manifests.Skip) []manifests.Skip {
	sort.SliceStable(s, func(a, b int) bool {
		if s[a].Split != s[b].Split {
			return s[a].Split < s[b].Split
		}
		return s[a].Source < s[b].Source
	})
	if s == nil {
		s = []manifests.Skip{}
	}
	return s
}

// skipSet holds distinct skipped inputs (split and source) over several datasets.
type skipSet map[[2]string]bool

func (s skipSet) add(skips []manifests.Skip) {
	for _, k := range skips {
		s[[2]string{k.Split, k.Source}] = true
	}
}

// addFrom adds the skips of the finished dataset in dir.
func (s skipSet) addFrom(dir string) error {
	m, err := manifests.ReadManifest(filepath.Join(dir, manifests.ManifestFile))
	if err != nil {
		return err
	}
	s.add(m.Skipped)
	return nil
}

// checkAlive makes sure the shift folders and journals are still the ones this run
// opened (an output folder removed mid-run must not pass silently).
func (ex *execution) checkAlive() error {
	for si, parts := range ex.parts {
		if _, err := os.Stat(ex.dirs[si]); err != nil {
			return errVanished(ex.dirs[si])
		}
		for _, pf := range parts {
			a, err1 := pf.f.Stat()
			b, err2 := os.Stat(pf.path)
			if err1 != nil || err2 != nil || !os.SameFile(a, b) {
				return errVanished(ex.dirs[si])
			}
		}
	}
	return nil
}

// finish writes each shift's records.jsonl, manifest.json and run.json (or, for a
// shard, its shard manifest), then removes the work folders.
func (ex *execution) finish(start time.Time) (*Result, error) {
	if err := ex.flush(); err != nil {
		ex.close()
		return nil, err
	}
	if err := ex.checkAlive(); err != nil {
		ex.close()
		return nil, err
	}
	ex.close()
	res := &Result{Codec: ex.o.Codec.Name(), Shard: ex.o.Shard, Resumed: ex.resumed}
	skips := skipSet{}
	for si, ps := range ex.plan.Shifts {
		if ex.finished[si] {
			// A previous run finished this dataset; its skips still count.
			if err := skips.addFrom(ex.dirs[si]); err != nil {
				return nil, err
			}
			continue
		}
		m, err := ex.template(si)
		if err != nil {
			return nil, err
		}
		st := ex.stats[si]
		m.Counts = st.counts
		m.Skipped = sortSkips(st.skipped)
		skips.add(m.Skipped)
		var parts []string
		for _, pf := range ex.parts[si] {
			parts = append(parts, pf.path)
		}
		d := DatasetResult{Spec: ps.Spec, Dir: ex.dirs[si], Skipped: len(m.Skipped)}
		for _, c := range m.Counts {
			d.Images += c.Images
		}
		if !ex.o.Shard.IsZero() {
			sf := shardFile{Complete: true, Shard: ex.o.Shard.String(), Job: ex.spec, Manifest: m, Parts: len(parts)}
			b, err := marshalIndent(sf)
			if err != nil {
				return nil, err
			}
			d.Manifest = filepath.Join(ex.works[si], "shard.json")
			if err := manifests.WriteFileAtomic(d.Manifest, b); err != nil {
				return nil, err
			}
		} else {
			if err := finalize(ex.dirs[si], m, parts); err != nil {
				return nil, err
			}
			d.Manifest = filepath.Join(ex.dirs[si], manifests.ManifestFile)
		}
		res.Datasets = append(res.Datasets, d)
		res.Images += d.Images
	}
	res.Skipped = len(skips)
	res.Elapsed = time.Since(start)
	if ex.o.Shard.IsZero() {
		host, _ := os.Hostname()
		for _, d := range res.Datasets {
			run := manifests.Run{
				Started: start.UTC().Format(time.RFC3339), Finished: time.Now().UTC().Format(time.RFC3339),
				Host: host, Workers: ex.o.Workers, Seconds: res.Elapsed.Seconds(), Images: res.Images,
				PerSec: float64(res.Images-res.Resumed) / res.Elapsed.Seconds(), Codec: res.Codec, Command: ex.o.Command,
			}
			b, err := marshalIndent(run)
			if err != nil {
				return nil, err
			}
			if err := manifests.WriteFileAtomic(filepath.Join(d.Dir, manifests.RunFile), b); err != nil {
				return nil, err
			}
		}
		// Journals go last, once every dataset is complete, so a crash before this point
		// resumes (and rewrites the same files) instead of finding a half-finished set.
		for _, d := range res.Datasets {
			if err := os.RemoveAll(filepath.Join(d.Dir, WorkDir)); err != nil {
				return nil, fmt.Errorf("output %s: %w", d.Dir, err)
			}
		}
	}
	return res, nil
}

// finalize joins the part files into dir/records.jsonl, completes m with the records
// reference and writes dir/manifest.json, both atomically.
func finalize(dir string, m *manifests.Manifest, parts []string) error {
	n, sum, err := joinParts(filepath.Join(dir, manifests.RecordsFile), parts)
	if err != nil {
		return err
	}
	m.Records = manifests.FileRef{Name: manifests.RecordsFile, Count: n, SHA256: sum}
	if err := m.Validate(); err != nil {
		return fmt.Errorf("internal error: manifest for %s: %w", dir, err)
	}
	b, err := m.Marshal()
	if err != nil {
		return err
	}
	return manifests.WriteFileAtomic(filepath.Join(dir, manifests.ManifestFile), b)
}

// joinParts concatenates the part files into path (atomically), returning the number
// of lines and the SHA-256 of the joined file.
func joinParts(path string, parts []string) (int, string, error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return 0, "", fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	h := sha256.New()
	lines := &lineCounter{}
	w := io.MultiWriter(f, h, lines)
	fail := func(err error) (int, string, error) {
		f.Close()
		os.Remove(tmp)
		return 0, "", fmt.Errorf("write %s: %w", path, err)
	}
	for _, p := range parts {
		in, err := os.Open(p)
		if err != nil {
			return fail(err)
		}
		_, err = io.Copy(w, in)
		in.Close()
		if err != nil {
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
	return lines.n, hex.EncodeToString(h.Sum(nil)), nil
}

type lineCounter struct{ n int }

func (l *lineCounter) Write(p []byte) (int, error) {
	for _, b := range p {
		if b == '\n' {
			l.n++
		}
	}
	return len(p), nil
}

// MergeResult describes a merged dataset.
type MergeResult struct {
	Dir      string
	Shards   int
	Images   int
	Skipped  int
	Manifest string
}

var shardName = regexp.MustCompile(`^shard-(\d+)-of-(\d+)$`)

// Merge joins the finished shards of OUT/<shift> into the manifest.json and
// records.jsonl one process would have written, byte for byte, then removes the shards'
// journals. It refuses while shards are missing or unfinished, or when they came from
// different options or input.
func Merge(dir string) (*MergeResult, error) {
	work := filepath.Join(dir, WorkDir)
	entries, err := os.ReadDir(work)
	if err != nil {
		if _, merr := os.Stat(filepath.Join(dir, manifests.ManifestFile)); merr == nil {
			return nil, fmt.Errorf("merge %s: already merged (manifest.json exists and no shards remain)", dir)
		}
		return nil, fmt.Errorf("merge %s: no shards found (%v); run `shiftgen generate --shard K/N` first", dir, err)
	}
	byK := map[int]*shardFile{}
	total := 0
	for _, e := range entries {
		mm := shardName.FindStringSubmatch(e.Name())
		if mm == nil {
			continue
		}
		k, _ := strconv.Atoi(mm[1])
		n, _ := strconv.Atoi(mm[2])
		if total == 0 {
			total = n
		} else if n != total {
			return nil, fmt.Errorf("merge %s: shards of different totals (%d and %d) found; remove the stale ones", dir, total, n)
		}
		b, err := os.ReadFile(filepath.Join(work, e.Name(), "shard.json"))
		if err != nil {
			return nil, fmt.Errorf("merge %s: shard %d/%d has not finished (no shard.json); run or resume it first", dir, k, n)
		}
		var sf shardFile
		if err := json.Unmarshal(b, &sf); err != nil || !sf.Complete || sf.Manifest == nil || sf.Job == nil {
			return nil, fmt.Errorf("merge %s: shard %d/%d's shard.json is damaged; rerun that shard with --force", dir, k, n)
		}
		byK[k] = &sf
	}
	if total == 0 {
		return nil, fmt.Errorf("merge %s: no shards found in %s", dir, work)
	}
	var missing []string
	for k := 1; k <= total; k++ {
		if byK[k] == nil {
			missing = append(missing, fmt.Sprintf("%d/%d", k, total))
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("merge %s: %d of %d shards are missing or unfinished: %v", dir, len(missing), total, missing)
	}
	first := byK[1]
	tmpl, _ := json.Marshal(withoutCounts(first.Manifest))
	for k := 2; k <= total; k++ {
		a, b := *first.Job, *byK[k].Job
		a.Shard, b.Shard = "", ""
		if d := a.diff(&b); len(d) > 0 {
			return nil, fmt.Errorf("merge %s: shard %d/%d came from other options or input than shard 1/%d: %v", dir, k, total, total, d)
		}
		if t, _ := json.Marshal(withoutCounts(byK[k].Manifest)); string(t) != string(tmpl) {
			return nil, fmt.Errorf("merge %s: shard %d/%d's manifest differs from shard 1's", dir, k, total)
		}
	}
	m := *first.Manifest
	m.Counts = nil
	var skipped []manifests.Skip
	seen := map[string]bool{}
	for k := 1; k <= total; k++ {
		sm := byK[k].Manifest
		for i, c := range sm.Counts {
			if i >= len(m.Counts) {
				cc := c
				cc.PerClass = append([]int(nil), c.PerClass...)
				cc.Stats = nil
				cc.Images = 0
				for j := range cc.PerClass {
					cc.PerClass[j] = 0
				}
				m.Counts = append(m.Counts, cc)
			}
			mc := &m.Counts[i]
			mc.Images += c.Images
			for j, v := range c.PerClass {
				mc.PerClass[j] += v
			}
			for key, v := range c.Stats {
				if mc.Stats == nil {
					mc.Stats = map[string]int{}
				}
				mc.Stats[key] += v
			}
		}
		for _, s := range sm.Skipped {
			// Inputs skipped by the scan appear in every shard's list; keep them once.
			key := s.Split + "\x00" + s.Source
			if !seen[key] {
				seen[key] = true
				skipped = append(skipped, s)
			}
		}
	}
	m.Skipped = sortSkips(skipped)
	var parts []string
	for i := 0; i < first.Parts; i++ {
		for k := 1; k <= total; k++ {
			parts = append(parts, filepath.Join(work, fmt.Sprintf("shard-%d-of-%d", k, total), fmt.Sprintf("records-%d.jsonl", i)))
		}
	}
	if err := finalize(dir, &m, parts); err != nil {
		return nil, err
	}
	if err := os.RemoveAll(work); err != nil {
		return nil, fmt.Errorf("merge %s: %w", dir, err)
	}
	res := &MergeResult{Dir: dir, Shards: total, Skipped: len(m.Skipped), Manifest: filepath.Join(dir, manifests.ManifestFile)}
	for _, c := range m.Counts {
		res.Images += c.Images
	}
	return res, nil
}

func withoutCounts(m *manifests.Manifest) manifests.Manifest {
	c := *m
	c.Counts, c.Skipped, c.Records = nil, nil, manifests.FileRef{}
	return c
}
