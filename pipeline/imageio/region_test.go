//go:build turbojpeg && cgo

package imageio

import (
	"bytes"
	"fmt"
	"image"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/shiftgen/shiftgen/pipeline/internal/testimage"
)

// regionInputs are JPEGs of every kind the partial decode has to get right: 4:2:0 at
// sizes that decode at 1/1, 1/2, 1/4 and 1/8 for a 256 shorter side, odd sizes,
// portrait, grayscale; with Pillow also 4:2:2, 4:4:4, progressive and restart markers;
// with ../shared also some real ImageNet photographs.
func regionInputs(t *testing.T) map[string][]byte {
	in := map[string][]byte{}
	for i, sz := range []image.Point{{500, 375}, {375, 500}, {333, 257}, {1001, 751}, {1040, 2100}, {2100, 1100}, {4100, 3077}, {257, 256}, {120, 90}} {
		in[fmt.Sprintf("go420-%dx%d", sz.X, sz.Y)] = testimage.EncodeJPEG(t, testimage.Photo(uint64(40+i), sz.X, sz.Y), 90)
	}
	in["gray-411x530"] = testimage.EncodeJPEG(t, testimage.Gray(testimage.Photo(50, 411, 530)), 90)
	if py := pilPython(); py != "" && !testing.Short() {
		dir := t.TempDir()
		script := `
import sys, numpy as np
from PIL import Image
d = sys.argv[1]
r = np.random.RandomState(1)
for name, w, h, kw in [('422', 517, 389, dict(subsampling=1)), ('444', 389, 517, dict(subsampling=0)),
                       ('progressive', 611, 403, dict(progressive=True)), ('progressive-half', 1100, 830, dict(progressive=True)),
                       ('restart', 530, 397, dict(restart_marker_blocks=3)), ('422-quarter', 1300, 1031, dict(subsampling=1))]:
    yy, xx = np.mgrid[0:h, 0:w]
    a = np.dstack([xx * 255 // w, yy * 255 // h, (xx + yy) * 255 // (w + h)])
    a = np.clip(a + r.randint(-40, 41, a.shape), 0, 255).astype(np.uint8)
    try:
        Image.fromarray(a).save(d + '/' + name + '.jpg', quality=90, **kw)
    except TypeError:  # an old Pillow without restart markers
        pass
`
		if out, err := exec.Command(py, "-c", script, dir).CombinedOutput(); err != nil {
			t.Fatalf("Pillow: %v\n%s", err, out)
		}
		files, _ := filepath.Glob(filepath.Join(dir, "*.jpg"))
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			in["pil-"+filepath.Base(f)] = data
		}
	}
	files, _ := filepath.Glob("../../../shared/imagenet-sample/*/*.JPEG")
	for i, f := range files {
		if i%25 != 0 {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		in["sample-"+filepath.Base(f)] = data
	}
	return in
}

