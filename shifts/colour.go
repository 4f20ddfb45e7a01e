package shifts

import (
	"image"
	"image/color"
)

// ToRGBA converts any image to a fresh opaque RGBA image with bounds starting at (0, 0),
// the way PIL's convert('RGB') does: alpha is dropped (straight colour kept, not
// composited), CMYK uses PIL's formula, 16-bit colour keeps the high byte, and 16-bit
// grayscale is clipped to 0..255 as PIL clips mode "I" (so pixels match what an
// ImageFolder loader sees). src is never modified.
func ToRGBA(src image.Image) *image.RGBA { return ToRGBAInto(src, nil) }

// NewRGBA returns a w×h RGBA image in pix's memory when its capacity suffices, else in
// fresh memory (for callers that reuse buffers). Its pixels are not cleared.
func NewRGBA(pix []uint8, w, h int) *image.RGBA {
	n := 4 * w * h
	if cap(pix) < n {
		pix = make([]uint8, n)
	}
	return &image.RGBA{Pix: pix[:n], Stride: 4 * w, Rect: image.Rect(0, 0, w, h)}
}

// ToRGBAInto is ToRGBA into pix's memory when its capacity suffices (for callers that
// reuse buffers). Every case writes every byte of the result.
func ToRGBAInto(src image.Image, pix []uint8) *image.RGBA {
	b := src.Bounds()
	w, h := b.Dx(), b.Dy()
	dst := NewRGBA(pix, w, h)
	switch s := src.(type) {
	case *image.RGBA:
		for y := 0; y < h; y++ {
			in := s.Pix[s.PixOffset(b.Min.X, b.Min.Y+y):][:4*w]
			out := dst.Pix[y*dst.Stride:][:4*w]
			copy(out, in)
			for i := 3; i < len(in); i += 4 {
				if in[i] != 255 { // premultiplied: recover the straight colour
					c := color.NRGBAModel.Convert(color.RGBA{in[i-3], in[i-2], in[i-1], in[i]}).(color.NRGBA)
					out[i-3], out[i-2], out[i-1] = c.R, c.G, c.B
				}
			}
		}
		opaque(dst)
	case *image.NRGBA:
		for y := 0; y < h; y++ {
			copy(dst.Pix[y*dst.Stride:y*dst.Stride+4*w], s.Pix[s.PixOffset(b.Min.X, b.Min.Y+y):])
		}
		opaque(dst)
	case *image.Gray:
		for y := 0; y < h; y++ {
			row := s.Pix[s.PixOffset(b.Min.X, b.Min.Y+y):]
			d := dst.Pix[y*dst.Stride:]
			for x := 0; x < w; x++ {
				v := row[x]
				d[4*x], d[4*x+1], d[4*x+2], d[4*x+3] = v, v, v, 255
			}
		}
	case *image.Gray16:
		for y := 0; y < h; y++ {
			row := s.Pix[s.PixOffset(b.Min.X, b.Min.Y+y):]
			d := dst.Pix[y*dst.Stride:]
			for x := 0; x < w; x++ {
				v16 := uint16(row[2*x])<<8 | uint16(row[2*x+1])
				v := uint8(255)
				if v16 < 255 {
					v = uint8(v16)
				}
				d[4*x], d[4*x+1], d[4*x+2], d[4*x+3] = v, v, v, 255
			}
		}
	case *image.CMYK:
		for y := 0; y < h; y++ {
			row := s.Pix[s.PixOffset(b.Min.X, b.Min.Y+y):]
			d := dst.Pix[y*dst.Stride:]
			for x := 0; x < w; x++ {
				c, m, ye, k := row[4*x], row[4*x+1], row[4*x+2], row[4*x+3]
				nk := 255 - int(k)
				d[4*x] = clipInt8(nk - muldiv255(int(c), nk))
				d[4*x+1] = clipInt8(nk - muldiv255(int(m), nk))
				d[4*x+2] = clipInt8(nk - muldiv255(int(ye), nk))
				d[4*x+3] = 255
			}
		}
	case *image.YCbCr:
		ycbcrToRGBA(s, dst)
	case *image.NYCbCrA:
		ycbcrToRGBA(&s.YCbCr, dst)
	case *image.Paletted:
		var pal [256][3]uint8
		for i, c := range s.Palette {
			if i >= 256 {
				break
			}
			pal[i] = straight(c)
		}
		for y := 0; y < h; y++ {
			row := s.Pix[s.PixOffset(b.Min.X, b.Min.Y+y):]
			d := dst.Pix[y*dst.Stride:]
			for x := 0; x < w; x++ {
				p := pal[row[x]]
				d[4*x], d[4*x+1], d[4*x+2], d[4*x+3] = p[0], p[1], p[2], 255
			}
		}
	default:
		for y := 0; y < h; y++ {
			d := dst.Pix[y*dst.Stride:]
			for x := 0; x < w; x++ {
				p := straight(src.At(b.Min.X+x, b.Min.Y+y))
				d[4*x], d[4*x+1], d[4*x+2], d[4*x+3] = p[0], p[1], p[2], 255
			}
		}
	}
	return dst
}

