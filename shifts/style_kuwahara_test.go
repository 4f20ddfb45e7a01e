package shifts

import (
	"bytes"
	"image"
	"math"
	"testing"

	"github.com/shiftgen/shiftgen/shifts/rgba"
)

// rampImg is a w×h gradient: channel c rises by slope·(1, 0.8, 0.5)[c] bytes per pixel
// (R along x, G along y, B along both), plus a deterministic jitter of up to ±noise/2.
func rampImg(w, h int, slope float64, noise int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	jitter := naturalImg(w, h, 50)
	for y := range h {
		for x := range w {
			i := img.PixOffset(x, y)
			base := [3]float64{30 + slope*float64(x), 40 + 0.8*slope*float64(y), 100 + 0.5*slope*float64(x+y)}
			for c := range 3 {
				j := 0
				if noise > 0 {
					j = int(jitter.Pix[i+c])%noise - noise/2
				}
				img.Pix[i+c] = clamp8(math.Round(base[c]) + float64(j))
			}
			img.Pix[i+3] = 255
		}
	}
	return img
}

// jumps counts the steps between horizontally or vertically neighbouring pixels, per
// channel, larger than limit bytes.
func jumps(img *image.RGBA, limit int) int {
	n := 0
	w, h := img.Rect.Dx(), img.Rect.Dy()
	for y := range h {
		for x := range w {
			i := img.PixOffset(x, y)
			for c := range 3 {
				if x+1 < w && absInt(int(img.Pix[i+4+c])-int(img.Pix[i+c])) > limit {
					n++
				}
				if y+1 < h && absInt(int(img.Pix[i+img.Stride+c])-int(img.Pix[i+c])) > limit {
					n++
				}
			}
		}
	}
	return n
}

// TestKuwaharaNoBlocks checks oil-paint's defining property: on a gradient its filter
// leaves no square blocks. The classic four-quadrant Kuwahara filter breaks a gradient into
// squares, each the mean of one quadrant, whose borders are jumps of several times the
// gradient's slope wherever the chosen quadrant flips; oil-paint keeps the gradient a
// gradient, with no step between neighbouring pixels above twice the slope plus one
// byte, at every severity, on gradients from 0.5 to 2 bytes per pixel, clean and with
// up to ±2 bytes of noise. The classic filter, run as a control on the same images, shows the jumps.
func TestKuwaharaNoBlocks(t *testing.T) {
	for _, slope := range []float64{0.5, 1, 2} {
		for _, noise := range []int{0, 3, 5} {
			img := rampImg(80, 64, slope, noise)
			limit := int(2*slope + 1)
			for _, tr := range KuwaharaSeverities {
				tr.Strokes = 0 // the filter itself; the relief is checked apart
				if n := jumps(Apply(tr, img, Key{}), limit); n != 0 {
					t.Errorf("slope %v noise %d, radius %d: %d steps over %d bytes", slope, noise, tr.Radius, n, limit)
				}
			}
			if noise == 0 && slope < 1 {
				continue // the classic filter keeps a clean shallow ramp too
			}
			classic := rgba.Clone(img)
			for y := range img.Rect.Dy() {
				for x := range img.Rect.Dx() {
					p := naiveKuwahara(img, x, y, 4)
					i := classic.PixOffset(x, y)
					classic.Pix[i], classic.Pix[i+1], classic.Pix[i+2] = p[0], p[1], p[2]
				}
			}
			if n := jumps(classic, limit); n < 500 {
				t.Errorf("slope %v noise %d: the classic filter made only %d jumps; the control does not show the artefact", slope, noise, n)
			}
		}
	}
}

