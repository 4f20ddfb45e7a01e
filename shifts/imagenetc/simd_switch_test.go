//go:build amd64 && !purego

package imagenetc

import (
	"bytes"
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
