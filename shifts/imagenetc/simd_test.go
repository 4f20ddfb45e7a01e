package imagenetc

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestSIMDMatchesGo checks that the vector primitives give bit-identical results to
// their Go loops, at every length around the 8-lane boundary.
func TestSIMDMatchesGo(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	vec := func(n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(r.NormFloat64() * 100)
		}
		return v
	}
	for n := 0; n < 40; n++ {
		x, y, c, d := vec(n), vec(n), vec(n), vec(n)
		a := float32(r.NormFloat64())
		type op struct {
			name      string
			fast, ref func(dst []float32)
		}
		ops := []op{
			{"axpy", func(dst []float32) { axpy(dst, x, a) }, func(dst []float32) { axpyGo(dst, x, a) }},
			{"axpyDiff", func(dst []float32) { axpyDiff(dst, x, c, a) }, func(dst []float32) { axpyDiffGo(dst, x, c, a) }},
			{"symDiff", func(dst []float32) { symDiff(dst, x, y, c, a) }, func(dst []float32) { symDiffGo(dst, x, y, c, a) }},
			{"lerpAdd", func(dst []float32) { lerpAdd(dst, x, y, a) }, func(dst []float32) { lerpAddGo(dst, x, y, a) }},
			{"axpyDiff4", func(dst []float32) {
				xs, ws := [4][]float32{x, y, c, d}, [4]float32{a, 2 * a, -a, 0.5}
				axpyDiff4(dst, c, &xs, &ws)
			}, func(dst []float32) {
				axpyDiffGo(dst, x, c, a)
				axpyDiffGo(dst, y, c, 2*a)
				axpyDiffGo(dst, c, c, -a)
				axpyDiffGo(dst, d, c, 0.5)
			}},
			{"symDiff4", func(dst []float32) {
				xs, ys, ws := [4][]float32{x, y, c, d}, [4][]float32{d, c, y, x}, [4]float32{a, 2 * a, -a, 0.5}
				symDiff4(dst, c, &xs, &ys, &ws)
			}, func(dst []float32) {
				symDiffGo(dst, x, d, c, a)
				symDiffGo(dst, y, c, c, 2*a)
				symDiffGo(dst, c, y, c, -a)
				symDiffGo(dst, d, x, c, 0.5)
			}},
		}
		for _, o := range ops {
			got, want := append([]float32(nil), d...), append([]float32(nil), d...)
			o.fast(got)
			o.ref(want)
			for i := range got {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("%s n=%d: element %d is %v, Go loop gives %v", o.name, n, i, got[i], want[i])
				}
			}
		}
	}
	for n := 0; n < 20; n++ {
		x, y, d := make([]float64, n), make([]float64, n), make([]float64, n)
		u, v, q := make([]uint64, n), make([]uint64, n), make([]uint64, n)
		for i := range x {
			x[i], y[i], d[i] = r.NormFloat64(), r.NormFloat64(), r.NormFloat64()
			u[i], v[i], q[i] = r.Uint64(), r.Uint64(), r.Uint64()
		}
		got, want := append([]float64(nil), d...), append([]float64(nil), d...)
		axpy64(got, x, 0.37)
		axpy64Go(want, x, 0.37)
		for i := range got {
			if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
				t.Fatalf("axpy64 n=%d: element %d is %v, Go loop gives %v", n, i, got[i], want[i])
			}
		}
		gu, wu := append([]uint64(nil), q...), append([]uint64(nil), q...)
		addSub(gu, u, v)
		addSubGo(wu, u, v)
		for i := range gu {
			if gu[i] != wu[i] {
				t.Fatalf("addSub n=%d: element %d is %v, Go loop gives %v", n, i, gu[i], wu[i])
			}
		}
		_ = y
	}
	t.Logf("AVX2 in use: %v", useAVX2)
}
