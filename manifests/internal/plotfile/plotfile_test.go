package plotfile

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

func TestSave(t *testing.T) {
	dir := t.TempDir()
	p := plot.New()
	p.Title.Text = "t"
	for ext, magic := range map[string]string{".png": "\x89PNG", ".svg": "<?xml", ".PDF": "%PDF"} {
		file := filepath.Join(dir, "x"+ext)
		if err := Save(file, 2*vg.Inch, vg.Inch, func(c draw.Canvas) { p.Draw(c) }); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(file)
		if err != nil || !bytes.HasPrefix(b, []byte(magic)) {
			t.Fatalf("%s: starts %q, %v", ext, b[:min(len(b), 8)], err)
		}
		if ext == ".png" {
			img, err := png.Decode(bytes.NewReader(b))
			if err != nil || img.Bounds().Dx() != 2*DPI || img.Bounds().Dy() != DPI {
				t.Fatalf("png %v, %v; want %d×%d", img.Bounds(), err, 2*DPI, DPI)
			}
		}
	}
	if err := Check("x.jpg"); err == nil || !strings.Contains(err.Error(), `unknown format ".jpg"`) {
		t.Fatalf("x.jpg: %v", err)
	}
	if err := Save(filepath.Join(dir, "y.gif"), vg.Inch, vg.Inch, func(draw.Canvas) { t.Fatal("drew for an unknown format") }); err == nil {
		t.Fatal("no error for .gif")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 3 {
		t.Fatalf("%d files, want 3", len(entries))
	}
}
