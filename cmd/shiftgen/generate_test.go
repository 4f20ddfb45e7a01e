package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/shiftgen/shiftgen/manifests"
	"github.com/shiftgen/shiftgen/shifts"
)

// sharedDir returns ../shared beside the repository, or skips the test.
func sharedDir(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("short mode: reads ../shared")
	}
	wd, _ := os.Getwd()
	for d := wd; d != filepath.Dir(d); d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			s := filepath.Join(filepath.Dir(d), "shared")
			if _, err := os.Stat(filepath.Join(s, "imagenet-sample")); err != nil {
				t.Skip("../shared/imagenet-sample is absent")
			}
			return s
		}
	}
	t.Skip("repository root not found")
	return ""
}

func TestGenerateCLI(t *testing.T) {
	out := t.TempDir()
	code := run(context.Background(), []string{"shiftgen", "generate", "--in", "../../testdata/imagefolder",
		"--out", out, "--shift", "spurious-tint:p=0.7", "--shift", "vflip", "--workers", "2", "--quiet"})
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	m, err := manifests.ReadManifest(filepath.Join(out, "spurious-tint_p-0.7", manifests.ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	if m.Shift.Kind != "in-support" || m.Shift.Spec != "spurious-tint:p=0.7" || m.Records.Count != 15+6 {
		t.Fatalf("manifest %+v", m.Shift)
	}
	var params map[string]float64
	if err := json.Unmarshal(m.Shift.Params, &params); err != nil || params["p"] != 0.7 || params["alpha"] != 0.25 {
		t.Fatalf("params %s", m.Shift.Params)
	}
	// Every class folder exists in every output split, even where no image landed.
	for _, split := range []string{"reference/train", "reference/val", "shifted/val"} {
		for _, c := range []string{"cat", "dog", "fish"} {
			if fi, err := os.Stat(filepath.Join(out, "vflip", split, c)); err != nil || !fi.IsDir() {
				t.Fatalf("missing class folder %s/%s", split, c)
			}
		}
	}
	// The PNG named .JPEG and the grayscale JPEG were decoded, not skipped.
	if len(m.Skipped) != 0 {
		t.Fatalf("skipped %+v", m.Skipped)
	}
	// Refusals map to exit codes.
	if code := run(context.Background(), []string{"shiftgen", "generate", "--in", "../../testdata/imagefolder", "--out", out, "--shift", "vflip", "--quiet"}); code != exitError {
		t.Fatalf("existing output: exit %d", code)
	}
	if code := run(context.Background(), []string{"shiftgen", "generate", "--out", out, "--shift", "vflip", "--bogus"}); code != exitUsage {
		t.Fatalf("unknown flag: exit %d", code)
	}
}

func TestGenerateSkippedExitCode(t *testing.T) {
	in := t.TempDir()
	src, _ := os.ReadFile("../../testdata/imagefolder/val/cat/cat_0.JPEG")
	os.MkdirAll(filepath.Join(in, "a"), 0o755)
	os.WriteFile(filepath.Join(in, "a", "good.JPEG"), src, 0o644)
	os.WriteFile(filepath.Join(in, "a", "bad.JPEG"), src[:100], 0o644)
	code := run(context.Background(), []string{"shiftgen", "generate", "--in", in, "--out", t.TempDir(), "--shift", "vflip", "--quiet"})
	if code != exitSkipped {
		t.Fatalf("exit %d, want %d", code, exitSkipped)
	}
}

func TestGenerateEmbeddedSample(t *testing.T) {
	out := t.TempDir()
	if code := run(context.Background(), []string{"shiftgen", "generate", "--out", out, "--shift", "unseen-tint", "--quiet"}); code != 0 {
		t.Fatalf("exit %d", code)
	}
	m, err := manifests.ReadManifest(filepath.Join(out, "unseen-tint", manifests.ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	if m.Source != sampleName || len(m.Classes) != 48 || m.Records.Count != 96 {
		t.Fatalf("source %s classes %d records %d", m.Source, len(m.Classes), m.Records.Count)
	}
}

// TestGenerateImageNetSample is the integration test over ../shared/imagenet-sample:
// the dataset is written, its manifest is valid, and every record's tint class and
// spurious flag match the paper's table (checked against NumPy itself when present).
func TestGenerateImageNetSample(t *testing.T) {
	shared := sharedDir(t)
	out := t.TempDir()
	code := run(context.Background(), []string{"shiftgen", "generate", "--in", filepath.Join(shared, "imagenet-sample"),
		"--out", out, "--shift", "spurious-tint", "--workers", "2", "--quiet"})
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	recs, err := manifests.ReadRecordsFile(filepath.Join(out, "spurious-tint", manifests.RecordsFile))
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1000 {
		t.Fatalf("%d records, want 500 reference + 500 shifted", len(recs))
	}
	tab := shifts.NewTintTable(0, shifts.DefaultTintTableSize, 0.5)
	var numpy []string
	if py := numpyPython(); py != "" {
		script := `
import numpy as np
rs = np.random.RandomState(0)
rs.uniform(size=(1000, 3))
y = rs.choice(1000, size=1281167)
s = rs.uniform(size=1281167) < 0.5
print(' '.join(f'{a}:{int(b)}' for a, b in zip(y[:500], s[:500])))
`
		b, err := exec.Command(py, "-c", script).Output()
		if err != nil {
			t.Fatal(err)
		}
		numpy = strings.Fields(string(b))
	}
	for _, r := range recs {
		class, _ := r.Field("tint_class")
		spurious, _ := r.Field("spurious")
		want := int(tab.RandomClass[r.Index])
		if r.Distribution == "reference" && tab.Spurious[r.Index] {
			want = r.Label
		}
		if class != strconv.Itoa(want) {
			t.Fatalf("%s: tint_class %s, want %d", r.Path, class, want)
		}
		if numpy != nil {
			parts := strings.Split(numpy[r.Index], ":")
			npSpurious := parts[1] == "1" && r.Distribution == "reference"
			npClass := parts[0]
			if npSpurious {
				npClass = strconv.Itoa(r.Label)
			}
			if class != npClass || spurious != strconv.FormatBool(npSpurious) {
				t.Fatalf("%s: tint_class %s spurious %s; NumPy says %s %v", r.Path, class, spurious, npClass, npSpurious)
			}
		}
		if r.Width != 256 || r.Height != 256 {
			t.Fatalf("%s is %d×%d", r.Path, r.Width, r.Height)
		}
	}
	m, err := manifests.ReadManifest(filepath.Join(out, "spurious-tint", manifests.ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Classes) != 500 || m.Counts[0].Images != 500 || m.Counts[1].Images != 500 {
		t.Fatalf("classes %d counts %+v", len(m.Classes), m.Counts)
	}
	if own := m.Counts[0].Stats["own_tint"]; own < 200 || own > 300 {
		t.Fatalf("own_tint %d of 500 with p = 0.5", own)
	}
}

func numpyPython() string {
	for _, p := range []string{"python3", "/usr/bin/python3"} {
		if exec.Command(p, "-c", "import numpy").Run() == nil {
			return p
		}
	}
	return ""
}

// snapshot maps every file under dir (run.json included) to its bytes.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	return readTree(t, dir, true)
}

// TestResumeFinishedDataset: --resume on a finished dataset compares it with the
// command, as a resume of an interrupted run does, and refuses (changing nothing) when
// the command would write other bytes: other options recorded in the manifest, options
// and input only the job in run.json records, and, for a merged dataset (no run.json),
// what its manifest holds. The same command, or one that only adds or drops other
// shifts, finds it complete.
func TestResumeFinishedDataset(t *testing.T) {
	root := filepath.Join(t.TempDir(), "in")
	naturalTree(t, root, []string{"a", "b", "c"}, 3)
	out := t.TempDir()
	base := []string{"generate", "--in", root, "--out", out, "--quiet", "--tint-table-size", "1000"}
	gen := func(extra ...string) (int, string) {
		t.Helper()
		code, _, stderr := naturalRun(t, append(append([]string{}, base...), extra...)...)
		return code, stderr
	}
	if code, stderr := gen("--shift", "vflip", "--shift", "spurious-tint", "--shift", "pad:tint=true"); code != 0 {
		t.Fatalf("generate: exit %d: %s", code, stderr)
	}
	before := snapshot(t, out)
	unchanged := func(what string) {
		t.Helper()
		after := snapshot(t, out)
		if len(after) != len(before) {
			t.Fatalf("%s: %d files, before %d", what, len(after), len(before))
		}
		for k, v := range before {
			if after[k] != v {
				t.Fatalf("%s changed %s", what, k)
			}
		}
	}
	for _, c := range []struct {
		extra []string
		want  []string // in the message, in this order
	}{
		{[]string{"--shift", "vflip", "--seed", "1"},
			[]string{"cannot resume " + filepath.Join(out, "vflip") + ": it is a finished dataset made with other options or input: seed was 0, now 1; rerun without --resume and with --force"}},
		{[]string{"--shift", "vflip", "--format", "png"}, []string{`: format was "jpeg", now "png"; rerun`}},
		{[]string{"--shift", "vflip", "--quality", "90"}, []string{`: quality was 95, now 90; rerun`}},
		{[]string{"--shift", "vflip", "--preprocess", "none"}, []string{`: preprocess was "paper", now "none"; rerun`}},
		// Recorded only in the job in run.json.
		{[]string{"--shift", "vflip", "--max-pixels", "1000"}, []string{`: max_pixels was 100000000, now 1000; rerun`}},
		{[]string{"--shift", "vflip", "--follow-symlinks"}, []string{`: follow_symlinks was false, now true; rerun`}},
		// The tint table: one of the shift's parameters, or (pad's tint) only in the job.
		{[]string{"--shift", "spurious-tint", "--tint-table-size", "999"},
			[]string{filepath.Join(out, "spurious-tint") + `: it is a finished dataset`, `params was {"alpha":0.25,"p":0.5,"tint_table_size":1000}, now {"alpha":0.25,"p":0.5,"tint_table_size":999}; rerun`}},
		{[]string{"--shift", "pad:tint=true", "--tint-table-size", "999"},
			[]string{filepath.Join(out, "pad_tint-true") + `: it is a finished dataset made with other options or input: tint_table_size was 1000, now 999; rerun`}},
		// Several at once, each named.
		{[]string{"--shift", "vflip", "--seed", "2", "--format", "png", "--max-file-bytes", "5000"},
			[]string{`seed was 0, now 2; format was "jpeg", now "png"; max_file_bytes was 1073741824, now 5000; rerun`}},
	} {
		code, stderr := gen(append(c.extra, "--resume")...)
		if code != 1 {
			t.Errorf("--resume %v: exit %d, want 1: %s", c.extra, code, stderr)
		}
		rest := stderr
		for _, w := range c.want {
			k := strings.Index(rest, w)
			if k < 0 {
				t.Errorf("--resume %v: the message lacks %q: %s", c.extra, w, stderr)
				break
			}
			rest = rest[k+len(w):]
		}
		unchanged(fmt.Sprintf("--resume %v", c.extra))
	}
	// The same command, and one with only some of its shifts, find the datasets complete.
	for _, extra := range [][]string{{"--shift", "vflip", "--shift", "spurious-tint", "--shift", "pad:tint=true"}, {"--shift", "vflip"}} {
		if code, stderr := gen(append(extra, "--resume")...); code != 0 || !strings.Contains(stderr, "already complete") {
			t.Errorf("--resume %v: exit %d: %s", extra, code, stderr)
		}
		unchanged(fmt.Sprintf("--resume %v", extra))
	}
	// A changed input: a file added to a class.
	tinyPNG(t, filepath.Join(root, "b", "extra.png"), 7)
	if code, stderr := gen("--shift", "vflip", "--resume"); code != 1 || !strings.Contains(stderr, ": the input changed (files added, removed or modified since the first run); input_files was 9, now 10; rerun") {
		t.Errorf("--resume after the input changed: exit %d: %s", code, stderr)
	}
	unchanged("--resume after the input changed")

	// A merged dataset has no run.json: its manifest is compared.
	merged := t.TempDir()
	for _, k := range []string{"1/2", "2/2"} {
		if code, _, stderr := naturalRun(t, "generate", "--in", root, "--out", merged, "--shift", "vflip", "--quiet", "--shard", k); code != 0 {
			t.Fatalf("shard %s: exit %d: %s", k, code, stderr)
		}
	}
	if code, _, stderr := naturalRun(t, "merge", filepath.Join(merged, "vflip")); code != 0 {
		t.Fatalf("merge: exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(merged, "vflip", manifests.RunFile)); !os.IsNotExist(err) {
		t.Fatalf("a merged dataset has a run.json (%v): the manifest-only comparison is not tested", err)
	}
	code, _, stderr := naturalRun(t, "generate", "--in", root, "--out", merged, "--shift", "vflip", "--quiet", "--resume", "--seed", "3")
	if code != 1 || !strings.Contains(stderr, "finished dataset made with other options or input: seed was 0, now 3; rerun") {
		t.Errorf("--resume --seed 3 of a merged dataset: exit %d: %s", code, stderr)
	}
	code, _, stderr = naturalRun(t, "generate", "--in", root, "--out", merged, "--shift", "vflip", "--quiet", "--resume")
	if code != 0 || !strings.Contains(stderr, "already complete") {
		t.Errorf("--resume of a merged dataset: exit %d: %s", code, stderr)
	}
}
