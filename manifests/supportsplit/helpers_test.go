package supportsplit

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/shiftgen/shiftgen/manifests"
)

// synth draws nRef reference points from N(0, I_d) and nShift shifted points of which a
// fraction farFrac (marked in far) are moved by dist along a fixed random direction;
// the others are drawn like the reference. Every draw comes from a generator seeded with
// seed.
func synth(nRef, nShift, d int, farFrac, dist float64, seed uint64) (rows [][]float32, shifted, far []bool) {
	r := rand.New(rand.NewPCG(seed, 1))
	dir := make([]float64, d)
	norm := 0.0
	for j := range dir {
		dir[j] = r.NormFloat64()
		norm += dir[j] * dir[j]
	}
	data := make([]float32, (nRef+nShift)*d)
	rows = make([][]float32, nRef+nShift)
	shifted = make([]bool, nRef+nShift)
	far = make([]bool, nRef+nShift)
	for i := range rows {
		row := data[i*d : (i+1)*d : (i+1)*d]
		for j := range row {
			row[j] = float32(r.NormFloat64())
		}
		if i >= nRef {
			shifted[i] = true
			if r.Float64() < farFrac {
				far[i] = true
				for j := range row {
					row[j] += float32(dist * dir[j] / math.Sqrt(norm))
				}
			}
		}
		rows[i] = row
	}
	return rows, shifted, far
}

// npyBytes encodes a C-order array as a version 1.0 .npy file.
func npyBytes(dtype string, shape []int, fortran bool, data []byte) []byte {
	sh := ""
	switch len(shape) {
	case 1:
		sh = fmt.Sprintf("(%d,)", shape[0])
	default:
		for i, s := range shape {
			if i > 0 {
				sh += ", "
			}
			sh += fmt.Sprint(s)
		}
		sh = "(" + sh + ")"
	}
	order := "False"
	if fortran {
		order = "True"
	}
	hdr := fmt.Sprintf("{'descr': '%s', 'fortran_order': %s, 'shape': %s, }", dtype, order, sh)
	for (10+len(hdr)+1)%64 != 0 {
		hdr += " "
	}
	hdr += "\n"
	var b bytes.Buffer
	b.WriteString("\x93NUMPY\x01\x00")
	binary.Write(&b, binary.LittleEndian, uint16(len(hdr)))
	b.WriteString(hdr)
	b.Write(data)
	return b.Bytes()
}

// f32npy encodes rows as a little-endian float32 N×D .npy file.
func f32npy(rows [][]float32) []byte {
	var data bytes.Buffer
	for _, r := range rows {
		binary.Write(&data, binary.LittleEndian, r)
	}
	return npyBytes("<f4", []int{len(rows), len(rows[0])}, false, data.Bytes())
}

// writeDataset writes a minimal indexed dataset (manifest.json and records.jsonl) with n
// records of distribution dist over classes, into dir, and returns the manifest's path.
func writeDataset(t testing.TB, dir, dist string, n int, classes []string) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w := manifests.NewRecordWriter(&buf)
	count := manifests.Count{Distribution: dist, Split: "val", PerClass: make([]int, len(classes))}
	for i := 0; i < n; i++ {
		label := i % len(classes)
		rec := &manifests.Record{
			Distribution: dist, Split: "val", Index: i, Label: label, Class: classes[label],
			Source: fmt.Sprintf("%s/%05d.png", classes[label], i), Path: fmt.Sprintf("../data/%s/%s/%05d.png", dist, classes[label], i),
			Width: 8, Height: 8, Size: 100, SHA256: fmt.Sprintf("%064x", i),
		}
		if err := w.Write(rec); err != nil {
			t.Fatal(err)
		}
		count.Images++
		count.PerClass[label]++
	}
	nrec, sum, err := w.Close()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, manifests.RecordsFile), buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	m := &manifests.Manifest{
		Schema: manifests.SchemaVersion, Generator: manifests.Generator{Name: "shiftgen", Version: "test"},
		Shift:      manifests.Shift{Name: "index", Spec: "index", Kind: "natural", Params: []byte(`{}`)},
		Preprocess: "none", Source: manifests.Name("data/" + dist), Counts: []manifests.Count{count},
		Records: manifests.FileRef{Name: manifests.RecordsFile, Count: nrec, SHA256: sum}, Skipped: []manifests.Skip{},
	}
	if n == 0 {
		m.Counts = nil
	}
	for i, c := range classes {
		m.Classes = append(m.Classes, manifests.Class{Label: i, Name: c})
	}
	b, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, manifests.ManifestFile)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
