package imagenetc

import (
	"image"
	"math"
	"math/rand/v2"
)

// GaussianNoise adds independent normal noise to every channel of every pixel:
// out = trunc(255·clip(x + N(0, Sigma²), 0, 1)) with x = v/255. Sigma 0 is the identity.
type GaussianNoise struct {
	// Sigma is the noise standard deviation on the [0, 1] scale.
	Sigma float64 `json:"sigma"`
	// Seed seeds the noise; nil draws it per image.
	Seed *uint64 `json:"noise_seed,omitempty"`
}

// GaussianNoiseSeverities holds GaussianNoise at severities 1..5.
var GaussianNoiseSeverities = [5]GaussianNoise{{Sigma: 0.08}, {Sigma: 0.12}, {Sigma: 0.18}, {Sigma: 0.26}, {Sigma: 0.38}}

// Draw draws the noise seed unless it is set.
func (c GaussianNoise) Draw(r *rand.Rand) Random { c.Seed = drawSeed(c.Seed, r); return c }

// Draws returns the noise seed when set.
func (c GaussianNoise) Draws() map[string]any { return setDraws("noise_seed", c.Seed) }

// Corrupt adds the noise in place. It draws the seed of its noise (Draw).
func (c GaussianNoise) Corrupt(img *image.RGBA, r *rand.Rand) *image.RGBA {
	c.Seed = drawSeed(c.Seed, r)
	sigma := c.Sigma
	if sigma == 0 {
		return img
	}
	s := samplers.get(samplerKey{kind: 'g', p: sigma}, func() *sampler {
		return newSampler(func(v int, p *[256]float64) {
			a := float64(v) / 255
			prev := 0.0
			for k := 0; k < 255; k++ {
				cdf := normCDF((float64(k+1)/255 - a) / sigma)
				p[k] = cdf - prev
				prev = cdf
			}
			p[255] = 1 - prev
		})
	})
	s.apply(img, seeded(c.Seed))
	return img
}

// ShotNoise replaces every channel value by a Poisson photon count:
// out = trunc(255·clip(Poisson(Photons·x)/Photons, 0, 1)) with x = v/255.
type ShotNoise struct {
	// Photons is the expected photon count of a full-scale value; fewer is noisier.
	Photons float64 `json:"photons"`
	// Seed seeds the noise; nil draws it per image.
	Seed *uint64 `json:"noise_seed,omitempty"`
}

// ShotNoiseSeverities holds ShotNoise at severities 1..5.
var ShotNoiseSeverities = [5]ShotNoise{{Photons: 60}, {Photons: 25}, {Photons: 12}, {Photons: 5}, {Photons: 3}}

// Draw draws the noise seed unless it is set.
func (c ShotNoise) Draw(r *rand.Rand) Random { c.Seed = drawSeed(c.Seed, r); return c }

// Draws returns the noise seed when set.
func (c ShotNoise) Draws() map[string]any { return setDraws("noise_seed", c.Seed) }

// Corrupt adds the noise in place. It draws the seed of its noise (Draw).
func (c ShotNoise) Corrupt(img *image.RGBA, r *rand.Rand) *image.RGBA {
	c.Seed = drawSeed(c.Seed, r)
	lam := c.Photons
	s := samplers.get(samplerKey{kind: 'p', p: lam}, func() *sampler {
		return newSampler(func(v int, p *[256]float64) {
			l := float64(v) / 255 * lam
			total := 0.0
			for k := 0; float64(k) < lam; k++ {
				var pk float64
				switch {
				case l == 0 && k == 0:
					pk = 1
				case l == 0:
					pk = 0
				default:
					lg, _ := math.Lgamma(float64(k) + 1)
					pk = math.Exp(float64(float64(k)*math.Log(l)) - l - lg)
				}
				p[trunc8(clip01(float64(k)/lam)*255)] += pk
				total += pk
			}
			p[255] += math.Max(0, 1-total)
		})
	})
	s.apply(img, seeded(c.Seed))
	return img
}

