package shifts

import (
	"image"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"
)

// lightingWant holds the expected output of each lighting case on tinyImg, computed
// independently of the kernels by a Python float64 implementation of the documented
// formulas (rounding half to even), not by calling the Go code.
var lightingWant = map[string][][]px{
	"brighten gamma=0.5": {
		{{55, 226, 107}, {255, 0, 181}, {151, 151, 151}, {87, 124, 252}},
		{{0, 0, 0}, {255, 255, 255}, {189, 71, 134}, {226, 214, 50}},
		{{130, 184, 225}, {36, 252, 36}, {181, 181, 181}, {140, 87, 202}},
	},
	"brighten gamma=1": {
		{{12, 200, 45}, {255, 0, 128}, {90, 90, 90}, {30, 60, 250}},
		{{0, 0, 0}, {255, 255, 255}, {140, 20, 70}, {200, 180, 10}},
		{{66, 133, 199}, {5, 250, 5}, {128, 128, 128}, {77, 30, 160}},
	},
	"night stops=2 saturation=0.5 blue=0.5 noise=0": {
		{{59, 99, 80}, {100, 47, 80}, {40, 45, 54}, {29, 37, 122}},
		{{0, 0, 0}, {125, 137, 163}, {51, 24, 42}, {91, 95, 81}},
		{{47, 68, 106}, {75, 125, 99}, {59, 66, 79}, {30, 22, 76}},
	},
	"night stops=1 saturation=1 blue=0 noise=0": {
		{{6, 146, 30}, {188, 0, 92}, {64, 64, 64}, {19, 41, 184}},
		{{0, 0, 0}, {188, 188, 188}, {101, 11, 49}, {146, 131, 5}},
		{{46, 96, 146}, {2, 184, 2}, {92, 92, 92}, {54, 19, 116}},
	},
	"lowcontrast factor=0.5 pivot=0.5": {
		{{70, 164, 86}, {191, 64, 128}, {109, 109, 109}, {79, 94, 189}},
		{{64, 64, 64}, {191, 191, 191}, {134, 74, 99}, {164, 154, 69}},
		{{97, 130, 163}, {66, 189, 66}, {128, 128, 128}, {102, 79, 144}},
	},
	"lowcontrast factor=0.3 pivot=0.2": {
		{{39, 96, 49}, {112, 36, 74}, {63, 63, 63}, {45, 54, 111}},
		{{36, 36, 36}, {112, 112, 112}, {78, 42, 57}, {96, 90, 39}},
		{{56, 76, 95}, {37, 111, 37}, {74, 74, 74}, {59, 45, 84}},
	},
	"overexposure stops=1": {
		{{21, 255, 65}, {255, 0, 176}, {125, 125, 125}, {45, 85, 255}},
		{{0, 0, 0}, {255, 255, 255}, {192, 31, 98}, {255, 245, 18}},
		{{93, 182, 255}, {10, 255, 10}, {176, 176, 176}, {107, 45, 218}},
	},
	"overexposure stops=2.5": {
		{{40, 255, 107}, {255, 0, 255}, {200, 200, 200}, {77, 138, 255}},
		{{0, 0, 0}, {255, 255, 255}, {255, 56, 159}, {255, 255, 35}},
		{{151, 255, 255}, {23, 255, 23}, {255, 255, 255}, {173, 77, 255}},
	},
	"temperature kelvin=3000": {
		{{18, 187, 20}, {255, 0, 68}, {116, 84, 46}, {41, 56, 138}},
		{{0, 0, 0}, {255, 239, 141}, {178, 18, 34}, {253, 169, 3}},
		{{86, 124, 108}, {9, 234, 1}, {163, 120, 68}, {100, 27, 86}},
	},
	"temperature kelvin=12000": {
		{{10, 201, 56}, {230, 0, 155}, {80, 90, 110}, {26, 60, 255}},
		{{0, 0, 0}, {230, 255, 255}, {126, 20, 86}, {180, 181, 15}},
		{{59, 134, 239}, {4, 251, 8}, {115, 129, 155}, {69, 30, 193}},
	},
}

// TestLightingPixels checks every lighting transform's maths on a tiny literal image.
func TestLightingPixels(t *testing.T) {
	cases := map[string]Transform{
		"brighten gamma=0.5":                            Brighten{Gamma: 0.5},
		"brighten gamma=1":                              Brighten{Gamma: 1},
		"night stops=2 saturation=0.5 blue=0.5 noise=0": Night{Stops: 2, Saturation: 0.5, Blue: 0.5},
		"night stops=1 saturation=1 blue=0 noise=0":     Night{Stops: 1, Saturation: 1},
		"lowcontrast factor=0.5 pivot=0.5":              LowContrast{Factor: 0.5, Pivot: 0.5},
		"lowcontrast factor=0.3 pivot=0.2":              LowContrast{Factor: 0.3, Pivot: 0.2},
		"overexposure stops=1":                          Overexposure{Stops: 1},
		"overexposure stops=2.5":                        Overexposure{Stops: 2.5},
		"temperature kelvin=3000":                       Temperature{Kelvin: 3000},
		"temperature kelvin=12000":                      Temperature{Kelvin: 12000},
	}
	for name, tr := range cases {
		t.Run(name, func(t *testing.T) {
			want, ok := lightingWant[name]
			if !ok {
				t.Fatalf("no expected pixels for %q", name)
			}
			checkPixels(t, Apply(tr, newImg(tinyImg), Key{}), want)
		})
	}
}

