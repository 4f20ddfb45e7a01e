package imagenetc

import (
	"image"
	"math"
	"math/rand/v2"
)

// ZoomBlur averages the image with enlarged copies of itself, as imagecorruptions'
// zoom_blur does: for every factor z of np.arange(1, Stop, Step) it crops the central
// ⌈H/z⌉×⌈W/z⌉ block, enlarges it by z with corner-aligned bilinear interpolation
// (scipy.ndimage.zoom, order 1), keeps the top-left H×W and accumulates; the result is
// (x + Σ layers)/(n + 1), truncated to bytes. The factor 1 is in the list, so the
// original counts twice. Arithmetic is float32 like the reference.
type ZoomBlur struct {
	// Stop is the exclusive upper end of the zoom factors.
	Stop float64 `json:"stop"`
	// Step is the spacing of the zoom factors.
	Step float64 `json:"step"`
}

// ZoomBlurSeverities holds ZoomBlur at severities 1..5.
var ZoomBlurSeverities = [5]ZoomBlur{{1.11, 0.01}, {1.16, 0.01}, {1.21, 0.02}, {1.26, 0.02}, {1.31, 0.03}}

// Factors returns the zoom factors as NumPy's arange(1, Stop, Step) computes them:
// ⌈(Stop−1)/Step⌉ values 1 + i·δ with δ = (1 + Step) − 1.
func (c ZoomBlur) Factors() []float64 {
	if c.Step <= 0 || c.Stop <= 1 {
		return nil
	}
	n := int(math.Ceil((c.Stop - 1) / c.Step))
	delta := (1 + c.Step) - 1
	f := make([]float64, n)
	for i := range f {
		f[i] = 1 + float64(float64(i)*delta)
	}
	return f
}

// zoomAxis is the sampling plan of one axis of one clipped zoom: output sample o reads
// source samples i0[o] and i1[o] (i0+1, or i0 at the end) with weight t[o] on the
// second.
type zoomAxis struct {
	i0, i1 []int32
	t      []float32
}

// newZoomAxis plans clipped_zoom along an axis of length n for factor z, for the first
// n outputs. Indices are in samples of the full axis.
func newZoomAxis(n int, z float64) zoomAxis {
	c := int(math.Ceil(float64(n) / z))
	off := (n - c) / 2
	return zoomPlanAxis(c, n, z).shift(int32(off))
}

// zoomPlanAxis plans a corner-aligned bilinear enlargement of n source samples to out
// samples (the first `out` outputs of scipy.ndimage.zoom by z, order 1).
func zoomPlanAxis(n, out int, z float64) zoomAxis {
	full := int(math.RoundToEven(float64(n) * z))
	a := zoomAxis{i0: make([]int32, out), i1: make([]int32, out), t: make([]float32, out)}
	scale := 0.0
	if full > 1 {
		scale = float64(n-1) / float64(full-1)
	}
	for o := 0; o < out; o++ {
		cc := float64(o) * scale
		f := math.Floor(cc)
		i, t := int(f), cc-f
		if i >= n-1 {
			i, t = n-1, 0
		}
		a.i0[o] = int32(i)
		a.i1[o] = int32(min(i+1, n-1))
		a.t[o] = float32(t)
	}
	return a
}

// shift offsets every source index by off.
func (a zoomAxis) shift(off int32) zoomAxis {
	for i := range a.i0 {
		a.i0[i] += off
		a.i1[i] += off
	}
	return a
}

type zoomPlan struct {
	factors []float64
	ys, xs  []zoomAxis
	// xb[i] are xs[i]'s interpolation blocks for interpRow's vector path.
	xb [][]zoomBlock
}

// zoomBlock is eight consecutive output values of an interpolated RGB row: each reads
// a = s[base+ia[k]] and b = s[base+ib[k]] (ia, ib < 16) and gives a + t[k]·(b − a).
type zoomBlock struct {
	ia, ib [8]int32
	t      [8]float32
	base   int32
	_      [7]int32
}

// zoomBlocks splits an axis plan into blocks of eight output values whose sources lie
// within 16 values of the block's first source, while the block's 16 values stay
// inside a row of n source values; the rest of the row is left to the Go loop.
func zoomBlocks(ax *zoomAxis, n int) []zoomBlock {
	var bs []zoomBlock
	m := 3 * len(ax.i0)
	for j := 0; j+8 <= m; j += 8 {
		var b zoomBlock
		b.base = 3 * ax.i0[j/3]
		for k := 0; k < 8; k++ {
			o, c := (j+k)/3, int32((j+k)%3)
			b.ia[k] = 3*ax.i0[o] + c - b.base
			b.ib[k] = 3*ax.i1[o] + c - b.base
			b.t[k] = ax.t[o]
			if b.ia[k] < 0 || b.ia[k] > 15 || b.ib[k] < 0 || b.ib[k] > 15 {
				return bs
			}
		}
		if int(b.base)+16 > n {
			return bs
		}
		bs = append(bs, b)
	}
	return bs
}

