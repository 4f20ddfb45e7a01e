package imagenetc

import (
	"image"
	"math"
	"math/rand/v2"
)

// DefocusBlur correlates every channel with an anti-aliased disk, as imagecorruptions'
// disk and cv2.filter2D do: a binary disk of the given Radius on a grid of 17×17 (or
// (2·Radius+1)² above radius 8), normalised to sum 1 in float32 and blurred by
// cv2.GaussianBlur with σ = AliasBlur (3×3, or 5×5 above radius 8, borders reflected
// without repeating the edge). The image borders are reflected the same way. The
// kernel's float32 rounding and its reflected borders are kept: they make the kernel
// sum slightly below 1 at small radii and about 1 % above it at radius 8 and 10, which
// the reference shows as flat areas one level darker or slightly brighter.
type DefocusBlur struct {
	// Radius is the disk radius in pixels.
	Radius int `json:"radius"`
	// AliasBlur is the σ of the Gaussian that anti-aliases the disk.
	AliasBlur float64 `json:"alias_blur"`
}

// DefocusBlurSeverities holds DefocusBlur at severities 1..5.
var DefocusBlurSeverities = [5]DefocusBlur{{3, 0.1}, {4, 0.5}, {6, 0.5}, {8, 0.5}, {10, 0.5}}

// diskKernel is imagecorruptions' disk(radius, alias_blur) in float32, returned as a
// square float64 matrix of side 2m+1.
func diskKernel(radius int, alias float64) (k []float64, m int) {
	m, ks := 8, 3
	if radius > 8 {
		m, ks = radius, 5
	}
	n := 2*m + 1
	d := make([]float32, n*n)
	count := 0
	for y := -m; y <= m; y++ {
		for x := -m; x <= m; x++ {
			if x*x+y*y <= radius*radius {
				d[(y+m)*n+x+m] = 1
				count++
			}
		}
	}
	for i := range d {
		d[i] /= float32(count)
	}
	g := cvGaussianKernel32(ks, alias)
	h := ks / 2
	refl := func(i int) int { return reflect101(i, n) }
	// Row pass then column pass, float32, each output x0·g0 + Σ (x₋ⱼ + xⱼ)·gⱼ.
	t := make([]float32, n*n)
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			s := float32(d[y*n+x] * g[h])
			for j := 1; j <= h; j++ {
				s += float32((d[y*n+refl(x-j)] + d[y*n+refl(x+j)]) * g[h+j])
			}
			t[y*n+x] = s
		}
	}
	k = make([]float64, n*n)
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			s := float32(t[y*n+x] * g[h])
			for j := 1; j <= h; j++ {
				s += float32((t[refl(y-j)*n+x] + t[refl(y+j)*n+x]) * g[h+j])
			}
			k[y*n+x] = float64(s)
		}
	}
	return k, m
}

// cvGaussianKernel32 is cv2.getGaussianKernel(n, sigma, CV_32F).
func cvGaussianKernel32(n int, sigma float64) []float32 {
	c := make([]float32, n)
	scale := -0.5 / (sigma * sigma)
	sum := 0.0
	for i := range c {
		x := float64(i) - float64(n-1)*0.5
		c[i] = float32(math.Exp(scale * float64(x*x)))
		sum += float64(c[i])
	}
	sum = 1 / sum
	for i := range c {
		c[i] = float32(float64(c[i]) * sum)
	}
	return c
}

// reflect101 maps i into [0, n) by reflection without repeating the edge (OpenCV's
// BORDER_REFLECT_101: d c b | a b c d | c b a).
func reflect101(i, n int) int {
	if n == 1 {
		return 0
	}
	for i < 0 || i >= n {
		if i < 0 {
			i = -i
		}
		if i >= n {
			i = 2*(n-1) - i
		}
	}
	return i
}

// Corrupt blurs img in place; r is unused.
func (c DefocusBlur) Corrupt(img *image.RGBA, _ *rand.Rand) *image.RGBA {
	p := defocusPlans.get([2]float64{float64(c.Radius), c.AliasBlur}, func() *defocusPlan {
		return newDefocusPlan(c.Radius, c.AliasBlur)
	})
	p.apply(img)
	return img
}

