package eval

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
)

// BenchmarkEvalCSV evaluates 100 models × 50,000 predictions (25,000 reference and
// 25,000 shifted images) from CSV files, with two workers.
func BenchmarkEvalCSV(b *testing.B) {
	f := fakeSet{classes: 100, nRef: 25000, nShift: 25000}
	dir := b.TempDir()
	manifest := f.write(b, dir)
	var models []fakeModel
	for i := range 100 {
		models = append(models, fakeModel{name: fmt.Sprintf("model%03d", i), refOK: 10000 + 100*i, shftOK: 8000 + 90*i})
	}
	preds := filepath.Join(dir, "preds")
	for _, m := range models {
		writeCSV(b, f, m, filepath.Join(preds, m.name+".csv"))
	}
	cfg := Config{Manifests: []string{manifest}, Predictions: []string{preds}, Baselines: []string{"model0*"}, Workers: 2}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		rep, err := Run(context.Background(), cfg)
		if err != nil {
			b.Fatal(err)
		}
		if len(rep.Models) != 100 || rep.Models[0].RefAcc != 0.4 {
			b.Fatalf("models %d, first %+v", len(rep.Models), rep.Models[0])
		}
	}
}
