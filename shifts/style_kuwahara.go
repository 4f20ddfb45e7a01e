package shifts

import (
	"image"
	"math"
)

// Kuwahara is the oil-painting filter: an anisotropic Kuwahara filter (Kyprianidis, Kang
// and Döllner 2009) with polynomial sector weights (Kyprianidis et al. 2010), so strokes
// follow the image's edges and flat gradients stay smooth, with none of the square
// blocks of the classic four-quadrant filter.
//
//  1. Orientation: the structure tensor (E, F, G) = Σ_c (f_x², f_x·f_y, f_y²) of the
//     Sobel derivatives of the three channels on [0, 1] (edges replicated), smoothed by
//     a Gaussian of standard deviation KuwaharaTensorSigma. Its eigenvalues λ1 ≥ λ2 give
//     the anisotropy A = (λ1 − λ2)/(λ1 + λ2) (0 where both vanish) and the eigenvector
//     of λ2 the local edge direction φ.
//  2. Each pixel averages over an ellipse of semi-axes a = Radius·(1 + A) along φ and
//     b = Radius/(1 + A) across it (area π·Radius²): an offset d maps to the unit disc
//     as p = (⟨d, φ⟩/a, ⟨d, φ⊥⟩/b), and offsets with |p| > 1 are left out. Pixels
//     beyond the border repeat the edge pixels.
//  3. The disc is split into 8 overlapping sectors. Sector k (direction θ_k = k·45°;
//     with t and s the coordinates of p along θ_k and across it) weighs p by
//     u_k = max(0, t + ζ − η·s²)², with ζ = KuwaharaOverlap and
//     η = (ζ + cos 22.5°)/sin² 22.5°, so each weight vanishes past its sector's edges;
//     the weights are normalised to sum to the radial falloff 1 − 0.75·|p|². They are
//     tabulated on a grid of step 1/32 over [−1, 1]² and each offset takes those of its
//     nearest grid point (see kuwaharaTable).
//  4. Each sector's weighted mean colour m_k and summed channel variance σ_k² (on the
//     0..255 scale) are combined as Σ α_k·m_k / Σ α_k with
//     α_k = 1/(1 + (σ_k/KuwaharaNoise)^8): the most uniform sectors win, so edges stay
//     sharp, and in areas flatter than KuwaharaNoise every sector counts, so gradients
//     stay smooth. Results are rounded half to even.
//
// Radius 0 is the identity. It draws no random numbers and is safe for concurrent use.
type Kuwahara struct {
	// Severity is the table row the other fields came from (informational).
	Severity int `json:"severity,omitempty"`
	// Radius ≥ 0 is the filter's radius in pixels (the radius of the circle an
	// isotropic area uses); larger gives broader strokes.
	Radius int `json:"radius"`
}

// KuwaharaSeverities holds the oil-paint shift's radii at severities 1..5.
var KuwaharaSeverities = [5]Kuwahara{
	{Severity: 1, Radius: 3}, {Severity: 2, Radius: 4}, {Severity: 3, Radius: 5},
	{Severity: 4, Radius: 6}, {Severity: 5, Radius: 7},
}

// The anisotropic Kuwahara filter's fixed constants.
const (
	// KuwaharaTensorSigma smooths the structure tensor, in pixels.
	KuwaharaTensorSigma = 2.0
	// KuwaharaOverlap is ζ, how much neighbouring sectors overlap near the centre.
	KuwaharaOverlap = 0.33
	// KuwaharaNoise is the sector spread (standard deviation on the 0..255 scale)
	// below which sectors count as flat and are blended rather than chosen.
	KuwaharaNoise = 6.0
)

// kuwaharaGrid is the resolution of the sector-weight table: the weights are tabulated
// at the points (i, j)/kuwaharaGrid − 1, i, j = 0..2·kuwaharaGrid, of [−1, 1]², and an
// offset takes the weights of the nearest point.
const kuwaharaGrid = 32

// sectorShare is one sector's weight at one point of the table.
type sectorShare struct {
	k int
	w float64
}

