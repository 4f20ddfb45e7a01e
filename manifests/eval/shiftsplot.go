package eval

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image/color"
	"math"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/shiftgen/shiftgen/manifests/internal/plotfile"
)

// PanelSize is the size of one panel of the small-multiples figure.
var PanelSize = struct{ W, H vg.Length }{3.3 * vg.Inch, 3.1 * vg.Inch}

// Plot draws the report's figures: into file, the small multiples (one panel per
// shift: its baselines' line and band, y = x and the models coloured by group, under one
// legend); beside it, FILE-STEM.kinds.EXT, each group's mean ER per shift with its
// interval, one panel per kind of shift (in-support, out-of-support, …); and, when the
// datasets include a sweep (see sweeps), FILE-STEM.sweeps.EXT, each group's mean ER over
// the swept parameter, one panel per sweep. The first two figures' legends sit outside
// the panels; a sweep panel's legend goes where it covers no data. It returns the files
// written.
func (r *ShiftsReport) Plot(file string) ([]string, error) {
	if err := plotfile.Check(file); err != nil {
		return nil, fmt.Errorf("plot %s: %w", file, err)
	}
	if err := r.savePanels(file); err != nil {
		return nil, err
	}
	ext := filepath.Ext(file)
	stem := strings.TrimSuffix(file, ext)
	kindsFile := stem + ".kinds" + ext
	if err := r.saveKinds(kindsFile); err != nil {
		return nil, err
	}
	files := []string{file, kindsFile}
	if sw := r.sweeps(); len(sw) > 0 {
		sweepsFile := stem + ".sweeps" + ext
		if _, err := r.saveSweeps(sweepsFile, sw); err != nil {
			return nil, err
		}
		files = append(files, sweepsFile)
	}
	return files, nil
}

// colourOf gives each group of the report its palette index: baselines' groups 0, the
// others from 1 in the report's group order.
func (r *ShiftsReport) colourOf() func(string) int {
	idx := map[string]int{}
	k := 1
	for _, g := range r.Groups {
		if hasBaselines(r.Shifts, g) {
			idx[g] = 0
			continue
		}
		idx[g] = k
		k++
	}
	return func(g string) int { return idx[g] }
}

// legendItem is one entry of a figure's legend strip.
type legendItem struct {
	name   string
	thumbs []plot.Thumbnailer
}

// legendStrip lays out items in rows across width and draws them; it is drawn outside
// the panels.
type legendStrip struct {
	items []legendItem
	style text.Style
	// pos[i] is item i's lower left corner relative to the strip's top left; height is
	// the strip's height.
	pos    []vg.Point
	height vg.Length
}

const (
	legendThumb = vg.Length(16)
	legendGap   = vg.Length(14)
	legendRowH  = vg.Length(15)
)

// newLegendStrip lays items out in rows no wider than width.
func newLegendStrip(items []legendItem, width vg.Length) *legendStrip {
	l := &legendStrip{items: items, style: text.Style{Color: color.Black, Font: font.From(plot.DefaultFont, vg.Points(10)), Handler: plot.DefaultTextHandler}}
	x, row := vg.Length(0), 0
	for _, it := range items {
		w := legendThumb + 4 + l.style.Rectangle(it.name).Max.X
		if x > 0 && x+w > width {
			x, row = 0, row+1
		}
		l.pos = append(l.pos, vg.Point{X: x, Y: -vg.Length(row+1) * legendRowH})
		x += w + legendGap
	}
	l.height = vg.Length(row+1)*legendRowH + 6
	return l
}

