package eval

import (
	"fmt"
	"hash/fnv"
	"image/color"
	"math"
	"path/filepath"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/shiftgen/shiftgen/manifests/internal/plotfile"
)

// PlotSize is the size of one panel of a figure.
var PlotSize = struct{ W, H vg.Length }{6.5 * vg.Inch, 5.5 * vg.Inch}

// palette holds the colours of the groups (Tableau 10); baselines take the first.
var palette = []color.RGBA{
	{0x4e, 0x79, 0xa7, 0xff}, {0xf2, 0x8e, 0x2b, 0xff}, {0xe1, 0x57, 0x59, 0xff},
	{0x59, 0xa1, 0x4f, 0xff}, {0xb0, 0x7a, 0xa1, 0xff}, {0x76, 0xb7, 0xb2, 0xff},
	{0xed, 0xc9, 0x48, 0xff}, {0xff, 0x9d, 0xa7, 0xff}, {0x9c, 0x75, 0x5f, 0xff},
	{0xba, 0xb0, 0xac, 0xff},
}

// shapes are the groups' markers, in the same order as palette.
var shapes = []draw.GlyphDrawer{
	draw.CircleGlyph{}, draw.PyramidGlyph{}, draw.BoxGlyph{}, draw.RingGlyph{},
	draw.TriangleGlyph{}, draw.SquareGlyph{}, draw.CrossGlyph{}, draw.PlusGlyph{},
}

// scaleNorm places data on an axis by the scale's transform.
type scaleNorm struct{ s Scale }

// Normalize maps x to [0, 1] between min and max on the transformed scale.
func (n scaleNorm) Normalize(min, max, x float64) float64 {
	a, b := n.s.T(min), n.s.T(max)
	return (n.s.T(x) - a) / (b - a)
}

// percentTicks labels an accuracy axis in percent at round values, spaced evenly enough
// on the transformed scale.
type percentTicks struct{ s Scale }

var tickCandidates = []float64{0.01, 0.1, 0.2, 0.5, 1, 2, 3, 5, 7, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60, 65, 70, 75, 80, 85, 90, 92, 94, 95, 96, 97, 98, 99, 99.5, 99.8, 99.9, 99.99}

// Ticks returns major ticks at round percentages between min and max.
func (t percentTicks) Ticks(min, max float64) []plot.Tick {
	lo, hi := t.s.T(min), t.s.T(max)
	gap := (hi - lo) / 9
	var ticks []plot.Tick
	last := math.Inf(-1)
	for _, c := range tickCandidates {
		v := c / 100
		if v < min || v > max {
			continue
		}
		tv := t.s.T(v)
		if tv-last < gap {
			continue
		}
		last = tv
		ticks = append(ticks, plot.Tick{Value: v, Label: strconv.FormatFloat(c, 'f', -1, 64)})
	}
	return ticks
}

// padRange widens [lo, hi] by 5 % on each side on scale s, like the paper's plots.
func padRange(s Scale, lo, hi float64) (float64, float64) {
	a, b := s.T(lo), s.T(hi)
	if b-a < 1e-9 {
		a, b = a-0.1, b+0.1
	}
	p := (b - a) * 0.05
	return s.Inv(a - p), s.Inv(b + p)
}

// NewPlot draws res as a paper would: both axes on the fit's scale with percent labels,
// the baselines and their fitted line with its 95 % band, y = x dashed, and every other
// group in its own colour and marker, with a legend.
func NewPlot(res *Result, title string) (*plot.Plot, error) {
	p, _, err := styledPlot(res, title, panelStyle{})
	return p, err
}

// panelStyle changes how styledPlot draws: the zero value draws NewPlot's figure.
type panelStyle struct {
	// colour, if set, gives a group's palette index (baselines take 0), so that
	// several panels colour the groups alike; otherwise groups take the next index in
	// order of appearance.
	colour func(group string) int
	// small draws a panel of small multiples: short axis labels, smaller text and
	// markers, and no legend (the figure has one for all panels).
	small bool
}

