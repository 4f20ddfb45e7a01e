package pipeline

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"strconv"

	"github.com/shiftgen/shiftgen/pipeline/imageio"

	"github.com/disintegration/imaging"
	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"

	"github.com/shiftgen/shiftgen/shifts"
	"github.com/shiftgen/shiftgen/shifts/rgba"
)

// PreviewOptions configures Preview. Zero values are documented per field.
type PreviewOptions struct {
	// In is the source ImageFolder root (required).
	In string
	// Shifts are the --shift specs shown as columns. With exactly one spec that has a
	// severity parameter left unset, the columns are severities 1 to 5 instead.
	Shifts []string
	// Rows is the number of sample images; 0 means 3. They are the first images of
	// evenly spaced classes of the val split.
	Rows int
	// Cell is the side of each square cell in pixels; 0 means 160.
	Cell int
	// Seed keys random choices, as in Run.
	Seed int64
	// Codec decodes the sources; nil means imageio.DefaultCodec().
	Codec imageio.Codec
	// StyleImages is the style-image source, as in Options (see LoadStyles).
	StyleImages string
}

// column is one column of the sheet.
type column struct {
	label string
	kind  shifts.Kind
	shift shifts.Shift
}

// Preview draws a contact sheet: one row per sample image, the original in the first
// column and each shift's shifted-distribution look in the next ones (for an in-support
// spurious-X shift, its transform), each cell labelled and marked in-support (blue) or
// out-of-support (orange).
func Preview(o PreviewOptions) (*image.RGBA, error) {
	if o.Rows <= 0 {
		o.Rows = 3
	}
	if o.Cell <= 0 {
		o.Cell = 160
	}
	if o.Codec == nil {
		o.Codec = imageio.DefaultCodec()
	}
	if len(o.Shifts) == 0 {
		return nil, fmt.Errorf("preview needs at least one --shift (see `shiftgen list`)")
	}
	ds, err := Scan(o.In, ScanOptions{})
	if err != nil {
		return nil, err
	}
	specs := o.Shifts
	if len(specs) == 1 {
		if sev := severitySweep(specs[0]); sev != nil {
			specs = sev
		}
	}
	if !shifts.NeedStyles(specs) {
		o.StyleImages = ""
	}
	styles, err := LoadStyles(o.StyleImages, o.Seed, 0, 0)
	if err != nil {
		return nil, err
	}
	env := shifts.Env{Seed: o.Seed, Classes: len(ds.Classes), TintTableSize: 0, Styles: styles}
	cols := []column{{label: "original"}}
	for _, spec := range specs {
		sh, err := shifts.New(spec, env)
		if err != nil {
			return nil, err
		}
		cols = append(cols, column{label: spec, kind: sh.Kind(), shift: sh})
	}
	sp := ds.Split("val")
	if sp == nil {
		sp = &ds.Splits[0]
	}
	rows := pickRows(sp, len(ds.Classes), o.Rows)
	face, bold, err := previewFaces()
	if err != nil {
		return nil, err
	}
	const pad, head = 6, 34
	w := len(cols)*(o.Cell+pad) + pad
	h := head + len(rows)*(o.Cell+pad+16) + pad
	sheet := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(sheet, sheet.Rect, image.NewUniform(color.RGBA{248, 248, 248, 255}), image.Point{}, draw.Src)
	for c, col := range cols {
		x := pad + c*(o.Cell+pad)
		label(sheet, bold, x, 14, col.label, o.Cell)
		if col.shift != nil {
			mark := color.RGBA{230, 120, 20, 255}
			if col.kind == shifts.InSupport {
				mark = color.RGBA{40, 90, 200, 255}
			}
			draw.Draw(sheet, image.Rect(x, 20, x+o.Cell, 24), image.NewUniform(mark), image.Point{}, draw.Src)
			label(sheet, face, x, 32, string(col.kind), o.Cell)
		}
	}
	for r, src := range rows {
		data, err := imageio.ReadFile(joinSource(sp.Dir, src.Path), 0)
		if err != nil {
			return nil, fmt.Errorf("preview: %w", err)
		}
		sc := imageio.GetScratch()
		img, err := sc.DecodePreprocess(o.Codec, data, imageio.PaperPreprocess, "val", imageio.DefaultMaxPixels)
		if err != nil {
			imageio.PutScratch(sc)
			return nil, fmt.Errorf("preview: decode %s: %w", src.Path, err)
		}
		pre := rgba.Clone(img)
		imageio.PutScratch(sc)
		y := head + pad + r*(o.Cell+pad+16)
		it := shifts.Item{Split: sp.Name, Index: src.Index, Label: src.Label}
		for c, col := range cols {
			out := rgba.Clone(pre)
			if col.shift != nil {
				if t := previewTransform(col.shift, it); t != nil {
					out = t.Apply(out, shifts.PixelKey(o.Seed, it))
				}
			}
			x := pad + c*(o.Cell+pad)
			cell := fit(out, o.Cell)
			cb := cell.Bounds()
			draw.Draw(sheet, image.Rect(x, y, x+cb.Dx(), y+cb.Dy()), cell, cb.Min, draw.Src)
			if c == 0 {
				label(sheet, face, x, y+o.Cell+13, ds.Classes[src.Label], o.Cell)
			}
		}
	}
	return sheet, nil
}

