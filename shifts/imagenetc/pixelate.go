package imagenetc

import (
	"encoding/binary"
	"image"
	"math/rand/v2"
)

// Pixelate shrinks the image to int(W·Factor) × int(H·Factor) with Pillow's BOX filter
// (every output pixel is the rounded mean of the input pixels whose centres fall in its
// footprint; 22-bit fixed point, one 8-bit rounding per axis), then enlarges it back to
// W × H with Pillow's NEAREST. The published ImageNet-C enlarges with BOX instead, which
// differs only at exact half-pixel ties. Factor 1 is the identity.
type Pixelate struct {
	// Factor is the size of the small image relative to the original, in (0, 1].
	Factor float64 `json:"factor"`
}

// PixelateSeverities holds Pixelate at severities 1..5.
var PixelateSeverities = [5]Pixelate{{0.6}, {0.5}, {0.4}, {0.3}, {0.25}}

// Corrupt pixelates img in place; r is unused.
func (c Pixelate) Corrupt(img *image.RGBA, _ *rand.Rand) *image.RGBA {
	w, h := dims(img)
	sw, sh := int(float64(w)*c.Factor), int(float64(h)*c.Factor)
	if sw < 1 {
		sw = 1
	}
	if sh < 1 {
		sh = 1
	}
	if sw == w && sh == h {
		return img
	}
	p := pixelatePlans.get([4]int{w, h, sw, sh}, func() *pixelatePlan {
		return &pixelatePlan{
			bx: boxBounds(w, sw), by: boxBounds(h, sh),
			nx: nearestIndex(sw, w), ny: nearestIndex(sh, h),
		}
	})
	// BOX down: every input row is shrunk horizontally (rounded to bytes, as Pillow's
	// first pass) and added to the accumulator of the output row whose footprint holds
	// it (footprints partition the rows); a finished output row is rounded into small,
	// four bytes per pixel with alpha 255.
	small := u8pool.get(sw * sh * 4)
	defer u8pool.put(small)
	acc := u32pool.get(sw * 3)
	defer u32pool.put(acc)
	for o, vb := range p.by {
		clear(acc)
		for y := vb.min; y < vb.min+vb.n; y++ {
			boxRow(acc, row(img, y, w), p.bx)
		}
		dst := small[o*sw*4 : (o+1)*sw*4]
		for x := 0; x < sw; x++ {
			a, d := acc[3*x:3*x+3:3*x+3], dst[4*x:4*x+4:4*x+4]
			d[0], d[1], d[2], d[3] = vb.lut[a[0]], vb.lut[a[1]], vb.lut[a[2]], 255
		}
	}
	// NEAREST back to w × h, one distinct row at a time, a pixel as one 32-bit word.
	prev := -1
	for y := 0; y < h; y++ {
		dst := row(img, y, w)
		sy := p.ny[y]
		if sy == prev {
			copy(dst, row(img, y-1, w))
			continue
		}
		prev = sy
		src := small[sy*sw*4 : (sy+1)*sw*4]
		for x, sx := range p.nx {
			binary.LittleEndian.PutUint32(dst[4*x:], binary.LittleEndian.Uint32(src[4*sx:]))
		}
	}
	return img
}

// boxRow adds the horizontal BOX shrink of one RGBA row, rounded to bytes, to acc (RGB
// triples, one per output pixel). The spans partition the row from its first pixel.
func boxRow(acc []uint32, src []uint8, spans []boxSpan) {
	q := src[4*spans[0].min:]
	for o := range spans {
		b := &spans[o]
		a := acc[3*o : 3*o+3 : 3*o+3]
		switch b.n {
		case 1: // the byte itself
			a[0] += uint32(q[0])
			a[1] += uint32(q[1])
			a[2] += uint32(q[2])
		case 2: // (x + y + 1) >> 1
			p := q[:8:8]
			a[0] += (uint32(p[0]) + uint32(p[4]) + 1) >> 1
			a[1] += (uint32(p[1]) + uint32(p[5]) + 1) >> 1
			a[2] += (uint32(p[2]) + uint32(p[6]) + 1) >> 1
		default:
			var s0, s1, s2 int
			for i := 0; i < 4*b.n; i += 4 {
				s0 += int(q[i])
				s1 += int(q[i+1])
				s2 += int(q[i+2])
			}
			a[0] += uint32(b.lut[s0])
			a[1] += uint32(b.lut[s1])
			a[2] += uint32(b.lut[s2])
		}
		q = q[4*b.n:]
	}
}

type pixelatePlan struct {
	bx, by []boxSpan
	nx, ny []int
}

var pixelatePlans cache[[4]int, *pixelatePlan]

// boxSpan is one output pixel of Pillow's BOX downscale: n inputs from min, each
// weighted k/2²² (k = int(0.5 + 2²²/n)). lut[s] is div(s) for every sum s of n bytes.
type boxSpan struct {
	min, n int
	k      int32
	lut    []uint8
}

// div is Pillow's clip8((Σ k·v + 2²¹) >> 22) for a sum s of n equally weighted values.
func (b boxSpan) div(s int32) uint8 {
	v := (int64(s)*int64(b.k) + 1<<21) >> 22
	if v > 255 {
		return 255
	}
	return uint8(v)
}

// boxBounds computes Pillow's precompute_coeffs for the BOX filter from in to out
// samples: the footprint of output o is centred at (o + 0.5)·in/out, and input x counts
// when (x + 0.5 − centre)/scale lies in (−0.5, 0.5].
func boxBounds(in, out int) []boxSpan {
	scale := float64(in) / float64(out)
	fscale := scale
	if fscale < 1 {
		fscale = 1
	}
	support := 0.5 * fscale
	spans := make([]boxSpan, out)
	for o := range spans {
		center := (float64(o) + 0.5) * scale
		ss := 1 / fscale
		xmin := int(center - support + 0.5)
		if xmin < 0 {
			xmin = 0
		}
		xmax := int(center + support + 0.5)
		if xmax > in {
			xmax = in
		}
		first, n := -1, 0
		for x := xmin; x < xmax; x++ {
			t := (float64(x) + 0.5 - center) * ss
			if t > -0.5 && t <= 0.5 {
				if first < 0 {
					first = x
				}
				n++
			}
		}
		if n == 0 {
			first, n = xmin, 1
		}
		spans[o] = boxSpan{min: first, n: n, k: int32(0.5 + float64((1/float64(n))*(1<<22)))}
	}
	luts := map[int][]uint8{}
	for o := range spans {
		b := &spans[o]
		if luts[b.n] == nil {
			lut := make([]uint8, 255*b.n+1)
			for s := range lut {
				lut[s] = b.div(int32(s))
			}
			luts[b.n] = lut
		}
		b.lut = luts[b.n]
	}
	return spans
}

// nearestIndex is Pillow's NEAREST source index for each of out samples from in: the
// position starts at half a step and advances by in/out per sample (accumulated in
// float64, as ImagingScaleAffine does), truncated.
func nearestIndex(in, out int) []int {
	scale := float64(in) / float64(out)
	idx := make([]int, out)
	pos := scale * 0.5
	for i := range idx {
		v := int(pos)
		if v >= in {
			v = in - 1
		}
		idx[i] = v
		pos += scale
	}
	return idx
}
