package ffcv

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var benchData struct {
	once     sync.Once
	raw, jpg []Sample
}

// benchSamples returns 500 images of 256×192 (the paper's stored size for a 4:3
// photo), as raw pixels and as JPEG (quality 90).
func benchSamples(b *testing.B) (raw, jpg []Sample) {
	benchData.once.Do(func() {
		for i := 0; i < 500; i++ {
			pix := testImage(256, 192, 30, uint64(i))
			benchData.raw = append(benchData.raw, Sample{Label: int64(i), Mode: Raw, Width: 256, Height: 192, Payload: pix})
			benchData.jpg = append(benchData.jpg, Sample{Label: int64(i), Mode: JPG, Width: 256, Height: 192, Payload: encodeJPEG(b, pix, 256, 192, 90)})
		}
	})
	return benchData.raw, benchData.jpg
}

// writeBeton writes samples to dir/out.beton as a run would: work files, then the
// final file through a temporary name, synced and renamed.
func writeBeton(b *testing.B, dir string, samples []Sample) {
	w, err := Create(filepath.Join(dir, "work"), Options{})
	if err != nil {
		b.Fatal(err)
	}
	for _, s := range samples {
		if _, err := w.Append(s); err != nil {
			b.Fatal(err)
		}
	}
	tmp := filepath.Join(dir, ".out.beton.tmp")
	f, err := os.Create(tmp)
	if err != nil {
		b.Fatal(err)
	}
	if err := w.Finish(f); err != nil {
		b.Fatal(err)
	}
	f.Sync()
	f.Close()
	os.Rename(tmp, filepath.Join(dir, "out.beton"))
	w.Remove()
}

// writeLoose writes each payload to its own file (temporary name, then rename), in
// class folders, as the folder output does.
func writeLoose(b *testing.B, dir string, samples []Sample, ext string) {
	for i, s := range samples {
		sub := filepath.Join(dir, fmt.Sprintf("n%08d", i%10))
		os.MkdirAll(sub, 0o755)
		final := filepath.Join(sub, fmt.Sprintf("%06d.%s", i, ext))
		tmp := final + ".tmp"
		if err := os.WriteFile(tmp, s.Payload, 0o644); err != nil {
			b.Fatal(err)
		}
		os.Rename(tmp, final)
	}
}

// BenchmarkWrite compares writing the same 500 payloads into one .beton file and as
// 500 loose files, side by side.
func BenchmarkWrite(b *testing.B) {
	raw, jpg := benchSamples(b)
	for _, c := range []struct {
		name    string
		samples []Sample
		loose   string
	}{{"raw", raw, ""}, {"jpg", jpg, ""}, {"raw", raw, "rgb"}, {"jpg", jpg, "jpg"}} {
		name := "beton-" + c.name
		if c.loose != "" {
			name = "loose-" + c.name
		}
		b.Run(name, func(b *testing.B) {
			bytes := 0
			for _, s := range c.samples {
				bytes += len(s.Payload)
			}
			b.SetBytes(int64(bytes))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				dir := b.TempDir()
				if c.loose != "" {
					writeLoose(b, dir, c.samples, c.loose)
				} else {
					writeBeton(b, dir, c.samples)
				}
			}
			b.ReportMetric(float64(len(c.samples)*b.N)/b.Elapsed().Seconds(), "images/s")
		})
	}
}

