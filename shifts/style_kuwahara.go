package shifts

import (
	"image"
	"math/bits"
)

// Kuwahara is the oil-painting filter. For each pixel p it looks at the four
// (Radius+1)×(Radius+1) quadrants that have p as a corner (top-left, top-right,
// bottom-left, bottom-right, in that order), cut to the image, and gives p the mean colour
// of the quadrant whose summed channel variance (var R + var G + var B) is smallest; ties
// go to the earlier quadrant. Means are rounded half to even onto bytes; the comparison is
// exact integer arithmetic. Radius 0 is the identity. The cost per pixel does not depend
// on Radius (summed-area tables). It is safe for concurrent use.
type Kuwahara struct {
	// Severity is the table row the other fields came from (informational).
	Severity int `json:"severity,omitempty"`
	// Radius ≥ 0 is the quadrants' side minus one, in pixels.
	Radius int `json:"radius"`
}

// KuwaharaSeverities holds the oil-paint shift's radii at severities 1..5.
var KuwaharaSeverities = [5]Kuwahara{
	{Severity: 1, Radius: 2}, {Severity: 2, Radius: 3}, {Severity: 3, Radius: 4},
	{Severity: 4, Radius: 5}, {Severity: 5, Radius: 7},
}

// Apply paints img, in place.
func (t Kuwahara) Apply(img *image.RGBA, _ Key) *image.RGBA {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	r := t.Radius
	if r <= 0 || w == 0 || h == 0 {
		return img
	}
	// Summed-area tables with a zero first row and column: s[c][(y)*(w+1)+x] is the sum
	// over rows < y and columns < x, for c = R, G, B and Q = R²+G²+B².
	sw := w + 1
	var s [4][]int64
	for c := range s {
		s[c] = make([]int64, sw*(h+1))
	}
	for y := range h {
		row := img.Pix[y*img.Stride : y*img.Stride+w*4]
		var acc [4]int64
		for x := range w {
			rr, gg, bb := int64(row[x*4]), int64(row[x*4+1]), int64(row[x*4+2])
			acc[0] += rr
			acc[1] += gg
			acc[2] += bb
			acc[3] += rr*rr + gg*gg + bb*bb
			o := (y+1)*sw + x + 1
			for c := range 4 {
				s[c][o] = s[c][o-sw] + acc[c]
			}
		}
	}
	// The filter reads the original through the tables only, so it can write in place.
	for y := range h {
		y0, y1 := max(y-r, 0), min(y+r, h-1)
		row := img.Pix[y*img.Stride : y*img.Stride+w*4]
		for x := range w {
			x0, x1 := max(x-r, 0), min(x+r, w-1)
			quads := [4][4]int{{x0, y0, x, y}, {x, y0, x1, y}, {x0, y, x, y1}, {x, y, x1, y1}}
			var best [3]int64
			var bestN, bestA uint64
			for qi, q := range quads {
				a, b := q[1]*sw+q[0], q[1]*sw+q[2]+1
				c, d := (q[3]+1)*sw+q[0], (q[3]+1)*sw+q[2]+1
				var sum [4]int64
				for k := range 4 {
					sum[k] = s[k][d] - s[k][b] - s[k][c] + s[k][a]
				}
				n := int64((q[2] - q[0] + 1) * (q[3] - q[1] + 1))
				// n²·variance = n·ΣQ − Σ_c S_c² ≥ 0.
				num := uint64(n*sum[3] - sum[0]*sum[0] - sum[1]*sum[1] - sum[2]*sum[2])
				if qi == 0 || lessFrac(num, uint64(n*n), bestA, bestN*bestN) {
					best, bestN, bestA = [3]int64{sum[0], sum[1], sum[2]}, uint64(n), num
				}
			}
			n := int64(bestN)
			row[x*4] = divRound(best[0], n)
			row[x*4+1] = divRound(best[1], n)
			row[x*4+2] = divRound(best[2], n)
		}
	}
	return img
}

// lessFrac reports whether a/b < c/d for positive b and d, exactly.
func lessFrac(a, b, c, d uint64) bool {
	h1, l1 := bits.Mul64(a, d)
	h2, l2 := bits.Mul64(c, b)
	return h1 < h2 || (h1 == h2 && l1 < l2)
}

// divRound returns s/n rounded half to even, for s ≥ 0 and n > 0, as a byte.
func divRound(s, n int64) uint8 {
	q, rem := s/n, s%n
	if 2*rem > n || (2*rem == n && q%2 == 1) {
		q++
	}
	return uint8(min(q, 255))
}
