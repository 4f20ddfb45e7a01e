package imagenetc

import (
	"encoding/json"
	"fmt"
	"image"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/shiftgen/shiftgen/shifts/rgba"
)

// reference holds testdata/imagenetc/reference.json: statistics of
// bethgelab/imagecorruptions' output on the committed test images, computed by running
// it locally (no reference code is in the repository).
type reference struct {
	Source        string                 `json:"source"`
	Images        []string               `json:"images"`
	Seeds         int                    `json:"seeds"`
	Deterministic map[string]fingerprint `json:"deterministic"`
	Random        map[string]randomStats `json:"random"`
}

// fingerprint summarises one output image on the 0..255 scale.
type fingerprint struct {
	Angle *float64         `json:"angle,omitempty"`
	Mean  [3]float64       `json:"mean"`
	MAC   float64          `json:"mac"`
	TVX   float64          `json:"tvx"`
	TVY   float64          `json:"tvy"`
	Grid  [3][4][4]float64 `json:"grid"`
}

type randomStats struct {
	MAC    float64 `json:"mac"`
	Std    float64 `json:"std"`
	Images map[string]struct {
		MAC float64 `json:"mac"`
		Std float64 `json:"std"`
	} `json:"images"`
}

func loadReference(t *testing.T) (*reference, map[string]*image.RGBA) {
	t.Helper()
	b, err := os.ReadFile("../../testdata/imagenetc/reference.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref reference
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	imgs := map[string]*image.RGBA{}
	for _, n := range ref.Images {
		imgs[n] = loadPNG(t, "../../testdata/imagenetc/"+n)
	}
	return &ref, imgs
}

// fingerprintOf computes the same statistics as the reference file holds.
func fingerprintOf(out, clean *image.RGBA) fingerprint {
	w, h := dims(out)
	var f fingerprint
	var mac, tvx, tvy float64
	for y := 0; y < h; y++ {
		o, c := row(out, y, w), row(clean, y, w)
		for x := 0; x < w; x++ {
			for ch := 0; ch < 3; ch++ {
				v := float64(o[4*x+ch])
				f.Mean[ch] += v
				mac += math.Abs(v - float64(c[4*x+ch]))
				f.Grid[ch][y*4/h][x*4/w] += v
				if x+1 < w {
					tvx += math.Abs(float64(o[4*x+4+ch]) - v)
				}
				if y+1 < h {
					tvy += math.Abs(float64(row(out, y+1, w)[4*x+ch]) - v)
				}
			}
		}
	}
	n := float64(w * h)
	for ch := range f.Mean {
		f.Mean[ch] /= n
		for i := range f.Grid[ch] {
			for j := range f.Grid[ch][i] {
				f.Grid[ch][i][j] /= n / 16
			}
		}
	}
	f.MAC = mac / (3 * n)
	f.TVX = tvx / (3 * float64((w-1)*h))
	f.TVY = tvy / (3 * float64(w*(h-1)))
	return f
}

// lowerBound returns a lower bound on the mean absolute difference between two images
// given only their fingerprints: each statistic is 1-Lipschitz (2 for the neighbour
// differences) in that distance.
func lowerBound(a, b fingerprint) float64 {
	lb := math.Abs(a.MAC - b.MAC)
	lb = math.Max(lb, math.Abs(a.TVX-b.TVX)/2)
	lb = math.Max(lb, math.Abs(a.TVY-b.TVY)/2)
	var g float64
	for ch := range a.Mean {
		lb = math.Max(lb, math.Abs(a.Mean[ch]-b.Mean[ch]))
		for i := range a.Grid[ch] {
			for j := range a.Grid[ch][i] {
				g += math.Abs(a.Grid[ch][i][j] - b.Grid[ch][i][j])
			}
		}
	}
	return math.Max(lb, g/48)
}

// catalogueEntry returns the catalogue entry whose reference name is ref.
func catalogueEntry(t *testing.T, ref string) Info {
	for _, c := range Catalogue() {
		if c.Reference == ref {
			return c
		}
	}
	t.Fatalf("no corruption %q", ref)
	return Info{}
}

// TestParityDeterministic checks the deterministic corruptions (and motion blur at the
// reference's angles) against the reference's output statistics: the mean absolute
// difference from the reference must be at most 1.0 on average and 3.0 on any image
// (ImageNet-C parity targets). The fingerprints give a lower bound on that difference,
// which must meet the same limits.
func TestParityDeterministic(t *testing.T) {
	ref, imgs := loadReference(t)
	images := parityImages(ref)
	for _, name := range []string{"brightness", "contrast", "saturate", "pixelate", "jpeg_compression",
		"gaussian_blur", "defocus_blur", "motion_blur", "zoom_blur"} {
		info := catalogueEntry(t, name)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			for s := 1; s <= 5; s++ {
				var sum, worst float64
				for _, im := range images {
					want, ok := ref.Deterministic[fmt.Sprintf("%s/%d/%s", name, s, im)]
					if !ok {
						t.Fatalf("reference.json lacks %s/%d/%s", name, s, im)
					}
					c := info.Severities[s-1]
					if m, ok := c.(MotionBlur); ok {
						m.Angle = want.Angle
						c = m
					}
					clean := imgs[im]
					out := c.Corrupt(rgba.Clone(clean), nil)
					lb := lowerBound(fingerprintOf(out, clean), want)
					sum += lb
					worst = math.Max(worst, lb)
					if lb > 3.0 {
						t.Errorf("%s severity %d on %s: differs from the reference by at least %.3f (limit 3.0)", name, s, im, lb)
					}
				}
				mean := sum / float64(len(images))
				if mean > 1.0 {
					t.Errorf("%s severity %d: differs from the reference by at least %.3f on average (limit 1.0)", name, s, mean)
				}
				t.Logf("%-16s sev %d: lower bound of mean abs diff %.4f (worst image %.4f)", name, s, mean, worst)
			}
		})
	}
}