// defocusPlan splits the kernel K into F = (g⊗g ⊛ disk)/N, the full convolution of the
// binary disk (N points) with the anti-aliasing Gaussian g, and the remainder D = K − F
// that OpenCV's reflected kernel borders and float32 rounding leave: a few dozen taps at
// radius 8 and 10, only rounding noise below. Σ F·E is computed exactly from integer
// disk sums (column prefix sums) followed by the separable g; the large D taps are
// added in float32 relative to the centre pixel, and the small ones' total weight is
// applied to the centre pixel. Flat areas therefore come out as v·ΣK in float64, as in
// the reference.
type defocusPlan struct {
	radius, pad, h int
	hq             []int     // disk half-height at column offset q = −radius..radius
	n              float64   // number of disk points
	g              []float64 // the 2h+1 weights of g (float32 values)
	taps           []defocusTap
	dsum           float64 // Σ D over every entry
}

type defocusTap struct {
	du, dv int
	w      float32
}

var defocusPlans cache[[2]float64, *defocusPlan]

func newDefocusPlan(radius int, alias float64) *defocusPlan {
	k, m := diskKernel(radius, alias)
	n := 2*m + 1
	ks := 3
	if radius > 8 {
		ks = 5
	}
	g32 := cvGaussianKernel32(ks, alias)
	h := ks / 2
	if float64(g32[0]) < 1e-15 { // σ so small that g is the identity to float64 precision
		h = 0
		g32 = []float32{1}
	}
	p := &defocusPlan{radius: radius, h: h, pad: m + h}
	for _, v := range g32 {
		p.g = append(p.g, float64(v))
	}
	for q := -radius; q <= radius; q++ {
		hq := 0
		for (hq+1)*(hq+1)+q*q <= radius*radius {
			hq++
		}
		p.hq = append(p.hq, hq)
		p.n += float64(2*hq + 1)
	}
	// F on the grid of half-size m+h, then D = K − F.
	M := m + h
	nf := 2*M + 1
	f := make([]float64, nf*nf)
	for u := -M; u <= M; u++ {
		for v := -M; v <= M; v++ {
			s := 0.0
			for a := -h; a <= h; a++ {
				for b := -h; b <= h; b++ {
					pu, pv := u-a, v-b
					if pu*pu+pv*pv <= radius*radius {
						s += float64(p.g[a+h] * p.g[b+h])
					}
				}
			}
			f[(u+M)*nf+v+M] = s / p.n
		}
	}
	for u := -M; u <= M; u++ {
		for v := -M; v <= M; v++ {
			kv := 0.0
			if u >= -m && u <= m && v >= -m && v <= m {
				kv = k[(u+m)*n+v+m]
			}
			d := kv - f[(u+M)*nf+v+M]
			p.dsum += d
			if math.Abs(d) > 1e-7 {
				p.taps = append(p.taps, defocusTap{u, v, float32(d)})
			}
		}
	}
	return p
}