// kuwaharaTable holds, for every point of the grid, its non-zero sector weights
// (normalised to the falloff 1 − 0.75·|p|²), in sector order.
var kuwaharaTable = func() [][]sectorShare {
	const n = 2*kuwaharaGrid + 1
	zeta := KuwaharaOverlap
	half := math.Pi / 8
	eta := (zeta + math.Cos(half)) / (math.Sin(half) * math.Sin(half))
	t := make([][]sectorShare, n*n)
	for j := range n {
		for i := range n {
			px, py := float64(i)/kuwaharaGrid-1, float64(j)/kuwaharaGrid-1
			qx, qy := (px+py)*math.Sqrt2/2, (py-px)*math.Sqrt2/2
			u := [8]float64{
				sectorWeight(px, py, zeta, eta), sectorWeight(qx, qy, zeta, eta),
				sectorWeight(py, -px, zeta, eta), sectorWeight(qy, -qx, zeta, eta),
				sectorWeight(-px, py, zeta, eta), sectorWeight(-qx, qy, zeta, eta),
				sectorWeight(-py, px, zeta, eta), sectorWeight(-qy, qx, zeta, eta),
			}
			var sum float64
			for _, v := range u {
				sum += v
			}
			if sum == 0 {
				continue
			}
			g := max(0, 1-0.75*(px*px+py*py)) / sum
			for k, v := range u {
				if v > 0 {
					t[j*n+i] = append(t[j*n+i], sectorShare{k, v * g})
				}
			}
		}
	}
	return t
}()

// Apply paints img, in place.
func (t Kuwahara) Apply(img *image.RGBA, _ Key) *image.RGBA {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	r := t.Radius
	if r <= 0 || w == 0 || h == 0 {
		return img
	}
	n := w * h
	var ch [3][]float64
	for c := range ch {
		ch[c] = make([]float64, n)
	}
	for y := range h {
		row := img.Pix[y*img.Stride : y*img.Stride+w*4]
		for x := range w {
			for c := range 3 {
				ch[c][y*w+x] = float64(row[x*4+c])
			}
		}
	}
	e, f, g := structureTensor(ch, w, h)

	// A padded copy holding R, G, B and R²+G²+B² per pixel: every offset the ellipses
	// reach (|d| ≤ 2·Radius) reads inside it.
	pad := 2*r + 1
	pw, ph := w+2*pad, h+2*pad
	pl := make([][4]float64, pw*ph)
	for py := range ph {
		sy := min(max(py-pad, 0), h-1)
		for px := range pw {
			sx := min(max(px-pad, 0), w-1)
			q := &pl[py*pw+px]
			for c := range 3 {
				v := ch[c][sy*w+sx]
				q[c] = v
				q[3] += v * v
			}
		}
	}

	const gn = 2*kuwaharaGrid + 1
	rf := float64(r)
	centre := kuwaharaTable[kuwaharaGrid*gn+kuwaharaGrid]
	for y := range h {
		row := img.Pix[y*img.Stride : y*img.Stride+w*4]
		for x := range w {
			i := y*w + x
			cosP, sinP, A := orientation(e[i], f[i], g[i])
			a, b := rf*(1+A), rf/(1+A)
			// p = (⟨d, φ⟩/a, ⟨d, φ⊥⟩/b) = (d_x·ux + d_y·uy, d_x·vx + d_y·vy).
			ux, uy := cosP/a, sinP/a
			vx, vy := -sinP/b, cosP/b
			// |p|² = qa·d_x² + 2·qb·d_x·d_y + qc·d_y².
			qa, qb, qc := ux*ux+vx*vx, ux*uy+vx*vy, uy*uy+vy*vy
			ey := int(math.Sqrt(a*a*sinP*sinP + b*b*cosP*cosP))
			ci := (y+pad)*pw + x + pad
			var acc [8][5]float64 // Σw, Σw·R, Σw·G, Σw·B, Σw·(R²+G²+B²)
			c0 := &pl[ci]
			for _, sh := range centre {
				s := &acc[sh.k&7]
				s[0] += sh.w
				s[1] += sh.w * c0[0]
				s[2] += sh.w * c0[1]
				s[3] += sh.w * c0[2]
				s[4] += sh.w * c0[3]
			}
			// Offsets come in pairs d, −d: −d has the weights of d with sectors turned
			// by 180° (k ↔ k+4), so only half the ellipse is walked, row by row over the
			// span where |p| ≤ 1.
			for dy := 0; dy <= ey; dy++ {
				fy := float64(dy)
				bb, cc := qb*fy, qc*fy*fy-1
				disc := bb*bb - qa*cc
				if disc < 0 {
					continue
				}
				sd := math.Sqrt(disc)
				lo, hi := int(math.Ceil((-bb-sd)/qa)), int(math.Floor((-bb+sd)/qa))
				if dy == 0 {
					lo = max(lo, 1)
				}
				for dx := lo; dx <= hi; dx++ {
					fx := float64(dx)
					ix := int((fx*ux+fy*uy+1)*kuwaharaGrid + 0.5)
					iy := int((fx*vx+fy*vy+1)*kuwaharaGrid + 0.5)
					ix, iy = min(max(ix, 0), gn-1), min(max(iy, 0), gn-1)
					p0 := &pl[ci+dy*pw+dx]
					p1 := &pl[ci-dy*pw-dx]
					for _, sh := range kuwaharaTable[iy*gn+ix] {
						s := &acc[sh.k&7]
						s[0] += sh.w
						s[1] += sh.w * p0[0]
						s[2] += sh.w * p0[1]
						s[3] += sh.w * p0[2]
						s[4] += sh.w * p0[3]
						s = &acc[(sh.k+4)&7]
						s[0] += sh.w
						s[1] += sh.w * p1[0]
						s[2] += sh.w * p1[1]
						s[3] += sh.w * p1[2]
						s[4] += sh.w * p1[3]
					}
				}
			}
			var out [3]float64
			var wsum float64
			for _, s := range acc {
				mr, mg, mb := s[1]/s[0], s[2]/s[0], s[3]/s[0]
				v := max(0, s[4]/s[0]-mr*mr-mg*mg-mb*mb) / (KuwaharaNoise * KuwaharaNoise)
				v2 := v * v
				al := 1 / (1 + v2*v2)
				out[0] += al * mr
				out[1] += al * mg
				out[2] += al * mb
				wsum += al
			}
			for c := range 3 {
				row[x*4+c] = round8(out[c] / wsum)
			}
		}
	}
	return img
}

