//go:build turbojpeg && cgo

package turbo

/*
#cgo pkg-config: libturbojpeg
#include <turbojpeg.h>

// sg_roundtrip compresses the RGBA image at pix (alpha ignored) at quality with 4:2:0
// chroma subsampling and the accurate integer DCT into buf (which holds bufSize
// bytes), then decompresses it back into pix with the accurate IDCT and fancy
// upsampling: Pillow's save(quality=q) and open with the same libjpeg-turbo. It
// returns 0 on success, 1 when compression failed (pix untouched), 2 when
// decompression failed.
static int sg_roundtrip(tjhandle c, tjhandle d, unsigned char *pix, int w, int pitch, int h,
		int quality, unsigned char *buf, unsigned long bufSize) {
	unsigned char *p = buf;
	unsigned long size = bufSize;
	if (tjCompress2(c, pix, w, pitch, h, TJPF_RGBA, &p, &size, TJSAMP_420, quality,
			TJFLAG_NOREALLOC | TJFLAG_ACCURATEDCT) != 0) return 1;
	if (tjDecompress2(d, buf, size, pix, w, pitch, h, TJPF_RGBA, TJFLAG_ACCURATEDCT) != 0) return 2;
	return 0;
}
*/
import "C"

import (
	"runtime"
	"sync"
	"unsafe"
)

// Available reports whether this build has libjpeg-turbo.
const Available = true

// codec is a compressor and a decompressor with an output buffer, pooled between calls;
// a cleanup destroys the TurboJPEG instances when the pool drops it.
type codec struct {
	c, d C.tjhandle
	buf  []byte
}

var codecs sync.Pool // of *codec

// RoundTrip compresses the w×h RGBA image in pix (rows stride bytes apart; alpha
// ignored) at quality, 4:2:0, with the accurate integer DCT, and decompresses it back
// into pix with the accurate IDCT and fancy upsampling, as Pillow's save(quality=q)
// and open do with the same libjpeg-turbo; decompressed alpha is 255. False means it
// could not (no TurboJPEG instance, or a failed compression), and pix is then
// unchanged. libjpeg-turbo failing to decompress its own output is a broken library,
// and panics. RoundTrip is safe for concurrent use.
func RoundTrip(pix []byte, w, h, stride, quality int) bool {
	if w <= 0 || h <= 0 || len(pix) < (h-1)*stride+4*w {
		return false
	}
	t, _ := codecs.Get().(*codec)
	if t == nil {
		t = &codec{c: C.tjInitCompress(), d: C.tjInitDecompress()}
		if t.c == nil || t.d == nil {
			if t.c != nil {
				C.tjDestroy(t.c)
			}
			if t.d != nil {
				C.tjDestroy(t.d)
			}
			return false
		}
		runtime.AddCleanup(t, func(h [2]C.tjhandle) { C.tjDestroy(h[0]); C.tjDestroy(h[1]) }, [2]C.tjhandle{t.c, t.d})
	}
	if n := int(C.tjBufSize(C.int(w), C.int(h), C.TJSAMP_420)); len(t.buf) < n {
		t.buf = make([]byte, n)
	}
	rc := C.sg_roundtrip(t.c, t.d, (*C.uchar)(unsafe.Pointer(&pix[0])), C.int(w), C.int(stride), C.int(h),
		C.int(quality), (*C.uchar)(unsafe.Pointer(&t.buf[0])), C.ulong(len(t.buf)))
	switch rc {
	case 1:
		return false // the instances may be in a bad state: let them go
	case 2:
		panic("turbo: libjpeg-turbo cannot decompress the JPEG it has just written: " + C.GoString(C.tjGetErrorStr2(t.d)))
	}
	codecs.Put(t)
	return true
}
