//go:build !amd64 || purego

package imagenetc

const useAVX2 = false

func axpyAVX2(dst, x []float32, a float32)          { axpyGo(dst, x, a) }
func axpyDiffAVX2(dst, x, c []float32, a float32)   { axpyDiffGo(dst, x, c, a) }
func symDiffAVX2(dst, x, y, c []float32, a float32) { symDiffGo(dst, x, y, c, a) }
func lerpAddAVX2(dst, x, y []float32, t float32)    { lerpAddGo(dst, x, y, t) }

func axpyDiff4AVX2(dst, c []float32, x0, x1, x2, x3 *float32, w *[4]float32) {
	panic("unreachable")
}

func symDiff4AVX2(dst, c []float32, x0, x1, x2, x3, y0, y1, y2, y3 *float32, w *[4]float32) {
	panic("unreachable")
}

func axpy64AVX2(dst, x []float64, a float64) { axpy64Go(dst, x, a) }
func addSubAVX2(dst, x, y []uint64)          { addSubGo(dst, x, y) }
