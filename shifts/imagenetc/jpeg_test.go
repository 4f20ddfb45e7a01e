package imagenetc

import (
	"bytes"
	"fmt"
	"image"
	"testing"

	"github.com/shiftgen/shiftgen/shifts/rgba"
)

// TestJPEGTurboMatchesGo checks that libjpeg-turbo (in builds with the turbojpeg tag)
// and the Go version of its pipeline give the same bytes: on the committed 224-px
// images at the five severities and other qualities, and on sizes that are not whole
// 16×16 blocks. Skipped when the build has no libjpeg-turbo.
func TestJPEGTurboMatchesGo(t *testing.T) {
	if !turboRoundTrip(image.NewRGBA(image.Rect(0, 0, 8, 8)), 50) {
		t.Skip("built without libjpeg-turbo (the turbojpeg tag)")
	}
	imgs := testImages(t)
	if testing.Short() {
		imgs = imgs[:2]
	}
	imgs = append(imgs, synthetic(57, 43, 9), synthetic(1, 1, 2), synthetic(17, 9, 4), synthetic(16, 33, 5))
	qualities := []int{1, 7, 10, 15, 18, 25, 50, 85, 100}
	for i, img := range imgs {
		for _, q := range qualities {
			turbo := rgba.Clone(img)
			if !turboRoundTrip(turbo, q) {
				t.Fatalf("libjpeg-turbo failed on image %d at quality %d", i, q)
			}
			goPath := JPEG{Quality: q}.corruptGo(rgba.Clone(img))
			if !bytes.Equal(turbo.Pix, goPath.Pix) {
				t.Errorf("image %d (%v) at quality %d: libjpeg-turbo and the Go pipeline differ in %s", i, img.Rect.Size(), q, diffSummary(turbo.Pix, goPath.Pix))
			}
		}
	}
}

// diffSummary counts the bytes where a and b differ and the largest difference.
func diffSummary(a, b []uint8) string {
	n, worst := 0, 0
	for i := range a {
		if d := int(a[i]) - int(b[i]); d != 0 {
			n++
			worst = max(worst, d, -d)
		}
	}
	return fmt.Sprintf("%d bytes (largest difference %d)", n, worst)
}