// allBytes is a 256×1 image whose channels run through every byte value (R ascending,
// G descending, B in a scrambled order).
func allBytes() *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, 256, 1))
	for v := range 256 {
		img.Pix[v*4], img.Pix[v*4+1], img.Pix[v*4+2], img.Pix[v*4+3] = uint8(v), uint8(255-v), uint8(v*7%256), 255
	}
	return img
}

// TestLightingIdentity checks the documented identity parameters on every byte value.
func TestLightingIdentity(t *testing.T) {
	for name, tr := range map[string]Transform{
		"brighten gamma=1":         Brighten{Gamma: 1},
		"night 0,1,0,0":            Night{Saturation: 1},
		"low-contrast factor=1":    LowContrast{Factor: 1, Pivot: 0.3},
		"overexposure stops=0":     Overexposure{},
		"temperature kelvin=6500":  Temperature{Kelvin: 6500},
		"warm severity table 6500": Temperature{Severity: 1, Kelvin: 6500},
	} {
		src := allBytes()
		if out := Apply(tr, src, Key{Index: 4}); string(out.Pix) != string(src.Pix) {
			t.Errorf("%s is not the identity", name)
		}
	}
}

// TestLightingShape checks the qualitative contract of each transform on every byte
// value: brighten lifts, night darkens (every pixel's luma) and turns blue, low contrast
// shrinks the range toward the pivot, overexposure lifts and clips, warm and cool tilt
// red/blue.
func TestLightingShape(t *testing.T) {
	src := allBytes()
	for s := range 5 {
		b := Apply(BrightenSeverities[s], src, Key{})
		nt := NightSeverities[s]
		nt.Noise = 0
		n := Apply(nt, src, Key{})
		lc := Apply(LowContrastSeverities[s], src, Key{})
		o := Apply(OverexposureSeverities[s], src, Key{})
		for i := 0; i < len(src.Pix); i += 4 {
			for c := range 3 {
				v := src.Pix[i+c]
				if b.Pix[i+c] < v || o.Pix[i+c] < v {
					t.Fatalf("severity %d, byte %d channel %d: brighten %d overexposure %d", s+1, v, c, b.Pix[i+c], o.Pix[i+c])
				}
				lo, hi := 255*(0.5-LowContrastSeverities[s].Factor/2), 255*(0.5+LowContrastSeverities[s].Factor/2)
				if x := float64(lc.Pix[i+c]); x < math.Floor(lo) || x > math.Ceil(hi) {
					t.Fatalf("low-contrast severity %d maps %d to %v, outside [%.1f, %.1f]", s+1, v, x, lo, hi)
				}
			}
			// Night darkens every pixel, bright ones to at most 3/4 of their luma even
			// where desaturation lifts a channel, and gives greys a blue cast: blue ≥
			// green ≥ red.
			if ly, lx := luma(n.Pix[i:i+3]), luma(src.Pix[i:i+3]); ly > lx || (lx > 100 && ly > 0.75*lx) {
				t.Fatalf("night severity %d: luma %.1f became %.1f", s+1, lx, ly)
			}
			if src.Pix[i] == src.Pix[i+1] && src.Pix[i+1] == src.Pix[i+2] && !(n.Pix[i] <= n.Pix[i+1] && n.Pix[i+1] <= n.Pix[i+2]) {
				t.Fatalf("night severity %d: grey %d became %v", s+1, src.Pix[i], n.Pix[i:i+3])
			}
		}
		// Overexposure clips: a mid grey at 3 stops is white.
		if s == 4 && Apply(OverexposureSeverities[s], newImg([][]px{{{128, 128, 128}}}), Key{}).Pix[0] != 255 {
			t.Error("3 stops over does not clip mid grey")
		}
	}
	for s := range 5 {
		w, c := WarmSeverities[s].Gains(), CoolSeverities[s].Gains()
		if !(w[0] > 1 && w[2] < 1 && c[0] < 1 && c[2] > 1) {
			t.Errorf("severity %d: warm gains %v, cool gains %v", s+1, w, c)
		}
		for _, g := range [][3]float64{w, c} {
			if l := 0.2126*g[0] + 0.7152*g[1] + 0.0722*g[2]; math.Abs(l-1) > 1e-12 {
				t.Errorf("gains %v change white's luminance to %v", g, l)
			}
		}
		if s > 0 {
			pw, pc := WarmSeverities[s-1].Gains(), CoolSeverities[s-1].Gains()
			if !(w[2] < pw[2] && c[2] > pc[2]) {
				t.Errorf("severity %d is not stronger than %d", s+1, s)
			}
		}
	}
}

