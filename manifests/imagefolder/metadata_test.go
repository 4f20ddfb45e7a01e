package imagefolder

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/shiftgen/shiftgen/manifests"
)

func testRecords() []*manifests.Record {
	var out []*manifests.Record
	for i, wnid := range []string{"n01440764", "n01440764", "n01443537", "n02102040"} {
		out = append(out, &manifests.Record{
			Distribution: "shifted", Split: "val", Index: i, Label: i / 2, Class: wnid,
			Path: fmt.Sprintf("shifted/val/%s/ILSVRC2012_val_%08d.png", wnid, i+1),
			Fields: map[string]any{
				"tint_class": json.Number(fmt.Sprint(i % 3)), "spurious": i%2 == 0,
				"tint_color": []any{json.Number("0.25"), json.Number("0.5"), json.Number(fmt.Sprint(i))},
				"note":       "a<b>&é",
			},
		})
	}
	return out
}

// TestMetadataRule writes the file beside real files and checks the documented rule
// line by line: file_name relative to the metadata file's folder and naming an existing
// image, every record once, the sampled fields as further keys with their values.
func TestMetadataRule(t *testing.T) {
	recs := testRecords()
	dataset := t.TempDir()
	for _, r := range recs {
		p := filepath.Join(dataset, filepath.FromSlash(r.Path))
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte("png"), 0o644)
	}
	b, err := Metadata("shifted/val/", recs)
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(dataset, "shifted", "val")
	meta := filepath.Join(root, FileName)
	os.WriteFile(meta, b, 0o644)
	sc := bufio.NewScanner(bytes.NewReader(b))
	i := 0
	for sc.Scan() {
		var m map[string]any
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.UseNumber()
		if err := dec.Decode(&m); err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		r := recs[i]
		fn, _ := m["file_name"].(string)
		if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(fn))); err != nil || filepath.IsAbs(fn) {
			t.Fatalf("line %d: file_name %q does not name the image relative to %s", i+1, fn, root)
		}
		delete(m, "file_name")
		if !reflect.DeepEqual(m, r.Fields) {
			t.Fatalf("line %d: columns %v, want %v", i+1, m, r.Fields)
		}
		i++
	}
	if i != len(recs) {
		t.Fatalf("%d lines for %d records", i, len(recs))
	}
	if again, _ := Metadata("shifted/val", recs); !bytes.Equal(again, b) {
		t.Fatal("same records, different bytes")
	}
	pythonCheck(t, root)
}

// pythonCheck applies the rule with Python's json and os.path, independently: the
// metadata file in the folder, one line per image file below it (recursively), each
// file_name a relative path to it, the same columns on every line.
func pythonCheck(t *testing.T, root string) {
	if testing.Short() {
		return
	}
	const py = "/usr/bin/python3"
	if _, err := os.Stat(py); err != nil {
		t.Log("no /usr/bin/python3: skipping the Python check")
		return
	}
	script := `
import json, os, sys
root = sys.argv[1]
images = set()
for d, _, files in os.walk(root):
    for f in files:
        if f.lower().endswith(('.png', '.jpg', '.jpeg')):
            images.add(os.path.relpath(os.path.join(d, f), root))
rows = [json.loads(l) for l in open(os.path.join(root, 'metadata.jsonl'), encoding='utf-8')]
names = [r['file_name'] for r in rows]
assert sorted(names) == sorted(images), (names, images)
assert all(not os.path.isabs(n) and '..' not in n.split('/') for n in names)
cols = {tuple(sorted(r)) for r in rows}
assert len(cols) == 1, cols
print('ok', len(rows), 'rows, columns', list(cols)[0])
`
	out, err := exec.Command(py, "-c", script, root).CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	t.Logf("%s", bytes.TrimSpace(out))
}

func TestMetadataRejects(t *testing.T) {
	recs := testRecords()
	if _, err := Metadata("reference/val", recs); err == nil {
		t.Fatal("records outside the root were accepted")
	}
	recs[1].Fields["label"] = 3
	if _, err := Metadata("shifted/val", recs); err == nil {
		t.Fatal("a field named label was accepted")
	}
	recs = testRecords()
	recs[2].Path = recs[1].Path
	if _, err := Metadata("shifted/val", recs); err == nil {
		t.Fatal("a repeated path was accepted")
	}
	if b, err := Metadata("shifted/val", nil); err != nil || len(b) != 0 {
		t.Fatalf("no records: %q %v", b, err)
	}
}

// TestMetadataNameNotUTF8 writes the file for an image whose name is not UTF-8 (Latin-1
// "café.png"): file_name must keep the name's bytes, as records.jsonl does (\udcXX), so
// that it names the file, for Go's ParseName and for Python's json and os.walk alike.
func TestMetadataNameNotUTF8(t *testing.T) {
	dataset := t.TempDir()
	rec := &manifests.Record{Distribution: "shifted", Split: "val", Class: "fish", Path: "shifted/val/fish/caf\xe9.png",
		Fields: map[string]any{"applied": true}}
	p := filepath.Join(dataset, filepath.FromSlash(rec.Path))
	os.MkdirAll(filepath.Dir(p), 0o755)
	if err := os.WriteFile(p, []byte("png"), 0o644); err != nil {
		t.Skipf("the file system refuses the name: %v", err)
	}
	b, err := Metadata("shifted/val", []*manifests.Record{rec})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"file_name":"fish/caf\udce9.png","applied":true}` + "\n"; string(b) != want {
		t.Fatalf("got %s, want %s", b, want)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	fn, err := manifests.ParseName(m["file_name"])
	if err != nil || fn != "fish/caf\xe9.png" {
		t.Fatalf("file_name reads back as %q, %v", fn, err)
	}
	root := filepath.Join(dataset, "shifted", "val")
	os.WriteFile(filepath.Join(root, FileName), b, 0o644)
	pythonCheck(t, root)
}
