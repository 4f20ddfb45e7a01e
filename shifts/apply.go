package shifts

import (
	"image"
)

// Apply converts src to a fresh opaque *image.RGBA whose bounds start at (0, 0) and
// applies t to it (a nil t only converts), so the caller's image is never modified. Any
// colour model is accepted (Gray, Paletted, NRGBA, YCbCr, CMYK, RGBA64, ...). Alpha is
// dropped the way PIL's convert("RGB") and torchvision's loader drop it: every pixel keeps
// its straight (non-premultiplied) colour and becomes fully opaque.
func Apply(t Transform, src image.Image, k Key) *image.RGBA {
	img := ToRGBA(src)
	if t == nil {
		return img
	}
	return t.Apply(img, k)
}

// A Recorder is a Transform whose Apply makes per-image choices worth recording in the
// manifest (Pad's tint class, for instance). Record returns them for the image keyed by k
// (the Key Apply receives), or nil.
type Recorder interface {
	Record(k Key) map[string]any
}