// directKuwahara computes one output pixel of the anisotropic filter from its
// definition: every offset of the ellipse's bounding box in turn (no pairing, no row
// spans), its sector weights from the polynomials at the nearest table point.
func directKuwahara(img *image.RGBA, e, f, g []float64, x, y, r int) px {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	i := y*w + x
	cosP, sinP, A := orientation(e[i], f[i], g[i])
	a, b := float64(r)*(1+A), float64(r)/(1+A)
	zeta := KuwaharaOverlap
	eta := (zeta + math.Cos(math.Pi/8)) / math.Pow(math.Sin(math.Pi/8), 2)
	var acc [8][5]float64
	for dy := -2 * r; dy <= 2*r; dy++ {
		for dx := -2 * r; dx <= 2*r; dx++ {
			fx, fy := float64(dx), float64(dy)
			px0 := (fx*cosP + fy*sinP) / a
			py0 := (-fx*sinP + fy*cosP) / b
			if px0*px0+py0*py0 > 1 {
				continue
			}
			// The nearest table point.
			gx := math.Floor((px0+1)*kuwaharaGrid+0.5)/kuwaharaGrid - 1
			gy := math.Floor((py0+1)*kuwaharaGrid+0.5)/kuwaharaGrid - 1
			var u [8]float64
			var sum float64
			for k := range 8 {
				th := float64(k) * math.Pi / 4
				tt := gx*math.Cos(th) + gy*math.Sin(th)
				ss := -gx*math.Sin(th) + gy*math.Cos(th)
				u[k] = sectorWeight(tt, ss, zeta, eta)
				sum += u[k]
			}
			fall := max(0, 1-0.75*(gx*gx+gy*gy))
			q := img.PixOffset(min(max(x+dx, 0), w-1), min(max(y+dy, 0), h-1))
			var sq float64
			for c := range 3 {
				v := float64(img.Pix[q+c])
				sq += v * v
			}
			for k := range 8 {
				wk := u[k] / sum * fall
				acc[k][0] += wk
				for c := range 3 {
					acc[k][1+c] += wk * float64(img.Pix[q+c])
				}
				acc[k][4] += wk * sq
			}
		}
	}
	var out [3]float64
	var ws float64
	for _, s := range acc {
		m := [3]float64{s[1] / s[0], s[2] / s[0], s[3] / s[0]}
		v := math.Max(0, s[4]/s[0]-m[0]*m[0]-m[1]*m[1]-m[2]*m[2])
		al := 1 / (1 + math.Pow(math.Sqrt(v)/KuwaharaNoise, 8))
		for c := range 3 {
			out[c] += al * m[c]
		}
		ws += al
	}
	return px{round8(out[0] / ws), round8(out[1] / ws), round8(out[2] / ws)}
}

// TestKuwaharaMatchesDirect compares the filter with a direct evaluation of its
// definition, pixel by pixel.
func TestKuwaharaMatchesDirect(t *testing.T) {
	img := naturalImg(30, 22, 51)
	w, h := img.Rect.Dx(), img.Rect.Dy()
	var ch [3][]float64
	for c := range ch {
		ch[c] = make([]float64, w*h)
		for i := range w * h {
			ch[c][i] = float64(img.Pix[i*4+c])
		}
	}
	e, f, g := structureTensor(ch, w, h)
	for _, r := range []int{1, 3, 7} {
		out := Apply(Kuwahara{Radius: r}, img, Key{})
		odd := 0
		for y := range h {
			for x := range w {
				want := directKuwahara(img, e, f, g, x, y, r)
				i := out.PixOffset(x, y)
				for c := range 3 {
					if d := int(out.Pix[i+c]) - int(want[c]); d > 1 || d < -1 {
						t.Fatalf("radius %d (%d,%d): %v, direct %v", r, x, y, out.Pix[i:i+3], want)
					} else if d != 0 {
						odd++
					}
				}
			}
		}
		// Summation order differs: a value next to a half may round the other way.
		if odd > 3 {
			t.Errorf("radius %d: %d values off by one", r, odd)
		}
	}
}

