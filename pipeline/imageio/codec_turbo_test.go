//go:build turbojpeg && cgo

package imageio

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/shiftgen/shiftgen/pipeline/internal/testimage"
)

func TestTurboName(t *testing.T) {
	if n := DefaultCodec().Name(); !strings.HasPrefix(n, "libjpeg-turbo") {
		t.Fatalf("DefaultCodec().Name() = %q, want libjpeg-turbo <version>", n)
	}
}

// TestJPEGScale checks the choice of DCT scale: the smallest power of two whose result
// still satisfies the hint, never the M/8 ones, full size for the zero hint.
func TestJPEGScale(t *testing.T) {
	for _, c := range []struct {
		w, h   int
		hint   Hint
		ww, wh int
	}{
		{500, 375, Hint{Short: 256}, 500, 375},
		{1000, 750, Hint{Short: 256}, 500, 375},
		{1001, 513, Hint{Short: 256}, 501, 257},
		{1001, 511, Hint{Short: 256}, 501, 256}, // ceil(511/2) = 256 is enough
		{1001, 509, Hint{Short: 256}, 1001, 509},
		{2100, 1100, Hint{Short: 256}, 525, 275},
		{4000, 3000, Hint{Short: 256}, 500, 375},
		{8000, 6000, Hint{Short: 256}, 1000, 750}, // 1/8 is the smallest scale offered
		{1000, 750, Hint{Long: 256}, 500, 375},
		{1000, 750, Hint{}, 1000, 750},
		{200, 100, Hint{Short: 256}, 200, 100}, // already too small: full size
		{600, 400, Hint{Short: 256}, 600, 400},
	} {
		if w, h, _ := jpegScaleDenom(c.w, c.h, c.hint); w != c.ww || h != c.wh {
			t.Errorf("jpegScaleDenom(%d, %d, %+v) = %d×%d, want %d×%d", c.w, c.h, c.hint, w, h, c.ww, c.wh)
		}
	}
}

// TestTurboDecode decodes JPEGs at 1/1, 1/2 and 1/4 and a grayscale one: opaque RGBA of
// the scaled size, the full size reported, and (at 1/1) pixels close to image/jpeg's.
func TestTurboDecode(t *testing.T) {
	for _, c := range []struct {
		name  string
		data  []byte
		full  image.Point
		size  image.Point
		close bool
	}{
		{"full", testimage.EncodeJPEG(t, testimage.Photo(1, 500, 375), 92), image.Pt(500, 375), image.Pt(500, 375), true},
		{"half", testimage.EncodeJPEG(t, testimage.Photo(2, 1100, 620), 92), image.Pt(1100, 620), image.Pt(550, 310), false},
		{"quarter", testimage.EncodeJPEG(t, testimage.Photo(3, 1040, 1100), 92), image.Pt(1040, 1100), image.Pt(260, 275), false},
		{"gray", testimage.EncodeJPEG(t, testimage.Gray(testimage.Photo(4, 300, 400)), 92), image.Pt(300, 400), image.Pt(300, 400), true},
	} {
		img, full, err := turbo.decodeInto(c.data, Hint{Short: 256}, 0, nil)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if full != c.full || img.Rect != (image.Rectangle{Max: c.size}) {
			t.Errorf("%s: decoded %v of %v, want %v of %v", c.name, img.Rect, full, c.size, c.full)
		}
		for i := 3; i < len(img.Pix); i += 4 {
			if img.Pix[i] != 255 {
				t.Fatalf("%s: alpha %d at byte %d", c.name, img.Pix[i], i)
			}
		}
		if c.name == "gray" {
			for i := 0; i < len(img.Pix); i += 4 {
				if img.Pix[i] != img.Pix[i+1] || img.Pix[i] != img.Pix[i+2] {
					t.Fatalf("gray: pixel %v is not gray", img.Pix[i:i+4])
				}
			}
		}
		if c.close {
			want, err := GoCodec{}.Decode(c.data, Hint{}, 0)
			if err != nil {
				t.Fatal(err)
			}
			if d := testimage.MeanAbsDiff(t, img, want); d > 1.5 {
				t.Errorf("%s: differs from image/jpeg by %.2f per channel on average", c.name, d)
			}
		}
	}
}

