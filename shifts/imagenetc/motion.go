package imagenetc

import (
	"image"
	"math"
	"math/rand/v2"
)

// MotionBlur smears the image along a line, as imagecorruptions' NumPy re-implementation
// of ImageMagick's MotionBlurImage does: out(y, x) = Σᵢ kᵢ·in(y + oyᵢ, x + oxᵢ) for
// i = 0..2·Radius, with kᵢ ∝ exp(−i²/(2σ²)) (a one-sided half Gaussian, normalised),
// offsets oxᵢ = ⌈i·cos θ − ½⌉, oyᵢ = ⌈i·sin θ − ½⌉ (y down), edges repeated; the sum
// stops at the first offset as large as the image. It works on bytes (0..255) and
// truncates the result.
type MotionBlur struct {
	// Radius sets the kernel width 2·Radius+1.
	Radius int `json:"radius"`
	// Sigma is the standard deviation of the half Gaussian, in taps.
	Sigma float64 `json:"sigma"`
	// Angle is the direction θ in degrees; nil draws it uniformly from
	// [AngleMin, AngleMax) for every image.
	Angle *float64 `json:"angle,omitempty"`
	// AngleMin is the smallest random angle (−45° in ImageNet-C).
	AngleMin float64 `json:"angle_min"`
	// AngleMax bounds the random angle from above, exclusive (45° in ImageNet-C).
	AngleMax float64 `json:"angle_max"`
}

// MotionBlurSeverities holds MotionBlur at severities 1..5.
var MotionBlurSeverities = [5]MotionBlur{
	{Radius: 10, Sigma: 3, AngleMin: -45, AngleMax: 45},
	{Radius: 15, Sigma: 5, AngleMin: -45, AngleMax: 45},
	{Radius: 15, Sigma: 8, AngleMin: -45, AngleMax: 45},
	{Radius: 15, Sigma: 12, AngleMin: -45, AngleMax: 45},
	{Radius: 20, Sigma: 15, AngleMin: -45, AngleMax: 45},
}

// Draw draws the angle unless it is set: one uniform from r.
func (c MotionBlur) Draw(r *rand.Rand) Random {
	c.Angle = drawFloat(c.Angle, c.AngleMin, c.AngleMax, r)
	return c
}

// Draws returns the angle when set.
func (c MotionBlur) Draws() map[string]any { return setDraws("angle", c.Angle) }

// Corrupt blurs img in place. It draws the angle unless Angle is set (Draw).
func (c MotionBlur) Corrupt(img *image.RGBA, r *rand.Rand) *image.RGBA {
	angle := *drawFloat(c.Angle, c.AngleMin, c.AngleMax, r)
	w, h := dims(img)
	p := motionPlans.get(motionKey{c.Radius, c.Sigma, angle, w, h}, func() *motionPlan {
		return newMotionPlan(motionTaps(c.Radius, c.Sigma, angle, w, h))
	})
	motionBlurRGB(img, p)
	return img
}

type motionKey struct {
	radius       int
	sigma, angle float64
	w, h         int
}

// motionPlan is a motion-blur kernel ready to run: its taps with equal offsets merged
// (float32 weights) and, for every byte v, the reference's float64 result on a flat
// image of value v.
type motionPlan struct {
	taps []motionTap
	w32  []float32
	flat [256]uint8
	// sum is the total weight of the taps, below 1 when the kernel was cut short by a
	// small image (the reference drops the remaining weights without renormalising).
	sum   float32
	whole bool
}

var motionPlans cache[motionKey, *motionPlan]

func newMotionPlan(taps []motionTap) *motionPlan {
	p := &motionPlan{}
	for v := range p.flat {
		s := 0.0
		for _, t := range taps {
			s += float64(t.w * float64(v))
		}
		p.flat[v] = trunc8(s)
	}
	merged := map[[2]int]int{}
	for _, t := range taps {
		key := [2]int{t.dx, t.dy}
		if i, ok := merged[key]; ok {
			p.taps[i].w += t.w
			continue
		}
		merged[key] = len(p.taps)
		p.taps = append(p.taps, t)
	}
	total := 0.0
	for _, t := range p.taps {
		p.w32 = append(p.w32, float32(t.w))
		total += t.w
	}
	p.sum = float32(total)
	p.whole = math.Abs(total-1) < 1e-9
	return p
}

