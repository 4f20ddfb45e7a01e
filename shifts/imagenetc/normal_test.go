package imagenetc

import (
	"image"
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

// TestNoiseDistributions checks the noises' output bytes on a flat image against the
// distribution the reference's arithmetic implies, by a chi-square test: gaussian
// noise, out = trunc(255·clip(v/255 + N(0, σ²))), and impulse noise (0 and 255 with
// probability amount/2 each).
func TestNoiseDistributions(t *testing.T) {
	const v, n = 100, 300
	flat := func() *image.RGBA {
		img := image.NewRGBA(image.Rect(0, 0, n, n))
		for i := range img.Pix {
			img.Pix[i] = []uint8{v, v, v, 255}[i%4]
		}
		return img
	}
	seed := uint64(11)
	const sigma = 0.12
	a := float64(v) / 255
	want := make([]float64, 256)
	for k := range want {
		lo, hi := math.Inf(-1), math.Inf(1)
		if k > 0 {
			lo = (float64(k)/255 - a) / sigma
		}
		if k < 255 {
			hi = (float64(k+1)/255 - a) / sigma
		}
		want[k] = normCDF(hi) - normCDF(lo)
	}
	chi2(t, "gaussian noise", GaussianNoise{Sigma: sigma, Seed: &seed}.Corrupt(flat(), nil), want)
	imp := make([]float64, 256)
	imp[0], imp[255], imp[v] = 0.135, 0.135, 0.73
	chi2(t, "impulse noise", ImpulseNoise{Amount: 0.27, Seed: &seed}.Corrupt(flat(), nil), imp)
}

// chi2 compares the colour bytes of img with probabilities p (bins with an expected
// count below 5 pooled) and fails above the 99.9 % quantile.
func chi2(t *testing.T, name string, img *image.RGBA, p []float64) {
	t.Helper()
	counts := make([]float64, 256)
	total := 0.0
	for i, b := range img.Pix {
		if i%4 != 3 {
			counts[b]++
			total++
		}
	}
	var stat, poolO, poolE float64
	df := -1
	for k := range p {
		e := p[k] * total
		if e < 5 {
			poolO += counts[k]
			poolE += e
			continue
		}
		stat += (counts[k] - e) * (counts[k] - e) / e
		df++
	}
	if poolE > 0 {
		stat += (poolO - poolE) * (poolO - poolE) / math.Max(poolE, 1)
		df++
	}
	// Wilson–Hilferty: the 99.9 % quantile of chi-square with df degrees of freedom.
	z := 3.0902
	q := float64(df) * math.Pow(1-2/(9*float64(df))+z*math.Sqrt(2/(9*float64(df))), 3)
	if stat > q {
		t.Errorf("%s: chi-square %.1f on %d degrees of freedom, above %.1f", name, stat, df, q)
	}
	t.Logf("%s: chi-square %.1f on %d degrees of freedom (99.9 %%: %.1f)", name, stat, df, q)
}
