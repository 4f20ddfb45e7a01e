package imageio

import (
	"encoding/binary"
	"image"
	"math"

	"github.com/shiftgen/shiftgen/pipeline/imageio/internal/resample"
	"github.com/shiftgen/shiftgen/shifts"
)

// precisionBits is PIL's fixed-point precision for 8-bit resampling (32 - 8 - 2).
const precisionBits = 22

// half is 0.5 in PIL's fixed point: the rounding term every sum starts from.
const half = int32(1) << (precisionBits - 1)

// halves is half in both 32-bit lanes of a uint64 (see vpass).
const halves = uint64(half) | uint64(half)<<32

// kernel is the fixed-point weights of a 1-D antialiased triangle (bilinear) filter for
// a run of output pixels. Every output reads exactly n consecutive input pixels: output
// i reads inputs start[i] .. start[i]+n-1 with weights k[i*n : (i+1)*n]. Outputs whose
// PIL window is shorter than n have it padded with zero weights (shifted left at the
// right edge), which leaves every sum, and so every pixel, as PIL computes it.
type kernel struct {
	start []int
	off   []int32 // 4·start, the byte offsets the SIMD pass reads
	k     []int32
	kx    []int32 // k expanded for the horizontal SIMD pass (resample.Expand), when it runs
	n     int
}

// bilinearKernel computes PIL's weights (ImagingResample's precompute_coeffs with the
// bilinear filter, then normalize_coeffs_8bpc) for output pixels from..from+count-1 of a
// resize from inSize to outSize. buf is memory for the floating-point weights, reused
// when large enough; the second result is buf or its replacement.
func bilinearKernel(inSize, outSize, from, count int, buf []float64) (*kernel, []float64) {
	scale := float64(inSize) / float64(outSize)
	filterscale := max(scale, 1)
	support := 1.0 * filterscale
	ksize := int(math.Ceil(support))*2 + 1
	ss := 1.0 / filterscale
	xmins, xmaxs := make([]int, count), make([]int, count)
	if cap(buf) < count*ksize {
		buf = make([]float64, count*ksize)
	}
	pre := buf[:count*ksize]
	clear(pre)
	n := 1
	for i := range count {
		center := (float64(from+i) + 0.5) * scale
		xmin := max(int(center-support+0.5), 0)
		xmax := min(int(center+support+0.5), inSize) - xmin
		p := pre[i*ksize : (i+1)*ksize]
		ww := 0.0
		for x := 0; x < xmax; x++ {
			t := math.Abs((float64(x+xmin) - center + 0.5) * ss)
			w := 0.0
			if t < 1 {
				w = 1 - t
			}
			p[x] = w
			ww += w
		}
		if ww != 0 {
			for x := 0; x < xmax; x++ {
				p[x] /= ww
			}
		}
		xmins[i], xmaxs[i] = xmin, xmax
		n = max(n, xmax)
	}
	kn := &kernel{start: xmins, off: make([]int32, count), k: make([]int32, count*n), n: n}
	for i := range count {
		// Shift windows that would run past the input's end left; n ≤ inSize always.
		shift := max(xmins[i]+n-inSize, 0)
		kn.start[i] = xmins[i] - shift
		kn.off[i] = int32(4 * kn.start[i])
		k := kn.k[i*n+shift : (i+1)*n]
		for x, v := range pre[i*ksize : i*ksize+xmaxs[i]] {
			if v < 0 {
				k[x] = int32(-0.5 + v*(1<<precisionBits))
			} else {
				k[x] = int32(0.5 + v*(1<<precisionBits))
			}
		}
	}
	return kn, buf
}

// span returns the input range the kernel reads.
func (kn *kernel) span() (lo, hi int) {
	lo, hi = kn.start[0], 0
	for _, s := range kn.start {
		lo, hi = min(lo, s), max(hi, s+kn.n)
	}
	return lo, hi
}

func clipFixed(ss int32) uint8 {
	v := ss >> precisionBits
	if uint32(v) > 255 {
		if v < 0 {
			return 0
		}
		return 255
	}
	return uint8(v)
}

// ResizeCrop resizes src to rw×rh with PIL's antialiased bilinear filter (as
// torchvision's Resize does on PIL images) and returns only the crop rectangle of the
// result, computing nothing outside it. Pixels are identical to PIL's resize followed by
// crop. src must be opaque RGBA with a zero origin; it is not modified, and the result
// is a fresh image. ResizeCrop is safe for concurrent use; a worker that resizes many
// images should use a Scratch, which reuses its memory.
func ResizeCrop(src *image.RGBA, rw, rh int, crop image.Rectangle) *image.RGBA {
	var r resizer
	return r.resizeCrop(nil, src, src.Rect.Max, rw, rh, crop)
}

// kernelKey identifies a kernel: output pixels from..from+count-1 of in → out, with
// input positions counted from base.
type kernelKey struct{ in, out, from, count, base int }

// maxKernels bounds a resizer's kernel cache; ImageNet's few common sizes fit easily.
const maxKernels = 64

