package manifests

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func sample() *Manifest {
	return &Manifest{
		Schema:     SchemaVersion,
		Generator:  Generator{Name: "shiftgen", Version: "test"},
		Shift:      Shift{Name: "spurious-tint", Spec: "spurious-tint:p=0.7", Kind: "in-support", Params: json.RawMessage(`{"p":0.7,"alpha":0.25}`)},
		Preprocess: "paper", Format: "jpeg", Quality: 95, Codec: "go", Source: "data",
		Classes: []Class{{0, "cat"}, {1, "dog"}},
		Counts: []Count{
			{Distribution: "reference", Split: "val", Images: 3, PerClass: []int{1, 2}, Stats: map[string]int{"own_tint": 2}},
			{Distribution: "shifted", Split: "val", Images: 2, PerClass: []int{1, 1}},
		},
		Records: FileRef{Name: RecordsFile, Count: 5, SHA256: "ab"},
		Skipped: []Skip{{Split: "val", Source: "dog/x.JPEG", Reason: "empty file (0 bytes)"}},
	}
}

func TestManifestRoundTrip(t *testing.T) {
	m := sample()
	b, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseManifest(b)
	if err != nil {
		t.Fatal(err)
	}
	var params map[string]float64
	if err := json.Unmarshal(got.Shift.Params, &params); err != nil || params["p"] != 0.7 || params["alpha"] != 0.25 {
		t.Fatalf("params %s: %v", got.Shift.Params, err)
	}
	got.Shift.Params, m.Shift.Params = nil, nil
	if !reflect.DeepEqual(got, m) {
		t.Fatalf("round trip changed the manifest:\n%+v\n%+v", got, m)
	}
	again, _ := ParseManifest(b)
	b2, _ := again.Marshal()
	if !bytes.Equal(b, b2) {
		t.Fatal("marshal is not stable")
	}
	dir := t.TempDir()
	p := filepath.Join(dir, ManifestFile)
	if err := WriteFileAtomic(p, b); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadManifest(p); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatalf("temporary files left: %v", entries)
	}
}

func TestManifestValidation(t *testing.T) {
	cases := map[string]func(m *Manifest){
		"schema_version 2 is not supported": func(m *Manifest) { m.Schema = 2 },
		"shift.name is missing":             func(m *Manifest) { m.Shift.Name = "" },
		"classes is empty":                  func(m *Manifest) { m.Classes = nil },
		"has label 5":                       func(m *Manifest) { m.Classes[1].Label = 5 },
		"add up to 4, not 3":                func(m *Manifest) { m.Counts[0].PerClass = []int{2, 2} },
		"records.count is 6":                func(m *Manifest) { m.Records.Count = 6 },
		"per-class entries for 2 classes":   func(m *Manifest) { m.Counts[1].PerClass = []int{2} },
	}
	for want, mutate := range cases {
		m := sample()
		mutate(m)
		b, _ := json.Marshal(m)
		if _, err := ParseManifest(b); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v", want, err)
		}
	}
	if _, err := ParseManifest([]byte(`{"schema_version":1,"surprise":true}`)); err == nil || !strings.Contains(err.Error(), "surprise") {
		t.Errorf("unknown field: %v", err)
	}
}

func rec(dist, split string, idx int) *Record {
	return &Record{Distribution: dist, Split: split, Index: idx, Label: 1, Class: "dog", Source: "dog/x.JPEG",
		Path: dist + "/" + split + "/dog/x.jpg", Width: 256, Height: 256, Size: 1234, SHA256: "00ff",
		Fields: map[string]any{"tint_class": 7, "spurious": true, "tint_color": []float64{0.5, 0.25, 1}}}
}

func TestRecordsRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	w := NewRecordWriter(&buf)
	in := []*Record{rec("reference", "train", 0), rec("reference", "val", 0), rec("reference", "val", 3), rec("shifted", "val", 1)}
	for _, r := range in {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	n, sum, err := w.Close()
	if err != nil || n != 4 || len(sum) != 64 {
		t.Fatalf("close: %d %s %v", n, sum, err)
	}
	line := strings.SplitN(buf.String(), "\n", 2)[0]
	want := `{"distribution":"reference","split":"train","index":0,"label":1,"class":"dog","source":"dog/x.JPEG","path":"reference/train/dog/x.jpg","width":256,"height":256,"size":1234,"sha256":"00ff","spurious":true,"tint_class":7,"tint_color":[0.5,0.25,1]}`
	if line != want {
		t.Fatalf("line\n%s\nwant\n%s", line, want)
	}
	var got []*Record
	if err := ReadRecords(context.Background(), &buf, "r.jsonl", ReadOptions{}, func(r *Record) error { got = append(got, r); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 4 || got[3].Distribution != "shifted" || got[2].Index != 3 {
		t.Fatalf("read %+v", got)
	}
	if v, _ := got[0].Field("tint_class"); v != "7" {
		t.Fatalf("tint_class field %q", v)
	}
	if v, _ := got[0].Field("spurious"); v != "true" {
		t.Fatalf("spurious field %q", v)
	}
}

func TestRecordsErrors(t *testing.T) {
	good := `{"distribution":"reference","split":"val","index":0,"label":1,"class":"dog","source":"s","path":"p","width":1,"height":1,"size":1,"sha256":"x"}`
	cases := map[string]string{
		`r.jsonl:1: missing field "path"`:   `{"distribution":"reference","split":"val","index":0,"label":1,"class":"dog","source":"s","width":1,"height":1,"size":1,"sha256":"x"}`,
		`r.jsonl:2: record reference/val/0`: good + "\n" + good,
		`r.jsonl:1: field "distribution"`:   strings.Replace(good, "reference", "other", 1),
		`r.jsonl:1: field "index" must be`:  strings.Replace(good, `"index":0`, `"index":-4`, 1),
		`r.jsonl:2: empty line`:             good + "\n\n",
		`r.jsonl:1: unexpected EOF`:         `{"distribution":`,
	}
	for want, text := range cases {
		for _, workers := range []int{1, 3} {
			err := ReadRecords(context.Background(), strings.NewReader(text), "r.jsonl", ReadOptions{Workers: workers}, func(*Record) error { return nil })
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("%d workers: want %q, got %v", workers, want, err)
			}
		}
	}
}

func FuzzParseManifest(f *testing.F) {
	b, _ := sample().Marshal()
	f.Add(b)
	b, _ = packedSample().Marshal()
	f.Add(b)
	f.Add([]byte(`{"schema_version":1}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseManifest(data)
		if err != nil {
			return
		}
		// Whatever parses must validate and survive a round trip.
		out, err := m.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ParseManifest(out); err != nil {
			t.Fatalf("re-parse: %v", err)
		}
	})
}

func FuzzReadRecords(f *testing.F) {
	var buf bytes.Buffer
	w := NewRecordWriter(&buf)
	w.Write(rec("reference", "val", 0))
	w.Write(rec("shifted", "val", 0))
	w.Close()
	f.Add(buf.Bytes())
	f.Add([]byte(`{"distribution":"reference","split":"val","index":0,"label":0,"class":"c","source":"s","path":"r-v-000000.tar","sample":3,"member":"000000003.jpg","width":1,"height":1,"size":1,"sha256":"ab"}` + "\n"))
	f.Add([]byte("{}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		read := func(data []byte, workers int) ([]*Record, error) {
			var recs []*Record
			err := ReadRecords(context.Background(), bytes.NewReader(data), "fuzz", ReadOptions{Workers: workers}, func(r *Record) error { recs = append(recs, r); return nil })
			return recs, err
		}
		recs, err := read(data, 1)
		// The parallel path reads exactly what the serial one does.
		precs, perr := read(data, 3)
		if (err == nil) != (perr == nil) || (err != nil && err.Error() != perr.Error()) {
			t.Fatalf("serial error %v, parallel %v", err, perr)
		}
		if err != nil {
			return
		}
		if !reflect.DeepEqual(recs, precs) {
			t.Fatalf("parallel read gave other records")
		}
		// Records that parse must write and read back to the same values.
		var out bytes.Buffer
		w := NewRecordWriter(&out)
		for _, r := range recs {
			if err := w.Write(r); err != nil {
				t.Fatal(err)
			}
		}
		w.Close()
		again, err := read(out.Bytes(), 1)
		if err != nil {
			t.Fatalf("re-read: %v", err)
		}
		if len(again) != len(recs) {
			t.Fatalf("%d records became %d", len(recs), len(again))
		}
		for i := range recs {
			if !reflect.DeepEqual(recs[i], again[i]) {
				t.Fatalf("record %d changed in a round trip:\n%+v\n%+v", i, recs[i], again[i])
			}
		}
	})
}

// packedSample is sample() stored in containers: reference/val in another dataset's
// .beton, shifted/val in its own.
func packedSample() *Manifest {
	m := sample()
	m.Format, m.Quality = "raw", 0
	m.Output = &Output{Kind: "ffcv", Image: "raw", PageSize: 1 << 23, Shared: map[string]string{"reference/val": "../vflip"},
		Containers: []Container{
			{Path: "../vflip/reference/val.beton", Folder: "reference/val", Images: 3},
			{Path: "shifted/val.beton", Folder: "shifted/val", Images: 2, Size: 1 << 24, SHA256: "cd"},
		}}
	return m
}

// TestOutputManifest: a folder dataset's manifest has no output key at all (its bytes
// are those shiftgen always wrote); a packed one round-trips, says which containers are
// its own, and must hold in its containers every image its counts count.
func TestOutputManifest(t *testing.T) {
	b, _ := sample().Marshal()
	if bytes.Contains(b, []byte(`"output"`)) {
		t.Fatalf("a folder manifest has an output key:\n%s", b)
	}
	m := packedSample()
	b, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseManifest(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Output, m.Output) || got.Output.Containers[0].Own() || !got.Output.Containers[1].Own() {
		t.Fatalf("output %+v", got.Output)
	}
	for name, edit := range map[string]func(o *Output){
		"kind":          func(o *Output) { o.Kind = "zip" },
		"fewer images":  func(o *Output) { o.Containers[1].Images = 1 },
		"other folder":  func(o *Output) { o.Containers[1].Folder = "shifted/train" },
		"no path":       func(o *Output) { o.Containers[0].Path = "" },
		"missing files": func(o *Output) { o.Containers = o.Containers[:1] },
	} {
		m := packedSample()
		edit(m.Output)
		b, _ := m.Marshal()
		if _, err := ParseManifest(b); err == nil || !strings.Contains(err.Error(), "output.") {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestRecordPosition: an image inside a container is recorded with its sample (and
// member) right after the path; a loose image's record has neither key, as records
// always had; the light decoder reads the position too; malformed positions are refused.
func TestRecordPosition(t *testing.T) {
	r := rec("reference", "val", 4)
	b, _ := r.MarshalJSON()
	if bytes.Contains(b, []byte(`"sample"`)) || bytes.Contains(b, []byte(`"member"`)) || r.Locator() != r.Path {
		t.Fatalf("a loose image's record: %s", b)
	}
	r.Path, r.In = "reference-val-000000.tar", &Position{Sample: 4, Member: "000000004.jpg"}
	b, _ = r.MarshalJSON()
	if !bytes.Contains(b, []byte(`"path":"reference-val-000000.tar","sample":4,"member":"000000004.jpg","width":256`)) {
		t.Fatalf("record %s", b)
	}
	c, _ := r.MarshalContent()
	if bytes.Contains(c, []byte(`"path"`)) || bytes.Contains(c, []byte(`"sample"`)) || bytes.Contains(c, []byte(`"member"`)) || !bytes.Contains(c, []byte(`"source":"dog/x.JPEG","width":256,"height":256,"size":1234,"sha256":"00ff","spurious":true`)) {
		t.Fatalf("content %s", c)
	}
	for _, light := range []bool{false, true} {
		var got Record
		var err error
		if light {
			err = decodeLight(&got, b)
		} else {
			err = got.UnmarshalJSON(b)
		}
		if err != nil || got.In == nil || *got.In != *r.In || got.Locator() != "reference-val-000000.tar#000000004.jpg" {
			t.Fatalf("light %v: %+v %v", light, got.In, err)
		}
	}
	r.In = &Position{Sample: 17}
	if r.Locator() != "reference-val-000000.tar#17" {
		t.Fatalf("locator %s", r.Locator())
	}
	for _, bad := range []string{`"sample":-1`, `"sample":null`, `"sample":"3"`, `"member":"a.jpg"`, `"sample":1,"member":""`} {
		line := strings.Replace(string(b), `"sample":4,"member":"000000004.jpg"`, bad, 1)
		var got Record
		if err := got.UnmarshalJSON([]byte(line)); err == nil {
			t.Errorf("%s accepted", bad)
		}
		if err := decodeLight(&got, []byte(line)); err == nil {
			t.Errorf("light: %s accepted", bad)
		}
	}
}
