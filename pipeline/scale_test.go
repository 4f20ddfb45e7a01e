package pipeline

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/shiftgen/shiftgen/pipeline/internal/testimage"

	"github.com/shiftgen/shiftgen/manifests"
)

// datasetFiles reads a run's output tree without run.json (it records time and host).
func datasetFiles(t *testing.T, out string) map[string][]byte {
	t.Helper()
	tree := testimage.ReadTree(t, out)
	for k := range tree {
		if filepath.Base(k) == manifests.RunFile {
			delete(tree, k)
		}
	}
	return tree
}

func sameTree(t *testing.T, want, got map[string][]byte) {
	t.Helper()
	if len(want) != len(got) {
		var extra []string
		for k := range got {
			if _, ok := want[k]; !ok {
				extra = append(extra, k)
			}
		}
		for k := range want {
			if _, ok := got[k]; !ok {
				extra = append(extra, "missing "+k)
			}
		}
		t.Fatalf("%d files, want %d: %v", len(got), len(want), extra)
	}
	for k, v := range want {
		if !bytes.Equal(v, got[k]) {
			t.Fatalf("%s differs", k)
		}
	}
}

func baseOpts(in, out string) Options {
	return Options{In: in, Out: out, Shifts: []string{"spurious-tint", "vflip"}, Workers: 2, TintTableSize: 1000}
}

// TestResumeAfterCancel stops runs at several points and resumes them; the result must
// be byte-identical to an uninterrupted run.
func TestResumeAfterCancel(t *testing.T) {
	root := smallTree(t, 5, 6)
	// A corrupt input, so the skipped-inputs journal is exercised too.
	testimage.WriteFile(t, filepath.Join(root, "classb", "img9.png"), []byte("\x89PNG\r\n\x1a\nbroken"))
	ref := t.TempDir()
	if _, err := Run(context.Background(), baseOpts(root, ref)); err != nil {
		t.Fatal(err)
	}
	want := datasetFiles(t, ref)
	for _, stopAt := range []int32{1, 4, 9, 20} {
		out := t.TempDir()
		ctx, cancel := context.WithCancel(context.Background())
		var n atomic.Int32
		o := baseOpts(root, out)
		o.Progress = func(int, int) {
			if n.Add(1) == stopAt {
				cancel()
			}
		}
		if _, err := Run(ctx, o); !errors.Is(err, context.Canceled) {
			t.Fatalf("stop at %d: %v", stopAt, err)
		}
		// A kill -9 can leave a temporary file behind; resume must clear it.
		testimage.WriteFile(t, filepath.Join(out, "vflip", "shifted", "val", "classa", ".img0.jpg.tmp-123456"), []byte("partial"))
		// Without --resume the interrupted output is refused.
		if _, err := Run(context.Background(), baseOpts(root, out)); err == nil || !strings.Contains(err.Error(), "--resume") {
			t.Fatalf("plain rerun: %v", err)
		}
		o = baseOpts(root, out)
		o.Resume = true
		res, err := Run(context.Background(), o)
		if err != nil {
			t.Fatalf("resume after %d: %v", stopAt, err)
		}
		if res.Resumed == 0 && stopAt > 4 {
			t.Errorf("resume after %d progress calls redid everything", stopAt)
		}
		sameTree(t, want, datasetFiles(t, out))
		// A second resume finds nothing to do.
		res, err = Run(context.Background(), o)
		if err != nil || !res.AlreadyComplete {
			t.Fatalf("resume of a complete run: %+v %v", res, err)
		}
	}
}

func TestResumeRefusesChanges(t *testing.T) {
	root := smallTree(t, 3, 4)
	out := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	o := baseOpts(root, out)
	o.Progress = func(int, int) { cancel() }
	Run(ctx, o)
	o = baseOpts(root, out)
	o.Resume, o.Seed = true, 5
	if _, err := Run(context.Background(), o); err == nil || !strings.Contains(err.Error(), "seed was 0, now 5") {
		t.Fatalf("changed seed: %v", err)
	}
	// Options recorded only when not the default are compared too: images of the folder
	// output are not continued in containers.
	o = baseOpts(root, out)
	o.Resume, o.Output = true, FFCVOutput
	if _, err := Run(context.Background(), o); err == nil || !strings.Contains(err.Error(), `output was the default, now "ffcv"`) {
		t.Fatalf("changed output: %v", err)
	}
	testimage.WritePNG(t, filepath.Join(root, "classa", "new.png"), 9, 9, testimage.Gradient)
	o = baseOpts(root, out)
	o.Resume = true
	if _, err := Run(context.Background(), o); err == nil || !strings.Contains(err.Error(), "the input changed") {
		t.Fatalf("changed input: %v", err)
	}
}

