package shifts

import (
	"errors"
	"fmt"
	"image"
	"math"
)

// The style-image family: out-of-support shifts toward a target domain the user shows
// with a folder of images (paintings, renditions, another camera's photos). Each shifted
// image draws one style image by its key (StyleSet.Pick) and records its name under
// "style_image". The shifts never read files: the caller decodes the images and hands
// them over in Env.Styles (pipeline loads `--style-images DIR`, or GeneratedStyles).
//
// Severity tables (severity 1..5; any parameter set explicitly overrides its table value):
//
//	fda              beta    0.01  0.03  0.05  0.07  0.09
//	histogram-match  amount  0.2   0.4   0.6   0.8   1      (default severity 5: full match)
//	colour-transfer  amount  0.2   0.4   0.6   0.8   1      (default severity 5: full transfer)

// StyleImage is one target-domain image the style-image shifts draw from.
type StyleImage struct {
	// Name identifies the image in records: its file name within the style folder, or
	// "generated/NAME" for a generated one.
	Name string `json:"name"`
	// SHA256 is the hex SHA-256 of the file it was decoded from (empty when generated).
	SHA256 string `json:"sha256,omitempty"`
	// Image holds the pixels: opaque, with bounds starting at (0, 0).
	Image *image.RGBA `json:"-"`
}

// StyleSet is the style images of one job, in a fixed order (a folder's files sorted by
// name). Its JSON form, which manifests record with the shift's parameters, names the
// source and every image. It is read-only once built and safe for concurrent use.
type StyleSet struct {
	// Source says where the images come from: the folder, or "generated:SEED".
	Source string `json:"source"`
	// Images are the style images.
	Images []StyleImage `json:"images"`
}

// Pick returns the style image drawn for the image keyed by k: index
// Rand().IntN(len(Images)) of the stream of k with "/style" appended to its purpose, so
// the draw depends only on (seed, split, index) and is the same for every style shift.
func (s *StyleSet) Pick(k Key) *StyleImage {
	k.Purpose += "/style"
	return &s.Images[k.Rand().IntN(len(s.Images))]
}

// errNoStyles is the refusal of a style-image shift built without style images.
var errNoStyles = errors.New("needs style images: pass --style-images DIR, a folder of target-domain images (paintings, renditions, another camera's photos), or --style-images generated for shiftgen's generated ones")

// styleSet returns env's style images or the refusal naming the flag.
func styleSet(name string, env Env) (*StyleSet, error) {
	if env.Styles == nil || len(env.Styles.Images) == 0 {
		return nil, fmt.Errorf("%s %w", name, errNoStyles)
	}
	return env.Styles, nil
}

// styleImageTransforms lists the out-of-support style-image family.
func styleImageTransforms() []TransformEntry {
	const from = " (style images from --style-images DIR; generated ones with the embedded sample or --style-images generated)"
	return []TransformEntry{
		{
			Name:        "fda",
			NeedsStyles: true,
			Description: "Fourier domain adaptation (Yang & Soatto 2020): the low-frequency amplitude spectrum of a style image, the source's phase" + from,
			Params: []Param{Severity,
				severityParam("beta", Float, 0, 0.5, "band size β: amplitudes of frequencies up to ⌊β·min(w, h)⌋ in both axes come from the style image (0 swaps the mean only)", func(i int) float64 { return FDASeverities[i].Beta }),
			},
			New: func(v Values, env Env) (Transform, error) {
				s, err := styleSet("fda", env)
				if err != nil {
					return nil, err
				}
				t := FDASeverities[severityIndex(v)]
				setFloat(v, "beta", &t.Beta)
				t.Styles = s
				return t, nil
			},
		},
		{
			Name:        "histogram-match",
			NeedsStyles: true,
			Description: "histogram matching: every channel's histogram mapped onto a style image's (full match at the default severity 5)" + from,
			Params: []Param{withDefault(Severity, 5),
				severityParam("amount", Float, 0, 1, "blend toward the matched image: x' = (1-amount)·x + amount·match(x); 0 is the identity", func(i int) float64 { return HistogramMatchSeverities[i].Amount }),
			},
			New: func(v Values, env Env) (Transform, error) {
				s, err := styleSet("histogram-match", env)
				if err != nil {
					return nil, err
				}
				t := HistogramMatchSeverities[severityIndex(v)]
				setFloat(v, "amount", &t.Amount)
				t.Styles = s
				return t, nil
			},
		},
		{
			Name:        "colour-transfer",
			NeedsStyles: true,
			Description: "colour transfer (Reinhard et al. 2001): mean and spread of a style image's colours in lαβ space (full transfer at the default severity 5)" + from,
			Params: []Param{withDefault(Severity, 5),
				severityParam("amount", Float, 0, 1, "blend toward the transferred image: x' = (1-amount)·x + amount·transfer(x); 0 is the identity", func(i int) float64 { return ColourTransferSeverities[i].Amount }),
			},
			New: func(v Values, env Env) (Transform, error) {
				s, err := styleSet("colour-transfer", env)
				if err != nil {
					return nil, err
				}
				t := ColourTransferSeverities[severityIndex(v)]
				setFloat(v, "amount", &t.Amount)
				t.Styles = s
				return t, nil
			},
		},
	}
}

