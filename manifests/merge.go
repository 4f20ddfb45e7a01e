package manifests

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// String renders "K/N".
func (s ShardOf) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Count) }

// workName is the shard's work folder under .work.
func (s ShardOf) workName() string { return fmt.Sprintf("shard-%d-of-%d", s.Index, s.Count) }

var shardName = regexp.MustCompile(`^shard-(\d+)-of-(\d+)$`)

// MergeOptions configures Merge.
type MergeOptions struct {
	// Images returns how the shards stored their images, given the first shard's
	// manifest; nil means LooseFiles.
	Images func(m *Manifest) (Images, error)
	// SameJob lists how two shards' Job descriptions differ in anything but the shard
	// itself (nil: no difference); nil compares them byte for byte.
	SameJob func(a, b []byte) []string
	// Command describes the merge in the lock; empty means the process's arguments.
	Command string
	// Finish, if set, is called once records.jsonl and manifest.json are written,
	// before the work folder is removed: it writes the files derived from them (a merge
	// stopped before it returns starts over when run again).
	Finish func(dir string, m *Manifest) error
}

// MergeResult describes a merged dataset.
type MergeResult struct {
	// Shards is the number of shards joined (0 when Finished says there was only a
	// cleanup left).
	Shards int
	// Manifest is the merged manifest; Path its file.
	Manifest *Manifest
	Path     string
	// Finished is set when an earlier merge had written every file and was stopped while
	// removing the work folder: this one only finished the removal.
	Finished bool
}

