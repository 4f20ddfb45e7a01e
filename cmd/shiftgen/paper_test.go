package main

import (
	"bytes"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shiftgen/shiftgen/manifests"
)

// TestPaperDemo runs `make paper-demo` as a user would, with its binary and its output in
// a temporary folder: it must say that the predictions are simulated and where the
// figures are, write the report that manifests/eval's TestPaperDemoGolden pins in
// testdata/eval/paper-demo.txt (whose figures it compares with the golden ones, drawn
// from the same numbers), and draw three PNG figures of the golden figures' sizes.
func TestPaperDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: builds the binary")
	}
	mk, err := exec.LookPath("make")
	if err != nil {
		t.Skip("no make on PATH")
	}
	repo, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	// The Makefile runs ./$(BIN): a path relative to the repository.
	bin, err := filepath.Rel(repo, filepath.Join(tmp, "shiftgen"))
	if err != nil {
		t.Fatal(err)
	}
	demo := filepath.Join(tmp, "demo")
	cmd := exec.Command(mk, "-C", repo, "--no-print-directory", "paper-demo", "BIN="+bin, "PAPER_DEMO="+demo)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("make paper-demo: %v\n%s", err, out)
	}
	for _, want := range []string{
		"SIMULATED predictions: made up by shiftgen reproduce predictions",
		"The predictions are SIMULATED",
		"figures:     " + filepath.Join(demo, "er.png"),
		"wrote " + filepath.Join(demo, "er.png") + ", " + filepath.Join(demo, "er.kinds.png") + ", " + filepath.Join(demo, "er.sweeps.png"),
	} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("make paper-demo does not say %q:\n%s", want, out)
		}
	}
	got, err := os.ReadFile(filepath.Join(demo, "report.txt"))
	if err != nil {
		t.Fatal(err)
	}
	golden, err := os.ReadFile("../../testdata/eval/paper-demo.txt")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, golden) {
		t.Errorf("the demo's report differs from testdata/eval/paper-demo.txt (TestPaperDemoGolden in manifests/eval writes it with -regen from a copy of the demo's datasets: change both alike):\n%s", got)
	}
	size := func(file string) [2]int {
		r, err := os.Open(file)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		c, err := png.DecodeConfig(r)
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		return [2]int{c.Width, c.Height}
	}
	for _, f := range []string{"er.png", "er.kinds.png", "er.sweeps.png"} {
		golden := filepath.Join("../../testdata/eval", "paper-demo"+strings.TrimPrefix(f, "er"))
		if a, b := size(filepath.Join(demo, f)), size(golden); a != b {
			t.Errorf("%s is %d×%d, %s %d×%d", f, a[0], a[1], golden, b[0], b[1])
		}
	}
}