// draw draws the strip with its top left corner at top, centred across width.
func (l *legendStrip) draw(c draw.Canvas, top vg.Point, width vg.Length) {
	// Centre each row.
	rowEnd := map[vg.Length]vg.Length{}
	for i, it := range l.items {
		end := l.pos[i].X + legendThumb + 4 + l.style.Rectangle(it.name).Max.X
		rowEnd[l.pos[i].Y] = max(rowEnd[l.pos[i].Y], end)
	}
	for i, it := range l.items {
		p := l.pos[i]
		x := top.X + (width-rowEnd[p.Y])/2 + p.X
		y := top.Y + p.Y
		icon := draw.Canvas{Canvas: c.Canvas, Rectangle: vg.Rectangle{Min: vg.Point{X: x, Y: y + 2}, Max: vg.Point{X: x + legendThumb, Y: y + legendRowH - 3}}}
		for _, t := range it.thumbs {
			t.Thumbnail(&icon)
		}
		c.FillText(l.style, vg.Point{X: x + legendThumb + 4, Y: y + 4}, it.name)
	}
}

// panelLegend is the small multiples' legend: baselines, their fit and band, y = x, and
// each other group.
func (r *ShiftsReport) panelLegend(colour func(string) int) ([]legendItem, error) {
	one := plotter.XYs{{X: 0, Y: 0}}
	var items []legendItem
	base, err := plotter.NewScatter(one)
	if err != nil {
		return nil, err
	}
	markerStyle(base, 0)
	items = append(items, legendItem{"baselines", []plot.Thumbnailer{base}})
	b := palette[0]
	band, err := plotter.NewPolygon(plotter.XYs{{X: 0, Y: 0}, {X: 1, Y: 0}, {X: 1, Y: 1}})
	if err != nil {
		return nil, err
	}
	band.Color = color.NRGBA{b.R, b.G, b.B, 0x48}
	band.LineStyle = draw.LineStyle{Color: color.Transparent}
	fit, err := plotter.NewLine(one)
	if err != nil {
		return nil, err
	}
	fit.Color, fit.Width = b, vg.Points(1.5)
	scale := "probit"
	if len(r.Shifts) > 0 {
		scale = string(r.Shifts[0].Fit.Scale)
	}
	items = append(items, legendItem{"baselines' " + scale + " fit, 95% band", []plot.Thumbnailer{band, fit}})
	diag, err := plotter.NewLine(one)
	if err != nil {
		return nil, err
	}
	diag.Color = color.RGBA{0x69, 0x69, 0x69, 0xff}
	diag.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
	items = append(items, legendItem{"y = x", []plot.Thumbnailer{diag}})
	for _, g := range r.Groups {
		if hasBaselines(r.Shifts, g) {
			continue
		}
		sc, err := plotter.NewScatter(one)
		if err != nil {
			return nil, err
		}
		markerStyle(sc, colour(g))
		items = append(items, legendItem{g, []plot.Thumbnailer{sc}})
	}
	return items, nil
}

// titleStyle is the style of a figure's title.
func titleStyle() text.Style {
	return text.Style{Color: color.Black, Font: font.From(plot.DefaultFont, vg.Points(13)), XAlign: draw.XCenter, Handler: plot.DefaultTextHandler}
}

// savePanels draws the small multiples into file.
func (r *ShiftsReport) savePanels(file string) error {
	n := len(r.Shifts)
	cols := n
	if n > 3 {
		cols = int(math.Ceil(math.Sqrt(float64(n))))
	}
	rows := (n + cols - 1) / cols
	colour := r.colourOf()
	grid := make([][]*plot.Plot, rows)
	for i := range grid {
		grid[i] = make([]*plot.Plot, cols)
	}
	for i, s := range r.Shifts {
		p, _, err := styledPlot(&s.Result, fmt.Sprintf("%s (%s)", s.Label, s.Shift.Kind), panelStyle{colour: colour, small: true})
		if err != nil {
			return fmt.Errorf("plot %s: %s: %w", file, s.Dataset, err)
		}
		grid[i/cols][i%cols] = p
	}
	items, err := r.panelLegend(colour)
	if err != nil {
		return err
	}
	w := PanelSize.W * vg.Length(cols)
	legend := newLegendStrip(items, w-20)
	h := PanelSize.H*vg.Length(rows) + titleH + legend.height + 8
	return saveFigure(file, w, h, r.Title, legend, func(area draw.Canvas) {
		drawGrid(grid, draw.Tiles{Rows: rows, Cols: cols, PadX: vg.Points(10), PadY: vg.Points(10), PadTop: vg.Points(2), PadBottom: vg.Points(4), PadLeft: vg.Points(4), PadRight: vg.Points(8)}, area)
	})
}