// FDA is Fourier domain adaptation (Yang and Soatto, CVPR 2020): the image keeps the
// phase of its spectrum, which carries its content, and takes the low-frequency amplitude
// of a style image, which carries its overall colour and illumination.
//
// The style image drawn for the image (StyleSet.Pick) is first fitted to the image's
// w×h size (scaled to cover it and centre-cropped, see fitCover). Per channel, with S
// and T the 2-D discrete Fourier transforms of the image and the fitted style on the
// 0..255 scale, and b = ⌊Beta·min(w, h)⌋, every frequency (f_y, f_x) with |f_y| ≤ b and
// |f_x| ≤ b (signed, i.e. the centred (2b+1)×(2b+1) square of the shifted spectrum)
// gets S' = |T|·S/|S| (|T| when S = 0); the others keep S. The output is the inverse
// transform's real part, clamped to [0, 255] and rounded half to even. Only the band
// changes, so the transforms are computed as sums over it (cost proportional to w·h·b).
// It records the style image and β. It is safe for concurrent use.
type FDA struct {
	// Severity is the table row the other fields came from (informational).
	Severity int `json:"severity,omitempty"`
	// Beta in [0, 0.5] sets the band's half-width b = ⌊Beta·min(w, h)⌋.
	Beta float64 `json:"beta"`
	// Styles are the style images (required).
	Styles *StyleSet `json:"styles"`
}

// FDASeverities holds FDA's β at severities 1..5 (the paper uses 0.01 to 0.09).
var FDASeverities = [5]FDA{
	{Severity: 1, Beta: 0.01}, {Severity: 2, Beta: 0.03}, {Severity: 3, Beta: 0.05},
	{Severity: 4, Beta: 0.07}, {Severity: 5, Beta: 0.09},
}

// Record returns the style image drawn for the image keyed by k, and β.
func (t FDA) Record(k Key) map[string]any {
	return map[string]any{"style_image": t.Styles.Pick(k).Name, "beta": t.Beta}
}

// Apply adapts img to its style image, in place.
func (t FDA) Apply(img *image.RGBA, k Key) *image.RGBA {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	if w == 0 || h == 0 {
		return img
	}
	planes := fdaPlanes(img, fitCover(t.Styles.Pick(k).Image, w, h), t.Beta)
	for c, p := range planes {
		for y := range h {
			row := img.Pix[y*img.Stride : y*img.Stride+w*4]
			for x := range w {
				row[x*4+c] = round8(p[y*w+x])
			}
		}
	}
	return img
}

// fdaPlanes returns FDA's unrounded output channels (row-major, 0..255 scale) for img
// and a style of the same size.
func fdaPlanes(img, style *image.RGBA, beta float64) [3][]float64 {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	b := int(math.Floor(beta * float64(min(w, h))))
	fx, fy := bandIndices(b, w), bandIndices(b, h)
	cw, sw := twiddles(w)
	ch, shh := twiddles(h)
	var planes [3][]float64
	sty := make([]float64, w*h)
	for c := range 3 {
		src := make([]float64, w*h)
		for y := range h {
			row := img.Pix[y*img.Stride : y*img.Stride+w*4]
			for x := range w {
				src[y*w+x] = float64(row[x*4+c])
				sty[y*w+x] = float64(style.Pix[y*style.Stride+x*4+c])
			}
		}
		S := bandDFT(src, w, h, fx, fy, cw, sw, ch, shh)
		T := bandDFT(sty, w, h, fx, fy, cw, sw, ch, shh)
		// The change of the spectrum on the band.
		d := make([]complex128, len(S))
		for i, s := range S {
			a := math.Hypot(real(T[i]), imag(T[i]))
			if m := math.Hypot(real(s), imag(s)); m > 0 {
				d[i] = complex(a/m, 0)*s - s
			} else {
				d[i] = complex(a, 0)
			}
		}
		addInverseBand(src, d, w, h, fx, fy, cw, sw, ch, shh)
		planes[c] = src
	}
	return planes
}

