package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// The cluster recipes live in pipeline/README.md; these tests keep them honest.
const recipesReadme = "../../pipeline/README.md"

// readmeBlock is a fenced block of a README with the paragraph just before it.
type readmeBlock struct {
	lang, before, body string
}

func readmeBlocks(t *testing.T) []readmeBlock {
	t.Helper()
	data, err := os.ReadFile(recipesReadme)
	if err != nil {
		t.Fatal(err)
	}
	var blocks []readmeBlock
	lines := strings.SplitAfter(string(data), "\n")
	before, blank := "", false
	for i := 0; i < len(lines); i++ {
		l := strings.TrimRight(lines[i], "\n")
		if !strings.HasPrefix(l, "```") {
			switch {
			case strings.TrimSpace(l) == "":
				blank = true
			case blank: // a new paragraph
				before, blank = l+"\n", false
			default:
				before += l + "\n"
			}
			continue
		}
		b := readmeBlock{lang: strings.TrimPrefix(l, "```"), before: before}
		for i++; i < len(lines) && strings.TrimRight(lines[i], "\n") != "```"; i++ {
			b.body += lines[i]
		}
		blocks = append(blocks, b)
		before, blank = "", false
	}
	return blocks
}

// TestReadmeJobScripts: the job scripts in pipeline/README.md are exactly the files the
// Slurm test submits (testdata/slurm/*.sh), each shown once, after a paragraph naming it.
func TestReadmeJobScripts(t *testing.T) {
	files, _ := filepath.Glob("../../testdata/slurm/*.sh")
	if len(files) < 2 {
		t.Fatalf("job scripts: %v", files)
	}
	blocks := readmeBlocks(t)
	for _, f := range files {
		want, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		name := "testdata/slurm/" + filepath.Base(f)
		shown := 0
		for _, b := range blocks {
			if b.lang == "bash" && strings.Contains(b.before, name) {
				shown++
				if b.body != string(want) {
					t.Errorf("pipeline/README.md's %s differs from the file; copy the file into it", name)
				}
			}
		}
		if shown != 1 {
			t.Errorf("pipeline/README.md shows %s %d times, want once (a bash block after a paragraph naming it)", name, shown)
		}
	}
	// No other job script hides there.
	for _, b := range blocks {
		if b.lang == "bash" && strings.Contains(b.body, "#SBATCH") && !strings.Contains(b.before, "testdata/slurm/") {
			t.Errorf("pipeline/README.md has a job script that is not one of testdata/slurm/*.sh:\n%s", b.body)
		}
	}
}

// TestReadmeIndexedJob checks the Kubernetes Indexed Job of pipeline/README.md against
// --shard auto: with the manifest's --shards, the Job's completion indexes
// 0..completions−1 map one to one onto shards 1..N of N = completions, and no other
// index is accepted.
func TestReadmeIndexedJob(t *testing.T) {
	var manifest string
	for _, b := range readmeBlocks(t) {
		if b.lang == "yaml" && strings.Contains(b.body, "completionMode: Indexed") {
			manifest = b.body
		}
	}
	if manifest == "" {
		t.Fatal("pipeline/README.md has no Indexed Job manifest")
	}
	field := func(name string) int {
		m := regexp.MustCompile(`(?m)^\s*` + name + `:\s*(\d+)\s*$`).FindStringSubmatch(manifest)
		if m == nil {
			t.Fatalf("manifest has no %s", name)
		}
		n, _ := strconv.Atoi(m[1])
		return n
	}
	completions := field("completions")
	if p := field("parallelism"); p > completions {
		t.Errorf("parallelism %d exceeds completions %d", p, completions)
	}
	// The container's command, a flow sequence of quoted strings (valid JSON).
	m := regexp.MustCompile(`(?s)command:\s*(\[.*?\])`).FindStringSubmatch(manifest)
	if m == nil {
		t.Fatal("manifest has no command")
	}
	var command []string
	if err := json.Unmarshal([]byte(m[1]), &command); err != nil {
		t.Fatalf("command %s: %v", m[1], err)
	}
	flag := func(name string) string {
		for i, a := range command {
			if a == name && i+1 < len(command) {
				return command[i+1]
			}
		}
		return ""
	}
	if command[0] != "shiftgen" || command[1] != "generate" || flag("--shard") != "auto" {
		t.Fatalf("command %q does not run `shiftgen generate --shard auto`", command)
	}
	shards, err := strconv.Atoi(flag("--shards"))
	if err != nil {
		t.Fatalf("command %q: --shards: %v", command, err)
	}
	seen := map[int]bool{}
	for i := 0; i < completions; i++ {
		t.Setenv("JOB_COMPLETION_INDEX", strconv.Itoa(i))
		s, err := shardFlag(flag("--shard"), shards)
		if err != nil {
			t.Fatalf("index %d: %v", i, err)
		}
		if s.N != completions || s.K != i+1 || seen[s.K] {
			t.Fatalf("index %d: shard %s; want %d/%d, once", i, s, i+1, completions)
		}
		seen[s.K] = true
	}
	t.Setenv("JOB_COMPLETION_INDEX", strconv.Itoa(completions))
	if s, err := shardFlag("auto", shards); err == nil {
		t.Fatalf("index %d (= completions) accepted as shard %s", completions, s)
	}
}

