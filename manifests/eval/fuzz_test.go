package eval

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
)

// fuzzDataset loads the small test dataset once per fuzz target.
func fuzzDataset(f *testing.F) *Dataset {
	f.Helper()
	dir := f.TempDir()
	manifest := testSet.write(f, dir)
	d, err := LoadDataset(context.Background(), manifest, "val", nil, 1)
	if err != nil {
		f.Fatal(err)
	}
	return d
}

// FuzzReadCSV feeds arbitrary bytes to the CSV reader: it must return an error or a
// consistent prediction set, never panic.
func FuzzReadCSV(f *testing.F) {
	d := fuzzDataset(f)
	f.Add([]byte("path,prediction\nreference/val/c00/img00000.png,0\n"))
	f.Add([]byte("distribution,split,index,prediction,label\nshifted,val,3,c01,3\n\"shifted\",val,4,\"2\",0\n"))
	f.Add([]byte("\xef\xbb\xbfPATH , Prediction\r\nreference/val/c01/img00001.png , c03\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s := newPredSet(d, "m")
		s.files = []string{"fuzz.csv"}
		if err := readCSV(bytes.NewReader(data), s); err == nil {
			for _, p := range s.pred {
				if p < -1 || int(p) >= len(d.Manifest.Classes) {
					t.Fatalf("prediction %d out of range accepted", p)
				}
			}
		}
	})
}

// FuzzReadJSONL does the same for JSONL.
func FuzzReadJSONL(f *testing.F) {
	d := fuzzDataset(f)
	f.Add([]byte(`{"path":"reference/val/c00/img00000.png","prediction":0}` + "\n"))
	f.Add([]byte(`{"distribution":"shifted","split":"val","index":"3","prediction":"c01","label":3}` + "\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s := newPredSet(d, "m")
		s.files = []string{"fuzz.jsonl"}
		if err := readJSONL(bytes.NewReader(data), s); err == nil {
			for _, p := range s.pred {
				if p < -1 || int(p) >= len(d.Manifest.Classes) {
					t.Fatalf("prediction %d out of range accepted", p)
				}
			}
		}
	})
}

// FuzzReadNPY does the same for .npy files following shifted/val.
func FuzzReadNPY(f *testing.F) {
	d := fuzzDataset(f)
	dir := f.TempDir()
	writeNPY(f, testSet, testModels[0], filepath.Join(dir, "r.npy"), filepath.Join(dir, "s.npy"))
	for _, n := range []string{"r.npy", "s.npy"} {
		b, err := readFileBytes(filepath.Join(dir, n))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s := newPredSet(d, "m")
		s.files = []string{"fuzz.npy"}
		if err := s.readNPY(bytes.NewReader(data), NPYRoot{Distribution: "shifted", Split: "val"}); err == nil {
			for _, p := range s.pred {
				if p < -1 || int(p) >= len(d.Manifest.Classes) {
					t.Fatalf("prediction %d out of range accepted", p)
				}
			}
		}
	})
}

// FuzzReadCovering feeds arbitrary bytes to the reader of files covering several
// datasets: it must route rows or return an error, never panic.
func FuzzReadCovering(f *testing.F) {
	dir := f.TempDir()
	var paths []string
	for _, n := range []string{"a/x", "b/x", "y"} {
		paths = append(paths, testSet.write(f, filepath.Join(dir, n)))
	}
	preds := filepath.Join(dir, "m.csv")
	mustWrite(f, preds, []byte("path,prediction\n"))
	e, err := newEngine(Config{Manifests: paths, Predictions: []string{preds}}, paths, func(string) {})
	if err != nil {
		f.Fatal(err)
	}
	var ds []*Dataset
	for k := range paths {
		d, err := e.load(context.Background(), k)
		if err != nil {
			f.Fatal(err)
		}
		ds = append(ds, d)
	}
	f.Add([]byte("dataset,distribution,split,index,prediction\na/x,reference,val,0,1\ny,shifted,val,3,c02\n"))
	f.Add([]byte("path,prediction\n" + filepath.Join(dir, "y", "reference/val/c00/img00000.png") + ",0\nb/x/shifted/val/c01/img00001.png,1\n"))
	f.Add([]byte("path,prediction\nx/reference/val/c00/img00000.png,0\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := &coverReader{e: e, ds: ds, model: "m", sets: make([]*predSet, len(ds)), file: "fuzz.csv"}
		if err := readCSV(bytes.NewReader(data), r); err == nil {
			for _, s := range r.sets {
				if s == nil {
					continue
				}
				for _, p := range s.pred {
					if p < -1 || int(p) >= len(s.d.Manifest.Classes) {
						t.Fatalf("prediction %d out of range accepted", p)
					}
				}
			}
		}
	})
}
