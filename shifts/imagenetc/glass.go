package imagenetc

import (
	"encoding/binary"
	"image"
	"math/rand/v2"
)

// GlassBlur blurs the image, shuffles pixels locally and blurs again, as
// imagecorruptions' glass_blur does: a Gaussian blur of σ = Sigma truncated to bytes;
// then Iterations sweeps over the interior from the bottom-right corner, each pixel
// (h, w) taking the value of (h + dy, w + dx) with dx, dy uniform in
// [−MaxDelta, MaxDelta − 1] (a one-way copy: NumPy's tuple "swap" of two views does not
// exchange); then the same blur again, truncated to bytes.
type GlassBlur struct {
	// Sigma is the standard deviation of both blurs in pixels.
	Sigma float64 `json:"sigma"`
	// MaxDelta bounds the pixel displacement.
	MaxDelta int `json:"max_delta"`
	// Iterations is the number of shuffling sweeps.
	Iterations int `json:"iterations"`
	// Seed seeds the shuffle's offsets; nil draws it per image.
	Seed *uint64 `json:"shuffle_seed,omitempty"`
}

// GlassBlurSeverities holds GlassBlur at severities 1..5.
var GlassBlurSeverities = [5]GlassBlur{
	{Sigma: 0.7, MaxDelta: 1, Iterations: 2}, {Sigma: 0.9, MaxDelta: 2, Iterations: 1},
	{Sigma: 1, MaxDelta: 2, Iterations: 3}, {Sigma: 1.1, MaxDelta: 3, Iterations: 2},
	{Sigma: 1.5, MaxDelta: 4, Iterations: 2},
}

// Draw draws the shuffle seed unless it is set.
func (c GlassBlur) Draw(r *rand.Rand) Random { c.Seed = drawSeed(c.Seed, r); return c }

// Draws returns the shuffle seed when set.
func (c GlassBlur) Draws() map[string]any { return setDraws("shuffle_seed", c.Seed) }

type glassPlan struct {
	k                  []float32
	firstFlat, outFlat *[256]uint8
}

var glassPlans cache[float64, *glassPlan]

// Corrupt applies the glass effect in place. It draws the shuffle seed (Draw); the
// stream it seeds gives two offsets (dx, then dy) per visited pixel per sweep.
func (c GlassBlur) Corrupt(img *image.RGBA, r *rand.Rand) *image.RGBA {
	c.Seed = drawSeed(c.Seed, r)
	w, h := dims(img)
	n := w * h * 3
	buf := u8pool.get(2 * n)
	defer u8pool.put(buf)
	a, b := buf[:n], buf[n:]
	getRGB(img, a)
	var p *glassPlan
	if c.Sigma > 0 {
		p = glassPlans.get(c.Sigma, func() *glassPlan {
			k := gaussKernel(c.Sigma, gaussRadius(c.Sigma, 4))
			return &glassPlan{k: kernel32(k), firstFlat: gaussFlat(k, false), outFlat: gaussFlat(k, true)}
		})
		blurBytes(a, b, w, h, p.k, p.firstFlat)
		a, b = b, a
	}
	d := c.MaxDelta
	if d <= 0 || c.Iterations <= 0 {
		if p != nil {
			blurBytes(a, b, w, h, p.k, p.outFlat)
			a = b
		}
		putRGB(img, a)
		return img
	}
	// The shuffle runs on img's RGBA pixels, a pixel's colour moved as one word.
	putRGB(img, a)
	st := seeded(c.Seed)
	span := uint32(2 * d)
	pow2 := span&(span-1) == 0
	pix, stride := img.Pix, img.Stride
	for it := 0; it < c.Iterations; it++ {
		for y := h - d; y > d; y-- {
			for x := w - d; x > d; x-- {
				var dx, dy int
				if pow2 {
					v := st.next()
					dx = int(uint32(v)&(span-1)) - d
					dy = int(uint32(v>>32)&(span-1)) - d
				} else {
					dx = int(st.intn(span)) - d
					dy = int(st.intn(span)) - d
				}
				o := y*stride + 4*x
				s := (y+dy)*stride + 4*(x+dx)
				v := binary.LittleEndian.Uint32(pix[s:])&0xffffff | binary.LittleEndian.Uint32(pix[o:])&0xff000000
				binary.LittleEndian.PutUint32(pix[o:], v)
			}
		}
	}
	if p != nil {
		getRGB(img, a)
		blurBytes(a, b, w, h, p.k, p.outFlat)
		putRGB(img, b)
	}
	return img
}
