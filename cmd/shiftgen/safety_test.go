package main

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/shiftgen/shiftgen/manifests"
)

// exitOf runs cmd and returns its exit code and combined output.
func exitOf(t *testing.T, cmd *exec.Cmd) (int, string) {
	t.Helper()
	b, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, string(b)
	case errors.As(err, &ee):
		return ee.ExitCode(), string(b)
	}
	t.Fatalf("%v: %v", cmd.Args, err)
	return 0, ""
}

// TestLockRefusesSecondRun starts a generate, then runs a second generate (plain, with
// --resume, with --force) and a merge on the same output while the first writes: each
// is refused at once with a message naming the first run (pid, host, command, start),
// and the first finishes with exactly the files of an undisturbed run.
func TestLockRefusesSecondRun(t *testing.T) {
	root := bigTree(t, 4, 6)
	args := func(out string) []string {
		return []string{"generate", "--in", root, "--out", out, "--shift", "vflip", "--format", "png", "--preprocess", "none", "--workers", "1", "--quiet"}
	}
	ref := t.TempDir()
	if code, b := exitOf(t, self(args(ref)...)); code != 0 {
		t.Fatalf("reference run: exit %d\n%s", code, b)
	}
	out := t.TempDir()
	first := self(args(out)...)
	var firstOut bytes.Buffer
	first.Stdout, first.Stderr = &firstOut, &firstOut
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- first.Wait() }()
	running := func() bool {
		select {
		case err := <-done:
			done <- err
			return false
		default:
			return true
		}
	}
	lock := filepath.Join(out, "vflip", manifests.WorkDir, manifests.LockFile)
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(time.Millisecond) {
		if b, _ := os.ReadFile(lock); bytes.Contains(b, []byte(`"pid"`)) {
			break
		}
		if time.Now().After(deadline) || !running() {
			t.Fatalf("the first run never wrote its lock:\n%s", firstOut.String())
		}
	}
	host, _ := os.Hostname()
	refused := 0
	for _, second := range [][]string{args(out), append(args(out), "--resume"), append(args(out), "--force"), {"merge", filepath.Join(out, "vflip")}} {
		if !running() {
			break
		}
		code, b := exitOf(t, self(second...))
		if !strings.Contains(b, "is being written") && !running() {
			break // the first run finished meanwhile
		}
		for _, want := range []string{"is being written by another shiftgen run", fmt.Sprintf("pid %d on %s", first.Process.Pid, host), "started 20", strings.Join(args(out), " ")} {
			if code != exitError || !strings.Contains(b, want) {
				t.Fatalf("%v: exit %d; the refusal lacks %q:\n%s", second, code, want, b)
			}
		}
		refused++
	}
	if err := <-done; err != nil {
		t.Fatalf("the first run failed: %v\n%s", err, firstOut.String())
	}
	if refused < 2 {
		t.Fatalf("only %d second runs overlapped the first; make the first slower", refused)
	}
	compareTrees(t, tree(t, ref), tree(t, out))
}