// TestTurboRegion decodes parts of JPEGs, at every DCT scale the hints select, and
// wants every pixel asked for to be that of the whole decode: regions touching each
// edge, inside, one pixel, the whole frame.
func TestTurboRegion(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for name, data := range regionInputs(t) {
		for _, hint := range []Hint{{Short: 256}, {Long: 256}, {}} {
			whole, size, full, err := turbo.decodeRegion(data, hint, 0, nil, nil)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if whole.Rect != (image.Rectangle{Max: size}) {
				t.Fatalf("%s: whole decode is %v of a %v frame", name, whole.Rect, size)
			}
			w, h := size.X, size.Y
			regions := []image.Rectangle{
				image.Rect(0, 0, w, h), image.Rect(0, 0, 1, 1), image.Rect(w-1, h-1, w, h),
				image.Rect(0, 0, w/2, h/3), image.Rect(w/3, h/2, w, h), image.Rect(w/5, 0, w-w/5, h),
				image.Rect(0, h/4, w, h-h/4), image.Rect(17, 9, 18, h),
			}
			for range 12 {
				x0, y0 := r.IntN(w), r.IntN(h)
				regions = append(regions, image.Rect(x0, y0, x0+1+r.IntN(w-x0), y0+1+r.IntN(h-y0)))
			}
			for _, want := range regions {
				want = want.Intersect(whole.Rect)
				got, gsize, gfull, err := turbo.decodeRegion(data, hint, 0, nil, func(s, f image.Point) image.Rectangle {
					if s != size || f != full {
						t.Errorf("%s: need called with %v of %v, want %v of %v", name, s, f, size, full)
					}
					return want
				})
				if err != nil {
					t.Fatalf("%s %v: %v", name, want, err)
				}
				if gsize != size || gfull != full || !want.In(got.Rect) || !got.Rect.In(whole.Rect) {
					t.Fatalf("%s %+v: got %v of %v (%v), want %v of %v (%v)", name, hint, got.Rect, gsize, gfull, want, size, full)
				}
				for y := want.Min.Y; y < want.Max.Y; y++ {
					a := got.Pix[got.PixOffset(want.Min.X, y):got.PixOffset(want.Max.X, y)]
					b := whole.Pix[whole.PixOffset(want.Min.X, y):whole.PixOffset(want.Max.X, y)]
					if !bytes.Equal(a, b) {
						t.Fatalf("%s %+v: region %v (decoded %v) differs from the whole decode in row %d", name, hint, want, got.Rect, y)
					}
				}
			}
		}
	}
}

// TestDecodePreprocess checks the partial decode where it is used: for every
// preprocessing and split, DecodePreprocess gives the bytes of a whole decode followed
// by Preprocess, and for the paper's centre crop of a landscape photograph it decodes
// fewer columns than the frame has.
func TestDecodePreprocess(t *testing.T) {
	var s, ref Scratch
	for name, data := range regionInputs(t) {
		for _, p := range Preprocesses {
			for _, split := range []string{"train", "val"} {
				img, full, err := ref.Decode(turbo, data, p.Hint(split), 0)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				want := ref.Preprocess(p, split, img, full)
				got, err := s.DecodePreprocess(turbo, data, p, split, 0)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if got.Rect.Size() != want.Rect.Size() || !bytes.Equal(testimage.RGBBytes(got), testimage.RGBBytes(want)) {
					t.Fatalf("%s, %s %s: DecodePreprocess differs from Decode + Preprocess (%v, want %v)", name, p, split, got.Rect, want.Rect)
				}
			}
		}
	}
	var fresh Scratch
	data := testimage.EncodeJPEG(t, testimage.Photo(60, 500, 375), 90)
	if _, err := fresh.DecodePreprocess(turbo, data, PaperPreprocess, "val", 0); err != nil {
		t.Fatal(err)
	}
	// 341×256 after the resize, 256 columns kept: the decode needs about 375 of 500
	// columns, and keeps one spare row.
	if cols := cap(fresh.src) / (4 * 376); cols >= 500 || cols < 375 {
		t.Errorf("the centre crop of a 500×375 JPEG decoded %d columns, want between 375 and 500", cols)
	}
}

// TestDecodePreprocessDamage cuts JPEGs short in rows the crop does not keep: the damage
// must still be noticed, so the file is decided by the Go decoder exactly as on a whole
// decode (here: refused).
func TestDecodePreprocessDamage(t *testing.T) {
	var s Scratch
	for _, sz := range []image.Point{{375, 700}, {700, 375}} {
		data := testimage.EncodeJPEG(t, testimage.Photo(61, sz.X, sz.Y), 90)
		cut := data[:len(data)*9/10]
		_, werr := GoCodec{}.Decode(cut, Hint{}, 0)
		_, gerr := s.DecodePreprocess(turbo, cut, PaperPreprocess, "val", 0)
		if werr == nil || gerr == nil || werr.Error() != gerr.Error() {
			t.Errorf("%v JPEG cut at 90%%: error %v, want the Go decoder's %v", sz, gerr, werr)
		}
	}
}