// TestJobArrayIndexMapping checks testdata/slurm/array.sh against --shard auto: with the
// variables Slurm sets for its #SBATCH --array range, every task maps to its own shard
// and together they cover 1..N; the array resubmitted without index 0 is refused.
func TestJobArrayIndexMapping(t *testing.T) {
	data, err := os.ReadFile("../../testdata/slurm/array.sh")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^#SBATCH --array=(\d+)-(\d+)$`).FindStringSubmatch(string(data))
	if m == nil || !strings.Contains(string(data), "--shard auto") {
		t.Fatal("array.sh has no #SBATCH --array=A-B range or does not use --shard auto")
	}
	first, _ := strconv.Atoi(m[1])
	last, _ := strconv.Atoi(m[2])
	setArray := func(id, lo, hi int) {
		t.Setenv("SLURM_ARRAY_TASK_ID", strconv.Itoa(id))
		t.Setenv("SLURM_ARRAY_TASK_MIN", strconv.Itoa(lo))
		t.Setenv("SLURM_ARRAY_TASK_MAX", strconv.Itoa(hi))
		t.Setenv("SLURM_ARRAY_TASK_COUNT", strconv.Itoa(hi-lo+1))
		t.Setenv("SLURM_ARRAY_TASK_STEP", "1")
	}
	n := last - first + 1
	for id := first; id <= last; id++ {
		setArray(id, first, last)
		s, err := shardFlag("auto", 0)
		if err != nil || s.K != id-first+1 || s.N != n {
			t.Fatalf("task %d of --array=%d-%d: shard %s, %v; want %d/%d", id, first, last, s, err, id-first+1, n)
		}
	}
	setArray(last, 1, last)
	if s, err := shardFlag("auto", 0); err == nil {
		t.Fatalf("--array=1-%d accepted as shard %s", last, s)
	}
	// Redoing one task as a new array works with --shards (SHIFTGEN_OPTS in array.sh).
	setArray(last, last, last)
	if s, err := shardFlag("auto", n); err != nil || s.K != n || s.N != n {
		t.Fatalf("--array=%d with --shards %d: %s, %v", last, n, s, err)
	}
	if _, err := shardFlag("3/4", n); err == nil {
		t.Fatal("--shards accepted with --shard K/N")
	}
}

// TestSampleShardsMerge: shards of the embedded sample, each extracting it anew, are one
// job; merged, they equal one process's output.
func TestSampleShardsMerge(t *testing.T) {
	args := func(out string, extra ...string) []string {
		return append([]string{"shiftgen", "generate", "--out", out, "--shift", "vflip", "--quiet"}, extra...)
	}
	ref, out := t.TempDir(), t.TempDir()
	if code := run(context.Background(), args(ref)); code != 0 {
		t.Fatalf("one process: exit %d", code)
	}
	for k := 1; k <= 3; k++ {
		if code := run(context.Background(), args(out, "--shard", fmt.Sprintf("%d/3", k))); code != 0 {
			t.Fatalf("shard %d/3: exit %d", k, code)
		}
	}
	if code := run(context.Background(), []string{"shiftgen", "merge", filepath.Join(out, "vflip")}); code != 0 {
		t.Fatalf("merge: exit %d", code)
	}
	compareTrees(t, tree(t, ref), tree(t, out))
}
