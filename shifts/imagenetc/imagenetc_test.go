package imagenetc

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/shiftgen/shiftgen/shifts/rgba"
)

// synthetic returns a w×h test image with smooth gradients, edges, a flat patch and
// saturated areas, alpha 255.
func synthetic(w, h int, seed uint64) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	r := rand.New(rand.NewPCG(seed, 7))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			v := [3]uint8{uint8(x * 255 / max(1, w-1)), uint8(y * 255 / max(1, h-1)), uint8((x*y + int(r.IntN(32))) % 256)}
			if x > w/2 && y > h/2 {
				v = [3]uint8{200, 200, 200} // flat
			}
			if x < w/5 {
				v[0] = 255 // saturated
			}
			img.SetRGBA(x, y, color.RGBA{v[0], v[1], v[2], 255})
		}
	}
	return img
}

// everyCorruption lists each corruption at each severity with its name.
func everyCorruption() (names []string, cs []Corruption) {
	for _, info := range Catalogue() {
		for s, c := range info.Severities {
			names = append(names, fmt.Sprintf("%s/%d", info.Name, s+1))
			cs = append(cs, c)
		}
	}
	return names, cs
}

func TestCatalogue(t *testing.T) {
	cat := Catalogue()
	if len(cat) != 19 {
		t.Fatalf("%d corruptions, want 19", len(cat))
	}
	common := 0
	seen := map[string]bool{}
	for _, c := range cat {
		if seen[c.Name] {
			t.Errorf("%s listed twice", c.Name)
		}
		seen[c.Name] = true
		if c.Common {
			common++
		}
		if c.Name != strings.ReplaceAll(c.Reference, "_", "-") {
			t.Errorf("%s: reference name %s", c.Name, c.Reference)
		}
	}
	if common != 15 {
		t.Errorf("%d common corruptions, want 15", common)
	}
	for _, v := range []string{"speckle-noise", "gaussian-blur", "spatter", "saturate"} {
		for _, c := range cat {
			if c.Name == v && c.Common {
				t.Errorf("%s should be a validation corruption", v)
			}
		}
	}
}

// TestShapesAndAlpha runs every corruption on images of awkward sizes: the size is
// kept, alpha stays 255, and nothing panics.
func TestShapesAndAlpha(t *testing.T) {
	names, cs := everyCorruption()
	for _, size := range [][2]int{{32, 32}, {33, 47}, {97, 64}, {64, 200}, {300, 41}} {
		src := synthetic(size[0], size[1], 1)
		for i, c := range cs {
			out := c.Corrupt(rgba.Clone(src), rand.New(rand.NewPCG(1, 2)))
			if out.Rect != src.Rect {
				t.Fatalf("%s on %v: returned %v", names[i], src.Rect, out.Rect)
			}
			for p := 3; p < len(out.Pix); p += 4 {
				if out.Pix[p] != 255 {
					t.Fatalf("%s on %v: alpha %d at byte %d", names[i], src.Rect, out.Pix[p], p)
				}
			}
		}
	}
}

// TestSubImage checks that an image whose Rect does not start at the origin and whose
// stride is wider than its rows is handled.
func TestSubImage(t *testing.T) {
	names, cs := everyCorruption()
	big := synthetic(80, 70, 3)
	for i, c := range cs {
		sub := rgba.Clone(big).SubImage(image.Rect(10, 5, 60, 55)).(*image.RGBA)
		want := c.Corrupt(compact(sub), rand.New(rand.NewPCG(5, 6)))
		got := c.Corrupt(sub, rand.New(rand.NewPCG(5, 6)))
		if !bytes.Equal(compact(got).Pix, want.Pix) {
			t.Errorf("%s: a sub-image gives other pixels than its compact copy", names[i])
		}
	}
}

// compact copies img into a fresh image with Rect at the origin.
func compact(img *image.RGBA) *image.RGBA {
	w, h := dims(img)
	out := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		copy(row(out, y, w), row(img, y, w))
	}
	return out
}