// styledPlot draws res as NewPlot does, in style st.
func styledPlot(res *Result, title string, st panelStyle) (*plot.Plot, *legendPlacer, error) {
	if len(res.Models) == 0 {
		return nil, nil, fmt.Errorf("nothing to plot: no models")
	}
	s := res.Line.Scale
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = fmt.Sprintf("reference accuracy (%%, %s scale)", s)
	p.Y.Label.Text = fmt.Sprintf("shifted accuracy (%%, %s scale)", s)
	if st.small {
		p.X.Label.Text, p.Y.Label.Text = "reference %", "shifted %"
		p.Title.TextStyle.Font.Size = vg.Points(10)
		for _, a := range []*plot.Axis{&p.X, &p.Y} {
			a.Label.TextStyle.Font.Size = vg.Points(9)
			a.Tick.Label.Font.Size = vg.Points(8)
		}
	}
	p.X.Scale, p.Y.Scale = scaleNorm{s}, scaleNorm{s}
	p.X.Tick.Marker, p.Y.Tick.Marker = percentTicks{s}, percentTicks{s}
	p.Add(plotter.NewGrid())

	xmin, xmax := math.Inf(1), math.Inf(-1)
	ymin, ymax := math.Inf(1), math.Inf(-1)
	for _, m := range res.Models {
		xmin, xmax = math.Min(xmin, clamp(m.RefAcc)), math.Max(xmax, clamp(m.RefAcc))
		ymin, ymax = math.Min(ymin, clamp(m.ShiftAcc)), math.Max(ymax, clamp(m.ShiftAcc))
	}
	ymin, ymax = math.Min(ymin, xmin), math.Max(ymax, xmax)
	x0, x1 := padRange(s, xmin, xmax)
	y0, y1 := padRange(s, ymin, ymax)

	base := palette[0]
	const steps = 120
	var line, band plotter.XYs
	upper := make(plotter.XYs, 0, steps+1)
	a, b := s.T(x0), s.T(x1)
	for i := 0; i <= steps; i++ {
		x := s.Inv(a + (b-a)*float64(i)/steps)
		lo, hi := res.Line.Band(x)
		line = append(line, plotter.XY{X: x, Y: res.Line.Predict(x)})
		band = append(band, plotter.XY{X: x, Y: lo})
		upper = append(upper, plotter.XY{X: x, Y: hi})
	}
	for i := len(upper) - 1; i >= 0; i-- {
		band = append(band, upper[i])
	}
	poly, err := plotter.NewPolygon(band)
	if err != nil {
		return nil, nil, err
	}
	poly.Color = color.NRGBA{base.R, base.G, base.B, 0x48}
	poly.LineStyle = draw.LineStyle{Color: color.Transparent}
	p.Add(poly)

	fl, err := plotter.NewLine(line)
	if err != nil {
		return nil, nil, err
	}
	fl.Color = base
	fl.Width = vg.Points(1.5)
	p.Add(fl)

	lo, hi := math.Max(x0, y0), math.Min(x1, y1)
	var diag plotter.XYs
	for i := 0; i <= steps; i++ {
		v := s.Inv(s.T(lo) + (s.T(hi)-s.T(lo))*float64(i)/steps)
		diag = append(diag, plotter.XY{X: v, Y: v})
	}
	dl, err := plotter.NewLine(diag)
	if err != nil {
		return nil, nil, err
	}
	dl.Color = color.RGBA{0x69, 0x69, 0x69, 0xff}
	dl.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
	p.Add(dl)

	// Baselines first, then each group in model order.
	type series struct {
		name string
		pts  plotter.XYs
	}
	var groups []*series
	idx := map[string]*series{}
	bs := &series{name: "baselines"}
	for _, m := range res.Models {
		pt := plotter.XY{X: clamp(m.RefAcc), Y: clamp(m.ShiftAcc)}
		if m.Baseline {
			bs.pts = append(bs.pts, pt)
			continue
		}
		g, ok := idx[m.Group]
		if !ok {
			g = &series{name: m.Group}
			idx[m.Group] = g
			groups = append(groups, g)
		}
		g.pts = append(g.pts, pt)
	}
	all := append([]*series{bs}, groups...)
	for i, g := range all {
		if len(g.pts) == 0 {
			continue // small multiples draw every panel, baselines or not
		}
		sc, err := plotter.NewScatter(g.pts)
		if err != nil {
			return nil, nil, err
		}
		k := i
		if st.colour != nil && i > 0 {
			k = st.colour(g.name)
		}
		markerStyle(sc, k)
		if st.small {
			sc.Radius = vg.Points(2.2)
			p.Add(sc)
			continue
		}
		p.Add(sc)
		name := fmt.Sprintf("%s (%d)", g.name, len(g.pts))
		p.Legend.Add(name, sc)
		if i == 0 {
			p.Legend.Add(fmt.Sprintf("%s fit, r = %.3f, 95%% band", s, res.Line.R), fl, poly)
			p.Legend.Add("y = x", dl)
		}
	}
	// Axis ranges last: Add widens them to every plotter's data, and the band and line
	// are clipped to the axes when drawn.
	p.X.Min, p.X.Max = x0, x1
	p.Y.Min, p.Y.Max = y0, y1
	if st.small {
		return p, nil, nil
	}
	p.Legend.TextStyle.Font.Size = vg.Points(9)
	// The legend goes where it hides nothing: no point, no line, no band edge.
	var obstacles plotter.XYs
	for _, m := range res.Models {
		obstacles = append(obstacles, plotter.XY{X: clamp(m.RefAcc), Y: clamp(m.ShiftAcc)})
	}
	obstacles = append(append(append(obstacles, line...), band...), diag...)
	lp := &legendPlacer{obstacles: obstacles}
	p.Add(lp)
	return p, lp, nil
}

