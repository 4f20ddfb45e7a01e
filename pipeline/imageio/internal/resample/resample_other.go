//go:build !amd64 || purego

package resample

// Available is false: this build has no SIMD passes.
const Available = false

// AVX2 is false: this build has no SIMD passes.
const AVX2 = false

// Horizontal is not available in this build.
func Horizontal(dst, row []uint8, off, kx []int32, n int) { panic("resample: no SIMD in this build") }

// Horizontal2 is not available in this build.
func Horizontal2(dst0, dst1, row0, row1 []uint8, off, kx []int32, n int) {
	panic("resample: no SIMD in this build")
}

// Vertical is not available in this build.
func Vertical(out, tmp []uint8, stride int, k []int32) { panic("resample: no SIMD in this build") }
