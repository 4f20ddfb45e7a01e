package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/shiftgen/shiftgen/manifests"
	"github.com/shiftgen/shiftgen/manifests/eval"
)

// evalEntry is what a single eval's JSON and each entry of a many-shift eval's
// "shifts" share.
type evalEntry struct {
	Title  string `json:"title"`
	Split  string `json:"split"`
	Fit    any    `json:"fit"`
	Models any    `json:"models"`
	Groups any    `json:"groups"`
	Images any    `json:"images"`
	Shift  struct {
		Name, Spec, Kind string
		Params           any
	} `json:"shift"`
}

// TestEvalManyMatchesSingle scores spurious-tint, vflip and night (from the embedded
// sample, with the predictions of testdata/predictions) in one call and in three, and
// checks that every number agrees, then draws both figures.
func TestEvalManyMatchesSingle(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	if code, _, stderr := evalRun(t, "generate", "--out", out, "--shift", "spurious-tint", "--shift", "vflip", "--shift", "night", "--quiet"); code != 0 {
		t.Fatalf("generate: exit %d: %s", code, stderr)
	}
	preds := "../../testdata/predictions"
	models := filepath.Join(preds, "models.csv")
	shifts := []string{"spurious-tint", "vflip", "night"}
	plot := filepath.Join(t.TempDir(), "many.png")
	args := []string{"eval", "--models", models, "--predictions", preds, "--format", "json", "--bootstrap", "100", "--seed", "7", "--plot", plot}
	for _, s := range shifts {
		args = append(args, "--manifest", filepath.Join(out, s))
	}
	code, stdout, stderr := evalRun(t, args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var many struct {
		Shifts []struct {
			Dataset string `json:"dataset"`
			evalEntry
		} `json:"shifts"`
		Kinds []eval.KindSummary `json:"kinds"`
	}
	if err := json.Unmarshal([]byte(stdout), &many); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	if len(many.Shifts) != 3 {
		t.Fatalf("%d shifts", len(many.Shifts))
	}
	for i, s := range shifts {
		code, one, stderr := evalRun(t, "eval", "--models", models, "--predictions", filepath.Join(preds, s), "--format", "json",
			"--bootstrap", "100", "--seed", "7", "--manifest", filepath.Join(out, s, manifests.ManifestFile))
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", s, code, stderr)
		}
		var single evalEntry
		if err := json.Unmarshal([]byte(one), &single); err != nil {
			t.Fatal(err)
		}
		got := many.Shifts[i]
		if got.Dataset != s || got.Shift.Name != s || got.Shift.Params == nil {
			t.Errorf("entry %d: dataset %q shift %+v", i, got.Dataset, got.Shift)
		}
		got.Shift.Params = nil
		if !reflect.DeepEqual(got.evalEntry, single) {
			a, _ := json.Marshal(got.evalEntry)
			b, _ := json.Marshal(single)
			t.Errorf("%s: the many-shift entry differs from the single eval:\n%s\n%s", s, a, b)
		}
	}
	if len(many.Kinds) != 2 || many.Kinds[0].Kind != "in-support" || many.Kinds[1].Shifts != 2 {
		t.Errorf("kinds %+v", many.Kinds)
	}
	if !strings.Contains(stderr, "wrote "+plot+", "+strings.TrimSuffix(plot, ".png")+".kinds.png") {
		t.Errorf("stderr: %s", stderr)
	}
	for _, f := range []string{plot, strings.TrimSuffix(plot, ".png") + ".kinds.png"} {
		if st, err := os.Stat(f); err != nil || st.Size() < 5000 {
			t.Errorf("%s: %v", f, err)
		}
	}
	// The text summary, and a shell-expanded glob that lands among the prediction paths.
	code, stdout, _ = evalRun(t, "eval", "--models", models, "--predictions", preds, "--manifest", filepath.Join(out, "*"))
	if code != 0 || !strings.Contains(stdout, "effective robustness on 3 shifts") || !strings.Contains(stdout, "out-of-support  2       +0.") {
		t.Errorf("glob: exit %d:\n%s", code, stdout)
	}
	code, _, stderr = evalRun(t, "eval", "--models", models, "--manifest", filepath.Join(out, "vflip", manifests.ManifestFile), "--predictions", preds, filepath.Join(out, "night", manifests.ManifestFile))
	if code != 2 || !strings.Contains(stderr, "quote a glob") {
		t.Errorf("manifest among predictions: exit %d: %s", code, stderr)
	}
}

