//go:build !amd64 || purego

package imagenetc

func packRGBSSSE3(dst, src []uint8, blocks int) int                { panic("unreachable") }
func unpackRGBSSSE3(dst, src []uint8, blocks int) int              { panic("unreachable") }
func bytesToF32AVX2(dst []float32, src []uint8) int                { panic("unreachable") }
func bytesToUnitAVX2(dst []float32, src []uint8) int               { panic("unreachable") }
func addTruncAVX2(d []uint8, x, y, z []float32, marks []int32) int { panic("unreachable") }
func meanTruncAVX2(d []uint8, x, y []float32, div float32) int     { panic("unreachable") }

func defocusFinishAVX2(d []uint8, s []float64, a []float32, c []uint8, n, dsum float64) int {
	panic("unreachable")
}

func hsvRowAVX2(px []uint8, p *hsvParams) int { panic("unreachable") }

func chamfer7AVX2(up, a, b []uint32) int { panic("unreachable") }

func elasticRowAVX2(o []uint8, src, dx, dy []float32, y, w, h int, skip []int32) int {
	panic("unreachable")
}

func interpBlocksAVX2(dst, s []float32, blocks []zoomBlock) { panic("unreachable") }

func snowBlendAVX2(px, s1, s2 []uint8, b, nb float32) int { panic("unreachable") }
