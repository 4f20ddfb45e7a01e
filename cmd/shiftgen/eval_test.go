package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"codeberg.org/sbinet/npyio"

	"github.com/shiftgen/shiftgen/manifests"
)

// evalRun runs shiftgen with args and returns its exit code, stdout and stderr.
func evalRun(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	dir := t.TempDir()
	out, err := os.Create(filepath.Join(dir, "stdout"))
	if err != nil {
		t.Fatal(err)
	}
	errf, err := os.Create(filepath.Join(dir, "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	oldOut, oldErr := os.Stdout, os.Stderr
	os.Stdout, os.Stderr = out, errf
	code := run(context.Background(), append([]string{"shiftgen"}, args...))
	os.Stdout, os.Stderr = oldOut, oldErr
	out.Close()
	errf.Close()
	o, _ := os.ReadFile(out.Name())
	e, _ := os.ReadFile(errf.Name())
	return code, string(o), string(e)
}

// evalTree writes a tiny ImageFolder tree: 3 classes of 8 small PNGs each.
func evalTree(t *testing.T) string {
	t.Helper()
	root := filepath.Join(t.TempDir(), "src")
	for ci, class := range []string{"ant", "bee", "cat"} {
		for i := range 8 {
			img := image.NewRGBA(image.Rect(0, 0, 20, 16))
			for p := 0; p < len(img.Pix); p += 4 {
				img.Pix[p], img.Pix[p+1], img.Pix[p+2], img.Pix[p+3] = uint8(30*i), uint8(80*ci), uint8(p%256), 255
			}
			img.Set(i, ci, color.White)
			writePNG(t, filepath.Join(root, class, fmt.Sprintf("%02d.png", i)), img)
		}
	}
	return root
}

// modelAccuracy is one model's accuracies in eval's JSON report.
type modelAccuracy struct {
	Model    string  `json:"model"`
	RefAcc   float64 `json:"ref_acc"`
	ShiftAcc float64 `json:"shift_acc"`
}

// reportedAccuracies returns the models of a report eval wrote with --format json.
func reportedAccuracies(t *testing.T, report string) []modelAccuracy {
	t.Helper()
	var rep struct {
		Models []modelAccuracy `json:"models"`
	}
	if err := json.Unmarshal([]byte(report), &rep); err != nil {
		t.Fatalf("%v\n%s", err, report)
	}
	return rep.Models
}

// evalModel is a made-up model: correct on the first Ref reference and Shift shifted
// images (in record order), wrong (the next label) on the rest.
type evalModel struct {
	Name       string
	Ref, Shift int
}

func (m evalModel) pred(r *manifests.Record, k, classes int) int {
	ok := m.Ref
	if r.Distribution == "shifted" {
		ok = m.Shift
	}
	if k < ok {
		return r.Label
	}
	return (r.Label + 1) % classes
}

// TestEvalEndToEnd generates a spurious-tint dataset from a tiny tree, makes up
// predictions with known accuracies in CSV, JSONL and NPY, and checks that eval recovers
// every accuracy exactly, in every format.
func TestEvalEndToEnd(t *testing.T) {
	src := evalTree(t)
	out := filepath.Join(t.TempDir(), "out")
	if code, _, stderr := evalRun(t, "generate", "--in", src, "--out", out, "--shift", "spurious-tint", "--format", "png", "--quiet"); code != 0 {
		t.Skipf("generate failed (exit %d: %s); this test needs a working generate", code, stderr)
	}
	ds := filepath.Join(out, "spurious-tint")
	manifest := filepath.Join(ds, manifests.ManifestFile)
	m, err := manifests.ReadManifest(manifest)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := manifests.ReadRecordsFile(filepath.Join(ds, m.Records.Name))
	if err != nil {
		t.Fatal(err)
	}
	k := len(m.Classes)
	var ref, shift []*manifests.Record
	for _, r := range recs {
		if r.Split != "val" {
			continue
		}
		if r.Distribution == "reference" {
			ref = append(ref, r)
		} else {
			shift = append(shift, r)
		}
	}
	if k != 3 || len(ref) != 24 || len(shift) != 24 {
		t.Fatalf("generated %d classes, %d reference and %d shifted val images; want 3, 24, 24", k, len(ref), len(shift))
	}
	models := []evalModel{{"scratch-a", 10, 6}, {"scratch-b", 14, 9}, {"scratch-c", 18, 13}, {"scratch-d", 22, 18}, {"clip-ft", 16, 15}, {"clip-lp", 20, 19}}
	preds := t.TempDir()
	for _, md := range models {
		// CSV by path, with class numbers.
		var c bytes.Buffer
		c.WriteString("path,prediction\n")
		for _, rs := range [][]*manifests.Record{ref, shift} {
			for i, r := range rs {
				fmt.Fprintf(&c, "%s,%d\n", r.Path, md.pred(r, i, k))
			}
		}
		evalWrite(t, filepath.Join(preds, "csv", md.Name+".csv"), c.Bytes())
		// JSONL by distribution, split and index, with class names, shifted first.
		var j bytes.Buffer
		for _, rs := range [][]*manifests.Record{shift, ref} {
			for i, r := range rs {
				fmt.Fprintf(&j, "{\"distribution\":%q,\"split\":%q,\"index\":%d,\"prediction\":%q}\n", r.Distribution, r.Split, r.Index, m.Classes[md.pred(r, i, k)].Name)
			}
		}
		evalWrite(t, filepath.Join(preds, "jsonl", md.Name+".jsonl"), j.Bytes())
		// NPY: int64 labels for reference/val (found by the folder layout) and float32
		// logits for shifted/val (given by --npy-root), in ImageFolder order: the
		// records of a root sorted by path.
		labels := make([]int64, 0, len(ref))
		for _, i := range evalFolderOrder(ref) {
			labels = append(labels, int64(md.pred(ref[i], i, k)))
		}
		evalNPY(t, filepath.Join(preds, "npy", "reference", "val", md.Name+".npy"), labels)
		logits := make([][]float32, 0, len(shift))
		for _, i := range evalFolderOrder(shift) {
			row := []float32{0.1, -0.2, 0.3}
			row[md.pred(shift[i], i, k)] = 5
			logits = append(logits, row)
		}
		evalNPY(t, filepath.Join(preds, "npy", "logits", md.Name+".npy"), logits)
	}
	modelsCSV := filepath.Join(preds, "models.csv")
	evalWrite(t, modelsCSV, []byte("model,group\nscratch-a,scratch\nscratch-b,scratch\nscratch-c,scratch\nscratch-d,scratch\nclip-ft,CLIP (FT)\nclip-lp,CLIP (LP)\n"))

	var reports []string
	for _, format := range []string{"csv", "jsonl", "npy"} {
		args := []string{"eval", "--manifest", manifest, "--predictions", filepath.Join(preds, format), "--models", modelsCSV, "--format", "json", "--bootstrap", "200", "--seed", "4"}
		if format == "npy" {
			args = append(args, "--npy-root", filepath.Join(preds, "npy", "logits")+"=shifted/val")
		}
		code, stdout, stderr := evalRun(t, args...)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", format, code, stderr)
		}
		var rep struct {
			Fit struct {
				Scale      string `json:"scale"`
				NBaselines int    `json:"n_baselines"`
			} `json:"fit"`
			Models []struct {
				Model    string  `json:"model"`
				Group    string  `json:"group"`
				Baseline bool    `json:"baseline"`
				RefAcc   float64 `json:"ref_acc"`
				ShiftAcc float64 `json:"shift_acc"`
				ER       float64 `json:"er"`
			} `json:"models"`
			Groups []struct {
				Group string `json:"group"`
				N     int    `json:"n"`
			} `json:"groups"`
		}
		if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
			t.Fatalf("%s: %v\n%s", format, err, stdout)
		}
		if rep.Fit.Scale != "probit" || rep.Fit.NBaselines != 4 || len(rep.Models) != 6 || len(rep.Groups) != 3 {
			t.Errorf("%s: fit %+v, %d models, groups %+v", format, rep.Fit, len(rep.Models), rep.Groups)
		}
		for _, got := range rep.Models {
			var want evalModel
			for _, md := range models {
				if md.Name == got.Model {
					want = md
				}
			}
			if got.RefAcc != float64(want.Ref)/24 || got.ShiftAcc != float64(want.Shift)/24 {
				t.Errorf("%s: %s: accuracies %v, %v; want %d/24, %d/24", format, got.Model, got.RefAcc, got.ShiftAcc, want.Ref, want.Shift)
			}
			if got.Baseline != strings.HasPrefix(got.Model, "scratch") {
				t.Errorf("%s: %s: baseline = %v", format, got.Model, got.Baseline)
			}
			if strings.HasPrefix(got.Model, "clip") && got.ER <= 0.05 {
				t.Errorf("%s: %s: ER %v, want clearly positive", format, got.Model, got.ER)
			}
		}
		reports = append(reports, stdout)
	}
	for i := 1; i < len(reports); i++ {
		if reports[i] != reports[0] {
			t.Errorf("format %d gives a different report", i)
		}
	}

	// --by spurious: reference images split by their sampled flag; shifted images are
	// never spurious, so spurious=true has no shifted image and is skipped.
	plot := filepath.Join(t.TempDir(), "fig.png")
	// The CSV files as a shell glob gives them: the first after --predictions, the rest
	// as arguments.
	files, err := filepath.Glob(filepath.Join(preds, "csv", "*.csv"))
	if err != nil || len(files) != 6 {
		t.Fatalf("glob: %v %v", files, err)
	}
	args := append([]string{"eval", "--manifest", manifest, "--baseline", "scratch-*", "--by", "spurious", "--plot", plot, "--predictions"}, files...)
	code, stdout, stderr := evalRun(t, args...)
	if code != 0 {
		t.Fatalf("--by: exit %d: %s", code, stderr)
	}
	for _, want := range []string{"spurious-tint (in-support)", "spurious-tint (in-support), spurious = false", "fit: probit(shift) =", "clip-ft"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("--by output lacks %q:\n%s", want, stdout)
		}
	}
	if !strings.Contains(stderr, "spurious=true: skipped: no shifted image") || !strings.Contains(stderr, "wrote "+plot) {
		t.Errorf("--by stderr: %s", stderr)
	}
	if st, err := os.Stat(plot); err != nil || st.Size() < 1000 {
		t.Errorf("plot: %v", err)
	}
}

