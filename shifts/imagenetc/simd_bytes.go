package imagenetc

// Byte-level vector primitives: moving pixels between RGBA images and packed RGB
// buffers, bytes to floats, and floats back to bytes with the reference's final
// truncation. On amd64 with AVX2 the bulk runs in assembly, the rest (and every other
// platform, and the purego build tag) in the Go loops below, which define the results:
// the assembly is bit-identical to them.

// packRGB copies the colour bytes of len(dst)/3 RGBA pixels: dst[3i+c] = src[4i+c].
func packRGB(dst, src []uint8) {
	n := len(dst) / 3
	src = src[:4*n]
	done := 0
	if useAVX2 && n >= 8 {
		// Each step reads 16 bytes (4 pixels) and writes 12.
		done = 4 * packRGBSSSE3(dst, src, n/4)
	}
	packRGBGo(dst[3*done:], src[4*done:])
}

// unpackRGB writes len(src)/3 packed RGB pixels into the colour bytes of RGBA pixels,
// leaving alpha as it is: dst[4i+c] = src[3i+c].
func unpackRGB(dst, src []uint8) {
	n := len(src) / 3
	dst = dst[:4*n]
	done := 0
	if useAVX2 && n >= 8 {
		// Each step reads 16 bytes of src (4 pixels and 4 bytes more).
		done = 4 * unpackRGBSSSE3(dst, src, (n-2)/4)
	}
	unpackRGBGo(dst[4*done:], src[3*done:])
}

// bytesToF32 sets dst[i] = float32(src[i]).
func bytesToF32(dst []float32, src []uint8) {
	src = src[:len(dst)]
	done := 0
	if useAVX2 && len(dst) >= 8 {
		done = bytesToF32AVX2(dst, src)
	}
	for i := done; i < len(dst); i++ {
		dst[i] = float32(src[i])
	}
}

// bytesToUnit sets dst[i] = float32(float64(src[i]) / 255), NumPy's x/255 rounded to
// float32.
func bytesToUnit(dst []float32, src []uint8) {
	src = src[:len(dst)]
	done := 0
	if useAVX2 && len(dst) >= 4 {
		done = bytesToUnitAVX2(dst, src)
	}
	for i := done; i < len(dst); i++ {
		dst[i] = float32(float64(src[i]) / 255)
	}
}

// addTrunc sets d[i] = trunc8f(x[i] + y[i]) and calls flat(i) afterwards for every i
// with y[i] == 0 and z[i] == 0 (the blurs' flat samples, which take the reference's
// own rounding of a flat area instead), in increasing order.
func addTrunc(d []uint8, x, y, z []float32, flat func(i int)) {
	x, y, z = x[:len(d)], y[:len(d)], z[:len(d)]
	done := 0
	if useAVX2 && len(d) >= 8 {
		var small [128]int32
		marks := small[:]
		if len(d)/8 > len(small) {
			pooled := i32pool.get(len(d) / 8)
			defer i32pool.put(pooled)
			marks = pooled
		}
		k := addTruncAVX2(d, x, y, z, marks)
		done = len(d) &^ 7
		for _, b := range marks[:k] {
			for i := int(b) * 8; i < int(b)*8+8; i++ {
				if y[i] == 0 && z[i] == 0 {
					flat(i)
				}
			}
		}
	}
	for i := done; i < len(d); i++ {
		d[i] = trunc8f(x[i] + y[i])
		if y[i] == 0 && z[i] == 0 {
			flat(i)
		}
	}
}

// meanTrunc sets d[i] = trunc8f(clip01f((x[i] + y[i]) / div) · 255).
func meanTrunc(d []uint8, x, y []float32, div float32) {
	x, y = x[:len(d)], y[:len(d)]
	done := 0
	if useAVX2 && len(d) >= 8 {
		done = meanTruncAVX2(d, x, y, div)
	}
	for i := done; i < len(d); i++ {
		d[i] = trunc8f(clip01f((x[i]+y[i])/div) * 255)
	}
}

func packRGBGo(dst, src []uint8) {
	n := len(dst) / 3
	src = src[:4*n]
	for i := 0; i < n; i++ {
		d, s := dst[3*i:3*i+3:3*i+3], src[4*i:4*i+3:4*i+3]
		d[0], d[1], d[2] = s[0], s[1], s[2]
	}
}

func unpackRGBGo(dst, src []uint8) {
	n := len(src) / 3
	dst = dst[:4*n]
	for i := 0; i < n; i++ {
		d, s := dst[4*i:4*i+3:4*i+3], src[3*i:3*i+3:3*i+3]
		d[0], d[1], d[2] = s[0], s[1], s[2]
	}
}

var i32pool pool[int32]

// defocusFinish sets d[i] = trunc8(s[i]/n + float64(a[i]) + float64(dsum·float64(c[i]))),
// the last step of DefocusBlur.
func defocusFinish(d []uint8, s []float64, a []float32, c []uint8, n, dsum float64) {
	s, a, c = s[:len(d)], a[:len(d)], c[:len(d)]
	done := 0
	if useAVX2 && len(d) >= 4 {
		done = defocusFinishAVX2(d, s, a, c, n, dsum)
	}
	for i := done; i < len(d); i++ {
		d[i] = trunc8(s[i]/n + float64(a[i]) + float64(dsum*float64(c[i])))
	}
}

// The 5×5 chamfer weights of OpenCV's distanceTransform (DIST_L2, mask 5) in 16-bit
// fixed point: round(1·2¹⁶), round(1.4·2¹⁶), round(2.1969·2¹⁶).
const (
	chamferH = 65536
	chamferD = 91750
	chamferL = 143976
)

// chamfer7 sets up[x] to the smallest of a[x]+L, a[x+2]+L, b[x]+L, b[x+1]+D, b[x+2]+H,
// b[x+3]+D and b[x+4]+L: the distance transform's neighbours in the two rows already
// done (a two rows away, starting one column left; b one row away, starting two columns
// left). a needs len(up)+2 values, b len(up)+4.
func chamfer7(up, a, b []uint32) {
	a, b = a[:len(up)+2], b[:len(up)+4]
	done := 0
	if useAVX2 && len(up) >= 8 {
		done = chamfer7AVX2(up, a, b)
	}
	for x := done; x < len(up); x++ {
		up[x] = min(a[x]+chamferL, a[x+2]+chamferL, b[x]+chamferL, b[x+1]+chamferD, b[x+2]+chamferH,
			b[x+3]+chamferD, b[x+4]+chamferL)
	}
}