// TestReproducible checks that the same generator state gives the same bytes and, for
// the random corruptions, that another state gives other bytes.
func TestReproducible(t *testing.T) {
	src := synthetic(64, 48, 2)
	for _, info := range Catalogue() {
		for s, c := range info.Severities {
			a := c.Corrupt(rgba.Clone(src), rand.New(rand.NewPCG(11, 12)))
			b := c.Corrupt(rgba.Clone(src), rand.New(rand.NewPCG(11, 12)))
			if !bytes.Equal(a.Pix, b.Pix) {
				t.Errorf("%s/%d: same seed, different bytes", info.Name, s+1)
			}
			d := c.Corrupt(rgba.Clone(src), rand.New(rand.NewPCG(11, 13)))
			if info.Random && bytes.Equal(a.Pix, d.Pix) {
				t.Errorf("%s/%d: different seeds, same bytes", info.Name, s+1)
			}
			if !info.Random && !bytes.Equal(a.Pix, d.Pix) {
				t.Errorf("%s/%d: deterministic corruption depends on the seed", info.Name, s+1)
			}
		}
	}
}

// TestConcurrent runs every corruption from many goroutines at once (caches are
// shared) and checks the results against sequential runs; run it with -race.
func TestConcurrent(t *testing.T) {
	names, cs := everyCorruption()
	src := synthetic(48, 40, 4)
	want := make([][]uint8, len(cs))
	for i, c := range cs {
		want[i] = c.Corrupt(rgba.Clone(src), rand.New(rand.NewPCG(uint64(i), 1))).Pix
	}
	var wg sync.WaitGroup
	errs := make([]string, len(cs))
	for rep := 0; rep < 3; rep++ {
		for i, c := range cs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				got := c.Corrupt(rgba.Clone(src), rand.New(rand.NewPCG(uint64(i), 1))).Pix
				if !bytes.Equal(got, want[i]) {
					errs[i] = names[i] + ": concurrent run differs"
				}
			}()
		}
	}
	wg.Wait()
	for _, e := range errs {
		if e != "" {
			t.Error(e)
		}
	}
}

// TestIdentities checks parameter values documented as the identity.
func TestIdentities(t *testing.T) {
	src := synthetic(40, 30, 5)
	zero := 0.0
	for _, c := range []Corruption{
		GaussianNoise{}, SpeckleNoise{}, ImpulseNoise{}, Brightness{0}, Saturate{1, 0}, Contrast{1},
		Pixelate{1}, GaussianBlur{0}, MotionBlur{Radius: 0, Sigma: 1, Angle: &zero},
		GlassBlur{}, Frost{ImageWeight: 1, FrostWeight: 0},
	} {
		out := c.Corrupt(rgba.Clone(src), rand.New(rand.NewPCG(1, 1)))
		if !bytes.Equal(out.Pix, src.Pix) {
			t.Errorf("%#v is not the identity", c)
		}
	}
}