// evalFolderOrder returns the positions of recs in ImageFolder order (by path: the
// generated layout is DIST/SPLIT/CLASS/FILE, one level deep).
func evalFolderOrder(recs []*manifests.Record) []int {
	idx := make([]int, len(recs))
	for i := range idx {
		idx[i] = i
	}
	for i := 1; i < len(idx); i++ {
		for j := i; j > 0 && recs[idx[j]].Path < recs[idx[j-1]].Path; j-- {
			idx[j], idx[j-1] = idx[j-1], idx[j]
		}
	}
	return idx
}

func evalWrite(t *testing.T, file string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func evalNPY(t *testing.T, file string, v any) {
	t.Helper()
	var b bytes.Buffer
	if err := npyio.Write(&b, v); err != nil {
		t.Fatal(err)
	}
	evalWrite(t, file, b.Bytes())
}

// TestEvalTestbed runs eval on the published testbed table (testdata/testbed) through
// the CLI.
func TestEvalTestbed(t *testing.T) {
	table := "../../testdata/testbed/natural_shift_top1.csv"
	code, stdout, stderr := evalRun(t, "eval", "--accuracies", table, "--ref-col", "val", "--shift-col", "imagenetv2-matched-frequency-format-val",
		"--group-col", "model_type", "--baseline", "used_for_line_fit_heuristic=1", "--format", "csv")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "accuracies read as percent") {
		t.Errorf("units not stated: %s", stderr)
	}
	if !strings.Contains(stdout, ",,group,,MORE_DATA,,43,") || !strings.Contains(stdout, ",probit,0.96167751") {
		t.Errorf("csv:\n%.2000s", stdout)
	}
}

