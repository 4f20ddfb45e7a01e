package shifts

import (
	"fmt"
	"image"
	"math"
)

// The style family: out-of-support changes of rendering (drawings, paintings, print).
// Luma is Y = 0.299·R + 0.587·G + 0.114·B (BT.601). Spatial filters replicate edge pixels
// beyond the border; Gaussian blurs are separable with radius ceil(3σ). Outputs are
// rounded half to even onto 0..255. None of them draws random numbers. The style-image
// shifts (fda, histogram-match, colour-transfer) are in style_images.go.
//
// Severity tables (severity 1..5; any parameter set explicitly overrides its table value):
//
//	grayscale   amount          0.2   0.4   0.6   0.8   1      (default severity 5: fully grey)
//	sketch      sigma           1     2     3     4     6
//	            gamma           1     1.3   1.6   2     2.5
//	posterize   levels          16    10    7     5     4
//	edge-map    sigma           0.5   1     1.5   2     3
//	            gain            3     4     5     6     8      (invert false at every severity)
//	cartoon     passes          2     3     4     5     6
//	            sigma_color     0.08  0.09  0.1   0.11  0.12
//	            colors          24    16    12    9     6
//	            line            0.7   0.85  1     1.15  1.3
//	            coverage        0.06  0.07  0.08  0.09  0.1
//	oil-paint   radius          2     3     4     5     6
//	            strokes         0.6   0.7   0.8   0.9   1
//	halftone    cell            3     4     5     6     8

// styleTransforms lists the out-of-support style family.
func styleTransforms() []TransformEntry {
	return []TransformEntry{
		{
			Name:        "grayscale",
			Description: "grayscale: colour blended toward BT.601 luma (fully grey at the default severity 5)",
			Params: []Param{withDefault(Severity, 5),
				severityParam("amount", Float, 0, 1, "blend weight of the luma: x' = (1-amount)·x + amount·Y; 0 is the identity", func(i int) float64 { return GrayscaleSeverities[i].Amount }),
			},
			New: func(v Values, _ Env) (Transform, error) {
				t := GrayscaleSeverities[severityIndex(v)]
				setFloat(v, "amount", &t.Amount)
				return t, nil
			},
		},
		{
			Name:        "sketch",
			Description: "pencil sketch: grey colour-dodge of the luma by its blurred inverse, dark strokes on white (ImageNet-Sketch look)",
			Params: []Param{Severity,
				severityParam("sigma", Float, 0.5, 20, "Gaussian blur of the inverted luma in pixels; larger gives broader strokes", func(i int) float64 { return SketchSeverities[i].Sigma }),
				severityParam("gamma", Float, 0.2, 8, "exponent applied to the dodge result; above 1 darkens the strokes", func(i int) float64 { return SketchSeverities[i].Gamma }),
			},
			New: func(v Values, _ Env) (Transform, error) {
				t := SketchSeverities[severityIndex(v)]
				setFloat(v, "sigma", &t.Sigma)
				setFloat(v, "gamma", &t.Gamma)
				return t, nil
			},
		},
		{
			Name:        "posterize",
			Description: "posterize: every channel quantised to a few evenly spaced levels",
			Params: []Param{Severity,
				severityParam("levels", Int, 2, 256, "levels per channel; 256 is the identity", func(i int) float64 { return float64(PosterizeSeverities[i].Levels) }),
			},
			New: func(v Values, _ Env) (Transform, error) {
				t := PosterizeSeverities[severityIndex(v)]
				setInt(v, "levels", &t.Levels)
				return t, nil
			},
		},
		{
			Name:        "edge-map",
			Description: "edge map: Sobel gradient magnitude of the blurred luma, dark lines on white",
			Params: []Param{Severity,
				severityParam("sigma", Float, 0, 10, "Gaussian blur of the luma before the gradient, in pixels (0: none); larger keeps only coarse edges", func(i int) float64 { return EdgeMapSeverities[i].Sigma }),
				severityParam("gain", Float, 0.1, 100, "multiplier of the gradient magnitude (a unit step has magnitude 1)", func(i int) float64 { return EdgeMapSeverities[i].Gain }),
				{Name: "invert", Type: Bool, Default: false, Min: 0, Max: 1, Doc: "light edges on black instead of dark edges on white"},
			},
			New: func(v Values, _ Env) (Transform, error) {
				t := EdgeMapSeverities[severityIndex(v)]
				setFloat(v, "sigma", &t.Sigma)
				setFloat(v, "gain", &t.Gain)
				t.Invert = v.Get("invert") != 0
				return t, nil
			},
		},
		{
			Name:        "cartoon",
			Description: "cartoon: bilateral smoothing, a k-means palette of a few flat colours and black XDoG outlines",
			Params: []Param{Severity,
				severityParam("passes", Int, 0, 20, "passes of the separable 5-tap bilateral filter (0: no smoothing)", func(i int) float64 { return float64(CartoonSeverities[i].Passes) }),
				severityParam("sigma_color", Float, 0.01, 1, "range scale of the bilateral filter, in mean absolute channel difference on [0, 1]", func(i int) float64 { return CartoonSeverities[i].SigmaColor }),
				severityParam("colors", Int, 0, 256, "palette size K of the k-means colour quantisation (0: colours kept)", func(i int) float64 { return float64(CartoonSeverities[i].Colors) }),
				severityParam("line", Float, 0, 10, "outline weight: inner Gaussian of the XDoG edge map in pixels, larger draws bolder lines (0: no outlines)", func(i int) float64 { return CartoonSeverities[i].Line }),
				severityParam("coverage", Float, 0, 1, "largest share of the pixels the outlines ink (the edge threshold is that quantile of the edge map)", func(i int) float64 { return CartoonSeverities[i].Coverage }),
			},
			New: func(v Values, _ Env) (Transform, error) {
				t := CartoonSeverities[severityIndex(v)]
				setInt(v, "passes", &t.Passes)
				setFloat(v, "sigma_color", &t.SigmaColor)
				setInt(v, "colors", &t.Colors)
				setFloat(v, "line", &t.Line)
				setFloat(v, "coverage", &t.Coverage)
				if t.Colors == 1 {
					return nil, fmt.Errorf("cartoon: colors=1 would paint the image one flat colour; use 2 to 256, or 0 to keep the colours")
				}
				return t, nil
			},
		},
		{
			Name:        "oil-paint",
			Description: "oil painting: anisotropic Kuwahara filter, strokes along the edges (structure-tensor ellipses, 8 weighted sectors, the most uniform win)",
			Params: []Param{Severity,
				severityParam("radius", Int, 0, 32, "filter radius in pixels (the ellipse of each stroke has the area of a disc of this radius); 0 is the identity", func(i int) float64 { return float64(KuwaharaSeverities[i].Radius) }),
				severityParam("strokes", Float, 0, 10, "strength of the brush-stroke relief along the edges (0: none)", func(i int) float64 { return KuwaharaSeverities[i].Strokes }),
			},
			New: func(v Values, _ Env) (Transform, error) {
				t := KuwaharaSeverities[severityIndex(v)]
				setInt(v, "radius", &t.Radius)
				setFloat(v, "strokes", &t.Strokes)
				return t, nil
			},
		},
		{
			Name:        "halftone",
			Description: "halftone: colour print of round cyan, magenta and yellow dots on rotated screens",
			Params: []Param{Severity,
				severityParam("cell", Float, 2, 64, "screen period (dot spacing) in pixels", func(i int) float64 { return HalftoneSeverities[i].Cell }),
			},
			New: func(v Values, _ Env) (Transform, error) {
				t := HalftoneSeverities[severityIndex(v)]
				setFloat(v, "cell", &t.Cell)
				return t, nil
			},
		},
	}
}

