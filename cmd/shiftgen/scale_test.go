package main

import (
	"bytes"
	"context"
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

// self returns a command running this test binary as shiftgen.
func self(args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "SHIFTGEN_AS_MAIN=1")
	return cmd
}

// killWhen starts cmd and kills it with SIGKILL once done reports true (or after two
// minutes).
func killWhen(t *testing.T, cmd *exec.Cmd, done func() bool) {
	t.Helper()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for !done() && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
}

// bigTree writes classes × per PNGs of 180×140 with noisy content (they compress badly).
func bigTree(t *testing.T, classes, per int) string {
	root := t.TempDir()
	for c := 0; c < classes; c++ {
		for k := 0; k < per; k++ {
			img := image.NewRGBA(image.Rect(0, 0, 180, 140))
			for i := range img.Pix {
				x := uint32(i)*2654435761 + uint32(c*7919+k*104729)
				x ^= x >> 15
				x *= 0x2c1b3c6d
				x ^= x >> 12
				img.Pix[i] = uint8(x>>24)/2 + uint8(i/600)
			}
			writePNG(t, filepath.Join(root, fmt.Sprintf("c%02d", c), fmt.Sprintf("im%03d.png", k)), img)
		}
	}
	return root
}

// tree maps every file under dir but run.json (which records times and the host) to its
// bytes.
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	return readTree(t, dir, false)
}

// readTree maps every regular file under dir (run.json files only withRun) to its bytes,
// keyed by native path relative to dir.
func readTree(t *testing.T, dir string, withRun bool) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if !fi.Mode().IsRegular() || (!withRun && fi.Name() == manifests.RunFile) {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out[rel] = string(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func compareTrees(t *testing.T, want, got map[string]string) {
	t.Helper()
	if len(want) != len(got) {
		t.Fatalf("%d files, want %d", len(got), len(want))
	}
	for k, v := range want {
		if got[k] != v {
			t.Fatalf("%s differs from the uninterrupted run", k)
		}
	}
}

// TestCrashAndResume kills real `shiftgen generate` processes with SIGKILL after several
// numbers of written images, resumes each, and compares the result with an uninterrupted run.
func TestCrashAndResume(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode")
	}
	root := bigTree(t, 4, 8)
	args := func(out string) []string {
		return []string{"generate", "--in", root, "--out", out, "--shift", "spurious-tint", "--shift", "vflip",
			"--workers", "2", "--tint-table-size", "1000", "--quiet"}
	}
	ref := t.TempDir()
	if out, err := self(args(ref)...).CombinedOutput(); err != nil {
		t.Fatalf("uninterrupted run: %v\n%s", err, out)
	}
	want := tree(t, ref)
	interrupted := 0
	// Kill when k images have been written (k = 0: as soon as the process starts).
	for _, k := range []int{0, 5, 40, 90} {
		out := t.TempDir()
		killWhen(t, self(args(out)...), func() bool { return countImages(out) >= k })
		if _, err := os.Stat(filepath.Join(out, "vflip", manifests.ManifestFile)); err != nil {
			interrupted++
		}
		if b, err := self(append(args(out), "--resume")...).CombinedOutput(); err != nil {
			t.Fatalf("resume after a kill at %d images: %v\n%s", k, err, b)
		}
		compareTrees(t, want, tree(t, out))
	}
	if interrupted < 2 {
		t.Fatalf("only %d of 4 kills landed mid-run; the test did not exercise resume", interrupted)
	}
}

// countImages counts the finished image files below dir.
func countImages(dir string) int {
	n := 0
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".jpg") {
			n++
		}
		return nil
	})
	return n
}

// TestShardProcessesMerge runs shards 1/3, 2/3 and 3/3 as separate processes, merges
// them with the CLI, and compares with one process byte for byte.
func TestShardProcessesMerge(t *testing.T) {
	root := bigTree(t, 3, 4)
	args := func(out string, extra ...string) []string {
		return append([]string{"generate", "--in", root, "--out", out, "--shift", "unseen-tint", "--tint-table-size", "1000", "--quiet"}, extra...)
	}
	ref := t.TempDir()
	if b, err := self(args(ref)...).CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	out := t.TempDir()
	for k := 1; k <= 3; k++ {
		cmd := self(args(out, "--shard", "auto")...)
		cmd.Env = append(cmd.Env, fmt.Sprintf("SLURM_ARRAY_TASK_ID=%d", k-1), "SLURM_ARRAY_TASK_MIN=0", "SLURM_ARRAY_TASK_MAX=2", "SLURM_ARRAY_TASK_COUNT=3")
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("shard %d: %v\n%s", k, err, b)
		}
	}
	if code := run(context.Background(), []string{"shiftgen", "merge", filepath.Join(out, "unseen-tint")}); code != 0 {
		t.Fatalf("merge exit %d", code)
	}
	compareTrees(t, tree(t, ref), tree(t, out))
	if code := run(context.Background(), []string{"shiftgen", "verify", "-q", filepath.Join(out, "unseen-tint")}); code != 0 {
		t.Fatalf("verify exit %d", code)
	}
}

