package imagenetc

import (
	"image"
	"math/rand/v2"
)

// JPEG compresses the image at Quality and decompresses it, as Pillow's
// save(quality=Quality) and open do with libjpeg(-turbo) defaults: IJG quality scaling
// of the standard tables (clamped to baseline 1..255), 4:2:0 chroma subsampling,
// integer ("islow") DCTs and "fancy" triangular chroma upsampling. It works in the pixel
// domain (the entropy coding is lossless and skipped), reproducing libjpeg's fixed-point
// colour conversions, downsampling, DCTs and rounding step by step.
type JPEG struct {
	// Quality is the IJG quality, 1 (worst) to 100.
	Quality int `json:"quality"`
}

// JPEGSeverities holds JPEG at severities 1..5.
var JPEGSeverities = [5]JPEG{{25}, {18}, {15}, {10}, {7}}

// useTurbo lets JPEG use libjpeg-turbo when the build has it (tests turn it off to
// compare with the Go pipeline).
var useTurbo = true

// Corrupt compresses img in place; r is unused. Builds with libjpeg-turbo (the
// turbojpeg tag) hand the work to it, which gives the same bytes faster; the others run
// the Go version of its pipeline below.
func (c JPEG) Corrupt(img *image.RGBA, _ *rand.Rand) *image.RGBA {
	if w, h := dims(img); w > 0 && h > 0 && useTurbo && turboRoundTrip(img, max(1, min(c.Quality, 100))) {
		return img
	}
	return c.corruptGo(img)
}

// corruptGo is Corrupt in Go: libjpeg's pixel pipeline without the (lossless) entropy
// coding.
func (c JPEG) corruptGo(img *image.RGBA) *image.RGBA {
	q := jpegTables.get(c.Quality, func() *[2]quantTable { return quantTables(c.Quality) })
	w, h := dims(img)
	// Planes padded to whole 16×16 MCUs by repeating the last column and row.
	pw, ph := (w+15)&^15, (h+15)&^15
	cw, chh := pw/2, ph/2
	buf := make([]uint8, pw*ph+2*cw*chh)
	yp, cb, cr := buf[:pw*ph], buf[pw*ph:pw*ph+cw*chh], buf[pw*ph+cw*chh:]
	// Colour conversion (jccolor.c rgb_ycc_convert) and 2×2 downsampling with the
	// alternating 1, 2 bias of jcsample.c h2v2_downsample.
	fullCb := make([]uint16, pw*2) // two rows of Cb and Cr
	fullCr := make([]uint16, pw*2)
	for y := 0; y < ph; y++ {
		sy := min(y, h-1)
		src := row(img, sy, w)
		yr := yp[y*pw : (y+1)*pw]
		rb := fullCb[(y&1)*pw : (y&1+1)*pw]
		rr := fullCr[(y&1)*pw : (y&1+1)*pw]
		for x := 0; x < pw; x++ {
			sx := 4 * min(x, w-1)
			r, g, b := int32(src[sx]), int32(src[sx+1]), int32(src[sx+2])
			yr[x] = uint8((ycc[0][r] + ycc[1][g] + ycc[2][b]) >> 16)
			rb[x] = uint16((ycc[3][r] + ycc[4][g] + ycc[5][b]) >> 16)
			rr[x] = uint16((ycc[5][r] + ycc[6][g] + ycc[7][b]) >> 16)
		}
		if y&1 == 1 && y/2 >= (h+1)/2 {
			// Below the image libjpeg pads the downsampled planes by repeating their
			// last row (jcprepct.c), not by downsampling repeated image rows.
			o := (y / 2) * cw
			copy(cb[o:o+cw], cb[o-cw:o])
			copy(cr[o:o+cw], cr[o-cw:o])
		} else if y&1 == 1 {
			o := (y / 2) * cw
			for x := 0; x < cw; x++ {
				bias := uint16(1 + x&1)
				cb[o+x] = uint8((fullCb[2*x] + fullCb[2*x+1] + fullCb[pw+2*x] + fullCb[pw+2*x+1] + bias) >> 2)
				cr[o+x] = uint8((fullCr[2*x] + fullCr[2*x+1] + fullCr[pw+2*x] + fullCr[pw+2*x+1] + bias) >> 2)
			}
		}
	}
	// Only blocks that hold visible samples matter; libjpeg's extra blocks are dummies.
	codePlane(yp, pw, (w+7)/8, (h+7)/8, &q[0])
	cwv, chv := (w+1)/2, (h+1)/2
	codePlane(cb, cw, (cwv+7)/8, (chv+7)/8, &q[1])
	codePlane(cr, cw, (cwv+7)/8, (chv+7)/8, &q[1])
	// Fancy upsampling (jdsample.c h2v2_fancy_upsample) and YCbCr→RGB (jdcolor.c).
	upCb := make([]uint8, 2*w+2)
	upCr := make([]uint8, 2*w+2)
	for y := 0; y < h; y++ {
		cy := y / 2
		ny := cy - 1 // the nearer neighbouring chroma row
		if y&1 == 1 {
			ny = cy + 1
		}
		ny = max(0, min(ny, chv-1))
		fancyRow(upCb, cb[cy*cw:], cb[ny*cw:], cwv)
		fancyRow(upCr, cr[cy*cw:], cr[ny*cw:], cwv)
		dst := row(img, y, w)
		yr := yp[y*pw:]
		for x := 0; x < w; x++ {
			yy := int32(yr[x])
			b, r := int32(upCb[x]), int32(upCr[x])
			dst[4*x] = rangeLimit(int64(yy + crR[r]))
			dst[4*x+1] = rangeLimit(int64(yy + (cbG[b]+crG[r])>>16))
			dst[4*x+2] = rangeLimit(int64(yy + cbB[b]))
		}
	}
	return img
}