// Grayscale blends every pixel toward its luma: x'_c = (1−Amount)·x_c + Amount·Y with
// Y = 0.299·R + 0.587·G + 0.114·B, on the byte scale, rounded half to even. Amount 0 is the
// identity, 1 a grey image. It is safe for concurrent use.
type Grayscale struct {
	// Severity is the table row the other fields came from (informational).
	Severity int `json:"severity,omitempty"`
	// Amount in [0, 1] is the luma's blend weight.
	Amount float64 `json:"amount"`
}

// GrayscaleSeverities holds Grayscale's parameters at severities 1..5.
var GrayscaleSeverities = [5]Grayscale{
	{Severity: 1, Amount: 0.2}, {Severity: 2, Amount: 0.4}, {Severity: 3, Amount: 0.6},
	{Severity: 4, Amount: 0.8}, {Severity: 5, Amount: 1},
}

// Apply desaturates img in place.
func (t Grayscale) Apply(img *image.RGBA, _ Key) *image.RGBA {
	a := t.Amount
	var keep [256]float64
	for v := range keep {
		keep[v] = (1 - a) * float64(v)
	}
	w, h := img.Rect.Dx(), img.Rect.Dy()
	for y := range h {
		row := img.Pix[y*img.Stride : y*img.Stride+w*4]
		for i := 0; i+3 < len(row); i += 4 {
			r, g, b := row[i], row[i+1], row[i+2]
			l := a * (lumaLUT[0][r] + lumaLUT[1][g] + lumaLUT[2][b])
			row[i] = round8(keep[r] + l)
			row[i+1] = round8(keep[g] + l)
			row[i+2] = round8(keep[b] + l)
		}
	}
	return img
}

