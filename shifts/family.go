package shifts

import (
	"math"
)

// This file holds what the lighting and style families share: the severity presets'
// plumbing (every family transform has a table of five parameter sets, one per severity,
// and any parameter set explicitly overrides its table value), the sRGB transfer
// functions, luma and the float planes the spatial filters work on.

// severityIndex returns the 0-based row of a severity table for v's severity
// (default 3, clamped to 1..5).
func severityIndex(v Values) int {
	s := int(v.Or("severity", 3))
	return min(max(s, 1), 5) - 1
}

// setFloat overwrites *dst with v[name] when the user set it.
func setFloat(v Values, name string, dst *float64) {
	if x, ok := v[name]; ok {
		*dst = x
	}
}

// setInt overwrites *dst with v[name] when the user set it.
func setInt(v Values, name string, dst *int) {
	if x, ok := v[name]; ok {
		*dst = int(x)
	}
}

// severityParam describes a parameter whose value comes from the severity table unless
// set; BySeverity holds the five table values (at severities 1..5).
func severityParam(name string, t ParamType, lo, hi float64, doc string, at func(i int) float64) Param {
	vals := make([]float64, 5)
	for i := range vals {
		vals[i] = at(i)
	}
	return Param{Name: name, Type: t, Min: lo, Max: hi, Doc: doc, BySeverity: vals}
}

// withDefault returns a copy of p with another default.
func withDefault(p Param, def any) Param {
	p.Default = def
	return p
}

// round8 rounds x (on the 0..255 scale) half to even and clamps it onto 0..255, the
// quantisation every family transform uses for its output.
func round8(x float64) uint8 { return clamp8(math.RoundToEven(x)) }

// srgbToLinear is the IEC 61966-2-1 sRGB decoding function on [0, 1].
func srgbToLinear(c float64) float64 {
	if c <= 0.04045 {
		return c / 12.92
	}
	return math.Pow((c+0.055)/1.055, 2.4)
}

// linearToSRGB is the IEC 61966-2-1 sRGB encoding function on [0, 1].
func linearToSRGB(l float64) float64 {
	if l <= 0.0031308 {
		return 12.92 * l
	}
	return 1.055*math.Pow(l, 1/2.4) - 0.055
}

// Luma weights (ITU-R BT.601, as PIL's "L" mode and torchvision's rgb_to_grayscale):
// Y = 0.299·R + 0.587·G + 0.114·B.
const (
	lumaR = 0.299
	lumaG = 0.587
	lumaB = 0.114
)

// lumaLUT holds the three luma terms for every byte value, so that
// Y = lumaLUT[0][R] + lumaLUT[1][G] + lumaLUT[2][B] on the 0..255 scale (summed in that
// order, the same float64 operations as (0.299·R + 0.587·G) + 0.114·B).
var lumaLUT = func() (t [3][256]float64) {
	for v := range 256 {
		t[0][v] = lumaR * float64(v)
		t[1][v] = lumaG * float64(v)
		t[2][v] = lumaB * float64(v)
	}
	return t
}()

// lumaPlane returns the luma of every pixel of img on the 0..1 scale, row-major, w·h
// values.
func lumaPlane(pix []uint8, stride, w, h int) []float64 {
	out := make([]float64, w*h)
	for y := range h {
		row := pix[y*stride : y*stride+w*4]
		o := out[y*w : y*w+w]
		for x := range o {
			i := x * 4
			o[x] = (lumaLUT[0][row[i]] + lumaLUT[1][row[i+1]] + lumaLUT[2][row[i+2]]) / 255
		}
	}
	return out
}

// gaussKernel returns the normalised 1-D Gaussian weights exp(−k²/(2σ²)), k = −r..r,
// with r = ceil(3σ). σ ≤ 0 gives the one-tap identity kernel.
func gaussKernel(sigma float64) []float64 {
	if sigma <= 0 {
		return []float64{1}
	}
	r := int(math.Ceil(3 * sigma))
	k := make([]float64, 2*r+1)
	var sum float64
	for i := range k {
		d := float64(i - r)
		k[i] = math.Exp(-d * d / (2 * sigma * sigma))
		sum += k[i]
	}
	for i := range k {
		k[i] /= sum
	}
	return k
}

// blurPlane convolves the w×h plane p with the separable Gaussian of standard deviation
// sigma, replicating edge values beyond the border (scipy's "nearest"). It returns a new
// plane; sigma ≤ 0 returns a copy.
func blurPlane(p []float64, w, h int, sigma float64) []float64 {
	k := gaussKernel(sigma)
	r := len(k) / 2
	out := make([]float64, w*h)
	if r == 0 {
		copy(out, p)
		return out
	}
	// Horizontal pass through a padded row so the inner loop has no bounds logic.
	tmp := make([]float64, w*h)
	pad := make([]float64, w+2*r)
	for y := range h {
		row := p[y*w : y*w+w]
		for i := range r {
			pad[i] = row[0]
			pad[r+w+i] = row[w-1]
		}
		copy(pad[r:], row)
		dst := tmp[y*w : y*w+w]
		for x := range dst {
			win := pad[x : x+len(k)]
			var acc float64
			for j, kj := range k {
				acc += kj * win[j]
			}
			dst[x] = acc
		}
	}
	// Vertical pass, row by row (row-major, cache friendly), rows clamped at the edges.
	for y := range h {
		dst := out[y*w : y*w+w]
		for j, kj := range k {
			yy := min(max(y+j-r, 0), h-1)
			src := tmp[yy*w : yy*w+w]
			for x, s := range src {
				dst[x] += kj * s
			}
		}
	}
	return out
}

// sobelPlane returns the Sobel gradient magnitude of the w×h plane p divided by 4, so a
// unit step gives 1 and values lie in [0, √2] for p in [0, 1]. Edge values are
// replicated beyond the border.
func sobelPlane(p []float64, w, h int) []float64 {
	out := make([]float64, w*h)
	for y := range h {
		up := p[max(y-1, 0)*w:][:w]
		mid := p[y*w:][:w]
		dn := p[min(y+1, h-1)*w:][:w]
		o := out[y*w : y*w+w]
		for x := range o {
			xl, xr := max(x-1, 0), min(x+1, w-1)
			gx := (up[xr] + 2*mid[xr] + dn[xr]) - (up[xl] + 2*mid[xl] + dn[xl])
			gy := (dn[xl] + 2*dn[x] + dn[xr]) - (up[xl] + 2*up[x] + up[xr])
			o[x] = math.Sqrt(gx*gx+gy*gy) / 4
		}
	}
	return out
}

// levelLUT maps a byte onto n evenly spaced levels (n in 2..256):
// q = round(v·(n−1)/255), v' = round(q·255/(n−1)), both rounding half to even.
// n = 256 is the identity.
func levelLUT(n int) (t [256]uint8) {
	n = min(max(n, 2), 256)
	s := float64(n - 1)
	for v := range 256 {
		q := math.RoundToEven(float64(v) * s / 255)
		t[v] = round8(q * 255 / s)
	}
	return t
}
