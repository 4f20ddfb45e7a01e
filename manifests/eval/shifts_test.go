package eval

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/shiftgen/shiftgen/manifests"
)

// catalogue is three made-up datasets of different kinds with models whose accuracies
// differ per dataset, written under one folder.
type catalogue struct {
	root   string
	sets   map[string]fakeSet
	models map[string][]fakeModel
	order  []string
}

func newCatalogue(t *testing.T) *catalogue {
	t.Helper()
	c := &catalogue{root: filepath.Join(t.TempDir(), "out"), sets: map[string]fakeSet{}, models: map[string][]fakeModel{}}
	for i, s := range []manifests.Shift{
		{Name: "spurious-x", Spec: "spurious-x:p=0.5", Kind: "in-support", Params: json.RawMessage(`{"p":0.5}`)},
		{Name: "flip", Spec: "flip", Kind: "out-of-support", Params: json.RawMessage(`{}`)},
		{Name: "dark", Spec: "dark:severity=2", Kind: "out-of-support", Params: json.RawMessage(`{"severity":2}`)},
	} {
		shift := s
		f := fakeSet{classes: 4, nRef: 40, nShift: 40, nTrain: 4, shift: &shift}
		name := strings.Split(s.Spec, ":")[0]
		f.write(t, filepath.Join(c.root, name))
		c.sets[name] = f
		c.order = append(c.order, name)
		d := i * 2
		c.models[name] = []fakeModel{
			{"base-a", 20, 12 - d}, {"base-b", 24, 15 - d}, {"base-c", 28, 19 - d}, {"base-d", 32, 23 - d}, {"base-e", 36, 29 - d},
			{"pre-x", 26, 22 + i}, {"pre-y", 34, 31 - i},
		}
	}
	return c
}

// manifest returns dataset name's manifest path.
func (c *catalogue) manifest(name string) string {
	return filepath.Join(c.root, name, manifests.ManifestFile)
}

// perDataset writes each dataset's predictions into PREDS/NAME/MODEL.csv.
func (c *catalogue) perDataset(t *testing.T, preds string) {
	t.Helper()
	for _, name := range c.order {
		for _, m := range c.models[name] {
			writeCSV(t, c.sets[name], m, filepath.Join(preds, name, m.name+".csv"))
		}
	}
}

