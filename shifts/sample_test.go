package shifts

import (
	"image"
	_ "image/jpeg" // the ImageNet sample is JPEG
	"os"
	"path/filepath"
	"testing"
)

// sampleRoot is the shared ImageNet sample beside the repository (absent on most
// machines: the tests that use it then rely on their synthetic images only).
const sampleRoot = "../../shared/imagenet-sample"

// sampleImages returns up to n image paths of the shared ImageNet sample, from evenly
// spaced classes, or none when it is absent.
func sampleImages(t *testing.T, n int) []string {
	t.Helper()
	all, _ := filepath.Glob(filepath.Join(sampleRoot, "n*", "*.JPEG"))
	if len(all) == 0 {
		t.Log("../shared/imagenet-sample is absent: synthetic images only")
		return nil
	}
	var out []string
	for i := range min(n, len(all)) {
		out = append(out, all[i*len(all)/n])
	}
	return out
}

// loadSample decodes the sample image at path and returns its central 256×256 (or
// smaller) crop as opaque RGBA.
func loadSample(t *testing.T, path string) *image.RGBA {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	b := img.Bounds()
	w, h := min(b.Dx(), 256), min(b.Dy(), 256)
	x0, y0 := b.Min.X+(b.Dx()-w)/2, b.Min.Y+(b.Dy()-h)/2
	return ToRGBA(img.(interface {
		SubImage(image.Rectangle) image.Image
	}).SubImage(image.Rect(x0, y0, x0+w, y0+h)))
}
