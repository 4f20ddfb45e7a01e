package imagenetc

import (
	"image"
	"math"
	"math/rand/v2"
)

// Spatter splashes water or mud on the image, as imagecorruptions' spatter does. A
// field of N(Loc, Scale²) noise is smoothed by a Gaussian of σ = Sigma and values below
// Threshold are zeroed.
//
// Water (Mud false): the field's edges (OpenCV's Canny at 50/150) drive a distance
// transform that is capped at 20, box-blurred, histogram-equalised, embossed and
// blurred again; its product with the field, normalised to a maximum of Intensity,
// tints the image pale turquoise (175, 238, 238): out = clip(x + m·colour).
//
// Mud (Mud true): the mask field > Threshold is blurred with σ = Intensity, values
// below 0.8 are zeroed, and the image is covered with brown (63, 42, 20):
// out = clip(x·(1 − m) + m·colour).
type Spatter struct {
	// Loc is the mean of the liquid field's normal noise.
	Loc float64 `json:"loc"`
	// Scale is the standard deviation of the liquid field's normal noise.
	Scale float64 `json:"scale"`
	// Sigma is the standard deviation of the Gaussian that smooths the field (pixels).
	Sigma float64 `json:"sigma"`
	// Threshold zeroes the smoothed field below it (and draws the mud mask above it).
	Threshold float64 `json:"threshold"`
	// Intensity is the water tint's strength, or the mud mask's blur σ.
	Intensity float64 `json:"intensity"`
	// Mud selects mud instead of water.
	Mud bool `json:"mud"`
	// Seed seeds the liquid field; nil draws it per image.
	Seed *uint64 `json:"liquid_seed,omitempty"`
}

// SpatterSeverities holds Spatter at severities 1..5.
var SpatterSeverities = [5]Spatter{
	{Loc: 0.65, Scale: 0.3, Sigma: 4, Threshold: 0.69, Intensity: 0.6},
	{Loc: 0.65, Scale: 0.3, Sigma: 3, Threshold: 0.68, Intensity: 0.6},
	{Loc: 0.65, Scale: 0.3, Sigma: 2, Threshold: 0.68, Intensity: 0.5},
	{Loc: 0.65, Scale: 0.3, Sigma: 1, Threshold: 0.65, Intensity: 1.5, Mud: true},
	{Loc: 0.67, Scale: 0.4, Sigma: 1, Threshold: 0.65, Intensity: 1.5, Mud: true},
}

// Draw draws the liquid seed unless it is set.
func (c Spatter) Draw(r *rand.Rand) Random { c.Seed = drawSeed(c.Seed, r); return c }

// Draws returns the liquid seed when set.
func (c Spatter) Draws() map[string]any { return setDraws("liquid_seed", c.Seed) }

// Corrupt spatters img in place. It draws the liquid seed (Draw); the stream it seeds
// gives H·W normals.
func (c Spatter) Corrupt(img *image.RGBA, r *rand.Rand) *image.RGBA {
	c.Seed = drawSeed(c.Seed, r)
	nr := normals{st: seeded(c.Seed)}
	w, h := dims(img)
	n := w * h
	buf := f32pool.get(2 * n)
	defer f32pool.put(buf)
	liquid, tmp := buf[:n], buf[n:]
	for i := range liquid {
		liquid[i] = float32(c.Loc + float64(c.Scale*nr.next()))
	}
	if c.Sigma > 0 {
		k := gaussPlanFor(c.Sigma, 4).k32
		blurPlane32(liquid, tmp, w, h, 1, k, k, modeNearest)
	}
	thr := float32(c.Threshold)
	for i, v := range liquid {
		if v < thr {
			liquid[i] = 0
		}
	}
	if c.Mud {
		c.mud(img, liquid, tmp)
	} else {
		c.water(img, liquid)
	}
	return img
}

func (c Spatter) mud(img *image.RGBA, liquid, m []float32) {
	w, h := dims(img)
	thr := float32(c.Threshold)
	for i, v := range liquid {
		m[i] = 0
		if v > thr {
			m[i] = 1
		}
	}
	if c.Intensity > 0 {
		k := gaussPlanFor(c.Intensity, 4).k32
		t := f32pool.get(len(m))
		blurPlane32(m, t, w, h, 1, k, k, modeNearest)
		f32pool.put(t)
	}
	colour := [3]float64{63.0 / 255, 42.0 / 255, 20.0 / 255}
	for y := 0; y < h; y++ {
		p := row(img, y, w)
		for x := 0; x < w; x++ {
			mv := m[y*w+x]
			if mv < 0.8 { // no mud: the byte's round trip through float32 v/255
				q := p[4*x : 4*x+3 : 4*x+3]
				q[0], q[1], q[2] = spatterClear[q[0]], spatterClear[q[1]], spatterClear[q[2]]
				continue
			}
			for ch := 0; ch < 3; ch++ {
				xv := float32(p[4*x+ch]) / 255 * (1 - mv)
				p[4*x+ch] = trunc8(clip01(float64(xv)+float64(colour[ch]*float64(mv))) * 255)
			}
		}
	}
}