// luma is a pixel's BT.601 luma on the 0..255 scale.
func luma(p []uint8) float64 {
	return 0.299*float64(p[0]) + 0.587*float64(p[1]) + 0.114*float64(p[2])
}

// TestNightNoise checks Night's noise against the documented draw order (standard
// normals from PCG(noise_seed, NightNoiseStream), row-major, R then G then B, added after
// the tone curve), the recorded noise seed, its reproducibility and its spread.
func TestNightNoise(t *testing.T) {
	tr := Night{Stops: 1, Saturation: 1, Noise: 0.05}
	src := naturalImg(40, 30, 5)
	k := Key{Purpose: "pixels", Seed: 9, Split: "val", Index: 17}
	out := Apply(tr, src, k)
	rec := tr.Record(k)
	seed, ok := rec["noise_seed"].(uint64)
	if !ok || len(rec) != 1 || seed != k.Rand().Uint64()>>11 || seed >= 1<<53 {
		t.Fatalf("record %v", rec)
	}
	rng := rand.New(rand.NewPCG(seed, 0x6e69676874))
	base := Apply(Night{Stops: 1, Saturation: 1}, src, k)
	var sum, sum2 float64
	n := 0
	for i := 0; i < len(src.Pix); i += 4 {
		for c := range 3 {
			z := rng.NormFloat64()
			// Without noise, the tone curve is a function of the byte (saturation 1,
			// no cast): 2^-1 of the light, re-encoded.
			l := float64(src.Pix[i+c]) / 255
			if l <= 0.04045 {
				l /= 12.92
			} else {
				l = math.Pow((l+0.055)/1.055, 2.4)
			}
			l /= 2
			e := 12.92 * l
			if l > 0.0031308 {
				e = 1.055*math.Pow(l, 1/2.4) - 0.055
			}
			want := math.RoundToEven(255 * math.Min(1, math.Max(0, e+0.05*z)))
			if float64(out.Pix[i+c]) != want {
				t.Fatalf("byte %d: got %d, want %v", i+c, out.Pix[i+c], want)
			}
			if b := float64(base.Pix[i+c]); b > 40 && b < 215 {
				d := float64(out.Pix[i+c]) - 255*e
				sum += d
				sum2 += d * d
				n++
			}
		}
	}
	mean, sd := sum/float64(n), math.Sqrt(sum2/float64(n))
	if math.Abs(mean) > 1 || math.Abs(sd-255*0.05) > 1.5 {
		t.Errorf("noise mean %.2f sd %.2f over %d values, want about 0 and %.2f", mean, sd, n, 255*0.05)
	}
	if again := Apply(tr, src, k); string(again.Pix) != string(out.Pix) {
		t.Error("the same key gave other noise")
	}
	k2 := k
	k2.Index++
	if other := Apply(tr, src, k2); string(other.Pix) == string(out.Pix) {
		t.Error("another index gave the same noise")
	}
	if r := (Night{Stops: 1, Saturation: 1}).Record(k); r != nil {
		t.Errorf("noiseless night records %v", r)
	}
}

// percentileLuma returns the q-quantile (nearest rank) of img's BT.601 luma.
func percentileLuma(img *image.RGBA, q float64) float64 {
	var ls []float64
	for i := 0; i < len(img.Pix); i += 4 {
		ls = append(ls, luma(img.Pix[i:i+3]))
	}
	slices.Sort(ls)
	return ls[int(q*float64(len(ls)-1))]
}

// TestNightDarkensHighlights checks night's defining property: at every severity the
// 99th-percentile luma drops, on images whose highlights are bright saturated colours
// (a yellow fish under a white light), so highlights never stay bright. The real
// ImageNet sample is used too when ../shared is present.
func TestNightDarkensHighlights(t *testing.T) {
	imgs := map[string]*image.RGBA{"natural": naturalImg(96, 64, 11)}
	yellow := naturalImg(96, 64, 12)
	for y := 16; y < 48; y++ {
		for x := 20; x < 76; x++ {
			i := yellow.PixOffset(x, y)
			yellow.Pix[i], yellow.Pix[i+1], yellow.Pix[i+2] = 250, 210, 20
		}
	}
	imgs["yellow"] = yellow
	white := newImg([][]px{{{255, 255, 255}, {255, 255, 255}}, {{255, 255, 255}, {250, 250, 250}}})
	imgs["white"] = white
	for _, path := range sampleImages(t, 6) {
		imgs[filepath.Base(path)] = loadSample(t, path)
	}
	for name, img := range imgs {
		before := percentileLuma(img, 0.99)
		prev := before
		for s, tr := range NightSeverities {
			after := percentileLuma(Apply(tr, img, Key{Purpose: "pixels", Index: s}), 0.99)
			// Severity 1 (two stops less light, 0.53 of the encoded value) brings the
			// highlights to at most 0.6 of their luma; each severity darkens further.
			if after > 0.6*before || after >= prev {
				t.Errorf("%s, severity %d: 99th-percentile luma %.1f → %.1f (previous severity %.1f)", name, s+1, before, after, prev)
			}
			prev = after
		}
	}
}
