package pipeline

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
	"golang.org/x/image/webp"
)

// DefaultMaxPixels is the default limit on an input image's width × height.
const DefaultMaxPixels = 100_000_000

// ErrTooLarge is returned (wrapped) for images whose header declares more pixels than
// allowed.
var ErrTooLarge = errors.New("image too large")

// format is a decoder recognised by its leading bytes, whatever the file's extension
// (ImageNet holds PNGs named .JPEG).
type format struct {
	name   string
	magic  func([]byte) bool
	decode func([]byte) (image.Image, error)
	config func([]byte) (image.Config, error)
}

func reader(f func(*bytes.Reader) (image.Image, error)) func([]byte) (image.Image, error) {
	return func(b []byte) (image.Image, error) { return f(bytes.NewReader(b)) }
}

func configReader(f func(*bytes.Reader) (image.Config, error)) func([]byte) (image.Config, error) {
	return func(b []byte) (image.Config, error) { return f(bytes.NewReader(b)) }
}

var formats = []format{
	{"jpeg", func(b []byte) bool { return bytes.HasPrefix(b, []byte{0xff, 0xd8}) },
		reader(func(r *bytes.Reader) (image.Image, error) { return jpeg.Decode(r) }),
		configReader(func(r *bytes.Reader) (image.Config, error) { return jpeg.DecodeConfig(r) })},
	{"png", func(b []byte) bool { return bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) },
		reader(func(r *bytes.Reader) (image.Image, error) { return png.Decode(r) }),
		configReader(func(r *bytes.Reader) (image.Config, error) { return png.DecodeConfig(r) })},
	{"gif", func(b []byte) bool { return bytes.HasPrefix(b, []byte("GIF8")) },
		reader(func(r *bytes.Reader) (image.Image, error) { return gif.Decode(r) }),
		configReader(func(r *bytes.Reader) (image.Config, error) { return gif.DecodeConfig(r) })},
	{"bmp", func(b []byte) bool { return bytes.HasPrefix(b, []byte("BM")) },
		reader(func(r *bytes.Reader) (image.Image, error) { return bmp.Decode(r) }),
		configReader(func(r *bytes.Reader) (image.Config, error) { return bmp.DecodeConfig(r) })},
	{"tiff", func(b []byte) bool {
		return bytes.HasPrefix(b, []byte("II*\x00")) || bytes.HasPrefix(b, []byte("MM\x00*"))
	},
		reader(func(r *bytes.Reader) (image.Image, error) { return tiff.Decode(r) }),
		configReader(func(r *bytes.Reader) (image.Config, error) { return tiff.DecodeConfig(r) })},
	{"webp", func(b []byte) bool {
		return len(b) >= 12 && bytes.Equal(b[:4], []byte("RIFF")) && bytes.Equal(b[8:12], []byte("WEBP"))
	},
		reader(func(r *bytes.Reader) (image.Image, error) { return webp.Decode(r) }),
		configReader(func(r *bytes.Reader) (image.Config, error) { return webp.DecodeConfig(r) })},
	{"pnm", isPNM, decodePNM, configPNM},
}

// sniff returns the format of data from its leading bytes.
func sniff(data []byte) (*format, error) {
	if len(data) == 0 {
		return nil, errors.New("empty file (0 bytes)")
	}
	for i := range formats {
		if formats[i].magic(data) {
			return &formats[i], nil
		}
	}
	return nil, errors.New("not a recognised image (no JPEG, PNG, GIF, BMP, TIFF, WebP or PPM/PGM signature)")
}

// Config reads an image's format name and header size without decoding its pixels.
func Config(data []byte) (string, image.Config, error) {
	f, err := sniff(data)
	if err != nil {
		return "", image.Config{}, err
	}
	cfg, err := f.config(data)
	if err != nil {
		return f.name, cfg, fmt.Errorf("%s header: %w", f.name, err)
	}
	return f.name, cfg, nil
}

// checkSize refuses headers over maxPixels (0 means DefaultMaxPixels) or of zero size.
func checkSize(cfg image.Config, maxPixels int64) error {
	if maxPixels <= 0 {
		maxPixels = DefaultMaxPixels
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return fmt.Errorf("image header declares an empty size %d×%d", cfg.Width, cfg.Height)
	}
	if int64(cfg.Width)*int64(cfg.Height) > maxPixels {
		return fmt.Errorf("%w: header says %d×%d = %d pixels, over --max-pixels %d; raise --max-pixels to accept it",
			ErrTooLarge, cfg.Width, cfg.Height, int64(cfg.Width)*int64(cfg.Height), maxPixels)
	}
	return nil
}

// decodeAny decodes data in any supported format into an opaque RGBA image, refusing
// images whose header declares more than maxPixels pixels before decoding them.
func decodeAny(data []byte, maxPixels int64) (*image.RGBA, error) {
	return decodeAnyInto(data, maxPixels, nil)
}

// decodeAnyInto is decodeAny into pix's memory when its capacity suffices.
func decodeAnyInto(data []byte, maxPixels int64, pix []uint8) (*image.RGBA, error) {
	f, err := sniff(data)
	if err != nil {
		return nil, err
	}
	cfg, err := f.config(data)
	if err != nil {
		return nil, fmt.Errorf("%s header: %w", f.name, err)
	}
	if err := checkSize(cfg, maxPixels); err != nil {
		return nil, err
	}
	img, err := f.decode(data)
	if err != nil {
		return nil, fmt.Errorf("decode %s: %w", f.name, err)
	}
	return toRGBA(img, pix), nil
}

// ToRGBA converts any image to a fresh opaque RGBA image the way PIL's convert('RGB')
// does: alpha is dropped (straight colour kept, not composited), CMYK uses PIL's
// formula, 16-bit colour keeps the high byte, and 16-bit grayscale is clipped to 0..255
// as PIL clips mode "I" (so pixels match what an ImageFolder loader sees).
func ToRGBA(src image.Image) *image.RGBA { return toRGBA(src, nil) }

// newRGBA returns a w×h RGBA image in pix's memory when its capacity suffices, else in
// fresh memory. Its pixels are not cleared.
func newRGBA(pix []uint8, w, h int) *image.RGBA {
	n := 4 * w * h
	if cap(pix) < n {
		pix = make([]uint8, n)
	}
	return &image.RGBA{Pix: pix[:n], Stride: 4 * w, Rect: image.Rect(0, 0, w, h)}
}

// toRGBA is ToRGBA into pix's memory when its capacity suffices. Every case writes
// every byte of the result.
func toRGBA(src image.Image, pix []uint8) *image.RGBA {
	b := src.Bounds()
	w, h := b.Dx(), b.Dy()
	dst := newRGBA(pix, w, h)
	switch s := src.(type) {
	case *image.RGBA:
		for y := 0; y < h; y++ {
			copy(dst.Pix[y*dst.Stride:y*dst.Stride+4*w], s.Pix[s.PixOffset(b.Min.X, b.Min.Y+y):])
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
				d[4*x] = clip8(nk - muldiv255(int(c), nk))
				d[4*x+1] = clip8(nk - muldiv255(int(m), nk))
				d[4*x+2] = clip8(nk - muldiv255(int(ye), nk))
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

func clip8(v int) uint8 {
	if v < 0 {
		return 0
	}
	if v > 255 {
		return 255
	}
	return uint8(v)
}