// paritySeeds is the number of seeded runs per image of TestParityRandom: more for
// the corruptions whose effect varies most between runs (frost picks one of five
// textures; spatter's drops are rare at severity 1; fog's haze is one random field).
func paritySeeds(name string) int {
	k := 4
	if testing.Short() || raceEnabled {
		k = 2
	}
	switch name {
	case "frost":
		return 8 * k
	case "spatter", "fog":
		return 4 * k
	}
	return k
}

// parityImages returns the committed images the parity tests use: all of them, or
// three under -short and the race detector (which slows the kernels tenfold).
func parityImages(ref *reference) []string {
	if testing.Short() || raceEnabled {
		return ref.Images[:3]
	}
	return ref.Images
}

// TestParityRandom checks the random corruptions in distribution: over the committed
// images and several seeds, the standard deviation of out − clean must be within 5 %
// of the reference's for the noises, and the mean absolute change within 15 % for the
// others (ImageNet-C parity targets).
func TestParityRandom(t *testing.T) {
	ref, imgs := loadReference(t)
	images := parityImages(ref)
	noise := map[string]bool{"gaussian_noise": true, "shot_noise": true, "impulse_noise": true, "speckle_noise": true}
	for _, name := range []string{"gaussian_noise", "shot_noise", "impulse_noise", "speckle_noise",
		"glass_blur", "snow", "frost", "fog", "spatter", "elastic_transform"} {
		info := catalogueEntry(t, name)
		k := paritySeeds(name)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			for s := 1; s <= 5; s++ {
				all := ref.Random[fmt.Sprintf("%s/%d", name, s)]
				var want struct{ MAC, Std float64 }
				for _, im := range images {
					want.MAC += all.Images[im].MAC / float64(len(images))
					want.Std += all.Images[im].Std / float64(len(images))
				}
				var mac, std float64
				n := 0
				for i, im := range images {
					clean := imgs[im]
					for seed := 0; seed < k; seed++ {
						r := rand.New(rand.NewPCG(uint64(1000*s+i), uint64(seed)))
						out := info.Severities[s-1].Corrupt(rgba.Clone(clean), r)
						m, sd := changeStats(out, clean)
						mac += m
						std += sd
						n++
					}
				}
				mac /= float64(n)
				std /= float64(n)
				if noise[name] {
					if r := std / want.Std; math.Abs(r-1) > 0.05 {
						t.Errorf("%s severity %d: noise std %.3f is %.3f× the reference's %.3f (limit ±5 %%)", name, s, std, r, want.Std)
					}
				} else if r := mac / want.MAC; math.Abs(r-1) > 0.15 {
					t.Errorf("%s severity %d: mean abs change %.3f is %.3f× the reference's %.3f (limit ±15 %%)", name, s, mac, r, want.MAC)
				}
				t.Logf("%-18s sev %d: mean abs change %.3f / %.3f = %.3f, std %.3f / %.3f = %.3f",
					name, s, mac, want.MAC, mac/want.MAC, std, want.Std, std/want.Std)
			}
		})
	}
}

// changeStats returns the mean absolute value and the standard deviation of out − clean
// over every colour byte.
func changeStats(out, clean *image.RGBA) (mac, std float64) {
	w, h := dims(out)
	var s, s2, a float64
	for y := 0; y < h; y++ {
		o, c := row(out, y, w), row(clean, y, w)
		for i := 0; i < len(o); i++ {
			if i%4 == 3 {
				continue
			}
			d := float64(o[i]) - float64(c[i])
			a += math.Abs(d)
			s += d
			s2 += d * d
		}
	}
	n := float64(3 * w * h)
	mu := s / n
	return a / n, math.Sqrt(s2/n - mu*mu)
}

// TestParityFullReference compares with reference output images when
// SHIFTGEN_IMAGENETC_REF names a folder of them (<corruption>/<severity>/<image>.png,
// made by running imagecorruptions on the PNGs of SHIFTGEN_IMAGENETC_SRC); it is skipped
// otherwise. It measures the true mean absolute difference.
func TestParityFullReference(t *testing.T) {
	refDir, srcDir := os.Getenv("SHIFTGEN_IMAGENETC_REF"), os.Getenv("SHIFTGEN_IMAGENETC_SRC")
	if refDir == "" || srcDir == "" {
		t.Skip("set SHIFTGEN_IMAGENETC_REF and SHIFTGEN_IMAGENETC_SRC to compare with full reference outputs")
	}
	entries, err := os.ReadDir(srcDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"brightness", "contrast", "saturate", "pixelate", "jpeg_compression",
		"gaussian_blur", "defocus_blur", "zoom_blur"} {
		info := catalogueEntry(t, name)
		for s := 1; s <= 5; s++ {
			var sum, worst float64
			n := 0
			for _, e := range entries {
				if !strings.HasSuffix(e.Name(), ".png") {
					continue
				}
				want := loadPNG(t, fmt.Sprintf("%s/%s/%d/%s", refDir, name, s, e.Name()))
				got := info.Severities[s-1].Corrupt(loadPNG(t, srcDir+"/"+e.Name()), nil)
				m, _ := changeStats(got, want)
				sum += m
				worst = math.Max(worst, m)
				n++
			}
			if mean := sum / float64(n); mean > 1 || worst > 3 {
				t.Errorf("%s severity %d: mean abs diff %.4f, worst %.4f (limits 1.0, 3.0)", name, s, mean, worst)
			}
			t.Logf("%-16s sev %d: mean abs diff %.4f, worst %.4f over %d images", name, s, sum/float64(n), worst, n)
		}
	}
}