// motionBlurRGB applies a motion-blur plan to img's colour channels. Every output is
// computed as c + Σ wᵢ·(inᵢ − c) in float32, where c is the pixel's own value, so a flat
// neighbourhood gives a sum of exactly 0 and takes the reference's flat result.
func motionBlurRGB(img *image.RGBA, p *motionPlan) {
	w, h := dims(img)
	pad := 0
	for _, t := range p.taps {
		pad = max(pad, abs(t.dx))
	}
	ew := w + 2*pad
	n, stride, estride := w*h*3, w*3, ew*3
	// The image with every row extended by pad repeated edge pixels.
	buf := f32pool.get(ew*h*3 + stride)
	defer f32pool.put(buf)
	src, acc := buf[:ew*h*3], buf[ew*h*3:]
	rgb := u8pool.get(n)
	defer u8pool.put(rgb)
	getRGB(img, rgb)
	for y := 0; y < h; y++ {
		d := src[y*estride : (y+1)*estride]
		s := rgb[y*stride : (y+1)*stride]
		mid := d[pad*3 : pad*3+stride]
		bytesToF32(mid, s)
		for x := 0; x < pad; x++ {
			copy(d[3*x:3*x+3], mid[:3])
			copy(d[(pad+w+x)*3:(pad+w+x)*3+3], mid[stride-3:])
		}
	}
	at := func(y, dy, dx int) []float32 {
		return src[max(0, min(y+dy, h-1))*estride+(pad+dx)*3:][:stride]
	}
	for y := 0; y < h; y++ {
		c := at(y, 0, 0)
		clear(acc)
		i := 0
		for ; i+4 <= len(p.taps); i += 4 {
			var xs [4][]float32
			var ws [4]float32
			for q := 0; q < 4; q++ {
				t := p.taps[i+q]
				xs[q], ws[q] = at(y, t.dy, t.dx), p.w32[i+q]
			}
			axpyDiff4(acc, c, &xs, &ws)
		}
		for ; i < len(p.taps); i++ {
			t := p.taps[i]
			axpyDiff(acc, at(y, t.dy, t.dx), c, p.w32[i])
		}
		out := rgb[y*stride : (y+1)*stride] // overwritten in place: c holds the input
		a := acc[:len(out)]
		c = c[:len(out)]
		if p.whole { // c holds the input bytes as floats
			addTrunc(out, c, a, a, func(i int) { out[i] = p.flat[uint8(c[i])] })
		} else { // Σ wᵢ·inᵢ = c·Σ wᵢ + Σ wᵢ·(inᵢ − c)
			for i := range out {
				if a[i] == 0 {
					out[i] = p.flat[out[i]]
				} else {
					out[i] = trunc8f(float32(c[i]*p.sum) + a[i])
				}
			}
		}
	}
	putRGB(img, rgb)
}

// motionTap is one tap of a motion-blur kernel: weight w at offset (dx, dy).
type motionTap struct {
	dx, dy int
	w      float64
}

// motionTaps lists the taps of the motion-blur kernel in summation order, stopping at
// the first offset that reaches the image size w×h.
func motionTaps(radius int, sigma, angle float64, w, h int) []motionTap {
	width := 2*radius + 1
	k := make([]float64, width)
	var z float64
	for i := range k {
		x := float64(i)
		k[i] = math.Exp(-float64(x*x)/(2*float64(sigma*sigma))) / float64(math.Sqrt(2*math.Pi)*sigma)
	}
	z = pairwiseSum(k)
	rad := angle * math.Pi / 180
	py, px := float64(width)*math.Sin(rad), float64(width)*math.Cos(rad)
	hyp := math.Hypot(py, px)
	var taps []motionTap
	for i := 0; i < width; i++ {
		dy := int(math.Ceil(float64(float64(i)*py)/hyp - 0.5))
		dx := int(math.Ceil(float64(float64(i)*px)/hyp - 0.5))
		if abs(dy) >= h || abs(dx) >= w {
			break
		}
		taps = append(taps, motionTap{dx: dx, dy: dy, w: k[i] / z})
	}
	return taps
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