// fancyRow upsamples one chroma row to 2·n samples with the triangular filter:
// vertical weights 3/4 (this row) and 1/4 (near), then horizontal 3/4 and 1/4.
func fancyRow(dst, this, near []uint8, n int) {
	col := func(i int) int32 { return int32(this[i])*3 + int32(near[i]) }
	if n == 1 {
		c := col(0)
		dst[0] = uint8((c*4 + 8) >> 4)
		dst[1] = uint8((c*4 + 7) >> 4)
		return
	}
	last, cur := col(0), col(0)
	next := col(1)
	dst[0] = uint8((cur*4 + 8) >> 4)
	dst[1] = uint8((cur*3 + next + 7) >> 4)
	last, cur = cur, next
	for i := 1; i < n-1; i++ {
		next = col(i + 1)
		dst[2*i] = uint8((cur*3 + last + 8) >> 4)
		dst[2*i+1] = uint8((cur*3 + next + 7) >> 4)
		last, cur = cur, next
	}
	dst[2*(n-1)] = uint8((cur*3 + last + 8) >> 4)
	dst[2*(n-1)+1] = uint8((cur*4 + 7) >> 4)
}

func rangeLimit(v int64) uint8 {
	if v < 0 {
		return 0
	}
	if v > 255 {
		return 255
	}
	return uint8(v)
}

// codePlane runs every visible 8×8 block of a plane through forward DCT, quantisation,
// dequantisation and inverse DCT, in place.
func codePlane(p []uint8, stride, bw, bh int, q *quantTable) {
	var blk [64]int64
	for by := 0; by < bh; by++ {
		for bx := 0; bx < bw; bx++ {
			o := by*8*stride + bx*8
			for i := 0; i < 8; i++ {
				r := p[o+i*stride : o+i*stride+8]
				b := blk[i*8 : i*8+8]
				for j := range b {
					b[j] = int64(r[j]) - 128
				}
			}
			fdctIslow(&blk)
			for i := range blk {
				// jcdctmgr.c: divide by 8·q with rounding, symmetric about zero (by an
				// exact reciprocal); jidctint.c then dequantises by q.
				v := blk[i]
				neg := v < 0
				if neg {
					v = -v
				}
				v = int64((uint64(v+q.half[i]) * q.recip[i]) >> 42)
				if neg {
					v = -v
				}
				blk[i] = v * q.q[i]
			}
			idctIslow(&blk, p[o:], stride)
		}
	}
}

// quantTable is one quantisation table with what the quantiser needs: the divisor 8·q,
// half of it for rounding, and its reciprocal ⌊2⁴²/(8·q)⌋ + 1, exact for numerators
// below 2³¹.
type quantTable struct {
	q, half [64]int64
	recip   [64]uint64
}

func newQuantTable(q [64]int64) quantTable {
	t := quantTable{q: q}
	for i, v := range q {
		d := uint64(v) << 3
		t.half[i] = int64(d >> 1)
		t.recip[i] = (1<<42)/d + 1
	}
	return t
}

