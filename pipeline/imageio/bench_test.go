package imageio

import (
	"image"
	"os"
	"path/filepath"
	"testing"

	"github.com/shiftgen/shiftgen/pipeline/internal/testimage"

	"github.com/shiftgen/shiftgen/shifts"
)

// benchJPEG returns a JPEG of the most common ImageNet size, 500×375: the sample's
// tench when ../shared is there, else a synthetic photograph-like image.
func benchJPEG(b *testing.B) []byte {
	matches, _ := filepath.Glob("../../../shared/imagenet-sample/n01440764/*.JPEG")
	if len(matches) > 0 {
		if data, err := os.ReadFile(matches[0]); err == nil {
			return data
		}
	}
	return testimage.EncodeJPEG(b, testimage.Photo(1, 500, 375), 90)
}

// benchImage returns the 256×256 preprocessed image of benchJPEG.
func benchImage(b *testing.B) *image.RGBA {
	img, err := GoCodec{}.Decode(benchJPEG(b), Hint{}, 0)
	if err != nil {
		b.Fatal(err)
	}
	var s Scratch
	return s.Preprocess(PaperPreprocess, "val", img, img.Rect.Max)
}

// BenchmarkDecode decodes a 500×375 JPEG (full scale) and a 1000×750 one (half scale
// where the codec can) for a 256 shorter side, into reused memory.
func BenchmarkDecode(b *testing.B) {
	inputs := []struct {
		name string
		data []byte
	}{
		{"500x375", benchJPEG(b)},
		{"1000x750", testimage.EncodeJPEG(b, testimage.Photo(2, 1000, 750), 90)},
	}
	for _, c := range codecs() {
		for _, in := range inputs {
			b.Run(c.Name()+"/"+in.name, func(b *testing.B) {
				var s Scratch
				b.ReportAllocs()
				b.SetBytes(int64(len(in.data)))
				for b.Loop() {
					if _, _, err := s.Decode(c, in.data, Hint{Short: 256}, 0); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkResize is the paper's val preprocessing of a 500×375 image (resize to
// 341×256, centre crop 256×256), with the SIMD passes where they run and in pure Go.
func BenchmarkResize(b *testing.B) {
	src, err := GoCodec{}.Decode(benchJPEG(b), Hint{}, 0)
	if err != nil {
		b.Fatal(err)
	}
	g := PaperPreprocess.Geometry("val", src.Rect.Dx(), src.Rect.Dy())
	for _, generic := range []bool{false, true} {
		name := "simd"
		if generic {
			name = "go"
		}
		b.Run(name, func(b *testing.B) {
			r := resizer{generic: generic}
			var pix []uint8
			b.ReportAllocs()
			for b.Loop() {
				pix = r.resizeCrop(pix, src, src.Rect.Max, g.W, g.H, g.Crop).Pix
			}
		})
	}
}

// BenchmarkTint is the paper's tint of a 256×256 image, building its lookup table.
func BenchmarkTint(b *testing.B) {
	img := benchImage(b)
	t := shifts.Tint{Color: [3]float64{0.3, 0.6, 0.1}, Alpha: 0.25}
	b.ReportAllocs()
	for b.Loop() {
		t.Apply(img, shifts.Key{})
	}
}

// BenchmarkVFlip is the paper's vertical flip of a 256×256 image.
func BenchmarkVFlip(b *testing.B) {
	img := benchImage(b)
	b.ReportAllocs()
	for b.Loop() {
		shifts.VFlip{}.Apply(img, shifts.Key{})
	}
}

// BenchmarkEncode encodes a 256×256 image as JPEG (quality 95) and PNG into reused
// memory.
func BenchmarkEncode(b *testing.B) {
	img := benchImage(b)
	for _, c := range codecs() {
		for _, f := range []Format{JPEG, PNG} {
			b.Run(c.Name()+"/"+string(f), func(b *testing.B) {
				var s Scratch
				b.ReportAllocs()
				for b.Loop() {
					if _, err := s.Encode(c, img, f, 95); err != nil {
						b.Fatal(err)
					}
					s.Reset()
				}
			})
		}
	}
}

// BenchmarkImage is spurious-tint's work on one image without file I/O: decode,
// preprocess, then two tinted copies encoded as JPEG.
func BenchmarkImage(b *testing.B) {
	data := benchJPEG(b)
	tints := []shifts.Tint{{Color: [3]float64{0.3, 0.6, 0.1}, Alpha: 0.25}, {Color: [3]float64{0.9, 0.2, 0.5}, Alpha: 0.25}}
	for _, c := range codecs() {
		b.Run(c.Name(), func(b *testing.B) {
			var s Scratch
			b.ReportAllocs()
			for b.Loop() {
				img, full, err := s.Decode(c, data, Hint{Short: 256}, 0)
				if err != nil {
					b.Fatal(err)
				}
				pre := s.Preprocess(PaperPreprocess, "val", img, full)
				for i, t := range tints {
					src := pre
					if i < len(tints)-1 {
						src = s.Clone(pre)
					}
					if _, err := s.Encode(c, t.Apply(src, shifts.Key{}), JPEG, 95); err != nil {
						b.Fatal(err)
					}
				}
				s.Reset()
			}
		})
	}
}
