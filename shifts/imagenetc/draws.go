package imagenetc

import "math/rand/v2"

// A Random corruption makes per-image random choices: an angle, a texture and crop, or
// the seed of a noise field too large to list. Draw makes every choice still unset,
// from the first draws of r and before anything depends on the image, and returns the
// corruption with them set as explicit parameters; Corrupt of the result draws nothing
// (it accepts a nil generator), and Draw(r).Corrupt(img, nil) gives the bytes that
// Corrupt(img, r) gives. Draws returns the explicit values by the parameter names of
// the shift registry (those of Draw's result are every per-image choice), so a
// recorded set of draws rebuilds the corruption that made an image.
type Random interface {
	Corruption
	Draw(r *rand.Rand) Random
	Draws() map[string]any
}

// seedBits is the width of the seeds Draw makes: 53 bits, so that every seed is an
// integer a float64 (and therefore any JSON reader) holds exactly.
const seedBits = 53

// MaxSeed is the largest seed a Random corruption draws or accepts.
const MaxSeed = 1<<seedBits - 1

// drawSeed returns s, or a fresh seed from r when s is nil.
func drawSeed(s *uint64, r *rand.Rand) *uint64 {
	if s != nil {
		return s
	}
	v := r.Uint64() >> (64 - seedBits)
	return &v
}

// drawFloat returns f, or lo + (hi − lo)·u for a uniform u in [0, 1) from r when f is
// nil.
func drawFloat(f *float64, lo, hi float64, r *rand.Rand) *float64 {
	if f != nil {
		return f
	}
	v := lo + float64((hi-lo)*r.Float64())
	return &v
}

// seeded returns the stream of a seed made by Draw.
func seeded(seed *uint64) stream { return stream{s: *seed} }

// setDraws adds the non-nil values among kv (name, pointer pairs) to a map.
func setDraws(kv ...any) map[string]any {
	m := map[string]any{}
	for i := 0; i+1 < len(kv); i += 2 {
		name := kv[i].(string)
		switch p := kv[i+1].(type) {
		case *uint64:
			if p != nil {
				m[name] = *p
			}
		case *float64:
			if p != nil {
				m[name] = *p
			}
		case *int:
			if p != nil {
				m[name] = *p
			}
		}
	}
	return m
}
