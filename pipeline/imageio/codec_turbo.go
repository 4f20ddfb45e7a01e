//go:build turbojpeg && cgo

package imageio

/*
#cgo pkg-config: libturbojpeg
#include <stdlib.h>
#include <turbojpeg.h>
#if defined(__has_include)
#if __has_include(<jconfig.h>)
#include <jconfig.h>
#endif
#endif

#define SG_STR2(x) #x
#define SG_STR(x) SG_STR2(x)
#ifdef LIBJPEG_TURBO_VERSION
static const char *sg_turbo_version(void) { return SG_STR(LIBJPEG_TURBO_VERSION); }
#else
static const char *sg_turbo_version(void) { return ""; }
#endif

// sg_has_scale reports whether the library offers the scaling factor num/denom.
static int sg_has_scale(int num, int denom) {
	int n = 0;
	tjscalingfactor *sf = tjGetScalingFactors(&n);
	if (sf == NULL) return 0;
	for (int i = 0; i < n; i++) {
		if (sf[i].num * denom == num * sf[i].denom) return 1;
	}
	return 0;
}

// sg_encode compresses an RGBA image into dst, which must hold tjBufSize(w, h,
// TJSAMP_420) bytes; TJFLAG_NOREALLOC keeps libjpeg-turbo writing into it.
static int sg_encode(tjhandle h, const unsigned char *src, int w, int pitch, int hgt,
		unsigned char *dst, unsigned long *size, int quality) {
	unsigned char *p = dst;
	return tjCompress2(h, src, w, pitch, hgt, TJPF_RGBA, &p, size, TJSAMP_420, quality,
		TJFLAG_NOREALLOC | TJFLAG_ACCURATEDCT);
}
*/
import "C"

import (
	"errors"
	"fmt"
	"image"
	"runtime"
	"sync"
	"unsafe"
)

// DefaultCodec returns the codec this build uses: libjpeg-turbo through its TurboJPEG
// API for JPEG, with the pure-Go codec for every other format and for the JPEGs it
// hands back (CMYK, YCCK, and files libjpeg-turbo reports damage in).
func DefaultCodec() Codec { return turbo }

// turbo is the one TurboCodec value; it is stateless apart from its handle pools.
var turbo = &TurboCodec{}

// TurboCodec decodes and encodes JPEG with libjpeg-turbo (TurboJPEG API, libjpeg-turbo
// 2.x or later) and everything else with GoCodec.
//
// Decode reads the JPEG header first, refuses it when it declares more than maxPixels,
// then decodes at the smallest of the DCT scales 1/8, 1/4, 1/2 and 1/1 (the ones
// libjpeg-turbo's SIMD code covers) whose result still satisfies the Hint, straight
// into RGBA. Grayscale JPEGs come out as gray RGB; CMYK and YCCK JPEGs, and JPEGs for
// which libjpeg-turbo reports an error or a warning (truncated or corrupt data), are
// decoded by GoCodec, and arithmetic-coded JPEGs, which GoCodec cannot read, are refused
// as GoCodec refuses them, so which files are skipped, and why, is decided as on the
// pure-Go path. Encode writes baseline JPEG with 4:2:0 chroma subsampling and the accurate DCT
// at the given quality, and PNG with GoCodec.
//
// With libjpeg-turbo's default (accurate) IDCT and fancy upsampling, a full-scale decode
// is Pillow's convert('RGB') byte for byte when Pillow uses the same libjpeg-turbo, and
// the JPEG encoder is Pillow's save(quality=q); only reduced-scale decodes differ.
//
// A TurboCodec is safe for concurrent use: every call takes a TurboJPEG handle from a
// pool and returns it afterwards. The zero value is ready to use.
type TurboCodec struct {
	dec, enc sync.Pool // of *tjHandle
}

// Name returns "libjpeg-turbo <version>": the version the build was given (see
// turboVersion), else the one in the libjpeg-turbo headers it was compiled with.
func (*TurboCodec) Name() string { return turboName }