// Merge joins the finished shards of the dataset in dir into the records.jsonl and
// manifest.json one Writer would have written, byte for byte, then removes the work
// folder. It refuses while shards are missing, unfinished or running, when they came
// from different jobs, and when a shard's journal no longer matches what its shard file
// recorded (the error says which shard to write again, and how).
//
// A merge killed at any point can be run again: before its files are all written the
// rerun starts over (temporary files of any earlier process are removed first); after,
// it only finishes removing the work folder.
func Merge(dir string, o MergeOptions) (*MergeResult, error) {
	root := filepath.Join(dir, WorkDir)
	mpath := filepath.Join(dir, ManifestFile)
	if _, err := os.Stat(root); err != nil {
		if exists(mpath) {
			return nil, fmt.Errorf("merge %s: already merged (manifest.json exists and no shards remain)", dir)
		}
		return nil, fmt.Errorf("merge %s: no shards found (%v); run `shiftgen generate --shard K/N` first", dir, err)
	}
	lock, err := acquire(filepath.Join(root, LockFile), true)
	if errors.Is(err, errLocked) {
		return nil, busy(dir, true)
	}
	if err != nil {
		return nil, err
	}
	w := &Writer{dir: dir, lock: lock, owner: newOwner(o.Command, "")}
	defer w.release()
	if err := lock.describe(w.owner); err != nil {
		return nil, err
	}
	reached("merge locked")
	// No shard runs now (each holds the lock shared): their leftovers can go.
	if err := RemoveTemps(dir); err != nil {
		return nil, fmt.Errorf("merge %s: %w", dir, err)
	}
	if exists(filepath.Join(root, finishedFile)) {
		// An earlier merge wrote every file and was stopped while removing the work
		// folder.
		return finishCleanup(w, mpath)
	}
	shards, total, err := readShards(dir)
	if err != nil {
		return nil, err
	}
	if total == 0 {
		if rest, _ := entriesBut(root); exists(mpath) && len(rest) == 1 && rest[0] == LockFile {
			// Stopped after removing the shards, just before the lock.
			return finishCleanup(w, mpath)
		}
		return nil, fmt.Errorf("merge %s: no shards found in %s; run `shiftgen generate --shard K/N` first", dir, root)
	}
	m, err := mergeManifests(dir, shards, total, o.SameJob)
	if err != nil {
		return nil, err
	}
	var images Images = LooseFiles{}
	if o.Images != nil {
		if images, err = o.Images(shards[1].Manifest); err != nil {
			return nil, fmt.Errorf("merge %s: %w", dir, err)
		}
	}
	dirs := shardDirs(root, total)
	var sp []ShardPart
	for k, d := range dirs {
		part := ShardPart{Work: d}
		for _, ref := range shards[k+1].Streams {
			part.Counts = append(part.Counts, ref.Count)
		}
		sp = append(sp, part)
	}
	relocate, err := images.Join(dir, sp, m)
	if err != nil {
		return nil, fmt.Errorf("merge %s: %w", dir, err)
	}
	first := shards[1]
	var parts []string
	var want []FileRef
	var owner, stream []int
	for i := 0; i < first.Parts; i++ {
		for k := 1; k <= total; k++ {
			if len(shards[k].Streams) != first.Parts {
				return nil, shards[k].damaged(dir, k, total, "its shard.json lists "+strconv.Itoa(len(shards[k].Streams))+" record streams, not "+strconv.Itoa(first.Parts))
			}
			parts = append(parts, filepath.Join(dirs[k-1], streamFile(i)))
			want = append(want, shards[k].Streams[i])
			owner = append(owner, k)
			stream = append(stream, i)
		}
	}
	bad := func(i int) error {
		k := owner[i]
		return shards[k].damaged(dir, k, total, fmt.Sprintf("its journal %s is missing, truncated or changed since the shard finished (it no longer has the %d records and SHA-256 its shard.json recorded)", filepath.Base(parts[i]), want[i].Count))
	}
	var ref FileRef
	if relocate == nil {
		ref, err = joinFiles(filepath.Join(dir, RecordsFile), parts, want, bad)
	} else {
		ref, err = joinRelocated(filepath.Join(dir, RecordsFile), parts, want, owner, stream, relocate, bad)
	}
	if err != nil {
		return nil, err
	}
	reached("records written")
	ref.Name = RecordsFile
	m.Records = ref
	m.Warnings = m.EmptyClassWarnings()
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("merge %s: the shards do not add up (%v); run every shard again with --force, then merge", dir, err)
	}
	b, err := m.Marshal()
	if err != nil {
		return nil, err
	}
	if err := WriteFileAtomic(mpath, b); err != nil {
		return nil, err
	}
	reached("manifest written")
	if o.Finish != nil {
		if err := o.Finish(dir, m); err != nil {
			return nil, fmt.Errorf("merge %s: %w", dir, err)
		}
	}
	if err := w.removeWork(); err != nil {
		return nil, fmt.Errorf("merge %s: %w", dir, err)
	}
	return &MergeResult{Shards: total, Manifest: m, Path: mpath}, nil
}

// finishCleanup ends a merge whose files an earlier merge wrote.
func finishCleanup(w *Writer, mpath string) (*MergeResult, error) {
	m, err := ReadManifest(mpath)
	if err != nil {
		return nil, fmt.Errorf("merge %s: the work folder says an earlier merge finished, but %w; run the shards again with --force, then merge", w.dir, err)
	}
	if err := w.removeWork(); err != nil {
		return nil, fmt.Errorf("merge %s: %w", w.dir, err)
	}
	return &MergeResult{Manifest: m, Path: mpath, Finished: true}, nil
}

