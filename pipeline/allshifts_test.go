package pipeline

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/shiftgen/shiftgen/pipeline/imageio"

	"github.com/shiftgen/shiftgen/manifests"
	"github.com/shiftgen/shiftgen/shifts"
)

// TestEveryShiftGenerates runs every registered shift in one job over a small tree and
// checks each dataset's manifest: kind, parameters, counts and per-image records.
func TestEveryShiftGenerates(t *testing.T) {
	root := smallTree(t, 4, 2)
	out := t.TempDir()
	var specs []string
	for _, e := range shifts.Entries() {
		specs = append(specs, e.Name)
	}
	res, err := Run(context.Background(), Options{In: root, Out: out, Shifts: specs, Workers: 2, TintTableSize: 100, Preprocess: imageio.NoPreprocess, StyleImages: GeneratedStyles})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Datasets) != len(specs) || res.Skipped != 0 {
		t.Fatalf("%d datasets, %d skipped", len(res.Datasets), res.Skipped)
	}
	for _, e := range shifts.Entries() {
		dir := filepath.Join(out, e.Name)
		m, err := manifests.ReadManifest(filepath.Join(dir, manifests.ManifestFile))
		if err != nil {
			t.Fatalf("%s: %v", e.Name, err)
		}
		if m.Shift.Kind != string(e.Kind) || len(m.Shift.Params) < 2 {
			t.Errorf("%s: kind %s params %s", e.Name, m.Shift.Kind, m.Shift.Params)
		}
		recs, err := manifests.ReadRecordsFile(filepath.Join(dir, manifests.RecordsFile))
		if err != nil {
			t.Fatalf("%s: %v", e.Name, err)
		}
		shifted := 0
		for _, r := range recs {
			if r.Distribution == "shifted" {
				shifted++
			}
		}
		want := 8
		if e.Name == "label-shift" {
			want = 4 // with 2 images a class, int(rate·2) keeps 0 of each minority class
		}
		if shifted != want || m.Records.Count != len(recs) {
			t.Errorf("%s: %d shifted records, want %d", e.Name, shifted, want)
		}
		if e.Kind == shifts.OutOfSupport && e.Name != "unseen-tint" {
			if v, _ := recs[len(recs)-1].Field("applied"); v != "true" {
				t.Errorf("%s: last shifted record not marked applied: %v", e.Name, recs[len(recs)-1].Fields)
			}
		}
		rep, err := Verify(context.Background(), dir, VerifyOptions{Quick: true})
		if err != nil || !rep.OK() {
			t.Errorf("%s: verify: %v %s", e.Name, err, rep.Summary())
		}
	}
}