// TestPaperPresetShardsAndResume: the paper's presets through the binary, for every
// output kind: two shard processes and a merge, and a run killed part-way and resumed,
// give byte for byte (and link for link) the datasets of one uninterrupted run. The
// whole `paper` suite runs as image folders; the containers run `paper-main`, Figure 4's
// four shifts, whose two out-of-support shifts share their untouched reference.
func TestPaperPresetShardsAndResume(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode")
	}
	for _, kind := range outputKinds {
		if kind.name == "ffcv-jpg" {
			continue // the FFCV sink again, with other bytes
		}
		t.Run(kind.name, func(t *testing.T) {
			preset, n := "paper", 12
			if kind.name != "folder" {
				preset, n = "paper-main", 4
			}
			args := func(out string, extra ...string) []string {
				a := []string{"generate", "--out", out, "--shift", preset, "--tint-table-size", "1000", "--preprocess", "none", "--quiet"}
				return append(append(a, kind.flags...), extra...)
			}
			ref := t.TempDir()
			if code, _, stderr := naturalRun(t, args(ref)...); code != 0 {
				t.Fatalf("generate --shift %s: exit %d: %s", preset, code, stderr)
			}
			dirs, _ := filepath.Glob(filepath.Join(ref, "*", manifests.ManifestFile))
			if len(dirs) != n {
				t.Fatalf("%d datasets: %v", len(dirs), dirs)
			}

			sharded := t.TempDir()
			for k := 1; k <= 2; k++ {
				if code, _, stderr := naturalRun(t, args(sharded, "--shard", fmt.Sprintf("%d/2", k))...); code != 0 {
					t.Fatalf("shard %d/2: exit %d: %s", k, code, stderr)
				}
			}
			merge := []string{"merge"}
			for _, d := range dirs {
				merge = append(merge, filepath.Join(sharded, filepath.Base(filepath.Dir(d))))
			}
			if code, _, stderr := naturalRun(t, merge...); code != 0 {
				t.Fatalf("merge: exit %d: %s", code, stderr)
			}
			sameDataset(t, "shards + merge", ref, sharded)

			killed := t.TempDir()
			total := treeBytes(ref)
			killWhen(t, self(args(killed, "--workers", "1")...), func() bool { return treeBytes(killed) >= total/4 })
			if finished, _ := filepath.Glob(filepath.Join(killed, "*", manifests.ManifestFile)); len(finished) == n {
				t.Fatal("the run finished before it was killed; the test did not exercise resume")
			}
			if code, _, stderr := naturalRun(t, args(killed, "--resume")...); code != 0 {
				t.Fatalf("--resume: exit %d: %s", code, stderr)
			}
			sameDataset(t, "killed and resumed", ref, killed)
		})
	}
}

// TestReproducePredictions: `reproduce predictions` as a user types it: it says it
// simulates, writes the layout eval reads, refuses to overwrite without --force (exit 1)
// and replaces its own folder with it; a missing flag is a usage error (exit 2).
func TestReproducePredictions(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	if code, _, stderr := naturalRun(t, "generate", "--out", out, "--shift", "vflip", "--shift", "spurious-tint:p=0.7", "--tint-table-size", "100", "--quiet"); code != 0 {
		t.Fatalf("generate: exit %d: %s", code, stderr)
	}
	preds := filepath.Join(t.TempDir(), "preds")
	sim := []string{"reproduce", "predictions", "--manifest", filepath.Join(out, "*"), "--out", preds}
	code, stdout, stderr := naturalRun(t, sim...)
	if code != 0 || !strings.HasPrefix(stdout, "SIMULATED predictions:") || !strings.Contains(stdout, "wrote 36 prediction files into "+preds) {
		t.Fatalf("exit %d: %s%s", code, stdout, stderr)
	}
	for _, f := range []string{"models.csv", "simulation.json", "vflip/sim-scratch-1.csv", "spurious-tint_p-0.7/sim-pretrained-b-5.csv"} {
		if _, err := os.Stat(filepath.Join(preds, f)); err != nil {
			t.Error(err)
		}
	}
	code, stdout, stderr = naturalRun(t, "eval", "--manifest", filepath.Join(out, "*"), "--predictions", preds, "--models", filepath.Join(preds, "models.csv"))
	if code != 0 || !strings.Contains(stdout, "pre-trained A (simulated)") {
		t.Fatalf("eval of the simulated predictions: exit %d: %s%s", code, stdout, stderr)
	}
	if code, _, stderr := naturalRun(t, sim...); code != 1 || !strings.Contains(stderr, "exists and is not empty; pass --force") {
		t.Errorf("second run: exit %d: %s", code, stderr)
	}
	if code, _, stderr := naturalRun(t, append(sim, "--force", "--seed", "3")...); code != 0 {
		t.Errorf("--force: exit %d: %s", code, stderr)
	}
	if code, _, stderr := naturalRun(t, "reproduce", "predictions", "--manifest", out); code != exitUsage || !strings.Contains(stderr, "needs --manifest and --out") {
		t.Errorf("no --out: exit %d: %s", code, stderr)
	}
}