// TestResumeRedoesDamagedFiles corrupts a written image of an interrupted run; resume
// must notice (it re-hashes) and rewrite it.
func TestResumeRedoesDamagedFiles(t *testing.T) {
	root := smallTree(t, 3, 5)
	ref := t.TempDir()
	Run(context.Background(), baseOpts(root, ref))
	out := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	var n atomic.Int32
	o := baseOpts(root, out)
	o.Progress = func(int, int) {
		if n.Add(1) == 10 {
			cancel()
		}
	}
	Run(ctx, o)
	victim := filepath.Join(out, "vflip", "reference", "val", "classa", "img0.jpg")
	if err := os.WriteFile(victim, []byte("damaged"), 0o644); err != nil {
		t.Fatal(err)
	}
	o = baseOpts(root, out)
	o.Resume = true
	if _, err := Run(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	sameTree(t, datasetFiles(t, ref), datasetFiles(t, out))
}

// TestShardsMerge runs three shards separately and merges them; the result must equal
// one process's output byte for byte.
func TestShardsMerge(t *testing.T) {
	root := smallTree(t, 4, 5)
	testimage.WriteFile(t, filepath.Join(root, "classc", "zz.png"), nil) // a skipped input
	ref := t.TempDir()
	if _, err := Run(context.Background(), baseOpts(root, ref)); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	for k := 1; k <= 3; k++ {
		o := baseOpts(root, out)
		o.Shard = Shard{K: k, N: 3}
		if _, err := Run(context.Background(), o); err != nil {
			t.Fatal(err)
		}
		if k == 2 {
			if _, err := Merge(filepath.Join(out, "vflip")); err == nil || !strings.Contains(err.Error(), "3/3") {
				t.Fatalf("merge with a shard missing: %v", err)
			}
		}
	}
	for _, s := range []string{"spurious-tint", "vflip"} {
		res, err := Merge(filepath.Join(out, s))
		if err != nil {
			t.Fatal(err)
		}
		if res.Shards != 3 || res.Images != 40 {
			t.Fatalf("merge %+v", res)
		}
	}
	got, want := datasetFiles(t, out), datasetFiles(t, ref)
	sameTree(t, want, got)

	// Shards from different options are refused.
	out2 := t.TempDir()
	for k := 1; k <= 2; k++ {
		o := baseOpts(root, out2)
		o.Shifts = []string{"vflip"}
		o.Shard = Shard{K: k, N: 2}
		o.Quality = 90 + k
		if _, err := Run(context.Background(), o); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := Merge(filepath.Join(out2, "vflip")); err == nil || !strings.Contains(err.Error(), "quality") {
		t.Fatalf("mixed options: %v", err)
	}
}

func TestShardParsing(t *testing.T) {
	if s, err := ParseShard("2/8"); err != nil || s != (Shard{2, 8}) {
		t.Fatal(s, err)
	}
	for _, bad := range []string{"0/3", "4/3", "x", "1/0", "2"} {
		if _, err := ParseShard(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	s, err := ShardFromEnv(env(map[string]string{"SLURM_ARRAY_TASK_ID": "4", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_MAX": "9", "SLURM_ARRAY_TASK_COUNT": "10"}), 0)
	if err != nil || s != (Shard{5, 10}) {
		t.Fatal(s, err)
	}
	s, err = ShardFromEnv(env(map[string]string{"JOB_COMPLETION_INDEX": "0"}), 4)
	if err != nil || s != (Shard{1, 4}) {
		t.Fatal(s, err)
	}
	if _, err := ShardFromEnv(env(map[string]string{"JOB_COMPLETION_INDEX": "0"}), 0); err == nil {
		t.Fatal("Kubernetes without --shards accepted")
	}
	// Bounds partition the jobs exactly.
	seen := 0
	for k := 1; k <= 7; k++ {
		lo, hi := Shard{k, 7}.bounds(100)
		if lo != seen {
			t.Fatalf("gap before shard %d", k)
		}
		seen = hi
	}
	if seen != 100 {
		t.Fatalf("shards cover %d of 100", seen)
	}
}

func TestVerify(t *testing.T) {
	root := smallTree(t, 2, 3)
	out := t.TempDir()
	o := baseOpts(root, out)
	o.Shifts = []string{"vflip"}
	if _, err := Run(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(out, "vflip")
	rep, err := Verify(context.Background(), dir, VerifyOptions{})
	if err != nil || !rep.OK() || rep.Records != 12 {
		t.Fatalf("fresh dataset: %+v %v", rep, err)
	}
	flip := filepath.Join(dir, "shifted/val/classa/img1.jpg")
	b, _ := os.ReadFile(flip)
	b[len(b)/2] ^= 0x40
	os.WriteFile(flip, b, 0o644)
	os.Remove(filepath.Join(dir, "reference/val/classb/img2.jpg"))
	os.WriteFile(filepath.Join(dir, "shifted/val/classb/stray.jpg"), []byte("x"), 0o644)
	rep, err = Verify(context.Background(), dir, VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(rep.Changed, ",") != "shifted/val/classa/img1.jpg" ||
		strings.Join(rep.Missing, ",") != "reference/val/classb/img2.jpg" ||
		strings.Join(rep.Extra, ",") != "shifted/val/classb/stray.jpg" || rep.OK() {
		t.Fatalf("report %+v", rep)
	}
	// --quick compares sizes only: the flipped byte goes unseen.
	rep, _ = Verify(context.Background(), dir, VerifyOptions{Quick: true})
	if len(rep.Changed) != 0 || len(rep.Missing) != 1 {
		t.Fatalf("quick report %+v", rep)
	}
	// A damaged records file is a problem.
	rp := filepath.Join(dir, manifests.RecordsFile)
	rb, _ := os.ReadFile(rp)
	os.WriteFile(rp, bytes.Replace(rb, []byte(`"label":1`), []byte(`"label":0`), 1), 0o644)
	rep, _ = Verify(context.Background(), dir, VerifyOptions{Quick: true})
	if len(rep.Problems) < 2 {
		t.Fatalf("damaged records: %+v", rep.Problems)
	}
}

// TestResumeWithOneDatasetFinished covers a run killed while removing its journals: one
// dataset is complete, the other still has its journal. Resume finishes the second and
// leaves the first alone.
func TestResumeWithOneDatasetFinished(t *testing.T) {
	root := smallTree(t, 3, 4)
	ref := t.TempDir()
	if _, err := Run(context.Background(), baseOpts(root, ref)); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	o := baseOpts(root, out)
	o.Progress = func(int, int) { cancel() }
	Run(ctx, o)
	if err := os.RemoveAll(filepath.Join(out, "vflip")); err != nil {
		t.Fatal(err)
	}
	if err := os.CopyFS(filepath.Join(out, "vflip"), os.DirFS(filepath.Join(ref, "vflip"))); err != nil {
		t.Fatal(err)
	}
	o = baseOpts(root, out)
	o.Resume = true
	res, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Datasets) != 1 || res.Datasets[0].Spec != "spurious-tint" {
		t.Fatalf("resumed %+v", res.Datasets)
	}
	sameTree(t, datasetFiles(t, ref), datasetFiles(t, out))
}

// TestResumeFinishedChecksOutput: --resume on finished datasets with the same output
// finds nothing to do, and with another output is refused rather than
// reporting the old datasets as the new ones.
func TestResumeFinishedChecksOutput(t *testing.T) {
	root := smallTree(t, 3, 4)
	for _, c := range []struct {
		first, then Options
		want        string
	}{
		{Options{}, Options{Output: WebDatasetOutput}, `output was "folder", now "webdataset shard_images 10000"`},
		{Options{}, Options{Output: FFCVOutput, FFCVImage: FFCVJPEG}, `output was "folder", now "ffcv image jpg page_size 8388608"`},
		{Options{Output: WebDatasetOutput, ShardImages: 5}, Options{Output: WebDatasetOutput}, `output was "webdataset shard_images 5", now "webdataset shard_images 10000"`},
	} {
		out := t.TempDir()
		o := baseOpts(root, out)
		o.Output, o.FFCVImage, o.ShardImages = c.first.Output, c.first.FFCVImage, c.first.ShardImages
		if _, err := Run(context.Background(), o); err != nil {
			t.Fatal(err)
		}
		o.Resume = true
		if res, err := Run(context.Background(), o); err != nil || !res.AlreadyComplete {
			t.Fatalf("%s: resume with the same options: %+v %v", c.want, res, err)
		}
		o.Output, o.FFCVImage, o.ShardImages = c.then.Output, c.then.FFCVImage, c.then.ShardImages
		if _, err := Run(context.Background(), o); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("resume with another output: %v, want %q", err, c.want)
		}
	}
}
