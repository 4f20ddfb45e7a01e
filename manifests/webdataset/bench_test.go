package webdataset

import (
	"bytes"
	"fmt"
	"image/jpeg"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

var benchData struct {
	once    sync.Once
	samples []Sample
}

// benchSamples returns 500 samples of 256×192 JPEG images (quality 90) with records.
func benchSamples(b *testing.B) []Sample {
	benchData.once.Do(func() {
		for i := 0; i < 500; i++ {
			var buf bytes.Buffer
			if err := jpeg.Encode(&buf, testPixels(256, 192, uint64(i)), &jpeg.Options{Quality: 90}); err != nil {
				b.Fatal(err)
			}
			js := fmt.Sprintf(`{"distribution":"shifted","split":"val","index":%d,"label":%d,"tint_class":3}`, i, i%10)
			benchData.samples = append(benchData.samples, Sample{Key: fmt.Sprintf("val-%08d", i), Image: buf.Bytes(), ImageExt: "jpg", Label: i % 10, JSON: []byte(js)})
		}
	})
	return benchData.samples
}

// BenchmarkWrite compares writing the same 500 images as tar shards (the default
// shard size: one shard) and as 500 loose files (temporary name, then rename, in class
// folders), side by side.
func BenchmarkWrite(b *testing.B) {
	samples := benchSamples(b)
	size := 0
	for _, s := range samples {
		size += len(s.Image)
	}
	b.Run("shards", func(b *testing.B) {
		b.SetBytes(int64(size))
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			dir := b.TempDir()
			w, err := Create(dir, filepath.Join(dir, ".work"), "shifted-val", Options{})
			if err != nil {
				b.Fatal(err)
			}
			for _, s := range samples {
				if _, err := w.Append(s); err != nil {
					b.Fatal(err)
				}
			}
			if _, err := w.Finish(); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(samples)*b.N)/b.Elapsed().Seconds(), "images/s")
	})
	b.Run("loose", func(b *testing.B) {
		b.SetBytes(int64(size))
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			dir := b.TempDir()
			for k, s := range samples {
				sub := filepath.Join(dir, fmt.Sprintf("n%08d", s.Label))
				os.MkdirAll(sub, 0o755)
				final := filepath.Join(sub, fmt.Sprintf("%06d.jpg", k))
				if err := os.WriteFile(final+".tmp", s.Image, 0o644); err != nil {
					b.Fatal(err)
				}
				os.Rename(final+".tmp", final)
			}
		}
		b.ReportMetric(float64(len(samples)*b.N)/b.Elapsed().Seconds(), "images/s")
	})
}