// TestEvalExitCodes checks usage errors (2) and bad input (1), with messages that name
// the problem and the fix.
func TestEvalExitCodes(t *testing.T) {
	dir := t.TempDir()
	table := filepath.Join(dir, "t.csv")
	evalWrite(t, table, []byte("model,ref,shift\na,0.5,0.4\nb,0.6,0.5\n"))
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"eval"}, 2, "nothing to evaluate"},
		{[]string{"eval", "--accuracies", table}, 2, "--ref-col and --shift-col"},
		{[]string{"eval", "--accuracies", table, "--ref-col", "ref", "--shift-col", "shift", "--scale", "linear"}, 2, "probit or logit"},
		{[]string{"eval", "--accuracies", table, "--ref-col", "ref", "--shift-col", "shift", "--format", "yaml"}, 2, "table, csv, json, markdown"},
		{[]string{"eval", "--accuracies", table, "--ref-col", "ref", "--shift-col", "shift", "--baseline", "*"}, 1, "at least 3"},
		{[]string{"eval", "--accuracies", table, "--ref-col", "ref", "--shift-col", "nope", "--baseline", "*"}, 1, "t.csv:1: no column \"nope\""},
		{[]string{"eval", "--manifest", filepath.Join(dir, "none.json"), "--predictions", dir}, 1, "none.json"},
		{[]string{"reproduce", "logreg", "--format", "yaml"}, 2, "table, csv"},
		{[]string{"reproduce", "nope"}, 2, "available: logreg"},
		{[]string{"eval", "--accuracies", table, "--predictions", "a.csv", "b.csv", "--ref-col", "ref"}, 2, "--ref-col comes after prediction paths"},
	} {
		code, _, stderr := evalRun(t, c.args...)
		if code != c.code || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", c.args, code, stderr, c.code, c.want)
		}
	}
}

