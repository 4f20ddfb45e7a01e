package imageio

import (
	"fmt"
	"image"
	"io"
	"os"
	"sync"

	"github.com/shiftgen/shiftgen/shifts"
)

// maxKeep is the largest buffer a Scratch keeps for the next image (bytes): enough for
// a 4-megapixel RGBA image, so a rare huge input does not stay resident.
const maxKeep = 16 << 20

// keptEncodings is how many encode buffers a Scratch keeps across Reset.
const keptEncodings = 4

// Scratch is one worker's reusable memory for the per-image path: the file's bytes, the
// decoded and preprocessed pixels, a copy for transforms, the resampler's rows and
// filter weights (cached per input size, output size and crop), and encoded bytes. A
// worker that goes through images with one Scratch allocates almost nothing per image.
//
// Whatever a Scratch returns lives in its memory: ReadFile's bytes until the next
// ReadFile, Decode's image until the next Decode, Preprocess's until the next
// Preprocess, Clone's until the next Clone, and every Encode result until Reset. Call
// Reset when an image is done. A Scratch is not safe for concurrent use: give each
// goroutine its own. The zero Scratch is ready to use.
type Scratch struct {
	file  []byte
	src   []uint8
	pre   []uint8
	clone []uint8
	rs    resizer
	enc   [][]byte
	nenc  int
}

// ReadFile reads the whole file at path, refusing before reading anything a file that
// is not a regular file or holds more than maxBytes bytes (0 means
// DefaultMaxFileBytes); see ReadFile.
func (s *Scratch) ReadFile(path string, maxBytes int64) ([]byte, error) {
	b, err := readFile(path, maxBytes, s.file)
	if err != nil {
		return nil, err
	}
	s.file = keep(b)
	return b, nil
}

// ReadFile reads the whole file at path for decoding. It refuses, before reading
// anything, a file that is not a regular file (a device or a pipe would never end) or
// whose size is over maxBytes (0 means DefaultMaxFileBytes): the error then wraps
// ErrTooLarge. A file that grows while being read is cut at maxBytes + 1 bytes, which
// no decoder accepts as the image it was.
func ReadFile(path string, maxBytes int64) ([]byte, error) {
	return readFile(path, maxBytes, nil)
}

func readFile(path string, maxBytes int64, buf []byte) ([]byte, error) {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxFileBytes
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("not a regular file (%s)", fi.Mode().Type())
	}
	if fi.Size() > maxBytes {
		return nil, fmt.Errorf("%w: the file holds %d bytes, over --max-file-bytes %d; raise --max-file-bytes to accept it", ErrTooLarge, fi.Size(), maxBytes)
	}
	size := int(fi.Size())
	// One byte more than the size, so reaching EOF needs no second buffer.
	if cap(buf) < size+1 {
		buf = make([]byte, 0, roomy(size+1))
	}
	b := buf[:0]
	r := io.LimitReader(f, maxBytes+1)
	for {
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if len(b) == cap(b) { // the file grew while being read
			b = append(b, 0)[:len(b)]
		}
	}
	return b, nil
}

// Load reads and decodes the image file at path with GoCodec, through the same guards
// as every input: the file size (maxBytes, 0 meaning DefaultMaxFileBytes) before
// reading, the header's pixel count (maxPixels, 0 meaning DefaultMaxPixels) before
// decoding. It is for images that are not dataset inputs, such as textures.
func Load(path string, maxBytes, maxPixels int64) (*image.RGBA, error) {
	data, err := ReadFile(path, maxBytes)
	if err != nil {
		return nil, err
	}
	return decodeAny(data, maxPixels)
}

// Decode decodes data with c, at a reduced scale when the codec can and hint allows,
// and returns the image with its full-scale size (the size a full decode would have).
func (s *Scratch) Decode(c Codec, data []byte, hint Hint, maxPixels int64) (img *image.RGBA, full image.Point, err error) {
	if d, ok := c.(decoderInto); ok {
		img, full, err = d.decodeInto(data, hint, maxPixels, s.src)
	} else {
		img, err = c.Decode(data, hint, maxPixels)
		if img != nil {
			full = img.Rect.Size()
		}
	}
	if err != nil {
		return nil, full, err
	}
	if img.Rect.Min != (image.Point{}) {
		return nil, full, fmt.Errorf("codec %s returned an image with origin %v", c.Name(), img.Rect.Min)
	}
	s.src = keep(img.Pix)
	return img, full, nil
}

// Preprocess applies p for split to img, a decode of an image whose full-scale size is
// full. The geometry (resize and crop) is computed from full, as for a full-size decode,
// and resampled from img, so a reduced-scale decode gives an image of exactly the same
// size and placement. It returns img itself when p leaves it unchanged.
func (s *Scratch) Preprocess(p Preprocess, split string, img *image.RGBA, full image.Point) *image.RGBA {
	return s.preprocess(p, split, img, img.Rect.Max, full)
}

// preprocess is Preprocess for an img that holds part of a size-sized decode, placed
// where it lies in it, and at least the part the resize and crop read.
func (s *Scratch) preprocess(p Preprocess, split string, img *image.RGBA, size, full image.Point) *image.RGBA {
	if full == (image.Point{}) {
		full = size
	}
	g := p.Geometry(split, full.X, full.Y)
	if g.W == size.X && g.H == size.Y && g.Crop == img.Rect {
		return img
	}
	out := s.rs.resizeCrop(s.pre, img, size, g.W, g.H, g.Crop)
	s.pre = keep(out.Pix)
	return out
}

