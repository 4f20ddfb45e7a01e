package imageio

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/shiftgen/shiftgen/pipeline/internal/testimage"
)

// FuzzDecode feeds arbitrary bytes to the decode path with a small --max-pixels: it
// must return an image or an error, never panic or allocate past the limit. Seeds are
// the images under ../testdata and the crafted headers of the hostile-input tests.
func FuzzDecode(f *testing.F) {
	seeds, _ := filepath.Glob("../../testdata/imagefolder/*/*/*")
	seeds = append(seeds, "../../testdata/hostile/cmyk.jpg")
	for _, p := range seeds {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add(testimage.HugePNG(40000, 40000))
	f.Add([]byte("P6\n2 2\n255\n\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b"))
	f.Add([]byte("P2 2 1 65535 0 65535"))
	f.Fuzz(func(t *testing.T, data []byte) {
		img, err := decodeAny(data, 1<<20)
		if err != nil {
			return
		}
		w, h := img.Rect.Dx(), img.Rect.Dy()
		if w <= 0 || h <= 0 || w*h > 1<<20 || len(img.Pix) != 4*w*h {
			t.Fatalf("decoded a %d×%d image with %d bytes", w, h, len(img.Pix))
		}
		for i := 3; i < len(img.Pix); i += 4 {
			if img.Pix[i] != 255 {
				t.Fatal("decoded image is not opaque")
			}
		}
	})
}