// icModel is a made-up model for the ImageNet-C test: right on the first clean
// reference images, and on dataset (corruption c, severity s) on the first
// right(c, s) images in index order.
type icModel struct {
	name, group string
	clean       int
	right       func(c, s int) int
}

// TestEvalImageNetC generates the 19 × 5 ImageNet-C presets from the embedded sample
// in the published layout and a clean reference, makes up predictions in one file per
// model covering every dataset, and checks each model's errors, mCE and relative mCE,
// in the JSON and as printed, against a computation by hand from AlexNet's table.
func TestEvalImageNetC(t *testing.T) {
	if testing.Short() {
		t.Skip("generates 95 datasets")
	}
	dir := t.TempDir()
	ic, clean := filepath.Join(dir, "c"), filepath.Join(dir, "clean")
	if code, _, stderr := evalRun(t, "generate", "--out", ic, "--layout", "imagenet-c", "--shift", "imagenet-c", "--shift", "imagenet-c-extra", "--quiet"); code != 0 {
		t.Fatalf("generate: exit %d: %s", code, stderr)
	}
	if code, _, stderr := evalRun(t, "generate", "--out", clean, "--preprocess", "imagenet-c", "--quality", "85", "--shift", "vflip", "--quiet"); code != 0 {
		t.Fatalf("generate clean: exit %d: %s", code, stderr)
	}
	models := []icModel{
		{"scratch-a", "scratch", 20, func(c, s int) int { return 20 - s - c%3 }},
		{"scratch-b", "scratch", 28, func(c, s int) int { return 27 - 2*s - c%4 }},
		{"scratch-c", "scratch", 36, func(c, s int) int { return 34 - 3*s + c%2 }},
		{"scratch-d", "scratch", 44, func(c, s int) int { return 41 - 4*s - c%5 }},
		{"robust", "pre-trained", 38, func(c, s int) int { return 37 - s - c%2 }},
	}
	const n = 48
	preds := filepath.Join(dir, "preds")
	for _, m := range models {
		var b bytes.Buffer
		b.WriteString("dataset,distribution,split,index,prediction\n")
		write := func(dataset, file, dist string, right int) {
			recs, err := manifests.ReadRecordsFile(file)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range recs {
				if r.Distribution != dist {
					continue
				}
				p := r.Label
				if r.Index >= right {
					p = (r.Label + 1) % n
				}
				fmt.Fprintf(&b, "%s,%s,%s,%d,%d\n", dataset, r.Distribution, r.Split, r.Index, p)
			}
		}
		write("clean/vflip", filepath.Join(clean, "vflip", manifests.RecordsFile), "reference", m.clean)
		for c, cor := range eval.Corruptions {
			for s := 1; s <= 5; s++ {
				write(fmt.Sprintf("%s/%d", cor.Name, s), filepath.Join(ic, cor.Name, fmt.Sprint(s), manifests.RecordsFile), "shifted", m.right(c, s))
			}
		}
		evalWrite(t, filepath.Join(preds, m.name+".csv"), b.Bytes())
	}
	modelsCSV := filepath.Join(dir, "models.csv")
	evalWrite(t, modelsCSV, []byte("model,group\nscratch-a,scratch\nscratch-b,scratch\nscratch-c,scratch\nscratch-d,scratch\nrobust,pre-trained\n"))
	base := []string{"eval", "--manifest", ic, "--reference", filepath.Join(clean, "vflip", manifests.ManifestFile), "--predictions", preds, "--models", modelsCSV}
	code, stdout, stderr := evalRun(t, append(base, "--format", "json")...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep struct {
		Shifts    []json.RawMessage `json:"shifts"`
		ImageNetC eval.ImageNetC    `json:"imagenet_c"`
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Shifts) != 95 || rep.ImageNetC.Baseline != "AlexNet" || len(rep.ImageNetC.Missing) != 0 || len(rep.ImageNetC.Models) != len(models) {
		t.Fatalf("%d shifts, imagenet_c %s missing %v, %d models", len(rep.Shifts), rep.ImageNetC.Baseline, rep.ImageNetC.Missing, len(rep.ImageNetC.Models))
	}
	// By hand: E = 1 − right/48, CE_c = Σ_s E / Σ_s AlexNet's, relative with the clean
	// errors subtracted, means over the 15 common and the 4 extra corruptions.
	type want struct{ clean, mce, rel, xmce, xrel float64 }
	expect := map[string]want{}
	for _, m := range models {
		cleanErr := 1 - float64(m.clean)/n
		var sums [2][2]float64
		for c, cor := range eval.Corruptions {
			var num, den, rnum, rden float64
			for s := 1; s <= 5; s++ {
				e := 1 - float64(m.right(c, s))/n
				num += e
				den += eval.AlexNetErrors[c][s-1]
				rnum += e - cleanErr
				rden += eval.AlexNetErrors[c][s-1] - eval.AlexNetCleanError
			}
			x := 0
			if cor.Extra {
				x = 1
			}
			sums[x][0] += num / den
			sums[x][1] += rnum / rden
		}
		expect[m.name] = want{cleanErr, sums[0][0] / 15, sums[0][1] / 15, sums[1][0] / 4, sums[1][1] / 4}
	}
	for _, got := range rep.ImageNetC.Models {
		w := expect[got.Model]
		vals := []float64{got.CleanError, *got.MCE, *got.RelativeMCE, *got.ExtraMCE, *got.ExtraRelativeMCE}
		for i, v := range []float64{w.clean, w.mce, w.rel, w.xmce, w.xrel} {
			if math.Abs(vals[i]-v) > 1e-12 {
				t.Errorf("%s: value %d is %v, by hand %v", got.Model, i, vals[i], v)
			}
		}
		if len(got.Corruptions) != 19 || got.Corruptions[18].Corruption != "saturate" || !got.Corruptions[18].Extra {
			t.Errorf("%s: corruptions %+v", got.Model, got.Corruptions)
		}
	}
	// As printed: mCE and relative mCE in percent, per model.
	code, stdout, stderr = evalRun(t, base...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, m := range models {
		w := expect[m.name]
		row := fmt.Sprintf("%.2f  %.2f", 100*w.mce, 100*w.rel)
		if !strings.Contains(stdout, row) {
			t.Errorf("%s: the table lacks %q", m.name, row)
		}
	}
	for _, want := range []string{"ImageNet-C error % per corruption (mean over severities)", "ImageNet-C corruption error (CE) % per corruption", "corruption errors (CE) normalised by AlexNet's published errors (Hendrycks & Dietterich 2019"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	// --by severity gives ER per corruption (rows) and severity (columns).
	code, stdout, stderr = evalRun(t, append(base, "--by", "severity")...)
	if code != 0 {
		t.Fatalf("--by severity: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "mean ER pp of pre-trained by severity") || !strings.Contains(stdout, "\nshift              1  ") {
		i := strings.Index(stdout, "by severity")
		t.Errorf("--by severity:\n%s", stdout[max(i, 0):min(len(stdout), max(i, 0)+1500)])
	}
	// Normalised by one of the models: its own CE is 100 %.
	code, stdout, stderr = evalRun(t, append(base, "--ce-baseline", "scratch-b", "--format", "json")...)
	if code != 0 {
		t.Fatalf("--ce-baseline: exit %d: %s", code, stderr)
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	for _, m := range rep.ImageNetC.Models {
		if m.Model == "scratch-b" && (math.Abs(*m.MCE-1) > 1e-12 || math.Abs(*m.RelativeMCE-1) > 1e-12) {
			t.Errorf("scratch-b normalised by itself: %v %v", *m.MCE, *m.RelativeMCE)
		}
	}
}

// TestLabelShiftDegenerate: label-shift on the sample (one image per class) leaves half
// the class folders of each split empty, which generate says (on stderr and in the
// manifest, and identically after shards and merge) and torchvision refuses; eval
// scores it all the same, without class matching (its reference and shifted images
// share no class): a label shift's class proportions are the shift.
func TestLabelShiftDegenerate(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	code, _, stderr := evalRun(t, "generate", "--out", out, "--shift", "label-shift", "--quiet")
	if code != 0 {
		t.Fatalf("generate: exit %d: %s", code, stderr)
	}
	want := "warning: " + filepath.Join(out, "label-shift") + ": reference val: 24 of the 48 class folders are empty (n01601694, n02088094, n02093428, n02097474, n02165105 and 19 more); torchvision's ImageFolder"
	if !strings.Contains(stderr, want) || !strings.Contains(stderr, "shifted val: 24 of the 48 class folders are empty") {
		t.Errorf("stderr lacks the warnings:\n%s", stderr)
	}
	m, err := manifests.ReadManifest(filepath.Join(out, "label-shift", manifests.ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Warnings) != 2 || !strings.HasPrefix(m.Warnings[0], "reference val: 24 of the 48") {
		t.Errorf("manifest warnings %q", m.Warnings)
	}
	// Every empty folder the warning counts exists and is empty.
	empty := 0
	for _, c := range m.Classes {
		entries, err := os.ReadDir(filepath.Join(out, "label-shift", "reference", "val", c.Name))
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) == 0 {
			empty++
		}
	}
	if empty != 24 {
		t.Errorf("%d empty reference class folders", empty)
	}
	// Shards and merge write the same manifest.
	shards := filepath.Join(t.TempDir(), "shards")
	for k := 1; k <= 2; k++ {
		if code, _, stderr := evalRun(t, "generate", "--out", shards, "--shift", "label-shift", "--shard", fmt.Sprintf("%d/2", k), "--quiet"); code != 0 {
			t.Fatalf("shard %d: exit %d: %s", k, code, stderr)
		}
	}
	code, _, stderr = evalRun(t, "merge", filepath.Join(shards, "label-shift"))
	if code != 0 || !strings.Contains(stderr, "shifted val: 24 of the 48 class folders are empty") {
		t.Fatalf("merge: exit %d: %s", code, stderr)
	}
	a, _ := os.ReadFile(filepath.Join(out, "label-shift", manifests.ManifestFile))
	b, _ := os.ReadFile(filepath.Join(shards, "label-shift", manifests.ManifestFile))
	if !bytes.Equal(a, b) {
		t.Error("the merged manifest differs from the one-process manifest")
	}
	// eval scores it without class matching: the class proportions are the shift.
	// scratch-k is right on the first 6k reference and 5k+1 shifted images of the
	// records (in their order), so its accuracies are 6k/24 and (5k+1)/24.
	recs, err := manifests.ReadRecordsFile(filepath.Join(out, "label-shift", manifests.RecordsFile))
	if err != nil {
		t.Fatal(err)
	}
	preds := t.TempDir()
	for k := 1; k <= 3; k++ {
		var b bytes.Buffer
		b.WriteString("path,prediction\n")
		seen := map[string]int{}
		for _, r := range recs {
			right := 6 * k
			if r.Distribution == "shifted" {
				right = 5*k + 1
			}
			p := r.Label
			if seen[r.Distribution] >= right {
				p = (r.Label + 1) % len(m.Classes)
			}
			seen[r.Distribution]++
			fmt.Fprintf(&b, "%s,%d\n", r.Path, p)
		}
		evalWrite(t, filepath.Join(preds, fmt.Sprintf("scratch-%d.csv", k)), b.Bytes())
	}
	code, stdout, stderr := evalRun(t, "eval", "--manifest", filepath.Join(out, "label-shift"), "--predictions", preds, "--baseline", "scratch-*")
	if code != 0 || !strings.Contains(stdout, "split val; 24 reference and 24 shifted images (reference not class-matched: the class proportions are the shift)") {
		t.Errorf("eval: exit %d: %s%s", code, stdout, stderr)
	}
	code, stdout, _ = evalRun(t, "eval", "--manifest", filepath.Join(out, "label-shift"), "--predictions", preds, "--baseline", "scratch-*", "--format", "json")
	if code != 0 {
		t.Fatalf("eval --format json: exit %d: %s", code, stdout)
	}
	reported := reportedAccuracies(t, stdout)
	if len(reported) != 3 {
		t.Fatalf("eval --format json: %d models reported, want 3: %s", len(reported), stdout)
	}
	for k, mr := range reported {
		if mr.Model != fmt.Sprintf("scratch-%d", k+1) || mr.RefAcc != float64(6*(k+1))/24 || mr.ShiftAcc != float64(5*(k+1)+1)/24 {
			t.Errorf("%+v: want scratch-%d with accuracies %d/24 and %d/24", mr, k+1, 6*(k+1), 5*(k+1)+1)
		}
	}
	// torchvision's ImageFolder refuses the folder, as the warning says.
	py := `
import sys
from torchvision.datasets import ImageFolder
try:
    ImageFolder(sys.argv[1])
except FileNotFoundError as e:
    print("refused:", e)
`
	cmd := exec.Command("/usr/bin/python3", "-c", py, filepath.Join(out, "label-shift", "reference", "val"))
	res, err := cmd.CombinedOutput()
	if err != nil || bytes.Contains(res, []byte("No module named")) {
		t.Skipf("torchvision not usable: %v %s", err, res)
	}
	if !bytes.HasPrefix(res, []byte("refused: Found no valid file for the classes n01601694")) {
		t.Errorf("torchvision: %s", res)
	}
}
