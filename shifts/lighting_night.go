package shifts

import (
	"image"
	"math"
	"math/rand/v2"
)

// Night renders an image as if taken at night, the way "day for night" film work does:
// a short exposure, the colour that rod vision loses, a moonlight cast and the noise of
// a sensor starved of light. For each pixel, with l_c = decode(x_c) the linear-light
// channels (sRGB transfer function, IEC 61966-2-1) and Y = 0.2126·l_R + 0.7152·l_G +
// 0.0722·l_B their luminance:
//
//	m_c = Y + Saturation·(l_c − Y)                  (desaturate in linear light)
//	o_c = min(1, max(0, 2^−Stops · g_c · m_c))       (shorter exposure, blue cast)
//	x'_c = clamp(encode(o_c) + Noise·z_c, 0, 1)      (sensor noise)
//
// The exposure cut scales every value, highlights included, so bright saturated objects
// darken as much as the rest. The cast gains are g = (1 − 0.45·Blue, 1 − 0.1·Blue,
// 1 + 0.75·Blue) divided by their luminance 0.2126·g_R + 0.7152·g_G + 0.0722·g_B, so a
// grey keeps its luminance and turns blue. z_c are standard normals from
// rand.New(rand.NewPCG(noise_seed, NightNoiseStream)), drawn in row-major order, R, G, B
// within a pixel, where noise_seed = NoiseSeed(k) is recorded with every image (no draws
// when Noise is 0). Stops 0, Saturation 1, Blue 0 and Noise 0 is the identity. The same
// image and Key always give the same bytes. It is safe for concurrent use.
type Night struct {
	// Severity is the table row the other fields came from (informational).
	Severity int `json:"severity,omitempty"`
	// Stops ≥ 0 is the exposure cut; each stop halves the light.
	Stops float64 `json:"stops"`
	// Saturation in [0, 1] is the colour kept (1: all, 0: grey).
	Saturation float64 `json:"saturation"`
	// Blue in [0, 1] is the strength of the moonlight cast.
	Blue float64 `json:"blue"`
	// Noise is the standard deviation of the additive Gaussian sensor noise on [0, 1].
	Noise float64 `json:"noise"`
}

// NightSeverities holds Night's parameters at severities 1..5: late dusk to a moonlit
// night.
var NightSeverities = [5]Night{
	{Severity: 1, Stops: 2, Saturation: 0.7, Blue: 0.3, Noise: 0.01},
	{Severity: 2, Stops: 2.75, Saturation: 0.55, Blue: 0.45, Noise: 0.015},
	{Severity: 3, Stops: 3.5, Saturation: 0.4, Blue: 0.6, Noise: 0.02},
	{Severity: 4, Stops: 4.25, Saturation: 0.3, Blue: 0.75, Noise: 0.025},
	{Severity: 5, Stops: 5, Saturation: 0.2, Blue: 0.9, Noise: 0.03},
}

// NightNoiseStream is the second word of the PCG state Night's noise is drawn from.
const NightNoiseStream = 0x6e69676874 // "night"

// NoiseSeed returns the noise seed of the image keyed by k: the top 53 bits of the first
// draw of k's stream, so that it survives any JSON reader.
func (t Night) NoiseSeed(k Key) uint64 { return k.Rand().Uint64() >> 11 }

// Record returns the image's noise seed (nothing when Noise is 0).
func (t Night) Record(k Key) map[string]any {
	if t.Noise == 0 {
		return nil
	}
	return map[string]any{"noise_seed": t.NoiseSeed(k)}
}

// Gains returns the cast gains g_c.
func (t Night) Gains() [3]float64 {
	g := [3]float64{1 - 0.45*t.Blue, 1 - 0.1*t.Blue, 1 + 0.75*t.Blue}
	l := 0.2126*g[0] + 0.7152*g[1] + 0.0722*g[2]
	for c := range g {
		g[c] /= l
	}
	return g
}

// Apply darkens img in place.
func (t Night) Apply(img *image.RGBA, k Key) *image.RGBA {
	var lin [256]float64
	for v := range lin {
		lin[v] = srgbToLinear(float64(v) / 255)
	}
	exp := math.Exp2(-t.Stops)
	g := t.Gains()
	var gain [3]float64
	for c := range gain {
		gain[c] = exp * g[c]
	}
	var rng *rand.Rand
	if t.Noise != 0 {
		rng = rand.New(rand.NewPCG(t.NoiseSeed(k), NightNoiseStream))
	}
	s := t.Saturation
	w, h := img.Rect.Dx(), img.Rect.Dy()
	for y := range h {
		row := img.Pix[y*img.Stride : y*img.Stride+w*4]
		for i := 0; i+3 < len(row); i += 4 {
			l := [3]float64{lin[row[i]], lin[row[i+1]], lin[row[i+2]]}
			lum := 0.2126*l[0] + 0.7152*l[1] + 0.0722*l[2]
			for c := range 3 {
				o := min(1, max(0, gain[c]*(lum+s*(l[c]-lum))))
				v := linearToSRGB(o)
				if rng != nil {
					v += t.Noise * rng.NormFloat64()
				}
				row[i+c] = round8(255 * min(1, max(0, v)))
			}
		}
	}
	return img
}