// titleH is the height of a figure's title band.
const titleH = vg.Length(26)

// saveFigure writes a w×h figure to file: a white page with title centred at the top,
// legend (if not nil) below the title, and body drawing in the area left below them.
func saveFigure(file string, w, h vg.Length, title string, legend *legendStrip, body func(area draw.Canvas)) error {
	err := plotfile.Save(file, w, h, func(dc draw.Canvas) {
		dc.SetColor(color.White)
		dc.Fill(dc.Rectangle.Path())
		top := dc.Max.Y
		dc.FillText(titleStyle(), vg.Point{X: (dc.Min.X + dc.Max.X) / 2, Y: top - 18}, title)
		area := dc
		area.Max.Y = top - titleH
		if legend != nil {
			legend.draw(dc, vg.Point{X: dc.Min.X + 10, Y: top - titleH}, w-20)
			area.Max.Y = top - titleH - legend.height - 8
		}
		body(area)
	})
	if err != nil {
		return fmt.Errorf("plot %s: %w", file, err)
	}
	return nil
}

// drawGrid draws the plots of grid, aligned as tiles of area; nil cells stay empty.
func drawGrid(grid [][]*plot.Plot, tiles draw.Tiles, area draw.Canvas) {
	aligned := plot.Align(grid, tiles, area)
	for i, row := range grid {
		for j, p := range row {
			if p != nil {
				p.Draw(aligned[i][j])
			}
		}
	}
}

// erBars draws, for each row (a shift) of a kind's panel, one horizontal bar per group
// from 0 to its mean ER, with a whisker over its interval. Rows count from the top.
type erBars struct {
	rows   []*ShiftReport
	groups []string
	colour func(string) int
}

// slot returns the vertical position (data units) and height of group j's bar in row i.
func (b *erBars) slot(i, j int) (y, h float64) {
	n := float64(len(b.rows))
	h = 0.8 / float64(len(b.groups))
	centre := n - 1 - float64(i)
	return centre + 0.4 - h*(float64(j)+0.5), h
}

// DataRange returns the range of the bars and whiskers (ER in pp) and of the rows.
func (b *erBars) DataRange() (xmin, xmax, ymin, ymax float64) {
	xmin, xmax = 0, 0
	for _, s := range b.rows {
		for _, g := range b.groups {
			if gr := s.groupER(g); gr != nil {
				xmin = math.Min(xmin, 100*math.Min(gr.MeanER, gr.ERLow))
				xmax = math.Max(xmax, 100*math.Max(gr.MeanER, gr.ERHigh))
			}
		}
	}
	return xmin, xmax, -0.5, float64(len(b.rows)) - 0.5
}

// Plot draws the bars.
func (b *erBars) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	for i, s := range b.rows {
		for j, g := range b.groups {
			gr := s.groupER(g)
			if gr == nil {
				continue
			}
			y, h := b.slot(i, j)
			k := palette[b.colour(g)%len(palette)]
			x0, x1 := trX(0), trX(100*gr.MeanER)
			y0, y1 := trY(y-h/2+0.01), trY(y+h/2-0.01)
			rect := vg.Rectangle{Min: vg.Point{X: min(x0, x1), Y: y0}, Max: vg.Point{X: max(x0, x1), Y: y1}}
			c.SetColor(color.NRGBA{k.R, k.G, k.B, 0xd0})
			c.Fill(rect.Path())
			ls := draw.LineStyle{Color: color.Black, Width: vg.Points(0.8)}
			ym := trY(y)
			lo, hi := trX(100*gr.ERLow), trX(100*gr.ERHigh)
			c.StrokeLine2(ls, lo, ym, hi, ym)
			tick := (y1 - y0) * 0.3
			c.StrokeLine2(ls, lo, ym-tick, lo, ym+tick)
			c.StrokeLine2(ls, hi, ym-tick, hi, ym+tick)
		}
	}
}

