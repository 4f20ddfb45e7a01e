package imageio

import (
	"fmt"
	"image"
	"math"
)

// FFCVSize returns the size at which FFCV's RGBImageField(max_resolution=maxRes) stores
// a w×h image: unchanged when the longer side is at most maxRes, otherwise both sides
// scaled by ratio = maxRes/max(w, h) and truncated, (ratio·[w, h]).astype(int) in
// float64 as NumPy computes it. A side may come out 0 for extreme aspect ratios; FFCV
// then fails, and so does FFCVResize.
func FFCVSize(w, h, maxRes int) (int, int) {
	ratio := float64(maxRes) / float64(max(w, h))
	if ratio >= 1 {
		return w, h
	}
	return int(ratio * float64(w)), int(ratio * float64(h))
}

// FFCVResize resizes img as FFCV's RGBImageField(max_resolution=maxRes) does before
// storing it: to FFCVSize with OpenCV's INTER_AREA (ResizeArea). It returns img itself
// when no resize is needed, a fresh image otherwise.
func FFCVResize(img *image.RGBA, maxRes int) (*image.RGBA, error) {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	nw, nh := FFCVSize(w, h, maxRes)
	if nw == w && nh == h {
		return img, nil
	}
	return ResizeArea(img, nw, nh)
}

// ResizeArea shrinks src to w×h exactly as OpenCV 4.6's cv::resize with INTER_AREA does
// for an 8-bit 3-channel image (its resizeAreaFast and resizeArea paths), bit for bit.
// Alpha is ignored and set to 255 in the result. w and h must be at least 1 and at most
// src's size (INTER_AREA only averages areas when shrinking; OpenCV falls back to a
// bilinear variant when enlarging, which this does not do). src is not modified; the
// result is a fresh image.
//
// The two paths, as OpenCV chooses them from scale = 1/(dst/src) per axis in float64:
//   - both scales integers (within DBL_EPSILON): each output pixel is the mean of its
//     block of sx·sy input pixels; for 2×2 blocks (sum+2)>>2, otherwise
//     round-half-even(float32(sum)·float32(1/(sx·sy))).
//   - otherwise: each input pixel contributes to the output pixels its area overlaps,
//     with per-axis float32 weights computed in float64 from the cell bounds
//     (computeResizeAreaTab); rows are accumulated in float32 in OpenCV's order and the
//     sum rounded half to even.
func ResizeArea(src *image.RGBA, w, h int) (*image.RGBA, error) {
	sw, sh := src.Rect.Dx(), src.Rect.Dy()
	if w < 1 || h < 1 || w > sw || h > sh {
		return nil, fmt.Errorf("resize area: %d×%d to %d×%d: the output must be non-empty and no larger than the input", sw, sh, w, h)
	}
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	if w == sw && h == sh {
		for y := 0; y < h; y++ {
			s := src.Pix[src.PixOffset(src.Rect.Min.X, src.Rect.Min.Y+y):]
			d := dst.Pix[y*dst.Stride:]
			for x := 0; x < w; x++ {
				d[4*x], d[4*x+1], d[4*x+2], d[4*x+3] = s[4*x], s[4*x+1], s[4*x+2], 255
			}
		}
		return dst, nil
	}
	scaleX := 1 / (float64(w) / float64(sw))
	scaleY := 1 / (float64(h) / float64(sh))
	ix, iy := math.RoundToEven(scaleX), math.RoundToEven(scaleY)
	const dblEpsilon = 2.220446049250313e-16
	if math.Abs(scaleX-ix) < dblEpsilon && math.Abs(scaleY-iy) < dblEpsilon && int(ix)*w == sw && int(iy)*h == sh {
		areaFast(src, dst, int(ix), int(iy))
	} else {
		areaGeneral(src, dst, scaleX, scaleY)
	}
	return dst, nil
}

