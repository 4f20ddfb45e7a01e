package imagenetc

import (
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
	"time"
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

func cloneRGBA(img *image.RGBA) *image.RGBA {
	c := *img
	c.Pix = append([]uint8(nil), img.Pix...)
	return &c
}

// BenchmarkCorrupt times every corruption at every severity on one 224×224 image.
func BenchmarkCorrupt(b *testing.B) {
	src := testImages(b)[0]
	for _, info := range Catalogue() {
		for s, c := range info.Severities {
			b.Run(fmt.Sprintf("%s/%d", info.Name, s+1), func(b *testing.B) {
				b.ReportAllocs()
				r := rand.New(rand.NewPCG(1, 2))
				img := cloneRGBA(src)
				c.Corrupt(cloneRGBA(src), r) // warm the caches
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

// TestSpeedTable prints, for every corruption and severity, the time of one call on a
// 224×224 image: the minimum over SHIFTGEN_IMAGENETC_SPEED repetitions per committed
// image, averaged over the images (shiftgen's side of the README's table, which
// cmd/benchreport measures side by side with the reference). Skipped unless the
// variable is set; run it on one core, e.g. GOMAXPROCS=1 taskset -c 1 go test -run
// SpeedTable.
func TestSpeedTable(t *testing.T) {
	reps, _ := strconv.Atoi(os.Getenv("SHIFTGEN_IMAGENETC_SPEED"))
	if reps <= 0 {
		t.Skip("set SHIFTGEN_IMAGENETC_SPEED=N to time every corruption N times per image")
	}
	imgs := testImages(t)
	work := cloneRGBA(imgs[0])
	total := 0.0
	for _, info := range Catalogue() {
		for s, c := range info.Severities {
			r := rand.New(rand.NewPCG(1, 2))
			c.Corrupt(cloneRGBA(imgs[0]), r) // warm the caches
			ms := 0.0
			for _, img := range imgs {
				best := time.Duration(math.MaxInt64)
				for i := 0; i < reps; i++ {
					copy(work.Pix, img.Pix)
					t0 := time.Now()
					c.Corrupt(work, r)
					best = min(best, time.Since(t0))
				}
				ms += best.Seconds() * 1000 / float64(len(imgs))
			}
			total += ms
			t.Logf("%-18s %d %8.3f ms", info.Name, s+1, ms)
		}
	}
	t.Logf("all 19×5: %.1f ms", total)
}
