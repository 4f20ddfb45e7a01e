package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/shiftgen/shiftgen/manifests"
)

// The tests in this file submit the job scripts of pipeline/README.md
// (testdata/slurm/*.sh) to a real Slurm cluster. `make test-slurm` starts a one-node
// cluster (.ci/slurm-cluster.sh), then runs them with SHIFTGEN_SLURM=1, SLURM_CONF and
// SHIFTGEN_BIN (the built bin/shiftgen) set; elsewhere they skip.

// slurmShifts are the shifts the tests generate (the job script's default list).
var slurmShifts = []string{"spurious-tint", "vflip", "night:severity=3"}

// slurmTimeout bounds every wait on the scheduler.
const slurmTimeout = 4 * time.Minute

// slurm submits and watches jobs on the test cluster.
type slurm struct {
	t   *testing.T
	bin string   // the real shiftgen binary, absolute and resolved
	dir string   // scratch folder for outputs and job logs
	env []string // the environment jobs are submitted with
}

// newSlurm skips unless a cluster is up, and returns a client whose jobs find shiftgen
// (or the fault-injecting stand-in below) first in PATH.
func newSlurm(t *testing.T) *slurm {
	if os.Getenv("SHIFTGEN_SLURM") != "1" {
		t.Skip("needs the one-node Slurm cluster: run `make test-slurm`")
	}
	if os.Getenv("SLURM_CONF") == "" {
		t.Fatal("SHIFTGEN_SLURM=1 but SLURM_CONF is not set")
	}
	bin, err := filepath.Abs(os.Getenv("SHIFTGEN_BIN"))
	if err == nil {
		bin, err = filepath.EvalSymlinks(bin)
	}
	if err != nil || os.Getenv("SHIFTGEN_BIN") == "" {
		t.Fatalf("SHIFTGEN_BIN must name the built shiftgen (make build): %v", err)
	}
	dir := t.TempDir()
	// A stand-in shiftgen: the real one, except that an array task whose fault file
	// exists runs once with its file size limited (prlimit), as on a full disk.
	path := filepath.Join(dir, "bin")
	stand := `#!/bin/sh
f="$SHIFTGEN_FAULTS/fsize-${SLURM_ARRAY_TASK_ID:-none}"
if [ -e "$f" ]; then
  limit=$(cat "$f")
  rm -f "$f"
  exec prlimit --fsize="$limit" "$SHIFTGEN_REAL" "$@"
fi
exec "$SHIFTGEN_REAL" "$@"
`
	// TMPDIR: a killed task cannot remove the sample it extracted; it goes with dir.
	for _, d := range []string{path, filepath.Join(dir, "faults"), filepath.Join(dir, "logs"), filepath.Join(dir, "tmp")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(path, "shiftgen"), []byte(stand), 0o755); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "PATH="+path+":"+os.Getenv("PATH"), "SHIFTGEN_REAL="+bin,
		"SHIFTGEN_FAULTS="+filepath.Join(dir, "faults"), "SHIFTS="+strings.Join(slurmShifts, " "), "TMPDIR="+filepath.Join(dir, "tmp"))
	return &slurm{t: t, bin: bin, dir: dir, env: env}
}

// run runs a Slurm client command and returns its standard output.
func (s *slurm) run(name string, args ...string) string {
	s.t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = s.env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		s.t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.String())
	}
	return strings.TrimSpace(string(out))
}