// TestTurboFallbacks checks the inputs libjpeg-turbo hands to the Go decoder: other
// formats, damaged JPEGs and headers libjpeg-turbo cannot read give exactly GoCodec's
// result or error.
func TestTurboFallbacks(t *testing.T) {
	var png bytes.Buffer
	if err := pngEncoder.Encode(&png, testimage.Photo(5, 40, 30)); err != nil {
		t.Fatal(err)
	}
	jpg := testimage.EncodeJPEG(t, testimage.Photo(6, 64, 48), 90)
	for name, data := range map[string][]byte{
		"png":       png.Bytes(),
		"truncated": jpg[:len(jpg)/2],
		"header":    jpg[:20],
		"soi only":  {0xff, 0xd8},
		"garbage":   []byte("not an image at all"),
		"empty":     {},
	} {
		want, werr := GoCodec{}.Decode(data, Hint{}, 0)
		got, gerr := turbo.Decode(data, Hint{Short: 256}, 0)
		if (werr == nil) != (gerr == nil) || (werr != nil && werr.Error() != gerr.Error()) {
			t.Errorf("%s: error %v, GoCodec's %v", name, gerr, werr)
			continue
		}
		if werr == nil && (!bytes.Equal(got.Pix, want.Pix) || got.Rect != want.Rect) {
			t.Errorf("%s: pixels differ from GoCodec's", name)
		}
	}
}

// TestTurboAfterFailure decodes a good JPEG after each kind of failure and wants the
// same pixels each time: a TurboJPEG instance that failed is not reused (one that could
// not read a header decodes the next image differently).
func TestTurboAfterFailure(t *testing.T) {
	good := testimage.EncodeJPEG(t, testimage.Photo(20, 300, 280), 90)
	want, err := turbo.Decode(good, Hint{Short: 256}, 0)
	if err != nil {
		t.Fatal(err)
	}
	jpg := testimage.EncodeJPEG(t, testimage.Photo(6, 64, 48), 90)
	for _, bad := range [][]byte{jpg[:len(jpg)/2], jpg[:20], jpg[:200], {0xff, 0xd8, 0xff}} {
		for range 3 { // more failures than pooled instances
			if _, err := turbo.Decode(bad, Hint{Short: 256}, 0); err == nil {
				t.Fatalf("%d bytes of a JPEG decoded", len(bad))
			}
		}
		got, err := turbo.Decode(good, Hint{Short: 256}, 0)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Pix, want.Pix) {
			t.Fatalf("after failing on %d bytes, a good JPEG decodes differently", len(bad))
		}
	}
}

// TestTurboMaxPixels refuses a JPEG from its header, with ErrTooLarge.
func TestTurboMaxPixels(t *testing.T) {
	jpg := testimage.EncodeJPEG(t, testimage.Photo(7, 100, 80), 90)
	if _, err := turbo.Decode(jpg, Hint{}, 7999); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("100×80 JPEG with max 7999 pixels: %v, want ErrTooLarge", err)
	}
	if _, err := turbo.Decode(jpg, Hint{}, 8000); err != nil {
		t.Fatalf("100×80 JPEG with max 8000 pixels: %v", err)
	}
}

// sampling returns the components' sampling factors from a JPEG's SOF0/SOF2 header,
// e.g. "22 11 11" for 4:2:0.
func sampling(t testing.TB, jpg []byte) string {
	t.Helper()
	for i := 2; i+4 <= len(jpg); {
		if jpg[i] != 0xff {
			t.Fatalf("no marker at %d", i)
		}
		m, n := jpg[i+1], int(jpg[i+2])<<8|int(jpg[i+3])
		if m == 0xc0 || m == 0xc2 {
			seg := jpg[i+4 : i+2+n]
			var f []string
			for c := 0; c < int(seg[5]); c++ {
				s := seg[6+3*c+1]
				f = append(f, fmt.Sprintf("%d%d", s>>4, s&15))
			}
			return strings.Join(f, " ")
		}
		i += 2 + n
	}
	t.Fatal("no SOF0/SOF2 marker")
	return ""
}