const (
	constBits = 13
	pass1Bits = 2

	fix0298631336 = 2446
	fix0390180644 = 3196
	fix0541196100 = 4433
	fix0765366865 = 6270
	fix0899976223 = 7373
	fix1175875602 = 9633
	fix1501321110 = 12299
	fix1847759065 = 15137
	fix1961570560 = 16069
	fix2053119869 = 16819
	fix2562915447 = 20995
	fix3072711026 = 25172
)

// fdctIslow is the IJG accurate integer forward DCT (jfdctint.c, Loeffler–Ligtenberg–
// Moschytz with 13-bit constants); its output is scaled up by 8.
func fdctIslow(d *[64]int64) {
	// Pass 1: rows, outputs scaled up by 2^pass1Bits.
	for i := 0; i < 64; i += 8 {
		r := d[i : i+8 : i+8]
		tmp0, tmp7 := r[0]+r[7], r[0]-r[7]
		tmp1, tmp6 := r[1]+r[6], r[1]-r[6]
		tmp2, tmp5 := r[2]+r[5], r[2]-r[5]
		tmp3, tmp4 := r[3]+r[4], r[3]-r[4]
		tmp10, tmp13 := tmp0+tmp3, tmp0-tmp3
		tmp11, tmp12 := tmp1+tmp2, tmp1-tmp2
		r[0] = (tmp10 + tmp11) << pass1Bits
		r[4] = (tmp10 - tmp11) << pass1Bits
		z1 := (tmp12 + tmp13) * fix0541196100
		const sh = constBits - pass1Bits
		r[2] = (z1 + tmp13*fix0765366865 + 1<<(sh-1)) >> sh
		r[6] = (z1 - tmp12*fix1847759065 + 1<<(sh-1)) >> sh
		z1 = tmp4 + tmp7
		z2 := tmp5 + tmp6
		z3 := tmp4 + tmp6
		z4 := tmp5 + tmp7
		z5 := (z3 + z4) * fix1175875602
		tmp4 *= fix0298631336
		tmp5 *= fix2053119869
		tmp6 *= fix3072711026
		tmp7 *= fix1501321110
		z1 *= -fix0899976223
		z2 *= -fix2562915447
		z3 = z3*-fix1961570560 + z5
		z4 = z4*-fix0390180644 + z5
		r[7] = (tmp4 + z1 + z3 + 1<<(sh-1)) >> sh
		r[5] = (tmp5 + z2 + z4 + 1<<(sh-1)) >> sh
		r[3] = (tmp6 + z2 + z3 + 1<<(sh-1)) >> sh
		r[1] = (tmp7 + z1 + z4 + 1<<(sh-1)) >> sh
	}
	// Pass 2: columns, removing the pass-1 scaling and leaving a factor of 8.
	for i := 0; i < 8; i++ {
		tmp0, tmp7 := d[i]+d[56+i], d[i]-d[56+i]
		tmp1, tmp6 := d[8+i]+d[48+i], d[8+i]-d[48+i]
		tmp2, tmp5 := d[16+i]+d[40+i], d[16+i]-d[40+i]
		tmp3, tmp4 := d[24+i]+d[32+i], d[24+i]-d[32+i]
		tmp10, tmp13 := tmp0+tmp3, tmp0-tmp3
		tmp11, tmp12 := tmp1+tmp2, tmp1-tmp2
		d[i] = (tmp10 + tmp11 + 1<<(pass1Bits-1)) >> pass1Bits
		d[32+i] = (tmp10 - tmp11 + 1<<(pass1Bits-1)) >> pass1Bits
		z1 := (tmp12 + tmp13) * fix0541196100
		const sh = constBits + pass1Bits
		d[16+i] = (z1 + tmp13*fix0765366865 + 1<<(sh-1)) >> sh
		d[48+i] = (z1 - tmp12*fix1847759065 + 1<<(sh-1)) >> sh
		z1 = tmp4 + tmp7
		z2 := tmp5 + tmp6
		z3 := tmp4 + tmp6
		z4 := tmp5 + tmp7
		z5 := (z3 + z4) * fix1175875602
		tmp4 *= fix0298631336
		tmp5 *= fix2053119869
		tmp6 *= fix3072711026
		tmp7 *= fix1501321110
		z1 *= -fix0899976223
		z2 *= -fix2562915447
		z3 = z3*-fix1961570560 + z5
		z4 = z4*-fix0390180644 + z5
		d[56+i] = (tmp4 + z1 + z3 + 1<<(sh-1)) >> sh
		d[40+i] = (tmp5 + z2 + z4 + 1<<(sh-1)) >> sh
		d[24+i] = (tmp6 + z2 + z3 + 1<<(sh-1)) >> sh
		d[8+i] = (tmp7 + z1 + z4 + 1<<(sh-1)) >> sh
	}
}

