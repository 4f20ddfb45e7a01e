package shifts

import (
	"fmt"
	"image"
	"math"
	"path/filepath"
	"strings"
	"testing"
)

// cartoonImages are the images the cartoon tests run on: synthetic ones, two generated
// styles and, when ../shared is present, real photographs.
func cartoonImages(t *testing.T) map[string]*image.RGBA {
	imgs := map[string]*image.RGBA{
		"natural":             naturalImg(120, 90, 21),
		"small":               naturalImg(9, 7, 22),
		"generated sunset":    GeneratedStyles(0).Images[2].Image,
		"generated verdigris": GeneratedStyles(0).Images[5].Image,
		"one colour":          newImg([][]px{{{10, 200, 30}, {10, 200, 30}}, {{10, 200, 30}, {10, 200, 30}}}),
	}
	for _, p := range sampleImages(t, 4) {
		imgs[filepath.Base(p)] = loadSample(t, p)
	}
	return imgs
}

// TestCartoonColours checks cartoon's defining property: outside its outlines (no ink)
// the output holds at most K colours, the outlines ink at most the Coverage share of the
// pixels, and the ink only darkens the flat colour under it.
func TestCartoonColours(t *testing.T) {
	for name, img := range cartoonImages(t) {
		for _, tr := range []Cartoon{CartoonSeverities[0], CartoonSeverities[2], CartoonSeverities[4],
			{Passes: 1, SigmaColor: 0.1, Colors: 2, Line: 1, Coverage: 0.05}} {
			out := Apply(tr, img, Key{})
			w, h := img.Rect.Dx(), img.Rect.Dy()
			cur := tr.smooth(img)
			ink := tr.ink(cur, w, h)
			pal, labels := cartoonPalette(cur, w*h, tr.Colors)
			colours := map[px]bool{}
			inked := 0
			for i, k := range ink {
				o := px{out.Pix[i*4], out.Pix[i*4+1], out.Pix[i*4+2]}
				flat := pal[labels[i]]
				if k == 0 {
					colours[o] = true
					if o != flat {
						t.Fatalf("%s %+v: pixel %d is %v outside the outlines, its colour is %v", name, tr, i, o, flat)
					}
					continue
				}
				inked++
				for c := range 3 {
					if o[c] > flat[c] {
						t.Fatalf("%s: ink lightened pixel %d from %v to %v", name, i, flat, o)
					}
				}
			}
			if len(colours) > tr.Colors {
				t.Errorf("%s %+v: %d colours outside the outlines, want at most %d", name, tr, len(colours), tr.Colors)
			}
			if limit := int(math.Ceil(tr.Coverage*float64(w*h))) + 1; inked > limit {
				t.Errorf("%s %+v: %d inked pixels, over the %d the coverage allows", name, tr, inked, limit)
			}
			if name == "one colour" && (inked != 0 || len(colours) != 1) {
				t.Errorf("a flat image got %d inked pixels and %d colours", inked, len(colours))
			}
			// Photographs and the natural test image have edges to ink; the generated
			// styles are smooth and may have none.
			if name != "one colour" && (len(colours) < 2 || (!strings.HasPrefix(name, "generated") && name != "small" && inked == 0)) {
				t.Errorf("%s %+v: %d inked pixels, %d colours: no cartoon", name, tr, inked, len(colours))
			}
		}
	}
}

