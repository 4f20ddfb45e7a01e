package shifts

import (
	"image"
	"math"
	"math/rand/v2"
	"testing"
)

// styleWant holds the expected output of each style case, on tinyImg for the per-pixel
// transforms and on spatialImg for the neighbourhood filters. The values come from an
// independent Python float64 implementation of the documented formulas (naive 2-D
// convolutions with clamped coordinates, direct quadrant statistics with exact
// fractions, rounding half to even), not from the Go kernels.
var styleWant = map[string][][]px{
	"grayscale amount=1": {
		{{126, 126, 126}, {91, 91, 91}, {90, 90, 90}, {73, 73, 73}},
		{{0, 0, 0}, {255, 255, 255}, {62, 62, 62}, {167, 167, 167}},
		{{120, 120, 120}, {149, 149, 149}, {128, 128, 128}, {59, 59, 59}},
	},
	"grayscale amount=0.5": {
		{{69, 163, 86}, {173, 45, 109}, {90, 90, 90}, {51, 66, 161}},
		{{0, 0, 0}, {255, 255, 255}, {101, 41, 66}, {183, 173, 88}},
		{{93, 127, 160}, {77, 199, 77}, {128, 128, 128}, {68, 44, 109}},
	},
	"posterize levels=4": {
		{{0, 170, 85}, {255, 0, 170}, {85, 85, 85}, {0, 85, 255}},
		{{0, 0, 0}, {255, 255, 255}, {170, 0, 85}, {170, 170, 0}},
		{{85, 170, 170}, {0, 255, 0}, {170, 170, 170}, {85, 0, 170}},
	},
	"posterize levels=2": {
		{{0, 255, 0}, {255, 0, 255}, {0, 0, 0}, {0, 0, 255}},
		{{0, 0, 0}, {255, 255, 255}, {255, 0, 0}, {255, 255, 0}},
		{{0, 255, 255}, {0, 255, 0}, {255, 255, 255}, {0, 0, 255}},
	},
	"sketch sigma=1 gamma=1": {
		{{120, 120, 120}, {41, 41, 41}, {255, 255, 255}, {199, 199, 199}, {248, 248, 248}},
		{{115, 115, 115}, {75, 75, 75}, {255, 255, 255}, {177, 177, 177}, {158, 158, 158}},
		{{0, 0, 0}, {130, 130, 130}, {255, 255, 255}, {255, 255, 255}, {160, 160, 160}},
		{{52, 52, 52}, {140, 140, 140}, {255, 255, 255}, {255, 255, 255}, {166, 166, 166}},
	},
	"sketch sigma=0.7 gamma=2": {
		{{170, 170, 170}, {10, 10, 10}, {255, 255, 255}, {163, 163, 163}, {255, 255, 255}},
		{{159, 159, 159}, {31, 31, 31}, {255, 255, 255}, {122, 122, 122}, {135, 135, 135}},
		{{0, 0, 0}, {89, 89, 89}, {255, 255, 255}, {255, 255, 255}, {118, 118, 118}},
		{{34, 34, 34}, {102, 102, 102}, {255, 255, 255}, {255, 255, 255}, {126, 126, 126}},
	},
	"edgemap sigma=0 gain=2": {
		{{248, 248, 248}, {0, 0, 0}, {104, 104, 104}, {13, 13, 13}, {208, 208, 208}},
		{{226, 226, 226}, {0, 0, 0}, {17, 17, 17}, {0, 0, 0}, {121, 121, 121}},
		{{193, 193, 193}, {0, 0, 0}, {0, 0, 0}, {0, 0, 0}, {0, 0, 0}},
		{{178, 178, 178}, {0, 0, 0}, {0, 0, 0}, {6, 6, 6}, {0, 0, 0}},
	},
	"edgemap sigma=0.6 gain=3 invert": {
		{{102, 102, 102}, {255, 255, 255}, {198, 198, 198}, {214, 214, 214}, {86, 86, 86}},
		{{120, 120, 120}, {255, 255, 255}, {255, 255, 255}, {255, 255, 255}, {186, 186, 186}},
		{{143, 143, 143}, {255, 255, 255}, {255, 255, 255}, {255, 255, 255}, {255, 255, 255}},
		{{153, 153, 153}, {255, 255, 255}, {255, 255, 255}, {234, 234, 234}, {255, 255, 255}},
	},
	"cartoon passes=1 sc=0.1 colors=0 line=0": {
		{{9, 10, 10}, {12, 13, 14}, {203, 203, 199}, {219, 30, 40}, {219, 30, 40}},
		{{9, 9, 9}, {16, 18, 20}, {203, 206, 201}, {218, 30, 40}, {59, 67, 77}},
		{{8, 9, 9}, {20, 25, 29}, {203, 208, 204}, {240, 241, 241}, {62, 72, 82}},
		{{8, 8, 9}, {24, 30, 36}, {202, 209, 209}, {234, 236, 237}, {66, 75, 85}},
	},
	"halftone cell=2.5": {
		{{0, 0, 0}, {0, 0, 0}, {255, 255, 255}, {255, 0, 0}, {255, 0, 0}},
		{{0, 0, 0}, {0, 0, 0}, {255, 255, 255}, {255, 0, 0}, {255, 0, 0}},
		{{0, 0, 0}, {0, 0, 255}, {255, 255, 255}, {255, 255, 255}, {255, 0, 255}},
		{{0, 0, 0}, {255, 0, 0}, {255, 0, 255}, {255, 255, 255}, {255, 0, 0}},
	},
	"halftone cell=4": {
		{{0, 0, 0}, {0, 0, 0}, {255, 0, 255}, {255, 0, 255}, {255, 0, 255}},
		{{0, 0, 0}, {0, 0, 0}, {255, 0, 0}, {255, 0, 0}, {255, 255, 0}},
		{{0, 0, 0}, {0, 0, 0}, {255, 255, 0}, {255, 255, 255}, {0, 255, 0}},
		{{0, 0, 0}, {0, 255, 0}, {255, 255, 255}, {255, 255, 255}, {0, 255, 255}},
	},
}

