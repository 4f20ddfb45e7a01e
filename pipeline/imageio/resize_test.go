package imageio

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/shiftgen/shiftgen/pipeline/internal/testimage"
)

// randomRGBA returns a w×h opaque image of smooth structure plus noise, seeded by seed.
func randomRGBA(seed uint64, w, h int) *image.RGBA {
	r := rand.New(rand.NewPCG(seed, 7))
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	fx, fy := r.Float64()*0.2, r.Float64()*0.2
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			p := img.Pix[y*img.Stride+4*x:]
			p[0] = uint8(128 + 100*math.Sin(float64(x)*fx) + float64(r.IntN(40)) - 20)
			p[1] = uint8(128 + 100*math.Cos(float64(y)*fy) + float64(r.IntN(40)) - 20)
			p[2] = uint8(r.IntN(256))
			p[3] = 255
		}
	}
	return img
}

// resizeCase is one resize + crop, as the PIL script below reads it.
type resizeCase struct {
	W, H   int    // source size
	RW, RH int    // resized size
	Crop   [4]int // left, top, right, bottom in the resized image
	Seed   uint64
}

// resizeCases covers downscales by 1–8×, upscales, identity, thin and odd sizes, and
// torchvision's Resize(256) + CenterCrop(256) and CenterCrop(224) geometries.
func resizeCases() []resizeCase {
	var cs []resizeCase
	add := func(w, h, rw, rh int, crop image.Rectangle) {
		cs = append(cs, resizeCase{W: w, H: h, RW: rw, RH: rh, Crop: [4]int{crop.Min.X, crop.Min.Y, crop.Max.X, crop.Max.Y}, Seed: uint64(len(cs) + 1)})
	}
	for _, s := range [][2]int{{500, 375}, {375, 500}, {500, 333}, {640, 480}, {1000, 750}, {257, 256},
		{256, 256}, {100, 80}, {2000, 150}, {301, 1203}, {999, 257}, {260, 3000}, {17, 9}, {1, 1}, {511, 257}} {
		for _, p := range []Preprocess{PaperPreprocess, ImageNetCPreprocess} {
			g := p.Geometry("val", s[0], s[1])
			add(s[0], s[1], g.W, g.H, g.Crop)
		}
		g := PaperPreprocess.Geometry("train", s[0], s[1])
		add(s[0], s[1], g.W, g.H, g.Crop)
	}
	// A JPEG decoded at a reduced scale and resized to the full-scale geometry, and odd
	// crops of every width parity.
	add(500, 376, 341, 256, image.Rect(42, 0, 298, 256))
	add(250, 188, 341, 256, image.Rect(42, 0, 298, 256))
	add(640, 480, 333, 250, image.Rect(3, 5, 260, 250))
	add(640, 480, 333, 250, image.Rect(0, 0, 333, 1))
	add(33, 31, 7, 5, image.Rect(1, 1, 6, 4))
	return cs
}

// TestResizeCropMatchesReference checks the optimised resizer against the plain PIL
// port bit for bit: with fresh and with reused memory, and with the SIMD passes (where
// this machine has them) and the pure-Go ones.
func TestResizeCropMatchesReference(t *testing.T) {
	var r resizer
	generic := resizer{generic: true}
	var pix []uint8
	for _, c := range resizeCases() {
		src := randomRGBA(c.Seed, c.W, c.H)
		crop := image.Rect(c.Crop[0], c.Crop[1], c.Crop[2], c.Crop[3])
		want := refResizeCrop(src, c.RW, c.RH, crop)
		got := ResizeCrop(src, c.RW, c.RH, crop)
		if !bytes.Equal(got.Pix, want.Pix) || got.Rect != want.Rect {
			t.Errorf("%+v: ResizeCrop differs from the reference", c)
		}
		reused := r.resizeCrop(pix, src, src.Rect.Max, c.RW, c.RH, crop)
		if !bytes.Equal(reused.Pix, want.Pix) || reused.Rect != want.Rect {
			t.Errorf("%+v: resizer with reused memory differs from the reference", c)
		}
		pix = reused.Pix
		if g := generic.resizeCrop(nil, src, src.Rect.Max, c.RW, c.RH, crop); !bytes.Equal(g.Pix, want.Pix) {
			t.Errorf("%+v: pure-Go passes differ from the reference", c)
		}
	}
}