// TestTurboEncode checks the JPEG encoder: 4:2:0 like GoCodec, the same quantisation
// for the same quality, pixels close to the input, deterministic, errors for bad
// qualities; PNG is GoCodec's, byte for byte.
func TestTurboEncode(t *testing.T) {
	img := testimage.Photo(8, 256, 256)
	a, err := turbo.Encode(img, JPEG, 95)
	if err != nil {
		t.Fatal(err)
	}
	b, err := turbo.Encode(img, JPEG, 95)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Error("two encodings of one image differ")
	}
	g, err := GoCodec{}.Encode(img, JPEG, 95)
	if err != nil {
		t.Fatal(err)
	}
	if sa, sg := sampling(t, a), sampling(t, g); sa != "22 11 11" || sa != sg {
		t.Errorf("sampling %q, GoCodec's %q, want 22 11 11 (4:2:0)", sa, sg)
	}
	if qa, qg := quantTables(t, a), quantTables(t, g); !bytes.Equal(qa, qg) {
		t.Errorf("quantisation tables differ from GoCodec's at quality 95")
	}
	back, err := GoCodec{}.Decode(a, Hint{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	backGo, err := GoCodec{}.Decode(g, Hint{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if d, dg := testimage.MeanAbsDiff(t, back, img), testimage.MeanAbsDiff(t, backGo, img); d > dg+0.25 {
		t.Errorf("decoded JPEG differs from its source by %.2f per channel on average, GoCodec's by %.2f", d, dg)
	}
	for _, q := range []int{0, 101} {
		if _, err := turbo.Encode(img, JPEG, q); err == nil {
			t.Errorf("quality %d accepted", q)
		}
	}
	pt, err := turbo.Encode(img, PNG, 0)
	if err != nil {
		t.Fatal(err)
	}
	pg, err := GoCodec{}.Encode(img, PNG, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(pt, pg) {
		t.Error("PNG differs from GoCodec's")
	}
	sub := img.SubImage(image.Rect(10, 20, 110, 90)).(*image.RGBA)
	s, err := turbo.Encode(sub, JPEG, 90)
	if err != nil {
		t.Fatal(err)
	}
	back, err = GoCodec{}.Decode(s, Hint{}, 0)
	if err != nil || back.Rect.Size() != image.Pt(100, 70) {
		t.Errorf("sub-image encoding decodes to %v, %v", back, err)
	}
}

// quantTables returns the payloads of a JPEG's DQT segments, concatenated.
func quantTables(t testing.TB, jpg []byte) []byte {
	t.Helper()
	var q []byte
	for i := 2; i+4 <= len(jpg) && jpg[i+1] != 0xda; {
		n := int(jpg[i+2])<<8 | int(jpg[i+3])
		if jpg[i+1] == 0xdb {
			q = append(q, jpg[i+4:i+2+n]...)
		}
		i += 2 + n
	}
	return q
}

// TestTurboConcurrent decodes and encodes from many goroutines at once (run with
// -race) and wants the results of one goroutine.
func TestTurboConcurrent(t *testing.T) {
	var inputs [][]byte
	for i := range 4 {
		inputs = append(inputs, testimage.EncodeJPEG(t, testimage.Photo(uint64(20+i), 300+50*i, 280+90*i), 90))
	}
	want := make([][]byte, len(inputs))
	for i, d := range inputs {
		var s Scratch
		want[i] = bytes.Clone(scratchBytes(t, &s, d))
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var s Scratch
			for k := range 6 {
				i := (g + k) % len(inputs)
				if got := scratchBytes(t, &s, inputs[i]); !bytes.Equal(got, want[i]) {
					errs <- fmt.Errorf("goroutine %d, input %d: different bytes", g, i)
					return
				}
				s.Reset()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func scratchBytes(t testing.TB, s *Scratch, data []byte) []byte {
	img, full, err := s.Decode(turbo, data, Hint{Short: 256}, 0)
	if err != nil {
		t.Error(err)
		return nil
	}
	out, err := s.Encode(turbo, s.Preprocess(PaperPreprocess, "val", img, full), JPEG, 95)
	if err != nil {
		t.Error(err)
	}
	return out
}

// TestTurboPILInputs decodes JPEGs Pillow writes that image/jpeg's encoder cannot:
// CMYK (handed to the Go decoder, so exactly GoCodec's pixels), progressive and 4:4:4
// (close to GoCodec's). When Pillow uses the same libjpeg-turbo version (as Debian's
// python3-pil does), a full-scale decode must be identical to its convert('RGB'), and
// an encode to its save(quality=95).
func TestTurboPILInputs(t *testing.T) {
	py := needPIL(t)
	dir := t.TempDir()
	testimage.WriteFile(t, filepath.Join(dir, "go420.jpg"), testimage.EncodeJPEG(t, testimage.Photo(30, 333, 250), 95))
	src := testimage.Photo(31, 256, 256)
	testimage.WriteFile(t, filepath.Join(dir, "src.rgb"), testimage.RGBBytes(src))
	script := `
import sys, numpy as np
from PIL import Image, features
d = sys.argv[1]
yy, xx = np.mgrid[0:300, 0:400]
a = np.dstack([xx * 255 // 400, yy * 255 // 300, (xx + yy) * 255 // 700]).astype(np.uint8)
a = np.clip(a.astype(int) + np.random.RandomState(0).randint(-9, 10, a.shape), 0, 255).astype(np.uint8)
Image.fromarray(a).convert('CMYK').save(d + '/cmyk.jpg', quality=90)
Image.fromarray(a).save(d + '/progressive.jpg', quality=90, progressive=True)
Image.fromarray(a).save(d + '/444.jpg', quality=90, subsampling=0)
for n in ['progressive', '444', 'go420']:
    open(d + '/' + n + '.rgb', 'wb').write(Image.open(d + '/' + n + '.jpg').convert('RGB').tobytes())
open(d + '/version', 'w').write(str(features.version('libjpeg_turbo')))
Image.frombytes('RGB', (256, 256), open(d + '/src.rgb', 'rb').read()).save(d + '/saved.jpg', 'JPEG', quality=95)
`
	if out, err := exec.Command(py, "-c", script, dir).CombinedOutput(); err != nil {
		t.Fatalf("Pillow: %v\n%s", err, out)
	}
	pilTurbo, err := os.ReadFile(filepath.Join(dir, "version"))
	if err != nil {
		t.Fatal(err)
	}
	sameLib := "libjpeg-turbo "+string(pilTurbo) == turbo.Name()
	saved, err := os.ReadFile(filepath.Join(dir, "saved.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	ours, err := turbo.Encode(src, JPEG, 95)
	if err != nil {
		t.Fatal(err)
	}
	if eq := bytes.Equal(ours, saved); sameLib && !eq {
		t.Errorf("JPEG differs from Pillow's save(quality=95) with the same libjpeg-turbo (%s)", pilTurbo)
	}
	for _, name := range []string{"cmyk", "progressive", "444", "go420"} {
		data, err := os.ReadFile(filepath.Join(dir, name+".jpg"))
		if err != nil {
			t.Fatal(err)
		}
		want, err := GoCodec{}.Decode(data, Hint{}, 0)
		if err != nil {
			t.Fatal(err)
		}
		got, err := turbo.Decode(data, Hint{}, 0)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if name == "cmyk" {
			if !bytes.Equal(got.Pix, want.Pix) {
				t.Errorf("cmyk: pixels differ from GoCodec's")
			}
			continue
		}
		if d := testimage.MeanAbsDiff(t, got, want); d > 1.5 {
			t.Errorf("%s: differs from image/jpeg by %.2f per channel on average", name, d)
		}
		pil, err := os.ReadFile(filepath.Join(dir, name+".rgb"))
		if err != nil {
			t.Fatal(err)
		}
		if eq := bytes.Equal(testimage.RGBBytes(got), pil); sameLib && !eq {
			t.Errorf("%s: differs from Pillow's decode with the same libjpeg-turbo (%s)", name, pilTurbo)
		} else if !sameLib {
			t.Logf("%s: Pillow uses libjpeg-turbo %q, we %q; identical: %v", name, pilTurbo, turbo.Name(), eq)
		}
	}
}