// interpRow interpolates one RGB row: dst[3o+c] = s[a+c] + t·(s[b+c] − s[a+c]) with
// a = 3·i0[o], b = 3·i1[o].
func interpRow(dst, s []float32, ax *zoomAxis, blocks []zoomBlock) {
	i0, i1 := ax.i0, ax.i1[:len(ax.i0)]
	t := ax.t[:len(ax.i0)]
	dst = dst[:3*len(i0)]
	done := 0
	if useAVX2 && len(blocks) > 0 {
		interpBlocksAVX2(dst, s, blocks)
		done = 8 * len(blocks)
	}
	for j := done; j < len(dst) && j%3 != 0; j++ { // finish the pixel a block split
		o, c := j/3, j%3
		a, b := s[3*i0[o]+int32(c)], s[3*i1[o]+int32(c)]
		dst[j] = a + float32(t[o]*float32(b-a))
	}
	for o := (done + 2) / 3; o < len(i0); o++ {
		a, b := s[3*i0[o]:][:3], s[3*i1[o]:][:3]
		d := dst[3*o:][:3]
		tt := t[o]
		d[0] = a[0] + float32(tt*float32(b[0]-a[0]))
		d[1] = a[1] + float32(tt*float32(b[1]-a[1]))
		d[2] = a[2] + float32(tt*float32(b[2]-a[2]))
	}
}

var zoomPlans cache[[4]float64, *zoomPlan]

// Corrupt blurs img in place; r is unused.
func (c ZoomBlur) Corrupt(img *image.RGBA, _ *rand.Rand) *image.RGBA {
	w, h := dims(img)
	p := zoomPlans.get([4]float64{c.Stop, c.Step, float64(w), float64(h)}, func() *zoomPlan {
		zp := &zoomPlan{factors: c.Factors()}
		for _, z := range zp.factors {
			zp.ys = append(zp.ys, newZoomAxis(h, z))
			zp.xs = append(zp.xs, newZoomAxis(w, z))
			zp.xb = append(zp.xb, zoomBlocks(&zp.xs[len(zp.xs)-1], 3*w))
		}
		return zp
	})
	n := w * 3
	x := f32pool.get(w * h * 3)
	acc := f32pool.get(w * h * 3)
	hrow := f64pool.get(2 * n)
	defer f32pool.put(x)
	defer f32pool.put(acc)
	defer f64pool.put(hrow)
	rgb := u8pool.get(n)
	defer u8pool.put(rgb)
	for y := 0; y < h; y++ {
		packRGB(rgb, row(img, y, w))
		bytesToUnit(x[y*n:(y+1)*n], rgb)
	}
	clear(acc)
	rows := f32pool.get(2 * n)
	defer f32pool.put(rows)
	for li, z := range p.factors {
		if z == 1 {
			axpy(acc, x, 1)
			continue
		}
		ya, xa := p.ys[li], p.xs[li]
		// Horizontal interpolation of the source rows on demand (two row slots).
		rowA, rowB := rows[:n], rows[n:]
		loadedA, loadedB := int32(-1), int32(-1)
		xb := p.xb[li]
		interp := func(dst []float32, sy int32) { interpRow(dst, x[int(sy)*n:int(sy+1)*n], &xa, xb) }
		for o := 0; o < h; o++ {
			y0, y1, t := ya.i0[o], ya.i1[o], ya.t[o]
			// Keep rowA = y0 and rowB = y1, reusing what earlier rows loaded.
			if loadedA != y0 {
				if loadedB == y0 {
					rowA, rowB = rowB, rowA
					loadedA, loadedB = loadedB, loadedA
				} else {
					interp(rowA, y0)
					loadedA = y0
				}
			}
			d := acc[o*n : (o+1)*n]
			if t == 0 {
				axpy(d, rowA, 1)
				continue
			}
			if loadedB != y1 {
				interp(rowB, y1)
				loadedB = y1
			}
			lerpAdd(d, rowA, rowB, t)
		}
	}
	div := float32(len(p.factors) + 1)
	for y := 0; y < h; y++ {
		meanTrunc(rgb, x[y*n:(y+1)*n], acc[y*n:(y+1)*n], div)
		unpackRGB(row(img, y, w), rgb)
	}
	return img
}