// areaFast averages kx×ky blocks (OpenCV's resizeAreaFast_ with integer sums).
func areaFast(src, dst *image.RGBA, kx, ky int) {
	w, h := dst.Rect.Dx(), dst.Rect.Dy()
	scale := float32(1) / float32(kx*ky)
	for dy := 0; dy < h; dy++ {
		d := dst.Pix[dy*dst.Stride:]
		for dx := 0; dx < w; dx++ {
			for c := 0; c < 3; c++ {
				sum := 0
				for y := 0; y < ky; y++ {
					row := src.Pix[src.PixOffset(src.Rect.Min.X+dx*kx, src.Rect.Min.Y+dy*ky+y):]
					for x := 0; x < kx; x++ {
						sum += int(row[4*x+c])
					}
				}
				var v int
				if kx == 2 && ky == 2 {
					v = (sum + 2) >> 2
				} else {
					v = roundFloat32(float32(float32(sum) * scale))
				}
				d[4*dx+c] = clampByte(v)
			}
			d[4*dx+3] = 255
		}
	}
}

// areaTap is one input index's weight in one output index (OpenCV's DecimateAlpha).
type areaTap struct {
	src, dst int
	alpha    float32
}

// areaTaps is OpenCV's computeResizeAreaTab for one axis: for each output cell
// [d·scale, (d+1)·scale), the partial first input pixel, the whole ones, and the partial
// last one, each weighted by its overlap over the cell width (in float64, then float32).
func areaTaps(ssize, dsize int, scale float64) []areaTap {
	var taps []areaTap
	for dx := 0; dx < dsize; dx++ {
		fsx1 := float64(dx) * scale
		fsx2 := fsx1 + scale
		cellWidth := math.Min(scale, float64(ssize)-fsx1)
		sx1, sx2 := int(math.Ceil(fsx1)), int(math.Floor(fsx2))
		sx2 = min(sx2, ssize-1)
		sx1 = min(sx1, sx2)
		if float64(sx1)-fsx1 > 1e-3 {
			taps = append(taps, areaTap{sx1 - 1, dx, float32((float64(sx1) - fsx1) / cellWidth)})
		}
		for sx := sx1; sx < sx2; sx++ {
			taps = append(taps, areaTap{sx, dx, float32(1.0 / cellWidth)})
		}
		if fsx2-float64(sx2) > 1e-3 {
			taps = append(taps, areaTap{sx2, dx, float32(math.Min(math.Min(fsx2-float64(sx2), 1), cellWidth) / cellWidth)})
		}
	}
	return taps
}

// areaGeneral is OpenCV's ResizeArea_Invoker with float32 accumulators: for each vertical
// tap in order, the horizontal sums of its input row (buf) are added, weighted by the
// tap, to the output row's sums; an output row is rounded when its taps end.
func areaGeneral(src, dst *image.RGBA, scaleX, scaleY float64) {
	sw, sh := src.Rect.Dx(), src.Rect.Dy()
	w, h := dst.Rect.Dx(), dst.Rect.Dy()
	xtab := areaTaps(sw, w, scaleX)
	ytab := areaTaps(sh, h, scaleY)
	buf := make([]float32, 3*w)
	sum := make([]float32, 3*w)
	flush := func(dy int) {
		d := dst.Pix[dy*dst.Stride:]
		for dx := 0; dx < w; dx++ {
			for c := 0; c < 3; c++ {
				d[4*dx+c] = clampByte(roundFloat32(sum[3*dx+c]))
			}
			d[4*dx+3] = 255
		}
	}
	prev := ytab[0].dst
	for _, yt := range ytab {
		row := src.Pix[src.PixOffset(src.Rect.Min.X, src.Rect.Min.Y+yt.src):]
		clear(buf)
		for _, xt := range xtab {
			s := row[4*xt.src:]
			b := buf[3*xt.dst:]
			// The conversions keep each product rounded to float32 before the sum, as
			// OpenCV's code does (no fused multiply-add).
			b[0] += float32(float32(s[0]) * xt.alpha)
			b[1] += float32(float32(s[1]) * xt.alpha)
			b[2] += float32(float32(s[2]) * xt.alpha)
		}
		if yt.dst != prev {
			flush(prev)
			for i := range sum {
				sum[i] = float32(yt.alpha * buf[i])
			}
			prev = yt.dst
		} else {
			for i := range sum {
				sum[i] += float32(yt.alpha * buf[i])
			}
		}
	}
	flush(prev)
}

// roundFloat32 rounds half to even, as OpenCV's cvRound(float) does on x86-64.
func roundFloat32(v float32) int { return int(math.RoundToEven(float64(v))) }

func clampByte(v int) uint8 { return uint8(min(255, max(0, v))) }
