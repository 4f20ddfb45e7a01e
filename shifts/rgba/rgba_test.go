package rgba

import (
	"bytes"
	"image"
	"testing"
)

func TestClone(t *testing.T) {
	src := image.NewRGBA(image.Rect(0, 0, 3, 2))
	for i := range src.Pix {
		src.Pix[i] = uint8(i * 7)
	}
	sub := src.SubImage(image.Rect(1, 1, 3, 2)).(*image.RGBA)
	for _, img := range []*image.RGBA{src, sub} {
		c := Clone(img)
		if c.Rect != img.Rect || c.Stride != img.Stride || !bytes.Equal(c.Pix, img.Pix) {
			t.Fatalf("clone %v differs from %v", c.Rect, img.Rect)
		}
		c.Pix[0]++
		if c.Pix[0] == img.Pix[0] {
			t.Fatal("the clone shares its pixels")
		}
		if c.RGBAAt(img.Rect.Min.X, img.Rect.Min.Y) == img.RGBAAt(img.Rect.Min.X, img.Rect.Min.Y) {
			t.Fatal("the clone's first pixel did not change")
		}
	}
	if Clone(&image.RGBA{}).Pix != nil {
		t.Fatal("an empty image's clone has pixels")
	}
}
