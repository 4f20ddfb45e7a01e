package shifts

import (
	"image"
	"math"
	"sort"
)

// Cartoon flattens an image into a cartoon in four steps.
//
//  1. Edge-preserving smoothing: Passes passes of a separable 5-tap bilateral filter
//     (Pham and van Vliet's approximation of the 5×5 one, 2.5 times cheaper): a
//     horizontal step, then a vertical step on its result. Each step gives pixel p
//     Σ w·x(q) / Σ w over the 5 pixels q at offsets −2..2 along its axis (coordinates
//     clamped to the image), with integer weights w = round(65536 · exp(−k²/(2·2²)) ·
//     exp(−d²/(2·SigmaColor²))), k the offset and d = (|ΔR|+|ΔG|+|ΔB|)/765 the mean
//     absolute channel difference to p on [0, 1]. The sums are exact integers and every
//     step rounds the quotient half to even onto bytes.
//  2. Flat colours: k-means with Colors clusters in RGB over the smoothed pixels,
//     seeded by median cut, so there are no random draws (see cartoonPalette). Every
//     pixel takes the colour of its nearest cluster centre (squared RGB distance, ties
//     to the lower cluster), rounded half to even. Colors 0 skips this step.
//  3. Outlines: an XDoG edge map of the smoothed image's BT.601 luma Y on [0, 1]:
//     D = G_Line(Y) − G_{1.6·Line}(Y) (separable Gaussians, edges replicated), which is
//     negative on the dark side of every edge. The threshold ε is the larger of
//     CartoonMinEdge and the q-quantile of −D over the image with q = 1 − Coverage (the
//     value at rank ⌊q·(n−1)⌋ of the n sorted values), so that about a Coverage share
//     of the pixels is inked whether the image is sharp or soft. The ink is
//     k = tanh(CartoonSharpness·(−D − ε)/ε) where −D > ε, 0 elsewhere.
//  4. Every channel becomes round((1 − k)·colour): black lines over flat colours.
//
// Outside its outlines (k = 0) the output holds at most Colors colours. Passes 0,
// Colors 0 and Line 0 is the identity. It draws no random numbers and is safe for
// concurrent use.
type Cartoon struct {
	// Severity is the table row the other fields came from (informational).
	Severity int `json:"severity,omitempty"`
	// Passes is the number of bilateral passes (0: no smoothing).
	Passes int `json:"passes"`
	// SigmaColor is the bilateral range scale on [0, 1]; larger smooths across
	// stronger edges.
	SigmaColor float64 `json:"sigma_color"`
	// Colors in 2..256 is the palette size (0: colours are not quantised).
	Colors int `json:"colors"`
	// Line is the inner Gaussian's standard deviation of the outlines' difference of
	// Gaussians, in pixels: larger draws bolder lines around coarser shapes (0: no
	// outlines).
	Line float64 `json:"line"`
	// Coverage in [0, 1] is the largest share of the pixels the outlines ink.
	Coverage float64 `json:"coverage"`
}

// CartoonSharpness is the slope of the outlines' soft threshold, relative to ε.
const CartoonSharpness = 3

// CartoonMinEdge is the smallest edge response (on the [0, 1] luma scale) that is inked,
// so flat or nearly flat images get no outlines.
const CartoonMinEdge = 0.004

// cartoonScale is the ratio of the outer to the inner Gaussian of the outlines' DoG.
const cartoonScale = 1.6

