package resample

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// clip is PIL's clip8 on a fixed-point sum.
func clip(s int32) uint8 {
	v := s >> 22
	if v < 0 {
		return 0
	}
	if v > 255 {
		return 255
	}
	return uint8(v)
}

func TestExpand(t *testing.T) {
	got := Expand([]int32{1, -2})
	want := []int32{1, 1, 1, 1, -2, -2, -2, -2}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("Expand = %v, want %v", got, want)
		}
	}
}

// TestHorizontal checks Horizontal against the formula in its contract for window
// lengths 1–7 (the unrolled 2, 3, 4 and the general loop), with weights that make sums
// overflow 255 and go negative, so clipping is exercised.
func TestHorizontal(t *testing.T) {
	if !Available {
		t.Skip("no SIMD passes on this machine or build")
	}
	r := rand.New(rand.NewPCG(1, 2))
	row := make([]uint8, 4*97)
	for i := range row {
		row[i] = uint8(r.IntN(256))
	}
	for n := 1; n <= 7; n++ {
		count := 40
		off := make([]int32, count)
		k := make([]int32, count*n)
		for i := range off {
			off[i] = int32(4 * r.IntN(97-n+1))
			for j := 0; j < n; j++ {
				k[i*n+j] = int32(r.IntN(3<<19)) - 1<<19 // |sums| < 2^31, yet past 255 and below 0
			}
		}
		dst := make([]uint8, 4*count)
		Horizontal(dst, row, off, Expand(k), n)
		for i := range off {
			for c := 0; c < 4; c++ {
				s := int32(1 << 21)
				for j := 0; j < n; j++ {
					s += int32(row[int(off[i])+4*j+c]) * k[i*n+j]
				}
				if dst[4*i+c] != clip(s) {
					t.Fatalf("n=%d output %d channel %d: %d, want %d", n, i, c, dst[4*i+c], clip(s))
				}
			}
		}
	}
}

// TestVertical checks Vertical against the formula in its contract, alpha forced to 255.
func TestVertical(t *testing.T) {
	if !Available {
		t.Skip("no SIMD passes on this machine or build")
	}
	r := rand.New(rand.NewPCG(3, 4))
	const stride = 4 * 37
	for n := 1; n <= 6; n++ {
		tmp := make([]uint8, n*stride)
		for i := range tmp {
			tmp[i] = uint8(r.IntN(256))
		}
		k := make([]int32, n)
		for j := range k {
			k[j] = int32(r.IntN(3<<19)) - 1<<19
		}
		out := make([]uint8, 4*36) // a multiple of 16
		Vertical(out, tmp, stride, k)
		for x := range out {
			want := uint8(255)
			if x%4 != 3 {
				s := int32(1 << 21)
				for j, w := range k {
					s += int32(tmp[j*stride+x]) * w
				}
				want = clip(s)
			}
			if out[x] != want {
				t.Fatalf("n=%d byte %d: %d, want %d", n, x, out[x], want)
			}
		}
	}
}

// TestHorizontal2 checks that the two-row AVX2 pass gives, for each row, exactly what
// Horizontal gives.
func TestHorizontal2(t *testing.T) {
	if !AVX2 {
		t.Skip("no AVX2 on this machine or build")
	}
	r := rand.New(rand.NewPCG(5, 6))
	row0, row1 := make([]uint8, 4*61), make([]uint8, 4*61)
	for i := range row0 {
		row0[i], row1[i] = uint8(r.IntN(256)), uint8(r.IntN(256))
	}
	for c := 0; c < 14; c++ {
		n, sorted := c/2+1, c%2 == 1
		count := 33
		off := make([]int32, count)
		k := make([]int32, count*n)
		for i := range off {
			off[i] = int32(4 * r.IntN(61-n+1))
			for j := 0; j < n; j++ {
				k[i*n+j] = int32(r.IntN(3<<19)) - 1<<19
			}
		}
		if sorted { // as in a kernel: the unrolled loops run up to the row's end
			slices.Sort(off)
			off[count-1] = int32(4 * (61 - n))
		}
		kx := Expand(k)
		want0, want1 := make([]uint8, 4*count), make([]uint8, 4*count)
		Horizontal(want0, row0, off, kx, n)
		Horizontal(want1, row1, off, kx, n)
		got0, got1 := make([]uint8, 4*count), make([]uint8, 4*count)
		Horizontal2(got0, got1, row0, row1, off, kx, n)
		for i := range want0 {
			if got0[i] != want0[i] || got1[i] != want1[i] {
				t.Fatalf("n=%d byte %d: rows give %d, %d; Horizontal %d, %d", n, i, got0[i], got1[i], want0[i], want1[i])
			}
		}
	}
}
