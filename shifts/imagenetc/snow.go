package imagenetc

import (
	"image"
	"math"
	"math/rand/v2"
)

// Snow overlays falling snow, as imagecorruptions' snow does: a layer of N(Mean, Std²)
// noise is enlarged by Zoom (clipped zoom, bilinear), thresholded (values below
// Threshold become 0, then clipped to [0, 1]), streaked by a motion blur of
// (Radius, Sigma) at an angle drawn from [−135°, −45°), rounded to 1/255 steps and cut
// to the image; the image is brightened toward max(x, 1.5·grey + 0.5) with weight
// 1 − Blend, and the layer is added twice (as is and rotated by 180°).
type Snow struct {
	// Mean is the mean of the snow layer's normal noise.
	Mean float64 `json:"mean"`
	// Std is the standard deviation of the snow layer's normal noise.
	Std float64 `json:"std"`
	// Zoom enlarges the layer: larger flakes.
	Zoom float64 `json:"zoom"`
	// Threshold zeroes the layer below it: fewer flakes.
	Threshold float64 `json:"threshold"`
	// Radius is the half-width of the flakes' motion blur (taps).
	Radius int `json:"radius"`
	// Sigma is the σ of the motion blur's half Gaussian (taps).
	Sigma float64 `json:"sigma"`
	// Blend is the weight of the original image against its brightened version.
	Blend float64 `json:"blend"`
	// Angle is the direction of the flakes' streaks in degrees; nil draws it per
	// image uniformly from [−135°, −45°).
	Angle *float64 `json:"angle,omitempty"`
	// Seed seeds the snow layer's noise; nil draws it per image.
	Seed *uint64 `json:"flake_seed,omitempty"`
}

// SnowSeverities holds Snow at severities 1..5.
var SnowSeverities = [5]Snow{
	{Mean: 0.1, Std: 0.3, Zoom: 3, Threshold: 0.5, Radius: 10, Sigma: 4, Blend: 0.8},
	{Mean: 0.2, Std: 0.3, Zoom: 2, Threshold: 0.5, Radius: 12, Sigma: 4, Blend: 0.7},
	{Mean: 0.55, Std: 0.3, Zoom: 4, Threshold: 0.9, Radius: 12, Sigma: 8, Blend: 0.7},
	{Mean: 0.55, Std: 0.3, Zoom: 4.5, Threshold: 0.85, Radius: 12, Sigma: 8, Blend: 0.65},
	{Mean: 0.55, Std: 0.3, Zoom: 2.5, Threshold: 0.85, Radius: 12, Sigma: 12, Blend: 0.55},
}

// Draw draws the angle, then the flake seed, each unless it is set.
func (c Snow) Draw(r *rand.Rand) Random {
	c.Angle = drawFloat(c.Angle, -135, -45, r)
	c.Seed = drawSeed(c.Seed, r)
	return c
}

// Draws returns the angle and the flake seed when set.
func (c Snow) Draws() map[string]any { return setDraws("angle", c.Angle, "flake_seed", c.Seed) }

