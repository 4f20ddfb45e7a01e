package imageio

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/shiftgen/shiftgen/pipeline/internal/testimage"
)

// cv2Python returns Debian's python3 when it has OpenCV and NumPy, or skips.
func cv2Python(t testing.TB, modules string) string {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: skipping the comparison with OpenCV")
	}
	const py = "/usr/bin/python3"
	if out, err := exec.Command(py, "-c", "import "+modules).CombinedOutput(); err != nil {
		t.Skipf("no %s with %s (Debian python3-opencv, python3-numpy, python3-ffcv): %v %s", py, modules, err, bytes.TrimSpace(out))
	}
	return py
}

type areaCase struct {
	In   string `json:"in"`
	Out  string `json:"out"`
	W    int    `json:"w"`
	H    int    `json:"h"`
	DW   int    `json:"dw"` // 0: FFCV's resizer picks the size
	DH   int    `json:"dh"`
	name string
	img  *image.RGBA
}

// The script resizes each case's raw RGB input with cv2.resize(INTER_AREA) to the given
// size, or, when none is given, with FFCV's own RGBImageField resizer at
// max_resolution=256, and writes the raw result.
const areaScript = `
import sys, json, numpy as np, cv2
cases = json.load(open(sys.argv[1]))
resizer = None
for c in cases:
    a = np.fromfile(c['in'], np.uint8).reshape(c['h'], c['w'], 3)
    if c['dw']:
        out = cv2.resize(a, (c['dw'], c['dh']), interpolation=cv2.INTER_AREA)
    else:
        if resizer is None:
            from ffcv.fields.rgb_image import resizer
        out = resizer(a, 256)
    np.ascontiguousarray(out).tofile(c['out'])
    c['ow'], c['oh'] = out.shape[1], out.shape[0]
json.dump(cases, open(sys.argv[1] + '.out', 'w'))
`