// bandIndices returns the distinct indices f mod n of the signed frequencies −b..b, in
// that order.
func bandIndices(b, n int) []int {
	var out []int
	seen := map[int]bool{}
	for f := -b; f <= b; f++ {
		i := ((f % n) + n) % n
		if !seen[i] {
			seen[i] = true
			out = append(out, i)
		}
	}
	return out
}

// twiddles returns cos(2πj/n) and sin(2πj/n) for j = 0..n−1.
func twiddles(n int) ([]float64, []float64) {
	c, s := make([]float64, n), make([]float64, n)
	for j := range n {
		s[j], c[j] = math.Sincos(2 * math.Pi * float64(j) / float64(n))
	}
	return c, s
}

// bandDFT returns the DFT coefficients X(f_y, f_x) = Σ p(y, x)·e^(−2πi(f_y·y/h + f_x·x/w))
// of the w×h plane p at the band's indices, row-major over fy then fx.
func bandDFT(p []float64, w, h int, fx, fy []int, cw, sw, ch, sh []float64) []complex128 {
	// Rows first: R(y, f_x) = Σ_x p(y, x)·e^(−2πi·f_x·x/w).
	nx := len(fx)
	rr := make([]float64, h*nx)
	ri := make([]float64, h*nx)
	for y := range h {
		row := p[y*w : y*w+w]
		for j, f := range fx {
			var re, im float64
			idx := 0
			for _, v := range row {
				re += v * cw[idx]
				im -= v * sw[idx]
				if idx += f; idx >= w {
					idx -= w
				}
			}
			rr[y*nx+j], ri[y*nx+j] = re, im
		}
	}
	out := make([]complex128, len(fy)*nx)
	for i, f := range fy {
		for j := range nx {
			var re, im float64
			idx := 0
			for y := range h {
				a, b := rr[y*nx+j], ri[y*nx+j]
				c, s := ch[idx], -sh[idx]
				re += a*c - b*s
				im += a*s + b*c
				if idx += f; idx >= h {
					idx -= h
				}
			}
			out[i*nx+j] = complex(re, im)
		}
	}
	return out
}

// addInverseBand adds to the w×h plane p the real part of the inverse DFT of the
// spectrum that is d on the band and 0 elsewhere:
// p(y, x) += Re Σ d(f_y, f_x)·e^(2πi(f_y·y/h + f_x·x/w)) / (w·h).
func addInverseBand(p []float64, d []complex128, w, h int, fx, fy []int, cw, sw, ch, sh []float64) {
	nx, ny := len(fx), len(fy)
	// G(f_y, x) = Σ_fx d(f_y, f_x)·e^(2πi·f_x·x/w).
	gr := make([]float64, ny*w)
	gi := make([]float64, ny*w)
	for i := range ny {
		for j, f := range fx {
			a, b := real(d[i*nx+j]), imag(d[i*nx+j])
			if a == 0 && b == 0 {
				continue
			}
			idx := 0
			for x := range w {
				c, s := cw[idx], sw[idx]
				gr[i*w+x] += a*c - b*s
				gi[i*w+x] += a*s + b*c
				if idx += f; idx >= w {
					idx -= w
				}
			}
		}
	}
	scale := 1 / float64(w*h)
	for i, f := range fy {
		idx := 0
		for y := range h {
			c, s := ch[idx]*scale, sh[idx]*scale
			row := p[y*w : y*w+w]
			g1, g2 := gr[i*w:i*w+w], gi[i*w:i*w+w]
			for x := range row {
				row[x] += g1[x]*c - g2[x]*s
			}
			if idx += f; idx >= h {
				idx -= h
			}
		}
	}
}