// TestOutputNesting: an output dataset folder that is, or lies below, a symbolic link
// into --in is refused before anything is written, as is a dangling link into it.
func TestOutputNesting(t *testing.T) {
	in := evalTree(t)
	before := tree(t, in)
	for name, setup := range map[string]func(out string) []string{
		"OUT/<shift> is a link into --in": func(out string) []string {
			os.Symlink(filepath.Join(in, "ant"), filepath.Join(out, "vflip"))
			return []string{"--shift", "vflip"}
		},
		"the parent of OUT/<corruption>/<severity> is a link into --in": func(out string) []string {
			os.Symlink(in, filepath.Join(out, "fog"))
			return []string{"--shift", "fog", "--layout", "imagenet-c"}
		},
		"OUT/<shift> is a dangling link into --in": func(out string) []string {
			os.Symlink(filepath.Join(in, "new"), filepath.Join(out, "vflip"))
			return []string{"--shift", "vflip"}
		},
	} {
		t.Run(name, func(t *testing.T) {
			out := t.TempDir()
			extra := setup(out)
			code, _, stderr := evalRun(t, append([]string{"generate", "--in", in, "--out", out, "--quiet"}, extra...)...)
			if code != exitError || !strings.Contains(stderr, "lies inside --in") || !strings.Contains(stderr, "through a symbolic link") {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			compareTrees(t, before, tree(t, in))
			if _, err := os.Stat(filepath.Join(in, "new")); err == nil {
				t.Fatal("the dangling link's target was created")
			}
		})
	}
}

// TestReservedClassNames: with --layout imagenet-c, classes are folders of the dataset
// folder itself, so a class named like the journal folder or a dataset file is refused.
func TestReservedClassNames(t *testing.T) {
	for _, class := range []string{".work", "records.jsonl", "manifest.json"} {
		in := evalTree(t)
		if err := os.Rename(filepath.Join(in, "bee"), filepath.Join(in, class)); err != nil {
			t.Fatal(err)
		}
		out := t.TempDir()
		code, _, stderr := evalRun(t, "generate", "--in", in, "--out", out, "--shift", "fog", "--layout", "imagenet-c", "--quiet")
		if code != exitError || !strings.Contains(stderr, fmt.Sprintf("class folder %q", class)) || !strings.Contains(stderr, "would collide with the dataset's own") || !strings.Contains(stderr, "--layout default") {
			t.Fatalf("class %s: exit %d: %s", class, code, stderr)
		}
		if entries, _ := os.ReadDir(out); len(entries) != 0 {
			t.Fatalf("class %s: the refused run wrote %v", class, entries)
		}
		// The default layout writes classes below reference/ and shifted/: no collision.
		if code, _, stderr := evalRun(t, "generate", "--in", in, "--out", out, "--shift", "vflip", "--quiet"); code != 0 {
			t.Fatalf("class %s, default layout: exit %d: %s", class, code, stderr)
		}
		if _, err := os.Stat(filepath.Join(out, "vflip", "shifted", "val", class)); err != nil {
			t.Fatalf("class %s: %v", class, err)
		}
		if code, _, stderr := evalRun(t, "verify", "-q", filepath.Join(out, "vflip")); code != 0 {
			t.Fatalf("class %s: verify: %s", class, stderr)
		}
	}
}

// TestLongFileNames: a 250-byte file name (the file system allows 255) is generated
// (its temporary name must fit too), and a run stopped by a full disk just after it
// resumes, with the same files as an undisturbed run.
func TestLongFileNames(t *testing.T) {
	root := bigTree(t, 2, 3)
	// The first file of the plan: small (a flat image), so that it is written before the
	// size limit below stops the run at the next, noisy one.
	long := strings.Repeat("a", 246) + ".png" // 250 bytes
	var b bytes.Buffer
	png.Encode(&b, image.NewRGBA(image.Rect(0, 0, 180, 140)))
	if err := os.WriteFile(filepath.Join(root, "c00", long), b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	args := func(out string) []string {
		return []string{"generate", "--in", root, "--out", out, "--shift", "vflip", "--format", "png", "--preprocess", "none", "--workers", "1", "--quiet"}
	}
	ref := t.TempDir()
	if code, b := exitOf(t, self(args(ref)...)); code != 0 {
		t.Fatalf("exit %d:\n%s", code, b)
	}
	want := tree(t, ref)
	longOut := filepath.Join("vflip", "shifted", "val", "c00", long)
	if _, ok := want[longOut]; !ok {
		t.Fatalf("no output %s", longOut)
	}
	// A full disk stops the run after the long file; --resume finishes it.
	out := t.TempDir()
	cmd := self(args(out)...)
	cmd.Env = append(cmd.Env, "SHIFTGEN_TEST_FSIZE=40000") // the noisy PNGs are larger
	if code, b := exitOf(t, cmd); code == 0 || !strings.Contains(b, "file too large") {
		t.Fatalf("the limited run: exit %d:\n%s", code, b)
	}
	if got := tree(t, out)[longOut]; got != want[longOut] {
		t.Fatal("the limited run did not write the long file")
	}
	if code, b := exitOf(t, self(append(args(out), "--resume")...)); code != 0 {
		t.Fatalf("resume: exit %d:\n%s", code, b)
	}
	compareTrees(t, want, tree(t, out))
	// A resume of the finished dataset, and a run killed at once and resumed.
	if code, b := exitOf(t, self(append(args(out), "--resume")...)); code != 0 || !strings.Contains(b, "already complete") {
		t.Fatalf("second resume: exit %d:\n%s", code, b)
	}
}

// TestMergeRefusesTamperedShard: a shard journal cut by a line, or a damaged shard file,
// is refused by merge with a message naming the shard and the command that writes it
// again; running that command and merging gives what one process writes.
func TestMergeRefusesTamperedShard(t *testing.T) {
	root := bigTree(t, 3, 4)
	args := func(out string, extra ...string) []string {
		return append([]string{"generate", "--in", root, "--out", out, "--shift", "unseen-tint", "--tint-table-size", "1000", "--quiet"}, extra...)
	}
	ref := t.TempDir()
	if code, b := exitOf(t, self(args(ref)...)); code != 0 {
		t.Fatalf("exit %d:\n%s", code, b)
	}
	for _, damage := range []string{"journal", "shard file"} {
		out := t.TempDir()
		for k := 1; k <= 3; k++ {
			if code, b := exitOf(t, self(args(out, "--shard", fmt.Sprintf("%d/3", k))...)); code != 0 {
				t.Fatalf("shard %d: exit %d:\n%s", k, code, b)
			}
		}
		work := filepath.Join(out, "unseen-tint", manifests.WorkDir, "shard-2-of-3")
		if damage == "journal" {
			p := filepath.Join(work, "records-1.jsonl")
			b, _ := os.ReadFile(p)
			os.WriteFile(p, b[:bytes.LastIndexByte(b[:len(b)-1], '\n')+1], 0o644)
		} else {
			os.WriteFile(filepath.Join(work, "shard.json"), []byte(`{"complete": tr`), 0o644)
		}
		code, stdout, stderr := evalRun(t, "merge", filepath.Join(out, "unseen-tint"))
		if code != exitError || !strings.Contains(stderr, "shard 2/3 cannot be merged") || strings.Contains(stderr, "internal error") {
			t.Fatalf("%s: exit %d: %s%s", damage, code, stdout, stderr)
		}
		if damage == "journal" && (!strings.Contains(stderr, "records-1.jsonl") || !strings.Contains(stderr, "--shard 2/3 --force`")) {
			t.Fatalf("the message does not say which journal and command: %s", stderr)
		}
		if _, err := os.Stat(filepath.Join(out, "unseen-tint", manifests.ManifestFile)); err == nil {
			t.Fatalf("%s: a manifest was written", damage)
		}
		if code, b := exitOf(t, self(args(out, "--shard", "2/3", "--force")...)); code != 0 {
			t.Fatalf("rewriting shard 2: exit %d:\n%s", code, b)
		}
		if code, _, stderr := evalRun(t, "merge", filepath.Join(out, "unseen-tint")); code != 0 {
			t.Fatalf("merge after the repair: %s", stderr)
		}
		compareTrees(t, tree(t, ref), tree(t, out))
	}
}

// TestMergeKilled kills real merge processes after several delays with SIGKILL (before,
// during and after their renames and the removal of the work folder) and runs merge
// again: it must finish with exactly the files one process writes, no temporary file
// and no work folder left. (manifests' TestMergeKilled kills at each step exactly.)
func TestMergeKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode")
	}
	root := bigTree(t, 4, 6)
	args := func(out string, extra ...string) []string {
		return append([]string{"generate", "--in", root, "--out", out, "--shift", "vflip", "--shift", "unseen-tint", "--tint-table-size", "1000", "--quiet"}, extra...)
	}
	ref := t.TempDir()
	if code, b := exitOf(t, self(args(ref)...)); code != 0 {
		t.Fatalf("exit %d:\n%s", code, b)
	}
	want := tree(t, ref)
	shards := t.TempDir()
	for k := 1; k <= 3; k++ {
		if code, b := exitOf(t, self(args(shards, "--shard", fmt.Sprintf("%d/3", k))...)); code != 0 {
			t.Fatalf("shard %d: exit %d:\n%s", k, code, b)
		}
	}
	interrupted := 0
	for _, delay := range []time.Duration{0, 2, 5, 10, 15, 20, 30, 45, 70, 100} {
		out := t.TempDir()
		if err := os.CopyFS(out, os.DirFS(shards)); err != nil {
			t.Fatal(err)
		}
		dirs := []string{filepath.Join(out, "vflip"), filepath.Join(out, "unseen-tint")}
		cmd := self(append([]string{"merge"}, dirs...)...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(delay * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		if _, err := os.Stat(filepath.Join(dirs[1], manifests.WorkDir)); err == nil {
			interrupted++
		}
		for _, d := range dirs {
			code, stdout, stderr := evalRun(t, "merge", d)
			if code != 0 && !strings.Contains(stderr, "already merged") {
				t.Fatalf("rerun after %v: exit %d: %s%s", delay, code, stdout, stderr)
			}
		}
		compareTrees(t, want, tree(t, out))
	}
	if interrupted == 0 {
		t.Fatal("no kill landed before the merge finished")
	}
}

// TestEvalRefusesChangedRecords: eval checks records.jsonl against the manifest's count
// and SHA-256 before scoring: a deleted or edited line is refused, not scored.
func TestEvalRefusesChangedRecords(t *testing.T) {
	src := evalTree(t)
	out := filepath.Join(t.TempDir(), "out")
	if code, _, stderr := evalRun(t, "generate", "--in", src, "--out", out, "--shift", "vflip", "--format", "png", "--quiet"); code != 0 {
		t.Fatalf("generate: %s", stderr)
	}
	ds := filepath.Join(out, "vflip")
	recs, err := manifests.ReadRecordsFile(filepath.Join(ds, manifests.RecordsFile))
	if err != nil {
		t.Fatal(err)
	}
	preds := t.TempDir()
	for i, name := range []string{"a", "b", "c", "d"} {
		var c strings.Builder
		c.WriteString("path,prediction\n")
		for k, r := range recs {
			p := r.Label
			if k%(i+2) == 0 {
				p = (p + 1) % 3
			}
			fmt.Fprintf(&c, "%s,%d\n", r.Path, p)
		}
		os.WriteFile(filepath.Join(preds, name+".csv"), []byte(c.String()), 0o644)
	}
	evalArgs := []string{"eval", "--manifest", filepath.Join(ds, manifests.ManifestFile), "--baseline", "*", "--predictions", preds, "-q"}
	if code, _, stderr := evalRun(t, evalArgs...); code != 0 {
		t.Fatalf("eval of the intact dataset: exit %d: %s", code, stderr)
	}
	recPath := filepath.Join(ds, manifests.RecordsFile)
	orig, _ := os.ReadFile(recPath)
	lines := strings.SplitAfter(string(orig), "\n")
	for name, text := range map[string]string{
		"a deleted line": strings.Join(append(append([]string{}, lines[:30]...), lines[31:]...), ""),
		"an edited line": strings.Replace(string(orig), `"label":1,`, `"label":2,`, 1),
	} {
		os.WriteFile(recPath, []byte(text), 0o644)
		code, stdout, stderr := evalRun(t, evalArgs...)
		want := "has SHA-256"
		if name == "a deleted line" {
			want = fmt.Sprintf("holds %d records but the manifest says %d", len(recs)-1, len(recs))
		}
		if code != exitError || stdout != "" || !strings.Contains(stderr, want) || !strings.Contains(stderr, "shiftgen verify") {
			t.Errorf("%s: exit %d: %s%s", name, code, stdout, stderr)
		}
	}
}
