package shifts

import (
	"image"
	"math"
)

// The lighting family: out-of-support changes of exposure, contrast and colour of the
// light. Every transform works on values in [0, 1] (the byte divided by 255) and rounds
// its result half to even back onto 0..255. All but Night are a per-channel lookup
// table; Night mixes the channels in linear light and adds sensor noise seeded from the
// image's Key (see lighting_night.go).
//
// Severity tables (severity 1..5; any parameter set explicitly overrides its table value):
//
//	brighten      gamma         0.8   0.65  0.5   0.4   0.3
//	night         stops         2     2.75  3.5   4.25  5
//	              saturation    0.7   0.55  0.4   0.3   0.2
//	              blue          0.3   0.45  0.6   0.75  0.9
//	              noise         0.01  0.015 0.02  0.025 0.03
//	low-contrast  factor        0.75  0.6   0.45  0.3   0.2    (pivot 0.5 at every severity)
//	overexposure  stops         0.75  1.25  1.75  2.25  3
//	warm          kelvin        5500  4700  4000  3400  2900
//	cool          kelvin        8000  10000 13000 17000 25000

// lightingTransforms lists the out-of-support lighting family.
func lightingTransforms() []TransformEntry {
	return []TransformEntry{
		{
			Name:        "brighten",
			Description: "brightness up: a gamma curve x^gamma (gamma < 1) lifts shadows and midtones, black and white stay put",
			Params: []Param{Severity,
				severityParam("gamma", Float, 0.05, 1, "exponent of x' = x^gamma on [0, 1]; 1 is the identity", func(i int) float64 { return BrightenSeverities[i].Gamma }),
			},
			New: func(v Values, _ Env) (Transform, error) {
				t := BrightenSeverities[severityIndex(v)]
				setFloat(v, "gamma", &t.Gamma)
				return t, nil
			},
		},
		{
			Name:        "night",
			Description: "night: a shorter exposure in linear light (highlights too), desaturated and blue-shifted as night vision sees, with seeded sensor noise; severity 1 is late dusk, 5 a moonlit night",
			Params: []Param{Severity,
				severityParam("stops", Float, 0, 10, "exposure cut in stops: linear light times 2^-stops, highlights included; 0 keeps the exposure", func(i int) float64 { return NightSeverities[i].Stops }),
				severityParam("saturation", Float, 0, 1, "colour kept around the linear luminance; 1 keeps it, 0 is grey", func(i int) float64 { return NightSeverities[i].Saturation }),
				severityParam("blue", Float, 0, 1, "strength of the moonlight cast (luminance-preserving gains toward blue); 0 is none", func(i int) float64 { return NightSeverities[i].Blue }),
				severityParam("noise", Float, 0, 0.5, "standard deviation of the per-channel Gaussian sensor noise on the [0, 1] scale, added after the tone curve", func(i int) float64 { return NightSeverities[i].Noise }),
			},
			New: func(v Values, _ Env) (Transform, error) {
				t := NightSeverities[severityIndex(v)]
				setFloat(v, "stops", &t.Stops)
				setFloat(v, "saturation", &t.Saturation)
				setFloat(v, "blue", &t.Blue)
				setFloat(v, "noise", &t.Noise)
				return t, nil
			},
		},
		{
			Name:        "low-contrast",
			Description: "contrast down: every channel pulled toward a fixed grey, x' = pivot + factor·(x - pivot)",
			Params: []Param{Severity,
				severityParam("factor", Float, 0, 1, "contrast kept; 1 is the identity, 0 a flat grey", func(i int) float64 { return LowContrastSeverities[i].Factor }),
				{Name: "pivot", Type: Float, Default: 0.5, Min: 0, Max: 1, Doc: "the grey level (on [0, 1]) contrast shrinks toward"},
			},
			New: func(v Values, _ Env) (Transform, error) {
				t := LowContrastSeverities[severityIndex(v)]
				setFloat(v, "factor", &t.Factor)
				setFloat(v, "pivot", &t.Pivot)
				return t, nil
			},
		},
		{
			Name:        "overexposure",
			Description: "overexposure: exposure raised by some stops in linear light, highlights clip to white",
			Params: []Param{Severity,
				severityParam("stops", Float, 0, 8, "exposure increase in stops (linear light times 2^stops, then clipped); 0 is the identity", func(i int) float64 { return OverexposureSeverities[i].Stops }),
			},
			New: func(v Values, _ Env) (Transform, error) {
				t := OverexposureSeverities[severityIndex(v)]
				setFloat(v, "stops", &t.Stops)
				return t, nil
			},
		},
		{
			Name:        "warm",
			Description: "warm light: colour balance of a low colour temperature (tungsten, sunset) in a camera balanced for 6500 K",
			Params: []Param{Severity,
				severityParam("kelvin", Float, 2000, 6500, "colour temperature of the light in kelvin; 6500 is the identity", func(i int) float64 { return WarmSeverities[i].Kelvin }),
			},
			New: func(v Values, _ Env) (Transform, error) {
				t := WarmSeverities[severityIndex(v)]
				setFloat(v, "kelvin", &t.Kelvin)
				return t, nil
			},
		},
		{
			Name:        "cool",
			Description: "cool light: colour balance of a high colour temperature (shade, overcast sky) in a camera balanced for 6500 K",
			Params: []Param{Severity,
				severityParam("kelvin", Float, 6500, 25000, "colour temperature of the light in kelvin; 6500 is the identity", func(i int) float64 { return CoolSeverities[i].Kelvin }),
			},
			New: func(v Values, _ Env) (Transform, error) {
				t := CoolSeverities[severityIndex(v)]
				setFloat(v, "kelvin", &t.Kelvin)
				return t, nil
			},
		},
	}
}