func (c Spatter) water(img *image.RGBA, liquid []float32) {
	w, h := dims(img)
	n := w * h
	l8 := u8pool.get(n)
	defer u8pool.put(l8)
	for i, v := range liquid {
		l8[i] = uint8(int64(float64(v) * 255)) // NumPy's astype(uint8) wraps above 255
	}
	edges := u8pool.get(n)
	defer u8pool.put(edges)
	canny(l8, w, h, 50, 150, edges, true)
	dist := f32pool.get(n)
	defer f32pool.put(dist)
	distance5(edges, w, h, dist)
	for i, v := range dist {
		if v > 20 {
			dist[i] = 20
		}
	}
	d8 := u8pool.get(n)
	defer u8pool.put(d8)
	box3f(dist, w, h, d8)
	equalizeHist(d8)
	emb := u8pool.get(n)
	defer u8pool.put(emb)
	embossInto(emb, d8, w, h)
	df := f32pool.get(n)
	defer f32pool.put(df)
	box3u8(emb, w, h, df)
	mx := float32(0)
	for i := range df {
		df[i] *= float32(l8[i])
		if df[i] > mx {
			mx = df[i]
		}
	}
	colour := [3]float64{175.0 / 255, 238.0 / 255, 238.0 / 255}
	intensity := float32(c.Intensity)
	for y := 0; y < h; y++ {
		p := row(img, y, w)
		for x := 0; x < w; x++ {
			m := df[y*w+x]
			if m == 0 && mx > 0 { // no water: the byte's round trip through float32 v/255
				q := p[4*x : 4*x+3 : 4*x+3]
				q[0], q[1], q[2] = spatterClear[q[0]], spatterClear[q[1]], spatterClear[q[2]]
				continue
			}
			if mx > 0 {
				m /= mx
			} else {
				m = float32(math.NaN())
			}
			m *= intensity
			for ch := 0; ch < 3; ch++ {
				xv := float32(p[4*x+ch]) / 255
				p[4*x+ch] = trunc8(clip01(float64(xv)+float64(float64(m)*colour[ch])) * 255)
			}
		}
	}
}

