package pipeline

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shiftgen/shiftgen/manifests"
	"github.com/shiftgen/shiftgen/shifts"
)

// encodeJPEG returns img as a JPEG of the given quality (image/jpeg, 4:2:0).
func encodeJPEG(t testing.TB, img image.Image, quality int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: quality}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// photoRGBA returns a w×h opaque image closer to a photograph than randomRGBA: smooth
// shapes, edges and mild noise, seeded by seed.
func photoRGBA(seed uint64, w, h int) *image.RGBA {
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

// grayOf returns img's green channel as a grayscale image.
func grayOf(img *image.RGBA) *image.Gray {
	g := image.NewGray(img.Rect)
	for i := range g.Pix {
		g.Pix[i] = img.Pix[4*i+1]
	}
	return g
}

// jpegTree writes a val-only ImageFolder of JPEGs that a scaling codec decodes at 1/1,
// 1/2 and 1/4 for a 256 shorter side, a grayscale JPEG and a PNG.
func jpegTree(t testing.TB) string {
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "a", "full.jpg"), encodeJPEG(t, photoRGBA(1, 500, 375), 92))
	writeFile(t, filepath.Join(root, "a", "half.jpg"), encodeJPEG(t, photoRGBA(2, 1100, 620), 92))
	writeFile(t, filepath.Join(root, "b", "gray.jpg"), encodeJPEG(t, grayOf(photoRGBA(3, 300, 400)), 92))
	writeFile(t, filepath.Join(root, "b", "quarter.jpg"), encodeJPEG(t, photoRGBA(4, 1040, 1100), 92))
	var png bytes.Buffer
	if err := pngEncoder.Encode(&png, photoRGBA(5, 300, 280)); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(root, "b", "png.JPEG"), png.Bytes())
	return root
}

// codecs returns the pure-Go codec and, when this build has another, the default one.
func codecs() []Codec {
	cs := []Codec{GoCodec{}}
	if DefaultCodec().Name() != (GoCodec{}).Name() {
		cs = append(cs, DefaultCodec())
	}
	return cs
}

// runTree runs spurious-tint over root with codec c and returns the files written,
// without run.json (which holds times).
func runTree(t testing.TB, root string, c Codec, workers int) map[string][]byte {
	t.Helper()
	out := t.TempDir()
	if _, err := Run(context.Background(), Options{In: root, Out: out, Workers: workers, Codec: c,
		Shifts: []string{"spurious-tint"}, TintTableSize: 100}); err != nil {
		t.Fatal(err)
	}
	tree := readTree(t, out)
	for k := range tree {
		if strings.HasSuffix(k, manifests.RunFile) {
			delete(tree, k)
		}
	}
	return tree
}

// TestCodecsDeterministic runs the pipeline twice with each codec, with 1 and 4
// workers, and wants the same bytes in every file; the manifest names the codec.
func TestCodecsDeterministic(t *testing.T) {
	root := jpegTree(t)
	for _, c := range codecs() {
		t.Run(c.Name(), func(t *testing.T) {
			a, b := runTree(t, root, c, 1), runTree(t, root, c, 4)
			if len(a) != len(b) || len(a) != 2*5+2 {
				t.Fatalf("%d and %d files, want %d", len(a), len(b), 2*5+2)
			}
			for k, v := range a {
				if !bytes.Equal(v, b[k]) {
					t.Errorf("%s differs between two runs", k)
				}
			}
			m, err := manifests.ParseManifest(a["spurious-tint/manifest.json"])
			if err != nil {
				t.Fatal(err)
			}
			if m.Codec != c.Name() {
				t.Errorf("manifest codec %q, want %q", m.Codec, c.Name())
			}
		})
	}
}