// TestResizeCropLeavesSourceAlone checks that the source is not modified.
func TestResizeCropLeavesSourceAlone(t *testing.T) {
	src := randomRGBA(1, 64, 48)
	before := bytes.Clone(src.Pix)
	ResizeCrop(src, 32, 24, image.Rect(2, 2, 30, 20))
	if !bytes.Equal(src.Pix, before) {
		t.Fatal("ResizeCrop modified its source")
	}
}

// TestResizeCropExactSmall checks tiny literal cases: a constant image stays constant,
// and halving a 2-pixel row averages it (PIL rounds half up).
func TestResizeCropExactSmall(t *testing.T) {
	src := image.NewRGBA(image.Rect(0, 0, 2, 1))
	copy(src.Pix, []uint8{10, 20, 30, 255, 11, 40, 0, 255})
	got := ResizeCrop(src, 1, 1, image.Rect(0, 0, 1, 1))
	if want := []uint8{11, 30, 15, 255}; !bytes.Equal(got.Pix, want) {
		t.Errorf("2×1 → 1×1 = %v, want %v", got.Pix, want)
	}
	flat := image.NewRGBA(image.Rect(0, 0, 37, 23))
	for i := range flat.Pix {
		flat.Pix[i] = []uint8{200, 7, 99, 255}[i%4]
	}
	got = ResizeCrop(flat, 13, 50, image.Rect(0, 0, 13, 50))
	for i, v := range got.Pix {
		if want := []uint8{200, 7, 99, 255}[i%4]; v != want {
			t.Fatalf("constant image: byte %d = %d, want %d", i, v, want)
		}
	}
}

// TestResizeCropMatchesPIL compares with Pillow itself: each case's source goes to
// Pillow as raw RGB, is resized with Image.resize(BILINEAR) and cropped there
// (torchvision's Resize(256) + CenterCrop on a PIL image), and must equal ours byte for
// byte.
func TestResizeCropMatchesPIL(t *testing.T) {
	py := needPIL(t)
	dir := t.TempDir()
	cases := resizeCases()
	srcs := make([]*image.RGBA, len(cases))
	for i, c := range cases {
		srcs[i] = randomRGBA(c.Seed, c.W, c.H)
		testimage.WriteFile(t, filepath.Join(dir, fmt.Sprintf("%d.in", i)), testimage.RGBBytes(srcs[i]))
	}
	js, err := json.Marshal(cases)
	if err != nil {
		t.Fatal(err)
	}
	testimage.WriteFile(t, filepath.Join(dir, "cases.json"), js)
	script := `
import sys, json
from PIL import Image
d = sys.argv[1]
for i, c in enumerate(json.load(open(d + '/cases.json'))):
    im = Image.frombytes('RGB', (c['W'], c['H']), open('%s/%d.in' % (d, i), 'rb').read())
    im = im.resize((c['RW'], c['RH']), Image.BILINEAR).crop(tuple(c['Crop']))
    open('%s/%d.rgb' % (d, i), 'wb').write(im.tobytes())
`
	if out, err := exec.Command(py, "-c", script, dir).CombinedOutput(); err != nil {
		t.Fatalf("Pillow: %v\n%s", err, out)
	}
	for i, c := range cases {
		want, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("%d.rgb", i)))
		if err != nil {
			t.Fatal(err)
		}
		got := ResizeCrop(srcs[i], c.RW, c.RH, image.Rect(c.Crop[0], c.Crop[1], c.Crop[2], c.Crop[3]))
		if g := testimage.RGBBytes(got); !bytes.Equal(g, want) {
			n := 0
			for j := range g {
				if j < len(want) && g[j] != want[j] {
					n++
				}
			}
			t.Errorf("%+v: %d of %d bytes differ from Pillow", c, n, len(want))
		}
	}
}

// refCoeffs and refResizeCrop are the first, straightforward PIL port: the reference the
// optimised resizer must match bit for bit.
// a range of output pixels: output i reads input pixels start[i] .. start[i]+len(w[i])-1.
type refCoeffs struct {
	start []int
	n     []int
	k     []int32 // len(start) × ksize, row-major
	ksize int
}