// ImpulseNoise is salt-and-pepper noise (scikit-image's random_noise 's&p'): every
// channel value independently becomes 255 with probability Amount/2, 0 with probability
// Amount/2, and is kept otherwise.
type ImpulseNoise struct {
	// Amount is the probability that a channel value is replaced.
	Amount float64 `json:"amount"`
	// Seed seeds the noise; nil draws it per image.
	Seed *uint64 `json:"noise_seed,omitempty"`
}

// ImpulseNoiseSeverities holds ImpulseNoise at severities 1..5.
var ImpulseNoiseSeverities = [5]ImpulseNoise{{Amount: 0.03}, {Amount: 0.06}, {Amount: 0.09}, {Amount: 0.17}, {Amount: 0.27}}

// Draw draws the noise seed unless it is set.
func (c ImpulseNoise) Draw(r *rand.Rand) Random { c.Seed = drawSeed(c.Seed, r); return c }

// Draws returns the noise seed when set.
func (c ImpulseNoise) Draws() map[string]any { return setDraws("noise_seed", c.Seed) }

// Corrupt adds the noise in place. It draws the seed of its noise (Draw).
func (c ImpulseNoise) Corrupt(img *image.RGBA, r *rand.Rand) *image.RGBA {
	st := seeded(drawSeed(c.Seed, r))
	// Each channel uses 32 random bits: the low 31 decide whether it is flipped, the top
	// one whether a flipped value becomes salt or pepper.
	thr := uint32(math.Min(c.Amount, 1) * (1 << 31))
	if c.Amount >= 1 {
		thr = 1 << 31
	}
	w, h := dims(img)
	flip := func(v uint8, u uint32) uint8 {
		m := uint8(int32((u&0x7fffffff)-thr) >> 31) // all ones when flipped
		salt := uint8(0 - (u >> 31))                // 255 for salt, 0 for pepper
		return v&^m | salt&m
	}
	for y := 0; y < h; y++ {
		px := row(img, y, w)
		x := 0
		for ; x+8 <= len(px); x += 8 { // two pixels, six channels, three draws
			q := px[x : x+8 : x+8]
			b0, b1, b2 := st.wy(), st.wy(), st.wy()
			q[0] = flip(q[0], uint32(b0))
			q[1] = flip(q[1], uint32(b0>>32))
			q[2] = flip(q[2], uint32(b1))
			q[4] = flip(q[4], uint32(b1>>32))
			q[5] = flip(q[5], uint32(b2))
			q[6] = flip(q[6], uint32(b2>>32))
		}
		for ; x < len(px); x += 4 {
			q := px[x : x+3 : x+3]
			b0, b1 := st.wy(), st.wy()
			q[0] = flip(q[0], uint32(b0))
			q[1] = flip(q[1], uint32(b0>>32))
			q[2] = flip(q[2], uint32(b1))
		}
	}
	return img
}

// SpeckleNoise adds multiplicative normal noise:
// out = trunc(255·clip(x + x·N(0, Sigma²), 0, 1)) with x = v/255.
type SpeckleNoise struct {
	// Sigma is the standard deviation of the relative noise.
	Sigma float64 `json:"sigma"`
	// Seed seeds the noise; nil draws it per image.
	Seed *uint64 `json:"noise_seed,omitempty"`
}

// SpeckleNoiseSeverities holds SpeckleNoise at severities 1..5.
var SpeckleNoiseSeverities = [5]SpeckleNoise{{Sigma: 0.15}, {Sigma: 0.2}, {Sigma: 0.35}, {Sigma: 0.45}, {Sigma: 0.6}}

// Draw draws the noise seed unless it is set.
func (c SpeckleNoise) Draw(r *rand.Rand) Random { c.Seed = drawSeed(c.Seed, r); return c }

// Draws returns the noise seed when set.
func (c SpeckleNoise) Draws() map[string]any { return setDraws("noise_seed", c.Seed) }

// Corrupt adds the noise in place. It draws the seed of its noise (Draw).
func (c SpeckleNoise) Corrupt(img *image.RGBA, r *rand.Rand) *image.RGBA {
	c.Seed = drawSeed(c.Seed, r)
	sigma := c.Sigma
	s := samplers.get(samplerKey{kind: 's', p: sigma}, func() *sampler {
		return newSampler(func(v int, p *[256]float64) {
			if v == 0 || sigma == 0 {
				p[v] = 1
				return
			}
			a := float64(v) / 255
			prev := 0.0
			for k := 0; k < 255; k++ {
				cdf := normCDF((float64(k+1)/255/a - 1) / sigma)
				p[k] = cdf - prev
				prev = cdf
			}
			p[255] = 1 - prev
		})
	})
	s.apply(img, seeded(c.Seed))
	return img
}

