package eval

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var regen = flag.Bool("regen", false, "rewrite the golden plots in testdata/eval")

// goldenDir is the repository's testdata/eval, seen from this package.
const goldenDir = "../../testdata/eval"

// golden returns the path and content of the golden file name in testdata/eval; with
// -regen it rewrites the file with got instead and returns nil content.
func golden(t *testing.T, got []byte, name string) (string, []byte) {
	t.Helper()
	path := filepath.Join(goldenDir, name)
	if *regen {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", path)
		return path, nil
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -regen to create it)", err, t.Name())
	}
	return path, want
}

// checkGolden compares a PNG with its golden file, pixel by pixel within a small
// perceptual tolerance (anti-aliasing may differ slightly between platforms).
func checkGolden(t *testing.T, got []byte, name string) {
	t.Helper()
	path, want := golden(t, got, name)
	if want == nil {
		return
	}
	if err := sameImage(got, want); err != nil {
		t.Error(err)
		bad := filepath.Join(t.TempDir(), name)
		os.WriteFile(bad, got, 0o644)
		t.Errorf("plot differs from %s (got %s); if the change is intended, run go test -run %s -regen", path, bad, t.Name())
	}
}

// sameImage decodes two PNGs and accepts them when they have the same size, no channel
// of any pixel differs by more than 64 and at most 0.5 % of the pixels differ by more
// than 8.
func sameImage(a, b []byte) error {
	ia, err := png.Decode(bytes.NewReader(a))
	if err != nil {
		return err
	}
	ib, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		return err
	}
	if ia.Bounds() != ib.Bounds() {
		return fmt.Errorf("size %v, golden %v", ia.Bounds(), ib.Bounds())
	}
	r := ia.Bounds()
	off := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			d := pixelDiff(ia, ib, x, y)
			if d > 64 {
				return fmt.Errorf("pixel (%d, %d) differs by %d", x, y, d)
			}
			if d > 8 {
				off++
			}
		}
	}
	if frac := float64(off) / float64(r.Dx()*r.Dy()); frac > 0.005 {
		return fmt.Errorf("%.2f%% of the pixels differ", 100*frac)
	}
	return nil
}

// pixelDiff is the largest 8-bit channel difference of the pixels at (x, y).
func pixelDiff(a, b image.Image, x, y int) int {
	r1, g1, b1, a1 := a.At(x, y).RGBA()
	r2, g2, b2, a2 := b.At(x, y).RGBA()
	d := 0
	for _, p := range [][2]uint32{{r1, r2}, {g1, g2}, {b1, b2}, {a1, a2}} {
		v := int(p[0]>>8) - int(p[1]>>8)
		if v < 0 {
			v = -v
		}
		d = max(d, v)
	}
	return d
}

// TestPlotGolden draws the fixed inputs with a bootstrap-free fit, on both scales.
func TestPlotGolden(t *testing.T) {
	for _, s := range []Scale{Probit, Logit} {
		res, _, err := Analyze(fixedPoints(), Options{Scale: s})
		if err != nil {
			t.Fatal(err)
		}
		p, err := NewPlot(res, "fixed inputs ("+string(s)+")")
		if err != nil {
			t.Fatal(err)
		}
		file := filepath.Join(t.TempDir(), "p.png")
		if err := SavePlots(file, p); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		checkGolden(t, got, "plot_fixed_"+string(s)+".png")
	}
}

// TestLogregPlotGolden draws both panels of reproduce logreg.
func TestLogregPlotGolden(t *testing.T) {
	r, err := Logreg(LogregConfig{})
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "l.png")
	if err := r.Plot(file); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(file)
	checkGolden(t, got, "plot_logreg.png")
}

func TestPlotFormats(t *testing.T) {
	dir := t.TempDir()
	manifest := testSet.write(t, dir)
	preds := writePredictions(t, testSet, testModels, dir, "csv")
	rep, err := Run(context.Background(), Config{Manifests: []string{manifest}, Predictions: []string{preds}, Baselines: []string{"base-*"}, By: []string{"label"}})
	if err != nil {
		t.Fatal(err)
	}
	files, err := rep.Plot(filepath.Join(dir, "fig.svg"))
	if err != nil {
		t.Fatal(err)
	}
	// One overall figure and one per label value.
	if len(files) != 5 || filepath.Base(files[1]) != "fig.label=0.svg" {
		t.Fatalf("files = %v", files)
	}
	svg, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<svg", "fake-shift:p=1 (in-support)", "baselines (5)", "other (2)", "y = x"} {
		if !bytes.Contains(svg, []byte(want)) {
			t.Errorf("svg lacks %q", want)
		}
	}
	if _, err := rep.Plot(filepath.Join(dir, "fig.gif")); err == nil || !strings.Contains(err.Error(), ".png, *.svg") {
		t.Errorf("gif: err = %v", err)
	}
}

func TestPercentTicks(t *testing.T) {
	for _, c := range []struct {
		s        Scale
		lo, hi   float64
		contains []string
	}{
		{Probit, 0.4, 0.9, []string{"40", "50", "60", "70", "80", "90"}},
		{Logit, 0.01, 0.99, []string{"1", "10", "50", "90", "99"}},
	} {
		var labels []string
		for _, tk := range (percentTicks{c.s}).Ticks(c.lo, c.hi) {
			labels = append(labels, tk.Label)
			if tk.Value < c.lo || tk.Value > c.hi {
				t.Errorf("tick %v outside [%v, %v]", tk.Value, c.lo, c.hi)
			}
		}
		got := "," + strings.Join(labels, ",") + ","
		for _, w := range c.contains {
			if !strings.Contains(got, ","+w+",") {
				t.Errorf("%s ticks %v lack %s", c.s, labels, w)
			}
		}
	}
}

// TestLegendHidesNoData fills the top left of a figure, where the legend used to go,
// with models: the legend must move to a place that covers none of them, nor any line.
func TestLegendHidesNoData(t *testing.T) {
	var pts []Point
	for i := range 12 {
		f := float64(i) / 11
		// Baselines on a line, and a group above them reaching the top left corner.
		pts = append(pts, Point{Model: fmt.Sprintf("b%d", i), Group: "scratch", Baseline: true,
			Ref: Acc{Value: 0.3 + 0.6*f}, Shift: Acc{Value: 0.1 + 0.5*f}})
		pts = append(pts, Point{Model: fmt.Sprintf("m%d", i), Group: "pre-trained",
			Ref: Acc{Value: 0.3 + 0.25*f}, Shift: Acc{Value: 0.9 - 0.2*f}})
	}
	res, _, err := Analyze(pts, Options{})
	if err != nil {
		t.Fatal(err)
	}
	p, lp, err := styledPlot(res, "legend placement", panelStyle{})
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "p.png")
	if err := SavePlots(file, p); err != nil {
		t.Fatal(err)
	}
	if lp.last == nil {
		t.Fatal("the legend placer did not run")
	}
	if lp.last.hits != 0 || (lp.last.top && lp.last.left) {
		t.Errorf("legend placed top=%v left=%v over %d points", lp.last.top, lp.last.left, lp.last.hits)
	}
}
