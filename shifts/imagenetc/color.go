package imagenetc

import (
	"image"
	"math"
	"math/rand/v2"
)

// Brightness raises the HSV value of every pixel: RGB→HSV (scikit-image's conversion),
// V ← clip(V + Delta, 0, 1), HSV→RGB, then truncation to bytes. Delta 0 returns the
// image unchanged (the reference's float round trip would lower some values by one).
type Brightness struct {
	// Delta is added to V on the [0, 1] scale.
	Delta float64 `json:"delta"`
}

// BrightnessSeverities holds Brightness at severities 1..5.
var BrightnessSeverities = [5]Brightness{{0.1}, {0.2}, {0.3}, {0.4}, {0.5}}

// Corrupt brightens img in place; r is unused.
func (c Brightness) Corrupt(img *image.RGBA, _ *rand.Rand) *image.RGBA {
	if c.Delta == 0 {
		return img
	}
	mapHSV(img, 1, 0, c.Delta)
	return img
}

// Saturate scales the HSV saturation of every pixel: S ← clip(S·Scale + Offset, 0, 1),
// through the same conversions as Brightness. Scale 1 with Offset 0 returns the image
// unchanged.
type Saturate struct {
	// Scale multiplies S.
	Scale float64 `json:"scale"`
	// Offset is added to S after scaling.
	Offset float64 `json:"offset"`
}

// SaturateSeverities holds Saturate at severities 1..5.
var SaturateSeverities = [5]Saturate{{0.3, 0}, {0.1, 0}, {2, 0}, {5, 0.1}, {20, 0.2}}

// Corrupt changes the saturation of img in place; r is unused.
func (c Saturate) Corrupt(img *image.RGBA, _ *rand.Rand) *image.RGBA {
	if c.Scale == 1 && c.Offset == 0 {
		return img
	}
	mapHSV(img, c.Scale, c.Offset, 0)
	return img
}

// Contrast pulls every channel toward its mean over the image:
// out = trunc(255·clip((x − μ_c)·Factor + μ_c, 0, 1)) with x = v/255 and μ_c the mean of
// channel c. Factor 1 returns the image unchanged; 0 gives a flat image.
type Contrast struct {
	// Factor scales the deviation from the channel mean.
	Factor float64 `json:"factor"`
}

// ContrastSeverities holds Contrast at severities 1..5.
var ContrastSeverities = [5]Contrast{{0.4}, {0.3}, {0.2}, {0.1}, {0.05}}

// Corrupt lowers the contrast of img in place; r is unused.
func (c Contrast) Corrupt(img *image.RGBA, _ *rand.Rand) *image.RGBA {
	if c.Factor == 1 {
		return img
	}
	w, h := dims(img)
	// NumPy's mean over the two image axes adds the pixels' v/255 one after another
	// (the channel axis is the inner loop, so no pairwise summation), then divides.
	var s0, s1, s2 float64
	for y := 0; y < h; y++ {
		px := row(img, y, w)
		for x := 0; x < len(px); x += 4 {
			s0 += unit64[px[x]]
			s1 += unit64[px[x+1]]
			s2 += unit64[px[x+2]]
		}
	}
	sum := [3]float64{s0, s1, s2}
	n := float64(w * h)
	var lut [3][256]uint8
	for ch := 0; ch < 3; ch++ {
		mu := sum[ch] / n
		for v := 0; v < 256; v++ {
			x := float64(v) / 255
			lut[ch][v] = trunc8(clip01(float64((x-mu)*c.Factor)+mu) * 255)
		}
	}
	applyLUT(img, &lut)
	return img
}

// applyLUT maps the colour bytes of img through lut in place.
func applyLUT(img *image.RGBA, lut *[3][256]uint8) {
	w, h := dims(img)
	for y := 0; y < h; y++ {
		px := row(img, y, w)
		for x := 0; x < len(px); x += 4 {
			px[x] = lut[0][px[x]]
			px[x+1] = lut[1][px[x+1]]
			px[x+2] = lut[2][px[x+2]]
		}
	}
}