// markerStyle gives a scatter the colour and marker of palette index k.
func markerStyle(sc *plotter.Scatter, k int) {
	c := palette[k%len(palette)]
	sc.Color = color.NRGBA{c.R, c.G, c.B, 0xc0}
	sc.Shape = shapes[k%len(shapes)]
	sc.Radius = vg.Points(3)
}

// SavePlots draws plots side by side, each PlotSize, into file (.png, .svg or .pdf,
// by extension), written atomically.
func SavePlots(file string, plots ...*plot.Plot) error {
	err := plotfile.Save(file, PlotSize.W*vg.Length(len(plots)), PlotSize.H, func(dc draw.Canvas) {
		tiles := plot.Align([][]*plot.Plot{plots}, draw.Tiles{Rows: 1, Cols: len(plots), PadX: vg.Points(12), PadTop: vg.Points(4), PadBottom: vg.Points(4), PadLeft: vg.Points(4), PadRight: vg.Points(8)}, dc)
		for i, p := range plots {
			p.Draw(tiles[0][i])
		}
	})
	if err != nil {
		return fmt.Errorf("plot %s: %w", file, err)
	}
	return nil
}

// Plot draws the report's overall result into file and, with By, one more file per
// field and value beside it, named FILE-STEM.FIELD=VALUE.EXT (see plotKey). It returns
// the files written.
func (r *Report) Plot(file string) ([]string, error) {
	p, err := NewPlot(&r.Result, r.Title)
	if err != nil {
		return nil, err
	}
	if err := SavePlots(file, p); err != nil {
		return nil, err
	}
	files := []string{file}
	ext := filepath.Ext(file)
	stem := strings.TrimSuffix(file, ext)
	used := map[string]string{file: "the overall plot"}
	for _, s := range r.subsets()[1:] {
		p, err := NewPlot(s.res, fmt.Sprintf("%s, %s = %s", r.Title, s.field, s.value))
		if err != nil {
			return nil, err
		}
		name := fmt.Sprintf("%s.%s%s", stem, plotKey(s.field, s.value), ext)
		if prev, dup := used[name]; dup {
			return nil, fmt.Errorf("plot %s: %s = %s and %s would share the file %s", file, s.field, s.value, prev, name)
		}
		used[name] = s.field + " = " + s.value
		if err := SavePlots(name, p); err != nil {
			return nil, err
		}
		files = append(files, name)
	}
	return files, nil
}

// plotKey names the plot of one field value, FIELD=VALUE, in characters safe in a file
// name. When making it safe changed the name, a short hash of the field and value
// follows, so that values differing only in unsafe characters ("a/b", "a b") never
// share a file.
func plotKey(field, value string) string {
	key := safeName(field) + "=" + safeName(value)
	if key != field+"="+value {
		h := fnv.New32a()
		h.Write([]byte(field + "\x00" + value))
		key += fmt.Sprintf("~%08x", h.Sum32())
	}
	return key
}

// safeName keeps letters, digits, '-', '_' and '.' of s and replaces the rest by '_'.
func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			return r
		}
		return '_'
	}, s)
}