// turboVersion is the libjpeg-turbo version to report, set at link time by
// `make build`: -ldflags "-X github.com/shiftgen/shiftgen/pipeline/imageio.turboVersion=$(pkg-config
// --modversion libturbojpeg)". Empty means the headers' LIBJPEG_TURBO_VERSION, when
// jconfig.h (Debian libjpeg62-turbo-dev) is installed.
var turboVersion string

var turboName = func() string {
	v := turboVersion
	if v == "" {
		v = C.GoString(C.sg_turbo_version())
	}
	if v == "" {
		return "libjpeg-turbo"
	}
	return "libjpeg-turbo " + v
}()

// tjHandle owns one TurboJPEG instance; a cleanup destroys it when the pool drops it.
// Its other fields are out-parameters of the C calls, kept here so they need no
// allocation per call.
type tjHandle struct {
	h                  C.tjhandle
	cleanup            runtime.Cleanup
	w, ht, subsamp, cs C.int
	size               C.ulong
}

func newHandle(decompress bool) (*tjHandle, error) {
	var h C.tjhandle
	if decompress {
		h = C.tjInitDecompress()
	} else {
		h = C.tjInitCompress()
	}
	if h == nil {
		return nil, errors.New("libjpeg-turbo: cannot create a TurboJPEG instance: " + C.GoString(C.tjGetErrorStr2(nil)))
	}
	t := &tjHandle{h: h}
	t.cleanup = runtime.AddCleanup(t, func(h C.tjhandle) { C.tjDestroy(h) }, h)
	return t, nil
}

func (c *TurboCodec) handle(decompress bool) (*tjHandle, error) {
	p := &c.enc
	if decompress {
		p = &c.dec
	}
	if t, ok := p.Get().(*tjHandle); ok {
		return t, nil
	}
	return newHandle(decompress)
}

// release returns t to its pool after a successful call. After a failed one it
// destroys t instead: an instance that has failed (a header it could not read, for
// one) may decode the next image differently, which would break determinism.
func (c *TurboCodec) release(t *tjHandle, decompress, failed bool) {
	switch {
	case failed:
		t.cleanup.Stop()
		C.tjDestroy(t.h)
		t.h = nil
	case decompress:
		c.dec.Put(t)
	default:
		c.enc.Put(t)
	}
}

// turboScales are the DCT scales tried, smallest first, as numerator/denominator; the
// M/8 ones in between are slower than full size and are not used.
var turboScales = func() [][2]int {
	var s [][2]int
	for _, d := range []int{8, 4, 2} {
		if C.sg_has_scale(1, C.int(d)) != 0 {
			s = append(s, [2]int{1, d})
		}
	}
	return s
}()

// scaledSize is TJSCALED: ceil(n·num/denom).
func scaledSize(n, num, denom int) int { return (n*num + denom - 1) / denom }

// jpegScale returns the decoded size of a w×h JPEG: the smallest power-of-two scale
// whose shorter side is still at least hint.Short and longer side at least hint.Long;
// the zero Hint asks for full size.
func jpegScale(w, h int, hint Hint) (int, int) {
	if hint == (Hint{}) {
		return w, h
	}
	for _, s := range turboScales {
		sw, sh := scaledSize(w, s[0], s[1]), scaledSize(h, s[0], s[1])
		if min(sw, sh) >= hint.Short && max(sw, sh) >= hint.Long {
			return sw, sh
		}
	}
	return w, h
}

// Decode decodes data, at a reduced DCT scale when hint allows (see TurboCodec).
func (c *TurboCodec) Decode(data []byte, hint Hint, maxPixels int64) (*image.RGBA, error) {
	img, _, err := c.decodeInto(data, hint, maxPixels, nil)
	return img, err
}