// meanAbsDiff returns the mean absolute difference over the R, G and B bytes of two
// images of the same size.
func meanAbsDiff(t testing.TB, a, b *image.RGBA) float64 {
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

// TestFastPathMatchesGoPath runs the pipeline with the default codec and with the
// pure-Go one: the same files, of the same sizes, whose pixels differ by at most 3 per
// channel on average (different decoders and encoders, same geometry and maths).
func TestFastPathMatchesGoPath(t *testing.T) {
	if DefaultCodec().Name() == (GoCodec{}).Name() {
		t.Skip("this build has only the pure-Go codec (build with -tags turbojpeg)")
	}
	root := jpegTree(t)
	fast, slow := runTree(t, root, DefaultCodec(), 2), runTree(t, root, GoCodec{}, 2)
	if len(fast) != len(slow) {
		t.Fatalf("%d vs %d files", len(fast), len(slow))
	}
	for k, v := range slow {
		if !strings.HasSuffix(k, ".jpg") {
			continue
		}
		a, err := GoCodec{}.Decode(v, Hint{}, 0)
		if err != nil {
			t.Fatal(k, err)
		}
		b, err := GoCodec{}.Decode(fast[k], Hint{}, 0)
		if err != nil {
			t.Fatal(k, err)
		}
		if d := meanAbsDiff(t, a, b); d > 3 {
			t.Errorf("%s: fast path differs from the Go path by %.2f per channel on average", k, d)
		} else {
			t.Logf("%s: mean abs difference %.2f", k, d)
		}
	}
}

// TestScratchReuse runs images of different sizes and kinds through one Scratch, in an
// order that grows and shrinks every buffer, and wants the bytes a fresh Scratch gives.
func TestScratchReuse(t *testing.T) {
	root := jpegTree(t)
	files := []string{"a/half.jpg", "b/gray.jpg", "b/quarter.jpg", "a/full.jpg", "b/png.JPEG", "a/half.jpg"}
	for _, c := range codecs() {
		var reused Scratch
		for _, f := range files {
			var fresh Scratch
			want := scratchPath(t, &fresh, c, filepath.Join(root, f))
			got := scratchPath(t, &reused, c, filepath.Join(root, f))
			if len(want) != 2 || len(got) != 2 {
				t.Fatalf("%s %s: %d and %d encodings", c.Name(), f, len(want), len(got))
			}
			for i := range want {
				if !bytes.Equal(want[i], got[i]) {
					t.Errorf("%s %s: encoding %d differs with a reused Scratch", c.Name(), f, i)
				}
			}
			reused.Reset()
		}
	}
}

// scratchPath reads, decodes and preprocesses one file with s, then encodes the result
// and a brightened copy (at another quality); it returns copies of both encodings.
func scratchPath(t testing.TB, s *Scratch, c Codec, path string) [][]byte {
	t.Helper()
	data, err := s.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	img, full, err := s.Decode(c, data, Hint{Short: 256}, 0)
	if err != nil {
		t.Fatal(err)
	}
	pre := s.Preprocess(PaperPreprocess, "val", img, full)
	if pre.Rect != image.Rect(0, 0, 256, 256) {
		t.Fatalf("%s: preprocessed to %v", path, pre.Rect)
	}
	a, err := s.Encode(c, pre, JPEG, 90)
	if err != nil {
		t.Fatal(err)
	}
	cl := s.Clone(pre)
	for i := range cl.Pix {
		cl.Pix[i] |= 0x40
	}
	b, err := s.Encode(c, cl, JPEG, 75)
	if err != nil {
		t.Fatal(err)
	}
	// a must survive the second Encode.
	return [][]byte{bytes.Clone(a), bytes.Clone(b)}
}

// TestGoCodecAppendEncode checks that appendEncode keeps what dst held and appends
// exactly what Encode returns.
func TestGoCodecAppendEncode(t *testing.T) {
	img := randomRGBA(9, 40, 30)
	for _, f := range []Format{JPEG, PNG} {
		want, err := GoCodec{}.Encode(img, f, 90)
		if err != nil {
			t.Fatal(err)
		}
		got, err := GoCodec{}.appendEncode([]byte("prefix"), img, f, 90)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(got, []byte("prefix")) || !bytes.Equal(got[6:], want) {
			t.Errorf("%s: appendEncode differs from Encode", f)
		}
	}
	if _, err := (GoCodec{}).Encode(img, Format("gif"), 90); err == nil {
		t.Error("unknown format accepted")
	}
}

// TestToRGBAYCbCrFastPath checks the row-wise YCbCr conversion against image/color's
// per-pixel one, for every subsampling ratio and odd sizes.
func TestToRGBAYCbCrFastPath(t *testing.T) {
	ratios := []image.YCbCrSubsampleRatio{image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio422,
		image.YCbCrSubsampleRatio420, image.YCbCrSubsampleRatio440, image.YCbCrSubsampleRatio411,
		image.YCbCrSubsampleRatio410}
	src := randomRGBA(11, 37, 23)
	for _, r := range ratios {
		y := image.NewYCbCr(image.Rect(0, 0, 37, 23), r)
		for i := range y.Y {
			y.Y[i] = src.Pix[(i*4)%len(src.Pix)]
		}
		for i := range y.Cb {
			y.Cb[i], y.Cr[i] = src.Pix[(i*4+1)%len(src.Pix)], src.Pix[(i*4+2)%len(src.Pix)]
		}
		got := shifts.ToRGBA(y)
		for py := 0; py < 23; py++ {
			for px := 0; px < 37; px++ {
				c := y.YCbCrAt(px, py)
				want := [3]uint8{}
				want[0], want[1], want[2] = color.YCbCrToRGB(c.Y, c.Cb, c.Cr)
				o := got.PixOffset(px, py)
				if [3]uint8(got.Pix[o:o+3]) != want || got.Pix[o+3] != 255 {
					t.Fatalf("%v (%d,%d): got %v, want %v", r, px, py, got.Pix[o:o+4], want)
				}
			}
		}
	}
}