// canny is OpenCV's Canny(src, low, high) with a 3×3 Sobel (edges repeated) and the L1
// gradient norm: non-maximum suppression along the quantised gradient direction, then
// hysteresis over 8-connected neighbours. It writes 255 on edges, 0 elsewhere, to out
// (or, with invert, 0 on edges and 255 elsewhere).
func canny(src []uint8, w, h int, low, high int32, out []uint8, invert bool) {
	pw := w + 2
	pad := u8pool.get(pw * (h + 2))
	defer u8pool.put(pad)
	padBytesInto(pad, src, w, h, func(i, n int) int { return max(0, min(i, n-1)) })
	i32 := i32pool.get(2*w*h + pw*(h+2))
	defer i32pool.put(i32)
	dx, dy, mag := i32[:w*h], i32[w*h:2*w*h], i32[2*w*h:]
	clear(mag[:pw])
	clear(mag[(h+1)*pw:])
	for y := 0; y < h; y++ {
		up, mid, dn := pad[y*pw:][:pw], pad[(y+1)*pw:][:pw], pad[(y+2)*pw:][:pw]
		gxr, gyr := dx[y*w:][:w], dy[y*w:][:w]
		mrow := mag[(y+1)*pw:][:pw]
		mrow[0], mrow[pw-1] = 0, 0 // zero border
		mr := mrow[1 : w+1]
		for x := range gxr {
			gx := int32(up[x+2]) - int32(up[x]) + 2*(int32(mid[x+2])-int32(mid[x])) + int32(dn[x+2]) - int32(dn[x])
			gy := int32(dn[x]) - int32(up[x]) + 2*(int32(dn[x+1])-int32(up[x+1])) + int32(dn[x+2]) - int32(up[x+2])
			gxr[x], gyr[x] = gx, gy
			mr[x] = abs32(gx) + abs32(gy)
		}
	}
	const shift = 15
	const tg22 = 13573 // tan(22.5°)·2¹⁵
	// state: 0 candidate (weak), 1 not an edge, 2 edge.
	state := u8pool.get(pw * (h + 2))
	defer u8pool.put(state)
	for i := range state {
		state[i] = 1
	}
	stack := i32pool.get(0)[:0]
	mw := pw
	for y := 0; y < h; y++ {
		mu, mc, md := mag[y*mw:][:mw], mag[(y+1)*mw:][:mw], mag[(y+2)*mw:][:mw]
		dxr, dyr := dx[y*w:][:w], dy[y*w:][:w]
		srow := state[(y+1)*mw:][:mw]
		for x := 0; x < w; x++ {
			m := mc[x+1]
			if m <= low {
				continue
			}
			xs, ys := dxr[x], dyr[x]
			ax, ay := int64(abs32(xs)), int64(abs32(ys))<<shift
			t22 := ax * tg22
			var keep bool
			if ay < t22 {
				keep = m > mc[x] && m >= mc[x+2]
			} else if t67 := t22 + ax<<(shift+1); ay > t67 {
				keep = m > mu[x+1] && m >= md[x+1]
			} else if (xs ^ ys) < 0 {
				keep = m > mu[x+2] && m > md[x]
			} else {
				keep = m > mu[x] && m > md[x+2]
			}
			if !keep {
				continue
			}
			if m > high {
				srow[x+1] = 2
				stack = append(stack, int32((y+1)*mw+x+1))
			} else {
				srow[x+1] = 0
			}
		}
	}
	for len(stack) > 0 {
		j := int(stack[len(stack)-1])
		stack = stack[:len(stack)-1]
		for _, o := range [8]int{-mw - 1, -mw, -mw + 1, -1, 1, mw - 1, mw, mw + 1} {
			if state[j+o] == 0 {
				state[j+o] = 2
				stack = append(stack, int32(j+o))
			}
		}
	}
	i32pool.put(stack)
	var flip uint8
	if invert {
		flip = 255
	}
	for y := 0; y < h; y++ {
		srow := state[(y+1)*mw+1:][:w]
		orow := out[y*w:][:w]
		for x, v := range srow {
			orow[x] = (v>>1)*255 ^ flip
		}
	}
}

func abs32(x int32) int32 {
	if x < 0 {
		return -x
	}
	return x
}

// distance5 is OpenCV's distanceTransform(src, DIST_L2, 5): the 5×5 chamfer distance
// (1, 1.4, 2.1969 in 16-bit fixed point) from every pixel to the nearest zero pixel,
// with the outside of the image infinitely far, written to out.
func distance5(src []uint8, w, h int, out []float32) {
	const inf = 1 << 29
	const b = 2
	tw := w + 2*b
	t := u32pool.get(tw * (h + 2*b))
	defer u32pool.put(t)
	for i := range t {
		t[i] = inf
	}
	// Each pass first takes, for a whole row, the minimum over the neighbours in the
	// rows already done (no dependency between pixels), then runs along the row with
	// the one neighbour in the same row.
	up := u32pool.get(w)
	defer u32pool.put(up)
	for y := 0; y < h; y++ {
		j0 := (y+b)*tw + b
		chamfer7(up, t[j0-2*tw-1:], t[j0-tw-2:])
		sr := src[y*w : (y+1)*w]
		r := t[j0-1 : j0+w]
		for x, v := range sr {
			if v == 0 {
				r[x+1] = 0
				continue
			}
			m := up[x]
			if l := r[x] + chamferH; l < m {
				m = l
			}
			r[x+1] = m
		}
	}
	for y := h - 1; y >= 0; y-- {
		j0 := (y+b)*tw + b
		chamfer7(up, t[j0+2*tw-1:], t[j0+tw-2:])
		r := t[j0 : j0+w+1]
		o := out[y*w : (y+1)*w]
		for x := w - 1; x >= 0; x-- {
			m := r[x]
			if m > chamferH {
				if u := up[x]; u < m {
					m = u
				}
				if l := r[x+1] + chamferH; l < m {
					m = l
				}
				r[x] = m
			}
			o[x] = float32(float64(m) * (1.0 / 65536))
		}
	}
}