// apply blurs img's colour channels in place.
func (p *defocusPlan) apply(img *image.RGBA) {
	w, h := dims(img)
	P, gh := p.pad, p.h
	ew, eh := w+2*P, h+2*P
	// The image extended by OpenCV's BORDER_REFLECT_101, as bytes and as float32.
	e8 := u8pool.get(ew * eh * 3)
	defer u8pool.put(e8)
	for y := 0; y < eh; y++ {
		sr := row(img, reflect101(y-P, h), w)
		d := e8[y*ew*3 : (y+1)*ew*3]
		mid := d[P*3 : (P+w)*3]
		packRGB(mid, sr)
		for x := 0; x < P; x++ {
			l, r := 3*reflect101(x-P, w), 3*reflect101(w+x, w)
			copy(d[3*x:3*x+3], mid[l:l+3])
			copy(d[(P+w+x)*3:(P+w+x)*3+3], mid[r:r+3])
		}
	}
	// Disk sums A over rows −gh..h+gh and columns −gh..w+gh, one channel at a time or
	// all three packed in 21-bit lanes of a uint64 when the column sums fit.
	aw, ah := w+2*gh, h+2*gh
	af := f64pool.get(aw * ah * 3)
	defer f64pool.put(af)
	packed := eh*255 < 1<<21
	lanes := 1
	if packed {
		lanes = 3
	}
	col := u64pool.get((eh + 1) * ew)
	defer u64pool.put(col)
	acc := u64pool.get(aw)
	defer u64pool.put(acc)
	for c0 := 0; c0 < 3; c0 += lanes {
		clear(col[:ew])
		for y := 0; y < eh; y++ {
			prev, cur := col[y*ew:(y+1)*ew], col[(y+1)*ew:(y+2)*ew]
			src := e8[y*ew*3:]
			for x := range cur {
				v := uint64(src[3*x+c0])
				if packed {
					v |= uint64(src[3*x+1])<<21 | uint64(src[3*x+2])<<42
				}
				cur[x] = prev[x] + v
			}
		}
		for y := -gh; y < h+gh; y++ {
			clear(acc)
			for qi, hq := range p.hq {
				off := P + qi - p.radius - gh
				bot := col[(y+P+hq+1)*ew+off:][:aw]
				top := col[(y+P-hq)*ew+off:][:aw]
				addSub(acc, bot, top)
			}
			dst := af[(y+gh)*aw*3:][:aw*3]
			if packed {
				for i, v := range acc {
					d := dst[3*i : 3*i+3 : 3*i+3]
					d[0] = float64(v & (1<<21 - 1))
					d[1] = float64(v >> 21 & (1<<21 - 1))
					d[2] = float64(v >> 42)
				}
			} else {
				for i, v := range acc {
					dst[3*i+c0] = float64(v)
				}
			}
		}
	}
	// S = G2(A)/N in float64: the g pass along x, then along y.
	s := af
	if gh > 0 {
		hx := f64pool.get(ah * w * 3)
		defer f64pool.put(hx)
		for y := 0; y < ah; y++ {
			src, dst := af[y*aw*3:], hx[y*w*3:(y+1)*w*3]
			clear(dst)
			for b, gb := range p.g {
				axpy64(dst, src[3*b:], gb)
			}
		}
		s = f64pool.get(h * w * 3)
		defer f64pool.put(s)
		for y := 0; y < h; y++ {
			dst := s[y*w*3 : (y+1)*w*3]
			clear(dst)
			for a, ga := range p.g {
				axpy64(dst, hx[(y+a)*w*3:], ga)
			}
		}
	}
	// D taps relative to the centre pixel, in float32.
	var ef []float32
	acc32 := f32pool.get(w * 3)
	defer f32pool.put(acc32)
	out := u8pool.get(w * 3)
	defer u8pool.put(out)
	if len(p.taps) > 0 {
		ef = f32pool.get(ew * eh * 3)
		defer f32pool.put(ef)
		bytesToF32(ef[:ew*eh*3], e8[:ew*eh*3])
	}
	for y := 0; y < h; y++ {
		clear(acc32)
		if ef != nil {
			c := ef[((y+P)*ew+P)*3:][:w*3]
			at := func(t defocusTap) []float32 { return ef[((y+P+t.du)*ew+P+t.dv)*3:] }
			i := 0
			for ; i+4 <= len(p.taps); i += 4 {
				xs := [4][]float32{at(p.taps[i]), at(p.taps[i+1]), at(p.taps[i+2]), at(p.taps[i+3])}
				ws := [4]float32{p.taps[i].w, p.taps[i+1].w, p.taps[i+2].w, p.taps[i+3].w}
				axpyDiff4(acc32, c, &xs, &ws)
			}
			for ; i < len(p.taps); i++ {
				axpyDiff(acc32, at(p.taps[i]), c, p.taps[i].w)
			}
		}
		// The reference's value is Σ K·(v/255), scaled by 255 and truncated; in byte
		// units that is S/N + Σ D·(v − c) + ΣD·c, up to rounding in the last bit.
		defocusFinish(out, s[y*w*3:(y+1)*w*3], acc32, e8[((y+P)*ew+P)*3:], p.n, p.dsum)
		unpackRGB(row(img, y, w), out)
	}
}