// loadScript prepares the 500 sample images as the paper's writer does (Pillow decode,
// FFCV's max_resolution=256 resize), then, once the Go side has written its .beton
// from those pixels, writes FFCV's own with ffcv.writer.DatasetWriter and times the
// loader on both, alternating, with CenterCropRGBImageDecoder (variable sizes), OS
// cache, 2 workers, batch 100, over six rounds (order alternating; medians).
const loadScript = `
import sys, os, json, time, glob
import numpy as np
mode, d = sys.argv[1], sys.argv[2]
if mode == 'prep':
    from PIL import Image
    from ffcv.fields.rgb_image import resizer
    out = []
    for i, f in enumerate(sorted(glob.glob(sys.argv[3] + '/*/*.JPEG'))):
        a = resizer(np.asarray(Image.open(f).convert('RGB')), 256)
        p = os.path.join(d, '%d.rgb' % i)
        np.ascontiguousarray(a).tofile(p)
        out.append({'pixels': p, 'w': a.shape[1], 'h': a.shape[0], 'label': i})
    json.dump(out, open(os.path.join(d, 'prep.json'), 'w'))
    sys.exit(0)
from ffcv.writer import DatasetWriter
from ffcv.fields import RGBImageField, IntField
from ffcv.loader import Loader, OrderOption
from ffcv.fields.decoders import CenterCropRGBImageDecoder, IntDecoder
items = json.load(open(os.path.join(d, 'prep.json')))
class DS:
    def __len__(self): return len(items)
    def __getitem__(self, i):
        s = items[i]
        return np.fromfile(s['pixels'], np.uint8).reshape(s['h'], s['w'], 3), s['label']
theirs = os.path.join(d, 'ffcv.beton')
t0 = time.perf_counter()
DatasetWriter(theirs, {'image': RGBImageField(max_resolution=256), 'label': IntField()}, num_workers=1).from_indexed_dataset(DS())
write_s = time.perf_counter() - t0
def load(path):
    l = Loader(path, batch_size=100, num_workers=2, os_cache=True, order=OrderOption.SEQUENTIAL, drop_last=False,
               pipelines={'image': [CenterCropRGBImageDecoder((224, 224), 224 / 256)], 'label': [IntDecoder()]})
    for _ in l: pass  # compile
    t = time.perf_counter()
    n = 0
    for images, labels in l: n += len(labels)
    return time.perf_counter() - t, n
times = {'ours': [], 'ffcv': []}
pair = [('ours', os.path.join(d, 'ours.beton')), ('ffcv', theirs)]
for r in range(6):
    for k, p in (pair if r % 2 == 0 else pair[::-1]):
        t, n = load(p)
        times[k].append(t)
same = open(os.path.join(d, 'ours.beton'), 'rb').read() == open(theirs, 'rb').read()
print(json.dumps({'ours': sorted(times['ours'])[3], 'ffcv': sorted(times['ffcv'])[3], 'n': n, 'ffcv_write': write_s, 'identical': same}))
`

// BenchmarkFFCVLoad times FFCV's loader on our .beton next to one written by FFCV's own
// writer from the same pixels (the 500-image sample), and our writer next to FFCV's.
// Run it with -benchtime=1x; it needs ../shared/imagenet-sample and python3-ffcv.
func BenchmarkFFCVLoad(b *testing.B) {
	sample := "../../../shared/imagenet-sample"
	if _, err := os.Stat(sample); err != nil {
		b.Skip("../shared/imagenet-sample is absent")
	}
	py := ffcvPython(b)
	for i := 0; i < b.N; i++ {
		dir := b.TempDir()
		if out, err := exec.Command(py, "-c", loadScript, "prep", dir, sample).CombinedOutput(); err != nil {
			b.Fatalf("%v\n%s", err, out)
		}
		var items []struct {
			Pixels string
			W, H   int
			Label  int64
		}
		j, _ := os.ReadFile(filepath.Join(dir, "prep.json"))
		json.Unmarshal(j, &items)
		var samples []Sample
		for _, it := range items {
			p, err := os.ReadFile(it.Pixels)
			if err != nil {
				b.Fatal(err)
			}
			samples = append(samples, Sample{Label: it.Label, Mode: Raw, Width: it.W, Height: it.H, Payload: p})
		}
		t0 := time.Now()
		writeBeton(b, dir, samples)
		goWrite := time.Since(t0).Seconds()
		os.Rename(filepath.Join(dir, "out.beton"), filepath.Join(dir, "ours.beton"))
		out, err := exec.Command(py, "-c", loadScript, "load", dir).Output()
		if err != nil {
			b.Fatalf("%v\n%s", err, out)
		}
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		var res struct {
			Ours      float64 `json:"ours"`
			FFCV      float64 `json:"ffcv"`
			FFCVWrite float64 `json:"ffcv_write"`
			Identical bool    `json:"identical"`
		}
		if err := json.Unmarshal([]byte(lines[len(lines)-1]), &res); err != nil {
			b.Fatalf("%v\n%s", err, out)
		}
		b.ReportMetric(res.Ours, "load-ours-s")
		b.ReportMetric(res.FFCV, "load-ffcv-s")
		b.ReportMetric(res.Ours/res.FFCV, "load-ratio")
		b.ReportMetric(goWrite, "write-ours-s")
		b.ReportMetric(res.FFCVWrite, "write-ffcv-s")
		identical := 0.0
		if res.Identical {
			identical = 1
		}
		b.ReportMetric(identical, "identical")
	}
}