// TestDiskFull limits the file size a process may write (as a full disk would): the
// run must fail naming the path, leave no partial file under a final name, and finish
// with --resume once the limit is gone.
func TestDiskFull(t *testing.T) {
	root := bigTree(t, 2, 4)
	args := func(out string) []string {
		return []string{"generate", "--in", root, "--out", out, "--shift", "vflip", "--format", "png", "--preprocess", "none", "--workers", "1", "--quiet"}
	}
	ref := t.TempDir()
	if b, err := self(args(ref)...).CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	out := t.TempDir()
	cmd := self(args(out)...)
	cmd.Env = append(cmd.Env, "SHIFTGEN_TEST_FSIZE=40000") // PNGs here are larger than this
	b, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(b), filepath.Join(out, "vflip")) || !strings.Contains(string(b), "file too large") {
		t.Fatalf("full disk: err %v, output:\n%s", err, b)
	}
	for name := range tree(t, out) {
		if strings.Contains(filepath.Base(name), ".tmp-") {
			t.Fatalf("temporary file left: %s", name)
		}
		if strings.HasSuffix(name, ".png") {
			data, _ := os.ReadFile(filepath.Join(out, name))
			if _, err := png.Decode(bytes.NewReader(data)); err != nil {
				t.Fatalf("partial file under a final name: %s", name)
			}
		}
	}
	if b, err := self(append(args(out), "--resume")...).CombinedOutput(); err != nil {
		t.Fatalf("resume: %v\n%s", err, b)
	}
	compareTrees(t, tree(t, ref), tree(t, out))
}

// asNobody runs this binary as shiftgen under another user, so permissions bite even
// when the tests run as root. It returns false when that cannot be arranged.
func asNobody(t *testing.T, args ...string) (*exec.Cmd, bool) {
	if os.Geteuid() != 0 {
		return self(args...), true
	}
	dir, err := os.MkdirTemp("", "shiftgen-nobody-")
	if err != nil {
		return nil, false
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755)
	bin := filepath.Join(dir, "shiftgen.test")
	data, err := os.ReadFile(os.Args[0])
	if err != nil || os.WriteFile(bin, data, 0o755) != nil {
		return nil, false
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "SHIFTGEN_AS_MAIN=1", "HOME="+dir, "TMPDIR="+dir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	return cmd, true
}

// publicDir returns a new folder every user may read and write.
func publicDir(t *testing.T) string {
	dir, err := os.MkdirTemp("", "shiftgen-public-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o777)
	return dir
}

// TestPermissions: an unreadable input is recorded and skipped; a read-only output is
// refused with a message naming it.
func TestPermissions(t *testing.T) {
	in := publicDir(t)
	src, _ := os.ReadFile("../../testdata/imagefolder/val/cat/cat_0.JPEG")
	os.MkdirAll(filepath.Join(in, "a"), 0o755)
	os.WriteFile(filepath.Join(in, "a", "ok.JPEG"), src, 0o644)
	os.WriteFile(filepath.Join(in, "a", "secret.JPEG"), src, 0o000)
	out := publicDir(t)
	cmd, ok := asNobody(t, "generate", "--in", in, "--out", out, "--shift", "vflip", "--quiet")
	if !ok {
		t.Skip("cannot run as another user here")
	}
	b, err := cmd.CombinedOutput()
	if ee, isExit := err.(*exec.ExitError); !isExit || ee.ExitCode() != exitSkipped {
		t.Fatalf("unreadable input: %v\n%s", err, b)
	}
	m, err := manifests.ReadManifest(filepath.Join(out, "vflip", manifests.ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Skipped) != 1 || m.Skipped[0].Source != "a/secret.JPEG" || !strings.Contains(m.Skipped[0].Reason, "permission denied") {
		t.Fatalf("skipped %+v", m.Skipped)
	}
	ro := publicDir(t)
	os.Chmod(ro, 0o555)
	cmd, _ = asNobody(t, "generate", "--in", in, "--out", ro, "--shift", "vflip", "--quiet")
	b, err = cmd.CombinedOutput()
	if ee, isExit := err.(*exec.ExitError); !isExit || ee.ExitCode() != exitError || !strings.Contains(string(b), ro) || !strings.Contains(string(b), "permission denied") {
		t.Fatalf("read-only output: %v\n%s", err, b)
	}
}