// entryJSON marshals the parts of a Report that the shifts entries must share with a
// single eval.
func entryJSON(t *testing.T, r *Report) string {
	t.Helper()
	b, err := json.Marshal(struct {
		Title  string
		Shift  ShiftInfo
		Result Result
		By     map[string]map[string]*Result
	}{r.Title, ShiftInfo{Name: r.Shift.Name, Spec: r.Shift.Spec, Kind: r.Shift.Kind}, r.Result, r.By})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestShiftsMatchSingle scores three datasets in one run and each alone: every entry
// must equal the single report, bootstrap included, and the summary per kind must be
// the mean of the entries' group means.
func TestShiftsMatchSingle(t *testing.T) {
	c := newCatalogue(t)
	preds := filepath.Join(t.TempDir(), "preds")
	c.perDataset(t, preds)
	base := Config{Predictions: []string{preds}, Baselines: []string{"base-*"}, Bootstrap: 200, Seed: 5, By: []string{"label"}}
	cfg := base
	for _, n := range c.order {
		cfg.Manifests = append(cfg.Manifests, c.manifest(n))
	}
	rep, err := RunShifts(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Shifts) != 3 || len(rep.Skipped) != 0 {
		t.Fatalf("%d shifts, skipped %v", len(rep.Shifts), rep.Skipped)
	}
	for i, n := range c.order {
		one := base
		one.Manifests = []string{c.manifest(n)}
		one.Predictions = []string{filepath.Join(preds, n)}
		single, err := Run(context.Background(), one)
		if err != nil {
			t.Fatal(err)
		}
		got := rep.Shifts[i]
		if got.Dataset != n || got.Manifest != c.manifest(n) {
			t.Errorf("entry %d: dataset %q manifest %q", i, got.Dataset, got.Manifest)
		}
		if a, b := entryJSON(t, got.Report), entryJSON(t, single); a != b {
			t.Errorf("%s: the entry differs from a single eval:\n%s\n%s", n, a, b)
		}
		if !bytes.Equal(got.Shift.Params, c.sets[n].shift.Params) {
			t.Errorf("%s: params %s", n, got.Shift.Params)
		}
		// Accuracies are the counts the fake models were made with.
		for _, m := range got.Models {
			for _, fm := range c.models[n] {
				if fm.name == m.Model && (m.RefAcc != float64(fm.refOK)/40 || m.ShiftAcc != float64(fm.shftOK)/40) {
					t.Errorf("%s %s: %v %v", n, m.Model, m.RefAcc, m.ShiftAcc)
				}
			}
		}
	}
	// The folders of the datasets given one by one are read alike.
	each := cfg
	each.Predictions = nil
	for _, n := range c.order {
		each.Predictions = append(each.Predictions, filepath.Join(preds, n))
	}
	rep2, err := RunShifts(context.Background(), each)
	if err != nil {
		t.Fatal(err)
	}
	for i := range rep2.Shifts {
		if a, b := entryJSON(t, rep2.Shifts[i].Report), entryJSON(t, rep.Shifts[i].Report); a != b {
			t.Errorf("%s: folders given one by one give another result", c.order[i])
		}
	}
	if !reflect.DeepEqual(rep.Groups, []string{"baseline", "other"}) {
		t.Errorf("groups %v", rep.Groups)
	}
	// Kinds: in-support holds spurious-x alone, out-of-support the mean of flip and dark.
	if len(rep.Kinds) != 2 || rep.Kinds[0].Kind != "in-support" || rep.Kinds[1].Kind != "out-of-support" || rep.Kinds[1].Shifts != 2 {
		t.Fatalf("kinds %+v", rep.Kinds)
	}
	other := func(s *ShiftReport) float64 { return s.groupER("other").MeanER }
	if got, want := rep.Kinds[1].Groups[1].MeanER, (other(rep.Shifts[1])+other(rep.Shifts[2]))/2; got != want || rep.Kinds[1].Groups[1].Group != "other" {
		t.Errorf("out-of-support mean ER %v, want %v", got, want)
	}
	if rep.ImageNetC != nil {
		t.Errorf("imagenet_c for datasets without corruptions")
	}
	// The JSON contract: the entries under "shifts", with params.
	var buf bytes.Buffer
	if err := rep.Write(&buf, "json"); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"title", "split", "class_matching", "groups", "shifts", "kinds", "bootstrap", "seed"} {
		if _, ok := doc[k]; !ok {
			t.Errorf("json lacks %q", k)
		}
	}
	first := doc["shifts"].([]any)[0].(map[string]any)
	for _, k := range []string{"dataset", "manifest", "label", "title", "shift", "split", "fit", "models", "groups", "images", "by"} {
		if _, ok := first[k]; !ok {
			t.Errorf("shifts[0] lacks %q", k)
		}
	}
	if p := first["shift"].(map[string]any)["params"].(map[string]any)["p"]; p != 0.5 {
		t.Errorf("shifts[0].shift.params.p = %v", p)
	}
	// Text: the summary names every shift with its kind; CSV rows lead with the dataset.
	buf.Reset()
	if err := rep.Write(&buf, "table"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"spurious-x:p=0.5  in-support", "flip              out-of-support", "mean ER pp by kind of shift", "ER pp per model", "mean ER pp of other by label"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, buf.String())
		}
	}
	buf.Reset()
	if err := rep.Write(&buf, "csv"); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if !strings.HasPrefix(lines[0], "dataset,shift,spec,shift_kind,by,value,kind,model") || !strings.HasPrefix(lines[1], "spurious-x,spurious-x,spurious-x:p=0.5,in-support,,,model,base-a,") {
		t.Errorf("csv starts %q / %q", lines[0], lines[1])
	}
}

