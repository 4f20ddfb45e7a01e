package shifts

import (
	"fmt"
	"image"
	"math"
	"math/rand/v2"
)

// GeneratedStyleSize is the side of every generated style image, in pixels.
const GeneratedStyleSize = 256

// generatedStyle describes one generated style image: a palette from dark to light and
// the look of its paint.
type generatedStyle struct {
	name string
	// stops are the palette's colours (bytes), spread evenly over the field's range.
	stops [][3]float64
	// scale is the size of the largest shapes in pixels; angle the strokes' direction
	// in degrees.
	scale, angle float64
}

// generatedStyles are the six generated styles, in the order Pick indexes them.
var generatedStyles = []generatedStyle{
	{"sepia", [][3]float64{{38, 24, 14}, {110, 72, 40}, {180, 138, 88}, {238, 216, 172}}, 72, 20},
	{"moonlight", [][3]float64{{6, 12, 34}, {28, 50, 96}, {84, 116, 160}, {192, 210, 234}}, 96, 70},
	{"sunset", [][3]float64{{46, 16, 62}, {150, 38, 92}, {236, 112, 58}, {252, 208, 92}}, 110, 0},
	{"pastel", [][3]float64{{168, 150, 198}, {236, 184, 196}, {186, 226, 208}, {252, 242, 214}}, 80, 45},
	{"pop-art", [][3]float64{{18, 18, 30}, {222, 28, 40}, {30, 90, 204}, {252, 212, 16}}, 48, 120},
	{"verdigris", [][3]float64{{14, 38, 34}, {42, 108, 94}, {120, 170, 138}, {216, 224, 188}}, 64, 150},
}

// GeneratedStyles returns shiftgen's six generated style images for seed, the style
// set used when no folder of style images is given (with the embedded sample, or
// `--style-images generated`): sepia, moonlight, sunset, pastel, pop-art and verdigris,
// each GeneratedStyleSize pixels square. Each is a domain-warped fractal value noise
// mapped through its palette, with a fine stroke texture along one direction, so the
// set spans distinct colour distributions, contrasts and low-frequency layouts. Its
// images are named "generated/NAME" and its source is "generated:SEED". The same seed
// always gives the same pixels; every call builds a fresh set.
func GeneratedStyles(seed int64) *StyleSet {
	s := &StyleSet{Source: fmt.Sprintf("generated:%d", seed)}
	for i, g := range generatedStyles {
		s.Images = append(s.Images, StyleImage{Name: "generated/" + g.name, Image: g.render(Key{Purpose: "generated-style", Seed: seed, Index: i})})
	}
	return s
}

// render draws the style keyed by k.
func (g generatedStyle) render(k Key) *image.RGBA {
	const n = GeneratedStyleSize
	r := k.Rand()
	base := newValueNoise(r, 5, g.scale)
	warp := [2]*valueNoise{newValueNoise(r, 3, g.scale), newValueNoise(r, 3, g.scale)}
	strokes := newValueNoise(r, 2, 6)
	sin, cos := math.Sincos(g.angle * math.Pi / 180)
	field := make([]float64, n*n)
	lo, hi := math.Inf(1), math.Inf(-1)
	for y := range n {
		for x := range n {
			fx, fy := float64(x), float64(y)
			wx := fx + 0.35*g.scale*(warp[0].at(fx, fy)-0.5)
			wy := fy + 0.35*g.scale*(warp[1].at(fx, fy)-0.5)
			v := base.at(wx, wy)
			field[y*n+x] = v
			lo, hi = min(lo, v), max(hi, v)
		}
	}
	img := image.NewRGBA(image.Rect(0, 0, n, n))
	last := float64(len(g.stops) - 1)
	for y := range n {
		for x := range n {
			t := (field[y*n+x] - lo) / max(hi-lo, 1e-12) * last
			j := min(int(t), len(g.stops)-2)
			f := t - float64(j)
			// Strokes: a noise stretched 8:1 along the stroke direction.
			fx, fy := float64(x), float64(y)
			u, v := fx*cos+fy*sin, -fx*sin+fy*cos
			s := 1 + 0.16*(strokes.at(u/8, v)-0.5)
			i := img.PixOffset(x, y)
			for c := range 3 {
				col := g.stops[j][c] + f*(g.stops[j+1][c]-g.stops[j][c])
				img.Pix[i+c] = round8(col * s)
			}
			img.Pix[i+3] = 255
		}
	}
	return img
}

// valueNoise is a sum of octaves of smoothly interpolated random lattice values, each
// octave with half the cell size and half the amplitude of the previous one; lattices
// repeat every valueNoisePeriod cells, so any coordinate is defined.
type valueNoise struct {
	cell    float64
	octaves [][]float64
}

// valueNoisePeriod is the number of cells after which a lattice repeats.
const valueNoisePeriod = 64

// newValueNoise draws the lattices of octaves octaves from r, the first with cells of
// cell pixels.
func newValueNoise(r *rand.Rand, octaves int, cell float64) *valueNoise {
	n := &valueNoise{cell: cell}
	for range octaves {
		lat := make([]float64, valueNoisePeriod*valueNoisePeriod)
		for i := range lat {
			lat[i] = r.Float64()
		}
		n.octaves = append(n.octaves, lat)
	}
	return n
}

// at returns the noise at (x, y) pixels, on [0, 1].
func (n *valueNoise) at(x, y float64) float64 {
	var sum, norm float64
	cell, amp := n.cell, 1.0
	for _, lat := range n.octaves {
		gx, gy := x/cell, y/cell
		x0, y0 := math.Floor(gx), math.Floor(gy)
		tx, ty := smooth(gx-x0), smooth(gy-y0)
		i0, j0 := wrap(int(x0)), wrap(int(y0))
		i1, j1 := wrap(i0+1), wrap(j0+1)
		a := lat[j0*valueNoisePeriod+i0] + tx*(lat[j0*valueNoisePeriod+i1]-lat[j0*valueNoisePeriod+i0])
		b := lat[j1*valueNoisePeriod+i0] + tx*(lat[j1*valueNoisePeriod+i1]-lat[j1*valueNoisePeriod+i0])
		sum += amp * (a + ty*(b-a))
		norm += amp
		cell, amp = cell/2, amp/2
	}
	return sum / norm
}

// smooth is the smoothstep 3t² − 2t³.
func smooth(t float64) float64 { return t * t * (3 - 2*t) }

// wrap folds a lattice index onto 0..valueNoisePeriod−1.
func wrap(i int) int { return ((i % valueNoisePeriod) + valueNoisePeriod) % valueNoisePeriod }
