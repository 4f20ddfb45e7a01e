//go:build amd64 && !purego

package resample

// Available says whether Horizontal and Vertical run here (they need SSE4.1).
var Available = hasSSE41()

// AVX2 says whether Horizontal2 runs here, and Vertical uses 32-byte steps.
var AVX2 = hasAVX2()

func hasSSE41() bool {
	_, _, c, _ := cpuid(1, 0)
	return c&(1<<19) != 0
}

// hasAVX2 needs the CPU's AVX2 and the OS saving the YMM registers (OSXSAVE, XCR0).
func hasAVX2() bool {
	if !hasSSE41() {
		return false
	}
	maxLeaf, _, _, _ := cpuid(0, 0)
	_, _, c, _ := cpuid(1, 0)
	const osxsave, avx = 1 << 27, 1 << 28
	if maxLeaf < 7 || c&osxsave == 0 || c&avx == 0 || xgetbv0()&6 != 6 {
		return false
	}
	_, b, _, _ := cpuid(7, 0)
	return b&(1<<5) != 0
}

func cpuid(leaf, sub uint32) (a, b, c, d uint32)

func xgetbv0() uint32

// Horizontal resamples one RGBA row: output pixel i (4 bytes of dst) is, per channel c,
// the sum over taps j < n of row[off[i]+4j+c] times weight k[i*n+j], plus 1<<21, shifted
// right by 22 and clipped to 0..255. The weights come expanded: kx = Expand(k). The
// caller guarantees 0 ≤ off[i], off[i]+4n ≤ len(row), len(dst) ≥ 4·len(off),
// len(kx) ≥ 4n·len(off) and n ≥ 1.
//
//go:noescape
func Horizontal(dst, row []uint8, off, kx []int32, n int)

// Horizontal2 is Horizontal on two rows of the same length with the same offsets and
// weights, row0 into dst0 and row1 into dst1, for little more than the price of one; it
// needs AVX2. The caller guarantees for both rows what Horizontal requires.
//
//go:noescape
func Horizontal2(dst0, dst1, row0, row1 []uint8, off, kx []int32, n int)

// Vertical makes one RGBA output row from len(k) rows: out[x] is the sum over j of
// tmp[j*stride+x] times k[j], plus 1<<21, shifted right by 22 and clipped to 0..255, with
// every fourth byte (alpha) set to 255. len(out) must be a multiple of 16; the caller
// guarantees (len(k)-1)·stride + len(out) ≤ len(tmp) and len(k) ≥ 1.
func Vertical(out, tmp []uint8, stride int, k []int32) {
	if AVX2 {
		m := len(out) &^ 31
		vertical32(out[:m], tmp, stride, k)
		if m == len(out) {
			return
		}
		out, tmp = out[m:], tmp[m:]
	}
	vertical16(out, tmp, stride, k)
}

//go:noescape
func vertical16(out, tmp []uint8, stride int, k []int32)

//go:noescape
func vertical32(out, tmp []uint8, stride int, k []int32)
