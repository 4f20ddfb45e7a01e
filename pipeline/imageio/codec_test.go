package imageio

import (
	"bytes"
	"image"
	"path/filepath"
	"testing"

	"github.com/shiftgen/shiftgen/pipeline/internal/testimage"

	"github.com/shiftgen/shiftgen/shifts"
)

// codecs returns the pure-Go codec and, when this build has another, the default one.
func codecs() []Codec {
	cs := []Codec{GoCodec{}}
	if DefaultCodec().Name() != (GoCodec{}).Name() {
		cs = append(cs, DefaultCodec())
	}
	return cs
}

// TestScratchReuse runs images of different sizes and kinds through one Scratch, in an
// order that grows and shrinks every buffer, and wants the bytes a fresh Scratch gives.
func TestScratchReuse(t *testing.T) {
	root := testimage.JPEGTree(t)
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
	data, err := s.ReadFile(path, 0)
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

// TestToRGBAYCbCrFastPath checks the row-wise YCbCr conversion, for every subsampling
// ratio and odd sizes, against libjpeg's arithmetic written out per pixel: 4:2:0 chroma
// is (9·nearest + 3·horizontal + 3·vertical + diagonal neighbour + 8 or 7) / 16 and
// 4:2:2 chroma (3·nearest + neighbour + 1 or 2) / 4, neighbours clamped at the edges,
// other ratios repeat their sample; then jdcolor.c's rounded 16-bit fixed point.
func TestToRGBAYCbCrFastPath(t *testing.T) {
	ratios := []image.YCbCrSubsampleRatio{image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio422,
		image.YCbCrSubsampleRatio420, image.YCbCrSubsampleRatio440, image.YCbCrSubsampleRatio411,
		image.YCbCrSubsampleRatio410}
	src := randomRGBA(11, 37, 23)
	fix := func(x float64) int { return int(x*65536 + 0.5) }
	clip := func(v int) uint8 { return uint8(max(0, min(255, v))) }
	for _, r := range ratios {
		y := image.NewYCbCr(image.Rect(0, 0, 37, 23), r)
		for i := range y.Y {
			y.Y[i] = src.Pix[(i*4)%len(src.Pix)]
		}
		for i := range y.Cb {
			y.Cb[i], y.Cr[i] = src.Pix[(i*4+1)%len(src.Pix)], src.Pix[(i*4+2)%len(src.Pix)]
		}
		cw, ch := (37+1)/2, 23
		if r == image.YCbCrSubsampleRatio420 {
			ch = (23 + 1) / 2
		}
		chroma := func(pl []uint8, px, py int) int {
			cx, cy := px/2, py/2
			at := func(x, row int) int { return int(pl[max(0, min(ch-1, row))*y.CStride+max(0, min(cw-1, x))]) }
			hx, bias := cx-1, 0
			if px%2 == 1 {
				hx, bias = cx+1, 1
			}
			switch r {
			case image.YCbCrSubsampleRatio420:
				fy := cy - 1
				if py%2 == 1 {
					fy = cy + 1
				}
				return (9*at(cx, cy) + 3*at(hx, cy) + 3*at(cx, fy) + at(hx, fy) + 8 - bias) >> 4
			case image.YCbCrSubsampleRatio422:
				return (3*at(cx, py) + at(hx, py) + 1 + bias) >> 2
			}
			return int(pl[y.COffset(px, py)])
		}
		got := shifts.ToRGBA(y)
		for py := 0; py < 23; py++ {
			for px := 0; px < 37; px++ {
				yy, cb, cr := int(y.Y[y.YOffset(px, py)]), chroma(y.Cb, px, py)-128, chroma(y.Cr, px, py)-128
				want := [3]uint8{
					clip(yy + (fix(1.402)*cr+32768)>>16),
					clip(yy + (-fix(0.34414)*cb-fix(0.71414)*cr+32768)>>16),
					clip(yy + (fix(1.772)*cb+32768)>>16),
				}
				o := got.PixOffset(px, py)
				if [3]uint8(got.Pix[o:o+3]) != want || got.Pix[o+3] != 255 {
					t.Fatalf("%v (%d,%d): got %v, want %v", r, px, py, got.Pix[o:o+4], want)
				}
			}
		}
	}
}
