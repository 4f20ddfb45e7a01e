package pipeline

import (
	"bytes"
	"flag"
	"image/png"
	"os"
	"testing"

	"github.com/shiftgen/shiftgen/pipeline/imageio"

	"github.com/shiftgen/shiftgen/shifts"
)

var regen = flag.Bool("regen", false, "rewrite golden files")

// TestPreviewGolden draws a small sheet from testdata and compares it with the committed
// golden image (regenerate with go test -run Preview -regen).
func TestPreviewGolden(t *testing.T) {
	sheet, err := Preview(PreviewOptions{In: "../testdata/imagefolder", Shifts: []string{"spurious-tint", "vflip", "grayscale"}, Rows: 2, Cell: 48, Codec: imageio.GoCodec{}})
	if err != nil {
		t.Fatal(err)
	}
	// 4 columns of 48 px with 6 px gaps; 2 rows under a 34 px header.
	if w, h := sheet.Rect.Dx(), sheet.Rect.Dy(); w != 4*(48+6)+6 || h != 34+2*(48+6+16)+6 {
		t.Fatalf("sheet is %d×%d", w, h)
	}
	const golden = "testdata/preview_golden.png"
	if *regen {
		var buf bytes.Buffer
		png.Encode(&buf, sheet)
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	f, err := os.Open(golden)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	g, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	want := shifts.ToRGBA(g)
	if want.Rect != sheet.Rect {
		t.Fatalf("golden is %v, sheet %v", want.Rect, sheet.Rect)
	}
	var sum, worst int
	for i := range want.Pix {
		d := int(want.Pix[i]) - int(sheet.Pix[i])
		if d < 0 {
			d = -d
		}
		sum += d
		worst = max(worst, d)
	}
	if mean := float64(sum) / float64(len(want.Pix)); mean > 0.5 {
		t.Fatalf("sheet differs from the golden image: mean %.3f, worst %d", mean, worst)
	}
	// The vflip column really is the first column upside down: compare a cell's top row
	// with the original's bottom row.
	x0, x2, y := 6, 6+2*54, 34+6
	for x := 0; x < 48; x++ {
		a := sheet.RGBAAt(x0+x, y+47)
		b := sheet.RGBAAt(x2+x, y)
		if a != b {
			t.Fatalf("vflip cell column %d: %v vs original bottom %v", x, b, a)
		}
	}
}