// plainTicks label an axis at multiples of a round step (1, 2, 2.5 or 5 times a power
// of ten, five or six labels across), so zero is labelled whenever it lies on the axis,
// written plainly (-2.5, 0, 2.5), with an unlabelled mark halfway between labels.
type plainTicks struct{}

// Ticks returns the labelled and halfway ticks between lo and hi.
func (plainTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(hi > lo) || math.IsInf(hi-lo, 0) {
		return plot.DefaultTicks{}.Ticks(lo, hi)
	}
	raw := (hi - lo) / 6
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := 10 * mag
	for _, m := range []float64{1, 2, 2.5, 5} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	// Decimals enough for the step (2.5 × 10^k needs one more than 10^k).
	dec := max(int(-math.Floor(math.Log10(step)+1e-9)), 0)
	if r := step / math.Pow(10, math.Floor(math.Log10(step)+1e-9)); math.Abs(r-2.5) < 1e-9 {
		dec++
	}
	var ticks []plot.Tick
	for k := math.Ceil(lo/step - 0.5); k*step <= hi+step/2; k++ {
		if v := k * step; v >= lo-1e-9*step && v <= hi+1e-9*step {
			label := strconv.FormatFloat(v, 'f', dec, 64)
			if dec > 0 {
				label = strings.TrimRight(strings.TrimRight(label, "0"), ".")
			}
			if label == "-0" {
				label = "0"
			}
			v, _ = strconv.ParseFloat(label, 64) // 0.3, not 0.30000000000000004
			ticks = append(ticks, plot.Tick{Value: v, Label: label})
		}
		if v := (k + 0.5) * step; v >= lo && v <= hi {
			ticks = append(ticks, plot.Tick{Value: v})
		}
	}
	return ticks
}

// zeroLine is the dashed line at ER = 0 across a panel.
type zeroLine struct{}

// Plot draws the line.
func (zeroLine) Plot(c draw.Canvas, p *plot.Plot) {
	trX, _ := p.Transforms(&c)
	x := trX(0)
	c.StrokeLine2(draw.LineStyle{Color: color.RGBA{0x69, 0x69, 0x69, 0xff}, Width: vg.Points(1), Dashes: []vg.Length{vg.Points(4), vg.Points(3)}}, x, c.Min.Y, x, c.Max.Y)
}

// swatch is a legend thumbnail: a filled box in a group's colour.
type swatch struct{ c color.Color }

// Thumbnail draws the box.
func (s swatch) Thumbnail(c *draw.Canvas) {
	c.SetColor(s.c)
	c.Fill(c.Rectangle.Path())
}