// TestStylePixels checks every style transform's maths on tiny literal images.
func TestStylePixels(t *testing.T) {
	cases := []struct {
		name string
		tr   Transform
		src  [][]px
	}{
		{"grayscale amount=1", Grayscale{Amount: 1}, tinyImg},
		{"grayscale amount=0.5", Grayscale{Amount: 0.5}, tinyImg},
		{"posterize levels=4", Posterize{Levels: 4}, tinyImg},
		{"posterize levels=2", Posterize{Levels: 2}, tinyImg},
		{"sketch sigma=1 gamma=1", Sketch{Sigma: 1, Gamma: 1}, spatialImg},
		{"sketch sigma=0.7 gamma=2", Sketch{Sigma: 0.7, Gamma: 2}, spatialImg},
		{"edgemap sigma=0 gain=2", EdgeMap{Sigma: 0, Gain: 2}, spatialImg},
		{"edgemap sigma=0.6 gain=3 invert", EdgeMap{Sigma: 0.6, Gain: 3, Invert: true}, spatialImg},
		{"cartoon passes=1 sc=0.1 colors=0 line=0", Cartoon{Passes: 1, SigmaColor: 0.1}, spatialImg},
		{"halftone cell=2.5", Halftone{Cell: 2.5}, spatialImg},
		{"halftone cell=4", Halftone{Cell: 4}, spatialImg},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			want, ok := styleWant[tc.name]
			if !ok {
				t.Fatalf("no expected pixels for %q", tc.name)
			}
			checkPixels(t, Apply(tc.tr, newImg(tc.src), Key{}), want)
		})
	}
}

// TestStyleIdentity checks the documented identity parameters.
func TestStyleIdentity(t *testing.T) {
	for name, tr := range map[string]Transform{
		"grayscale amount=0":   Grayscale{},
		"posterize levels=256": Posterize{Levels: 256},
		"oil-paint radius=0":   Kuwahara{},
		"cartoon no-op":        Cartoon{},
	} {
		for _, src := range []*image.RGBA{allBytes(), naturalImg(30, 20, 1)} {
			if out := Apply(tr, src, Key{}); string(out.Pix) != string(src.Pix) {
				t.Errorf("%s is not the identity", name)
			}
		}
	}
}

