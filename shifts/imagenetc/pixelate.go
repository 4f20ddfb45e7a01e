package imagenetc

import (
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
	// Horizontal BOX pass: h rows of sw pixels (RGB, 3 bytes each).
	tmp := make([]uint8, h*sw*3)
	for y := 0; y < h; y++ {
		src := row(img, y, w)
		dst := tmp[y*sw*3 : (y+1)*sw*3]
		for o, b := range p.bx {
			var s0, s1, s2 int32
			for x := b.min; x < b.min+b.n; x++ {
				s0 += int32(src[4*x])
				s1 += int32(src[4*x+1])
				s2 += int32(src[4*x+2])
			}
			dst[3*o] = b.div(s0)
			dst[3*o+1] = b.div(s1)
			dst[3*o+2] = b.div(s2)
		}
	}
	// Vertical BOX pass into sh rows.
	small := make([]uint8, sh*sw*3)
	for o, b := range p.by {
		dst := small[o*sw*3 : (o+1)*sw*3]
		for i := range dst {
			var s int32
			for y := b.min; y < b.min+b.n; y++ {
				s += int32(tmp[y*sw*3+i])
			}
			dst[i] = b.div(s)
		}
	}
	// NEAREST back to w × h, one distinct row at a time.
	prev := -1
	for y := 0; y < h; y++ {
		dst := row(img, y, w)
		sy := p.ny[y]
		if sy == prev {
			copy(dst, row(img, y-1, w))
			continue
		}
		prev = sy
		src := small[sy*sw*3 : (sy+1)*sw*3]
		for x, sx := range p.nx {
			dst[4*x] = src[3*sx]
			dst[4*x+1] = src[3*sx+1]
			dst[4*x+2] = src[3*sx+2]
		}
	}
	return img
}

type pixelatePlan struct {
	bx, by []boxSpan
	nx, ny []int
}

var pixelatePlans cache[[4]int, *pixelatePlan]

// boxSpan is one output pixel of Pillow's BOX downscale: n inputs from min, each
// weighted k/2²² (k = int(0.5 + 2²²/n)).
type boxSpan struct {
	min, n int
	k      int32
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
