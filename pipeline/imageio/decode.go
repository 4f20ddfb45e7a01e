package imageio

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
	"golang.org/x/image/webp"

	"github.com/shiftgen/shiftgen/shifts"
)

// DefaultMaxPixels is the default limit on an input image's width × height.
const DefaultMaxPixels = 100_000_000

// DefaultMaxFileBytes is the default limit on an input file's size: 1 GiB, more than
// an uncompressed 16-bit RGBA image of DefaultMaxPixels (800 MB) takes, so that no image
// the pixel limit lets through reaches it.
const DefaultMaxFileBytes = 1 << 30

// ErrTooLarge is returned (wrapped) for files larger than allowed and for images whose
// header declares more pixels than allowed.
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
	if f.name == "jpeg" {
		if err := checkJPEG(data); err != nil {
			return nil, err
		}
	}
	cfg, err := f.config(data)
	if err != nil {
		return nil, explain(f.name, fmt.Errorf("%s header: %w", f.name, err))
	}
	if err := checkSize(cfg, maxPixels); err != nil {
		return nil, err
	}
	img, err := f.decode(data)
	if err != nil {
		return nil, explain(f.name, fmt.Errorf("decode %s: %w", f.name, err))
	}
	if f.name == "webp" { // lossy WebP: VP8's limited-range YCbCr, as libwebp reads it
		switch m := img.(type) {
		case *image.YCbCr:
			return vp8ToRGBA(m, pix), nil
		case *image.NYCbCrA:
			return vp8ToRGBA(&m.YCbCr, pix), nil
		}
	}
	return shifts.ToRGBAInto(img, pix), nil
}

// Kinds of file Pillow reads and shiftgen's decoders (pure Go, and libjpeg-turbo for
// JPEG) do not. Both builds refuse the same ones, with the same reason, so that a
// dataset skips the same inputs whichever codec made it:
//   - arithmetic-coded JPEG (SOF9 to SOF11, SOF13 to SOF15): libjpeg-turbo decodes it,
//     image/jpeg does not;
//   - lossless and hierarchical JPEG (SOF3, SOF5 to SOF7): neither decodes it;
//   - TIFF with JPEG compression, or in a colour model other than grey, RGB and palette
//     (CMYK, YCbCr, Lab): golang.org/x/image/tiff does not decode it.
// Such files are skipped and recorded with a reason that says how to convert them.

// convertHint ends the message for a file shiftgen cannot decode.
const convertHint = "shiftgen does not decode it (Pillow does): convert it to PNG or baseline JPEG, e.g. Image.open(f).convert('RGB').save('x.png')"

// checkJPEG refuses JPEG frames neither codec of every build decodes.
func checkJPEG(data []byte) error {
	sof, ok := jpegSOF(data)
	if !ok {
		return nil // let the decoder say what is wrong
	}
	switch sof {
	case 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf:
		return fmt.Errorf("arithmetic-coded JPEG (SOF%d): %s", sof-0xc0, convertHint)
	case 0xc3, 0xc5, 0xc6, 0xc7:
		return fmt.Errorf("lossless or hierarchical JPEG (SOF%d): %s", sof-0xc0, convertHint)
	}
	return nil
}

// jpegSOF returns the frame marker (0xc0 to 0xcf, bar DHT, JPG and DAC) of the JPEG in
// data, walking its marker segments from the start; ok is false when none comes before
// the first scan.
func jpegSOF(data []byte) (byte, bool) {
	i := 2
	for i+4 <= len(data) {
		if data[i] != 0xff {
			return 0, false
		}
		m := data[i+1]
		if m == 0xff { // fill byte
			i++
			continue
		}
		switch {
		case m == 0x01 || (m >= 0xd0 && m <= 0xd7): // no length
			i += 2
			continue
		case m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc:
			return m, true
		case m == 0xda || m == 0xd9:
			return 0, false
		}
		i += 2 + (int(data[i+2])<<8 | int(data[i+3]))
	}
	return 0, false
}

// explain adds convertHint to the errors of TIFF features golang.org/x/image/tiff does
// not implement.
func explain(format string, err error) error {
	var u tiff.UnsupportedError
	if format != "tiff" || !errors.As(err, &u) {
		return err
	}
	what := "TIFF using a feature"
	switch {
	case u == "compression value 6" || u == "compression value 7":
		what = "JPEG-compressed TIFF"
	case u == "color model":
		what = "TIFF in a colour model other than grey, RGB or palette (CMYK, YCbCr, Lab)"
	}
	return fmt.Errorf("%s (%w): %s", what, err, convertHint)
}
