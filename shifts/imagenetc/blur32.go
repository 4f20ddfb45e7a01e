package imagenetc

// Fast separable filters in float32 on top of the vector primitives.

// kernel32 converts a float64 half kernel (centre first) to float32.
func kernel32(k []float64) []float32 {
	out := make([]float32, len(k))
	for i, v := range k {
		out[i] = float32(v)
	}
	return out
}

// blurPlane32 correlates an interleaved w×h×ch float32 image with the symmetric kernels
// ky (along axis 0) and kx (along axis 1), in place, with border mode mode; tmp must
// hold w·h·ch values. Each pass computes c + Σ kⱼ·((x₋ⱼ − c) + (xⱼ − c)), which equals
// the plain correlation when the kernel sums to 1.
func blurPlane32(img, tmp []float32, w, h, ch int, ky, kx []float32, mode int) {
	stride := w * ch
	for y := 0; y < h; y++ {
		dst := tmp[y*stride : (y+1)*stride]
		c := img[y*stride : (y+1)*stride]
		clear(dst)
		symTaps(dst, c, ky, func(j int) ([]float32, []float32) {
			return img[borderIndex(y-j, h, mode)*stride:][:stride], img[borderIndex(y+j, h, mode)*stride:][:stride]
		})
		axpy(dst, c, 1)
	}
	r := len(kx) - 1
	ext := f32pool.get((w + 2*r) * ch)
	defer f32pool.put(ext)
	for y := 0; y < h; y++ {
		src := tmp[y*stride : (y+1)*stride]
		padRow(ext, src, w, ch, r, mode)
		dst := img[y*stride : (y+1)*stride]
		c := ext[r*ch : r*ch+stride]
		clear(dst)
		symTaps(dst, c, kx, func(j int) ([]float32, []float32) { return ext[(r-j)*ch:], ext[(r+j)*ch:] })
		axpy(dst, c, 1)
	}
}

// padRow copies a row of w pixels of ch channels into ext with r pixels of border on
// each side, extended by mode.
func padRow(ext, src []float32, w, ch, r, mode int) {
	copy(ext[r*ch:], src[:w*ch])
	for x := 1; x <= r; x++ {
		l, rt := borderIndex(-x, w, mode), borderIndex(w-1+x, w, mode)
		copy(ext[(r-x)*ch:(r-x+1)*ch], src[l*ch:(l+1)*ch])
		copy(ext[(r+w-1+x)*ch:(r+w+x)*ch], src[rt*ch:(rt+1)*ch])
	}
}

// blurBytes blurs an interleaved w×h RGB byte image with the symmetric kernel k along
// both axes (edges repeated) and truncates the result to bytes in dst. It computes
// every sum relative to the centre sample, c + Σ kⱼ·((x₋ⱼ − c) + (xⱼ − c)), so that a
// flat neighbourhood gives exactly c; flat neighbourhoods then take flat[c], the value
// the reference's float64 arithmetic gives for a constant image. Elsewhere the float32
// result differs from the reference by far less than the distance to the next integer
// except in rare ties.
func blurBytes(src, dst []uint8, w, h int, k []float32, flat *[256]uint8) {
	n := w * h * 3
	stride := w * 3
	buf := f32pool.get(3 * n)
	defer f32pool.put(buf)
	x, v, acc := buf[:n], buf[n:2*n], buf[2*n:]
	bytesToF32(x, src[:n])
	r := len(k) - 1
	// Axis 0: acc holds the relative sums, v the blurred values.
	for y := 0; y < h; y++ {
		a := acc[y*stride : (y+1)*stride]
		c := x[y*stride : (y+1)*stride]
		clear(a)
		symTaps(a, c, k, func(j int) ([]float32, []float32) {
			return x[max(0, y-j)*stride:][:stride], x[min(h-1, y+j)*stride:][:stride]
		})
		vr := v[y*stride : (y+1)*stride]
		copy(vr, c)
		axpy(vr, a, 1)
	}
	// Axis 1, row by row through a padded buffer.
	ext := f32pool.get((w + 2*r) * 3)
	a2 := f32pool.get(stride)
	defer f32pool.put(ext)
	defer f32pool.put(a2)
	for y := 0; y < h; y++ {
		vr := v[y*stride : (y+1)*stride]
		padRow(ext, vr, w, 3, r, modeNearest)
		clear(a2)
		c := ext[r*3 : r*3+stride]
		symTaps(a2, c, k, func(j int) ([]float32, []float32) { return ext[(r-j)*3:], ext[(r+j)*3:] })
		a1 := acc[y*stride : (y+1)*stride]
		d := dst[y*stride : (y+1)*stride]
		s := src[y*stride : (y+1)*stride]
		addTrunc(d, vr, a2, a1, func(i int) { d[i] = flat[s[i]] })
	}
}

// gaussFlat returns, for every byte v, the byte SciPy's two-pass float64 Gaussian
// filter gives for a constant image of value v/255 (then scaled by 255, clipped when
// clip is set, and truncated): usually v, sometimes v−1.
func gaussFlat(k []float64, clip bool) *[256]uint8 {
	var t [256]uint8
	for v := range t {
		c := float64(v) / 255
		for pass := 0; pass < 2; pass++ {
			o := float64(c * k[0])
			for j := len(k) - 1; j >= 1; j-- {
				o += float64((c + c) * k[j])
			}
			c = o
		}
		if clip {
			c = clip01(c)
		}
		t[v] = trunc8(c * 255)
	}
	return &t
}

// gaussPlan is a Gaussian kernel in both precisions with its flat-image table.
type gaussPlan struct {
	k64  []float64
	k32  []float32
	flat *[256]uint8
}

var gaussPlans cache[[2]float64, *gaussPlan]

// gaussPlanFor returns the plan of σ truncated at truncate·σ.
func gaussPlanFor(sigma, truncate float64) *gaussPlan {
	return gaussPlans.get([2]float64{sigma, truncate}, func() *gaussPlan {
		k := gaussKernel(sigma, gaussRadius(sigma, truncate))
		return &gaussPlan{k64: k, k32: kernel32(k), flat: gaussFlat(k, true)}
	})
}

// symTaps adds Σ_{j=r..1} k[j]·((x₋ⱼ − c) + (xⱼ − c)) to acc, four taps per pass; pair
// returns the slices holding x₋ⱼ and xⱼ.
func symTaps(acc, c []float32, k []float32, pair func(j int) ([]float32, []float32)) {
	j := len(k) - 1
	for ; j >= 4; j -= 4 {
		var xs, ys [4][]float32
		var ws [4]float32
		for q := 0; q < 4; q++ {
			xs[q], ys[q] = pair(j - q)
			ws[q] = k[j-q]
		}
		symDiff4(acc, c, &xs, &ys, &ws)
	}
	for ; j >= 1; j-- {
		a, b := pair(j)
		symDiff(acc, a, b, c, k[j])
	}
}
