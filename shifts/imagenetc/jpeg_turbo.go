package imagenetc

import (
	"image"

	"github.com/shiftgen/shiftgen/shifts/imagenetc/internal/turbo"
)

// turboRoundTrip runs img through libjpeg-turbo in place at quality when the build has
// it (the turbojpeg tag); false leaves img unchanged for the Go pipeline.
func turboRoundTrip(img *image.RGBA, quality int) bool {
	w, h := dims(img)
	return turbo.RoundTrip(img.Pix, w, h, img.Stride, quality)
}