// saveKinds draws each group's mean ER per shift, one panel per kind of shift, into file.
func (r *ShiftsReport) saveKinds(file string) error {
	groups := shownGroups(r.Shifts, r.Groups)
	colour := r.colourOf()
	var panels []*plot.Plot
	var heights []float64
	xmin, xmax := 0.0, 0.0
	var bars []*erBars
	for _, k := range kinds(r.Shifts) {
		b := &erBars{groups: groups, colour: colour}
		for _, s := range r.Shifts {
			if s.Shift.Kind == k {
				b.rows = append(b.rows, s)
			}
		}
		x0, x1, _, _ := b.DataRange()
		xmin, xmax = math.Min(xmin, x0), math.Max(xmax, x1)
		bars = append(bars, b)
	}
	pad := (xmax - xmin) * 0.05
	if pad == 0 {
		pad = 1
	}
	for i, b := range bars {
		p := plot.New()
		k := b.rows[0].Shift.Kind
		p.Title.Text = fmt.Sprintf("%s shifts (%d)", k, len(b.rows))
		p.Title.TextStyle.Font.Size = vg.Points(11)
		if i == len(bars)-1 {
			p.X.Label.Text = "mean ER of the group's models, pp (whiskers: 95% interval)"
		}
		g := plotter.NewGrid()
		g.Horizontal.Color = color.Transparent
		p.Add(g, zeroLine{}, b)
		names := make([]string, len(b.rows))
		for j, s := range b.rows {
			names[len(b.rows)-1-j] = s.Label
		}
		p.NominalY(names...)
		p.X.Tick.Marker = plainTicks{}
		p.X.Min, p.X.Max = xmin-pad, xmax+pad
		p.Y.Min, p.Y.Max = -0.5, float64(len(b.rows))-0.5
		panels = append(panels, p)
		heights = append(heights, float64(len(b.rows))*0.32+0.75)
	}
	heights[len(heights)-1] += 0.2 // the x axis label
	var items []legendItem
	for _, g := range groups {
		k := palette[colour(g)%len(palette)]
		items = append(items, legendItem{g, []plot.Thumbnailer{swatch{color.NRGBA{k.R, k.G, k.B, 0xd0}}}})
	}
	w := 7.5 * vg.Inch
	legend := newLegendStrip(items, w-20)
	total := 0.0
	for _, h := range heights {
		total += h
	}
	h := vg.Length(total)*vg.Inch + titleH + legend.height + 8
	return saveFigure(file, w, h, r.Title+": mean ER per shift", legend, func(area draw.Canvas) {
		y := area.Max.Y
		canvases := make([]draw.Canvas, len(panels))
		for i := range panels {
			c := area
			c.Max.Y = y - 6 // a gap between panels
			y -= vg.Length(heights[i]) * vg.Inch
			c.Min.Y = y
			c.Min.X += 6
			c.Max.X -= 12
			canvases[i] = c
		}
		// Align the data areas: every panel gets the widest left margin (the longest
		// shift names) and right margin.
		var left, right vg.Length
		for i, p := range panels {
			d := p.DataCanvas(canvases[i])
			left = max(left, d.Min.X-canvases[i].Min.X)
			right = max(right, canvases[i].Max.X-d.Max.X)
		}
		for i, p := range panels {
			c := canvases[i]
			d := p.DataCanvas(c)
			c.Min.X += left - (d.Min.X - c.Min.X)
			c.Max.X -= right - (c.Max.X - d.Max.X)
			p.Draw(c)
		}
	})
}

// sweep is the datasets of one shift that differ in one numeric parameter only, such as
// the paper's spurious tint at p = 0.5, …, 0.9: its rows in increasing order of the
// parameter's value x.
type sweep struct {
	shift, kind, param string
	x                  []float64
	rows               []*ShiftReport
}

// sweeps finds the report's sweeps, in order of their shift's first dataset: for each
// shift name with two or more datasets, the datasets form a sweep when their recorded
// parameters (Shift.Params) differ in exactly one key, whose values are distinct
// numbers. Shifts that differ otherwise, or repeat a value, are no sweep.
func (r *ShiftsReport) sweeps() []sweep {
	var names []string
	byName := map[string][]*ShiftReport{}
	for _, s := range r.Shifts {
		if byName[s.Shift.Name] == nil {
			names = append(names, s.Shift.Name)
		}
		byName[s.Shift.Name] = append(byName[s.Shift.Name], s)
	}
	var out []sweep
next:
	for _, name := range names {
		rows := byName[name]
		if len(rows) < 2 {
			continue
		}
		params := make([]map[string]json.RawMessage, len(rows))
		keys := map[string]bool{}
		for i, s := range rows {
			if err := json.Unmarshal(s.Shift.Params, &params[i]); err != nil {
				continue next
			}
			for k := range params[i] {
				keys[k] = true
			}
		}
		var varying []string
		for _, k := range sortedKeys(keys) {
			for _, p := range params[1:] {
				if !bytes.Equal(compactJSON(p[k]), compactJSON(params[0][k])) {
					varying = append(varying, k)
					break
				}
			}
		}
		if len(varying) != 1 {
			continue
		}
		sw := sweep{shift: name, kind: rows[0].Shift.Kind, param: varying[0]}
		seen := map[float64]bool{}
		order := make([]int, len(rows))
		xs := make([]float64, len(rows))
		for i, p := range params {
			var x float64
			if err := json.Unmarshal(p[sw.param], &x); err != nil || seen[x] || rows[i].Shift.Kind != sw.kind {
				continue next
			}
			seen[x] = true
			xs[i], order[i] = x, i
		}
		sort.Slice(order, func(a, b int) bool { return xs[order[a]] < xs[order[b]] })
		for _, i := range order {
			sw.x = append(sw.x, xs[i])
			sw.rows = append(sw.rows, rows[i])
		}
		out = append(out, sw)
	}
	return out
}

