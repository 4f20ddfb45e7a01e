package shifts

import (
	"fmt"
	"image"
)

// Pad surrounds an image with a black border Pixels wide on every side, so a w×h image
// becomes (w+2·Pixels)×(h+2·Pixels) (the paper's CIFAR-10 variant: 6 pixels, 32×32 →
// 44×44). With Tint set, the image is first tinted, as the paper's tint shifts do
// (x' = (1−Alpha)·x + Alpha·colour), with the colour of its random class from the paper's
// tint table: RandomClass[k.Index mod N] for the Key's index, N the table length. The
// border stays black. Pixels 0 without Tint is the identity.
//
// Apply returns a new image whose bounds start at (0, 0) (or img itself when Pixels is
// 0). A Pad is read-only once built and safe for concurrent use; build a tinting one with
// NewPad.
type Pad struct {
	// Pixels is the border width on every side (≥ 0).
	Pixels int `json:"pixels"`
	// Tint tints the image (not the border) with its random class's colour first.
	Tint bool `json:"tint"`
	// Alpha is the tint's blend weight (used only with Tint).
	Alpha float64 `json:"alpha,omitempty"`
	table *TintTable
}

// NewPad builds a Pad. With tint, it draws the paper's tint table for env's seed and
// table size (env.TintTableSize, or DefaultTintTableSize when 0).
func NewPad(pixels int, tint bool, alpha float64, env Env) (Pad, error) {
	if pixels < 0 {
		return Pad{}, fmt.Errorf("pad: pixels must be ≥ 0, got %d", pixels)
	}
	p := Pad{Pixels: pixels, Tint: tint}
	if tint {
		n := env.TintTableSize
		if n <= 0 {
			n = DefaultTintTableSize
		}
		p.Alpha = alpha
		p.table = NewTintTable(uint32(env.Seed), n, 0)
	}
	return p, nil
}

// TintClass returns the random class whose colour tints the image keyed by k, and false
// when the Pad does not tint.
func (p Pad) TintClass(k Key) (int, bool) {
	if !p.Tint || p.table == nil || len(p.table.RandomClass) == 0 {
		return 0, false
	}
	n := len(p.table.RandomClass)
	i := ((k.Index % n) + n) % n
	return int(p.table.RandomClass[i]), true
}

// Record returns what Apply drew for the image keyed by k: its tint class and colour
// (nothing when the Pad does not tint).
func (p Pad) Record(k Key) map[string]any {
	c, ok := p.TintClass(k)
	if !ok {
		return nil
	}
	col := p.table.Colors[c]
	return map[string]any{"tint_class": c, "tint_color": []float64{col[0], col[1], col[2]}}
}

// Apply tints img in place when asked, then returns it inside a new black frame.
func (p Pad) Apply(img *image.RGBA, k Key) *image.RGBA {
	if c, ok := p.TintClass(k); ok {
		Tint{Color: p.table.Colors[c], Alpha: p.Alpha}.Apply(img, k)
	}
	if p.Pixels <= 0 {
		return img
	}
	w, h := img.Rect.Dx(), img.Rect.Dy()
	n := p.Pixels
	out := image.NewRGBA(image.Rect(0, 0, w+2*n, h+2*n))
	for i := 3; i < len(out.Pix); i += 4 {
		out.Pix[i] = 255
	}
	for y := range h {
		copy(out.Pix[(y+n)*out.Stride+n*4:], img.Pix[y*img.Stride:y*img.Stride+w*4])
	}
	return out
}