// decodeInto is Decode into pix's memory when it is large enough; full is the size of
// the image at scale 1/1.
func (c *TurboCodec) decodeInto(data []byte, hint Hint, maxPixels int64, pix []uint8) (*image.RGBA, image.Point, error) {
	if len(data) < 3 || data[0] != 0xff || data[1] != 0xd8 {
		return GoCodec{}.decodeInto(data, hint, maxPixels, pix)
	}
	// What the pure-Go build cannot decode is refused here too (see checkJPEG), so both
	// builds skip the same files.
	if err := checkJPEG(data); err != nil {
		return nil, image.Point{}, err
	}
	t, err := c.handle(true)
	if err != nil {
		return nil, image.Point{}, err
	}
	failed := true
	defer func() { c.release(t, true, failed) }()
	src := (*C.uchar)(unsafe.Pointer(&data[0]))
	if C.tjDecompressHeader3(t.h, src, C.ulong(len(data)), &t.w, &t.ht, &t.subsamp, &t.cs) != 0 {
		return GoCodec{}.decodeInto(data, hint, maxPixels, pix)
	}
	full, cs := image.Pt(int(t.w), int(t.ht)), t.cs
	if err := checkSize(image.Config{Width: full.X, Height: full.Y}, maxPixels); err != nil {
		failed = false
		return nil, full, err
	}
	if cs == C.TJCS_CMYK || cs == C.TJCS_YCCK {
		failed = false
		return GoCodec{}.decodeInto(data, hint, maxPixels, pix)
	}
	sw, sh := jpegScale(full.X, full.Y, hint)
	n := sw * sh * 4
	if cap(pix) < n {
		pix = make([]uint8, n)
	}
	pix = pix[:n]
	if C.tjDecompress2(t.h, src, C.ulong(len(data)), (*C.uchar)(unsafe.Pointer(&pix[0])),
		C.int(sw), C.int(sw*4), C.int(sh), C.TJPF_RGBA, 0) != 0 {
		// Errors and warnings alike (libjpeg-turbo 2 reports both as failures): let
		// the Go decoder decide, so skips match the pure-Go path.
		return GoCodec{}.decodeInto(data, hint, maxPixels, pix)
	}
	failed = false
	return &image.RGBA{Pix: pix, Stride: sw * 4, Rect: image.Rect(0, 0, sw, sh)}, full, nil
}

// Encode encodes img as f: JPEG through libjpeg-turbo, PNG through GoCodec.
func (c *TurboCodec) Encode(img *image.RGBA, f Format, quality int) ([]byte, error) {
	return c.appendEncode(nil, img, f, quality)
}

// appendEncode appends img's encoding to dst.
func (c *TurboCodec) appendEncode(dst []byte, img *image.RGBA, f Format, quality int) ([]byte, error) {
	if f != JPEG {
		return GoCodec{}.appendEncode(dst, img, f, quality)
	}
	if quality < 1 || quality > 100 {
		return nil, fmt.Errorf("JPEG quality %d is out of range [1, 100]", quality)
	}
	w, h := img.Rect.Dx(), img.Rect.Dy()
	if w <= 0 || h <= 0 {
		return nil, fmt.Errorf("cannot encode an empty %d×%d image", w, h)
	}
	bound := int(C.tjBufSize(C.int(w), C.int(h), C.TJSAMP_420))
	if bound <= 0 {
		return nil, fmt.Errorf("cannot encode a %d×%d image as JPEG", w, h)
	}
	dst = growBytes(dst, bound)
	t, err := c.handle(false)
	if err != nil {
		return nil, err
	}
	out := dst[len(dst) : len(dst)+bound]
	pix := img.Pix[img.PixOffset(img.Rect.Min.X, img.Rect.Min.Y):]
	if C.sg_encode(t.h, (*C.uchar)(unsafe.Pointer(&pix[0])), C.int(w), C.int(img.Stride), C.int(h),
		(*C.uchar)(unsafe.Pointer(&out[0])), &t.size, C.int(quality)) != 0 {
		err := errors.New("libjpeg-turbo: " + C.GoString(C.tjGetErrorStr2(t.h)))
		c.release(t, false, true)
		return nil, err
	}
	size := int(t.size)
	c.release(t, false, false)
	return dst[:len(dst)+size], nil
}
