package supportsplit

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/shiftgen/shiftgen/manifests/internal/plotfile"
)

// PlotBins is the number of histogram bins Plot draws.
const PlotBins = 60

// Plot draws the histograms of the log density ratios log(p_shift/p_ref) of the shifted
// and the reference examples (each normalised to unit area) with the threshold
// −log ε marked: shifted examples right of it are out of support. The file's extension
// picks the format (.png, .svg or .pdf); it is written atomically.
func (r *Result) Plot(file string) error {
	p, err := r.histogram()
	if err != nil {
		return fmt.Errorf("--plot %s: %w", file, err)
	}
	if err := plotfile.Save(file, 7*vg.Inch, 4.5*vg.Inch, p.Draw); err != nil {
		return fmt.Errorf("--plot %s: %w", file, err)
	}
	return nil
}

// histogram builds the plot.
func (r *Result) histogram() (*plot.Plot, error) {
	refs := plotter.Values(r.LogRatios[:r.Reference])
	shifts := plotter.Values(r.LogRatios[r.Reference:])
	thr := -math.Log(r.Epsilon)
	lo, hi := thr, thr
	for _, v := range r.LogRatios {
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	pad := math.Max(0.05*(hi-lo), 0.1)
	lo, hi = lo-pad, hi+pad
	p := plot.New()
	p.Title.Text = fmt.Sprintf("%d shifted examples in support, %d out of support (ε = %g)", r.In, r.Out, r.Epsilon)
	p.X.Label.Text = "log density ratio log(p_shift(x) / p_ref(x)); out of support right of the threshold"
	p.Y.Label.Text = "density"
	p.X.Min, p.X.Max = lo, hi
	width := (hi - lo) / PlotBins
	ymax := 0.0
	for _, s := range []struct {
		vals  plotter.Values
		name  string
		color color.RGBA
	}{
		{refs, fmt.Sprintf("reference (%d)", len(refs)), color.RGBA{0x4e, 0x79, 0xa7, 0xff}},
		{shifts, fmt.Sprintf("shifted (%d)", len(shifts)), color.RGBA{0xf2, 0x8e, 0x2b, 0xff}},
	} {
		if len(s.vals) == 0 {
			continue
		}
		bins := make([]plotter.HistogramBin, PlotBins)
		for i := range bins {
			bins[i].Min, bins[i].Max = lo+float64(i)*width, lo+float64(i+1)*width
		}
		for _, v := range s.vals {
			i := min(max(int((v-lo)/width), 0), PlotBins-1)
			bins[i].Weight++
		}
		for i := range bins {
			bins[i].Weight /= float64(len(s.vals)) * width
			ymax = math.Max(ymax, bins[i].Weight)
		}
		hist := &plotter.Histogram{Bins: bins, Width: width, LineStyle: plotter.DefaultLineStyle}
		hist.FillColor = color.NRGBA{s.color.R, s.color.G, s.color.B, 0x70}
		hist.LineStyle.Color = s.color
		p.Add(hist)
		p.Legend.Add(s.name, hist)
	}
	line, err := plotter.NewLine(plotter.XYs{{X: thr, Y: 0}, {X: thr, Y: ymax * 1.05}})
	if err != nil {
		return nil, err
	}
	line.Color = color.RGBA{0xe1, 0x15, 0x15, 0xff}
	line.Width = vg.Points(1.5)
	line.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
	p.Add(line)
	p.Legend.Add(fmt.Sprintf("threshold log(1/ε) = %.3g", thr), line)
	p.Legend.Top = true
	p.Y.Min, p.Y.Max = 0, ymax*1.3 // room for the legend above the bars
	return p, nil
}
