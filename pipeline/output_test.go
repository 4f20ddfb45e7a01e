package pipeline

import (
	"context"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/shiftgen/shiftgen/manifests"
)

// TestPlanShares: with container output, a folder is shared only between shifts that
// leave it untouched and keep it whole, always from the first of them in --shift order;
// in-support shifts and label shifts keep their own; WebDataset also needs the samples'
// fields to agree; --dedup off and the folder output share nothing in manifests.
func TestPlanShares(t *testing.T) {
	root, err := filepath.Abs("../testdata/imagefolder")
	if err != nil {
		t.Fatal(err)
	}
	specs := []string{"label-shift", "spurious-vflip", "unseen-tint", "vflip", "night"}
	both := map[string]string{"reference/train": "../unseen-tint", "reference/val": "../unseen-tint"}
	for _, c := range []struct {
		name string
		o    Options
		want map[string]map[string]string // dataset → output.shared
	}{
		{"ffcv", Options{Output: FFCVOutput}, map[string]map[string]string{"vflip": both, "night": both}},
		{"webdataset", Options{Output: WebDatasetOutput},
			map[string]map[string]string{"night": {"reference/train": "../vflip", "reference/val": "../vflip"}}},
		{"ffcv, --dedup=false", Options{Output: FFCVOutput, NoDedup: true}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			o := c.o
			o.In, o.Out, o.Shifts, o.Workers, o.TintTableSize = root, t.TempDir(), specs, 2, 100
			if _, err := Run(context.Background(), o); err != nil {
				t.Fatal(err)
			}
			for _, s := range specs {
				m, err := manifests.ReadManifest(filepath.Join(o.Out, s, manifests.ManifestFile))
				if err != nil {
					t.Fatal(err)
				}
				want := c.want[s]
				if !reflect.DeepEqual(m.Output.Shared, want) {
					t.Errorf("%s: shared %v, want %v", s, m.Output.Shared, want)
				}
				rep, err := Verify(context.Background(), filepath.Join(o.Out, s), VerifyOptions{})
				if err != nil || !rep.OK() {
					t.Fatalf("verify %s: %v\n%s", s, err, rep.Summary())
				}
			}
		})
	}
}