// TestLiterals checks exact pixels on tiny images.
func TestLiterals(t *testing.T) {
	img := func(px ...[3]uint8) *image.RGBA {
		m := image.NewRGBA(image.Rect(0, 0, len(px), 1))
		for i, p := range px {
			m.Pix[4*i], m.Pix[4*i+1], m.Pix[4*i+2], m.Pix[4*i+3] = p[0], p[1], p[2], 255
		}
		return m
	}
	// Contrast 0.5 around the channel mean 0.5: 0.25·255 = 63.75 and 0.75·255 = 191.25.
	got := Contrast{0.5}.Corrupt(img([3]uint8{0, 0, 0}, [3]uint8{255, 255, 255}), nil)
	if want := []uint8{63, 63, 63, 255, 191, 191, 191, 255}; !bytes.Equal(got.Pix, want) {
		t.Errorf("contrast: %v, want %v", got.Pix, want)
	}
	// Brightness: pure red is already at V = 1; grey 100 gains 0.2·255 = 51.
	got = Brightness{0.2}.Corrupt(img([3]uint8{255, 0, 0}, [3]uint8{100, 100, 100}), nil)
	if want := []uint8{255, 0, 0, 255, 151, 151, 151, 255}; !bytes.Equal(got.Pix, want) {
		t.Errorf("brightness: %v, want %v", got.Pix, want)
	}
	// Saturate 0 makes grey: S = 0 gives R = G = B = V = max.
	got = Saturate{0, 0}.Corrupt(img([3]uint8{200, 100, 50}), nil)
	if want := []uint8{200, 200, 200, 255}; !bytes.Equal(got.Pix, want) {
		t.Errorf("saturate: %v, want %v", got.Pix, want)
	}
	// Impulse noise with amount 1 replaces every channel by 0 or 255.
	got = ImpulseNoise{Amount: 1}.Corrupt(synthetic(16, 16, 1), rand.New(rand.NewPCG(1, 2)))
	for i, v := range got.Pix {
		if i%4 != 3 && v != 0 && v != 255 {
			t.Fatalf("impulse amount 1: byte %d is %d", i, v)
		}
	}
	// Pixelate 4 → 2 → 4 along x: Pillow's BOX averages pairs with rounding
	// ((a+b+1)>>1), NEAREST repeats them.
	got = Pixelate{0.5}.Corrupt(img([3]uint8{0, 10, 20}, [3]uint8{1, 11, 30}, [3]uint8{100, 0, 255}, [3]uint8{101, 0, 254}), nil)
	// Height 1 stays 1 (int(1·0.5) = 0 is raised to 1).
	if want := []uint8{1, 11, 25, 255, 1, 11, 25, 255, 101, 0, 255, 255, 101, 0, 255, 255}; !bytes.Equal(got.Pix, want) {
		t.Errorf("pixelate: %v, want %v", got.Pix, want)
	}
	// JPEG keeps a flat 16×16 block flat (only the DC term survives).
	flat := image.NewRGBA(image.Rect(0, 0, 16, 16))
	for i := range flat.Pix {
		flat.Pix[i] = []uint8{120, 60, 200, 255}[i%4]
	}
	got = JPEGSeverities[4].Corrupt(rgba.Clone(flat), nil)
	for i := 4; i < len(got.Pix); i++ {
		if got.Pix[i] != got.Pix[i%4] {
			t.Fatalf("jpeg of a flat image is not flat at byte %d", i)
		}
	}
	for ch := 0; ch < 3; ch++ {
		if d := int(got.Pix[ch]) - int(flat.Pix[ch]); d < -8 || d > 8 {
			t.Errorf("jpeg moved flat channel %d from %d to %d", ch, flat.Pix[ch], got.Pix[ch])
		}
	}
}

// TestFrostTextures loads a user texture folder and checks the blend on constants.
func TestFrostTextures(t *testing.T) {
	dir := t.TempDir()
	tex := image.NewRGBA(image.Rect(0, 0, 50, 40))
	for i := range tex.Pix {
		tex.Pix[i] = []uint8{200, 100, 0, 255}[i%4]
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, tex); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "a.png"), buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("not a texture"), 0o644); err != nil {
		t.Fatal(err)
	}
	load := func(p string) (*image.RGBA, error) {
		f, err := os.Open(p)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		im, err := png.Decode(f)
		if err != nil {
			return nil, err
		}
		return im.(*image.RGBA), nil
	}
	ft, err := LoadFrostTextures(dir, load)
	if err != nil {
		t.Fatal(err)
	}
	if ft.Len() != 1 {
		t.Fatalf("%d textures, want 1", ft.Len())
	}
	img := image.NewRGBA(image.Rect(0, 0, 64, 64)) // larger than the texture: it is enlarged
	for i := range img.Pix {
		img.Pix[i] = []uint8{100, 100, 100, 255}[i%4]
	}
	out := Frost{ImageWeight: 0.5, FrostWeight: 0.5, Textures: ft}.Corrupt(img, rand.New(rand.NewPCG(1, 1)))
	for i := 0; i < len(out.Pix); i += 4 {
		if got := out.Pix[i : i+3]; !bytes.Equal(got, []uint8{150, 100, 50}) {
			t.Fatalf("pixel %d: %v, want [150 100 50]", i/4, got)
		}
	}
	if _, err := LoadFrostTextures(t.TempDir(), load); err == nil {
		t.Error("an empty folder should be an error")
	}
	if _, err := LoadFrostTextures(filepath.Join(dir, "missing"), load); err == nil {
		t.Error("a missing folder should be an error")
	}
}