// sectorWeight is the polynomial weight max(0, t + ζ − η·s²)² of a point at t along a
// sector's direction and s across it.
func sectorWeight(t, s, zeta, eta float64) float64 {
	v := t + zeta - eta*s*s
	if v <= 0 {
		return 0
	}
	return v * v
}

// orientation returns the unit edge direction (cos φ, sin φ) and the anisotropy A of
// the structure tensor (e, f, g).
func orientation(e, f, g float64) (float64, float64, float64) {
	d := math.Sqrt((e-g)*(e-g) + 4*f*f)
	l1, l2 := (e+g+d)/2, (e+g-d)/2
	if l1+l2 <= 0 {
		return 1, 0, 0
	}
	// Two forms of the eigenvector of λ2; the longer is the better conditioned.
	x1, y1 := f, l2-e
	x2, y2 := l2-g, f
	tx, ty := x1, y1
	if x2*x2+y2*y2 > x1*x1+y1*y1 {
		tx, ty = x2, y2
	}
	n := math.Hypot(tx, ty)
	if n == 0 {
		return 1, 0, 0
	}
	return tx / n, ty / n, (l1 - l2) / (l1 + l2)
}

// structureTensor returns the smoothed structure tensor planes E, F, G of the three
// w×h channel planes (values on 0..255, derivatives scaled to [0, 1]).
func structureTensor(ch [3][]float64, w, h int) (e, f, g []float64) {
	n := w * h
	e, f, g = make([]float64, n), make([]float64, n), make([]float64, n)
	for _, p := range ch {
		for y := range h {
			up := p[max(y-1, 0)*w:][:w]
			mid := p[y*w:][:w]
			dn := p[min(y+1, h-1)*w:][:w]
			for x := range w {
				xl, xr := max(x-1, 0), min(x+1, w-1)
				gx := ((up[xr] + 2*mid[xr] + dn[xr]) - (up[xl] + 2*mid[xl] + dn[xl])) / (4 * 255)
				gy := ((dn[xl] + 2*dn[x] + dn[xr]) - (up[xl] + 2*up[x] + up[xr])) / (4 * 255)
				i := y*w + x
				e[i] += gx * gx
				f[i] += gx * gy
				g[i] += gy * gy
			}
		}
	}
	return blurPlane(e, w, h, KuwaharaTensorSigma), blurPlane(f, w, h, KuwaharaTensorSigma), blurPlane(g, w, h, KuwaharaTensorSigma)
}
