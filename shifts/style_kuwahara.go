package shifts

import (
	"image"
	"math"
)

// Kuwahara is the oil-painting filter: an anisotropic Kuwahara filter (Kyprianidis, Kang
// and Döllner 2009) with polynomial sector weights (Kyprianidis et al. 2010), so strokes
// follow the image's edges and flat gradients stay smooth, with none of the square
// blocks of the classic four-quadrant filter, under a relief of brush strokes along the
// same edges.
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
//     stay smooth.
//  5. Brush strokes: with Strokes > 0, a relief of strokes drawn along the edge
//     directions shades the result (see relief); the canvas is a fixed noise, the same
//     for every image.
//
// Results are rounded half to even. Radius 0 is the identity (no relief either). It
// draws no random numbers and is safe for concurrent use.
type Kuwahara struct {
	// Severity is the table row the other fields came from (informational).
	Severity int `json:"severity,omitempty"`
	// Radius ≥ 0 is the filter's radius in pixels (the radius of the circle an
	// isotropic area uses); larger gives broader strokes.
	Radius int `json:"radius"`
	// Strokes ≥ 0 is the strength of the brush-stroke relief (0: none).
	Strokes float64 `json:"strokes"`
}

// KuwaharaSeverities holds the oil-paint shift's radii at severities 1..5.
var KuwaharaSeverities = [5]Kuwahara{
	{Severity: 1, Radius: 2, Strokes: 0.6}, {Severity: 2, Radius: 3, Strokes: 0.7},
	{Severity: 3, Radius: 4, Strokes: 0.8}, {Severity: 4, Radius: 5, Strokes: 0.9},
	{Severity: 5, Radius: 6, Strokes: 1},
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
	// KuwaharaRelief scales the brush-stroke relief: at Strokes 1, one spread of the
	// relief changes the brightness by this fraction.
	KuwaharaRelief = 0.1
	// KuwaharaBristle is the spacing of the canvas noise, in pixels: about the width
	// of one bristle's groove.
	KuwaharaBristle = 2
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
	// With strokes, the filtered colours and edge directions are kept for the relief.
	var res, tan []float64
	if t.Strokes > 0 {
		res, tan = make([]float64, 3*n), make([]float64, 2*n)
	}
	for y := range h {
		row := img.Pix[y*img.Stride : y*img.Stride+w*4]
		for x := range w {
			i := y*w + x
			cosP, sinP, A := orientation(e[i], f[i], g[i])
			if tan != nil {
				tan[2*i], tan[2*i+1] = cosP, sinP
			}
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
				if res != nil {
					res[3*i+c] = out[c] / wsum
				} else {
					row[x*4+c] = round8(out[c] / wsum)
				}
			}
		}
	}
	if res != nil {
		t.relief(img, res, tan)
	}
	return img
}

// relief writes the filtered colours res (3 per pixel) into img under a brush-stroke
// relief. A fixed canvas of noise, white on a lattice of KuwaharaBristle pixels (the
// value at lattice point (i, j) is the top 53 bits of splitmix64(i·2³² + j) over 2⁵³)
// and bilinearly interpolated between, is averaged along each pixel's edge direction
// (tan: cos φ, sin φ per pixel) at the 2L+1 points p + k·(cos φ, sin φ), k = −L..L,
// L = 2·Radius + 2, sampled bilinearly (positions clamped to the image), giving a height
// field s of strokes along the edges. The relief is its slope across the strokes, toward
// the light: with n = ±(−sin φ, cos φ) the unit normal whose sign makes n_x + n_y ≤ 0
// (the top left), d = (s(p + n) − s(p − n))·√(2L+1)/(√2·σ_u), s sampled bilinearly
// (σ_u = √(1/12)), and every channel becomes
// round(v·max(0, 1 + KuwaharaRelief·Strokes·d)).
func (t Kuwahara) relief(img *image.RGBA, res, tan []float64) {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	// The canvas: white noise on a lattice of KuwaharaBristle pixels, interpolated.
	cw, ch := w/KuwaharaBristle+2, h/KuwaharaBristle+2
	lattice := make([]float64, cw*ch)
	for y := range ch {
		for x := range cw {
			lattice[y*cw+x] = float64(splitmix(uint64(x)<<32|uint64(y))>>11) / (1 << 53)
		}
	}
	canvas := make([]float64, w*h)
	for y := range h {
		for x := range w {
			canvas[y*w+x] = bilinear(lattice, cw, ch, float64(x)/KuwaharaBristle, float64(y)/KuwaharaBristle)
		}
	}
	l := 2*t.Radius + 2
	s := make([]float64, w*h)
	for y := range h {
		for x := range w {
			i := y*w + x
			c, sn := tan[2*i], tan[2*i+1]
			var sum float64
			for k := -l; k <= l; k++ {
				sum += bilinear(canvas, w, h, float64(x)+float64(k)*c, float64(y)+float64(k)*sn)
			}
			s[i] = sum / float64(2*l+1)
		}
	}
	norm := math.Sqrt(float64(2*l+1)) / (math.Sqrt2 * math.Sqrt(1.0/12))
	for y := range h {
		row := img.Pix[y*img.Stride : y*img.Stride+w*4]
		for x := range w {
			i := y*w + x
			// The unit normal to the strokes, on the side of the light (top left).
			nx, ny := -tan[2*i+1], tan[2*i]
			if nx+ny > 0 {
				nx, ny = -nx, -ny
			}
			fx, fy := float64(x), float64(y)
			d := (bilinear(s, w, h, fx+nx, fy+ny) - bilinear(s, w, h, fx-nx, fy-ny)) * norm
			f := max(0, 1+KuwaharaRelief*t.Strokes*d)
			for c := range 3 {
				row[x*4+c] = round8(res[3*i+c] * f)
			}
		}
	}
}

// bilinear samples the w×h plane p at (x, y), clamped to the plane.
func bilinear(p []float64, w, h int, x, y float64) float64 {
	x = min(max(x, 0), float64(w-1))
	y = min(max(y, 0), float64(h-1))
	x0, y0 := int(x), int(y)
	x1, y1 := min(x0+1, w-1), min(y0+1, h-1)
	fx, fy := x-float64(x0), y-float64(y0)
	a := p[y0*w+x0] + fx*(p[y0*w+x1]-p[y0*w+x0])
	b := p[y1*w+x0] + fx*(p[y1*w+x1]-p[y1*w+x0])
	return a + fy*(b-a)
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
