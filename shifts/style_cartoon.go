package shifts

import (
	"image"
	"math"
)

// Cartoon flattens an image into a cartoon in three steps.
//
//  1. Edge-preserving smoothing: Passes passes of a separable 5-tap bilateral filter
//     (Pham and van Vliet's approximation of the 5×5 one, 2.5 times cheaper): a
//     horizontal step, then a vertical step on its result. Each step gives pixel p
//     Σ w·x(q) / Σ w over the 5 pixels q at offsets −2..2 along its axis (coordinates
//     clamped to the image), with integer weights w = round(65536 · exp(−k²/(2·2²)) ·
//     exp(−d²/(2·SigmaColor²))), k the offset and d = (|ΔR|+|ΔG|+|ΔB|)/765 the mean
//     absolute channel difference to p on [0, 1]. The sums are exact integers and every
//     step rounds the quotient half to even onto bytes.
//  2. Flat colours: every channel of the smoothed image quantised to Levels levels as
//     Posterize does (256: unchanged).
//  3. Outlines: where the Sobel magnitude (divided by 4) of the smoothed image's luma on
//     [0, 1] exceeds EdgeThreshold, the pixel becomes black.
//
// Passes 0, Levels 256 and EdgeThreshold ≥ √2 is the identity. It is safe for concurrent
// use.
type Cartoon struct {
	// Severity is the table row the other fields came from (informational).
	Severity int `json:"severity,omitempty"`
	// Passes is the number of bilateral passes (0: no smoothing).
	Passes int `json:"passes"`
	// SigmaColor is the bilateral range scale on [0, 1]; larger smooths across
	// stronger edges.
	SigmaColor float64 `json:"sigma_color"`
	// Levels in 2..256 is the number of values per channel after smoothing.
	Levels int `json:"levels"`
	// EdgeThreshold is the Sobel magnitude (0..√2) above which pixels turn black.
	EdgeThreshold float64 `json:"edge_threshold"`
}

// CartoonSeverities holds Cartoon's parameters at severities 1..5.
var CartoonSeverities = [5]Cartoon{
	{Severity: 1, Passes: 1, SigmaColor: 0.06, Levels: 32, EdgeThreshold: 0.16},
	{Severity: 2, Passes: 2, SigmaColor: 0.08, Levels: 24, EdgeThreshold: 0.14},
	{Severity: 3, Passes: 3, SigmaColor: 0.1, Levels: 20, EdgeThreshold: 0.12},
	{Severity: 4, Passes: 4, SigmaColor: 0.12, Levels: 16, EdgeThreshold: 0.11},
	{Severity: 5, Passes: 5, SigmaColor: 0.14, Levels: 12, EdgeThreshold: 0.1},
}

// bilateralRadius and bilateralSigmaSpace fix the cartoon's bilateral window: 5 taps
// with a spatial standard deviation of 2 pixels.
const (
	bilateralRadius     = 2
	bilateralSigmaSpace = 2.0
)

// Apply turns img into a cartoon, in place.
func (t Cartoon) Apply(img *image.RGBA, _ Key) *image.RGBA {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	if w == 0 || h == 0 {
		return img
	}
	// cur is a compact copy (stride w·4) the passes work on.
	cur := make([]uint8, w*h*4)
	for y := range h {
		copy(cur[y*w*4:(y+1)*w*4], img.Pix[y*img.Stride:y*img.Stride+w*4])
	}
	if t.Passes > 0 {
		b := newBilateral(t.SigmaColor)
		n := (w + 2*bilateralRadius) * (h + 2*bilateralRadius)
		planes := [3][]uint8{make([]uint8, n), make([]uint8, n), make([]uint8, n)}
		pw := w + 2*bilateralRadius
		for range t.Passes {
			b.step(cur, &planes, w, h, 1)
			b.step(cur, &planes, w, h, pw)
		}
	}
	m := sobelPlane(lumaPlane(cur, w*4, w, h), w, h)
	lv := levelLUT(t.Levels)
	for y := range h {
		row := img.Pix[y*img.Stride : y*img.Stride+w*4]
		src := cur[y*w*4 : (y+1)*w*4]
		for x := range w {
			i := x * 4
			if m[y*w+x] > t.EdgeThreshold {
				row[i], row[i+1], row[i+2] = 0, 0, 0
				continue
			}
			row[i], row[i+1], row[i+2] = lv[src[i]], lv[src[i+1]], lv[src[i+2]]
		}
	}
	return img
}

// bilateral holds the precomputed weights of one separable bilateral filter.
type bilateral struct {
	// weight[t][d] is the weight of tap t (offset t−2) for an L1 channel distance d in
	// 0..765: the spatial weight times the range weight, in units of 1/65536, rounded
	// half to even. The centre's weight is 65536, so Σ w > 0.
	weight [2*bilateralRadius + 1][766]int64
}

func newBilateral(sigmaColor float64) *bilateral {
	b := &bilateral{}
	var rng [766]float64
	for d := range rng {
		x := float64(d) / 765
		rng[d] = math.Exp(-x * x / (2 * sigmaColor * sigmaColor))
	}
	for t := range b.weight {
		k := float64(t - bilateralRadius)
		space := math.Exp(-k * k / (2 * bilateralSigmaSpace * bilateralSigmaSpace))
		for d := range rng {
			b.weight[t][d] = int64(math.RoundToEven(space * rng[d] * 65536))
		}
	}
	return b
}

// step filters the compact w×h RGBA buffer cur in place along one axis: step 1 is
// horizontal, step w+4 vertical. planes holds three (w+4)×(h+4) scratch planes that
// receive the edge-replicated R, G and B.
func (b *bilateral) step(cur []uint8, planes *[3][]uint8, w, h, step int) {
	const r = bilateralRadius
	pw := w + 2*r
	for py := range h + 2*r {
		sy := min(max(py-r, 0), h-1)
		src := cur[sy*w*4 : (sy+1)*w*4]
		for c := range 3 {
			dst := planes[c][py*pw : (py+1)*pw]
			for px := range dst {
				dst[px] = src[min(max(px-r, 0), w-1)*4+c]
			}
		}
	}
	var offs [len(b.weight)]int
	for t := range offs {
		offs[t] = (t - r) * step
	}
	pr, pg, pb := planes[0], planes[1], planes[2]
	for y := range h {
		out := cur[y*w*4 : (y+1)*w*4]
		base := (y+r)*pw + r
		for x := range w {
			ci := base + x
			cr, cg, cb := int(pr[ci]), int(pg[ci]), int(pb[ci])
			var sw, sr, sg, sb int64
			for t, o := range offs {
				q := ci + o
				qr, qg, qb := int(pr[q]), int(pg[q]), int(pb[q])
				wt := b.weight[t][absInt(qr-cr)+absInt(qg-cg)+absInt(qb-cb)]
				sw += wt
				sr += wt * int64(qr)
				sg += wt * int64(qg)
				sb += wt * int64(qb)
			}
			// The quotients of these integers (below 2⁵³) are correctly rounded, so
			// rounding them half to even is exact.
			fw := float64(sw)
			out[x*4] = round8(float64(sr) / fw)
			out[x*4+1] = round8(float64(sg) / fw)
			out[x*4+2] = round8(float64(sb) / fw)
		}
	}
}

// absInt is |x| without a branch.
func absInt(x int) int {
	m := x >> 63
	return (x ^ m) - m
}