// TestKuwaharaEdges checks that a sharp edge between two flat colours survives (the
// filter smooths along edges, not across): pixels more than 1.5 pixels from it keep
// their colour, the ones next to it move by at most 7 % of the step, so the edge stays a
// one-pixel step. It also checks the structure tensor's orientation on stripes.
func TestKuwaharaEdges(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 40, 30))
	for y := range 30 {
		for x := range 40 {
			c := px{30, 60, 200}
			if 3*x+y > 60 {
				c = px{240, 200, 20}
			}
			i := img.PixOffset(x, y)
			img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = c[0], c[1], c[2], 255
		}
	}
	for _, tr := range KuwaharaSeverities {
		tr.Strokes = 0
		out := Apply(tr, img, Key{})
		for i := range img.Pix {
			x, y := i/4%40, i/4/40
			limit := 1
			if math.Abs(float64(3*x+y-60))/math.Sqrt(10) < 1.5 {
				limit = 15 // 7 % of the 210-byte step in R
			}
			if d := int(out.Pix[i]) - int(img.Pix[i]); d > limit || d < -limit {
				t.Fatalf("radius %d, byte %d (pixel %d,%d): %d became %d", tr.Radius, i, x, y, img.Pix[i], out.Pix[i])
			}
		}
	}
	// Stripes along 30°: the edge direction is ±30°, anisotropy near 1.
	const w, h = 64, 64
	var ch [3][]float64
	for c := range ch {
		ch[c] = make([]float64, w*h)
	}
	s, c := math.Sincos(math.Pi / 6)
	for y := range h {
		for x := range w {
			v := 128 + 100*math.Sin((-float64(x)*s+float64(y)*c)/3)
			for k := range ch {
				ch[k][y*w+x] = v
			}
		}
	}
	e, f, g := structureTensor(ch, w, h)
	i := 32*w + 32
	cosP, sinP, A := orientation(e[i], f[i], g[i])
	if ang := math.Abs(cosP*c + sinP*s); ang < 0.99 || A < 0.9 {
		t.Errorf("stripes at 30°: direction (%.3f, %.3f), |cos| to 30° %.3f, anisotropy %.3f", cosP, sinP, ang, A)
	}
}

// TestKuwaharaStrokes checks the brush-stroke relief: it follows the edges (on stripes,
// the shading changes far less along them than across them), keeps the brightness on
// average, and is the plain filter at Strokes 0.
func TestKuwaharaStrokes(t *testing.T) {
	const w, h = 96, 96
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	s, c := math.Sincos(math.Pi / 6) // stripes along 30°
	for y := range h {
		for x := range w {
			v := clamp8(128 + 60*math.Sin((-float64(x)*s+float64(y)*c)/4))
			i := img.PixOffset(x, y)
			img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = v, v, v, 255
		}
	}
	plain := Apply(Kuwahara{Radius: 5}, img, Key{})
	painted := Apply(Kuwahara{Radius: 5, Strokes: 1}, img, Key{})
	if zero := Apply(Kuwahara{Radius: 5, Strokes: 0}, img, Key{}); !bytes.Equal(zero.Pix, plain.Pix) {
		t.Fatal("strokes 0 changes the filter's output")
	}
	// The shading factor of each pixel, where the plain filter is not too dark.
	factor := func(x, y int) (float64, bool) {
		i := img.PixOffset(x, y)
		if plain.Pix[i] < 40 {
			return 0, false
		}
		return float64(painted.Pix[i]) / float64(plain.Pix[i]), true
	}
	var along, across, mean float64
	n := 0
	for y := 16; y < h-16; y++ {
		for x := 16; x < w-16; x++ {
			f, ok := factor(x, y)
			if !ok {
				continue
			}
			// Three pixels along the stripes and three across them.
			fa, ok1 := factor(x+int(math.Round(3*c)), y+int(math.Round(3*s)))
			fc, ok2 := factor(x-int(math.Round(3*s)), y+int(math.Round(3*c)))
			if !ok1 || !ok2 {
				continue
			}
			along += math.Abs(fa - f)
			across += math.Abs(fc - f)
			mean += f
			n++
		}
	}
	along, across, mean = along/float64(n), across/float64(n), mean/float64(n)
	t.Logf("relief over %d pixels: mean change %.4f along the stripes, %.4f across", n, along, across)
	if n < 1000 || along > 0.6*across || across < 0.02 {
		t.Errorf("relief over %d pixels: mean change %.4f along the stripes, %.4f across", n, along, across)
	}
	if math.Abs(mean-1) > 0.01 {
		t.Errorf("relief changes the brightness by %.4f on average", mean-1)
	}
}
