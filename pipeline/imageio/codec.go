package imageio

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"sync"
)

// Format is an output image format.
type Format string

// Output formats.
const (
	JPEG Format = "jpeg"
	PNG  Format = "png"
)

// Ext returns the file extension written for f.
func (f Format) Ext() string {
	if f == PNG {
		return ".png"
	}
	return ".jpg"
}

// Hint tells a decoder the smallest image the caller needs: the decoded image's shorter
// side must stay at least Short and its longer side at least Long. A codec may then
// decode a JPEG at a reduced DCT scale. The zero Hint asks for full size.
type Hint struct {
	Short, Long int
}

// A Codec decodes source images and encodes results. Implementations must be safe for
// concurrent use and deterministic: the same input gives the same bytes.
type Codec interface {
	// Name identifies the codec in manifests, e.g. "go" or "libjpeg-turbo 2.1.5".
	Name() string
	// Decode decodes data (any supported format, whatever its file name says) into an
	// opaque RGBA image, refusing headers over maxPixels before decoding.
	Decode(data []byte, hint Hint, maxPixels int64) (*image.RGBA, error)
	// Encode encodes img as f; quality applies to JPEG (1–100). JPEG uses 4:2:0 chroma
	// subsampling.
	Encode(img *image.RGBA, f Format, quality int) ([]byte, error)
}

// GoCodec is the pure-Go codec (image/jpeg, image/png and golang.org/x/image). It
// decodes at full size whatever the hint. It is safe for concurrent use.
type GoCodec struct{}

// Name returns "go".
func (GoCodec) Name() string { return "go" }

// Decode decodes data at full size.
func (GoCodec) Decode(data []byte, _ Hint, maxPixels int64) (*image.RGBA, error) {
	return decodeAny(data, maxPixels)
}

// decodeInto is Decode into pix's memory when it is large enough; full is the decoded
// size, since GoCodec never scales.
func (GoCodec) decodeInto(data []byte, _ Hint, maxPixels int64, pix []uint8) (*image.RGBA, image.Point, error) {
	img, err := decodeAnyInto(data, maxPixels, pix)
	if err != nil {
		return nil, image.Point{}, err
	}
	return img, img.Rect.Size(), nil
}

// Encode encodes img with image/jpeg (4:2:0) or image/png.
func (c GoCodec) Encode(img *image.RGBA, f Format, quality int) ([]byte, error) {
	return c.appendEncode(make([]byte, 0, img.Rect.Dx()*img.Rect.Dy()), img, f, quality)
}

// appendEncode appends img's encoding to dst.
func (GoCodec) appendEncode(dst []byte, img *image.RGBA, f Format, quality int) ([]byte, error) {
	buf := flushBuffer{bytes.NewBuffer(dst)}
	switch f {
	case PNG:
		if err := pngEncoder.Encode(buf, img); err != nil {
			return nil, err
		}
	case JPEG:
		if err := jpeg.Encode(buf, img, &jpeg.Options{Quality: quality}); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("unknown format %q", f)
	}
	return buf.Bytes(), nil
}

// flushBuffer lets image/jpeg write straight into a bytes.Buffer instead of wrapping
// it in a bufio.Writer of its own.
type flushBuffer struct{ *bytes.Buffer }

func (flushBuffer) Flush() error { return nil }

// pngEncoder reuses its compression buffers across images and goroutines.
var pngEncoder = &png.Encoder{CompressionLevel: png.DefaultCompression, BufferPool: &pngBuffers{}}

type pngBuffers struct{ p sync.Pool }

func (b *pngBuffers) Get() *png.EncoderBuffer {
	e, _ := b.p.Get().(*png.EncoderBuffer)
	return e
}

func (b *pngBuffers) Put(e *png.EncoderBuffer) { b.p.Put(e) }

// decoderInto is implemented by codecs that can decode into a caller's pixel memory
// (used when its capacity suffices) and report the image's size at full scale, which
// differs from the decoded size when the codec decoded at a reduced scale.
type decoderInto interface {
	decodeInto(data []byte, hint Hint, maxPixels int64, pix []uint8) (img *image.RGBA, full image.Point, err error)
}

// regionDecoder is implemented by codecs that can decode only part of an image. need
// receives the size the image decodes to (at the scale the codec chose from the hint)
// and its full-scale size, and returns the rectangle of decoded pixels the caller will
// read; the codec returns an image covering at least that rectangle (any larger part
// of the decoded frame may come with it), placed where it lies in the frame (its Rect
// need not start at the origin), with the frame's size and the full-scale size.
// Pixels are those of a decode of the whole frame.
type regionDecoder interface {
	decodeRegion(data []byte, hint Hint, maxPixels int64, pix []uint8, need func(size, full image.Point) image.Rectangle) (img *image.RGBA, size, full image.Point, err error)
}

// appendEncoder is implemented by codecs that can append an encoding to a caller's
// buffer.
type appendEncoder interface {
	appendEncode(dst []byte, img *image.RGBA, f Format, quality int) ([]byte, error)
}