// sbatch submits a job with extra environment variables and returns its id.
func (s *slurm) sbatch(env []string, args ...string) string {
	s.t.Helper()
	cmd := exec.Command("sbatch", append([]string{"--parsable", "--chdir=" + s.dir}, args...)...)
	cmd.Env = append(append([]string{}, s.env...), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		s.t.Fatalf("sbatch %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	id, _, _ := strings.Cut(strings.TrimSpace(string(out)), ";")
	s.t.Cleanup(func() { exec.Command("scancel", id).Run() }) // nothing is left queued
	return id
}

// jobs returns what `scontrol show job ID` says of a job, one field map per record,
// keyed by array task index ("0", "1", ...; "2-3" for pending ones) or job id.
func (s *slurm) jobs(id string) map[string]map[string]string {
	s.t.Helper()
	res := map[string]map[string]string{}
	for _, line := range strings.Split(s.run("scontrol", "-o", "show", "job", id), "\n") {
		f := map[string]string{}
		for _, kv := range strings.Fields(line) {
			if k, v, ok := strings.Cut(kv, "="); ok {
				f[k] = v
			}
		}
		key := f["ArrayTaskId"]
		if key == "" {
			key = f["JobId"]
		}
		res[key] = f
	}
	return res
}

// acctRow is one line of `sacct -X -D`: every run of every job, requeued runs included.
type acctRow struct{ JobID, State, ExitCode, Start, End string }

func (r acctRow) String() string {
	return fmt.Sprintf("%-8s %-10s %-8s %s %s", r.JobID, r.State, r.ExitCode, r.Start, r.End)
}

// sacct reads the accounting records of the given jobs from slurmdbd.
func (s *slurm) sacct(ids ...string) []acctRow {
	s.t.Helper()
	var rows []acctRow
	out := s.run("sacct", "-n", "-P", "-X", "-D", "-j", strings.Join(ids, ","), "-o", "JobID,State,ExitCode,Start,End")
	for _, line := range strings.Split(out, "\n") {
		f := strings.Split(line, "|")
		if len(f) == 5 {
			rows = append(rows, acctRow{f[0], f[1], f[2], f[3], f[4]})
		}
	}
	return rows
}

// waitFor polls cond until it holds; it fails, with the queue and job logs, after
// slurmTimeout. cond may itself fail the test (a job that can never start, say).
func (s *slurm) waitFor(what string, cond func() bool) {
	s.t.Helper()
	deadline := time.Now().Add(slurmTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			s.fatal("gave up waiting for %s", what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// fatal fails the test with the scheduler's view and the job logs attached.
func (s *slurm) fatal(format string, args ...any) {
	s.t.Helper()
	var b strings.Builder
	q, _ := exec.Command("squeue", "-t", "all", "-o", "%i %T %r").CombinedOutput()
	fmt.Fprintf(&b, "squeue:\n%s", q)
	logs, _ := filepath.Glob(filepath.Join(s.dir, "logs", "*"))
	for _, l := range logs {
		data, _ := os.ReadFile(l)
		fmt.Fprintf(&b, "--- %s\n%s", filepath.Base(l), data)
	}
	s.t.Fatalf(format+"\n%s", append(args, b.String())...)
}

// taskProcess returns the pid of the shiftgen process running array task jobID_task,
// or 0 when there is none.
func (s *slurm) taskProcess(jobID, task string) int {
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if exe, err := os.Readlink(filepath.Join("/proc", e.Name(), "exe")); err != nil || exe != s.bin {
			continue
		}
		env, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		env = append([]byte{0}, env...)
		if err == nil && bytes.Contains(env, []byte("\x00SLURM_ARRAY_JOB_ID="+jobID+"\x00")) &&
			bytes.Contains(env, []byte("\x00SLURM_ARRAY_TASK_ID="+task+"\x00")) {
			return pid
		}
	}
	return 0
}

// stopped waits until process pid is stopped; false when it is gone.
func stopped(pid int) bool {
	for i := 0; i < 5000; i++ {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return false
		}
		if j := bytes.LastIndexByte(b, ')'); j > 0 && j+2 < len(b) && (b[j+2] == 'T' || b[j+2] == 't') {
			return true
		}
		time.Sleep(100 * time.Microsecond)
	}
	return false
}

// killMidRun SIGKILLs the shiftgen process of array task jobID_task at a moment when
// some but not all of paths (the files its shard writes, under out) exist. The process
// is frozen (SIGSTOP) while the files are counted, so the count is what the kill
// interrupts. It returns that count.
func (s *slurm) killMidRun(jobID, task, out string, paths []string) int {
	s.t.Helper()
	count := func() int {
		n := 0
		for _, p := range paths {
			if _, err := os.Stat(filepath.Join(out, p)); err == nil {
				n++
			}
		}
		return n
	}
	// Look for the process every millisecond; ask Slurm about the task now and then.
	var pid int
	deadline := time.Now().Add(slurmTimeout)
	for i := 0; pid == 0; i++ {
		if pid = s.taskProcess(jobID, task); pid != 0 {
			break
		}
		if time.Now().After(deadline) {
			s.fatal("task %s's shiftgen process never appeared", task)
		}
		if i%200 == 0 {
			if st := s.jobs(jobID)[task]["JobState"]; st == "COMPLETED" || st == "FAILED" {
				s.fatal("task %s ended (%s) before its process was seen", task, st)
			}
		}
		time.Sleep(time.Millisecond)
	}
	syscall.Kill(pid, syscall.SIGSTOP)
	for {
		if !stopped(pid) {
			s.fatal("task %s's process %d ended before the kill", task, pid)
		}
		n := count()
		if n == len(paths) {
			s.fatal("task %s had written all %d files before the kill", task, n)
		}
		if n > 0 {
			syscall.Kill(pid, syscall.SIGKILL)
			return n
		}
		syscall.Kill(pid, syscall.SIGCONT)
		time.Sleep(2 * time.Millisecond)
		syscall.Kill(pid, syscall.SIGSTOP)
	}
}

// localRun runs the real shiftgen here, outside Slurm, and returns its wall time.
func (s *slurm) localRun(args ...string) time.Duration {
	s.t.Helper()
	start := time.Now()
	cmd := exec.Command(s.bin, args...)
	if out, err := cmd.CombinedOutput(); err != nil {
		s.t.Fatalf("shiftgen %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return time.Since(start)
}

// generateArgs are the generate options the job script adds, minus sharding.
func generateArgs(in, out string, workers int) []string {
	args := []string{"generate", "--out", out, "--workers", strconv.Itoa(workers), "--quiet"}
	if in != "" {
		args = append(args, "--in", in)
	}
	for _, sh := range slurmShifts {
		args = append(args, "--shift", sh)
	}
	return args
}

// shardFiles returns, for shard k of n, the files it writes in every dataset under ref
// (a one-process run): the records of its contiguous range of plan jobs. The embedded
// sample has one split, so plan jobs are the val indices in order.
func shardFiles(t *testing.T, ref string, k, n int) (paths []string, sizes []int64) {
	t.Helper()
	dirs, _ := filepath.Glob(filepath.Join(ref, "*", manifests.RecordsFile))
	sort.Strings(dirs)
	type rec struct {
		path  string
		size  int64
		index int
	}
	var all []rec
	jobs := map[int]bool{}
	for _, rf := range dirs {
		recs, err := manifests.ReadRecordsFile(rf)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			if r.Split != "val" {
				t.Fatalf("%s: split %s; shardFiles expects the embedded sample's val split only", rf, r.Split)
			}
			jobs[r.Index] = true
			rel, _ := filepath.Rel(ref, filepath.Join(filepath.Dir(rf), filepath.FromSlash(r.Path)))
			all = append(all, rec{rel, r.Size, r.Index})
		}
	}
	lo, hi := (k-1)*len(jobs)/n, k*len(jobs)/n
	sort.SliceStable(all, func(a, b int) bool { return all[a].index < all[b].index })
	for _, r := range all {
		if r.index >= lo && r.index < hi {
			paths = append(paths, r.path)
			sizes = append(sizes, r.size)
		}
	}
	return paths, sizes
}

// TestSlurmArray runs the recipes' job array and merge job on Slurm with the embedded
// sample: task 1's shiftgen is SIGKILLed mid-run and requeued, task 2 fails once (its
// files may not grow past a limit, as on a full disk) and is requeued, and the merge
// job, held by afterok on the array, waits for both. Every step is checked through
// Slurm's accounting (sacct) and the result byte for byte against one local process.
func TestSlurmArray(t *testing.T) {
	s := newSlurm(t)
	ref := filepath.Join(s.dir, "ref")
	s.localRun(generateArgs("", ref, 2)...)
	out := filepath.Join(s.dir, "out")
	const tasks = 4

	// Task 2's fault: a file size limit above every file its first two jobs write (and
	// every sample file, extracted at start-up) but below a later one, so that it fails
	// part-way with files on disk.
	paths2, sizes2 := shardFiles(t, ref, 3, tasks)
	perJob := 2 * len(slurmShifts)
	limit := int64(0)
	filepath.Walk("sample", func(p string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() {
			limit = max(limit, fi.Size())
		}
		return nil
	})
	for _, sz := range sizes2[:2*perJob] {
		limit = max(limit, sz)
	}
	limit++
	bigger := 0
	for _, sz := range sizes2[2*perJob:] {
		if sz >= limit {
			bigger++
		}
	}
	if bigger == 0 {
		t.Fatalf("no file of shard 3 is larger than %d bytes; cannot place the fault", limit)
	}
	if err := os.WriteFile(filepath.Join(s.dir, "faults", "fsize-2"), []byte(strconv.FormatInt(limit, 10)), 0o644); err != nil {
		t.Fatal(err)
	}

	// The recipe: the array, then the merge job held until it has succeeded.
	jobEnv := []string{"IN=", "OUT=" + out}
	array := s.sbatch(jobEnv, "--array=0-3", "--cpus-per-task=1", "--output=logs/array-%A_%a.out", "../../testdata/slurm/array.sh")
	merge := s.sbatch(jobEnv, "--dependency=afterok:"+array, "--output=logs/merge-%j.out", "../../testdata/slurm/merge.sh")
	t.Logf("array job %s, merge job %s", array, merge)

	paths1, _ := shardFiles(t, ref, 2, tasks)
	n := s.killMidRun(array, "1", out, paths1)
	t.Logf("task 1 SIGKILLed with %d of its %d files written", n, len(paths1))

	state := func(task string) string { return s.jobs(array)[task]["JobState"] }
	s.waitFor("task 1 to fail", func() bool { return state("1") == "FAILED" })
	s.run("scontrol", "requeue", array+"_1")
	s.waitFor("task 2 to fail", func() bool { return state("2") == "FAILED" })
	written := 0
	for _, p := range paths2 {
		if _, err := os.Stat(filepath.Join(out, p)); err == nil {
			written++
		}
	}
	if written == 0 || written == len(paths2) {
		t.Fatalf("task 2 failed with %d of its %d files written; want part of them", written, len(paths2))
	}
	s.run("scontrol", "requeue", array+"_2")

	// Slurm keeps an array's worst exit code: once a task has failed, afterok on the
	// array can never be met, even after a successful rerun. The merge job says so, and
	// is pointed at the tasks themselves, which the reruns satisfy.
	reason := func() string { return s.jobs(merge)[merge]["Reason"] }
	s.waitFor("the merge job to report DependencyNeverSatisfied", func() bool { return reason() == "DependencyNeverSatisfied" })
	var each []string
	for i := 0; i < tasks; i++ {
		each = append(each, fmt.Sprintf("%s_%d", array, i))
	}
	s.run("scontrol", "update", "jobid="+merge, "dependency=afterok:"+strings.Join(each, ":"))
	s.waitFor("the merge job to finish", func() bool {
		m := s.jobs(merge)[merge]
		switch {
		case m["JobState"] == "COMPLETED":
			return true
		case m["JobState"] != "PENDING" && m["JobState"] != "RUNNING":
			s.fatal("merge job %s", m["JobState"])
		case m["Reason"] == "DependencyNeverSatisfied":
			s.fatal("merge job: dependency never satisfied after the reruns (%s)", m["Dependency"])
		}
		return false
	})

	// Slurm's accounting: every run of every task, the requeued ones included.
	var rows []acctRow
	s.waitFor("accounting to record the merge job", func() bool {
		rows = s.sacct(array, merge)
		return len(rows) > 0 && rows[len(rows)-1].State == "COMPLETED" && len(rows) == tasks+3
	})
	byJob := map[string][]acctRow{}
	var lines []string
	for _, r := range rows {
		byJob[r.JobID] = append(byJob[r.JobID], r)
		lines = append(lines, r.String())
	}
	t.Logf("sacct -X -D -j %s,%s -o JobID,State,ExitCode,Start,End:\n%s", array, merge, strings.Join(lines, "\n"))
	want := map[string][]string{
		array + "_0": {"COMPLETED 0:0"},
		array + "_1": {"REQUEUED 0:9", "COMPLETED 0:0"}, // killed by signal 9, then the rerun
		array + "_2": {"REQUEUED 1:0", "COMPLETED 0:0"}, // exit status 1, then the rerun
		array + "_3": {"COMPLETED 0:0"},
		merge:        {"COMPLETED 0:0"},
	}
	for id, runs := range want {
		var got []string
		for _, r := range byJob[id] {
			got = append(got, r.State+" "+r.ExitCode)
		}
		if strings.Join(got, ", ") != strings.Join(runs, ", ") {
			t.Errorf("sacct for %s: %v, want %v", id, got, runs)
		}
	}
	// The merge job started only after the last rerun ended (times have 1 s resolution).
	for id, runs := range byJob {
		if id != merge && runs[len(runs)-1].End > byJob[merge][0].Start {
			t.Errorf("merge job started at %s, before %s ended at %s", byJob[merge][0].Start, id, runs[len(runs)-1].End)
		}
	}
	for task, restarts := range map[string]string{"0": "0", "1": "1", "2": "1", "3": "0"} {
		if got := s.jobs(array)[task]["Restarts"]; got != restarts {
			t.Errorf("task %s: Restarts=%s, want %s", task, got, restarts)
		}
	}

	// The failure was the one injected, reported by shiftgen with the path.
	log2, _ := os.ReadFile(filepath.Join(s.dir, "logs", fmt.Sprintf("array-%s_2.out", array)))
	if !strings.Contains(string(log2), "file too large") || !strings.Contains(string(log2), out) {
		t.Errorf("task 2's log does not show the full-disk failure:\n%s", log2)
	}
	// The merge job merged every dataset from 4 shards and verified it.
	mlog, _ := os.ReadFile(filepath.Join(s.dir, "logs", "merge-"+merge+".out"))
	for _, dir := range []string{"spurious-tint", "vflip", "night_severity-3"} {
		d := filepath.Join(out, dir)
		if !strings.Contains(string(mlog), d+"/\t4 shards\t96 images") || !strings.Contains(string(mlog), d+"/: OK") {
			t.Errorf("merge log lacks the merge or verify line of %s:\n%s", d, mlog)
		}
	}
	// Byte for byte what one local process writes: records.jsonl, manifest.json and
	// every image, and nothing else (no journals or temporary files left).
	compareTrees(t, tree(t, ref), tree(t, out))
}

// TestSlurmOverhead measures, side by side in one run, the wall time of the job array
// (4 tasks of 1 worker, then the merge job) against one process with the same 4
// workers, and the cost of sharding and merging: the 4 shards and the merges run one
// after another here, against one process with 1 worker. It logs the ratios (one machine
// cannot show scale-out) and asserts only that all outputs are identical. It reads
// ../shared/imagenet-sample when present, else the embedded sample.
func TestSlurmOverhead(t *testing.T) {
	s := newSlurm(t)
	in := "../../../shared/imagenet-sample"
	if _, err := os.Stat(in); err != nil {
		in = ""
	} else if in, err = filepath.Abs(in); err != nil {
		t.Fatal(err)
	}
	const tasks = 4
	one4 := filepath.Join(s.dir, "one4")
	wallOne := s.localRun(generateArgs(in, one4, tasks)...)

	out := filepath.Join(s.dir, "array")
	start := time.Now()
	jobEnv := []string{"IN=" + in, "OUT=" + out}
	array := s.sbatch(jobEnv, fmt.Sprintf("--array=0-%d", tasks-1), "--cpus-per-task=1", "--output=logs/bench-%A_%a.out", "../../testdata/slurm/array.sh")
	merge := s.sbatch(jobEnv, "--dependency=afterok:"+array, "--output=logs/bench-merge-%j.out", "../../testdata/slurm/merge.sh")
	s.waitFor("the merge job to finish", func() bool {
		switch st := s.jobs(merge)[merge]["JobState"]; st {
		case "COMPLETED":
			return true
		case "PENDING", "RUNNING":
			return false
		default:
			s.fatal("merge job %s", st)
			return false
		}
	})
	wallArray := time.Since(start)
	compareTrees(t, tree(t, one4), tree(t, out))

	one1 := filepath.Join(s.dir, "one1")
	cpuOne := s.localRun(generateArgs(in, one1, 1)...)
	sharded := filepath.Join(s.dir, "sharded")
	var cpuShards time.Duration
	for k := 1; k <= tasks; k++ {
		cpuShards += s.localRun(append(generateArgs(in, sharded, 1), "--shard", fmt.Sprintf("%d/%d", k, tasks))...)
	}
	dirs, _ := filepath.Glob(filepath.Join(sharded, "*"))
	cpuShards += s.localRun(append([]string{"merge"}, dirs...)...)
	compareTrees(t, tree(t, one1), tree(t, sharded))

	source := in
	if source == "" {
		source = "the embedded sample"
	}
	t.Logf("%s, shifts %v, %d array tasks of 1 worker on %d CPUs", source, slurmShifts, tasks, runtime.NumCPU())
	t.Logf("wall: array + merge job %.1fs, one process with %d workers %.1fs: ratio %.2f",
		wallArray.Seconds(), tasks, wallOne.Seconds(), wallArray.Seconds()/wallOne.Seconds())
	t.Logf("sharding + merge: %d shards and merge one after another %.1fs, one process with 1 worker %.1fs: ratio %.2f",
		tasks, cpuShards.Seconds(), cpuOne.Seconds(), cpuShards.Seconds()/cpuOne.Seconds())
}