// TestStyleFlat checks what each filter does to a flat image: the drawings turn it into
// blank paper, the smoothing filters keep it, grayscale and posterize act per pixel, and
// halftone's dot area matches the coverage.
func TestStyleFlat(t *testing.T) {
	flat := func(c px) *image.RGBA {
		img := image.NewRGBA(image.Rect(0, 0, 23, 17))
		for i := 0; i < len(img.Pix); i += 4 {
			img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = c[0], c[1], c[2], 255
		}
		return img
	}
	uniform := func(img *image.RGBA) (px, bool) {
		p := px{img.Pix[0], img.Pix[1], img.Pix[2]}
		for i := 0; i < len(img.Pix); i += 4 {
			if (px{img.Pix[i], img.Pix[i+1], img.Pix[i+2]}) != p {
				return p, false
			}
		}
		return p, true
	}
	c := px{150, 90, 40}
	for _, tc := range []struct {
		name string
		tr   Transform
		want px
	}{
		{"sketch", SketchSeverities[4], px{255, 255, 255}},
		{"edge-map", EdgeMapSeverities[2], px{255, 255, 255}},
		{"edge-map inverted", EdgeMap{Sigma: 1, Gain: 4, Invert: true}, px{0, 0, 0}},
		{"oil-paint without strokes", Kuwahara{Radius: 7}, c},
		{"cartoon without quantisation", Cartoon{Passes: 3, SigmaColor: 0.1, Line: 1, Coverage: 0.1}, c},
		{"cartoon", CartoonSeverities[4], c},
	} {
		got, ok := uniform(Apply(tc.tr, flat(c), Key{}))
		if !ok || got != tc.want {
			t.Errorf("%s of a flat image: uniform %v, colour %v, want %v", tc.name, ok, got, tc.want)
		}
	}
	if got, _ := uniform(Apply(SketchSeverities[2], flat(px{0, 0, 0}), Key{})); got != (px{0, 0, 0}) {
		t.Errorf("sketch of black = %v, want black", got)
	}
	// The dot area function is the fraction of the unit cell within ρ of its centre.
	const grid = 400
	for _, cov := range []float64{0.05, 0.3, 0.6, 0.785, 0.9, 0.99} {
		in := 0
		for i := range grid {
			for j := range grid {
				u, v := (float64(i)+0.5)/grid-0.5, (float64(j)+0.5)/grid-0.5
				if cov > dotArea(u*u+v*v) {
					in++
				}
			}
		}
		if got := float64(in) / (grid * grid); math.Abs(got-cov) > 0.002 {
			t.Errorf("dot area: coverage %.3f inks %.4f of the cell", cov, got)
		}
	}
	// Halftone: ink area equals coverage on average; pure black and white print solid.
	for _, v := range []uint8{0, 40, 128, 200, 255} {
		img := Apply(Halftone{Cell: 6}, flat(px{v, v, v}), Key{})
		big := Apply(Halftone{Cell: 6}, func() *image.RGBA {
			b := image.NewRGBA(image.Rect(0, 0, 240, 240))
			for i := 0; i < len(b.Pix); i += 4 {
				b.Pix[i], b.Pix[i+1], b.Pix[i+2], b.Pix[i+3] = v, v, v, 255
			}
			return b
		}(), Key{})
		for ch := range 3 {
			ink := 0
			for i := ch; i < len(big.Pix); i += 4 {
				if big.Pix[i] == 0 {
					ink++
				}
			}
			frac, cov := float64(ink)/float64(len(big.Pix)/4), 1-float64(v)/255
			// The 0° (yellow) screen is aligned with the pixel grid, so with a whole
			// cell of 6 pixels its tones come in steps of 4/36.
			tol := 0.02
			if ch == 2 {
				tol = 4.0 / 36
			}
			if math.Abs(frac-cov) > tol {
				t.Errorf("halftone of grey %d, channel %d: ink on %.3f of the pixels, coverage %.3f", v, ch, frac, cov)
			}
		}
		if v == 0 || v == 255 {
			if got, ok := uniform(img); !ok || got != (px{v, v, v}) {
				t.Errorf("halftone of %d is not solid", v)
			}
		}
	}
}

// TestBlurMatchesNaive compares the separable blur with a direct 2-D convolution on a
// random image.
func TestBlurMatchesNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const w, h = 19, 13
	p := make([]float64, w*h)
	for i := range p {
		p[i] = r.Float64()
	}
	for _, sigma := range []float64{0, 0.4, 1, 2.5, 7} {
		got := blurPlane(p, w, h, sigma)
		k := gaussKernel(sigma)
		rad := len(k) / 2
		if sigma > 0 && rad != int(math.Ceil(3*sigma)) {
			t.Fatalf("sigma %v: radius %d", sigma, rad)
		}
		for y := range h {
			for x := range w {
				var want float64
				for j := range k {
					for i := range k {
						yy, xx := min(max(y+j-rad, 0), h-1), min(max(x+i-rad, 0), w-1)
						want += k[j] * k[i] * p[yy*w+xx]
					}
				}
				if math.Abs(got[y*w+x]-want) > 1e-12 {
					t.Fatalf("sigma %v at (%d,%d): %v, want %v", sigma, x, y, got[y*w+x], want)
				}
			}
		}
	}

}

// naiveKuwahara computes one output pixel of the classic four-quadrant Kuwahara filter
// (each pixel takes the mean of its least varied (r+1)×(r+1) quadrant), the blocky
// filter oil-paint replaced; tests use it as a control.
func naiveKuwahara(img *image.RGBA, x, y, r int) px {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	x0, x1, y0, y1 := max(x-r, 0), min(x+r, w-1), max(y-r, 0), min(y+r, h-1)
	var best px
	var bestNum, bestDen int64 = -1, 1
	for _, q := range [4][4]int{{x0, y0, x, y}, {x, y0, x1, y}, {x0, y, x, y1}, {x, y, x1, y1}} {
		var s [3]int64
		var sq, n int64
		for yy := q[1]; yy <= q[3]; yy++ {
			for xx := q[0]; xx <= q[2]; xx++ {
				i := img.PixOffset(xx, yy)
				for c := range 3 {
					v := int64(img.Pix[i+c])
					s[c] += v
					sq += v * v
				}
				n++
			}
		}
		num := n*sq - s[0]*s[0] - s[1]*s[1] - s[2]*s[2] // n²·variance
		if bestNum < 0 || num*bestDen < bestNum*n*n {
			bestNum, bestDen = num, n*n
			for c := range 3 {
				best[c] = uint8(math.RoundToEven(float64(s[c]) / float64(n)))
			}
		}
	}
	return best
}
