package pipeline

import (
	"image"
	"math"
)

// precisionBits is PIL's fixed-point precision for 8-bit resampling (32 - 8 - 2).
const precisionBits = 22

// coeffs are the fixed-point weights of a 1-D antialiased triangle (bilinear) filter for
// a range of output pixels: output i reads input pixels start[i] .. start[i]+len(w[i])-1.
type coeffs struct {
	start []int
	n     []int
	k     []int32 // len(start) × ksize, row-major
	ksize int
}

// bilinearCoeffs computes PIL's weights (ImagingResample's precompute_coeffs with the
// bilinear filter, then normalize_coeffs_8bpc) for output pixels from..from+count-1 of a
// resize from inSize to outSize.
func bilinearCoeffs(inSize, outSize, from, count int) coeffs {
	scale := float64(inSize) / float64(outSize)
	filterscale := scale
	if filterscale < 1 {
		filterscale = 1
	}
	support := 1.0 * filterscale
	ksize := int(math.Ceil(support))*2 + 1
	c := coeffs{start: make([]int, count), n: make([]int, count), k: make([]int32, count*ksize), ksize: ksize}
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

func clipFixed(ss int32) uint8 {
	v := ss >> precisionBits
	if v < 0 {
		return 0
	}
	if v > 255 {
		return 255
	}
	return uint8(v)
}

// ResizeCrop resizes src to rw×rh with PIL's antialiased bilinear filter (as
// torchvision's Resize does on PIL images) and returns only the crop rectangle of the
// result, computing nothing outside it. Pixels are identical to PIL's resize followed by
// crop. src must be opaque RGBA with a zero origin.
func ResizeCrop(src *image.RGBA, rw, rh int, crop image.Rectangle) *image.RGBA {
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
	hc := bilinearCoeffs(sw, rw, crop.Min.X, cw)
	vc := bilinearCoeffs(sh, rh, crop.Min.Y, ch)
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
	const half = int32(1) << (precisionBits - 1)
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
