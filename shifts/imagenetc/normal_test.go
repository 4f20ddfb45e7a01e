package imagenetc

import (
	"math"
	"testing"
)

// TestNormals checks the ziggurat's draws against the standard normal: the first four
// moments, the tail mass beyond zigR and the distribution function at a grid of points
// (a Kolmogorov–Smirnov distance well within its 99.9 % bound for the sample size).
func TestNormals(t *testing.T) {
	const n = 1 << 21
	g := normals{st: stream{s: 42}}
	xs := make([]float64, n)
	var m1, m2, m3, m4 float64
	tail := 0
	for i := range xs {
		x := g.next()
		xs[i] = x
		m1 += x
		m2 += x * x
		m3 += x * x * x
		m4 += x * x * x * x
		if math.Abs(x) > zigR {
			tail++
		}
	}
	m1, m2, m3, m4 = m1/n, m2/n, m3/n, m4/n
	se := 1 / math.Sqrt(n)
	if math.Abs(m1) > 5*se || math.Abs(m2-1) > 5*math.Sqrt(2)*se || math.Abs(m3) > 5*math.Sqrt(15)*se || math.Abs(m4-3) > 5*math.Sqrt(96)*se {
		t.Errorf("moments %.5f %.5f %.5f %.5f, want 0 1 0 3", m1, m2, m3, m4)
	}
	wantTail := math.Erfc(zigR/math.Sqrt2) * n
	if d := float64(tail) - wantTail; math.Abs(d) > 5*math.Sqrt(wantTail) {
		t.Errorf("%d draws beyond %.3f, want about %.0f", tail, zigR, wantTail)
	}
	// Kolmogorov–Smirnov distance on a fine grid.
	worst := 0.0
	for z := -5.0; z <= 5; z += 0.01 {
		c := 0
		for _, x := range xs[:1<<17] {
			if x <= z {
				c++
			}
		}
		worst = math.Max(worst, math.Abs(float64(c)/(1<<17)-normCDF(z)))
	}
	if limit := 1.95 / math.Sqrt(1<<17); worst > limit {
		t.Errorf("Kolmogorov–Smirnov distance %.5f above %.5f", worst, limit)
	}
}
