package shifts

import (
	"hash/fnv"
	"math/rand/v2"
)

// Key identifies one random stream: a purpose (such as "apply" or "noise"), the seed,
// the split and the image's index. Two Keys that are equal give the same stream;
// changing any field gives an independent one. Streams never depend on worker count or
// processing order.
type Key struct {
	Purpose string
	Seed    int64
	Split   string
	Index   int
}

// Rand returns a fresh PCG generator for k.
func (k Key) Rand() *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(k.Purpose))
	h.Write([]byte{0})
	h.Write([]byte(k.Split))
	a := h.Sum64()
	b := splitmix(uint64(k.Seed)) ^ splitmix(uint64(k.Index)+0x9e3779b97f4a7c15)
	return rand.New(rand.NewPCG(a, b))
}

// Uniform returns the first uniform [0, 1) draw of k's stream.
func (k Key) Uniform() float64 { return k.Rand().Float64() }

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}
