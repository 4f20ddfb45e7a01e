package imagenetc

import (
	"image"
	"math/rand/v2"
)

// GaussianBlur blurs every channel with a Gaussian of standard deviation Sigma pixels
// (scikit-image's gaussian: truncated at 4σ, edges repeated), then truncates to bytes.
type GaussianBlur struct {
	// Sigma is the standard deviation in pixels; 0 is the identity.
	Sigma float64 `json:"sigma"`
}

// GaussianBlurSeverities holds GaussianBlur at severities 1..5.
var GaussianBlurSeverities = [5]GaussianBlur{{1}, {2}, {3}, {4}, {6}}

// Corrupt blurs img in place; r is unused.
func (c GaussianBlur) Corrupt(img *image.RGBA, _ *rand.Rand) *image.RGBA {
	if c.Sigma <= 0 {
		return img
	}
	w, h := dims(img)
	p := gaussPlanFor(c.Sigma, 4)
	buf := u8pool.get(2 * w * h * 3)
	defer u8pool.put(buf)
	src, dst := buf[:w*h*3], buf[w*h*3:]
	getRGB(img, src)
	blurBytes(src, dst, w, h, p.k32, p.flat)
	putRGB(img, dst)
	return img
}

var (
	u8pool  pool[uint8]
	u32pool pool[uint32]
	u64pool pool[uint64]
)

// getRGB copies img's colour bytes into a packed w·h·3 slice.
func getRGB(img *image.RGBA, dst []uint8) {
	w, h := dims(img)
	for y := 0; y < h; y++ {
		packRGB(dst[y*w*3:(y+1)*w*3], row(img, y, w))
	}
}

// putRGB writes a packed w·h·3 slice into img's colour bytes.
func putRGB(img *image.RGBA, src []uint8) {
	w, h := dims(img)
	for y := 0; y < h; y++ {
		unpackRGB(row(img, y, w), src[y*w*3:(y+1)*w*3])
	}
}