// TestReproduceLogreg checks the command's conclusion and its two-panel plot.
func TestReproduceLogreg(t *testing.T) {
	plot := filepath.Join(t.TempDir(), "logreg.svg")
	code, stdout, stderr := evalRun(t, "reproduce", "logreg", "--plot", plot)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"in-support: every initialisation's mean ER is within 0.19 pp of 0", "out-of-support: mean ER runs from -18.66 pp", "init 5 (w_perp=+2)"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	svg, err := os.ReadFile(plot)
	if err != nil || !bytes.Contains(svg, []byte("in-support shift")) || !bytes.Contains(svg, []byte("out-of-support shift")) {
		t.Errorf("plot: %v", err)
	}
	// --bootstrap takes eval's range.
	for _, n := range []string{"-1", "1000001"} {
		if code, _, stderr := evalRun(t, "reproduce", "logreg", "--bootstrap", n); code != exitUsage || !strings.Contains(stderr, "--bootstrap "+n+" is out of range") {
			t.Errorf("--bootstrap %s: exit %d: %s", n, code, stderr)
		}
	}
}

// TestEvalContainerOrder: predictions made by a loader loop over a .beton or over
// WebDataset shards come in the containers' sample order; eval maps them through the
// records, as .npy rows (labels and logits), as CSV and JSONL rows with a sample column,
// and as CSV rows naming each image by its container and place. Every accuracy comes out
// exactly; a CSV naming image files, which a container dataset has none of, is refused
// with what to give instead.
func TestEvalContainerOrder(t *testing.T) {
	src := evalTree(t)
	for _, kind := range [][]string{{"--output", "ffcv"}, {"--output", "webdataset", "--shard-images", "5"}} {
		t.Run(kind[1], func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			args := append([]string{"generate", "--in", src, "--out", out, "--shift", "spurious-tint", "--quiet"}, kind...)
			if code, _, stderr := evalRun(t, args...); code != 0 {
				t.Fatalf("generate: exit %d: %s", code, stderr)
			}
			manifest := filepath.Join(out, "spurious-tint", manifests.ManifestFile)
			m, recs, err := manifests.ReadDataset(manifest)
			if err != nil {
				t.Fatal(err)
			}
			k := len(m.Classes)
			// The records of each distribution in their containers' order (by sample).
			byDist := map[string][]*manifests.Record{}
			for _, r := range recs {
				byDist[r.Distribution] = append(byDist[r.Distribution], r)
			}
			for d, rs := range byDist {
				sort.Slice(rs, func(i, j int) bool { return rs[i].In.Sample < rs[j].In.Sample })
				for i, r := range rs {
					if r.In.Sample != int64(i) {
						t.Fatalf("%s: samples are not 0..%d", d, len(rs)-1)
					}
				}
			}
			ref, shift := byDist["reference"], byDist["shifted"]
			models := []evalModel{{"scratch-a", 10, 6}, {"scratch-b", 14, 9}, {"scratch-c", 18, 13}, {"clip", 20, 19}}
			preds := t.TempDir()
			for _, md := range models {
				labels := make([]int64, len(ref))
				for i, r := range ref {
					labels[i] = int64(md.pred(r, i, k))
				}
				evalNPY(t, filepath.Join(preds, "npy", "reference", "val", md.Name+".npy"), labels)
				logits := make([][]float32, len(shift))
				for i, r := range shift {
					logits[i] = []float32{0.1, -0.2, 0.3}
					logits[i][md.pred(r, i, k)] = 5
				}
				evalNPY(t, filepath.Join(preds, "npy", "logits", md.Name+".npy"), logits)
				var c, j, l bytes.Buffer
				c.WriteString("distribution,split,sample,prediction\n")
				l.WriteString("path,prediction\n")
				for _, rs := range [][]*manifests.Record{shift, ref} {
					for i, r := range rs {
						fmt.Fprintf(&c, "%s,%s,%d,%d\n", r.Distribution, r.Split, r.In.Sample, md.pred(r, i, k))
						fmt.Fprintf(&j, "{\"distribution\":%q,\"split\":%q,\"sample\":%d,\"prediction\":%q}\n", r.Distribution, r.Split, r.In.Sample, m.Classes[md.pred(r, i, k)].Name)
						fmt.Fprintf(&l, "%s,%d\n", r.Locator(), md.pred(r, i, k))
					}
				}
				evalWrite(t, filepath.Join(preds, "csv", md.Name+".csv"), c.Bytes())
				evalWrite(t, filepath.Join(preds, "jsonl", md.Name+".jsonl"), j.Bytes())
				evalWrite(t, filepath.Join(preds, "locator", md.Name+".csv"), l.Bytes())
			}
			for _, format := range []string{"npy", "csv", "jsonl", "locator"} {
				args := []string{"eval", "--manifest", manifest, "--predictions", filepath.Join(preds, format), "--baseline", "scratch-*", "--format", "json"}
				if format == "npy" {
					args = append(args, "--npy-root", filepath.Join(preds, "npy", "logits")+"=shifted/val")
				}
				code, stdout, stderr := evalRun(t, args...)
				if code != 0 {
					t.Fatalf("%s: exit %d: %s", format, code, stderr)
				}
				reported := reportedAccuracies(t, stdout)
				if len(reported) != len(models) {
					t.Fatalf("%s: %d models reported, want %d:\n%s", format, len(reported), len(models), stdout)
				}
				for _, got := range reported {
					for _, md := range models {
						if md.Name == got.Model && (got.RefAcc != float64(md.Ref)/24 || got.ShiftAcc != float64(md.Shift)/24) {
							t.Errorf("%s: %s: accuracies %v, %v; want %d/24, %d/24", format, got.Model, got.RefAcc, got.ShiftAcc, md.Ref, md.Shift)
						}
					}
				}
			}
			// Image-file paths name nothing in a container dataset.
			bad := filepath.Join(t.TempDir(), "scratch-x.csv")
			evalWrite(t, bad, []byte("path,prediction\nreference/val/ant/00.png,0\n"))
			code, _, stderr := evalRun(t, "eval", "--manifest", manifest, "--predictions", bad, "--baseline", "scratch-*")
			if code != exitError || !strings.Contains(stderr, "sit in containers") || !strings.Contains(stderr, "distribution,split,sample") {
				t.Fatalf("image-file paths: exit %d: %s", code, stderr)
			}
		})
	}
}
