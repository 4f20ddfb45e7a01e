package imageio

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/shiftgen/shiftgen/pipeline/internal/testimage"
)

// pilPython returns a python interpreter with Pillow and NumPy, or "".
func pilPython() string {
	for _, p := range []string{"python3", "/usr/bin/python3"} {
		if exec.Command(p, "-c", "import PIL, numpy").Run() == nil {
			return p
		}
	}
	return ""
}

// needPIL returns pilPython's interpreter, skipping t in -short mode (calling Python
// is slow) or when there is none.
func needPIL(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("short mode: calls Python")
	}
	py := pilPython()
	if py == "" {
		t.Skip("no python3 with Pillow and NumPy (Debian python3-pil, python3-numpy)")
	}
	return py
}

// TestDecodeMatchesPIL writes images in many colour models with Pillow and checks that
// our decode + ToRGBA gives the pixels of Pillow's convert('RGB'): exactly for lossless
// formats and lossy WebP, closely for JPEG (image/jpeg's IDCT is not libjpeg's; the
// chroma upsampling and colour conversion are).
func TestDecodeMatchesPIL(t *testing.T) {
	py := needPIL(t)
	dir := t.TempDir()
	script := `
import sys, os, numpy as np
from PIL import Image
d = sys.argv[1]
rs = np.random.RandomState(3)
a = (rs.rand(23, 31, 3) * 255).astype(np.uint8)
Image.fromarray(a).save(d + '/rgb.png')
Image.fromarray(a).save(d + '/png_named.JPEG', format='PNG')
rgba = np.dstack([a, (rs.rand(23, 31) * 255).astype(np.uint8)])
Image.fromarray(rgba, 'RGBA').save(d + '/rgba.png')
Image.fromarray(a).convert('LA').save(d + '/la.png')
Image.fromarray(a).convert('P', palette=Image.ADAPTIVE, colors=16).save(d + '/palette.png')
p = Image.fromarray(a).convert('P', palette=Image.ADAPTIVE, colors=16); p.info['transparency'] = 3
p.save(d + '/palette_trns.png', transparency=3)
Image.fromarray((rs.rand(23, 31) * 255).astype(np.uint8)).save(d + '/gray.png')
Image.fromarray((rs.rand(23, 31) * 600).astype(np.uint16)).save(d + '/gray16.png')
Image.fromarray(a).save(d + '/rgb.bmp')
Image.fromarray(a).save(d + '/rgb.tiff')
Image.fromarray(a).save(d + '/rgb.ppm')
Image.fromarray(a[:, :, 0]).save(d + '/gray.pgm')
Image.fromarray(a).save(d + '/rgb.gif')
Image.fromarray(a).save(d + '/lossless.webp', lossless=True)
Image.fromarray(a).save(d + '/lossy.webp', quality=80)
Image.fromarray(rgba, 'RGBA').save(d + '/lossy_alpha.webp', quality=70)
yy, xx = np.mgrid[0:40, 0:52]
s = np.dstack([xx * 4, yy * 5, (xx + yy) * 2]).astype(np.uint8)  # smooth: JPEG decoders agree closely
Image.fromarray(s).save(d + '/rgb.jpg', quality=95)
Image.fromarray(s[:, :, 1]).save(d + '/gray.jpg', quality=95)
Image.fromarray(s).convert('CMYK').save(d + '/cmyk.jpg', quality=95)
Image.fromarray(a).save(d + '/noisy420.jpg', quality=90)
Image.fromarray(a).save(d + '/noisy422.jpg', quality=90, subsampling=1)
Image.fromarray(a).save(d + '/noisy444.jpg', quality=90, subsampling=0)
for f in sorted(os.listdir(d)):
    if f.endswith('.rgb'): continue
    np.asarray(Image.open(d + '/' + f).convert('RGB')).tofile(d + '/' + f + '.rgb')
`
	if out, err := exec.Command(py, "-c", script, dir).CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	entries, _ := os.ReadDir(dir)
	n := 0
	for _, e := range entries {
		name := e.Name()
		if strings.HasSuffix(name, ".rgb") {
			continue
		}
		n++
		data, _ := os.ReadFile(filepath.Join(dir, name))
		want, _ := os.ReadFile(filepath.Join(dir, name+".rgb"))
		img, err := decodeAny(data, 0)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		got := testimage.RGBBytes(img)
		if len(got) != len(want) {
			t.Errorf("%s: %d bytes, want %d", name, len(got), len(want))
			continue
		}
		var sum, worst int
		for i := range got {
			d := int(got[i]) - int(want[i])
			if d < 0 {
				d = -d
			}
			sum += d
			worst = max(worst, d)
		}
		mean := float64(sum) / float64(len(got))
		if strings.HasSuffix(name, ".jpg") {
			if mean > 0.1 || worst > 3 {
				t.Errorf("%s: mean abs difference from Pillow %.2f (worst %d)", name, mean, worst)
			}
		} else if sum != 0 {
			t.Errorf("%s: differs from Pillow's convert('RGB'): mean %.3f, worst %d", name, mean, worst)
		}
	}
	if n != 22 {
		t.Fatalf("checked %d files", n)
	}
}