// fitCover returns src scaled by s = max(w/W, h/H) (W×H its size) so that it covers
// w×h, then centre-cropped to w×h: output pixel (x, y) samples the scaled image at
// ((x + ½ + ⌊(sW − w)/2⌋)/s − ½, (y + ½ + ⌊(sH − h)/2⌋)/s − ½) in source pixels with a
// separable triangle filter of half-width max(1, 1/s) (antialiased when shrinking; see
// triangleTaps), rounded half to even. This is PIL's bilinear resize of the box
// (⌊(sW − w)/2⌋/s, ⌊(sH − h)/2⌋/s, …) to w×h, but with no rounding between the two
// passes. An image already w×h is returned as is.
func fitCover(src *image.RGBA, w, h int) *image.RGBA {
	sw, sh := src.Rect.Dx(), src.Rect.Dy()
	if sw == w && sh == h {
		return src
	}
	s := max(float64(w)/float64(sw), float64(h)/float64(sh))
	ox := math.Floor((s*float64(sw) - float64(w)) / 2)
	oy := math.Floor((s*float64(sh) - float64(h)) / 2)
	kx := triangleTaps(w, sw, s, ox)
	ky := triangleTaps(h, sh, s, oy)
	// Horizontal pass into sh×w floats per channel, then vertical.
	tmp := make([]float64, sh*w*3)
	for y := range sh {
		row := src.Pix[y*src.Stride : y*src.Stride+sw*4]
		for x, k := range kx {
			var acc [3]float64
			for j, wt := range k.w {
				q := (k.lo + j) * 4
				acc[0] += wt * float64(row[q])
				acc[1] += wt * float64(row[q+1])
				acc[2] += wt * float64(row[q+2])
			}
			copy(tmp[(y*w+x)*3:], acc[:])
		}
	}
	out := image.NewRGBA(image.Rect(0, 0, w, h))
	for y, k := range ky {
		row := out.Pix[y*out.Stride : y*out.Stride+w*4]
		for x := range w {
			var acc [3]float64
			for j, wt := range k.w {
				q := ((k.lo+j)*w + x) * 3
				acc[0] += wt * tmp[q]
				acc[1] += wt * tmp[q+1]
				acc[2] += wt * tmp[q+2]
			}
			row[x*4], row[x*4+1], row[x*4+2], row[x*4+3] = round8(acc[0]), round8(acc[1]), round8(acc[2]), 255
		}
	}
	return out
}

// taps are one output sample's filter weights over source pixels lo, lo+1, ...
type taps struct {
	lo int
	w  []float64
}

// triangleTaps returns the triangle-filter taps of n output samples over a source axis
// of m pixels scaled by s and offset by off output pixels: sample i is centred at
// c = (i + ½ + off)/s − ½ and weighs pixel j by max(0, 1 − |j − c|/support), support =
// max(1, 1/s); pixels beyond the axis are left out and the weights renormalised (as
// PIL's resampling does).
func triangleTaps(n, m int, s, off float64) []taps {
	support := max(1, 1/s)
	out := make([]taps, n)
	for i := range out {
		c := (float64(i)+0.5+off)/s - 0.5
		lo := max(int(math.Ceil(c-support)), 0)
		hi := min(int(math.Floor(c+support)), m-1)
		var k taps
		var sum float64
		for j := lo; j <= hi; j++ {
			wt := 1 - math.Abs(float64(j)-c)/support
			if wt <= 0 {
				if len(k.w) == 0 {
					continue
				}
				wt = 0
			}
			if len(k.w) == 0 {
				k.lo = j
			}
			k.w = append(k.w, wt)
			sum += wt
		}
		if sum == 0 { // only when c lies beyond the axis: take the nearest pixel
			k = taps{lo: min(max(int(math.Round(c)), 0), m-1), w: []float64{1}}
			sum = 1
		}
		for j := range k.w {
			k.w[j] /= sum
		}
		out[i] = k
	}
	return out
}

// HistogramMatch maps every channel's histogram onto that of a style image, as
// histogram specification (and scikit-image's match_histograms) does. For a channel,
// with F(v) the fraction of the image's pixels whose value is at most v, and t_1 < … <
// t_m the values the style image takes with G(t_j) the fraction of its pixels at most
// t_j, the matched value of v is the linear interpolation of (G(t_j), t_j) at F(v),
// taking t_1 below G(t_1) and t_m above (NumPy's interp). The output is
// round((1 − Amount)·v + Amount·match(v)), half to even. The whole style image drawn
// (StyleSet.Pick) serves, whatever its size. It records the style image. Amount 0 is the
// identity. It is safe for concurrent use.
type HistogramMatch struct {
	// Severity is the table row the other fields came from (informational).
	Severity int `json:"severity,omitempty"`
	// Amount in [0, 1] is the blend toward the matched image.
	Amount float64 `json:"amount"`
	// Styles are the style images (required).
	Styles *StyleSet `json:"styles"`
}