// TestCoveringFiles gives each model one file covering the three datasets, keyed in
// every way a row may name its image, and checks that the report equals the one from
// a folder per dataset.
func TestCoveringFiles(t *testing.T) {
	c := newCatalogue(t)
	dir := t.TempDir()
	perDS := filepath.Join(dir, "per")
	c.perDataset(t, perDS)
	cfg := Config{Baselines: []string{"base-*"}}
	for _, n := range c.order {
		cfg.Manifests = append(cfg.Manifests, c.manifest(n))
	}
	want := cfg
	want.Predictions = []string{perDS}
	wantRep, err := RunShifts(context.Background(), want)
	if err != nil {
		t.Fatal(err)
	}
	wd, _ := os.Getwd()
	relRoot, err := filepath.Rel(wd, c.root)
	if err != nil {
		t.Fatal(err)
	}
	for _, how := range []string{"absolute", "relative", "suffix", "dataset", "jsonl"} {
		t.Run(how, func(t *testing.T) {
			out := filepath.Join(dir, how)
			for _, m := range c.models[c.order[0]] {
				var b bytes.Buffer
				ext := ".csv"
				switch how {
				case "dataset":
					b.WriteString("dataset,distribution,split,index,prediction\n")
				case "jsonl":
					ext = ".jsonl"
				default:
					b.WriteString("path,prediction\n")
				}
				for _, n := range c.order {
					f := c.sets[n]
					var fm fakeModel
					for _, x := range c.models[n] {
						if x.name == m.name {
							fm = x
						}
					}
					for _, dist := range []string{"shifted", "reference"} {
						for i := range f.n(dist, "val") {
							p := f.path(dist, "val", i)
							pred := fm.pred(f, dist, i)
							switch how {
							case "absolute":
								fmt.Fprintf(&b, "%s,%d\n", filepath.Join(c.root, n, p), pred)
							case "relative":
								fmt.Fprintf(&b, "%s,%d\n", filepath.Join(relRoot, n, p), pred)
							case "suffix":
								fmt.Fprintf(&b, "out/%s/%s,%d\n", n, p, pred)
							case "dataset":
								fmt.Fprintf(&b, "%s,%s,val,%d,%d\n", n, dist, i, pred)
							case "jsonl":
								fmt.Fprintf(&b, "{\"dataset\":%q,\"path\":%q,\"prediction\":%d}\n", n, p, pred)
							}
						}
					}
				}
				mustWrite(t, filepath.Join(out, m.name+ext), b.Bytes())
			}
			got := cfg
			got.Predictions = []string{out}
			var warns []string
			got.Warn = func(s string) { warns = append(warns, s) }
			rep, err := RunShifts(context.Background(), got)
			if err != nil {
				t.Fatal(err)
			}
			for i := range rep.Shifts {
				if a, b := entryJSON(t, rep.Shifts[i].Report), entryJSON(t, wantRep.Shifts[i].Report); a != b {
					t.Errorf("%s differs:\n%s\n%s", rep.Shifts[i].Dataset, a, b)
				}
			}
			if len(warns) > 0 {
				t.Errorf("warnings: %v", warns)
			}
		})
	}
	// A file keyed by index alone cannot say its dataset.
	bad := filepath.Join(dir, "bad")
	mustWrite(t, filepath.Join(bad, "base-a.csv"), []byte("distribution,split,index,prediction\nreference,val,0,1\n"))
	cfgBad := cfg
	cfgBad.Predictions = []string{bad}
	if _, err := RunShifts(context.Background(), cfgBad); err == nil || !strings.Contains(err.Error(), "needs a dataset column") {
		t.Errorf("index-keyed covering file: %v", err)
	}
}