// runArea has Python resize every case and returns the results with their sizes.
func runArea(t *testing.T, py string, cases []*areaCase) [][]byte {
	dir := t.TempDir()
	for i, c := range cases {
		c.In = filepath.Join(dir, fmt.Sprintf("%d.in", i))
		c.Out = filepath.Join(dir, fmt.Sprintf("%d.out", i))
		c.W, c.H = c.img.Rect.Dx(), c.img.Rect.Dy()
		if err := os.WriteFile(c.In, testimage.RGBBytes(c.img), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	spec := filepath.Join(dir, "cases.json")
	b, _ := json.Marshal(cases)
	os.WriteFile(spec, b, 0o644)
	if out, err := exec.Command(py, "-c", areaScript, spec).CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	var sizes []struct{ OW, OH int }
	b, _ = os.ReadFile(spec + ".out")
	json.Unmarshal(b, &sizes)
	var res [][]byte
	for i, c := range cases {
		if c.DW == 0 {
			c.DW, c.DH = sizes[i].OW, sizes[i].OH
		}
		r, err := os.ReadFile(c.Out)
		if err != nil {
			t.Fatal(err)
		}
		res = append(res, r)
	}
	return res
}

// noiseRGBA returns a w×h image of uniform noise (alpha too), seeded.
func noiseRGBA(w, h int, seed uint64) *image.RGBA {
	rng := rand.New(rand.NewPCG(seed, 1))
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = uint8(rng.IntN(256))
	}
	return img
}

// TestResizeAreaMatchesOpenCV compares ResizeArea with cv2.resize(INTER_AREA) pixel for
// pixel on random images: integer scales (2×2's rounding shift, other integer blocks'
// float rounding) and fractional ones (the general area path), including odd factors,
// one-pixel outputs and sizes close to the input's.
func TestResizeAreaMatchesOpenCV(t *testing.T) {
	py := cv2Python(t, "cv2, numpy")
	sizes := [][4]int{
		{8, 6, 4, 3}, {2, 2, 1, 1}, {9, 9, 3, 3}, {12, 8, 4, 4}, {6, 9, 3, 3}, {20, 5, 4, 1},
		{7, 5, 3, 2}, {13, 11, 5, 4}, {100, 37, 33, 12}, {301, 199, 256, 169}, {255, 255, 254, 1},
		{17, 3, 4, 1}, {5, 5, 5, 5}, {500, 375, 256, 192}, {333, 500, 170, 256}, {257, 256, 256, 255},
		{1000, 3, 256, 1}, {64, 64, 63, 21}, {640, 480, 256, 192}, {31, 29, 2, 3},
	}
	rng := rand.New(rand.NewPCG(5, 5))
	for i := 0; i < 20; i++ {
		w, h := 2+rng.IntN(300), 2+rng.IntN(300)
		sizes = append(sizes, [4]int{w, h, 1 + rng.IntN(w), 1 + rng.IntN(h)})
	}
	var cases []*areaCase
	for i, s := range sizes {
		img := noiseRGBA(s[0], s[1], uint64(i))
		// Smooth images too: random noise rarely lands on rounding ties.
		if i%2 == 1 {
			for y := 0; y < s[1]; y++ {
				for x := 0; x < s[0]; x++ {
					o := img.PixOffset(x, y)
					img.Pix[o], img.Pix[o+1], img.Pix[o+2] = uint8(x), uint8(y), uint8((x+y)/2)
				}
			}
		}
		cases = append(cases, &areaCase{DW: s[2], DH: s[3], img: img, name: fmt.Sprintf("%dx%d->%dx%d", s[0], s[1], s[2], s[3])})
	}
	want := runArea(t, py, cases)
	for i, c := range cases {
		got, err := ResizeArea(c.img, c.DW, c.DH)
		if err != nil {
			t.Fatal(err)
		}
		assertRGB(t, c.name, got, want[i])
	}
}

func assertRGB(t *testing.T, name string, got *image.RGBA, want []byte) {
	t.Helper()
	g := testimage.RGBBytes(got)
	if len(g) != len(want) {
		t.Fatalf("%s: %d×%d result, OpenCV's has %d bytes", name, got.Rect.Dx(), got.Rect.Dy(), len(want))
	}
	for k := range g {
		if g[k] != want[k] {
			px := k / 3
			t.Fatalf("%s: pixel (%d,%d) channel %d is %d, OpenCV gives %d", name, px%got.Rect.Dx(), px/got.Rect.Dx(), k%3, g[k], want[k])
		}
	}
	for k := 3; k < len(got.Pix); k += 4 {
		if got.Pix[k] != 255 {
			t.Fatalf("%s: alpha %d", name, got.Pix[k])
		}
	}
}

// TestFFCVResizeImageNetSample checks FFCVResize against FFCV's own RGBImageField
// resizer (max_resolution=256) on the 500 real ImageNet images, from the same decoded
// pixels.
func TestFFCVResizeImageNetSample(t *testing.T) {
	files, _ := filepath.Glob("../../../shared/imagenet-sample/*/*.JPEG")
	if len(files) == 0 {
		t.Skip("../shared/imagenet-sample is absent")
	}
	py := cv2Python(t, "cv2, numpy, ffcv.fields.rgb_image")
	var cases []*areaCase
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		img, err := decodeAny(data, 0)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		cases = append(cases, &areaCase{img: img, name: filepath.Base(f)})
	}
	want := runArea(t, py, cases)
	fast := 0
	for i, c := range cases {
		w, h := c.img.Rect.Dx(), c.img.Rect.Dy()
		if nw, nh := FFCVSize(w, h, 256); nw != c.DW || nh != c.DH {
			t.Fatalf("%s: FFCVSize(%d, %d) = %d×%d, FFCV gives %d×%d", c.name, w, h, nw, nh, c.DW, c.DH)
		}
		if w == 2*c.DW && h == 2*c.DH {
			fast++
		}
		got, err := FFCVResize(c.img, 256)
		if err != nil {
			t.Fatal(err)
		}
		assertRGB(t, c.name, got, want[i])
	}
	t.Logf("%d images, %d of them on the 2×2 integer path", len(cases), fast)
}

func TestFFCVSize(t *testing.T) {
	for _, c := range []struct{ w, h, nw, nh int }{
		{500, 375, 256, 192}, {375, 500, 192, 256}, {256, 100, 256, 100}, {100, 50, 100, 50},
		// ratio 256/500 = 0.512: 0.512·333 = 170.496 truncates to 170; 0.512·2 to 0.
		{333, 500, 170, 256}, {1000, 2, 256, 0},
	} {
		if nw, nh := FFCVSize(c.w, c.h, 256); nw != c.nw || nh != c.nh {
			t.Errorf("FFCVSize(%d, %d) = %d×%d, want %d×%d", c.w, c.h, nw, nh, c.nw, c.nh)
		}
	}
	if _, err := FFCVResize(image.NewRGBA(image.Rect(0, 0, 1000, 2)), 256); err == nil {
		t.Error("FFCVResize to a zero-height image succeeded")
	}
	src := noiseRGBA(9, 7, 1)
	before := bytes.Clone(src.Pix)
	if _, err := ResizeArea(src, 10, 7); err == nil {
		t.Error("ResizeArea enlarged an image")
	}
	ResizeArea(src, 4, 3)
	if !bytes.Equal(before, src.Pix) {
		t.Error("ResizeArea modified its input")
	}
}
