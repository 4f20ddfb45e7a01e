package rgba

import "image"

// Clone returns a copy of img with its own pixels: same bounds, stride and bytes. A nil
// Pix stays nil.
func Clone(img *image.RGBA) *image.RGBA {
	c := *img
	if img.Pix != nil {
		c.Pix = append([]uint8(nil), img.Pix...)
	}
	return &c
}