// CartoonSeverities holds Cartoon's parameters at severities 1..5: fewer colours and
// bolder outlines as severity grows.
var CartoonSeverities = [5]Cartoon{
	{Severity: 1, Passes: 2, SigmaColor: 0.08, Colors: 24, Line: 0.7, Coverage: 0.06},
	{Severity: 2, Passes: 3, SigmaColor: 0.09, Colors: 16, Line: 0.85, Coverage: 0.07},
	{Severity: 3, Passes: 4, SigmaColor: 0.1, Colors: 12, Line: 1, Coverage: 0.08},
	{Severity: 4, Passes: 5, SigmaColor: 0.11, Colors: 9, Line: 1.15, Coverage: 0.09},
	{Severity: 5, Passes: 6, SigmaColor: 0.12, Colors: 6, Line: 1.3, Coverage: 0.1},
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
	cur := t.smooth(img)
	ink := t.ink(cur, w, h)
	flat := cur
	if t.Colors > 0 {
		pal, labels := cartoonPalette(cur, w*h, t.Colors)
		flat = make([]uint8, len(cur))
		for i, l := range labels {
			c := pal[l]
			flat[i*4], flat[i*4+1], flat[i*4+2] = c[0], c[1], c[2]
		}
	}
	for y := range h {
		row := img.Pix[y*img.Stride : y*img.Stride+w*4]
		src := flat[y*w*4 : (y+1)*w*4]
		for x := range w {
			i := x * 4
			k := ink[y*w+x]
			if k == 0 {
				row[i], row[i+1], row[i+2] = src[i], src[i+1], src[i+2]
				continue
			}
			for c := range 3 {
				row[i+c] = round8((1 - k) * float64(src[i+c]))
			}
		}
	}
	return img
}

// smooth returns a compact (stride w·4) copy of img after the bilateral passes.
func (t Cartoon) smooth(img *image.RGBA) []uint8 {
	w, h := img.Rect.Dx(), img.Rect.Dy()
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
	return cur
}

// ink returns the outline ink k in [0, 1) of every pixel of the compact buffer cur.
func (t Cartoon) ink(cur []uint8, w, h int) []float64 {
	ink := make([]float64, w*h)
	if t.Line <= 0 {
		return ink
	}
	y := lumaPlane(cur, w*4, w, h)
	inner := blurPlane(y, w, h, t.Line)
	outer := blurPlane(y, w, h, cartoonScale*t.Line)
	// resp is −D; sorted is a copy for its quantile.
	resp := outer
	for i := range resp {
		resp[i] -= inner[i]
	}
	sorted := append(inner[:0], resp...)
	sort.Float64s(sorted)
	q := min(max(1-t.Coverage, 0), 1)
	eps := max(CartoonMinEdge, sorted[int(q*float64(len(sorted)-1))])
	for i, r := range resp {
		if r > eps {
			ink[i] = math.Tanh(CartoonSharpness * (r - eps) / eps)
		}
	}
	return ink
}