// compactJSON returns a JSON value without insignificant spaces (nil stays nil).
func compactJSON(v json.RawMessage) []byte {
	if v == nil {
		return nil
	}
	var b bytes.Buffer
	if json.Compact(&b, v) != nil {
		return v
	}
	return b.Bytes()
}

// hZero is the dashed line at ER = 0 across a panel whose y axis is ER.
type hZero struct{}

// Plot draws the line.
func (hZero) Plot(c draw.Canvas, p *plot.Plot) {
	_, trY := p.Transforms(&c)
	y := trY(0)
	c.StrokeLine2(draw.LineStyle{Color: color.RGBA{0x69, 0x69, 0x69, 0xff}, Width: vg.Points(1), Dashes: []vg.Length{vg.Points(4), vg.Points(3)}}, c.Min.X, y, c.Max.X, y)
}

// sweepPoints are one group's mean ER (pp) at each value of a sweep's parameter, with
// the interval's distances below and above.
type sweepPoints struct {
	plotter.XYs
	plotter.YErrors
}

// SweepSize is the size of one panel of the sweeps figure.
var SweepSize = struct{ W, H vg.Length }{4.4 * vg.Inch, 3.6 * vg.Inch}

// sweepPlot draws one sweep: each group's mean ER over the parameter, a line through
// markers with whiskers over the group's interval (groups nudged apart along x so that
// their whiskers do not overlap), a dashed line at 0, and a legend placed where it
// covers no data; the y axis spans ylim (pp). It returns the plot and its legend
// placer.
func sweepPlot(sw sweep, groups []string, colour func(string) int, ylim [2]float64) (*plot.Plot, *legendPlacer, error) {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("%s (%s)", sw.shift, sw.kind)
	p.Title.TextStyle.Font.Size = vg.Points(11)
	p.X.Label.Text = sw.param
	p.Y.Label.Text = "mean ER of the group's models, pp"
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font.Size = vg.Points(10)
		a.Tick.Label.Font.Size = vg.Points(9)
	}
	p.Add(plotter.NewGrid(), hZero{})
	span := sw.x[len(sw.x)-1] - sw.x[0]
	step := span * 0.012
	var obstacles plotter.XYs
	drawn := 0
	for j, g := range groups {
		var pts sweepPoints
		dx := (float64(j) - float64(len(groups)-1)/2) * step
		for i, s := range sw.rows {
			gr := s.groupER(g)
			if gr == nil {
				continue
			}
			y := 100 * gr.MeanER
			lo, hi := 100*gr.ERLow, 100*gr.ERHigh
			pts.XYs = append(pts.XYs, plotter.XY{X: sw.x[i] + dx, Y: y})
			pts.YErrors = append(pts.YErrors, struct{ Low, High float64 }{y - lo, hi - y})
			for t := 0; t <= 10; t++ {
				obstacles = append(obstacles, plotter.XY{X: sw.x[i] + dx, Y: lo + (hi-lo)*float64(t)/10})
			}
		}
		if len(pts.XYs) == 0 {
			continue
		}
		k := palette[colour(g)%len(palette)]
		line, err := plotter.NewLine(pts.XYs)
		if err != nil {
			return nil, nil, err
		}
		line.Color, line.Width = k, vg.Points(1.5)
		sc, err := plotter.NewScatter(pts.XYs)
		if err != nil {
			return nil, nil, err
		}
		markerStyle(sc, colour(g))
		bars, err := plotter.NewYErrorBars(pts)
		if err != nil {
			return nil, nil, err
		}
		bars.Color, bars.Width, bars.CapWidth = color.NRGBA{k.R, k.G, k.B, 0xc0}, vg.Points(1), vg.Points(4)
		p.Add(bars, line, sc)
		p.Legend.Add(g, line, sc)
		drawn++
		// Obstacles: the markers, the whiskers' ends and points along each segment.
		for i, pt := range pts.XYs {
			obstacles = append(obstacles, pt)
			if i == 0 {
				continue
			}
			prev := pts.XYs[i-1]
			for t := 1; t < 20; t++ {
				f := float64(t) / 20
				obstacles = append(obstacles, plotter.XY{X: prev.X + f*(pt.X-prev.X), Y: prev.Y + f*(pt.Y-prev.Y)})
			}
		}
	}
	if drawn == 0 {
		return nil, nil, fmt.Errorf("nothing to plot: no group has models on %s", sw.shift)
	}
	ticks := make(plot.ConstantTicks, len(sw.x))
	for i, x := range sw.x {
		ticks[i] = plot.Tick{Value: x, Label: strconv.FormatFloat(x, 'g', -1, 64)}
	}
	p.X.Tick.Marker = ticks
	p.Y.Tick.Marker = plainTicks{}
	pad := span * 0.06
	p.X.Min, p.X.Max = sw.x[0]-pad, sw.x[len(sw.x)-1]+pad
	p.Y.Min, p.Y.Max = ylim[0], ylim[1]
	for i := 0; i <= 40; i++ {
		obstacles = append(obstacles, plotter.XY{X: p.X.Min + (p.X.Max-p.X.Min)*float64(i)/40, Y: 0})
	}
	p.Legend.TextStyle.Font.Size = vg.Points(9)
	lp := &legendPlacer{obstacles: obstacles}
	p.Add(lp)
	return p, lp, nil
}