// idctIslow is the IJG accurate integer inverse DCT (jidctint.c) of dequantised
// coefficients, writing level-shifted, range-limited samples to out. Like libjpeg it
// short-cuts columns and rows whose AC terms are all zero, which gives the same result.
func idctIslow(c *[64]int64, out []uint8, stride int) {
	var ws [64]int64
	// Pass 1: columns from the coefficients into the workspace, scaled by 2^pass1Bits.
	for i := 0; i < 8; i++ {
		if c[8+i]|c[16+i]|c[24+i]|c[32+i]|c[40+i]|c[48+i]|c[56+i] == 0 {
			dc := c[i] << pass1Bits
			for k := 0; k < 64; k += 8 {
				ws[k+i] = dc
			}
			continue
		}
		z2, z3 := c[16+i], c[48+i]
		z1 := (z2 + z3) * fix0541196100
		tmp2 := z1 - z3*fix1847759065
		tmp3 := z1 + z2*fix0765366865
		z2, z3 = c[i], c[32+i]
		tmp0 := (z2 + z3) << constBits
		tmp1 := (z2 - z3) << constBits
		tmp10, tmp13 := tmp0+tmp3, tmp0-tmp3
		tmp11, tmp12 := tmp1+tmp2, tmp1-tmp2
		t0, t1, t2, t3 := c[56+i], c[40+i], c[24+i], c[8+i]
		z1 = t0 + t3
		z2 = t1 + t2
		z3 = t0 + t2
		z4 := t1 + t3
		z5 := (z3 + z4) * fix1175875602
		t0 *= fix0298631336
		t1 *= fix2053119869
		t2 *= fix3072711026
		t3 *= fix1501321110
		z1 *= -fix0899976223
		z2 *= -fix2562915447
		z3 = z3*-fix1961570560 + z5
		z4 = z4*-fix0390180644 + z5
		t0 += z1 + z3
		t1 += z2 + z4
		t2 += z2 + z3
		t3 += z1 + z4
		const sh = constBits - pass1Bits
		const rnd = 1 << (sh - 1)
		ws[i] = (tmp10 + t3 + rnd) >> sh
		ws[56+i] = (tmp10 - t3 + rnd) >> sh
		ws[8+i] = (tmp11 + t2 + rnd) >> sh
		ws[48+i] = (tmp11 - t2 + rnd) >> sh
		ws[16+i] = (tmp12 + t1 + rnd) >> sh
		ws[40+i] = (tmp12 - t1 + rnd) >> sh
		ws[24+i] = (tmp13 + t0 + rnd) >> sh
		ws[32+i] = (tmp13 - t0 + rnd) >> sh
	}
	// Pass 2: rows of the workspace to samples.
	const sh = constBits + pass1Bits + 3
	const rnd = 1 << (sh - 1)
	for i := 0; i < 64; i += 8 {
		w := ws[i : i+8 : i+8]
		o := out[(i/8)*stride:][:8]
		if w[1]|w[2]|w[3]|w[4]|w[5]|w[6]|w[7] == 0 {
			v := rangeLimit((w[0]+1<<(pass1Bits+2))>>(pass1Bits+3) + 128)
			for k := range o {
				o[k] = v
			}
			continue
		}
		z2, z3 := w[2], w[6]
		z1 := (z2 + z3) * fix0541196100
		tmp2 := z1 - z3*fix1847759065
		tmp3 := z1 + z2*fix0765366865
		tmp0 := (w[0] + w[4]) << constBits
		tmp1 := (w[0] - w[4]) << constBits
		tmp10, tmp13 := tmp0+tmp3, tmp0-tmp3
		tmp11, tmp12 := tmp1+tmp2, tmp1-tmp2
		t0, t1, t2, t3 := w[7], w[5], w[3], w[1]
		z1 = t0 + t3
		z2 = t1 + t2
		z3 = t0 + t2
		z4 := t1 + t3
		z5 := (z3 + z4) * fix1175875602
		t0 *= fix0298631336
		t1 *= fix2053119869
		t2 *= fix3072711026
		t3 *= fix1501321110
		z1 *= -fix0899976223
		z2 *= -fix2562915447
		z3 = z3*-fix1961570560 + z5
		z4 = z4*-fix0390180644 + z5
		t0 += z1 + z3
		t1 += z2 + z4
		t2 += z2 + z3
		t3 += z1 + z4
		o[0] = rangeLimit((tmp10+t3+rnd)>>sh + 128)
		o[7] = rangeLimit((tmp10-t3+rnd)>>sh + 128)
		o[1] = rangeLimit((tmp11+t2+rnd)>>sh + 128)
		o[6] = rangeLimit((tmp11-t2+rnd)>>sh + 128)
		o[2] = rangeLimit((tmp12+t1+rnd)>>sh + 128)
		o[5] = rangeLimit((tmp12-t1+rnd)>>sh + 128)
		o[3] = rangeLimit((tmp13+t0+rnd)>>sh + 128)
		o[4] = rangeLimit((tmp13-t0+rnd)>>sh + 128)
	}
}