// readShards reads every shard file of dir's work folder, keyed by shard number, and
// their total. It refuses mixed totals and missing or unfinished shards.
func readShards(dir string) (map[int]*ShardFile, int, error) {
	root := filepath.Join(dir, WorkDir)
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, 0, fmt.Errorf("merge %s: %w", dir, err)
	}
	shards := map[int]*ShardFile{}
	started := map[int]bool{}
	total := 0
	for _, e := range entries {
		mm := shardName.FindStringSubmatch(e.Name())
		if mm == nil || !e.IsDir() {
			continue
		}
		k, _ := strconv.Atoi(mm[1])
		n, _ := strconv.Atoi(mm[2])
		if total == 0 {
			total = n
		} else if n != total {
			return nil, 0, fmt.Errorf("merge %s: shards of different totals (%d and %d) found; remove the stale ones", dir, total, n)
		}
		started[k] = true
		b, err := os.ReadFile(filepath.Join(root, e.Name(), shardFile))
		if errors.Is(err, fs.ErrNotExist) {
			continue // not finished: listed with the missing ones below
		}
		var sf ShardFile
		if err != nil || json.Unmarshal(b, &sf) != nil || !sf.Complete || sf.Manifest == nil || len(sf.Job) == 0 || sf.Shard != (ShardOf{Index: k, Count: n}).String() {
			return nil, 0, (&ShardFile{Command: sf.Command}).damaged(dir, k, n, "its shard.json is damaged")
		}
		shards[k] = &sf
	}
	if total == 0 {
		return shards, 0, nil
	}
	if err := missingShards(dir, total, shards, started); err != nil {
		return nil, 0, err
	}
	return shards, total, nil
}

// damaged says that shard k/n cannot be merged and how to write it again.
func (sf *ShardFile) damaged(dir string, k, n int, why string) error {
	how := fmt.Sprintf("run `shiftgen generate ... --shard %d/%d --force` with the job's other options", k, n)
	if sf.Command != "" {
		how = fmt.Sprintf("run `%s --force`", sf.Command)
	}
	return fmt.Errorf("merge %s: shard %d/%d cannot be merged: %s; write that shard again (%s), then merge", dir, k, n, why, how)
}

// shardDirs lists the shards' work folders in shard order.
func shardDirs(root string, total int) []string {
	var d []string
	for k := 1; k <= total; k++ {
		d = append(d, filepath.Join(root, ShardOf{Index: k, Count: total}.workName()))
	}
	return d
}

