package imagenetc

import (
	"image"
	"math/rand/v2"
)

// ElasticTransform warps the image by a smooth random displacement field, as
// imagecorruptions' elastic_transform does (not the published ImageNet-C's, which adds
// a random affine warp and uses other α and σ): two fields of uniform noise in
// ±0.005·H (both relative to the height), smoothed by a Gaussian of σ = 1 % of each
// side (reflected borders, truncated at 3σ) and scaled by Alpha, displace the sampling
// grid; the image is resampled bilinearly with reflected borders, in float32.
type ElasticTransform struct {
	// Alpha scales the smoothed displacement field.
	Alpha float64 `json:"alpha"`
	// Seed seeds the displacement field; nil draws it per image.
	Seed *uint64 `json:"field_seed,omitempty"`
}

// ElasticTransformSeverities holds ElasticTransform at severities 1..5.
var ElasticTransformSeverities = [5]ElasticTransform{{Alpha: 12.5}, {Alpha: 16.25}, {Alpha: 21.25}, {Alpha: 25}, {Alpha: 30}}

// Draw draws the field seed unless it is set.
func (c ElasticTransform) Draw(r *rand.Rand) Random { c.Seed = drawSeed(c.Seed, r); return c }

// Draws returns the field seed when set.
func (c ElasticTransform) Draws() map[string]any { return setDraws("field_seed", c.Seed) }

// Corrupt warps img in place. It draws the field seed (Draw); the stream it seeds gives
// H·W uniforms for the x field, then H·W for the y field.
func (c ElasticTransform) Corrupt(img *image.RGBA, r *rand.Rand) *image.RGBA {
	c.Seed = drawSeed(c.Seed, r)
	w, h := dims(img)
	n := w * h
	buf := f32pool.get(3 * n)
	defer f32pool.put(buf)
	dx, dy, tmp := buf[:n], buf[n:2*n], buf[2*n:]
	st := seeded(c.Seed)
	lim := float64(h) * 0.005
	for _, f := range [2][]float32{dx, dy} {
		for i := range f {
			f[i] = float32(-lim + float64(2*lim*st.float64()))
		}
	}
	sy, sx := 0.01*float64(h), 0.01*float64(w)
	ky, kx := gaussPlanFor(sy, 3).k32, gaussPlanFor(sx, 3).k32
	alpha := float32(c.Alpha)
	for _, f := range [2][]float32{dx, dy} {
		blurPlane32(f, tmp, w, h, 1, ky, kx, modeReflect)
		for i, v := range f {
			f[i] = v * alpha
		}
	}
	src := f32pool.get(n * 3)
	defer f32pool.put(src)
	rgb := u8pool.get(w * 3)
	defer u8pool.put(rgb)
	for y := 0; y < h; y++ {
		packRGB(rgb, row(img, y, w))
		s := src[y*w*3 : (y+1)*w*3]
		for i, v := range rgb {
			s[i] = unit32[v]
		}
	}
	// Bilinear sampling at (y + dy, x + dx) with reflected borders. The reference
	// interpolates in float64 and rounds to float32; float32 weights change only the
	// last bits of the float32 result.
	for y := 0; y < h; y++ {
		elasticRow(row(img, y, w), src, dx[y*w:][:w], dy[y*w:][:w], y, w, h)
	}
	return img
}

// elasticRow samples row y of the output (RGBA) from src (packed RGB of w×h pixels, on
// the 0–1 scale) at (y + dy[x], x + dx[x]).
func elasticRow(o []uint8, src, dx, dy []float32, y, w, h int) {
	done := 0
	if useAVX2 && w >= 8 && h >= 2 {
		var small [64]int32
		skip := small[:]
		if w/8 > len(small) {
			pooled := i32pool.get(w / 8)
			defer i32pool.put(pooled)
			skip = pooled
		}
		k := elasticRowAVX2(o, src, dx, dy, y, w, h, skip)
		done = w &^ 7
		// Blocks with a sample on or beyond the border go the slow way.
		for _, b := range skip[:k] {
			for x := int(b) * 8; x < int(b)*8+8; x++ {
				elasticPixel(o[4*x:4*x+3:4*x+3], src, float32(y)+dy[x], float32(x)+dx[x], w, h)
			}
		}
	}
	for x := done; x < w; x++ {
		elasticPixel(o[4*x:4*x+3:4*x+3], src, float32(y)+dy[x], float32(x)+dx[x], w, h)
	}
}

// elasticPixel writes to q the bilinear sample of src at (cy, cx), borders reflected.
func elasticPixel(q []uint8, src []float32, cy, cx float32, w, h int) {
	y0, x0 := int(cy), int(cx)
	if cy < float32(y0) { // int() truncates toward zero
		y0--
	}
	if cx < float32(x0) {
		x0--
	}
	ty, tx := cy-float32(y0), cx-float32(x0)
	y1, x1 := y0+1, x0+1
	if y0 < 0 || y1 >= h {
		y0, y1 = borderIndex(y0, h, modeReflect), borderIndex(y1, h, modeReflect)
	}
	if x0 < 0 || x1 >= w {
		x0, x1 = borderIndex(x0, w, modeReflect), borderIndex(x1, w, modeReflect)
	}
	a, b := src[(y0*w+x0)*3:][:3], src[(y0*w+x1)*3:][:3]
	c, d := src[(y1*w+x0)*3:][:3], src[(y1*w+x1)*3:][:3]
	w00, w01 := float32((1-ty)*(1-tx)), float32((1-ty)*tx)
	w10, w11 := float32(ty*(1-tx)), float32(ty*tx)
	q[0] = trunc8f(clip01f(float32(w00*a[0])+float32(w01*b[0])+float32(w10*c[0])+float32(w11*d[0])) * 255)
	q[1] = trunc8f(clip01f(float32(w00*a[1])+float32(w01*b[1])+float32(w10*c[1])+float32(w11*d[1])) * 255)
	q[2] = trunc8f(clip01f(float32(w00*a[2])+float32(w01*b[2])+float32(w10*c[2])+float32(w11*d[2])) * 255)
}
