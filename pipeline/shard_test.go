package pipeline

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/shiftgen/shiftgen/manifests"
	"github.com/shiftgen/shiftgen/pipeline/internal/testimage"
)

// slurmEnv is the environment Slurm 22.05 gives array task id of `sbatch --array=spec`,
// as recorded from real tasks (SLURM_ARRAY_TASK_MIN/MAX are the smallest and largest
// index, COUNT the number of tasks, STEP the range's step).
func slurmEnv(id, first, last, count, step string) func(string) string {
	m := map[string]string{"SLURM_JOB_ID": "77", "SLURM_ARRAY_JOB_ID": "70", "SLURM_ARRAY_TASK_ID": id,
		"SLURM_ARRAY_TASK_MIN": first, "SLURM_ARRAY_TASK_MAX": last, "SLURM_ARRAY_TASK_COUNT": count, "SLURM_ARRAY_TASK_STEP": step}
	return func(k string) string { return m[k] }
}

func TestShardFromSlurm(t *testing.T) {
	for _, c := range []struct {
		name   string
		getenv func(string) string
		shards int
		want   Shard
		errHas string // "" for success
	}{
		{"--array=0-3 first", slurmEnv("0", "0", "3", "4", "1"), 0, Shard{1, 4}, ""},
		{"--array=0-3 last", slurmEnv("3", "0", "3", "4", "1"), 0, Shard{4, 4}, ""},
		{"--array=0-31 middle", slurmEnv("17", "0", "31", "32", "1"), 0, Shard{18, 32}, ""},
		{"--array=0 alone", slurmEnv("0", "0", "0", "1", "1"), 0, Shard{1, 1}, ""},
		{"no STEP variable (older Slurm)", slurmEnv("1", "0", "1", "2", ""), 0, Shard{2, 2}, ""},
		{"--array=1-4 starts at 1", slurmEnv("2", "1", "4", "4", "1"), 0, Shard{}, "starts at 1, not 0"},
		{"--array=2 resubmitted alone", slurmEnv("2", "2", "2", "1", "1"), 0, Shard{}, "starts at 2, not 0"},
		{"--array=0-6:3 steps", slurmEnv("0", "0", "6", "3", "3"), 0, Shard{}, "steps by 3"},
		{"--array=0,2,5 gaps", slurmEnv("2", "0", "5", "3", "1"), 0, Shard{}, "has gaps"},
		{"id above MAX", slurmEnv("4", "0", "3", "4", "1"), 0, Shard{}, "outside its array 0-3"},
		{"id below MIN", slurmEnv("0", "1", "3", "3", "1"), 0, Shard{}, "outside its array 1-3"},
		{"COUNT missing", slurmEnv("1", "0", "3", "", "1"), 0, Shard{}, "missing"},
		{"not a number", slurmEnv("x", "0", "3", "4", "1"), 0, Shard{}, `SLURM_ARRAY_TASK_ID "x"`},
		{"negative", slurmEnv("1", "-1", "3", "4", "1"), 0, Shard{}, `SLURM_ARRAY_TASK_MIN "-1"`},
		// With --shards N the array index is the shard index, whatever part of the array runs.
		{"--array=2 --shards 4", slurmEnv("2", "2", "2", "1", "1"), 4, Shard{3, 4}, ""},
		{"--array=1,3 --shards 4", slurmEnv("3", "1", "3", "2", "1"), 4, Shard{4, 4}, ""},
		{"--array=0-6:3 --shards 7", slurmEnv("6", "0", "6", "3", "3"), 7, Shard{7, 7}, ""},
		{"--array=0-4 --shards 4", slurmEnv("1", "0", "4", "5", "1"), 4, Shard{}, "array index 4 is out of range for --shards 4"},
		{"--array=4 --shards 4", slurmEnv("4", "4", "4", "1", "1"), 4, Shard{}, "out of range"},
		{"--shards -1", slurmEnv("0", "0", "3", "4", "1"), -1, Shard{}, "--shards -1"},
	} {
		s, err := ShardFromEnv(c.getenv, c.shards)
		if c.errHas == "" {
			if err != nil || s != c.want {
				t.Errorf("%s: got %v, %v; want %v", c.name, s, err, c.want)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.errHas) {
			t.Errorf("%s: got %v, %v; want an error with %q", c.name, s, err, c.errHas)
		}
	}
}

func TestShardFromKubernetes(t *testing.T) {
	env := func(idx string) func(string) string {
		return func(k string) string {
			if k == "JOB_COMPLETION_INDEX" {
				return idx
			}
			return ""
		}
	}
	// Every index of a Job with 5 completions maps to a distinct shard, 1..5 in order.
	for i := 0; i < 5; i++ {
		s, err := ShardFromEnv(env(strconv.Itoa(i)), 5)
		if err != nil || s != (Shard{i + 1, 5}) {
			t.Fatalf("index %d: %v %v", i, s, err)
		}
	}
	for _, c := range []struct {
		idx    string
		shards int
		errHas string
	}{{"5", 5, "not below --shards 5"}, {"-1", 5, "not a non-negative"}, {"a", 5, "not a non-negative"}, {"0", 0, "needs --shards"}} {
		if _, err := ShardFromEnv(env(c.idx), c.shards); err == nil || !strings.Contains(err.Error(), c.errHas) {
			t.Errorf("index %s, shards %d: %v", c.idx, c.shards, err)
		}
	}
	if _, err := ShardFromEnv(func(k string) string { return map[string]string{"SLURM_JOB_ID": "12"}[k] }, 0); err == nil ||
		!strings.Contains(err.Error(), "not a job array") {
		t.Errorf("plain Slurm job: %v", err)
	}
}

// TestMergeNamesMissingShards: merge lists every shard that is not finished with the
// array index that writes it, telling a started one from one that never ran; a shard of
// another total is refused before it writes anything.
func TestMergeNamesMissingShards(t *testing.T) {
	root := smallTree(t, 3, 4)
	out := t.TempDir()
	run := func(s Shard) error {
		o := baseOpts(root, out)
		o.Shifts = []string{"vflip"}
		o.Shard = s
		_, err := Run(context.Background(), o)
		return err
	}
	for _, k := range []int{1, 3} {
		if err := run(Shard{k, 4}); err != nil {
			t.Fatal(err)
		}
	}
	// Shard 2 started but did not finish: its work folder has no shard.json.
	if err := os.MkdirAll(filepath.Join(out, "vflip", WorkDir, "shard-2-of-4"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := Merge(filepath.Join(out, "vflip"))
	want := "2 of 4 shards are not finished: 2/4 (array index 1, unfinished), 4/4 (array index 3, missing); rerun them with --resume (Slurm: scontrol requeue JOBID_1,JOBID_3"
	if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "sbatch --array=1,3 with --shards 4") {
		t.Fatalf("merge with shards missing: %v", err)
	}
	// An array resubmitted with other bounds (here one task: shard 1/1) is refused.
	err = run(Shard{1, 1})
	if err == nil || !strings.Contains(err.Error(), "holds shards of a 4-shard job") || !strings.Contains(err.Error(), "--shards 4") {
		t.Fatalf("shard 1/1 beside shards of 4: %v", err)
	}
	if _, err := os.Stat(filepath.Join(out, "vflip", WorkDir, "shard-1-of-1")); !os.IsNotExist(err) {
		t.Fatalf("the refused shard left a work folder: %v", err)
	}
	for _, k := range []int{2, 4} {
		if err := run(Shard{k, 4}); err != nil { // shard 2 starts over its empty folder
			t.Fatal(err)
		}
	}
	if res, err := Merge(filepath.Join(out, "vflip")); err != nil || res.Shards != 4 {
		t.Fatalf("merge once all are done: %+v %v", res, err)
	}
}

// TestShardResumeLeavesOtherShardsTemps: shards share the dataset folders, so a shard
// resuming beside running ones removes only the temporary files of its own work folder,
// never those another shard is writing at that moment; the temporary images a killed
// shard left in the shared folders are removed by merge, once no shard runs.
func TestShardResumeLeavesOtherShardsTemps(t *testing.T) {
	root := smallTree(t, 2, 4) // classa/img0..3, classb/img0..3: shard 1/2 is classa
	out := t.TempDir()
	o := baseOpts(root, out)
	o.Shifts = []string{"vflip"}
	o.Shard = Shard{1, 2}
	if _, err := Run(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(out, "vflip")
	mine := filepath.Join(dir, WorkDir, "shard-1-of-2", ".job.json.tmp-77") // a killed shard 1's
	leftImage := filepath.Join(dir, "shifted", "val", "classa", ".img2.jpg.tmp-123")
	theirs := []string{ // what a running shard 2 has in flight
		filepath.Join(dir, "shifted", "val", "classb", ".img2.jpg.tmp-456"),
		filepath.Join(dir, "reference", "val", "classb", ".img0.jpg.tmp-9"),
		filepath.Join(dir, WorkDir, "shard-2-of-2", ".job.json.tmp-5"),
	}
	for _, p := range append([]string{mine, leftImage}, theirs...) {
		testimage.WriteFile(t, p, []byte("partial"))
	}
	o.Resume = true
	if _, err := Run(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(mine); !os.IsNotExist(err) {
		t.Errorf("shard 1's own temporary file %s was left: %v", mine, err)
	}
	for _, p := range theirs {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("shard 2's temporary file %s was removed by shard 1's resume: %v", p, err)
		}
	}
	// Shard 2 finishes (its in-flight journal file is gone with its restart), then merge
	// leaves no temporary file anywhere.
	o.Resume, o.Force, o.Shard = false, true, Shard{2, 2}
	if _, err := Run(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	if _, err := Merge(dir); err != nil {
		t.Fatal(err)
	}
	for p := range testimage.ReadTree(t, dir) {
		if manifests.IsTemp(filepath.Base(p)) {
			t.Errorf("temporary file %s survived the merge", p)
		}
	}
}