// saveSweeps draws each group's mean ER over each sweep's parameter, one panel per
// sweep, into file, and returns the panels' legend placers.
func (r *ShiftsReport) saveSweeps(file string, sw []sweep) ([]*legendPlacer, error) {
	groups := shownGroups(r.Shifts, r.Groups)
	colour := r.colourOf()
	cols := min(len(sw), 2)
	rows := (len(sw) + cols - 1) / cols
	grid := make([][]*plot.Plot, rows)
	for i := range grid {
		grid[i] = make([]*plot.Plot, cols)
	}
	// One ER range for every panel, so that panels compare at a glance, with room at
	// the top for the legends.
	lo, hi := 0.0, 0.0
	for _, s := range sw {
		for _, row := range s.rows {
			for _, g := range groups {
				if gr := row.groupER(g); gr != nil {
					lo, hi = math.Min(lo, 100*gr.ERLow), math.Max(hi, 100*gr.ERHigh)
				}
			}
		}
	}
	span := math.Max(hi-lo, 1)
	ylim := [2]float64{lo - 0.06*span, hi + 0.3*span}
	var placers []*legendPlacer
	for i, s := range sw {
		p, lp, err := sweepPlot(s, groups, colour, ylim)
		if err != nil {
			return nil, fmt.Errorf("plot %s: %w", file, err)
		}
		grid[i/cols][i%cols] = p
		placers = append(placers, lp)
	}
	w := SweepSize.W * vg.Length(cols)
	h := SweepSize.H*vg.Length(rows) + titleH
	err := saveFigure(file, w, h, r.Title+": mean ER over each sweep", nil, func(area draw.Canvas) {
		drawGrid(grid, draw.Tiles{Rows: rows, Cols: cols, PadX: vg.Points(14), PadY: vg.Points(12), PadTop: vg.Points(2), PadBottom: vg.Points(4), PadLeft: vg.Points(4), PadRight: vg.Points(10)}, area)
	})
	if err != nil {
		return nil, err
	}
	return placers, nil
}