// TestProceduralFrost checks the generated textures' sizes and spread.
func TestProceduralFrost(t *testing.T) {
	ft := ProceduralFrost(0)
	if ft.Len() != 5 {
		t.Fatalf("%d textures, want 5", ft.Len())
	}
	for i, tx := range ft.tex {
		spec := frostSpecs[i]
		if tx.w != spec.w || tx.h != spec.h {
			t.Errorf("texture %d is %d×%d, want %d×%d", i, tx.w, tx.h, spec.w, spec.h)
		}
		var sum [3]float64
		for j, v := range tx.pix {
			sum[j%3] += float64(v)
		}
		for ch := range sum {
			mean := sum[ch] / float64(tx.w*tx.h)
			if d := mean - spec.mean[ch]; d < -3 || d > 3 {
				t.Errorf("texture %d channel %d: mean %.1f, want %.1f", i, ch, mean, spec.mean[ch])
			}
		}
	}
	if a, b := ProceduralFrost(1), ProceduralFrost(2); bytes.Equal(a.tex[0].pix, b.tex[0].pix) {
		t.Error("texture seeds 1 and 2 give the same texture")
	}
}

// TestZoomFactors checks the np.arange quirk: severity 1 has 12 factors.
func TestZoomFactors(t *testing.T) {
	for i, want := range []int{12, 16, 11, 13, 11} {
		if got := len(ZoomBlurSeverities[i].Factors()); got != want {
			t.Errorf("severity %d: %d factors, want %d", i+1, got, want)
		}
	}
}

// TestMotionAngle checks that a fixed angle skips the random draw and that the taps
// follow the documented offsets.
func TestMotionAngle(t *testing.T) {
	taps := motionTaps(2, 1, 90, 100, 100)
	for i, tp := range taps {
		if tp.dx != 0 || tp.dy != i {
			t.Errorf("tap %d at 90°: offset (%d, %d), want (0, %d)", i, tp.dx, tp.dy, i)
		}
	}
	a := 30.0
	m := MotionBlurSeverities[0]
	m.Angle = &a
	m.Corrupt(synthetic(32, 32, 1), nil) // must not touch the nil generator
}

// TestBoxDivisions checks the shortcuts Pixelate takes for spans of one and two
// pixels against Pillow's fixed-point division they replace.
func TestBoxDivisions(t *testing.T) {
	for n := 1; n <= 2; n++ {
		b := boxSpan{n: n, k: int32(0.5 + float64((1/float64(n))*(1<<22)))}
		for s := 0; s <= 255*n; s++ {
			want := b.div(int32(s))
			got := uint8(s)
			if n == 2 {
				got = uint8((s + 1) >> 1)
			}
			if got != want {
				t.Fatalf("n=%d, sum %d: shortcut %d, Pillow %d", n, s, got, want)
			}
		}
	}
}

// TestZoomBlocks checks that the vector plan of zoom blur's horizontal interpolation
// covers each row but its last few values (a block reads 16 source values), for every
// factor of every severity at 224 px and on a narrow image.
func TestZoomBlocks(t *testing.T) {
	for _, w := range []int{224, 37} {
		for _, c := range ZoomBlurSeverities {
			for _, z := range c.Factors() {
				ax := newZoomAxis(w, z)
				bs := zoomBlocks(&ax, 3*w)
				if 8*len(bs) < 3*w-32 {
					t.Errorf("w=%d z=%v: %d blocks cover %d of %d values", w, z, len(bs), 8*len(bs), 3*w)
				}
			}
		}
	}
}