// refBilinearCoeffs computes PIL's weights (ImagingResample's precompute_refCoeffs with the
// bilinear filter, then normalize_refCoeffs_8bpc) for output pixels from..from+count-1 of a
// resize from inSize to outSize.
func refBilinearCoeffs(inSize, outSize, from, count int) refCoeffs {
	scale := float64(inSize) / float64(outSize)
	filterscale := scale
	if filterscale < 1 {
		filterscale = 1
	}
	support := 1.0 * filterscale
	ksize := int(math.Ceil(support))*2 + 1
	c := refCoeffs{start: make([]int, count), n: make([]int, count), k: make([]int32, count*ksize), ksize: ksize}
	pre := make([]float64, ksize)
	ss := 1.0 / filterscale
	for i := 0; i < count; i++ {
		xx := from + i
		center := (float64(xx) + 0.5) * scale
		xmin := int(center - support + 0.5)
		if xmin < 0 {
			xmin = 0
		}
		xmax := int(center + support + 0.5)
		if xmax > inSize {
			xmax = inSize
		}
		xmax -= xmin
		ww := 0.0
		for x := 0; x < xmax; x++ {
			t := (float64(x+xmin) - center + 0.5) * ss
			if t < 0 {
				t = -t
			}
			w := 0.0
			if t < 1 {
				w = 1 - t
			}
			pre[x] = w
			ww += w
		}
		k := c.k[i*ksize : (i+1)*ksize]
		for x := 0; x < xmax; x++ {
			v := pre[x]
			if ww != 0 {
				v /= ww
			}
			if v < 0 {
				k[x] = int32(-0.5 + v*(1<<precisionBits))
			} else {
				k[x] = int32(0.5 + v*(1<<precisionBits))
			}
		}
		c.start[i], c.n[i] = xmin, xmax
	}
	return c
}

// refResizeCrop is ResizeCrop written plainly.
func refResizeCrop(src *image.RGBA, rw, rh int, crop image.Rectangle) *image.RGBA {
	sw, sh := src.Rect.Dx(), src.Rect.Dy()
	cw, ch := crop.Dx(), crop.Dy()
	if rw == sw && rh == sh {
		out := image.NewRGBA(image.Rect(0, 0, cw, ch))
		for y := 0; y < ch; y++ {
			o := src.PixOffset(crop.Min.X, crop.Min.Y+y)
			copy(out.Pix[y*out.Stride:y*out.Stride+4*cw], src.Pix[o:o+4*cw])
		}
		return out
	}
	hc := refBilinearCoeffs(sw, rw, crop.Min.X, cw)
	vc := refBilinearCoeffs(sh, rh, crop.Min.Y, ch)
	// Rows of src the vertical pass needs.
	y0, y1 := vc.start[0], 0
	for i := range vc.start {
		if vc.start[i] < y0 {
			y0 = vc.start[i]
		}
		if e := vc.start[i] + vc.n[i]; e > y1 {
			y1 = e
		}
	}
	// Horizontal pass over rows y0..y1-1 into tmp (cw wide).
	tmp := make([]uint8, (y1-y0)*cw*4)
	for y := y0; y < y1; y++ {
		srow := src.Pix[y*src.Stride : y*src.Stride+sw*4]
		trow := tmp[(y-y0)*cw*4 : (y-y0+1)*cw*4]
		for xx := 0; xx < cw; xx++ {
			xmin, n := hc.start[xx], hc.n[xx]
			k := hc.k[xx*hc.ksize : xx*hc.ksize+n]
			px := srow[xmin*4 : (xmin+n)*4]
			s0, s1, s2 := half, half, half
			for x, w := range k {
				p := px[x*4 : x*4+3]
				s0 += int32(p[0]) * w
				s1 += int32(p[1]) * w
				s2 += int32(p[2]) * w
			}
			t := trow[xx*4 : xx*4+4]
			t[0], t[1], t[2], t[3] = clipFixed(s0), clipFixed(s1), clipFixed(s2), 255
		}
	}
	// Vertical pass.
	out := image.NewRGBA(image.Rect(0, 0, cw, ch))
	stride := cw * 4
	acc := make([]int32, stride)
	for yy := 0; yy < ch; yy++ {
		ymin, n := vc.start[yy], vc.n[yy]
		k := vc.k[yy*vc.ksize : yy*vc.ksize+n]
		for i := range acc {
			acc[i] = half
		}
		for j, w := range k {
			row := tmp[(ymin+j-y0)*stride : (ymin+j-y0+1)*stride]
			a := acc[:len(row)]
			for i, v := range row {
				a[i] += int32(v) * w
			}
		}
		orow := out.Pix[yy*out.Stride : yy*out.Stride+stride]
		for i := 0; i < stride; i += 4 {
			orow[i] = clipFixed(acc[i])
			orow[i+1] = clipFixed(acc[i+1])
			orow[i+2] = clipFixed(acc[i+2])
			orow[i+3] = 255
		}
	}
	return out
}