// cartoonPalette quantises the n pixels of the compact RGBA buffer pix to at most k
// colours by k-means, and returns the palette and each pixel's index into it.
//
// The clustering runs on a histogram: pixels are binned by the top 5 bits of each
// channel and every non-empty bin counts as its pixels' mean colour, weighted by their
// number. The initial centres come from median cut: starting from one box holding every
// bin, the box with the widest channel range (ties: the earliest box) is split at the
// weighted median of that channel (ties between channels: R, then G, then B) until there
// are k boxes or none can be split; each centre is its box's weighted mean. Then up to
// cartoonIterations Lloyd steps assign each bin to its nearest centre (squared distance,
// ties to the lower index) and move each non-empty cluster's centre to its weighted mean.
// Finally every pixel's own colour goes to its nearest centre, and the palette is the
// centres rounded half to even.
func cartoonPalette(pix []uint8, n, k int) ([][3]uint8, []uint8) {
	type bin struct {
		c [3]float64
		w float64
	}
	var count [1 << 15]int64
	var sum [1 << 15][3]int64
	for i := range n {
		r, g, b := pix[i*4], pix[i*4+1], pix[i*4+2]
		j := int(r>>3)<<10 | int(g>>3)<<5 | int(b>>3)
		count[j]++
		sum[j][0] += int64(r)
		sum[j][1] += int64(g)
		sum[j][2] += int64(b)
	}
	var bins []bin
	for j, c := range count {
		if c > 0 {
			f := float64(c)
			bins = append(bins, bin{c: [3]float64{float64(sum[j][0]) / f, float64(sum[j][1]) / f, float64(sum[j][2]) / f}, w: f})
		}
	}
	k = min(max(k, 1), 256, len(bins))

	// Median cut over the bins.
	boxes := [][]int{make([]int, len(bins))}
	for i := range boxes[0] {
		boxes[0][i] = i
	}
	spread := func(box []int) (float64, int) {
		var lo, hi [3]float64
		for c := range 3 {
			lo[c], hi[c] = math.Inf(1), math.Inf(-1)
		}
		for _, i := range box {
			for c := range 3 {
				lo[c], hi[c] = min(lo[c], bins[i].c[c]), max(hi[c], bins[i].c[c])
			}
		}
		best, ch := -1.0, 0
		for c := range 3 {
			if hi[c]-lo[c] > best {
				best, ch = hi[c]-lo[c], c
			}
		}
		return best, ch
	}
	for len(boxes) < k {
		pick, pickCh, pickSpread := -1, 0, 0.0
		for b, box := range boxes {
			if len(box) < 2 {
				continue
			}
			if s, ch := spread(box); s > pickSpread {
				pick, pickCh, pickSpread = b, ch, s
			}
		}
		if pick < 0 {
			break
		}
		box := boxes[pick]
		sort.SliceStable(box, func(a, b int) bool { return bins[box[a]].c[pickCh] < bins[box[b]].c[pickCh] })
		var total, acc float64
		for _, i := range box {
			total += bins[i].w
		}
		cut := 1
		for j, i := range box[:len(box)-1] {
			acc += bins[i].w
			cut = j + 1
			if acc >= total/2 {
				break
			}
		}
		lo := append([]int(nil), box[:cut]...)
		hi := append([]int(nil), box[cut:]...)
		boxes[pick] = lo
		boxes = append(boxes, hi)
	}
	centres := make([][3]float64, len(boxes))
	for b, box := range boxes {
		var s [3]float64
		var wt float64
		for _, i := range box {
			for c := range 3 {
				s[c] += bins[i].w * bins[i].c[c]
			}
			wt += bins[i].w
		}
		for c := range 3 {
			centres[b][c] = s[c] / wt
		}
	}

	nearest := func(p [3]float64) int {
		best, bi := math.Inf(1), 0
		for j, c := range centres {
			dr, dg, db := p[0]-c[0], p[1]-c[1], p[2]-c[2]
			if d := dr*dr + dg*dg + db*db; d < best {
				best, bi = d, j
			}
		}
		return bi
	}
	assign := make([]int, len(bins))
	for i := range assign {
		assign[i] = -1
	}
	for range cartoonIterations {
		changed := false
		for i, b := range bins {
			if j := nearest(b.c); j != assign[i] {
				assign[i], changed = j, true
			}
		}
		if !changed {
			break
		}
		sums := make([][4]float64, len(centres))
		for i, b := range bins {
			s := &sums[assign[i]]
			for c := range 3 {
				s[c] += b.w * b.c[c]
			}
			s[3] += b.w
		}
		for j, s := range sums {
			if s[3] > 0 {
				centres[j] = [3]float64{s[0] / s[3], s[1] / s[3], s[2] / s[3]}
			}
		}
	}

	pal := make([][3]uint8, len(centres))
	for j, c := range centres {
		pal[j] = [3]uint8{round8(c[0]), round8(c[1]), round8(c[2])}
	}
	labels := make([]uint8, n)
	// Pixels of one colour share their nearest centre: cache the last lookup.
	last, lastL := [3]uint8{}, -1
	for i := range labels {
		p := [3]uint8{pix[i*4], pix[i*4+1], pix[i*4+2]}
		if lastL < 0 || p != last {
			last, lastL = p, nearest([3]float64{float64(p[0]), float64(p[1]), float64(p[2])})
		}
		labels[i] = uint8(lastL)
	}
	return pal, labels
}

// cartoonIterations bounds the Lloyd steps of the cartoon's k-means.
const cartoonIterations = 12

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
