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

// ycbcrToRGBA converts a JPEG's YCbCr planes as libjpeg (and so Pillow) does by default:
// 4:2:0 and 4:2:2 chroma rows of more than two samples are upsampled with libjpeg's
// "fancy" triangle filter (each output sample 3/4 of its nearest chroma sample and 1/4
// of the next, in both directions for 4:2:0, edges replicated), and every pixel is
// converted with libjpeg's fixed-point tables. Narrower chroma rows (images at most 4
// pixels wide) and other subsampling ratios repeat the chroma sample, as libjpeg does
// for them (jdsample.c installs the fancy filters only when a row has more than two
// samples), and so does a sub-image (whose neighbouring samples are not its own).
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
				r, g, bl := jpegYCbCrToRGB(s.Y[yi], s.Cb[ci], s.Cr[ci])
				d[4*x], d[4*x+1], d[4*x+2], d[4*x+3] = r, g, bl, 255
			}
		}
		return
	}
	w, h := b.Dx(), b.Dy()
	cw := (w + (1 << hs) - 1) >> hs
	ch := (h + (1 << vs) - 1) >> vs
	fancy := hs == 1 && (vs == 0 || vs == 1) && cw > 2
	var cbRow, crRow []uint8
	if fancy {
		cbRow, crRow = make([]uint8, 2*cw), make([]uint8, 2*cw)
	}
	for y := 0; y < h; y++ {
		yrow := s.Y[y*s.YStride : y*s.YStride+w]
		d := dst.Pix[y*dst.Stride : y*dst.Stride+4*w]
		if !fancy {
			co := (y >> vs) * s.CStride
			cb, cr := s.Cb[co:co+cw], s.Cr[co:co+cw]
			for x, yv := range yrow {
				r, g, bl := jpegYCbCrToRGB(yv, cb[x>>hs], cr[x>>hs])
				p := d[4*x : 4*x+4 : 4*x+4]
				p[0], p[1], p[2], p[3] = r, g, bl, 255
			}
			continue
		}
		near := y >> vs
		far := near
		if vs == 1 {
			// The next nearest chroma row is above an even row and below an odd one,
			// the edge rows repeated.
			if y&1 == 0 {
				far = max(near-1, 0)
			} else {
				far = min(near+1, ch-1)
			}
		}
		for i, pl := range [2][]uint8{s.Cb, s.Cr} {
			out := cbRow
			if i == 1 {
				out = crRow
			}
			n := pl[near*s.CStride:][:cw]
			if vs == 1 {
				fancyRow2(out, n, pl[far*s.CStride:][:cw])
			} else {
				fancyRow1(out, n)
			}
		}
		for x, yv := range yrow {
			r, g, bl := jpegYCbCrToRGB(yv, cbRow[x], crRow[x])
			p := d[4*x : 4*x+4 : 4*x+4]
			p[0], p[1], p[2], p[3] = r, g, bl, 255
		}
	}
}

// fancyRow1 doubles a chroma row horizontally as libjpeg's h2v1 fancy upsampler: each
// output is (3·nearest + next + 1 or 2) / 4, the outermost samples repeated.
func fancyRow1(out, in []uint8) {
	n := len(in)
	out[0] = in[0]
	out[1] = uint8((3*int(in[0]) + int(in[1]) + 2) >> 2)
	for i := 1; i < n-1; i++ {
		v := 3 * int(in[i])
		out[2*i] = uint8((v + int(in[i-1]) + 1) >> 2)
		out[2*i+1] = uint8((v + int(in[i+1]) + 2) >> 2)
	}
	out[2*n-2] = uint8((3*int(in[n-1]) + int(in[n-2]) + 1) >> 2)
	out[2*n-1] = in[n-1]
}

// fancyRow2 doubles a chroma row horizontally from its nearest row near and next
// nearest row far as libjpeg's h2v2 fancy upsampler: column sums 3·near + far, then
// (3·this + neighbour + 8 or 7) / 16, the outermost columns weighing 4·this.
func fancyRow2(out, near, far []uint8) {
	n := len(near)
	sum := func(i int) int { return 3*int(near[i]) + int(far[i]) }
	this, next := sum(0), sum(1)
	out[0] = uint8((this*4 + 8) >> 4)
	out[1] = uint8((this*3 + next + 7) >> 4)
	last := this
	this = next
	for i := 1; i < n-1; i++ {
		next = sum(i + 1)
		out[2*i] = uint8((this*3 + last + 8) >> 4)
		out[2*i+1] = uint8((this*3 + next + 7) >> 4)
		last, this = this, next
	}
	out[2*n-2] = uint8((this*3 + last + 8) >> 4)
	out[2*n-1] = uint8((this*4 + 7) >> 4)
}

// yccTables are libjpeg's YCbCr to RGB tables (jdcolor.c): 16-bit fixed point, rounded
// to nearest, the +1/2 of the green sum folded into cbG.
type yccTables struct{ crR, cbB, crG, cbG [256]int32 }

var ycc = func() *yccTables {
	t := new(yccTables)
	fix := func(x float64) int32 { return int32(x*(1<<16) + 0.5) }
	for i := range 256 {
		x := int32(i - 128)
		t.crR[i] = (fix(1.40200)*x + 1<<15) >> 16
		t.cbB[i] = (fix(1.77200)*x + 1<<15) >> 16
		t.crG[i] = -fix(0.71414) * x
		t.cbG[i] = -fix(0.34414)*x + 1<<15
	}
	return t
}()

// jpegYCbCrToRGB converts one sample with libjpeg's tables.
func jpegYCbCrToRGB(y, cb, cr uint8) (uint8, uint8, uint8) {
	yy := int32(y)
	return clip32(yy + ycc.crR[cr]), clip32(yy + (ycc.cbG[cb]+ycc.crG[cr])>>16), clip32(yy + ycc.cbB[cb])
}

func clip32(v int32) uint8 {
	if uint32(v) <= 255 {
		return uint8(v)
	}
	if v < 0 {
		return 0
	}
	return 255
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