// normCDF is the standard normal distribution function.
func normCDF(z float64) float64 { return 0.5 * math.Erfc(-z/math.Sqrt2) }

// sampler draws, for each input byte v, an output byte from a fixed distribution
// P(out | v): one alias table of 256 columns per input value. An entry holds a 24-bit
// threshold and an 8-bit alias; a 32-bit uniform picks the column with its top 8 bits
// and compares its low 24 bits to the threshold. Probabilities are exact to 2⁻³².
type sampler struct {
	tab [256][256]uint32
}

type samplerKey struct {
	kind byte
	p    float64
}

var samplers cache[samplerKey, *sampler]

// newSampler builds the alias tables from dist, which fills P(out = k | v) for k in
// 0..255 (the values must sum to 1 up to rounding).
func newSampler(dist func(v int, p *[256]float64)) *sampler {
	s := new(sampler)
	for v := 0; v < 256; v++ {
		var p [256]float64
		dist(v, &p)
		s.tab[v] = aliasTable(&p)
	}
	return s
}

// aliasTable builds Vose's alias table for p with integer weights summing to 2³².
func aliasTable(p *[256]float64) [256]uint32 {
	const col = 1 << 24 // weight of one column
	var q [256]int64
	var sum float64
	for _, x := range p {
		sum += math.Max(x, 0)
	}
	var total int64
	big := 0
	for k, x := range p {
		q[k] = int64(math.Round(math.Max(x, 0) / sum * (1 << 32)))
		total += q[k]
		if q[k] > q[big] {
			big = k
		}
	}
	q[big] += 1<<32 - total
	var small, large []int
	for k := range q {
		if q[k] < col {
			small = append(small, k)
		} else {
			large = append(large, k)
		}
	}
	var t [256]uint32
	for k := range t {
		t[k] = 0xffffff<<8 | uint32(k) // default: always the column itself
	}
	for len(small) > 0 && len(large) > 0 {
		s := small[len(small)-1]
		small = small[:len(small)-1]
		l := large[len(large)-1]
		t[s] = uint32(q[s])<<8 | uint32(l)
		q[l] -= col - q[s]
		if q[l] < col {
			large = large[:len(large)-1]
			small = append(small, l)
		}
	}
	return t
}

// apply replaces every colour byte of img by a draw from its distribution. Each
// 64-bit draw serves two channel values.
func (s *sampler) apply(img *image.RGBA, st stream) {
	w, h := dims(img)
	tab := &s.tab
	pick := func(v uint8, u uint32) uint8 {
		c := u >> 24
		e := tab[v][c]
		// Branch-free: the column itself when the low 24 bits fall below the
		// threshold, else its alias.
		keep := uint32(int32((u&0xffffff)-(e>>8)) >> 31)
		return uint8(c&keep | e&^keep)
	}
	for y := 0; y < h; y++ {
		px := row(img, y, w)
		x := 0
		for ; x+8 <= len(px); x += 8 { // two pixels, six channels, three draws
			q := px[x : x+8 : x+8]
			b0, b1, b2 := st.wy(), st.wy(), st.wy()
			q[0] = pick(q[0], uint32(b0))
			q[1] = pick(q[1], uint32(b0>>32))
			q[2] = pick(q[2], uint32(b1))
			q[4] = pick(q[4], uint32(b1>>32))
			q[5] = pick(q[5], uint32(b2))
			q[6] = pick(q[6], uint32(b2>>32))
		}
		for ; x < len(px); x += 4 {
			q := px[x : x+3 : x+3]
			b0, b1 := st.wy(), st.wy()
			q[0] = pick(q[0], uint32(b0))
			q[1] = pick(q[1], uint32(b0>>32))
			q[2] = pick(q[2], uint32(b1))
		}
	}
}