// mapHSV converts every pixel to HSV, sets S ← clip(S·sMul + sAdd) (skipped when sMul
// is 1 and sAdd 0) and V ← clip(V + vAdd) (skipped when vAdd is 0), converts back and
// truncates to bytes. The arithmetic is scikit-image's rgb2hsv/hsv2rgb in float64,
// operation for operation, so results match it bit for bit.
func mapHSV(img *image.RGBA, sMul, sAdd, vAdd float64) {
	w, h := dims(img)
	satOp := sMul != 1 || sAdd != 0
	var hp *hsvParams
	if useAVX2 {
		hp = newHSVParams(sMul, sAdd, vAdd, satOp, vAdd != 0)
	}
	for y := 0; y < h; y++ {
		px := row(img, y, w)
		done := 0
		if hp != nil {
			done = 4 * hsvRowAVX2(px, hp)
		}
		for x := done; x < len(px); x += 4 {
			q := px[x : x+3 : x+3]
			hh, ss, vv := rgb2hsv(unit64[q[0]], unit64[q[1]], unit64[q[2]])
			if satOp {
				ss = clip01(float64(ss*sMul) + sAdd)
			}
			if vAdd != 0 {
				vv = clip01(vv + vAdd)
			}
			r, g, b := hsv2rgb(hh, ss, vv)
			q[0] = trunc8(clip01(r) * 255)
			q[1] = trunc8(clip01(g) * 255)
			q[2] = trunc8(clip01(b) * 255)
		}
	}
}

// rgb2hsv is scikit-image's rgb2hsv for one pixel with channels in [0, 1]: ties for the
// maximum go to the later channel, and hue and saturation are 0 for greys.
func rgb2hsv(r, g, b float64) (h, s, v float64) {
	v, lo := r, r
	if g > v {
		v = g
	}
	if b > v {
		v = b
	}
	if g < lo {
		lo = g
	}
	if b < lo {
		lo = b
	}
	delta := v - lo
	if delta == 0 {
		return 0, 0, v
	}
	s = delta / v
	if r == v {
		h = (g - b) / delta
	}
	if g == v {
		h = 2 + (b-r)/delta
	}
	if b == v {
		h = 4 + (r-g)/delta
	}
	h = pyMod1(h / 6)
	return h, s, v
}

// pyMod1 is NumPy's x % 1.0 (the result takes the sign of the divisor) for the hue
// range x ∈ (−1, 1) that rgb2hsv produces, where fmod(x, 1) is x itself.
func pyMod1(x float64) float64 {
	if x < 0 {
		return x + 1
	}
	if x >= 1 {
		return math.Mod(x, 1)
	}
	return x + 0 // turns −0 into +0
}

// hsv2rgb is scikit-image's hsv2rgb for one pixel.
func hsv2rgb(h, s, v float64) (r, g, b float64) {
	hi := math.Floor(h * 6)
	f := float64(h*6) - hi
	p := v * (1 - s)
	q := v * (1 - float64(f*s))
	t := v * (1 - float64((1-f)*s))
	switch int(hi) % 6 {
	case 0:
		return v, t, p
	case 1:
		return q, v, p
	case 2:
		return p, v, t
	case 3:
		return p, q, v
	case 4:
		return t, p, v
	default:
		return v, p, q
	}
}

// hsvParams are mapHSV's parameters as the vector kernel reads them: each value four
// times, and the two switches as all-ones or all-zeros lanes.
type hsvParams struct {
	sMul, sAdd, vAdd [4]float64
	sat, val         [4]uint64
}

func newHSVParams(sMul, sAdd, vAdd float64, sat, val bool) *hsvParams {
	p := &hsvParams{}
	for i := range 4 {
		p.sMul[i], p.sAdd[i], p.vAdd[i] = sMul, sAdd, vAdd
		if sat {
			p.sat[i] = ^uint64(0)
		}
		if val {
			p.val[i] = ^uint64(0)
		}
	}
	return p
}
