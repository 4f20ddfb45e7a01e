package imagenetc

import (
	"image"
	"math/rand/v2"
)

// Fog adds a grey plasma-fractal haze, as imagecorruptions' fog does: a toroidal
// diamond-square heightmap P of side M (the power of two ≥ the image's larger side)
// whose noise amplitude shrinks by Decay per level, normalised to [0, 1] and cropped at
// the top left; out = trunc(255·clip((x + Strength·P)·m/(m + Strength), 0, 1)), where m
// is the image's maximum before the fog.
type Fog struct {
	// Strength scales the haze.
	Strength float64 `json:"strength"`
	// Decay divides the noise amplitude at every level; larger is smoother.
	Decay float64 `json:"decay"`
	// Seed seeds the heightmap; nil draws it per image.
	Seed *uint64 `json:"haze_seed,omitempty"`
}

// FogSeverities holds Fog at severities 1..5.
var FogSeverities = [5]Fog{{Strength: 1.5, Decay: 2}, {Strength: 2, Decay: 2}, {Strength: 2.5, Decay: 1.7},
	{Strength: 2.5, Decay: 1.5}, {Strength: 3, Decay: 1.4}}

// Draw draws the haze seed unless it is set.
func (c Fog) Draw(r *rand.Rand) Random { c.Seed = drawSeed(c.Seed, r); return c }

// Draws returns the haze seed when set.
func (c Fog) Draws() map[string]any { return setDraws("haze_seed", c.Seed) }

// Corrupt adds fog in place. It draws the haze seed (Draw); the heightmap takes M²−1
// uniforms from the stream it seeds, in the reference's order (per level: squares,
// then the two diamond sets).
func (c Fog) Corrupt(img *image.RGBA, r *rand.Rand) *image.RGBA {
	c.Seed = drawSeed(c.Seed, r)
	w, h := dims(img)
	size := 1
	for size < max(w, h, 3) {
		size *= 2
	}
	p := plasma(size, c.Decay, seeded(c.Seed))
	defer f32pool.put(p)
	maxv := uint8(0)
	for y := 0; y < h; y++ {
		px := row(img, y, w)
		for x := 0; x < len(px); x += 4 {
			maxv = max(maxv, px[x], px[x+1], px[x+2])
		}
	}
	m := float64(maxv) / 255
	den := m + c.Strength
	// out = trunc(255·clip((x + s·P)·m/(m + s))) with x = v/255, split into a table of
	// the v term and a per-pixel fog term (equal to the reference's order of operations
	// up to rounding in the last bit).
	var lut [256]float64
	for v := range lut {
		lut[v] = float64(float64(v)/255*m) / den * 255
	}
	k := 255 * m / den
	s32 := float32(c.Strength)
	for y := 0; y < h; y++ {
		px := row(img, y, w)
		pr := p[y*size : y*size+w]
		for x, pv := range pr {
			f := float64(k * float64(s32*pv))
			q := px[4*x : 4*x+3 : 4*x+3]
			q[0] = trunc8(lut[q[0]] + f)
			q[1] = trunc8(lut[q[1]] + f)
			q[2] = trunc8(lut[q[2]] + f)
		}
	}
	return img
}

// plasma is imagecorruptions' plasma_fractal(mapsize, wibbledecay) in float32: the
// diamond-square algorithm on a torus starting from 0 at the origin, with noise
// wibble·U(−wibble, wibble) at each point, wibble = 100 divided by decay per level;
// the result is shifted and scaled to [0, 1]. The returned slice comes from f32pool.
// (The reference adds the float64 noise before rounding to float32; here the sum is
// float32, which changes nothing but the last bits of a random field.)
func plasma(size int, decay float64, st stream) []float32 {
	m := f32pool.get(size * size)
	m[0] = 0
	mask := size - 1
	// The M²−1 uniforms, drawn up front 32 bits at a time and mapped to [−1, 1):
	// each point gets sum/4 + wibble·U(−wibble, wibble) = sum/4 + wibble²·u.
	us := f32pool.get(size * size)
	defer f32pool.put(us)
	for i := 0; i+1 < len(us); i += 2 {
		v := st.next()
		us[i] = float32(float64(float64(uint32(v))*0x1p-31) - 1)
		us[i+1] = float32(float64(float64(v>>32)*0x1p-31) - 1)
	}
	k := 0
	wibble := 100.0
	for step := size; step >= 2; step /= 2 {
		half := step / 2
		w2 := float32(wibble * wibble)
		// Squares: centres get the mean of their four corners plus noise.
		for y := 0; y < size; y += step {
			r0, r1 := m[y*size:][:size], m[((y+step)&mask)*size:][:size]
			rc := m[(y+half)*size:][:size]
			for x := 0; x < size; x += step {
				x1 := (x + step) & mask
				rc[x+half] = ((r0[x]+r1[x])+(r0[x1]+r1[x1]))/4 + float32(w2*us[k])
				k++
			}
		}
		// Diamonds: (y, x+half) from the centres below and above and the corners
		// left and right; then (y+half, x) from the centres right and left and the
		// corners above and below.
		for y := 0; y < size; y += step {
			r0 := m[y*size:][:size]
			rb, ra := m[(y+half)*size:][:size], m[((y-half)&mask)*size:][:size]
			for x := 0; x < size; x += step {
				r0[x+half] = ((rb[x+half]+ra[x+half])+(r0[x]+r0[(x+step)&mask]))/4 + float32(w2*us[k])
				k++
			}
		}
		for y := 0; y < size; y += step {
			r0, r1 := m[y*size:][:size], m[((y+step)&mask)*size:][:size]
			rc := m[(y+half)*size:][:size]
			for x := 0; x < size; x += step {
				rc[x] = ((rc[x+half]+rc[(x-half)&mask])+(r0[x]+r1[x]))/4 + float32(w2*us[k])
				k++
			}
		}
		wibble /= decay
	}
	// Shift to a minimum of 0, then divide by the new maximum: (v − lo)/(hi − lo), where
	// hi − lo is exactly the maximum of the shifted values.
	lo, hi := m[0], m[0]
	for _, v := range m {
		if v < lo {
			lo = v
		}
		if v > hi {
			hi = v
		}
	}
	span := hi - lo
	for i, v := range m {
		m[i] = (v - lo) / span
	}
	return m
}