// TestCartoonPalette checks the k-means on an image of four noisy colour blocks: with
// K = 4 each block gets one colour, within a byte of the block's mean; every pixel takes
// the palette colour nearest to it.
func TestCartoonPalette(t *testing.T) {
	const w, h = 40, 30
	centres := [4]px{{200, 40, 40}, {30, 160, 60}, {40, 60, 200}, {230, 220, 90}}
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	r := naturalImg(w, h, 30) // a source of deterministic jitter
	var sums [4][3]float64
	var counts [4]float64
	block := func(x, y int) int { return (x*2/w)*2 + y*2/h }
	for y := range h {
		for x := range w {
			b := block(x, y)
			i := img.PixOffset(x, y)
			for c := range 3 {
				v := int(centres[b][c]) + int(r.Pix[i+c])%9 - 4
				img.Pix[i+c] = uint8(v)
				sums[b][c] += float64(v)
			}
			img.Pix[i+3] = 255
			counts[b]++
		}
	}
	pal, labels := cartoonPalette(img.Pix, w*h, 4)
	if len(pal) != 4 {
		t.Fatalf("palette of %d colours", len(pal))
	}
	seen := map[uint8]int{}
	for y := range h {
		for x := range w {
			i := y*w + x
			b := block(x, y)
			if prev, ok := seen[labels[i]]; ok && prev != b {
				t.Fatalf("blocks %d and %d share colour %d", prev, b, labels[i])
			}
			seen[labels[i]] = b
			p := pal[labels[i]]
			for c := range 3 {
				if m := sums[b][c] / counts[b]; math.Abs(float64(p[c])-m) > 1 {
					t.Fatalf("block %d colour %v, mean %.2f in channel %d", b, p, m, c)
				}
			}
			// Nearest: no other palette colour is closer.
			q := img.Pix[i*4 : i*4+3]
			d := func(c [3]uint8) float64 {
				var s float64
				for k := range 3 {
					e := float64(q[k]) - float64(c[k])
					s += e * e
				}
				return s
			}
			for _, o := range pal {
				if d(o) < d(p)-1e-9 {
					t.Fatalf("pixel %v took %v, %v is nearer", q, p, o)
				}
			}
		}
	}
	// Fewer distinct colours than K: the palette is those colours.
	two := newImg([][]px{{{1, 2, 3}, {200, 100, 0}}, {{1, 2, 3}, {1, 2, 3}}})
	pal, _ = cartoonPalette(two.Pix, 4, 8)
	if len(pal) != 2 || !((pal[0] == [3]uint8{1, 2, 3} && pal[1] == [3]uint8{200, 100, 0}) || (pal[1] == [3]uint8{1, 2, 3} && pal[0] == [3]uint8{200, 100, 0})) {
		t.Errorf("palette of a two-colour image: %v", pal)
	}
}

// TestCartoonOutlinesSciPy checks the outline stage against SciPy: Gaussian filters with
// nearest-edge handling and radius ⌈3σ⌉, the Coverage quantile, the tanh ink, and the
// darkened output (no smoothing, no quantisation, so the outlines are all that acts).
func TestCartoonOutlinesSciPy(t *testing.T) {
	py := pythonWith(t, "numpy", "scipy")
	const script = `
import sys, json, math, numpy as np
from scipy.ndimage import gaussian_filter
cases = json.load(sys.stdin)
res = []
for c in cases:
    img = np.array(c["src"], dtype=np.float64)
    y = (0.299 * img[..., 0] + 0.587 * img[..., 1] + 0.114 * img[..., 2]) / 255
    def blur(s):
        return gaussian_filter(y, s, mode="nearest", truncate=math.ceil(3 * s) / s)
    r = blur(1.6 * c["line"]) - blur(c["line"])
    srt = np.sort(r.ravel())
    q = 1 - c["coverage"]
    eps = max(0.004, srt[int(q * (srt.size - 1))])
    ink = np.where(r > eps, np.tanh(3 * (r - eps) / eps), 0)
    out = np.round((1 - ink)[..., None] * img)
    res.append(out.astype(int).tolist())
print(json.dumps(res))
`
	type outlineCase struct {
		Src      [][][3]int `json:"src"`
		Line     float64    `json:"line"`
		Coverage float64    `json:"coverage"`
	}
	var cases []outlineCase
	var outs []*image.RGBA
	for i, c := range []struct{ line, coverage float64 }{{1, 0.08}, {0.7, 0.2}, {2.5, 0.05}} {
		src := naturalImg(41, 33, uint64(40+i))
		outs = append(outs, Apply(Cartoon{Line: c.line, Coverage: c.coverage}, src, Key{}))
		cases = append(cases, outlineCase{rgbRows(src), c.line, c.coverage})
	}
	var res [][][][3]int
	runPython(t, py, script, cases, &res)
	for i, want := range res {
		// Convolutions summed in another order may round a half the other way.
		if odd := offByOne(t, fmt.Sprintf("case %d", i), "SciPy", rgbRows(outs[i]), want); odd > 3 {
			t.Errorf("case %d: %d values off by one", i, odd)
		}
	}
}