// resizer holds one goroutine's resampling memory: the horizontal pass's output and a
// cache of kernels by (input size, output size, crop range). Not safe for concurrent use.
type resizer struct {
	tmp     []uint8   // horizontal pass output, RGBA rows of the crop's width
	weights []float64 // bilinearKernel's floating-point weights
	kernels map[kernelKey]*kernel
	// generic forces the pure-Go passes (for tests and benchmarks).
	generic bool
}

func (r *resizer) kernel(in, out, from, count int) *kernel {
	return r.kernelAt(in, out, from, count, 0)
}

// kernelAt is kernel with input positions counted from base: for an input that holds
// only pixels base and on.
func (r *resizer) kernelAt(in, out, from, count, base int) *kernel {
	key := kernelKey{in, out, from, count, base}
	if kn, ok := r.kernels[key]; ok {
		return kn
	}
	var kn *kernel
	if base == 0 {
		kn, r.weights = bilinearKernel(in, out, from, count, r.weights)
	} else {
		kn = r.kernel(in, out, from, count).expand().shift(base)
	}
	if r.kernels == nil || len(r.kernels) >= maxKernels {
		r.kernels = make(map[kernelKey]*kernel)
	}
	r.kernels[key] = kn
	return kn
}

// expand sets kn.kx, the weights as the horizontal SIMD pass reads them, where that pass
// runs (the vertical pass reads kn.k), and returns kn.
func (kn *kernel) expand() *kernel {
	if kn.kx == nil && resample.Available {
		kn.kx = resample.Expand(kn.k)
	}
	return kn
}

// shift returns kn with input positions counted from base (the weights are shared).
func (kn *kernel) shift(base int) *kernel {
	s := &kernel{start: make([]int, len(kn.start)), off: make([]int32, len(kn.off)), k: kn.k, kx: kn.kx, n: kn.n}
	for i, v := range kn.start {
		s.start[i] = v - base
		s.off[i] = int32(4 * (v - base))
	}
	return s
}

// reads returns the pixels of a size-sized image that resizing and cropping it as g
// says reads.
func (r *resizer) reads(size image.Point, g Geometry) image.Rectangle {
	if g.W == size.X && g.H == size.Y {
		return g.Crop
	}
	x0, x1 := r.kernel(size.X, g.W, g.Crop.Min.X, g.Crop.Dx()).span()
	y0, y1 := r.kernel(size.Y, g.H, g.Crop.Min.Y, g.Crop.Dy()).span()
	return image.Rect(x0, y0, x1, y1)
}

// resizeCrop is ResizeCrop into pix's memory when its capacity suffices, for a src that
// may hold only part of a frame.X×frame.Y image: the part reads says the resize and
// crop read, or more, placed where it lies in the frame. The horizontal pass runs
// first, over only the source rows the vertical pass reads, and rounds to 8 bits as
// PIL does; the vertical pass then makes each output row from n of those rows.
func (r *resizer) resizeCrop(pix []uint8, src *image.RGBA, frame image.Point, rw, rh int, crop image.Rectangle) *image.RGBA {
	sw, sh := frame.X, frame.Y
	cw, ch := crop.Dx(), crop.Dy()
	out := shifts.NewRGBA(pix, cw, ch)
	if rw == sw && rh == sh {
		for y := 0; y < ch; y++ {
			o := src.PixOffset(crop.Min.X, crop.Min.Y+y)
			copy(out.Pix[y*out.Stride:y*out.Stride+4*cw], src.Pix[o:o+4*cw])
		}
		return out
	}
	hk := r.kernelAt(sw, rw, crop.Min.X, cw, src.Rect.Min.X).expand()
	vk := r.kernel(sh, rh, crop.Min.Y, ch)
	y0, y1 := vk.span()
	stride := 4 * cw
	if cap(r.tmp) < (y1-y0)*stride {
		r.tmp = make([]uint8, roomy((y1-y0)*stride))
	}
	tmp := r.tmp[:(y1-y0)*stride]
	simd := resample.Available && !r.generic
	rowLen := 4 * src.Rect.Dx()
	row := func(y int) []uint8 {
		o := (y - src.Rect.Min.Y) * src.Stride
		return src.Pix[o : o+rowLen]
	}
	y := y0
	if simd && resample.AVX2 && hk.kx != nil && rowLen < 1<<31 {
		for ; y+1 < y1; y += 2 {
			o := (y - y0) * stride
			resample.Horizontal2(tmp[o:o+stride], tmp[o+stride:o+2*stride], row(y), row(y+1), hk.off[:cw], hk.kx, hk.n)
		}
	}
	for ; y < y1; y++ {
		hpass(tmp[(y-y0)*stride:(y-y0+1)*stride], row(y), hk, simd)
	}
	for yy := 0; yy < ch; yy++ {
		o := (vk.start[yy] - y0) * stride
		vpass(out.Pix[yy*out.Stride:yy*out.Stride+stride], tmp[o:o+vk.n*stride], stride, vk.k[yy*vk.n:(yy+1)*vk.n], simd)
	}
	return out
}

