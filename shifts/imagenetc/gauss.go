package imagenetc

import "math"

// gaussKernel returns the right half (centre first) of SciPy's Gaussian kernel of
// standard deviation sigma truncated at radius: w_k ∝ exp(−0.5/σ²·k²), normalised by
// NumPy's pairwise sum so the weights match SciPy's bit for bit.
func gaussKernel(sigma float64, radius int) []float64 {
	n := 2*radius + 1
	phi := make([]float64, n)
	c := -0.5 / (sigma * sigma)
	for i := range phi {
		x := float64(i - radius)
		phi[i] = math.Exp(c * float64(x*x))
	}
	s := pairwiseSum(phi)
	w := make([]float64, radius+1)
	for k := range w {
		w[k] = phi[radius+k] / s
	}
	return w
}

// pairwiseSum is NumPy's pairwise summation of a contiguous float64 array (blocks of 8
// partial sums below 128 elements, halving above).
func pairwiseSum(a []float64) float64 {
	n := len(a)
	switch {
	case n < 8:
		s := 0.0
		for _, v := range a {
			s += v
		}
		return s
	case n <= 128:
		var r [8]float64
		copy(r[:], a[:8])
		i := 8
		for ; i < n-n%8; i += 8 {
			for j := 0; j < 8; j++ {
				r[j] += a[i+j]
			}
		}
		s := ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
		for ; i < n; i++ {
			s += a[i]
		}
		return s
	default:
		n2 := n / 2
		n2 -= n2 % 8
		return pairwiseSum(a[:n2]) + pairwiseSum(a[n2:])
	}
}

// gaussRadius is SciPy's kernel radius int(truncate·σ + 0.5).
func gaussRadius(sigma, truncate float64) int { return int(truncate*sigma + 0.5) }

// Border modes of the separable filters (SciPy's names).
const (
	modeNearest = iota // a a a | a b c d | d d d
	modeReflect        // c b a | a b c d | d c b
)

// borderIndex maps i (possibly outside [0, n)) to a sample index under mode.
func borderIndex(i, n, mode int) int {
	if mode == modeNearest {
		return max(0, min(i, n-1))
	}
	if n == 1 {
		return 0
	}
	period := 2 * n
	i %= period
	if i < 0 {
		i += period
	}
	if i >= n {
		i = period - 1 - i
	}
	return i
}

// sepFilter correlates an interleaved w×h×ch float64 image with the symmetric kernel
// k (k[0] the centre, k[j] at ±j) along axis 0 and then axis 1, in place, as SciPy's
// gaussian_filter does: each output is c·k0 + Σ_{j=r..1} (x₋ⱼ + xⱼ)·kⱼ, in that order,
// in float64. tmp must hold w·h·ch values.
func sepFilter(img, tmp []float64, w, h, ch int, k []float64, mode int) {
	r := len(k) - 1
	stride := w * ch
	// Axis 0: img → tmp, a row at a time.
	for y := 0; y < h; y++ {
		dst := tmp[y*stride : (y+1)*stride]
		c := img[y*stride : (y+1)*stride]
		for i := range dst {
			dst[i] = float64(c[i] * k[0])
		}
		for j := r; j >= 1; j-- {
			a := img[borderIndex(y-j, h, mode)*stride:][:stride]
			b := img[borderIndex(y+j, h, mode)*stride:][:stride]
			wj := k[j]
			for i := range dst {
				dst[i] += float64((a[i] + b[i]) * wj)
			}
		}
	}
	// Axis 1: tmp → img through a padded row buffer.
	ext := f64pool.get((w + 2*r) * ch)
	defer f64pool.put(ext)
	for y := 0; y < h; y++ {
		src := tmp[y*stride : (y+1)*stride]
		for x := -r; x < w+r; x++ {
			sx := borderIndex(x, w, mode)
			copy(ext[(x+r)*ch:(x+r+1)*ch], src[sx*ch:(sx+1)*ch])
		}
		dst := img[y*stride : (y+1)*stride]
		c := ext[r*ch : r*ch+stride]
		for i := range dst {
			dst[i] = float64(c[i] * k[0])
		}
		for j := r; j >= 1; j-- {
			a := ext[(r-j)*ch : (r-j)*ch+stride]
			b := ext[(r+j)*ch : (r+j)*ch+stride]
			wj := k[j]
			for i := range dst {
				dst[i] += float64((a[i] + b[i]) * wj)
			}
		}
	}
}