// padBytesInto writes src (w×h) into pad, which holds (w+2)·(h+2) bytes, with a
// one-pixel border whose samples come from index mapping ext (replicate or
// reflect-101).
func padBytesInto(pad, src []uint8, w, h int, ext func(i, n int) int) {
	pw := w + 2
	for y := -1; y <= h; y++ {
		s := src[ext(y, h)*w:][:w]
		d := pad[(y+1)*pw:][:pw]
		copy(d[1:], s)
		d[0], d[w+1] = s[ext(-1, w)], s[ext(w, w)]
	}
}

// box3f is OpenCV's 3×3 normalised box filter on float32 (borders reflected without
// repeating the edge): the exact sum times 1/9 in float64, rounded to float32; dst gets
// it truncated to bytes (NumPy's astype(uint8)).
func box3f(src []float32, w, h int, dst []uint8) {
	pw := w + 2
	pad := f64pool.get(pw * (h + 2))
	defer f64pool.put(pad)
	for y := -1; y <= h; y++ {
		s := src[reflect101(y, h)*w:][:w]
		d := pad[(y+1)*pw:][:pw]
		for x, v := range s {
			d[x+1] = float64(v)
		}
		d[0], d[w+1] = float64(s[reflect101(-1, w)]), float64(s[reflect101(w, w)])
	}
	for y := 0; y < h; y++ {
		up, mid, dn := pad[y*pw:][:pw], pad[(y+1)*pw:][:pw], pad[(y+2)*pw:][:pw]
		for x := 0; x < w; x++ {
			s := up[x] + up[x+1] + up[x+2] + mid[x] + mid[x+1] + mid[x+2] + dn[x] + dn[x+1] + dn[x+2]
			dst[y*w+x] = uint8(float32(s * (1.0 / 9)))
		}
	}
}

// box3u8 is OpenCV's 3×3 normalised box filter on bytes: the sum divided by 9,
// rounded; dst gets it as float32.
func box3u8(src []uint8, w, h int, dst []float32) {
	pw := w + 2
	pad := u8pool.get(pw * (h + 2))
	defer u8pool.put(pad)
	padBytesInto(pad, src, w, h, reflect101)
	for y := 0; y < h; y++ {
		up, mid, dn := pad[y*pw:][:pw], pad[(y+1)*pw:][:pw], pad[(y+2)*pw:][:pw]
		for x := 0; x < w; x++ {
			s := int(up[x]) + int(up[x+1]) + int(up[x+2]) + int(mid[x]) + int(mid[x+1]) + int(mid[x+2]) +
				int(dn[x]) + int(dn[x+1]) + int(dn[x+2])
			dst[y*w+x] = float32((s*2 + 9) / 18)
		}
	}
}

// equalizeHist is OpenCV's equalizeHist, in place.
func equalizeHist(p []uint8) {
	var hist [256]int
	for _, v := range p {
		hist[v]++
	}
	first := 0
	for hist[first] == 0 {
		first++
	}
	if hist[first] == len(p) {
		return
	}
	scale := float32(255) / float32(len(p)-hist[first])
	var lut [256]uint8
	sum := 0
	for j := first + 1; j < 256; j++ {
		sum += hist[j]
		lut[j] = uint8(max(0, min(255, math.RoundToEven(float64(float32(sum)*scale)))))
	}
	for i, v := range p {
		p[i] = lut[v]
	}
}

// embossInto writes to out cv2.filter2D(src, CV_8U, [[-2,-1,0],[-1,1,1],[0,1,2]]) with reflected
// borders, saturated to bytes.
func embossInto(out, src []uint8, w, h int) {
	pw := w + 2
	pad := u8pool.get(pw * (h + 2))
	defer u8pool.put(pad)
	padBytesInto(pad, src, w, h, reflect101)
	for y := 0; y < h; y++ {
		up, mid, dn := pad[y*pw:][:pw], pad[(y+1)*pw:][:pw], pad[(y+2)*pw:][:pw]
		o := out[y*w:][:w]
		for x := range o {
			s := -2*int(up[x]) - int(up[x+1]) - int(mid[x]) + int(mid[x+1]) + int(mid[x+2]) + int(dn[x+1]) + 2*int(dn[x+2])
			o[x] = uint8(max(0, min(255, s)))
		}
	}
}

// spatterClear is what spatter's blends give a byte v where there is no liquid:
// trunc(255·clip(float64(float32(v)/255))), usually v, sometimes v − 1.
var spatterClear = func() (t [256]uint8) {
	for v := range t {
		t[v] = trunc8(clip01(float64(float32(v)/255)) * 255)
	}
	return t
}()