// previewTransform is the look a column shows: the shifted distribution's transform, or
// for a spurious-X shift (whose shifted images get X only half the time) X itself.
func previewTransform(sh shifts.Shift, it shifts.Item) shifts.Transform {
	if s, ok := sh.(*shifts.Spurious); ok {
		return s.T
	}
	return sh.Sample(shifts.Shifted, it).Transform
}

// severitySweep expands a spec with an unset severity parameter into severities 1..5.
func severitySweep(spec string) []string {
	e, _, err := shifts.Resolve(spec)
	if err != nil {
		return nil
	}
	name, settings, _ := shifts.ParseSpec(spec)
	if _, set := settings["severity"]; set {
		return nil
	}
	for _, p := range e.Params {
		if p.Name == "severity" {
			var out []string
			for s := 1; s <= 5; s++ {
				v := name + ":severity=" + strconv.Itoa(s)
				for k, val := range settings {
					v += "," + k + "=" + val
				}
				out = append(out, v)
			}
			return out
		}
	}
	return nil
}

// pickRows returns the first image of n evenly spaced classes.
func pickRows(sp *Split, classes, n int) []Source {
	first := map[int]Source{}
	for _, s := range sp.Sources {
		if _, ok := first[s.Label]; !ok {
			first[s.Label] = s
		}
	}
	var out []Source
	for i := 0; i < n && i < classes; i++ {
		c := i * classes / n
		for ; c < classes; c++ {
			if s, ok := first[c]; ok {
				out = append(out, s)
				break
			}
		}
	}
	return out
}

// fit scales img so its longer side is size, with a Lanczos filter: the sheet is for
// eyes, so it favours sharp thumbnails over Pillow-exact resampling.
func fit(img *image.RGBA, size int) image.Image {
	return imaging.Fit(img, size, size, imaging.Lanczos)
}

func previewFaces() (font.Face, font.Face, error) {
	reg, err := opentype.Parse(goregular.TTF)
	if err != nil {
		return nil, nil, err
	}
	b, err := opentype.Parse(gobold.TTF)
	if err != nil {
		return nil, nil, err
	}
	face, err := opentype.NewFace(reg, &opentype.FaceOptions{Size: 10, DPI: 72, Hinting: font.HintingFull})
	if err != nil {
		return nil, nil, err
	}
	bold, err := opentype.NewFace(b, &opentype.FaceOptions{Size: 11, DPI: 72, Hinting: font.HintingFull})
	return face, bold, err
}

// label draws s with its baseline at (x, y), cut to fit width pixels.
func label(dst *image.RGBA, face font.Face, x, y int, s string, width int) {
	d := &font.Drawer{Dst: dst, Src: image.NewUniform(color.RGBA{30, 30, 30, 255}), Face: face}
	if d.MeasureString(s).Ceil() > width {
		r := []rune(s)
		for len(r) > 1 && d.MeasureString(string(r)+"…").Ceil() > width {
			r = r[:len(r)-1]
		}
		s = string(r) + "…"
	}
	d.Dot = fixed.P(x, y)
	d.DrawString(s)
}
