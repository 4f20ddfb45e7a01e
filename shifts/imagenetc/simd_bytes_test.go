package imagenetc

import (
	"bytes"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
)

// TestBytePrimitives checks the byte-level primitives against their defining Go loops
// at every length around the vector widths, with special values (NaN, ±0, ±Inf,
// values just around 0, 1 and 255, exact integers and halves) among random ones.
func TestBytePrimitives(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	special := []float32{float32(math.NaN()), 0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)),
		-0.5, 0.5, 0.999, 1, 1.0001, 254.99, 255, 255.5, 256, -1, 127.5, 1e-30}
	vec := func(n int, scale float64) []float32 {
		v := make([]float32, n)
		for i := range v {
			if r.IntN(4) == 0 {
				v[i] = special[r.IntN(len(special))]
			} else {
				v[i] = float32(r.NormFloat64() * scale)
			}
			if r.IntN(5) == 0 {
				v[i] = 0
			}
		}
		return v
	}
	for n := 0; n < 70; n++ {
		src := make([]uint8, 4*n+5)
		for i := range src {
			src[i] = uint8(r.Uint32())
		}
		// packRGB and unpackRGB.
		got, want := make([]uint8, 3*n), make([]uint8, 3*n)
		packRGB(got, src)
		packRGBGo(want, src)
		if !bytes.Equal(got, want) {
			t.Fatalf("packRGB n=%d differs", n)
		}
		dg, dw := append([]uint8(nil), src...), append([]uint8(nil), src...)
		rgb := src[:3*n]
		unpackRGB(dg, rgb)
		unpackRGBGo(dw, rgb)
		if !bytes.Equal(dg, dw) {
			t.Fatalf("unpackRGB n=%d differs", n)
		}
		// bytesToF32 and bytesToUnit.
		f1, f2 := make([]float32, n), make([]float32, n)
		bytesToF32(f1, src)
		for i := range f2 {
			f2[i] = float32(src[i])
		}
		if !reflect.DeepEqual(f1, f2) {
			t.Fatalf("bytesToF32 n=%d differs", n)
		}
		bytesToUnit(f1, src)
		for i := range f2 {
			f2[i] = float32(float64(src[i]) / 255)
		}
		if !reflect.DeepEqual(f1, f2) {
			t.Fatalf("bytesToUnit n=%d differs", n)
		}
		// addTrunc with its flat callback, and meanTrunc.
		x, y, z := vec(n, 200), vec(n, 30), vec(n, 30)
		for i := range z {
			if r.IntN(3) == 0 {
				z[i] = 0
			}
		}
		d := make([]uint8, n)
		var flat []int
		addTrunc(d, x, y, z, func(i int) { flat = append(flat, i) })
		var wantFlat []int
		for i := range d {
			if w := trunc8f(x[i] + y[i]); d[i] != w {
				t.Fatalf("addTrunc n=%d: element %d (%v+%v) is %d, want %d", n, i, x[i], y[i], d[i], w)
			}
			if y[i] == 0 && z[i] == 0 {
				wantFlat = append(wantFlat, i)
			}
		}
		if !reflect.DeepEqual(flat, wantFlat) {
			t.Fatalf("addTrunc n=%d: flat %v, want %v", n, flat, wantFlat)
		}
		u, v := vec(n, 1), vec(n, 1)
		for _, div := range []float32{1, 3, 13} {
			meanTrunc(d, u, v, div)
			for i := range d {
				if w := trunc8f(clip01f((u[i]+v[i])/div) * 255); d[i] != w {
					t.Fatalf("meanTrunc n=%d div %v: element %d (%v, %v) is %d, want %d", n, div, i, u[i], v[i], d[i], w)
				}
			}
		}
	}
	for n := 0; n < 40; n++ {
		d := make([]uint8, n)
		s, a, c := make([]float64, n), vec(n, 3), make([]uint8, n)
		for i := range s {
			s[i] = r.NormFloat64() * 300 * 37
			if r.IntN(6) == 0 {
				s[i] = float64(special[r.IntN(len(special))]) * 37
			}
			c[i] = uint8(r.Uint32())
		}
		for _, dsum := range []float64{0, 0.013, -2e-9} {
			defocusFinish(d, s, a, c, 37, dsum)
			for i := range d {
				if w := trunc8(s[i]/37 + float64(a[i]) + float64(dsum*float64(c[i]))); d[i] != w {
					t.Fatalf("defocusFinish n=%d: element %d is %d, want %d", n, i, d[i], w)
				}
			}
		}
	}
	for n := 0; n < 40; n++ {
		a, b := make([]uint32, n+2), make([]uint32, n+4)
		for i := range a {
			a[i] = r.Uint32() >> 3
		}
		for i := range b {
			b[i] = r.Uint32() >> 3
		}
		up := make([]uint32, n)
		chamfer7(up, a, b)
		for x := range up {
			if w := min(a[x]+chamferL, a[x+2]+chamferL, b[x]+chamferL, b[x+1]+chamferD, b[x+2]+chamferH, b[x+3]+chamferD, b[x+4]+chamferL); up[x] != w {
				t.Fatalf("chamfer7 n=%d: element %d is %d, want %d", n, x, up[x], w)
			}
		}
	}
	t.Logf("AVX2 in use: %v", useAVX2)
}
