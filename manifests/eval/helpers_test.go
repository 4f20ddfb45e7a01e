package eval

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"codeberg.org/sbinet/npyio"

	"github.com/shiftgen/shiftgen/manifests"
)

// fakeSet describes a synthetic dataset written directly with the manifests package.
type fakeSet struct {
	classes int
	nRef    int // reference val images
	nShift  int // shifted val images
	nTrain  int // reference train images (never scored)
	// shiftClasses, when set, limits the shifted images to labels below it.
	shiftClasses int
	// fields, when set, gives each record's sampled fields.
	fields func(dist string, index, label int) map[string]any
	// shift, when set, is the manifest's shift (default: fake-shift, in-support).
	shift *manifests.Shift
	// noRef leaves out the reference images (as the ImageNet-C layout does).
	noRef bool
	// names, when set, names class l (default className): datasets whose classes are
	// in different orders match by name.
	names func(l int) string
	// refLabels, when set, gives reference image i's label.
	refLabels func(i int) int
	// rates records per-class keep rates in the counts, as label-shift's manifests do.
	rates bool
}

// name is class l's name in f.
func (f fakeSet) name(l int) string {
	if f.names != nil {
		return f.names(l)
	}
	return className(l)
}

// label is image index i's label: classes interleave in index order, so that index
// order and ImageFolder order (class folder first) differ.
func (f fakeSet) label(dist string, i int) int {
	if dist == "shifted" && f.shiftClasses > 0 {
		return i % f.shiftClasses
	}
	if dist == "reference" && f.refLabels != nil {
		return f.refLabels(i)
	}
	return i % f.classes
}

func (f fakeSet) n(dist, split string) int {
	switch {
	case f.noRef && dist == "reference":
		return 0
	case split == "train":
		if dist == "reference" {
			return f.nTrain
		}
		return 0
	case dist == "reference":
		return f.nRef
	}
	return f.nShift
}

func className(l int) string { return fmt.Sprintf("c%02d", l) }

// path is the dataset-relative path of image i of dist/split in f.
func (f fakeSet) path(dist, split string, i int) string {
	return fmt.Sprintf("%s/%s/%s/img%05d.png", dist, split, f.name(f.label(dist, i)), i)
}

// write writes manifest.json and records.jsonl into dir and returns the manifest path.
func (f fakeSet) write(t testing.TB, dir string) string {
	t.Helper()
	var recs bytes.Buffer
	rw := manifests.NewRecordWriter(&recs)
	m := &manifests.Manifest{
		Schema:    manifests.SchemaVersion,
		Generator: manifests.Generator{Name: "test", Version: "0"},
		Shift:     manifests.Shift{Name: "fake-shift", Spec: "fake-shift:p=1", Kind: "in-support", Params: json.RawMessage(`{}`)},
		Records:   manifests.FileRef{Name: manifests.RecordsFile},
	}
	if f.shift != nil {
		m.Shift = *f.shift
	}
	for l := range f.classes {
		m.Classes = append(m.Classes, manifests.Class{Label: l, Name: f.name(l)})
	}
	for _, ds := range [][2]string{{"reference", "train"}, {"reference", "val"}, {"shifted", "val"}} {
		n := f.n(ds[0], ds[1])
		if n == 0 {
			continue
		}
		c := manifests.Count{Distribution: ds[0], Split: ds[1], Images: n, PerClass: make([]int, f.classes)}
		if f.rates {
			for l := range f.classes {
				c.Rates = append(c.Rates, 1/float64(1+l%2))
			}
		}
		for i := range n {
			l := f.label(ds[0], i)
			c.PerClass[l]++
			r := &manifests.Record{Distribution: ds[0], Split: ds[1], Index: i, Label: l, Class: f.name(l),
				Source: fmt.Sprintf("%s/x%05d.JPEG", f.name(l), i), Path: f.path(ds[0], ds[1], i), Width: 8, Height: 8, Size: 100, SHA256: "00"}
			if f.fields != nil {
				r.Fields = f.fields(ds[0], i, l)
			}
			if err := rw.Write(r); err != nil {
				t.Fatal(err)
			}
		}
		m.Counts = append(m.Counts, c)
	}
	count, sum, err := rw.Close()
	if err != nil {
		t.Fatal(err)
	}
	m.Records.Count, m.Records.SHA256 = count, sum
	data, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, manifests.RecordsFile), recs.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, manifests.ManifestFile)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// fakeModel predicts correctly the first refOK reference and shiftOK shifted images (in