// HistogramMatchSeverities holds HistogramMatch's parameters at severities 1..5.
var HistogramMatchSeverities = [5]HistogramMatch{
	{Severity: 1, Amount: 0.2}, {Severity: 2, Amount: 0.4}, {Severity: 3, Amount: 0.6},
	{Severity: 4, Amount: 0.8}, {Severity: 5, Amount: 1},
}

// Record returns the style image drawn for the image keyed by k.
func (t HistogramMatch) Record(k Key) map[string]any {
	return map[string]any{"style_image": t.Styles.Pick(k).Name}
}

// Apply matches img's histograms to its style image's, in place.
func (t HistogramMatch) Apply(img *image.RGBA, k Key) *image.RGBA {
	st := t.Styles.Pick(k).Image
	src, sty := channelCounts(img), channelCounts(st)
	var lut [3][256]uint8
	for c := range 3 {
		m := matchCounts(&src[c], &sty[c])
		for v := range 256 {
			lut[c][v] = round8((1-t.Amount)*float64(v) + t.Amount*m[v])
		}
	}
	ApplyLUT(img, &lut)
	return img
}

// channelCounts returns the histogram of each channel of img.
func channelCounts(img *image.RGBA) (n [3][256]int64) {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	for y := range h {
		row := img.Pix[y*img.Stride : y*img.Stride+w*4]
		for i := 0; i+3 < len(row); i += 4 {
			n[0][row[i]]++
			n[1][row[i+1]]++
			n[2][row[i+2]]++
		}
	}
	return n
}

// matchCounts returns, for every byte value, the style value at the image's quantile of
// it (see HistogramMatch).
func matchCounts(src, sty *[256]int64) (m [256]float64) {
	var ns, nt int64
	for v := range 256 {
		ns += src[v]
		nt += sty[v]
	}
	if ns == 0 || nt == 0 {
		for v := range m {
			m[v] = float64(v)
		}
		return m
	}
	var xp, fp []float64
	var acc int64
	for v := range 256 {
		if sty[v] > 0 {
			acc += sty[v]
			xp = append(xp, float64(acc)/float64(nt))
			fp = append(fp, float64(v))
		}
	}
	acc = 0
	for v := range 256 {
		acc += src[v]
		m[v] = interp(float64(acc)/float64(ns), xp, fp)
	}
	return m
}

// interp is NumPy's interp for one point: the piecewise-linear interpolation of
// (xp, fp) at x, with xp increasing, fp[0] below xp[0] and the last fp above the last xp.
func interp(x float64, xp, fp []float64) float64 {
	n := len(xp)
	if x <= xp[0] {
		return fp[0]
	}
	if x >= xp[n-1] {
		return fp[n-1]
	}
	lo, hi := 0, n-1
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		if xp[mid] <= x {
			lo = mid
		} else {
			hi = mid
		}
	}
	if x == xp[lo] {
		return fp[lo]
	}
	return fp[lo] + (x-xp[lo])*(fp[hi]-fp[lo])/(xp[hi]-xp[lo])
}

// ColourTransfer gives an image the colour statistics of a style image (Reinhard,
// Ashikhmin, Gooch and Shirley 2001). Colours go to the decorrelated lαβ space: with
// RGB on [0, 1] (each byte first raised to at least 1, so logarithms are finite),
//
//	LMS = M·RGB,  M = [0.3811 0.5783 0.0402; 0.1967 0.7244 0.0782; 0.0241 0.1288 0.8444]
//	(l, α, β) = (Σ/√3, (L' + M' − 2S')/√6, (L' − M')/√2) of (L', M', S') = log10 LMS
//
// Each of l, α and β is then shifted and scaled from the image's mean and standard
// deviation (over all its pixels) to the style image's: x' = (x − μ)·σ_style/σ + μ_style
// (σ = 0 keeps the spread). Back through the inverse maps (10^x, then
// [4.4679 −3.5873 0.1193; −1.2186 2.3809 −0.1624; 0.0497 −0.2439 1.2045]), the result r
// is blended: x' = (1 − Amount)·x + Amount·255·r per channel, clamped to [0, 255] and
// rounded half to even. It records the style image. Amount 0 is the identity. It is safe
// for concurrent use.
type ColourTransfer struct {
	// Severity is the table row the other fields came from (informational).
	Severity int `json:"severity,omitempty"`
	// Amount in [0, 1] is the blend toward the transferred image.
	Amount float64 `json:"amount"`
	// Styles are the style images (required).
	Styles *StyleSet `json:"styles"`
}