// TestGoJPEGAgainstPillow measures the pure-Go JPEG decode against Pillow's (libjpeg-
// turbo) on the sample embedded in the binary: the figures the README states.
func TestGoJPEGAgainstPillow(t *testing.T) {
	py := needPIL(t)
	files, _ := filepath.Glob("../../cmd/shiftgen/sample/*/*")
	if len(files) != 48 {
		t.Fatalf("%d sample files", len(files))
	}
	out := t.TempDir()
	script := `
import sys, os, numpy as np
from PIL import Image
for i, f in enumerate(sys.argv[2:]):
    np.asarray(Image.open(f).convert('RGB')).tofile(os.path.join(sys.argv[1], str(i)))
`
	if b, err := exec.Command(py, append([]string{"-c", script, out}, files...)...).CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	var sum, n, worst int
	for i, f := range files {
		data, _ := os.ReadFile(f)
		want, _ := os.ReadFile(filepath.Join(out, strconv.Itoa(i)))
		img, err := GoCodec{}.Decode(data, Hint{}, 0)
		if err != nil {
			t.Fatal(err)
		}
		got := testimage.RGBBytes(img)
		if len(got) != len(want) {
			t.Fatalf("%s: %d bytes, Pillow %d", f, len(got), len(want))
		}
		for i := range got {
			d := int(got[i]) - int(want[i])
			sum += max(d, -d)
			worst = max(worst, d, -d)
		}
		n += len(got)
	}
	mean := float64(sum) / float64(n)
	t.Logf("pure-Go JPEG decode vs Pillow over %d samples: mean %.4f, worst %d", n, mean, worst)
	if mean > 0.04 || worst > 3 {
		t.Errorf("pure-Go JPEG decode differs from Pillow by %.4f on average, %d at worst; the README states 0.036 and 3", mean, worst)
	}
}

func TestDecodeRefusals(t *testing.T) {
	_, err := decodeAny(testimage.HugePNG(20000, 20000), 0)
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "--max-pixels") {
		t.Fatalf("huge header: %v", err)
	}
	if _, err := decodeAny(testimage.HugePNG(100, 100), 5000); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("custom limit: %v", err)
	}
	for name, data := range map[string][]byte{
		"empty":  nil,
		"random": []byte("\x13\x37 random bytes that are no image at all"),
		"header": testimage.HugePNG(10, 10), // valid header, no pixel data
	} {
		if _, err := decodeAny(data, 0); err == nil {
			t.Errorf("%s: decoded without error", name)
		}
	}
	// A 1×1 image decodes.
	var buf bytes.Buffer
	one := image.NewNRGBA(image.Rect(0, 0, 1, 1))
	one.Set(0, 0, color.NRGBA{10, 20, 30, 0})
	png.Encode(&buf, one)
	img, err := decodeAny(buf.Bytes(), 0)
	if err != nil || !bytes.Equal(img.Pix, []byte{10, 20, 30, 255}) {
		t.Fatalf("1×1: %v %v", img, err)
	}
	// A truncated JPEG fails cleanly.
	jpg, err := os.ReadFile("../../testdata/imagefolder/val/cat/cat_0.JPEG")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := decodeAny(jpg[:len(jpg)/2], 0); err == nil {
		t.Fatal("truncated JPEG decoded")
	}
}