// Brighten raises brightness with a gamma curve: x' = x^Gamma per channel on [0, 1], with
// Gamma in (0, 1]. Black and white are fixed points; Gamma 1 is the identity. It is safe
// for concurrent use.
type Brighten struct {
	// Severity is the table row the other fields came from (informational; 0 when built
	// by hand).
	Severity int `json:"severity,omitempty"`
	// Gamma in (0, 1] is the exponent; smaller is brighter.
	Gamma float64 `json:"gamma"`
}

// BrightenSeverities holds Brighten's parameters at severities 1..5.
var BrightenSeverities = [5]Brighten{
	{Severity: 1, Gamma: 0.8}, {Severity: 2, Gamma: 0.65}, {Severity: 3, Gamma: 0.5},
	{Severity: 4, Gamma: 0.4}, {Severity: 5, Gamma: 0.3},
}

// LUT returns the per-channel table Apply uses.
func (t Brighten) LUT() (lut [3][256]uint8) {
	for v := range 256 {
		x := round8(255 * math.Pow(float64(v)/255, t.Gamma))
		lut[0][v], lut[1][v], lut[2][v] = x, x, x
	}
	return lut
}

// Apply brightens img in place.
func (t Brighten) Apply(img *image.RGBA, _ Key) *image.RGBA {
	lut := t.LUT()
	ApplyLUT(img, &lut)
	return img
}

// LowContrast shrinks contrast toward a grey level: x' = Pivot + Factor·(x − Pivot) per
// channel on [0, 1]. Factor 1 is the identity, 0 a flat image at Pivot. Unlike
// ImageNet-C's contrast (which pulls toward each image's mean), the pivot is fixed, so
// the transform is the same lookup table for every image. It is safe for concurrent use.
type LowContrast struct {
	// Severity is the table row the other fields came from (informational).
	Severity int `json:"severity,omitempty"`
	// Factor in [0, 1] is the contrast kept.
	Factor float64 `json:"factor"`
	// Pivot in [0, 1] is the grey level contrast shrinks toward.
	Pivot float64 `json:"pivot"`
}

// LowContrastSeverities holds LowContrast's parameters at severities 1..5.
var LowContrastSeverities = [5]LowContrast{
	{Severity: 1, Factor: 0.75, Pivot: 0.5}, {Severity: 2, Factor: 0.6, Pivot: 0.5},
	{Severity: 3, Factor: 0.45, Pivot: 0.5}, {Severity: 4, Factor: 0.3, Pivot: 0.5},
	{Severity: 5, Factor: 0.2, Pivot: 0.5},
}

// LUT returns the per-channel table Apply uses.
func (t LowContrast) LUT() (lut [3][256]uint8) {
	for v := range 256 {
		x := round8(255 * (t.Pivot + t.Factor*(float64(v)/255-t.Pivot)))
		lut[0][v], lut[1][v], lut[2][v] = x, x, x
	}
	return lut
}

// Apply lowers img's contrast in place.
func (t LowContrast) Apply(img *image.RGBA, _ Key) *image.RGBA {
	lut := t.LUT()
	ApplyLUT(img, &lut)
	return img
}

// Overexposure multiplies the light reaching the sensor by 2^Stops: per channel,
// x' = encode(min(1, 2^Stops · decode(x))) with decode and encode the sRGB transfer
// functions (IEC 61966-2-1). Highlights clip to white; Stops 0 is the identity. It is
// safe for concurrent use.
type Overexposure struct {
	// Severity is the table row the other fields came from (informational).
	Severity int `json:"severity,omitempty"`
	// Stops ≥ 0 is the exposure increase; each stop doubles the light.
	Stops float64 `json:"stops"`
}

// OverexposureSeverities holds Overexposure's parameters at severities 1..5.
var OverexposureSeverities = [5]Overexposure{
	{Severity: 1, Stops: 0.75}, {Severity: 2, Stops: 1.25}, {Severity: 3, Stops: 1.75},
	{Severity: 4, Stops: 2.25}, {Severity: 5, Stops: 3},
}

