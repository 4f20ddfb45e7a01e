package plotfile

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgpdf"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/shiftgen/shiftgen/manifests"
)

// DPI is the resolution of PNG files.
const DPI = 96

// canvas returns a w×h canvas for file's format, chosen by its extension.
func canvas(file string, w, h vg.Length) (vg.CanvasWriterTo, error) {
	switch ext := strings.ToLower(filepath.Ext(file)); ext {
	case ".png":
		return vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(DPI))}, nil
	case ".svg":
		return vgsvg.New(w, h), nil
	case ".pdf":
		return vgpdf.New(w, h), nil
	default:
		return nil, fmt.Errorf("unknown format %q; name the file *.png, *.svg or *.pdf", ext)
	}
}

// Check refuses a file whose extension names no format Save writes.
func Check(file string) error {
	_, err := canvas(file, vg.Inch, vg.Inch)
	return err
}

// Save makes a w×h canvas in the format file's extension names (.png at DPI, .svg or
// .pdf), lets paint draw on it, and writes it to file atomically.
func Save(file string, w, h vg.Length, paint func(draw.Canvas)) error {
	c, err := canvas(file, w, h)
	if err != nil {
		return err
	}
	paint(draw.New(c))
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return err
	}
	return manifests.WriteFileAtomic(file, buf.Bytes())
}