var jpegTables cache[int, *[2]quantTable]

// The standard (JPEG Annex K) luminance and chrominance tables, in natural order.
var stdQuant = [2][64]int32{{
	16, 11, 10, 16, 24, 40, 51, 61,
	12, 12, 14, 19, 26, 58, 60, 55,
	14, 13, 16, 24, 40, 57, 69, 56,
	14, 17, 22, 29, 51, 87, 80, 62,
	18, 22, 37, 56, 68, 109, 103, 77,
	24, 35, 55, 64, 81, 104, 113, 92,
	49, 64, 78, 87, 103, 121, 120, 101,
	72, 92, 95, 98, 112, 100, 103, 99,
}, {
	17, 18, 24, 47, 99, 99, 99, 99,
	18, 21, 26, 66, 99, 99, 99, 99,
	24, 26, 56, 99, 99, 99, 99, 99,
	47, 66, 99, 99, 99, 99, 99, 99,
	99, 99, 99, 99, 99, 99, 99, 99,
	99, 99, 99, 99, 99, 99, 99, 99,
	99, 99, 99, 99, 99, 99, 99, 99,
	99, 99, 99, 99, 99, 99, 99, 99,
}}

// quantTables scales the standard tables to quality as jpeg_set_quality does (forcing
// baseline entries ≤ 255).
func quantTables(quality int) *[2]quantTable {
	quality = max(1, min(quality, 100))
	scale := int64(200 - 2*quality)
	if quality < 50 {
		scale = 5000 / int64(quality)
	}
	var t [2][64]int32
	for c := range t {
		for i := range t[c] {
			v := (int64(stdQuant[c][i])*scale + 50) / 100
			t[c][i] = int32(max(1, min(v, 255)))
		}
	}
	var q [2][64]int64
	for c := range t {
		for i, v := range t[c] {
			q[c][i] = int64(v)
		}
	}
	return &[2]quantTable{newQuantTable(q[0]), newQuantTable(q[1])}
}

// Fixed-point colour conversion tables of libjpeg (16 fractional bits): ycc[0..2] give
// Y from R, G, B (rounding folded into ycc[0]); ycc[3..5] Cb from R, G, B, where
// ycc[5] = 0.5·x plus the offset and rounding also serves as Cr's R term; ycc[6..7]
// Cr from G, B. crR, cbB, crG and cbG are jdcolor.c's decoding tables.
var ycc, crR, cbB, crG, cbG = colourTables()

func colourTables() (ycc [8][256]int32, crR, cbB, crG, cbG [256]int32) {
	fix := func(x float64) int32 { return int32(float64(x*65536) + 0.5) }
	const half = 1 << 15
	const cbcrOffset = 128 << 16
	for i := int32(0); i < 256; i++ {
		ycc[0][i] = fix(0.29900)*i + half
		ycc[1][i] = fix(0.58700) * i
		ycc[2][i] = fix(0.11400) * i
		ycc[3][i] = -fix(0.16874) * i
		ycc[4][i] = -fix(0.33126) * i
		ycc[5][i] = fix(0.5)*i + cbcrOffset + half - 1
		ycc[6][i] = -fix(0.41869) * i
		ycc[7][i] = -fix(0.08131) * i
		x := i - 128
		crR[i] = (fix(1.40200)*x + half) >> 16
		cbB[i] = (fix(1.77200)*x + half) >> 16
		crG[i] = -fix(0.71414) * x
		cbG[i] = -fix(0.34414)*x + half
	}
	return
}
