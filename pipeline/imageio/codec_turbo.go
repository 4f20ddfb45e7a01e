//go:build turbojpeg && cgo

package imageio

/*
#cgo pkg-config: libturbojpeg libjpeg
#include <stdio.h>
#include <stdlib.h>
#include <setjmp.h>
#include <jpeglib.h>
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

// sg_dec is one libjpeg decompressor with an error manager that returns to the sg_
// call that was running (longjmp) on an error and notes warnings (corrupt data the
// library worked around), which the caller treats as failures as TurboJPEG does.
typedef struct {
	struct jpeg_decompress_struct d;
	struct jpeg_error_mgr jerr;
	jmp_buf jb;
	int warned;
} sg_dec;

static void sg_error_exit(j_common_ptr c) { longjmp(((sg_dec *)c->client_data)->jb, 1); }

static void sg_emit_message(j_common_ptr c, int level) {
	if (level < 0) ((sg_dec *)c->client_data)->warned = 1;
}

static void sg_output_message(j_common_ptr c) {}

static sg_dec *sg_dec_new(void) {
	sg_dec *s = calloc(1, sizeof *s);
	if (s == NULL) return NULL;
	s->d.err = jpeg_std_error(&s->jerr);
	s->jerr.error_exit = sg_error_exit;
	s->jerr.emit_message = sg_emit_message;
	s->jerr.output_message = sg_output_message;
	s->d.client_data = s;
	if (setjmp(s->jb)) {
		free(s);
		return NULL;
	}
	jpeg_create_decompress(&s->d);
	return s;
}

static void sg_dec_free(sg_dec *s) {
	jpeg_destroy_decompress(&s->d);
	free(s);
}

// sg_header reads the header of the JPEG in src: its size and colour space.
static int sg_header(sg_dec *s, const unsigned char *src, unsigned long n, int *w, int *h, int *cs) {
	s->warned = 0;
	if (setjmp(s->jb)) return -1;
	jpeg_mem_src(&s->d, src, n);
	jpeg_read_header(&s->d, TRUE);
	*w = s->d.image_width;
	*h = s->d.image_height;
	*cs = s->d.jpeg_color_space;
	return s->warned ? -1 : 0;
}

// sg_start starts decompressing at scale 1/denom into RGBA with the library's default
// (accurate) IDCT and fancy upsampling, as TurboJPEG does, keeping only columns
// [*x0, *x1) of each row when that is not the whole row: jpeg_crop_scanline moves *x0
// left to an iMCU boundary. w and h are the scaled size.
static int sg_start(sg_dec *s, int denom, int *x0, int x1, int *w, int *h) {
	if (setjmp(s->jb)) return -1;
	s->d.out_color_space = JCS_EXT_RGBA;
	s->d.scale_num = 1;
	s->d.scale_denom = denom;
	jpeg_start_decompress(&s->d);
	*w = s->d.output_width;
	*h = s->d.output_height;
	if (*x0 > 0 || x1 < *w) {
		JDIMENSION xoff = *x0, cw = x1 - *x0;
		jpeg_crop_scanline(&s->d, &xoff, &cw);
		*x0 = xoff;
	}
	return s->warned ? -1 : 0;
}

// sg_rows writes rows [y0, y1) of the (cropped) output into dst, stride bytes apart,
// skipping the rows above. The rows below are entropy-decoded but not reconstructed
// (all but the last, which is read into the row at y1), so that damage anywhere in the
// data is noticed as by a full decode; dst must hold y1 - y0 + 1 rows.
static int sg_rows(sg_dec *s, int y0, int y1, unsigned char *dst, int stride) {
	struct jpeg_decompress_struct *d = &s->d;
	JSAMPROW row;
	if (setjmp(s->jb)) return -1;
	if (y0 > 0) jpeg_skip_scanlines(d, y0);
	while (d->output_scanline < (JDIMENSION)y1) {
		row = dst + (size_t)(d->output_scanline - y0) * stride;
		jpeg_read_scanlines(d, &row, 1);
	}
	if (d->output_scanline < d->output_height) {
		JDIMENSION rest = d->output_height - d->output_scanline;
		if (rest > 1) jpeg_skip_scanlines(d, rest - 1);
		row = dst + (size_t)(y1 - y0) * stride;
		jpeg_read_scanlines(d, &row, 1);
	}
	jpeg_finish_decompress(d);
	return s->warned ? -1 : 0;
}

static void sg_abort(sg_dec *s) {
	if (setjmp(s->jb)) return;
	jpeg_abort_decompress(&s->d);
}
*/
import "C"

import (
	"errors"
	"fmt"
	"image"
	"runtime"
	"slices"
	"sync"
	"unsafe"
)

