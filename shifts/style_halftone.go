package shifts

import (
	"image"
	"math"
)

// Halftone prints an image with round cyan, magenta and yellow dots (no black ink). Each
// ink has its own square screen of period Cell pixels, rotated by 15° (cyan, from the red
// channel), 75° (magenta, from green) and 0° (yellow, from blue). For pixel (x, y) and an
// ink at angle θ, the pixel centre (x+½, y+½) in screen coordinates is
//
//	u = ((x+½)·cos θ + (y+½)·sin θ)/Cell,  v = (−(x+½)·sin θ + (y+½)·cos θ)/Cell,
//
// ρ is its distance to the centre of its screen cell, ρ² = (u−⌊u⌋−½)² + (v−⌊v⌋−½)², and
// T(ρ) the area of the part of the unit cell within ρ of its centre:
//
//	T = πρ² (ρ ≤ ½);  πρ² − 4(ρ²·acos(1/(2ρ)) − ½·√(ρ² − ¼)) (½ < ρ < √½);  1 (ρ ≥ √½).
//
// The ink's coverage is c = 1 − v/255 for the channel's byte v; the pixel gets the ink
// (channel 0) when c > T or c = 1, and stays paper (channel 255) otherwise. Every cell is thus a
// round dot whose area is the local coverage, growing into a checkerboard of white holes
// past 78.5 %. The result is binary per channel and draws no random numbers. It is safe
// for concurrent use.
type Halftone struct {
	// Severity is the table row the other fields came from (informational).
	Severity int `json:"severity,omitempty"`
	// Cell is the screen period (dot spacing) in pixels.
	Cell float64 `json:"cell"`
}

// HalftoneSeverities holds Halftone's parameters at severities 1..5.
var HalftoneSeverities = [5]Halftone{
	{Severity: 1, Cell: 3}, {Severity: 2, Cell: 4}, {Severity: 3, Cell: 5},
	{Severity: 4, Cell: 6}, {Severity: 5, Cell: 8},
}

// halftoneAngles are the screen angles in degrees for the inks printed from R, G and B.
var halftoneAngles = [3]float64{15, 75, 0}

// Apply halftones img in place.
func (t Halftone) Apply(img *image.RGBA, _ Key) *image.RGBA {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	cell := max(t.Cell, 1e-9)
	var cs, sn [3]float64
	for c, a := range halftoneAngles {
		rad := a * math.Pi / 180
		cs[c], sn[c] = math.Cos(rad), math.Sin(rad)
	}
	var cov [256]float64
	for v := range cov {
		cov[v] = 1 - float64(v)/255
	}
	for y := range h {
		py := float64(y) + 0.5
		row := img.Pix[y*img.Stride : y*img.Stride+w*4]
		for x := range w {
			px := float64(x) + 0.5
			for c := range 3 {
				u := (px*cs[c] + py*sn[c]) / cell
				v := (-px*sn[c] + py*cs[c]) / cell
				fu, fv := u-math.Floor(u)-0.5, v-math.Floor(v)-0.5
				if b := row[x*4+c]; b == 0 || cov[b] > dotArea(fu*fu+fv*fv) {
					row[x*4+c] = 0
				} else {
					row[x*4+c] = 255
				}
			}
		}
	}
	return img
}

// dotArea returns the area of the part of the unit square within distance √rho2 of its
// centre.
func dotArea(rho2 float64) float64 {
	switch {
	case rho2 <= 0.25:
		return math.Pi * rho2
	case rho2 >= 0.5:
		return 1
	}
	rho := math.Sqrt(rho2)
	return math.Pi*rho2 - 4*(rho2*math.Acos(0.5/rho)-0.5*math.Sqrt(rho2-0.25))
}