// DecodePreprocess decodes data with c and preprocesses it with p for split, as Decode
// with p.Hint(split) and then Preprocess do, with the same pixels. A codec that can
// (libjpeg-turbo) decodes only the part of the image the resize and crop read. The
// result lives in s's memory until the next Preprocess or DecodePreprocess, or is the
// decoded image itself (until the next Decode or DecodePreprocess) when p leaves it
// unchanged.
func (s *Scratch) DecodePreprocess(c Codec, data []byte, p Preprocess, split string, maxPixels int64) (*image.RGBA, error) {
	d, ok := c.(regionDecoder)
	if !ok {
		img, full, err := s.Decode(c, data, p.Hint(split), maxPixels)
		if err != nil {
			return nil, err
		}
		return s.Preprocess(p, split, img, full), nil
	}
	need := func(size, full image.Point) image.Rectangle {
		return s.rs.reads(size, p.Geometry(split, full.X, full.Y))
	}
	img, size, full, err := d.decodeRegion(data, p.Hint(split), maxPixels, s.src, need)
	if err != nil {
		return nil, err
	}
	s.src = keep(img.Pix)
	// The codec may have decoded otherwise than need assumed (a file it hands to the Go
	// decoder comes back whole, at full size).
	if want := need(size, full); !want.In(img.Rect) || !img.Rect.In(image.Rectangle{Max: size}) {
		return nil, fmt.Errorf("codec %s returned pixels %v of a %v image, not the %v asked for", c.Name(), img.Rect, size, need(size, full))
	}
	return s.preprocess(p, split, img, size, full), nil
}

// Clone copies img (with a zero origin).
func (s *Scratch) Clone(img *image.RGBA) *image.RGBA {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	c := shifts.NewRGBA(s.clone, w, h)
	for y := 0; y < h; y++ {
		o := img.PixOffset(img.Rect.Min.X, img.Rect.Min.Y+y)
		copy(c.Pix[y*c.Stride:(y+1)*c.Stride], img.Pix[o:o+4*w])
	}
	s.clone = keep(c.Pix)
	return c
}

// Encode encodes img with c as f; the bytes stay valid until Reset.
func (s *Scratch) Encode(c Codec, img *image.RGBA, f Format, quality int) ([]byte, error) {
	if s.nenc == len(s.enc) {
		s.enc = append(s.enc, nil)
	}
	var b []byte
	var err error
	if e, ok := c.(appendEncoder); ok {
		b, err = e.appendEncode(s.enc[s.nenc][:0], img, f, quality)
	} else {
		b, err = c.Encode(img, f, quality)
	}
	if err != nil {
		return nil, err
	}
	s.enc[s.nenc] = b
	s.nenc++
	return b, nil
}

// RGB returns img's pixels as rows of RGB bytes, top to bottom, without alpha (what an
// FFCV raw image field stores); like an Encode result, the bytes stay valid until Reset.
func (s *Scratch) RGB(img *image.RGBA) []byte {
	if s.nenc == len(s.enc) {
		s.enc = append(s.enc, nil)
	}
	w, h := img.Rect.Dx(), img.Rect.Dy()
	b := s.enc[s.nenc][:0]
	if cap(b) < 3*w*h {
		b = make([]byte, 0, 3*w*h)
	}
	b = b[:3*w*h]
	for y := 0; y < h; y++ {
		row := img.Pix[img.PixOffset(img.Rect.Min.X, img.Rect.Min.Y+y):]
		out := b[3*w*y : 3*w*(y+1)]
		for x := 0; x < w; x++ {
			out[3*x], out[3*x+1], out[3*x+2] = row[4*x], row[4*x+1], row[4*x+2]
		}
	}
	s.enc[s.nenc] = b
	s.nenc++
	return b
}

// Reset ends an image: Encode results may be overwritten from now on, and memory beyond
// what the next image is likely to need is let go.
func (s *Scratch) Reset() {
	for i := range s.enc {
		if i >= keptEncodings {
			s.enc[i] = nil
		} else {
			s.enc[i] = keep(s.enc[i])
		}
	}
	s.enc = s.enc[:min(len(s.enc), keptEncodings)]
	s.nenc = 0
}

// roomy is the capacity to give a buffer that must hold n bytes: a quarter more, so that
// the next, slightly larger image does not need a new one.
func roomy(n int) int { return n + n/4 }

// keep returns b for reuse, or nil when it is too large to hold on to.
func keep(b []byte) []byte {
	if cap(b) > maxKeep {
		return nil
	}
	return b
}

// scratches holds idle Scratch values between images.
var scratches = sync.Pool{New: func() any { return new(Scratch) }}

// GetScratch takes a Scratch for one image from a shared pool; give it back with
// PutScratch when the image is done.
func GetScratch() *Scratch { return scratches.Get().(*Scratch) }

// PutScratch resets s and returns it to the pool; nothing s returned may be used after.
func PutScratch(s *Scratch) {
	s.Reset()
	scratches.Put(s)
}