// index order) and wrongly (label+1) the rest.
type fakeModel struct {
	name          string
	refOK, shftOK int
}

func (m fakeModel) pred(f fakeSet, dist string, i int) int {
	l := f.label(dist, i)
	ok := m.refOK
	if dist == "shifted" {
		ok = m.shftOK
	}
	if i < ok {
		return l
	}
	return (l + 1) % f.classes
}

// writeCSV writes model m's predictions as path,prediction rows (reference val, then
// shifted val, then train images, which eval ignores).
func writeCSV(t testing.TB, f fakeSet, m fakeModel, file string) {
	t.Helper()
	var b bytes.Buffer
	b.WriteString("path,prediction\n")
	for _, ds := range [][2]string{{"reference", "val"}, {"shifted", "val"}, {"reference", "train"}} {
		for i := range f.n(ds[0], ds[1]) {
			fmt.Fprintf(&b, "%s,%d\n", f.path(ds[0], ds[1], i), m.pred(f, ds[0], i))
		}
	}
	mustWrite(t, file, b.Bytes())
}

// writeJSONL writes model m's predictions keyed by distribution, split and index, with
// class names as predictions, shifted images first.
func writeJSONL(t testing.TB, f fakeSet, m fakeModel, file string) {
	t.Helper()
	var b bytes.Buffer
	for _, dist := range []string{"shifted", "reference"} {
		for i := range f.n(dist, "val") {
			fmt.Fprintf(&b, "{\"distribution\":%q,\"split\":\"val\",\"index\":%d,\"prediction\":%q,\"label\":%d}\n", dist, i, className(m.pred(f, dist, i)), f.label(dist, i))
		}
	}
	mustWrite(t, file, b.Bytes())
}

// folderOrder lists a root's image indices in ImageFolder order (class, then file).
func folderOrder(f fakeSet, dist string) []int {
	var out []int
	for l := range f.classes {
		for i := range f.n(dist, "val") {
			if f.label(dist, i) == l {
				out = append(out, i)
			}
		}
	}
	return out
}

// writeNPY writes model m's reference predictions as int64 labels and its shifted
// predictions as float32 logits, both in ImageFolder order.
func writeNPY(t testing.TB, f fakeSet, m fakeModel, refFile, shiftFile string) {
	t.Helper()
	var labels []int64
	for _, i := range folderOrder(f, "reference") {
		labels = append(labels, int64(m.pred(f, "reference", i)))
	}
	writeNPYValue(t, refFile, labels)
	order := folderOrder(f, "shifted")
	logits := make([]float32, 0, len(order)*f.classes)
	for _, i := range order {
		p := m.pred(f, "shifted", i)
		for c := range f.classes {
			v := float32(-c) * 0.1
			if c == p {
				v = 3
			}
			logits = append(logits, v)
		}
	}
	writeNPYMatrix(t, shiftFile, logits, len(order), f.classes)
}

func writeNPYValue(t testing.TB, file string, v any) {
	t.Helper()
	var b bytes.Buffer
	if err := npyio.Write(&b, v); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, file, b.Bytes())
}

// writeNPYMatrix writes a rows×cols float32 matrix (row-major data) of shape (rows, cols).
func writeNPYMatrix(t testing.TB, file string, data []float32, rows, cols int) {
	t.Helper()
	m := make([][]float32, rows)
	for r := range m {
		m[r] = data[r*cols : (r+1)*cols]
	}
	writeNPYValue(t, file, m)
}

func mustWrite(t testing.TB, file string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func readFileBytes(file string) ([]byte, error) { return os.ReadFile(file) }
