package shifts

// RandomState reproduces NumPy's legacy numpy.random.RandomState (MT19937) for the
// draws shiftgen needs: uniform doubles, bounded integers (as used by choice and randint)
// and in-place shuffles. Its outputs are bit-identical to NumPy's for the same seed.
//
// The zero value is not usable; create one with NewRandomState. A RandomState is not
// safe for concurrent use.
type RandomState struct {
	mt  [624]uint32
	pos int
}

// NewRandomState returns a generator seeded as RandomState(seed) is for a non-negative
// integer seed below 2³²: MT19937's init_genrand.
func NewRandomState(seed uint32) *RandomState {
	r := &RandomState{}
	r.mt[0] = seed
	for i := 1; i < 624; i++ {
		prev := r.mt[i-1]
		r.mt[i] = 1812433253*(prev^(prev>>30)) + uint32(i)
	}
	r.pos = 624
	return r
}

// Uint32 returns the next raw 32-bit output of the Mersenne Twister.
func (r *RandomState) Uint32() uint32 {
	if r.pos >= 624 {
		r.generate()
	}
	y := r.mt[r.pos]
	r.pos++
	return temper(y)
}

func (r *RandomState) generate() {
	const (
		n         = 624
		m         = 397
		upperMask = 0x80000000
		lowerMask = 0x7fffffff
		matrixA   = 0x9908b0df
	)
	mt := &r.mt
	// The recurrence mt[i] = mt[i+m] ^ twist(mt[i], mt[i+1]), indices mod n, in three
	// runs so that no index needs the modulo.
	twist := func(a, b uint32) uint32 {
		y := a&upperMask | b&lowerMask
		return y>>1 ^ -(y&1)&matrixA
	}
	i := 0
	for ; i < n-m; i++ {
		mt[i] = mt[i+m] ^ twist(mt[i], mt[i+1])
	}
	for ; i < n-1; i++ {
		mt[i] = mt[i+m-n] ^ twist(mt[i], mt[i+1])
	}
	mt[n-1] = mt[m-1] ^ twist(mt[n-1], mt[0])
	r.pos = 0
}

// temper is MT19937's output function.
func temper(y uint32) uint32 {
	y ^= y >> 11
	y ^= (y << 7) & 0x9d2c5680
	y ^= (y << 15) & 0xefc60000
	return y ^ y>>18
}

// SkipIntervals advances r past k draws of Interval(max), as if they were made and
// their results dropped, at a fraction of their cost.
func (r *RandomState) SkipIntervals(max uint32, k int) {
	if max == 0 || k <= 0 {
		return // Interval(0) draws nothing
	}
	mask := intervalMask(max)
	for {
		if r.pos >= 624 {
			r.generate()
		}
		for i, y := range r.mt[r.pos:] {
			if temper(y)&mask <= max {
				if k--; k == 0 {
					r.pos += i + 1
					return
				}
			}
		}
		r.pos = 624
	}
}

// intervalMask is the smallest all-ones mask covering max.
func intervalMask(max uint32) uint32 {
	mask := max
	mask |= mask >> 1
	mask |= mask >> 2
	mask |= mask >> 4
	mask |= mask >> 8
	mask |= mask >> 16
	return mask
}

// Uniform returns a double in [0, 1) exactly as RandomState.uniform() (and random_sample)
// does: 53 bits built from two 32-bit outputs.
func (r *RandomState) Uniform() float64 {
	a := r.Uint32() >> 5
	b := r.Uint32() >> 6
	return (float64(a)*67108864.0 + float64(b)) / 9007199254740992.0
}

// Interval returns an integer in [0, max] using NumPy's masked rejection sampling on
// 32-bit outputs, as legacy randint, choice (with replacement) and shuffle do.
// max must be below 2³².
func (r *RandomState) Interval(max uint32) uint32 {
	if max == 0 {
		return 0
	}
	mask := intervalMask(max)
	for {
		v := r.Uint32() & mask
		if v <= max {
			return v
		}
	}
}

// Permutation returns RandomState.permutation(n): 0..n-1 shuffled in place by the
// legacy Fisher–Yates loop (i from n-1 down to 1, j = Interval(i)).
func (r *RandomState) Permutation(n int) []int {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	ShuffleInts(r, p)
	return p
}

// ShuffleInts shuffles s in place exactly as RandomState.shuffle does for a 1-D array.
func ShuffleInts[T any](r *RandomState, s []T) {
	for i := len(s) - 1; i >= 1; i-- {
		j := int(r.Interval(uint32(i)))
		s[i], s[j] = s[j], s[i]
	}
}