// Corrupt adds snow in place. It draws the angle and the flake seed (Draw); the
// stream the seed starts gives the normals of the layer's central ⌈H/Zoom⌉×⌈W/Zoom⌉
// block (the only ones the reference's result depends on), row by row.
func (c Snow) Corrupt(img *image.RGBA, r *rand.Rand) *image.RGBA {
	c = c.Draw(r).(Snow)
	angle := *c.Angle
	w, h := dims(img)
	// The zoomed layer: the central block, enlarged to round(block·z) on each axis.
	cy, cx := int(math.Ceil(float64(h)/c.Zoom)), int(math.Ceil(float64(w)/c.Zoom))
	oy, ox := int(math.RoundToEven(float64(cy)*c.Zoom)), int(math.RoundToEven(float64(cx)*c.Zoom))
	oy, ox = max(oy, h), max(ox, w)
	block := f64pool.get(cy * cx)
	defer f64pool.put(block)
	nr := normals{st: seeded(c.Seed)}
	for i := range block {
		block[i] = c.Mean + float64(c.Std*nr.next())
	}
	layer := f64pool.get(oy * ox)
	defer f64pool.put(layer)
	ya, xa := zoomPlanAxis(cy, oy, c.Zoom), zoomPlanAxis(cx, ox, c.Zoom)
	// Every block row interpolated along x once, then rows blended along y.
	hz := f64pool.get(cy * ox)
	defer f64pool.put(hz)
	for k := 0; k < cy; k++ {
		r := block[k*cx : (k+1)*cx]
		d := hz[k*ox : (k+1)*ox]
		for x := range d {
			b, b1, u := xa.i0[x], xa.i1[x], float64(xa.t[x])
			d[x] = r[b] + float64(u*(r[b1]-r[b]))
		}
	}
	thr := c.Threshold
	for y := 0; y < oy; y++ {
		t := float64(ya.t[y])
		h0 := hz[int(ya.i0[y])*ox:][:ox]
		h1 := hz[int(ya.i1[y])*ox:][:ox]
		d := layer[y*ox : (y+1)*ox]
		for x := range d {
			v := h0[x] + float64(t*(h1[x]-h0[x]))
			if v < thr {
				v = 0
			} else if v > 1 {
				v = 1
			}
			d[x] = v
		}
	}
	// Motion blur of the whole zoomed layer (edges repeated at its own borders),
	// scattered from its non-zero samples, then rounded to bytes.
	taps := motionTaps(c.Radius, c.Sigma, angle, ox, oy)
	snow := u8pool.get(w * h)
	defer u8pool.put(snow)
	blurred := f64pool.get(w * h)
	defer f64pool.put(blurred)
	clear(blurred)
	scatterMotion(blurred, w, h, layer, ox, oy, taps)
	for i, v := range blurred {
		snow[i] = uint8(math.RoundToEven(v * 255))
	}
	// Blend: x' = Blend·x + (1−Blend)·max(x, 1.5·grey + 0.5) in float32, then
	// x' + S + rot180(S) in float64.
	b32 := float32(c.Blend)
	nb32 := float32(1 - c.Blend)
	rev := u8pool.get(w)
	defer u8pool.put(rev)
	for y := 0; y < h; y++ {
		p := row(img, y, w)
		srow := snow[y*w : (y+1)*w]
		rrow := snow[(h-1-y)*w : (h-y)*w]
		done := 0
		if useAVX2 {
			for x := range rev {
				rev[x] = rrow[w-1-x]
			}
			done = snowBlendAVX2(p, srow, rev, b32, nb32)
		}
		for x := done; x < w; x++ {
			q := p[4*x : 4*x+3 : 4*x+3]
			r, g, b := unit32[q[0]], unit32[q[1]], unit32[q[2]]
			grey := float32(float32(float32(float32(r*0.299)+float32(g*0.587))+float32(b*0.114))*1.5) + 0.5
			s1, s2 := unit64[srow[x]], unit64[rrow[w-1-x]]
			q[0] = trunc8(clip01(float64(float32(b32*r)+float32(nb32*fmax32(r, grey)))+s1+s2) * 255)
			q[1] = trunc8(clip01(float64(float32(b32*g)+float32(nb32*fmax32(g, grey)))+s1+s2) * 255)
			q[2] = trunc8(clip01(float64(float32(b32*b)+float32(nb32*fmax32(b, grey)))+s1+s2) * 255)
		}
	}
	return img
}

// scatterMotion adds the motion blur of a sparse single-channel layer (lw×lh, edges
// repeated) to the top-left w×h of dst: every non-zero sample, and every border
// sample's repetitions beyond the layer, spreads its value to the outputs whose taps
// read it.
func scatterMotion(dst []float64, w, h int, layer []float64, lw, lh int, taps []motionTap) {
	minDx, maxDx, minDy, maxDy := 0, 0, 0, 0
	for _, t := range taps {
		minDx, maxDx = min(minDx, t.dx), max(maxDx, t.dx)
		minDy, maxDy = min(minDy, t.dy), max(maxDy, t.dy)
	}
	// Source coordinates that can reach an output in [0,h)×[0,w): sy = y + dy.
	for sy := minDy; sy < h+maxDy; sy++ {
		ly := max(0, min(sy, lh-1))
		lrow := layer[ly*lw : (ly+1)*lw]
		for sx := minDx; sx < w+maxDx; sx++ {
			v := lrow[max(0, min(sx, lw-1))]
			if v == 0 {
				continue
			}
			for _, t := range taps {
				y, x := sy-t.dy, sx-t.dx
				if y >= 0 && y < h && x >= 0 && x < w {
					dst[y*w+x] += float64(t.w * v)
				}
			}
		}
	}
}