// TestReferenceElsewhere scores datasets without reference images against a reference
// dataset whose classes are named alike but numbered otherwise, and which covers more
// classes: classes match by name, the reference's shifted images are not needed, and a
// dataset whose classes the reference lacks is skipped with the classes named.
func TestReferenceElsewhere(t *testing.T) {
	dir := t.TempDir()
	root := filepath.Join(dir, "out")
	// The reference: 6 classes named c05..c00 (label 0 is c05), 60 reference images,
	// plus shifted images nobody predicts.
	ref := fakeSet{classes: 6, nRef: 60, nShift: 12, names: func(l int) string { return className(5 - l) }}
	ref.write(t, filepath.Join(root, "clean"))
	// Two corrupted sets without reference images, over classes c00..c03.
	cor := fakeSet{classes: 4, nShift: 40, noRef: true, shift: &manifests.Shift{Name: "fog", Spec: "fog:severity=3", Kind: "out-of-support", Params: json.RawMessage(`{"corruption":"fog","severity":3}`)}}
	cor.write(t, filepath.Join(root, "c", "fog", "3"))
	cor2 := cor
	cor2.shift = &manifests.Shift{Name: "fog", Spec: "fog:severity=4", Kind: "out-of-support", Params: json.RawMessage(`{"corruption":"fog","severity":4}`)}
	cor2.write(t, filepath.Join(root, "c", "fog", "4"))
	// A set of classes the reference does not have.
	alien := fakeSet{classes: 2, nShift: 10, noRef: true, names: func(l int) string { return fmt.Sprintf("z%02d", l) }}
	alien.write(t, filepath.Join(root, "c", "alien"))

	preds := filepath.Join(dir, "preds")
	// Models: right on the reference images of the first refOK labels' images… kept
	// simple: each model is right on reference images with index < refOK.
	models := []fakeModel{{"base-a", 20, 12}, {"base-b", 30, 18}, {"base-c", 40, 25}, {"base-d", 50, 33}, {"pre", 35, 34}}
	for _, m := range models {
		var b bytes.Buffer
		b.WriteString("path,prediction\n")
		for _, dist := range []string{"reference", "shifted"} {
			for i := range ref.n(dist, "val") {
				fmt.Fprintf(&b, "%s,%d\n", ref.path(dist, "val", i), m.pred(ref, dist, i))
			}
		}
		mustWrite(t, filepath.Join(preds, "clean", m.name+".csv"), b.Bytes())
		for _, d := range []struct {
			name string
			f    fakeSet
		}{{"fog/3", cor}, {"fog/4", cor2}, {"alien", alien}} {
			b.Reset()
			b.WriteString("path,prediction\n")
			for i := range d.f.nShift {
				fmt.Fprintf(&b, "%s,%d\n", d.f.path("shifted", "val", i), m.pred(d.f, "shifted", i))
			}
			mustWrite(t, filepath.Join(preds, d.name, m.name+".csv"), b.Bytes())
		}
	}
	var warns []string
	cfg := Config{Manifests: []string{filepath.Join(root, "c")}, Reference: filepath.Join(root, "clean", manifests.ManifestFile),
		Predictions: []string{preds}, Baselines: []string{"base-*"}, Warn: func(s string) { warns = append(warns, s) }}
	rep, err := RunShifts(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Shifts) != 2 || len(rep.Skipped) != 1 || rep.Skipped[0].Dataset != "c/alien" {
		t.Fatalf("shifts %d, skipped %+v", len(rep.Shifts), rep.Skipped)
	}
	if !strings.Contains(rep.Skipped[0].Reason, "share no class") || !strings.Contains(rep.Skipped[0].Reason, "z00, z01") || !strings.Contains(rep.Skipped[0].Reason, "c00, c01, c02, c03, c04 and 1 more") {
		t.Errorf("skip reason: %s", rep.Skipped[0].Reason)
	}
	// The reference images of classes c00..c03: labels 5..2 of the reference, whose
	// images are those with i%6 in 2..5; a model is right on those with i < refOK.
	for _, s := range rep.Shifts {
		if s.Reference != cfg.Reference || s.Images.Ref != 40 || !s.Images.ClassMatched || s.Images.Classes != 4 {
			t.Errorf("%s: reference %q, images %+v", s.Dataset, s.Reference, s.Images)
		}
		for _, m := range s.Models {
			var fm fakeModel
			for _, x := range models {
				if x.name == m.Model {
					fm = x
				}
			}
			k := 0
			for i := range fm.refOK {
				if i%6 >= 2 {
					k++
				}
			}
			if m.RefAcc != float64(k)/40 || m.ShiftAcc != float64(fm.shftOK)/40 {
				t.Errorf("%s %s: ref %v (want %d/40), shift %v", s.Dataset, m.Model, m.RefAcc, k, m.ShiftAcc)
			}
		}
	}
	if rep.Shifts[0].Dataset != "c/fog/3" || rep.Shifts[0].Label != "fog:severity=3" {
		t.Errorf("first entry %s %s", rep.Shifts[0].Dataset, rep.Shifts[0].Label)
	}
	if !containsAll(warns, "clean/base-a.csv: 12 predictions for images other than the reference images of split val (the dataset serves as reference) ignored") {
		t.Errorf("warnings %q", warns)
	}
	// The reference dataset scored too: its own entry, and the same reference images
	// (not its shifted ones) for the others.
	both := cfg
	both.Manifests = append([]string{filepath.Join(root, "clean")}, cfg.Manifests...)
	rep2, err := RunShifts(context.Background(), both)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep2.Shifts) != 3 || rep2.Shifts[0].Dataset != "clean" || rep2.Shifts[0].Reference != "" {
		t.Fatalf("with the reference scored: %d shifts, first %s", len(rep2.Shifts), rep2.Shifts[0].Dataset)
	}
	for i, s := range rep2.Shifts[1:] {
		if a, b := entryJSON(t, s.Report), entryJSON(t, rep.Shifts[i].Report); a != b {
			t.Errorf("%s: another result when the reference is also scored:\n%s\n%s", s.Dataset, a, b)
		}
	}
	// A dataset without reference images and no --reference is refused, with the fix.
	cfg.Reference = ""
	cfg.Manifests = []string{filepath.Join(root, "c", "fog", "3")}
	if _, err := Run(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), "--reference") {
		t.Errorf("no reference: %v", err)
	}
}

