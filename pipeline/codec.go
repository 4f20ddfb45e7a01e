package pipeline

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
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
// decodes at full size whatever the hint.
type GoCodec struct{}

// Name returns "go".
func (GoCodec) Name() string { return "go" }

// Decode decodes data at full size.
func (GoCodec) Decode(data []byte, _ Hint, maxPixels int64) (*image.RGBA, error) {
	return decodeAny(data, maxPixels)
}

// Encode encodes img with image/jpeg (4:2:0) or image/png.
func (GoCodec) Encode(img *image.RGBA, f Format, quality int) ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(img.Rect.Dx() * img.Rect.Dy())
	switch f {
	case PNG:
		if err := (&png.Encoder{CompressionLevel: png.DefaultCompression}).Encode(&buf, img); err != nil {
			return nil, err
		}
	case JPEG:
		if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: quality}); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("unknown format %q", f)
	}
	return buf.Bytes(), nil
}
