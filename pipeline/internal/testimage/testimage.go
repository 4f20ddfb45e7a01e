// Package testimage makes the small synthetic images and folders that the tests of
// pipeline and its image I/O share. It is for tests only.
package testimage

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// EncodeJPEG returns img as a JPEG of the given quality (image/jpeg, 4:2:0).
func EncodeJPEG(t testing.TB, img image.Image, quality int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: quality}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// EncodePNG returns img as a PNG.
func EncodePNG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Photo returns a w×h opaque image closer to a photograph than random noise: smooth
// shapes, edges and mild noise, seeded by seed.
func Photo(seed uint64, w, h int) *image.RGBA {
	r := rand.New(rand.NewPCG(seed, 11))
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	cx, cy, rad := r.Float64()*float64(w), r.Float64()*float64(h), float64(min(w, h))/3
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			p := img.Pix[y*img.Stride+4*x:]
			dx, dy := float64(x)-cx, float64(y)-cy
			in := 0.0
			if dx*dx+dy*dy < rad*rad {
				in = 90
			}
			n := float64(r.IntN(13)) - 6
			p[0] = uint8(min(255, 40+in+150*float64(x)/float64(w)+n))
			p[1] = uint8(min(255, 60+100*math.Sin(float64(y)/17)*0.5+50+n))
			p[2] = uint8(min(255, 200-in-80*float64(y)/float64(h)+n))
			p[3] = 255
		}
	}
	return img
}

// Gray returns img's green channel as a grayscale image.
func Gray(img *image.RGBA) *image.Gray {
	g := image.NewGray(img.Rect)
	for i := range g.Pix {
		g.Pix[i] = img.Pix[4*i+1]
	}
	return g
}

// WriteFile writes data to path, making its folders.
func WriteFile(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// WritePNG writes a w×h PNG whose pixel (x, y) is f(x, y).
func WritePNG(t testing.TB, path string, w, h int, f func(x, y int) color.RGBA) {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.SetRGBA(x, y, f(x, y))
		}
	}
	WriteFile(t, path, EncodePNG(t, img))
}

// Gradient is a colour ramp for WritePNG.
func Gradient(x, y int) color.RGBA {
	return color.RGBA{uint8(x * 7), uint8(y * 11), uint8((x + y) * 5), 255}
}

// ReadTree returns every regular file under dir, keyed by slash path.
func ReadTree(t testing.TB, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if fi.Mode().IsRegular() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(dir, p)
			out[filepath.ToSlash(rel)] = b
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// MeanAbsDiff returns the mean absolute difference over the R, G and B bytes of two
// images of the same size.
func MeanAbsDiff(t testing.TB, a, b *image.RGBA) float64 {
	t.Helper()
	if a.Rect.Size() != b.Rect.Size() {
		t.Fatalf("sizes differ: %v vs %v", a.Rect, b.Rect)
	}
	var sum, n int
	w, h := a.Rect.Dx(), a.Rect.Dy()
	for y := 0; y < h; y++ {
		ra := a.Pix[a.PixOffset(a.Rect.Min.X, a.Rect.Min.Y+y):][:4*w]
		rb := b.Pix[b.PixOffset(b.Rect.Min.X, b.Rect.Min.Y+y):][:4*w]
		for i := 0; i < 4*w; i++ {
			if i%4 == 3 {
				continue
			}
			d := int(ra[i]) - int(rb[i])
			sum += max(d, -d)
			n++
		}
	}
	return float64(sum) / float64(n)
}

// JPEGTree writes a val-only ImageFolder of JPEGs that a scaling codec decodes at 1/1,
// 1/2 and 1/4 for a 256 shorter side, a grayscale JPEG and a PNG.
func JPEGTree(t testing.TB) string {
	root := t.TempDir()
	WriteFile(t, filepath.Join(root, "a", "full.jpg"), EncodeJPEG(t, Photo(1, 500, 375), 92))
	WriteFile(t, filepath.Join(root, "a", "half.jpg"), EncodeJPEG(t, Photo(2, 1100, 620), 92))
	WriteFile(t, filepath.Join(root, "b", "gray.jpg"), EncodeJPEG(t, Gray(Photo(3, 300, 400)), 92))
	WriteFile(t, filepath.Join(root, "b", "quarter.jpg"), EncodeJPEG(t, Photo(4, 1040, 1100), 92))
	WriteFile(t, filepath.Join(root, "b", "png.JPEG"), EncodePNG(t, Photo(5, 300, 280)))
	return root
}

// HugePNG returns a PNG header declaring w×h pixels (with valid CRCs) and no data.
func HugePNG(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 2
	binary.Write(&b, binary.BigEndian, uint32(13))
	chunk := append([]byte("IHDR"), ihdr...)
	b.Write(chunk)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(chunk))
	return b.Bytes()
}

// RGBBytes returns img's pixels as packed RGB bytes, row by row.
func RGBBytes(img *image.RGBA) []byte {
	var out []byte
	for i := 0; i < len(img.Pix); i += 4 {
		out = append(out, img.Pix[i:i+3]...)
	}
	return out
}
