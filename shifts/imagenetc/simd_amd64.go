//go:build amd64 && !purego

package imagenetc

// useAVX2 reports whether the CPU and OS support AVX2 (CPUID and XGETBV).
var useAVX2 = func() bool {
	_, _, c1, _ := cpuid(1, 0)
	if c1&(1<<27) == 0 || c1&(1<<28) == 0 { // OSXSAVE, AVX
		return false
	}
	if lo, _ := xgetbv(); lo&6 != 6 { // XMM and YMM state enabled by the OS
		return false
	}
	_, b7, _, _ := cpuid(7, 0)
	return b7&(1<<5) != 0 // AVX2
}()

func cpuid(eax, ecx uint32) (a, b, c, d uint32)
func xgetbv() (eax, edx uint32)

//go:noescape
func axpyAVX2(dst, x []float32, a float32)

//go:noescape
func axpyDiffAVX2(dst, x, c []float32, a float32)

//go:noescape
func symDiffAVX2(dst, x, y, c []float32, a float32)

//go:noescape
func lerpAddAVX2(dst, x, y []float32, t float32)

//go:noescape
func axpyDiff4AVX2(dst, c []float32, x0, x1, x2, x3 *float32, w *[4]float32)

//go:noescape
func symDiff4AVX2(dst, c []float32, x0, x1, x2, x3, y0, y1, y2, y3 *float32, w *[4]float32)

//go:noescape
func axpy64AVX2(dst, x []float64, a float64)

//go:noescape
func addSubAVX2(dst, x, y []uint64)

// packRGBSSSE3 packs blocks·4 RGBA pixels to RGB (reading 16 bytes per block) and
// returns blocks.
//
//go:noescape
func packRGBSSSE3(dst, src []uint8, blocks int) int

// unpackRGBSSSE3 writes blocks·4 RGB pixels into RGBA pixels, keeping alpha (reading 16
// bytes of src per block) and returns blocks.
//
//go:noescape
func unpackRGBSSSE3(dst, src []uint8, blocks int) int

// bytesToF32AVX2 converts the first len(dst)&^7 bytes and returns that count.
//
//go:noescape
func bytesToF32AVX2(dst []float32, src []uint8) int

// bytesToUnitAVX2 converts the first len(dst)&^3 bytes to float32(float64(v)/255) and
// returns that count.
//
//go:noescape
func bytesToUnitAVX2(dst []float32, src []uint8) int

// addTruncAVX2 sets d[i] = trunc8f(x[i]+y[i]) for the first len(d)&^7 elements and
// writes to marks the index of every 8-element block holding an i with y[i] == 0 and
// z[i] == 0, returning their number.
//
//go:noescape
func addTruncAVX2(d []uint8, x, y, z []float32, marks []int32) int

// meanTruncAVX2 sets d[i] = trunc8f(clip01f((x[i]+y[i])/div)·255) for the first
// len(d)&^7 elements and returns that count.
//
//go:noescape
func meanTruncAVX2(d []uint8, x, y []float32, div float32) int

// defocusFinishAVX2 runs defocusFinish on the first len(d)&^3 elements and returns
// that count.
//
//go:noescape
func defocusFinishAVX2(d []uint8, s []float64, a []float32, c []uint8, n, dsum float64) int

// hsvRowAVX2 maps the first (len(px)/4)&^3 RGBA pixels of a row as mapHSV does and
// returns their number.
//
//go:noescape
func hsvRowAVX2(px []uint8, p *hsvParams) int

// chamfer7AVX2 runs chamfer7 on the first len(up)&^7 elements and returns that count.
//
//go:noescape
func chamfer7AVX2(up, a, b []uint32) int

// elasticRowAVX2 samples the pixels x < w&^7 of output row y as elasticPixel does, eight
// at a time, except the blocks of eight that read a sample outside the image, whose
// indices it writes to skip (returning their number) for the caller.
//
//go:noescape
func elasticRowAVX2(o []uint8, src, dx, dy []float32, y, w, h int, skip []int32) int

// interpBlocksAVX2 fills dst[8i:8i+8] from blocks[i] and the row s (see zoomBlock).
//
//go:noescape
func interpBlocksAVX2(dst, s []float32, blocks []zoomBlock)

// snowBlendAVX2 blends the first (len(px)/4)&^3 RGBA pixels of a row as Snow.Corrupt
// does, with s1 the snow layer's row and s2 its rotated row, and returns their number.
//
//go:noescape
func snowBlendAVX2(px, s1, s2 []uint8, b, nb float32) int