// LUT returns the per-channel table Apply uses.
func (t Overexposure) LUT() (lut [3][256]uint8) {
	g := math.Exp2(t.Stops)
	for v := range 256 {
		x := round8(255 * linearToSRGB(min(1, g*srgbToLinear(float64(v)/255))))
		lut[0][v], lut[1][v], lut[2][v] = x, x, x
	}
	return lut
}

// Apply overexposes img in place.
func (t Overexposure) Apply(img *image.RGBA, _ Key) *image.RGBA {
	lut := t.LUT()
	ApplyLUT(img, &lut)
	return img
}

// Temperature renders an image as if lit by a black body at Kelvin while the camera
// stays white-balanced for 6500 K (the warm and cool shifts). Per channel c in linear
// light: x' = encode(min(1, g_c · decode(x))) with
//
//	g_c = (rgb(Kelvin)_c / rgb(6500)_c) / L,  L = 0.2126·r + 0.7152·g + 0.0722·b of those ratios,
//
// where rgb(T) is the linear sRGB colour of the Planckian locus at T (CIE 1931 xy from
// Kang et al. 2002's cubic fit, Y = 1, through the sRGB XYZ→RGB matrix). Dividing by L
// keeps the luminance of white, so the image neither darkens nor brightens on average;
// channels pushed above 1 clip. Kelvin 6500 is the identity; the fit is valid from 1667 K
// to 25000 K (values outside are clamped to that range). It is safe for concurrent use.
type Temperature struct {
	// Severity is the table row the other fields came from (informational).
	Severity int `json:"severity,omitempty"`
	// Kelvin is the light's colour temperature: below 6500 warm, above cool.
	Kelvin float64 `json:"kelvin"`
}

// WarmSeverities holds the warm shift's colour temperatures at severities 1..5.
var WarmSeverities = [5]Temperature{
	{Severity: 1, Kelvin: 5500}, {Severity: 2, Kelvin: 4700}, {Severity: 3, Kelvin: 4000},
	{Severity: 4, Kelvin: 3400}, {Severity: 5, Kelvin: 2900},
}

// CoolSeverities holds the cool shift's colour temperatures at severities 1..5.
var CoolSeverities = [5]Temperature{
	{Severity: 1, Kelvin: 8000}, {Severity: 2, Kelvin: 10000}, {Severity: 3, Kelvin: 13000},
	{Severity: 4, Kelvin: 17000}, {Severity: 5, Kelvin: 25000},
}

// Gains returns the linear-light channel gains g_c Apply uses.
func (t Temperature) Gains() [3]float64 {
	c, ref := planckRGB(t.Kelvin), planckRGB(6500)
	var g [3]float64
	for i := range g {
		g[i] = c[i] / ref[i]
	}
	l := 0.2126*g[0] + 0.7152*g[1] + 0.0722*g[2]
	for i := range g {
		g[i] /= l
	}
	return g
}

// LUT returns the per-channel tables Apply uses.
func (t Temperature) LUT() (lut [3][256]uint8) {
	g := t.Gains()
	for v := range 256 {
		l := srgbToLinear(float64(v) / 255)
		for c := range 3 {
			lut[c][v] = round8(255 * linearToSRGB(min(1, max(0, g[c]*l))))
		}
	}
	return lut
}

// Apply changes img's colour balance in place.
func (t Temperature) Apply(img *image.RGBA, _ Key) *image.RGBA {
	lut := t.LUT()
	ApplyLUT(img, &lut)
	return img
}

// planckRGB returns the linear sRGB colour (Y = 1) of a black body at temperature T
// kelvin, from Kang et al. (2002)'s approximation of the Planckian locus in CIE 1931 xy.
func planckRGB(T float64) [3]float64 {
	T = min(max(T, 1667), 25000)
	var x float64
	if T <= 4000 {
		x = -0.2661239e9/(T*T*T) - 0.2343589e6/(T*T) + 0.8776956e3/T + 0.179910
	} else {
		x = -3.0258469e9/(T*T*T) + 2.1070379e6/(T*T) + 0.2226347e3/T + 0.240390
	}
	var y float64
	switch {
	case T <= 2222:
		y = -1.1063814*x*x*x - 1.34811020*x*x + 2.18555832*x - 0.20219683
	case T <= 4000:
		y = -0.9549476*x*x*x - 1.37418593*x*x + 2.09137015*x - 0.16748867
	default:
		y = 3.0817580*x*x*x - 5.87338670*x*x + 3.75112997*x - 0.37001483
	}
	X, Y, Z := x/y, 1.0, (1-x-y)/y
	return [3]float64{
		3.2404542*X - 1.5371385*Y - 0.4985314*Z,
		-0.9692660*X + 1.8760108*Y + 0.0415560*Z,
		0.0556434*X - 0.2040259*Y + 1.0572252*Z,
	}
}