// TestAmbiguousNames: two datasets named vflip under different folders need longer
// folder names in the predictions.
func TestAmbiguousNames(t *testing.T) {
	dir := t.TempDir()
	f := fakeSet{classes: 2, nRef: 4, nShift: 4}
	a, b := filepath.Join(dir, "a", "vflip"), filepath.Join(dir, "b", "vflip")
	f.write(t, a)
	f.write(t, b)
	preds := filepath.Join(dir, "preds")
	mustWrite(t, filepath.Join(preds, "vflip", "m.csv"), []byte("path,prediction\n"))
	_, err := RunShifts(context.Background(), Config{Manifests: []string{a, b}, Predictions: []string{preds}, Baselines: []string{"m"}})
	if err == nil || !strings.Contains(err.Error(), "vflip names several datasets (a/vflip, b/vflip)") {
		t.Errorf("err = %v", err)
	}
}

// TestExpandManifests: files, dataset folders, folders of datasets (hidden folders and
// the inside of datasets not searched) and globs.
func TestExpandManifests(t *testing.T) {
	dir := t.TempDir()
	f := fakeSet{classes: 2, nRef: 2, nShift: 2}
	for _, d := range []string{"x/a", "x/b", "x/b/inner", "x/.work/c", "y"} {
		f.write(t, filepath.Join(dir, d))
	}
	m := func(d string) string { return filepath.Join(dir, d, manifests.ManifestFile) }
	for _, c := range []struct {
		in   []string
		want []string
	}{
		{[]string{filepath.Join(dir, "x")}, []string{m("x/a"), m("x/b")}},
		{[]string{filepath.Join(dir, "y"), m("y")}, []string{m("y")}},
		{[]string{filepath.Join(dir, "*", "a")}, []string{m("x/a")}},
		{[]string{filepath.Join(dir, "x", "*", manifests.ManifestFile), filepath.Join(dir, "y")}, []string{m("x/a"), m("x/b"), m("y")}},
	} {
		got, err := ExpandManifests(c.in)
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%v: %v, %v; want %v", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{filepath.Join(dir, "none*"), t.TempDir()} {
		if _, err := ExpandManifests([]string{bad}); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

// TestShiftsPlotGolden draws the catalogue's two figures: the small multiples and the
// mean ER per shift by kind.
func TestShiftsPlotGolden(t *testing.T) {
	c := newCatalogue(t)
	preds := filepath.Join(t.TempDir(), "preds")
	c.perDataset(t, preds)
	cfg := Config{Predictions: []string{preds}, Baselines: []string{"base-*"}, Title: "three made-up shifts"}
	for _, n := range c.order {
		cfg.Manifests = append(cfg.Manifests, c.manifest(n))
	}
	rep, err := RunShifts(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	files, err := rep.Plot(filepath.Join(dir, "s.png"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 2 || filepath.Base(files[1]) != "s.kinds.png" {
		t.Fatalf("files %v", files)
	}
	for i, golden := range []string{"plot_shifts.png", "plot_shifts_kinds.png"} {
		got, err := os.ReadFile(files[i])
		if err != nil {
			t.Fatal(err)
		}
		checkGolden(t, got, golden)
	}
	if _, err := rep.Plot(filepath.Join(dir, "s.gif")); err == nil {
		t.Error("gif: no error")
	}
}