// mergeManifests checks that the shards come from one job and adds up their counts and
// skips into the manifest one Writer would have written (without its records).
func mergeManifests(dir string, shards map[int]*ShardFile, total int, sameJob func(a, b []byte) []string) (*Manifest, error) {
	first := shards[1]
	tmpl, _ := json.Marshal(withoutCounts(first.Manifest))
	for k := 2; k <= total; k++ {
		var d []string
		if sameJob != nil {
			d = sameJob(first.Job, shards[k].Job)
		} else if !bytes.Equal(first.Job, shards[k].Job) {
			d = []string{"the job descriptions differ"}
		}
		if len(d) > 0 {
			return nil, fmt.Errorf("merge %s: shard %d/%d came from other options or input than shard 1/%d: %v", dir, k, total, total, d)
		}
		if t, _ := json.Marshal(withoutCounts(shards[k].Manifest)); string(t) != string(tmpl) {
			return nil, fmt.Errorf("merge %s: shard %d/%d's manifest differs from shard 1's", dir, k, total)
		}
	}
	m := *first.Manifest
	m.Counts = nil
	var skipped []Skip
	seen := map[string]bool{}
	for k := 1; k <= total; k++ {
		sm := shards[k].Manifest
		for i, c := range sm.Counts {
			if i >= len(m.Counts) {
				cc := c
				cc.PerClass = make([]int, len(c.PerClass))
				cc.Stats = nil
				cc.Images = 0
				m.Counts = append(m.Counts, cc)
			}
			mc := &m.Counts[i]
			if len(c.PerClass) != len(mc.PerClass) {
				return nil, shards[k].damaged(dir, k, total, "its shard.json counts another number of classes")
			}
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
	m.Skipped = SortSkips(skipped)
	return &m, nil
}

func withoutCounts(m *Manifest) Manifest {
	c := *m
	c.Counts, c.Skipped, c.Records = nil, nil, FileRef{}
	return c
}

// SortSkips orders skipped inputs by split and source, as every manifest lists them, and
// returns an empty (not nil) list for none.
func SortSkips(s []Skip) []Skip {
	sort.SliceStable(s, func(a, b int) bool {
		if s[a].Split != s[b].Split {
			return s[a].Split < s[b].Split
		}
		return s[a].Source < s[b].Source
	})
	if s == nil {
		s = []Skip{}
	}
	return s
}

// joinRelocated joins the parts like joinFiles, but rewrites every record's placement
// through relocate (container formats, whose shards' positions move when joined); part
// i is stream stream[i] of shard owner[i]. Each part is read once: its count and SHA-256
// are checked against want[i] as it is read, and a part that differs is refused with
// bad(i) (the joined file, still under its temporary name, is then dropped).
func joinRelocated(path string, parts []string, want []FileRef, owner, stream []int, relocate func(int, int, Placement) Placement, bad func(int) error) (FileRef, error) {
	af, err := CreateAtomic(path, Durable)
	if err != nil {
		return FileRef{}, err
	}
	defer af.Abort()
	rw := NewRecordWriter(af)
	for i, p := range parts {
		f, err := os.Open(p)
		if err != nil {
			return FileRef{}, bad(i)
		}
		var werr error
		err = ReadRecords(context.Background(), f, p, ReadOptions{Workers: 1, Want: &want[i]}, func(r *Record) error {
			pl := relocate(owner[i]-1, stream[i], placementOf(r))
			r.Path, r.In, r.Size, r.SHA256 = pl.Path, pl.In, pl.Size, pl.SHA256
			werr = rw.Write(r)
			return werr
		})
		f.Close()
		if werr != nil {
			return FileRef{}, fmt.Errorf("write %s: %w", path, werr)
		}
		if err != nil {
			return FileRef{}, bad(i)
		}
	}
	n, sum, err := rw.Close()
	if err != nil {
		return FileRef{}, fmt.Errorf("write %s: %w", path, err)
	}
	if err := af.Commit(); err != nil {
		return FileRef{}, err
	}
	return FileRef{Count: n, SHA256: sum}, nil
}

// missingShards returns the error merge gives when some of shards 1..total of dir have
// no finished shard file (nil when all are done). It names each with the array index
// that writes it (Slurm's SLURM_ARRAY_TASK_ID, a Kubernetes Indexed Job's
// JOB_COMPLETION_INDEX: shard k is index k−1) and says whether it started.
func missingShards(dir string, total int, done map[int]*ShardFile, started map[int]bool) error {
	var names, indices, requeue []string
	for k := 1; k <= total; k++ {
		if done[k] != nil {
			continue
		}
		state := "missing"
		if started[k] {
			state = "unfinished"
		}
		names = append(names, fmt.Sprintf("%d/%d (array index %d, %s)", k, total, k-1, state))
		indices = append(indices, strconv.Itoa(k-1))
		requeue = append(requeue, fmt.Sprintf("JOBID_%d", k-1))
	}
	if len(names) == 0 {
		return nil
	}
	return fmt.Errorf("merge %s: %d of %d shards are not finished: %s; rerun them with --resume (Slurm: scontrol requeue %s, or sbatch --array=%s with --shards %d), then merge again",
		dir, len(names), total, strings.Join(names, ", "), strings.Join(requeue, ","), strings.Join(indices, ","), total)
}

// checkSiblings refuses to start or resume shard s beside shards of another total in
// the work folder root (OUT/<shift>/.work): the job was started with another shard
// count, as when an array is resubmitted with other bounds. force lets the run go ahead.
func checkSiblings(root string, s ShardOf, force bool) error {
	if force {
		return nil
	}
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil // no shard has started yet
	}
	for _, e := range entries {
		m := shardName.FindStringSubmatch(e.Name())
		if m == nil {
			continue
		}
		if n, _ := strconv.Atoi(m[2]); n != s.Count {
			return fmt.Errorf("shard %s: %s holds shards of a %d-shard job (%s); run this part as --shard K/%d (with --shard auto: --array=0-%d, or --shards %d), or pass --force to start a %d-shard job beside them",
				s, root, n, e.Name(), n, n-1, n, s.Count)
		}
	}
	return nil
}
