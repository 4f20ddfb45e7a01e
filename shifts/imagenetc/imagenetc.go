package imagenetc

import (
	"image"
	"math/bits"
	"math/rand/v2"
	"sync"
)

// A Corruption changes the pixels of one image. Corrupt owns img, whose alpha must be
// 255 everywhere: it may change it in place and return it, or return a new image of the
// same size. Every random draw comes from r (deterministic corruptions ignore it and
// accept nil), so the same image, parameters and generator state give the same result.
// Corruptions are values and safe for concurrent use.
type Corruption interface {
	Corrupt(img *image.RGBA, r *rand.Rand) *image.RGBA
}

// trunc8 converts a value on the 0..255 scale to a byte as NumPy's uint8 cast of the
// clipped image does: clamp, then truncate toward zero.
func trunc8(x float64) uint8 {
	if x <= 0 || x != x {
		return 0
	}
	if x >= 255 {
		return 255
	}
	return uint8(x)
}

// trunc8f is trunc8 for float32 values.
func trunc8f(x float32) uint8 {
	if x <= 0 || x != x {
		return 0
	}
	if x >= 255 {
		return 255
	}
	return uint8(x)
}

// clip01 clamps x to [0, 1] as np.clip does (NaN stays NaN).
func clip01(x float64) float64 {
	if x < 0 {
		return 0
	}
	if x > 1 {
		return 1
	}
	return x
}

// clip01f is clip01 for float32 values.
func clip01f(x float32) float32 {
	if x < 0 {
		return 0
	}
	if x > 1 {
		return 1
	}
	return x
}

// fmax32 is the larger of two finite float32 values (the builtin max also orders NaNs
// and signed zeros, which costs branches in hot loops).
func fmax32(a, b float32) float32 {
	if b > a {
		return b
	}
	return a
}

// unit32 and unit64 are v/255 for every byte v, in float32 and in float64.
var unit32, unit64 = func() (t32 [256]float32, t64 [256]float64) {
	for v := range t32 {
		t32[v] = float32(v) / 255
		t64[v] = float64(v) / 255
	}
	return t32, t64
}()

// dims returns img's width and height.
func dims(img *image.RGBA) (w, h int) { return img.Rect.Dx(), img.Rect.Dy() }

// row returns the 4·w bytes of row y of img.
func row(img *image.RGBA, y, w int) []uint8 {
	o := y * img.Stride
	return img.Pix[o : o+4*w : o+4*w]
}

// stream is a small, fast generator (SplitMix64) seeded by a seed a corruption draws
// (see Random), used where a corruption needs hundreds of thousands of draws. It is not
// safe for concurrent use; each call to Corrupt makes its own.
type stream struct{ s uint64 }

// next returns 64 uniformly distributed bits.
func (s *stream) next() uint64 {
	s.s += 0x9e3779b97f4a7c15
	z := s.s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// float64 returns a uniform draw in [0, 1) with 53 random bits.
func (s *stream) float64() float64 { return float64(s.next()>>11) * 0x1p-53 }

// intn returns a uniform integer in [0, n) without bias (Lemire's method).
func (s *stream) intn(n uint32) uint32 {
	for {
		v := uint32(s.next())
		m := uint64(v) * uint64(n)
		if uint32(m) >= n || uint32(m) >= (-n)%n {
			return uint32(m >> 32)
		}
	}
}

// cacheLimit bounds every cache: past it a cache forgets everything and starts again,
// so images of many different sizes cannot grow memory without bound.
const cacheLimit = 64

// cache memoises values that are expensive to build (kernels, tables) by key. It is
// safe for concurrent use; a value is built once per key even when several goroutines
// ask for it at the same time.
type cache[K comparable, V any] struct {
	mu sync.Mutex
	m  map[K]*cacheEntry[V]
}

type cacheEntry[V any] struct {
	once sync.Once
	v    V
}

// get returns the value for k, building it with build on first use.
func (c *cache[K, V]) get(k K, build func() V) V {
	c.mu.Lock()
	if c.m == nil || len(c.m) >= cacheLimit {
		if _, ok := c.m[k]; !ok {
			c.m = map[K]*cacheEntry[V]{}
		}
	}
	e, ok := c.m[k]
	if !ok {
		e = &cacheEntry[V]{}
		c.m[k] = e
	}
	c.mu.Unlock()
	e.once.Do(func() { e.v = build() })
	return e.v
}

// pool recycles float scratch buffers between calls.
type pool[T any] struct{ p sync.Pool }

// get returns a slice of length n (contents undefined).
func (p *pool[T]) get(n int) []T {
	if v, ok := p.p.Get().(*[]T); ok && cap(*v) >= n {
		return (*v)[:n]
	}
	return make([]T, n)
}

// put returns s to the pool.
func (p *pool[T]) put(s []T) { p.p.Put(&s) }

var (
	f64pool pool[float64]
	f32pool pool[float32]
)

// wy returns 64 uniformly distributed bits by wyrand (one 64×64→128-bit product per
// draw), the cheaper generator the noises use for their one draw per channel value.
func (s *stream) wy() uint64 {
	s.s += 0xa0761d6478bd642f
	hi, lo := bits.Mul64(s.s, s.s^0xe7037ed1a0b428db)
	return hi ^ lo
}