// Sketch renders a pencil drawing by the colour-dodge trick. With g the luma on [0, 1]
// and b the Gaussian blur (standard deviation Sigma) of 1−g:
//
//	s = 0 if g = 0, 1 if g ≥ 1−b, g/(1−b) otherwise;  x' = s^Gamma on every channel.
//
// Flat areas turn white; strokes appear on the dark side of edges, broader with larger
// Sigma and darker with larger Gamma. The output is grey. It is safe for concurrent use.
type Sketch struct {
	// Severity is the table row the other fields came from (informational).
	Severity int `json:"severity,omitempty"`
	// Sigma is the blur's standard deviation in pixels.
	Sigma float64 `json:"sigma"`
	// Gamma > 0 is the exponent applied to the dodge result; 1 leaves it.
	Gamma float64 `json:"gamma"`
}

// SketchSeverities holds Sketch's parameters at severities 1..5.
var SketchSeverities = [5]Sketch{
	{Severity: 1, Sigma: 1, Gamma: 1}, {Severity: 2, Sigma: 2, Gamma: 1.3},
	{Severity: 3, Sigma: 3, Gamma: 1.6}, {Severity: 4, Sigma: 4, Gamma: 2},
	{Severity: 5, Sigma: 6, Gamma: 2.5},
}

// Apply draws img as a sketch, in place.
func (t Sketch) Apply(img *image.RGBA, _ Key) *image.RGBA {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	if w == 0 || h == 0 {
		return img
	}
	g := lumaPlane(img.Pix, img.Stride, w, h)
	inv := make([]float64, len(g))
	for i, v := range g {
		inv[i] = 1 - v
	}
	b := blurPlane(inv, w, h, t.Sigma)
	for y := range h {
		row := img.Pix[y*img.Stride : y*img.Stride+w*4]
		for x := range w {
			gv, den := g[y*w+x], 1-b[y*w+x]
			var s float64
			switch {
			case gv <= 0:
				s = 0
			case gv >= den:
				s = 1
			default:
				s = gv / den
			}
			if t.Gamma != 1 {
				s = math.Pow(s, t.Gamma)
			}
			o := round8(255 * s)
			row[x*4], row[x*4+1], row[x*4+2] = o, o, o
		}
	}
	return img
}

// Posterize quantises every channel to Levels evenly spaced values:
// q = round(v·(Levels−1)/255), v' = round(q·255/(Levels−1)) on bytes, rounding half to
// even. Levels 256 is the identity; values below 2 act as 2. It is safe for concurrent
// use.
type Posterize struct {
	// Severity is the table row the other fields came from (informational).
	Severity int `json:"severity,omitempty"`
	// Levels in 2..256 is the number of values per channel.
	Levels int `json:"levels"`
}

// PosterizeSeverities holds Posterize's parameters at severities 1..5.
var PosterizeSeverities = [5]Posterize{
	{Severity: 1, Levels: 16}, {Severity: 2, Levels: 10}, {Severity: 3, Levels: 7},
	{Severity: 4, Levels: 5}, {Severity: 5, Levels: 4},
}

// Apply posterizes img in place.
func (t Posterize) Apply(img *image.RGBA, _ Key) *image.RGBA {
	l := levelLUT(t.Levels)
	lut := [3][256]uint8{l, l, l}
	ApplyLUT(img, &lut)
	return img
}

// EdgeMap draws the edges of an image: with m the Sobel gradient magnitude (divided by 4,
// so a unit step gives 1) of the luma on [0, 1] blurred with standard deviation Sigma
// (0: no blur), e = min(1, Gain·m) and every channel becomes 1−e (dark edges on white)
// or e when Invert is set. It is safe for concurrent use.
type EdgeMap struct {
	// Severity is the table row the other fields came from (informational).
	Severity int `json:"severity,omitempty"`
	// Sigma is the pre-blur's standard deviation in pixels (0: none).
	Sigma float64 `json:"sigma"`
	// Gain multiplies the gradient magnitude before clipping at 1.
	Gain float64 `json:"gain"`
	// Invert draws light edges on black.
	Invert bool `json:"invert"`
}

// EdgeMapSeverities holds EdgeMap's parameters at severities 1..5.
var EdgeMapSeverities = [5]EdgeMap{
	{Severity: 1, Sigma: 0.5, Gain: 3}, {Severity: 2, Sigma: 1, Gain: 4},
	{Severity: 3, Sigma: 1.5, Gain: 5}, {Severity: 4, Sigma: 2, Gain: 6},
	{Severity: 5, Sigma: 3, Gain: 8},
}

// Apply replaces img by its edge map, in place.
func (t EdgeMap) Apply(img *image.RGBA, _ Key) *image.RGBA {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	if w == 0 || h == 0 {
		return img
	}
	g := blurPlane(lumaPlane(img.Pix, img.Stride, w, h), w, h, t.Sigma)
	m := sobelPlane(g, w, h)
	for y := range h {
		row := img.Pix[y*img.Stride : y*img.Stride+w*4]
		for x := range w {
			e := min(1, t.Gain*m[y*w+x])
			if !t.Invert {
				e = 1 - e
			}
			o := round8(255 * e)
			row[x*4], row[x*4+1], row[x*4+2] = o, o, o
		}
	}
	return img
}
