package shifts

import (
	"image"
	"image/color"
	"image/draw"
)

// Apply converts src to a fresh opaque *image.RGBA whose bounds start at (0, 0) and
// applies t to it (a nil t only converts), so the caller's image is never modified. Any
// colour model is accepted (Gray, Paletted, NRGBA, YCbCr, CMYK, RGBA64, ...). Alpha is
// dropped the way PIL's convert("RGB") and torchvision's loader drop it: every pixel keeps
// its straight (non-premultiplied) colour and becomes fully opaque.
func Apply(t Transform, src image.Image, k Key) *image.RGBA {
	img := ToRGBA(src)
	if t == nil {
		return img
	}
	return t.Apply(img, k)
}

// A Recorder is a Transform whose Apply makes per-image choices worth recording in the
// manifest (Pad's tint class, for instance). Record returns them for the image keyed by k
// (the Key Apply receives), or nil.
type Recorder interface {
	Record(k Key) map[string]any
}

// ToRGBA returns a fresh opaque RGBA copy of src with bounds starting at (0, 0), colours
// straight (alpha dropped, not composited).
func ToRGBA(src image.Image) *image.RGBA {
	b := src.Bounds()
	w, h := b.Dx(), b.Dy()
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	switch s := src.(type) {
	case *image.RGBA:
		for y := range h {
			in := s.Pix[s.PixOffset(b.Min.X, b.Min.Y+y):][:w*4]
			out := dst.Pix[y*dst.Stride:][:w*4]
			copy(out, in)
			for i := 3; i < len(in); i += 4 {
				if in[i] != 255 {
					unpremultiply(out, in, i-3)
				}
			}
		}
	case *image.NRGBA:
		for y := range h {
			in := s.Pix[s.PixOffset(b.Min.X, b.Min.Y+y):][:w*4]
			out := dst.Pix[y*dst.Stride:][:w*4]
			copy(out, in)
			for i := 3; i < len(out); i += 4 {
				out[i] = 255
			}
		}
	case *image.Gray, *image.YCbCr:
		// Opaque models: image/draw has fast paths for both.
		draw.Draw(dst, dst.Rect, src, b.Min, draw.Src)
	case *image.Paletted:
		var pal [256][4]uint8
		for i := range pal {
			pal[i] = [4]uint8{0, 0, 0, 255} // indices past the palette read as black
		}
		for i, c := range s.Palette {
			if i >= 256 {
				break
			}
			n := color.NRGBAModel.Convert(c).(color.NRGBA)
			pal[i] = [4]uint8{n.R, n.G, n.B, 255}
		}
		for y := range h {
			in := s.Pix[s.PixOffset(b.Min.X, b.Min.Y+y):][:w]
			out := dst.Pix[y*dst.Stride:][:w*4]
			for x, ci := range in {
				copy(out[x*4:x*4+4], pal[ci][:])
			}
		}
	case *image.CMYK:
		for y := range h {
			in := s.Pix[s.PixOffset(b.Min.X, b.Min.Y+y):][:w*4]
			out := dst.Pix[y*dst.Stride:][:w*4]
			for i := 0; i < len(in); i += 4 {
				r, g, bb := color.CMYKToRGB(in[i], in[i+1], in[i+2], in[i+3])
				out[i], out[i+1], out[i+2], out[i+3] = r, g, bb, 255
			}
		}
	default:
		for y := range h {
			out := dst.Pix[y*dst.Stride:][:w*4]
			for x := range w {
				c := color.NRGBAModel.Convert(src.At(b.Min.X+x, b.Min.Y+y)).(color.NRGBA)
				out[x*4], out[x*4+1], out[x*4+2], out[x*4+3] = c.R, c.G, c.B, 255
			}
		}
	}
	return dst
}

// unpremultiply writes the straight colour of the premultiplied pixel in[i:i+4] into
// out[i:i+4], fully opaque.
func unpremultiply(out, in []uint8, i int) {
	c := color.NRGBAModel.Convert(color.RGBA{in[i], in[i+1], in[i+2], in[i+3]}).(color.NRGBA)
	out[i], out[i+1], out[i+2], out[i+3] = c.R, c.G, c.B, 255
}
