package imagenetc

import (
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/shiftgen/shiftgen/shifts/rgba"
)

// testImages loads the committed 224-px test images (testdata/imagenetc/*.png).
func testImages(tb testing.TB) []*image.RGBA {
	tb.Helper()
	files, _ := filepath.Glob("../../testdata/imagenetc/*.png")
	sort.Strings(files)
	if len(files) == 0 {
		tb.Fatal("no test images in testdata/imagenetc")
	}
	var out []*image.RGBA
	for _, f := range files {
		out = append(out, loadPNG(tb, f))
	}
	return out
}

func loadPNG(tb testing.TB, path string) *image.RGBA {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	im, err := png.Decode(f)
	if err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
	out := image.NewRGBA(image.Rect(0, 0, im.Bounds().Dx(), im.Bounds().Dy()))
	draw.Draw(out, out.Rect, im, im.Bounds().Min, draw.Src)
	return out
}

// BenchmarkCorrupt times every corruption at every severity on one 224×224 image.
func BenchmarkCorrupt(b *testing.B) {
	src := testImages(b)[0]
	for _, info := range Catalogue() {
		for s, c := range info.Severities {
			b.Run(fmt.Sprintf("%s/%d", info.Name, s+1), func(b *testing.B) {
				b.ReportAllocs()
				r := rand.New(rand.NewPCG(1, 2))
				img := rgba.Clone(src)
				c.Corrupt(rgba.Clone(src), r) // warm the caches
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					b.StopTimer()
					copy(img.Pix, src.Pix)
					b.StartTimer()
					c.Corrupt(img, r)
				}
			})
		}
	}
}

// BenchmarkSpeedTable times one call of every corruption at every severity on each
// committed 224×224 image in turn and reports the mean per image in ms/image (the
// README's table). Run it on one core, e.g.
// GOMAXPROCS=1 taskset -c 1 go test -run '^$' -bench SpeedTable -benchtime 10x.
func BenchmarkSpeedTable(b *testing.B) {
	imgs := testImages(b)
	work := rgba.Clone(imgs[0])
	for _, info := range Catalogue() {
		for s, c := range info.Severities {
			b.Run(fmt.Sprintf("%s/%d", info.Name, s+1), func(b *testing.B) {
				b.ReportAllocs()
				r := rand.New(rand.NewPCG(1, 2))
				c.Corrupt(rgba.Clone(imgs[0]), r) // warm the caches
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					for _, img := range imgs {
						b.StopTimer()
						copy(work.Pix, img.Pix)
						b.StartTimer()
						c.Corrupt(work, r)
					}
				}
				b.ReportMetric(float64(b.Elapsed())/1e6/float64(b.N*len(imgs)), "ms/image")
			})
		}
	}
}