// DefaultCodec returns the codec this build uses: libjpeg-turbo for JPEG, with the
// pure-Go codec for every other format and for the JPEGs it hands back (CMYK, YCCK, and
// files libjpeg-turbo reports damage in).
func DefaultCodec() Codec { return turbo }

// turbo is the one TurboCodec value; it is stateless apart from its pools.
var turbo = &TurboCodec{}

// TurboCodec decodes JPEG with libjpeg-turbo's libjpeg API and encodes it with its
// TurboJPEG API (libjpeg-turbo 2.1 or later), and handles everything else with GoCodec.
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
// For preprocessing (Scratch.DecodePreprocess) it decodes only the part of the image
// the resize and crop read: columns outside it are neither inverse-transformed,
// upsampled nor converted (jpeg_crop_scanline), rows above it are skipped and rows
// below it only entropy-decoded (jpeg_skip_scanlines), so that damaged data anywhere
// in the file is still noticed. The pixels it keeps are those of a whole decode.
//
// A TurboCodec is safe for concurrent use: every call takes a decompressor or a
// TurboJPEG compressor from a pool and returns it afterwards. The zero value is ready to
// use.
type TurboCodec struct {
	dec, enc sync.Pool // of *jpegDecoder, *tjHandle
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

// tjHandle owns one TurboJPEG compressor; a cleanup destroys it when the pool drops it.
// size is the out-parameter of the C call, kept here so it needs no allocation per call.
type tjHandle struct {
	h       C.tjhandle
	cleanup runtime.Cleanup
	size    C.ulong
}

func (c *TurboCodec) compressor() (*tjHandle, error) {
	if t, ok := c.enc.Get().(*tjHandle); ok {
		return t, nil
	}
	h := C.tjInitCompress()
	if h == nil {
		return nil, errors.New("libjpeg-turbo: cannot create a TurboJPEG instance: " + C.GoString(C.tjGetErrorStr2(nil)))
	}
	t := &tjHandle{h: h}
	t.cleanup = runtime.AddCleanup(t, func(h C.tjhandle) { C.tjDestroy(h) }, h)
	return t, nil
}

// jpegDecoder owns one libjpeg decompressor; a cleanup frees it when the pool drops it.
// Its other fields are out-parameters of the C calls, kept here so they need no
// allocation per call.
type jpegDecoder struct {
	p                    *C.sg_dec
	cleanup              runtime.Cleanup
	w, h, cs, x0, sw, sh C.int
}

func (c *TurboCodec) decoder() (*jpegDecoder, error) {
	if d, ok := c.dec.Get().(*jpegDecoder); ok {
		return d, nil
	}
	p := C.sg_dec_new()
	if p == nil {
		return nil, errors.New("libjpeg-turbo: cannot create a decompressor (out of memory)")
	}
	d := &jpegDecoder{p: p}
	d.cleanup = runtime.AddCleanup(d, func(p *C.sg_dec) { C.sg_dec_free(p) }, p)
	return d, nil
}

// releaseDecoder returns d to its pool, ready for the next image, after a call that
// went through. After a failed one it frees d instead: a decompressor that has failed
// (a header it could not read, for one) might decode the next image differently, which
// would break determinism.
func (c *TurboCodec) releaseDecoder(d *jpegDecoder, failed bool) {
	if failed {
		d.cleanup.Stop()
		C.sg_dec_free(d.p)
		d.p = nil
		return
	}
	C.sg_abort(d.p)
	c.dec.Put(d)
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

// scaledSize is libjpeg's scaled output size: ceil(n·num/denom).
func scaledSize(n, num, denom int) int { return (n*num + denom - 1) / denom }

// jpegScaleDenom returns the decoded size of a w×h JPEG and the scale's denominator
// (the numerator is 1): the smallest power-of-two scale whose shorter side is still at
// least hint.Short and longer side at least hint.Long; the zero Hint asks for full size.
func jpegScaleDenom(w, h int, hint Hint) (sw, sh, denom int) {
	if hint == (Hint{}) {
		return w, h, 1
	}
	for _, s := range turboScales {
		sw, sh := scaledSize(w, s[0], s[1]), scaledSize(h, s[0], s[1])
		if min(sw, sh) >= hint.Short && max(sw, sh) >= hint.Long {
			return sw, sh, s[1]
		}
	}
	return w, h, 1
}

// minCropWidth is the narrowest decode that crops rows: at least three samples of a
// chroma component subsampled up to four times.
const minCropWidth = 32

// Decode decodes data, at a reduced DCT scale when hint allows (see TurboCodec).
func (c *TurboCodec) Decode(data []byte, hint Hint, maxPixels int64) (*image.RGBA, error) {
	img, _, err := c.decodeInto(data, hint, maxPixels, nil)
	return img, err
}

// decodeInto is Decode into pix's memory when it is large enough; full is the size of
// the image at scale 1/1.
func (c *TurboCodec) decodeInto(data []byte, hint Hint, maxPixels int64, pix []uint8) (*image.RGBA, image.Point, error) {
	img, _, full, err := c.decodeRegion(data, hint, maxPixels, pix, nil)
	return img, full, err
}

// decodeRegion is decodeInto keeping only the part need asks for (see regionDecoder);
// a nil need keeps the whole image.
func (c *TurboCodec) decodeRegion(data []byte, hint Hint, maxPixels int64, pix []uint8, need func(size, full image.Point) image.Rectangle) (*image.RGBA, image.Point, image.Point, error) {
	byGo := func() (*image.RGBA, image.Point, image.Point, error) {
		img, full, err := GoCodec{}.decodeInto(data, hint, maxPixels, pix)
		return img, full, full, err
	}
	if len(data) < 3 || data[0] != 0xff || data[1] != 0xd8 {
		return byGo()
	}
	// What the pure-Go build cannot decode is refused here too (see checkJPEG), so both
	// builds skip the same files.
	if err := checkJPEG(data); err != nil {
		return nil, image.Point{}, image.Point{}, err
	}
	d, err := c.decoder()
	if err != nil {
		return nil, image.Point{}, image.Point{}, err
	}
	failed := true
	defer func() { c.releaseDecoder(d, failed) }()
	src := (*C.uchar)(unsafe.Pointer(&data[0]))
	// Errors and warnings alike make the Go decoder decide, so skips match the
	// pure-Go path.
	if C.sg_header(d.p, src, C.ulong(len(data)), &d.w, &d.h, &d.cs) != 0 {
		return byGo()
	}
	full := image.Pt(int(d.w), int(d.h))
	if err := checkSize(image.Config{Width: full.X, Height: full.Y}, maxPixels); err != nil {
		failed = false
		return nil, full, full, err
	}
	if d.cs == C.JCS_CMYK || d.cs == C.JCS_YCCK {
		failed = false
		return byGo()
	}
	sw, sh, denom := jpegScaleDenom(full.X, full.Y, hint)
	frame := image.Rect(0, 0, sw, sh)
	keep := frame
	if need != nil {
		// One more pixel on every side that has one: libjpeg-turbo's fancy upsampling
		// treats the edges of a cropped row as the image's edges.
		keep = need(frame.Max, full).Inset(-1).Intersect(frame)
		if keep.Empty() {
			keep = frame
		}
		// libjpeg-turbo upsamples a chroma row of one or two samples without the fancy
		// filter: narrow crops would change every pixel, so they keep whole rows.
		if keep.Dx() < minCropWidth {
			keep.Min.X, keep.Max.X = 0, sw
		}
	}
	d.x0 = C.int(keep.Min.X)
	if C.sg_start(d.p, C.int(denom), &d.x0, C.int(keep.Max.X), &d.sw, &d.sh) != 0 {
		return byGo()
	}
	if int(d.sw) != sw || int(d.sh) != sh {
		return nil, full, full, fmt.Errorf("libjpeg-turbo decodes %d×%d at 1/%d as %d×%d, not %d×%d", full.X, full.Y, denom, d.sw, d.sh, sw, sh)
	}
	keep.Min.X = int(d.x0)
	stride := 4 * keep.Dx()
	n := stride * keep.Dy()
	if cap(pix) < n+stride { // a spare row for the last one of the image (see sg_rows)
		pix = make([]uint8, n+stride, roomy(n+stride))
	}
	pix = pix[:n+stride]
	if C.sg_rows(d.p, C.int(keep.Min.Y), C.int(keep.Max.Y), (*C.uchar)(unsafe.Pointer(&pix[0])), C.int(stride)) != 0 {
		return byGo()
	}
	failed = false
	return &image.RGBA{Pix: pix[:n], Stride: stride, Rect: keep}, frame.Max, full, nil
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
	dst = slices.Grow(dst, bound)
	t, err := c.compressor()
	if err != nil {
		return nil, err
	}
	out := dst[len(dst) : len(dst)+bound]
	pix := img.Pix[img.PixOffset(img.Rect.Min.X, img.Rect.Min.Y):]
	if C.sg_encode(t.h, (*C.uchar)(unsafe.Pointer(&pix[0])), C.int(w), C.int(img.Stride), C.int(h),
		(*C.uchar)(unsafe.Pointer(&out[0])), &t.size, C.int(quality)) != 0 {
		// A compressor that failed is not reused (see releaseDecoder).
		err := errors.New("libjpeg-turbo: " + C.GoString(C.tjGetErrorStr2(t.h)))
		t.cleanup.Stop()
		C.tjDestroy(t.h)
		return nil, err
	}
	size := int(t.size)
	c.enc.Put(t)
	return dst[:len(dst)+size], nil
}
