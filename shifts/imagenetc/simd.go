package imagenetc

// The float32 vector primitives the separable filters, motion blur and zoom blur are
// built on. On amd64 with AVX2 they run eight lanes at a time in assembly; elsewhere
// (and with the purego build tag) the Go loops below run. Both perform exactly the
// same IEEE operations in the same order (no fused multiply-add: the explicit
// float32 conversions forbid fusion), so results are bit-identical on every platform.
// Every primitive works on len(dst) elements; the other slices must be at least as
// long.

// axpy computes dst[i] += a·x[i].
func axpy(dst, x []float32, a float32) {
	x = x[:len(dst)]
	if useAVX2 && len(dst) >= 8 {
		axpyAVX2(dst, x, a)
		return
	}
	axpyGo(dst, x, a)
}

// axpyDiff computes dst[i] += a·(x[i] − c[i]).
func axpyDiff(dst, x, c []float32, a float32) {
	x, c = x[:len(dst)], c[:len(dst)]
	if useAVX2 && len(dst) >= 8 {
		axpyDiffAVX2(dst, x, c, a)
		return
	}
	axpyDiffGo(dst, x, c, a)
}

// symDiff computes dst[i] += a·((x[i] − c[i]) + (y[i] − c[i])).
func symDiff(dst, x, y, c []float32, a float32) {
	x, y, c = x[:len(dst)], y[:len(dst)], c[:len(dst)]
	if useAVX2 && len(dst) >= 8 {
		symDiffAVX2(dst, x, y, c, a)
		return
	}
	symDiffGo(dst, x, y, c, a)
}

// lerpAdd computes dst[i] += x[i] + t·(y[i] − x[i]).
func lerpAdd(dst, x, y []float32, t float32) {
	x, y = x[:len(dst)], y[:len(dst)]
	if useAVX2 && len(dst) >= 8 {
		lerpAddAVX2(dst, x, y, t)
		return
	}
	lerpAddGo(dst, x, y, t)
}

func axpyGo(dst, x []float32, a float32) {
	x = x[:len(dst)]
	for i := range dst {
		dst[i] += float32(a * x[i])
	}
}

func axpyDiffGo(dst, x, c []float32, a float32) {
	x, c = x[:len(dst)], c[:len(dst)]
	for i := range dst {
		dst[i] += float32(a * float32(x[i]-c[i]))
	}
}

func symDiffGo(dst, x, y, c []float32, a float32) {
	x, y, c = x[:len(dst)], y[:len(dst)], c[:len(dst)]
	for i := range dst {
		dst[i] += float32(a * float32(float32(x[i]-c[i])+float32(y[i]-c[i])))
	}
}

func lerpAddGo(dst, x, y []float32, t float32) {
	x, y = x[:len(dst)], y[:len(dst)]
	for i := range dst {
		dst[i] += float32(x[i] + float32(t*float32(y[i]-x[i])))
	}
}

// axpyDiff4 is four axpyDiff calls in one pass, in order: for k = 0..3,
// dst[i] += w[k]·(x[k][i] − c[i]). Each x[k] must hold at least len(dst) values.
func axpyDiff4(dst, c []float32, x *[4][]float32, w *[4]float32) {
	c = c[:len(dst)]
	for k := range x {
		x[k] = x[k][:len(dst)]
	}
	if useAVX2 && len(dst) >= 8 {
		axpyDiff4AVX2(dst, c, &x[0][0], &x[1][0], &x[2][0], &x[3][0], w)
		return
	}
	axpyDiff4Go(dst, c, x, w)
}

// symDiff4 is four symDiff calls in one pass, in order: for k = 0..3,
// dst[i] += w[k]·((x[k][i] − c[i]) + (y[k][i] − c[i])).
func symDiff4(dst, c []float32, x, y *[4][]float32, w *[4]float32) {
	c = c[:len(dst)]
	for k := range x {
		x[k], y[k] = x[k][:len(dst)], y[k][:len(dst)]
	}
	if useAVX2 && len(dst) >= 8 {
		symDiff4AVX2(dst, c, &x[0][0], &x[1][0], &x[2][0], &x[3][0], &y[0][0], &y[1][0], &y[2][0], &y[3][0], w)
		return
	}
	symDiff4Go(dst, c, x, y, w)
}

func axpyDiff4Go(dst, c []float32, x *[4][]float32, w *[4]float32) {
	c = c[:len(dst)]
	x0, x1, x2, x3 := x[0][:len(dst)], x[1][:len(dst)], x[2][:len(dst)], x[3][:len(dst)]
	for i := range dst {
		t := dst[i]
		t += float32(w[0] * float32(x0[i]-c[i]))
		t += float32(w[1] * float32(x1[i]-c[i]))
		t += float32(w[2] * float32(x2[i]-c[i]))
		t += float32(w[3] * float32(x3[i]-c[i]))
		dst[i] = t
	}
}

func symDiff4Go(dst, c []float32, x, y *[4][]float32, w *[4]float32) {
	c = c[:len(dst)]
	for i := range dst {
		t := dst[i]
		for k := 0; k < 4; k++ {
			t += float32(w[k] * float32(float32(x[k][i]-c[i])+float32(y[k][i]-c[i])))
		}
		dst[i] = t
	}
}

// axpy64 computes dst[i] += a·x[i] in float64.
func axpy64(dst, x []float64, a float64) {
	x = x[:len(dst)]
	if useAVX2 && len(dst) >= 4 {
		axpy64AVX2(dst, x, a)
		return
	}
	axpy64Go(dst, x, a)
}

// addSub computes dst[i] += x[i] − y[i] on uint64 lanes (wrapping).
func addSub(dst, x, y []uint64) {
	x, y = x[:len(dst)], y[:len(dst)]
	if useAVX2 && len(dst) >= 4 {
		addSubAVX2(dst, x, y)
		return
	}
	addSubGo(dst, x, y)
}

func axpy64Go(dst, x []float64, a float64) {
	x = x[:len(dst)]
	for i := range dst {
		dst[i] += float64(a * x[i])
	}
}

func addSubGo(dst, x, y []uint64) {
	x, y = x[:len(dst)], y[:len(dst)]
	for i := range dst {
		dst[i] += x[i] - y[i]
	}
}