// hpass resamples one RGBA source row into dst (RGBA, one pixel per output), with the
// SIMD pass when simd is set and it can.
func hpass(dst, row []uint8, kn *kernel, simd bool) {
	if simd && kn.kx != nil && len(row) < 1<<31 { // byte offsets fit the SIMD pass's int32
		resample.Horizontal(dst, row, kn.off[:len(dst)/4], kn.kx, kn.n)
		return
	}
	hpassGo(dst, row, kn)
}

// vpass makes one output row (RGBA) from the n rows of tmp (stride bytes apart)
// weighted by k, with the SIMD pass when simd is set.
func vpass(out, tmp []uint8, stride int, k []int32, simd bool) {
	if simd {
		m := len(out) &^ 15
		resample.Vertical(out[:m], tmp, stride, k)
		if m == len(out) {
			return
		}
		out, tmp = out[m:], tmp[m:]
	}
	vpassGo(out, tmp, stride, k)
}

// hpassGo is hpass in Go, specialised for the common window lengths.
func hpassGo(dst, row []uint8, kn *kernel) {
	n := kn.n
	for i, s := range kn.start[:len(dst)/4] {
		d := dst[4*i : 4*i+4 : 4*i+4]
		var r, g, b int32
		switch n {
		case 2:
			p := row[s*4 : s*4+8 : s*4+8]
			w := kn.k[2*i : 2*i+2 : 2*i+2]
			r = half + int32(p[0])*w[0] + int32(p[4])*w[1]
			g = half + int32(p[1])*w[0] + int32(p[5])*w[1]
			b = half + int32(p[2])*w[0] + int32(p[6])*w[1]
		case 3:
			p := row[s*4 : s*4+12 : s*4+12]
			w := kn.k[3*i : 3*i+3 : 3*i+3]
			r = half + int32(p[0])*w[0] + int32(p[4])*w[1] + int32(p[8])*w[2]
			g = half + int32(p[1])*w[0] + int32(p[5])*w[1] + int32(p[9])*w[2]
			b = half + int32(p[2])*w[0] + int32(p[6])*w[1] + int32(p[10])*w[2]
		case 4:
			p := row[s*4 : s*4+16 : s*4+16]
			w := kn.k[4*i : 4*i+4 : 4*i+4]
			r = half + int32(p[0])*w[0] + int32(p[4])*w[1] + int32(p[8])*w[2] + int32(p[12])*w[3]
			g = half + int32(p[1])*w[0] + int32(p[5])*w[1] + int32(p[9])*w[2] + int32(p[13])*w[3]
			b = half + int32(p[2])*w[0] + int32(p[6])*w[1] + int32(p[10])*w[2] + int32(p[14])*w[3]
		default:
			p := row[s*4 : (s+n)*4]
			r, g, b = half, half, half
			for x, w := range kn.k[i*n : (i+1)*n] {
				q := p[x*4 : x*4+3 : x*4+3]
				r += int32(q[0]) * w
				g += int32(q[1]) * w
				b += int32(q[2]) * w
			}
		}
		d[0], d[1], d[2], d[3] = clipFixed(r), clipFixed(g), clipFixed(b), 255
	}
}

// vpassGo is vpass in Go. It works on two pixels at a time in uint64 lanes: masking
// 8 bytes with 0x000000ff000000ff puts the same channel of both pixels 32 bits apart, so
// one multiplication weights two values. A lane sums 8-bit values times non-negative
// weights totalling at most 1<<22 + n/2, so it stays below 1<<31 (no carry into the next
// lane) and its result needs no clipping, for any n below 16448; longer kernels take
// the plain path with PIL's clipping.
func vpassGo(out, tmp []uint8, stride int, k []int32) {
	if len(k) >= 16448 {
		vpassGoClip(out, tmp, stride, k)
		return
	}
	const m = 0x000000ff000000ff
	x := 0
	for ; x+8 <= len(out); x += 8 {
		r, g, b := halves, halves, halves
		for j, w := range k {
			v := binary.LittleEndian.Uint64(tmp[j*stride+x:])
			w := uint64(w)
			r += (v & m) * w
			g += (v >> 8 & m) * w
			b += (v >> 16 & m) * w
		}
		const s = precisionBits
		binary.LittleEndian.PutUint64(out[x:],
			r>>s&0xff|(g>>s&0xff)<<8|(b>>s&0xff)<<16|0xff<<24|
				(r>>(32+s)&0xff)<<32|(g>>(32+s)&0xff)<<40|(b>>(32+s)&0xff)<<48|0xff<<56)
	}
	if x < len(out) {
		vpassGoClip(out[x:], tmp[x:], stride, k)
	}
}

// vpassGoClip is vpass one channel at a time, with PIL's clipping.
func vpassGoClip(out, tmp []uint8, stride int, k []int32) {
	for x := 0; x+3 < len(out); x += 4 {
		r, g, b := half, half, half
		for j, w := range k {
			p := tmp[j*stride+x : j*stride+x+3 : j*stride+x+3]
			r += int32(p[0]) * w
			g += int32(p[1]) * w
			b += int32(p[2]) * w
		}
		o := out[x : x+4 : x+4]
		o[0], o[1], o[2], o[3] = clipFixed(r), clipFixed(g), clipFixed(b), 255
	}
}
