//go:build amd64 && !purego

package resample

import (
	"math/rand/v2"
	"testing"
)

// TestVerticalSteps checks that the 32-byte AVX2 steps and the 16-byte SSE4.1 steps
// agree.
func TestVerticalSteps(t *testing.T) {
	if !AVX2 {
		t.Skip("no AVX2 on this machine or build")
	}
	r := rand.New(rand.NewPCG(7, 8))
	const stride = 4 * 64
	tmp := make([]uint8, 5*stride)
	for i := range tmp {
		tmp[i] = uint8(r.IntN(256))
	}
	k := []int32{1 << 20, 2 << 20, -(1 << 19), 1 << 20, 3 << 18}
	a, b := make([]uint8, 4*64), make([]uint8, 4*64)
	vertical32(a, tmp, stride, k)
	vertical16(b, tmp, stride, k)
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("byte %d: %d with 32-byte steps, %d with 16-byte steps", i, a[i], b[i])
		}
	}
}
