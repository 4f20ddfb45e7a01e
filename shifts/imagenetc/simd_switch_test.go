//go:build amd64 && !purego

package imagenetc

import (
	"bytes"
	"image"
	"math/rand/v2"
	"testing"

	"github.com/shiftgen/shiftgen/shifts/rgba"
)

// TestVectorPathsMatchGo runs every corruption with and without the AVX2 kernels: the
// bytes must be identical, so results do not depend on the CPU.
func TestVectorPathsMatchGo(t *testing.T) {
	if !useAVX2 {
		t.Skip("no AVX2 on this CPU")
	}
	names, cs := everyCorruption()
	src := synthetic(57, 43, 9)
	fast := make([][]uint8, len(cs))
	for i, c := range cs {
		fast[i] = c.Corrupt(rgba.Clone(src), rand.New(rand.NewPCG(3, uint64(i)))).Pix
	}
	useAVX2 = false
	defer func() { useAVX2 = true }()
	for i, c := range cs {
		slow := c.Corrupt(rgba.Clone(src), rand.New(rand.NewPCG(3, uint64(i)))).Pix
		if !bytes.Equal(fast[i], slow) {
			t.Errorf("%s: the AVX2 and Go paths differ", names[i])
		}
	}
}

// TestHSVVectorMatchesGo runs brightness and saturate at every severity, and other
// parameters, over every grey, colours with ties for the maximum and 200,000 random
// colours, with and without the AVX2 kernel: the bytes must be identical.
func TestHSVVectorMatchesGo(t *testing.T) {
	if !useAVX2 {
		t.Skip("no AVX2 on this CPU")
	}
	r := rand.New(rand.NewPCG(7, 8))
	var px []uint8
	for v := 0; v < 256; v++ {
		px = append(px, uint8(v), uint8(v), uint8(v), 255)
		u := uint8(r.Uint32())
		px = append(px, uint8(v), uint8(v), u, 255, u, uint8(v), uint8(v), 255, uint8(v), u, uint8(v), 255)
	}
	for range 200000 {
		c := r.Uint32()
		px = append(px, uint8(c), uint8(c>>8), uint8(c>>16), uint8(c>>24))
	}
	w := len(px) / 4 / 7
	img := &image.RGBA{Pix: px[:w*7*4], Stride: w * 4, Rect: image.Rect(0, 0, w, 7)}
	var cs []Corruption
	for _, c := range BrightnessSeverities {
		cs = append(cs, c)
	}
	for _, c := range SaturateSeverities {
		cs = append(cs, c)
	}
	cs = append(cs, Brightness{-0.3}, Saturate{0, 0}, Saturate{1.5, -0.2})
	for _, c := range cs {
		fast := c.Corrupt(rgba.Clone(img), nil)
		useAVX2 = false
		slow := c.Corrupt(rgba.Clone(img), nil)
		useAVX2 = true
		if !bytes.Equal(fast.Pix, slow.Pix) {
			for i := range fast.Pix {
				if fast.Pix[i] != slow.Pix[i] {
					p := i &^ 3
					t.Fatalf("%#v: pixel %v gives %v with AVX2, %v without", c, img.Pix[p:p+4], fast.Pix[p:p+4], slow.Pix[p:p+4])
				}
			}
		}
	}
}

// TestElasticVectorMatchesGo runs the elastic transform with and without the AVX2
// sampler on several sizes, seeds and strengths (up to displacements that reach far
// past the borders): the bytes must be identical.
func TestElasticVectorMatchesGo(t *testing.T) {
	if !useAVX2 {
		t.Skip("no AVX2 on this CPU")
	}
	imgs := []*image.RGBA{synthetic(8, 2, 1), synthetic(9, 5, 2), synthetic(64, 48, 3), synthetic(17, 130, 4), testImages(t)[2]}
	for _, img := range imgs {
		for seed := uint64(0); seed < 3; seed++ {
			for _, alpha := range []float64{12.5, 30, 400} {
				c := ElasticTransform{Alpha: alpha, Seed: &seed}
				fast := c.Corrupt(rgba.Clone(img), nil)
				useAVX2 = false
				slow := c.Corrupt(rgba.Clone(img), nil)
				useAVX2 = true
				if !bytes.Equal(fast.Pix, slow.Pix) {
					t.Errorf("%v, seed %d, alpha %v: the AVX2 and Go samplers differ", img.Rect.Size(), seed, alpha)
				}
			}
		}
	}
}

// TestSeveritiesVectorMatchGo runs every corruption at every severity, on a committed
// 224-px image and an odd-sized one, with and without the AVX2 kernels: the bytes must
// be identical.
func TestSeveritiesVectorMatchGo(t *testing.T) {
	if !useAVX2 {
		t.Skip("no AVX2 on this CPU")
	}
	imgs := []*image.RGBA{testImages(t)[5], synthetic(37, 29, 6)}
	for _, info := range Catalogue() {
		for s, c := range info.Severities {
			for i, img := range imgs {
				fast := c.Corrupt(rgba.Clone(img), rand.New(rand.NewPCG(uint64(s), uint64(i))))
				useAVX2 = false
				slow := c.Corrupt(rgba.Clone(img), rand.New(rand.NewPCG(uint64(s), uint64(i))))
				useAVX2 = true
				if !bytes.Equal(fast.Pix, slow.Pix) {
					t.Errorf("%s severity %d on %v: the AVX2 and Go paths differ", info.Name, s+1, img.Rect.Size())
				}
			}
		}
	}
}
