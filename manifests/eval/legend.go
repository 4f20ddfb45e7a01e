package eval

import (
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// legendPlacer is an invisible plotter added last to a figure: when the figure is drawn
// it moves the legend to the first of a few places (top left, top right, bottom right,
// bottom left, top centre, bottom centre) where the legend's box covers none of the
// obstacles (the models' points and samples along every line and band edge), or where
// it covers fewest. It runs at drawing time because only then are the sizes of the data
// area and of the legend known.
type legendPlacer struct {
	obstacles plotter.XYs
	// last is the place chosen by the latest Plot (for tests).
	last *legendPlace
}

// Plot sets p.Legend's position and draws the legend's background.
func (lp *legendPlacer) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	pts := make([]vg.Point, 0, len(lp.obstacles))
	for _, o := range lp.obstacles {
		pts = append(pts, vg.Point{X: trX(o.X), Y: trY(o.Y)})
	}
	pl := placeLegend(c.Rectangle, p.Legend.Rectangle(c).Size(), pts)
	p.Legend.Top, p.Legend.Left, p.Legend.XOffs, p.Legend.YOffs = pl.top, pl.left, pl.dx, pl.dy
	// A white card under the legend keeps grid lines out of its text. It reaches
	// legendMargin beyond the box, which covers the few points by which the canvas the
	// legend is drawn on exceeds the data area.
	card := vg.Rectangle{
		Min: vg.Point{X: pl.box.Min.X - legendMargin, Y: pl.box.Min.Y - legendMargin},
		Max: vg.Point{X: pl.box.Max.X + legendMargin, Y: pl.box.Max.Y + legendMargin},
	}
	c.SetColor(color.White)
	c.Fill(card.Path())
	c.SetLineStyle(draw.LineStyle{Color: color.Gray{Y: 0xcc}, Width: vg.Points(0.5)})
	c.Stroke(card.Path())
	lp.last = &pl
}

// legendPlace is a position of the legend in gonum/plot's terms, with the box it
// occupies and the number of obstacles in that box.
type legendPlace struct {
	top, left bool
	dx, dy    vg.Length
	box       vg.Rectangle
	hits      int
}

// legendInset is the gap between the legend and the data area's edges, and
// legendMargin the clearance it keeps from every obstacle.
const (
	legendInset  = vg.Length(8)
	legendMargin = vg.Length(6)
)

// placeLegend chooses where a legend of size goes in area (see legendPlacer).
func placeLegend(area vg.Rectangle, size vg.Point, pts []vg.Point) legendPlace {
	w := area.Max.X - area.Min.X
	centre := (w - size.X) / 2
	cands := []legendPlace{
		{top: true, left: true, dx: legendInset, dy: -legendInset},
		{top: true, left: false, dx: -legendInset, dy: -legendInset},
		{top: false, left: false, dx: -legendInset, dy: legendInset},
		{top: false, left: true, dx: legendInset, dy: legendInset},
		{top: true, left: true, dx: centre, dy: -legendInset},
		{top: false, left: true, dx: centre, dy: legendInset},
	}
	best := -1
	for i := range cands {
		k := &cands[i]
		// The box gonum/plot's Legend.Draw fills for these settings.
		if k.left {
			k.box.Min.X = area.Min.X + k.dx
		} else {
			k.box.Min.X = area.Max.X - size.X + k.dx
		}
		k.box.Max.X = k.box.Min.X + size.X
		if k.top {
			k.box.Max.Y = area.Max.Y + k.dy
			k.box.Min.Y = k.box.Max.Y - size.Y
		} else {
			k.box.Min.Y = area.Min.Y + k.dy
			k.box.Max.Y = k.box.Min.Y + size.Y
		}
		for _, pt := range pts {
			if pt.X >= k.box.Min.X-legendMargin && pt.X <= k.box.Max.X+legendMargin &&
				pt.Y >= k.box.Min.Y-legendMargin && pt.Y <= k.box.Max.Y+legendMargin {
				k.hits++
			}
		}
		if best < 0 || k.hits < cands[best].hits {
			best = i
		}
		if k.hits == 0 {
			break
		}
	}
	return cands[best]
}