// ColourTransferSeverities holds ColourTransfer's parameters at severities 1..5.
var ColourTransferSeverities = [5]ColourTransfer{
	{Severity: 1, Amount: 0.2}, {Severity: 2, Amount: 0.4}, {Severity: 3, Amount: 0.6},
	{Severity: 4, Amount: 0.8}, {Severity: 5, Amount: 1},
}

// Record returns the style image drawn for the image keyed by k.
func (t ColourTransfer) Record(k Key) map[string]any {
	return map[string]any{"style_image": t.Styles.Pick(k).Name}
}

// Reinhard et al.'s RGB→LMS matrix and its inverse, as published.
var (
	rgbToLMS = [3][3]float64{{0.3811, 0.5783, 0.0402}, {0.1967, 0.7244, 0.0782}, {0.0241, 0.1288, 0.8444}}
	lmsToRGB = [3][3]float64{{4.4679, -3.5873, 0.1193}, {-1.2186, 2.3809, -0.1624}, {0.0497, -0.2439, 1.2045}}
)

// lab returns the lαβ coordinates of a pixel.
func lab(r, g, b uint8) [3]float64 {
	c := [3]float64{float64(max(r, 1)) / 255, float64(max(g, 1)) / 255, float64(max(b, 1)) / 255}
	var l [3]float64
	for i := range 3 {
		l[i] = math.Log10(rgbToLMS[i][0]*c[0] + rgbToLMS[i][1]*c[1] + rgbToLMS[i][2]*c[2])
	}
	return [3]float64{
		(l[0] + l[1] + l[2]) / math.Sqrt(3),
		(l[0] + l[1] - 2*l[2]) / math.Sqrt(6),
		(l[0] - l[1]) / math.Sqrt(2),
	}
}

// unlab returns the RGB (on [0, 1], unclamped) of lαβ coordinates.
func unlab(p [3]float64) [3]float64 {
	a, b, c := p[0]/math.Sqrt(3), p[1]/math.Sqrt(6), p[2]/math.Sqrt(2)
	l := [3]float64{math.Pow(10, a+b+c), math.Pow(10, a+b-c), math.Pow(10, a-2*b)}
	var rgb [3]float64
	for i := range 3 {
		rgb[i] = lmsToRGB[i][0]*l[0] + lmsToRGB[i][1]*l[1] + lmsToRGB[i][2]*l[2]
	}
	return rgb
}

// labStats returns the per-coordinate mean and population standard deviation of img's
// lαβ values, and the values themselves (row-major).
func labStats(img *image.RGBA) (mean, sd [3]float64, vals [][3]float64) {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	vals = make([][3]float64, 0, w*h)
	for y := range h {
		row := img.Pix[y*img.Stride : y*img.Stride+w*4]
		for i := 0; i+3 < len(row); i += 4 {
			vals = append(vals, lab(row[i], row[i+1], row[i+2]))
		}
	}
	n := float64(len(vals))
	if n == 0 {
		return mean, sd, vals
	}
	for _, v := range vals {
		for c := range 3 {
			mean[c] += v[c]
		}
	}
	for c := range 3 {
		mean[c] /= n
	}
	for _, v := range vals {
		for c := range 3 {
			d := v[c] - mean[c]
			sd[c] += d * d
		}
	}
	for c := range 3 {
		sd[c] = math.Sqrt(sd[c] / n)
	}
	return mean, sd, vals
}

// Apply transfers the style image's colour statistics to img, in place.
func (t ColourTransfer) Apply(img *image.RGBA, k Key) *image.RGBA {
	ms, ss, vals := labStats(img)
	mt, st, _ := labStats(t.Styles.Pick(k).Image)
	if len(vals) == 0 {
		return img
	}
	var scale [3]float64
	for c := range 3 {
		scale[c] = 1
		if ss[c] > 0 {
			scale[c] = st[c] / ss[c]
		}
	}
	w, h := img.Rect.Dx(), img.Rect.Dy()
	i := 0
	for y := range h {
		row := img.Pix[y*img.Stride : y*img.Stride+w*4]
		for x := range w {
			v := vals[i]
			i++
			for c := range 3 {
				v[c] = (v[c]-ms[c])*scale[c] + mt[c]
			}
			r := unlab(v)
			for c := range 3 {
				o := (1-t.Amount)*float64(row[x*4+c]) + t.Amount*255*r[c]
				row[x*4+c] = round8(o)
			}
		}
	}
	return img
}
