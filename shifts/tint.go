package shifts

import (
	"fmt"
	"image"
	"math"
)

// DefaultTintTableSize is N, the length of the paper's random-class and spurious tables:
// the size of ImageNet's train split.
const DefaultTintTableSize = 1281167

// TintClasses is the number of tint colours in the paper's palette.
const TintClasses = 1000

// TintTable holds the paper's tint draws, all from RandomState(seed):
// Colors = uniform(size=(1000, 3)), RandomClass = choice(1000, size=N),
// Spurious = uniform(size=N) < p. A table made by NewTintTablePrefix holds the first
// entries of RandomClass and Spurious only.
type TintTable struct {
	Colors      [TintClasses][3]float64
	RandomClass []uint16
	Spurious    []bool
}

// NewTintTable draws the table for the given seed, length n and spurious probability p.
func NewTintTable(seed uint32, n int, p float64) *TintTable {
	return NewTintTablePrefix(seed, n, p, n)
}

// NewTintTablePrefix is NewTintTable(seed, n, p) cut to its first m entries (all n when
// m is larger): the draws of the others are skipped, not kept, which for a run over a
// few images of the paper's 1,281,167-entry table saves most of the time and memory.
func NewTintTablePrefix(seed uint32, n int, p float64, m int) *TintTable {
	m = min(m, n)
	r := NewRandomState(seed)
	t := &TintTable{RandomClass: make([]uint16, m), Spurious: make([]bool, m)}
	for c := range t.Colors {
		for k := 0; k < 3; k++ {
			t.Colors[c][k] = r.Uniform()
		}
	}
	for i := range t.RandomClass {
		t.RandomClass[i] = uint16(r.Interval(TintClasses - 1))
	}
	// Spurious is drawn after all n classes: the generator must pass the rest of them.
	r.SkipIntervals(TintClasses-1, n-m)
	for i := range t.Spurious {
		t.Spurious[i] = r.Uniform() < p
	}
	return t
}

// Tint blends every pixel toward Color: x' = (1−Alpha)·x + Alpha·Color per channel, with
// x and Color in [0, 1]; results are rounded half to even onto 0..255. Alpha 0 is the
// identity.
type Tint struct {
	Color [3]float64 `json:"color"`
	Alpha float64    `json:"alpha"`
}

// LUT returns the per-channel lookup tables Apply uses.
func (t Tint) LUT() (lut [3][256]uint8) {
	for c := 0; c < 3; c++ {
		for v := 0; v < 256; v++ {
			x := (1-t.Alpha)*float64(v)/255 + t.Alpha*t.Color[c]
			lut[c][v] = clamp8(math.RoundToEven(x * 255))
		}
	}
	return lut
}

// Apply tints img in place.
func (t Tint) Apply(img *image.RGBA, _ Key) *image.RGBA {
	lut := t.LUT()
	ApplyLUT(img, &lut)
	return img
}

// ApplyLUT maps the R, G and B bytes of every pixel of img through lut, in place.
func ApplyLUT(img *image.RGBA, lut *[3][256]uint8) {
	w := img.Rect.Dx() * 4
	for y := 0; y < img.Rect.Dy(); y++ {
		row := img.Pix[y*img.Stride : y*img.Stride+w]
		for i := 0; i+3 < len(row); i += 4 {
			row[i] = lut[0][row[i]]
			row[i+1] = lut[1][row[i+1]]
			row[i+2] = lut[2][row[i+2]]
		}
	}
}

func clamp8(x float64) uint8 {
	if x <= 0 {
		return 0
	}
	if x >= 255 {
		return 255
	}
	return uint8(x)
}

// TintParams are the parameters of the paper's tint shifts.
type TintParams struct {
	// P is the probability that an image's tint is its own class's colour in the
	// reference distribution (spurious-tint only; 0 for unseen-tint).
	P float64 `json:"p"`
	// Alpha is the blend weight of the tint colour (0.25 in the paper).
	Alpha float64 `json:"alpha"`
	// TableSize is N, the length of the random-class and spurious tables.
	TableSize int `json:"tint_table_size"`
}

// TintShift is one of the paper's tint shifts.
//
// spurious-tint (in-support): in the reference distribution every image is tinted with
// its own class's colour when Spurious[index], else with RandomClass[index]'s colour; in
// the shifted distribution every image is tinted with RandomClass[index]'s colour.
//
// unseen-tint (out-of-support): the reference distribution is untouched; the shifted
// distribution is tinted with RandomClass[index]'s colour.
type TintShift struct {
	Entry  string
	kind   Kind
	params TintParams
	table  *TintTable
}

// NewTintShift builds spurious-tint (spurious true) or unseen-tint.
func NewTintShift(spurious bool, p TintParams, env Env) (*TintShift, error) {
	if env.Classes > TintClasses {
		return nil, fmt.Errorf("tint shifts have %d colours, one per class, but the dataset has %d classes", TintClasses, env.Classes)
	}
	if p.TableSize <= 0 {
		p.TableSize = env.TintTableSize
	}
	if p.TableSize <= 0 {
		p.TableSize = DefaultTintTableSize
	}
	s := &TintShift{Entry: "unseen-tint", kind: OutOfSupport, params: p}
	if spurious {
		s.Entry, s.kind = "spurious-tint", InSupport
	} else {
		s.params.P = 0
	}
	m := p.TableSize
	if env.Items > 0 {
		m = env.Items
	}
	s.table = NewTintTablePrefix(uint32(env.Seed), p.TableSize, s.params.P, m)
	return s, nil
}

// Name returns the registry name.
func (s *TintShift) Name() string { return s.Entry }

// Kind returns the shift's kind.
func (s *TintShift) Kind() Kind { return s.kind }

// Params returns the tint parameters.
func (s *TintShift) Params() any { return s.params }

// MaxItems is the table length: no split may hold more images.
func (s *TintShift) MaxItems() int { return s.params.TableSize }

// Table returns the tint table the shift draws from.
func (s *TintShift) Table() *TintTable { return s.table }

// Untouched reports that the out-of-support tint leaves its reference distribution
// unchanged, with no fields.
func (s *TintShift) Untouched(d Distribution) (map[string]any, bool) {
	return nil, s.kind == OutOfSupport && d == Reference
}

// Sample picks the image's tint class.
func (s *TintShift) Sample(d Distribution, it Item) Sample {
	if s.kind == OutOfSupport && d == Reference {
		return Sample{}
	}
	spurious := s.kind == InSupport && d == Reference && s.table.Spurious[it.Index]
	class := int(s.table.RandomClass[it.Index])
	if spurious {
		class = it.Label
	}
	color := s.table.Colors[class]
	smp := Sample{
		Transform: Tint{Color: color, Alpha: s.params.Alpha},
		Fields: map[string]any{
			"tint_class": class,
			"spurious":   spurious,
			"tint_color": []float64{color[0], color[1], color[2]},
		},
	}
	if class == it.Label {
		smp.Tally = []string{"own_tint"}
	}
	return smp
}

// VFlip turns an image upside down (the paper's vertical flip).
type VFlip struct{}

// Apply reverses the order of img's rows in place.
func (VFlip) Apply(img *image.RGBA, _ Key) *image.RGBA {
	h, w := img.Rect.Dy(), img.Rect.Dx()*4
	for y := 0; y < h/2; y++ {
		a := img.Pix[y*img.Stride : y*img.Stride+w]
		b := img.Pix[(h-1-y)*img.Stride : (h-1-y)*img.Stride+w]
		for i := range a {
			a[i], b[i] = b[i], a[i]
		}
	}
	return img
}