func ycbcrToRGBA(s *image.YCbCr, dst *image.RGBA) {
	b := s.Rect
	var hs, vs uint
	switch s.SubsampleRatio {
	case image.YCbCrSubsampleRatio444:
	case image.YCbCrSubsampleRatio422:
		hs = 1
	case image.YCbCrSubsampleRatio420:
		hs, vs = 1, 1
	case image.YCbCrSubsampleRatio440:
		vs = 1
	case image.YCbCrSubsampleRatio411:
		hs = 2
	case image.YCbCrSubsampleRatio410:
		hs, vs = 2, 1
	default:
		hs = 99 // unknown ratio: the general path below
	}
	if b.Min != (image.Point{}) || hs == 99 {
		for y := 0; y < b.Dy(); y++ {
			d := dst.Pix[y*dst.Stride:]
			for x := 0; x < b.Dx(); x++ {
				yi := s.YOffset(b.Min.X+x, b.Min.Y+y)
				ci := s.COffset(b.Min.X+x, b.Min.Y+y)
				r, g, bl := color.YCbCrToRGB(s.Y[yi], s.Cb[ci], s.Cr[ci])
				d[4*x], d[4*x+1], d[4*x+2], d[4*x+3] = r, g, bl, 255
			}
		}
		return
	}
	w := b.Dx()
	cw := (w + (1 << hs) - 1) >> hs
	for y := 0; y < b.Dy(); y++ {
		yrow := s.Y[y*s.YStride : y*s.YStride+w]
		co := (y >> vs) * s.CStride
		cb, cr := s.Cb[co:co+cw], s.Cr[co:co+cw]
		d := dst.Pix[y*dst.Stride : y*dst.Stride+4*w]
		for x, yv := range yrow {
			r, g, bl := yCbCrToRGB(yv, cb[x>>hs], cr[x>>hs])
			p := d[4*x : 4*x+4 : 4*x+4]
			p[0], p[1], p[2], p[3] = r, g, bl, 255
		}
	}
}

// yCbCrToRGB is color.YCbCrToRGB's arithmetic, written out so that it inlines.
func yCbCrToRGB(y, cb, cr uint8) (uint8, uint8, uint8) {
	yy1 := int32(y) * 0x10101
	cb1 := int32(cb) - 128
	cr1 := int32(cr) - 128
	r := yy1 + 91881*cr1
	if uint32(r)&0xff000000 == 0 {
		r >>= 16
	} else {
		r = ^(r >> 31)
	}
	g := yy1 - 22554*cb1 - 46802*cr1
	if uint32(g)&0xff000000 == 0 {
		g >>= 16
	} else {
		g = ^(g >> 31)
	}
	bl := yy1 + 116130*cb1
	if uint32(bl)&0xff000000 == 0 {
		bl >>= 16
	} else {
		bl = ^(bl >> 31)
	}
	return uint8(r), uint8(g), uint8(bl)
}

// straight returns c's colour without alpha premultiplication.
func straight(c color.Color) [3]uint8 {
	switch v := c.(type) {
	case color.NRGBA:
		return [3]uint8{v.R, v.G, v.B}
	case color.NRGBA64:
		return [3]uint8{uint8(v.R >> 8), uint8(v.G >> 8), uint8(v.B >> 8)}
	case color.Gray16:
		if v.Y < 255 {
			return [3]uint8{uint8(v.Y), uint8(v.Y), uint8(v.Y)}
		}
		return [3]uint8{255, 255, 255}
	}
	n := color.NRGBA64Model.Convert(c).(color.NRGBA64)
	return [3]uint8{uint8(n.R >> 8), uint8(n.G >> 8), uint8(n.B >> 8)}
}

func opaque(img *image.RGBA) {
	for i := 3; i < len(img.Pix); i += 4 {
		img.Pix[i] = 255
	}
}

// muldiv255 is PIL's rounded a·b/255.
func muldiv255(a, b int) int {
	t := a*b + 128
	return (t + (t >> 8)) >> 8
}

func clipInt8(v int) uint8 {
	if v < 0 {
		return 0
	}
	if v > 255 {
		return 255
	}
	return uint8(v)
}
