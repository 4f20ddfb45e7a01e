package imageio

import (
	"image"

	"github.com/shiftgen/shiftgen/shifts"
)

// Lossy WebP holds VP8 frames: 4:2:0 YCbCr in the limited ("studio") range of BT.601,
// Y in 16..235. golang.org/x/image/webp returns those planes as they are; read as JPEG's
// full-range YCbCr they come out washed out (about 0.86·x + 15). Pillow decodes WebP
// with libwebp, which upsamples the chroma with its "fancy" filter and converts with
// fixed-point BT.601 limited-range coefficients. vp8ToRGBA does the same, so that a lossy
// WebP gives Pillow's pixels.

// Fixed-point BT.601 limited-range conversion: each term is (v·coeff)>>8 with the
// coefficients scaled by 2^14, and the sum is a value with 6 fractional bits.
const (
	yuvFrac = 6
	yuvMask = (256 << yuvFrac) - 1
)

func mulHi(v, coeff int) int { return (v * coeff) >> 8 }

func clipYUV(v int) uint8 {
	if v&^yuvMask == 0 {
		return uint8(v >> yuvFrac)
	}
	if v < 0 {
		return 0
	}
	return 255
}

// yuvToRGB converts one limited-range BT.601 sample to RGB.
func yuvToRGB(y, u, v int) (r, g, b uint8) {
	ly := mulHi(y, 19077)
	return clipYUV(ly + mulHi(v, 26149) - 14234),
		clipYUV(ly - mulHi(u, 6419) - mulHi(v, 13320) + 8708),
		clipYUV(ly + mulHi(u, 33050) - 17685)
}

// vp8ToRGBA converts a 4:2:0 VP8 frame to opaque RGBA (in pix's memory when it is large
// enough). Chroma is upsampled with the 9-3-3-1 filter (each output pixel's chroma
// weighs its nearest chroma sample 9, the two next 3 and the diagonal one 1, in 16ths,
// with the rounding of the pairwise averages below), mirrored at the edges; alpha, if
// any, is dropped as Pillow's convert("RGB") drops it.
func vp8ToRGBA(m *image.YCbCr, pix []uint8) *image.RGBA {
	b := m.Rect
	w, h := b.Dx(), b.Dy()
	dst := shifts.NewRGBA(pix, w, h)
	yRow := func(y int) []uint8 { return m.Y[m.YOffset(b.Min.X, b.Min.Y+y):][:w] }
	cRow := func(plane []uint8, cy int) []uint8 {
		o := m.COffset(b.Min.X, b.Min.Y+2*cy)
		return plane[o:][:(w+1)/2]
	}
	put := func(y int, ys []uint8, uv func(x int) (int, int)) {
		d := dst.Pix[y*dst.Stride:]
		for x := 0; x < w; x++ {
			u, v := uv(x)
			d[4*x], d[4*x+1], d[4*x+2] = yuvToRGB(int(ys[x]), u, v)
			d[4*x+3] = 255
		}
	}
	ch := (h + 1) / 2
	// A pair of chroma rows (near, far) gives the chroma of the luma row next to near.
	line := func(y int, near, far int) {
		nu, nv := cRow(m.Cb, near), cRow(m.Cr, near)
		fu, fv := cRow(m.Cb, far), cRow(m.Cr, far)
		up := upsampleRow(nu, fu, w)
		vp := upsampleRow(nv, fv, w)
		put(y, yRow(y), func(x int) (int, int) { return int(up[x]), int(vp[x]) })
	}
	// Row 0 and, for an even height, the last row see one chroma row only; every other
	// luma row 2k-1 (2k) lies between chroma rows k-1 and k, nearer k-1 (k).
	line(0, 0, 0)
	for k := 1; k < ch; k++ {
		line(2*k-1, k-1, k)
		if 2*k < h {
			line(2*k, k, k-1)
		}
	}
	if h%2 == 0 && h > 1 {
		line(h-1, ch-1, ch-1)
	}
	return dst
}

// upsampleRow returns the w chroma values of a luma row lying next to chroma row near
// and, one chroma row away, far: horizontally and vertically interpolated 9-3-3-1 as
// libwebp's fancy upsampler does, with its intermediate rounding.
func upsampleRow(near, far []uint8, w int) []uint16 {
	out := make([]uint16, w)
	// The first pixel, and the last one of an even width, see one chroma column.
	out[0] = uint16((3*int(near[0]) + int(far[0]) + 2) >> 2)
	last := (w - 1) >> 1
	for x := 1; x <= last; x++ {
		ln, lf := int(near[x-1]), int(far[x-1]) // left column
		rn, rf := int(near[x]), int(far[x])     // right column
		avg := ln + lf + rn + rf + 8
		// diag is the estimate between the left-near and right-far samples
		// (weights 3 3 1 1 over 8 before the final averaging).
		diagL := (avg + 2*(lf+rn)) >> 3 // nearer the left-near sample's diagonal
		diagR := (avg + 2*(ln+rf)) >> 3
		out[2*x-1] = uint16((diagL + ln) >> 1)
		out[2*x] = uint16((diagR + rn) >> 1)
	}
	if w%2 == 0 && w > 1 {
		out[w-1] = uint16((3*int(near[last]) + int(far[last]) + 2) >> 2)
	}
	return out
}
