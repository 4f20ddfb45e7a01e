package shifts

import (
	"bytes"
	"image"
	"image/color"
	"image/color/palette"
	"image/jpeg"
	"testing"

	"github.com/shiftgen/shiftgen/shifts/rgba"
)

// colourModels returns a small image in every colour model Apply must accept, each with
// a sub-image origin away from (0, 0) for some of them.
func colourModels() map[string]image.Image {
	r := image.Rect(0, 0, 7, 5)
	m := map[string]image.Image{}

	rgba := image.NewRGBA(r)
	nrgba := image.NewNRGBA(r)
	gray := image.NewGray(r)
	gray16 := image.NewGray16(r)
	rgba64 := image.NewRGBA64(r)
	nrgba64 := image.NewNRGBA64(r)
	cmyk := image.NewCMYK(r)
	pal := image.NewPaletted(r, palette.WebSafe)
	alpha := image.NewAlpha(r)
	ycc := image.NewYCbCr(r, image.YCbCrSubsampleRatio420)
	for y := range r.Dy() {
		for x := range r.Dx() {
			a := uint8(255)
			if x == 3 {
				a = 128 // half transparent column
			}
			if x == 4 && y == 2 {
				a = 0
			}
			c := color.NRGBA{uint8(30 * x), uint8(50 * y), uint8(200 - 20*x), a}
			nrgba.SetNRGBA(x, y, c)
			rgba.Set(x, y, c)
			gray.SetGray(x, y, color.Gray{uint8(37 * x)})
			gray16.SetGray16(x, y, color.Gray16{uint16(9000 * y)})
			rgba64.Set(x, y, c)
			nrgba64.Set(x, y, c)
			cmyk.SetCMYK(x, y, color.CMYK{uint8(30 * x), uint8(40 * y), 10, uint8(5 * x)})
			pal.SetColorIndex(x, y, uint8((x*7+y*3)%len(palette.WebSafe)))
			alpha.SetAlpha(x, y, color.Alpha{uint8(40 * x)})
		}
	}
	for i := range ycc.Y {
		ycc.Y[i] = uint8(i * 13)
	}
	for i := range ycc.Cb {
		ycc.Cb[i], ycc.Cr[i] = uint8(90+i*11), uint8(200-i*9)
	}
	m["RGBA"] = rgba
	m["NRGBA"] = nrgba
	m["Gray"] = gray
	m["Gray16"] = gray16
	m["RGBA64"] = rgba64
	m["NRGBA64"] = nrgba64
	m["CMYK"] = cmyk
	m["Paletted"] = pal
	m["Alpha"] = alpha
	m["YCbCr"] = ycc
	m["RGBA sub-image"] = rgba.SubImage(image.Rect(2, 1, 6, 5))
	m["NRGBA sub-image"] = nrgba.SubImage(image.Rect(1, 2, 7, 4))
	m["YCbCr sub-image"] = ycc.SubImage(image.Rect(1, 1, 6, 4))
	m["Paletted sub-image"] = pal.SubImage(image.Rect(3, 0, 7, 3))
	return m
}

// TestApplyColourModels checks that every colour model converts to the straight colour
// color.NRGBAModel gives (alpha dropped), except where Pillow's convert('RGB') differs
// (16-bit grayscale, CMYK), at bounds starting from (0, 0), and that the caller's image
// is never modified.
func TestApplyColourModels(t *testing.T) {
	for name, src := range colourModels() {
		t.Run(name, func(t *testing.T) {
			snap := snapshot(src)
			out := Apply(nil, src, Key{})
			b := src.Bounds()
			if out.Rect != image.Rect(0, 0, b.Dx(), b.Dy()) {
				t.Fatalf("bounds %v for source %v", out.Rect, b)
			}
			for y := range b.Dy() {
				for x := range b.Dx() {
					want := color.NRGBAModel.Convert(src.At(b.Min.X+x, b.Min.Y+y)).(color.NRGBA)
					switch c := src.At(b.Min.X+x, b.Min.Y+y).(type) {
					case color.Gray16:
						// Pillow opens 16-bit grayscale as mode "I" and clips it to 0..255.
						v := uint8(min(int(c.Y), 255))
						want.R, want.G, want.B = v, v, v
					case color.CMYK:
						// Pillow's cmyk2rgb: (255-k) - round((255-k)·c/255).
						nk := 255 - int(c.K)
						pil := func(v uint8) uint8 {
							t := int(v)*nk + 128
							return uint8(nk - (t+(t>>8))>>8)
						}
						want.R, want.G, want.B = pil(c.C), pil(c.M), pil(c.Y)
					}
					if yc, ok := src.(*image.YCbCr); ok {
						want.R, want.G, want.B = libjpegRGB(yc, b.Min.X+x, b.Min.Y+y)
					}
					i := out.PixOffset(x, y)
					got := color.NRGBA{out.Pix[i], out.Pix[i+1], out.Pix[i+2], out.Pix[i+3]}
					want.A = 255
					if got != want {
						t.Fatalf("(%d,%d) = %v, want %v", x, y, got, want)
					}
				}
			}
			// An in-place transform works on the copy only.
			g := Apply(Grayscale{Amount: 1}, src, Key{})
			if !bytes.Equal(snapshot(src), snap) {
				t.Fatal("the source was modified")
			}
			checkOpaque(t, g)
			if &g.Pix[0] == &out.Pix[0] {
				t.Fatal("two Apply calls share pixels")
			}
		})
	}
}

// TestApplyOwnsCopy checks that Apply never hands back or modifies the caller's RGBA.
func TestApplyOwnsCopy(t *testing.T) {
	src := naturalImg(8, 6, 1)
	before := rgba.Clone(src)
	out := Apply(Brighten{Gamma: 0.5}, src, Key{})
	if &out.Pix[0] == &src.Pix[0] {
		t.Fatal("Apply returned the caller's pixels")
	}
	if !bytes.Equal(src.Pix, before.Pix) {
		t.Fatal("Apply modified the caller's image")
	}
	if bytes.Equal(out.Pix, src.Pix) {
		t.Fatal("the transform did not run")
	}
}

// snapshot renders any image into bytes through At, to detect modifications.
func snapshot(img image.Image) []byte {
	var buf []byte
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bb, a := img.At(x, y).RGBA()
			buf = append(buf, byte(r>>8), byte(r), byte(g>>8), byte(g), byte(bb>>8), byte(bb), byte(a>>8), byte(a))
		}
	}
	return buf
}

// libjpegRGB is pixel (x, y) of a 4:2:0 image as libjpeg decodes it, written out per
// pixel: for an image at the origin, chroma upsampled as (9·nearest + 3·horizontal +
// 3·vertical + diagonal neighbour + 8 or 7) / 16 with the neighbours clamped at the
// edges (a sub-image repeats its chroma sample), then jdcolor.c's fixed point.
func libjpegRGB(m *image.YCbCr, x, y int) (uint8, uint8, uint8) {
	fix := func(v float64) int { return int(v*65536 + 0.5) }
	clip := func(v int) uint8 { return uint8(max(0, min(255, v))) }
	cw, ch := (m.Rect.Dx()+1)/2, (m.Rect.Dy()+1)/2
	chroma := func(pl []uint8) int {
		if m.Rect.Min != (image.Point{}) {
			return int(pl[m.COffset(x, y)])
		}
		at := func(cx, cy int) int { return int(pl[max(0, min(ch-1, cy))*m.CStride+max(0, min(cw-1, cx))]) }
		cx, cy := x/2, y/2
		hx, fy, bias := cx-1, cy-1, 0
		if x%2 == 1 {
			hx, bias = cx+1, 1
		}
		if y%2 == 1 {
			fy = cy + 1
		}
		return (9*at(cx, cy) + 3*at(hx, cy) + 3*at(cx, fy) + at(hx, fy) + 8 - bias) >> 4
	}
	yy, cb, cr := int(m.Y[m.YOffset(x, y)]), chroma(m.Cb)-128, chroma(m.Cr)-128
	return clip(yy + (fix(1.402)*cr+32768)>>16),
		clip(yy + (-fix(0.34414)*cb-fix(0.71414)*cr+32768)>>16),
		clip(yy + (fix(1.772)*cb+32768)>>16)
}

// TestToRGBANarrowJPEG checks the chroma upsampling of narrow JPEGs against Pillow's
// libjpeg: Pillow writes noisy 4:2:0 and 4:2:2 JPEGs 1 to 6 pixels wide and decodes
// them, and image/jpeg's planes through ToRGBA come within 3 of its pixels (the IDCTs
// differ slightly). libjpeg repeats chroma rows of one or two samples (images up to 4
// pixels wide) instead of applying its fancy filter, which would move pixels by tens.
func TestToRGBANarrowJPEG(t *testing.T) {
	py := pythonWith(t, "numpy", "PIL")
	const script = `
import sys, io, json, base64, numpy as np
from PIL import Image
rs = np.random.RandomState(5)
res = []
for c in json.load(sys.stdin):
    a = (rs.rand(c["h"], c["w"], 3) * 255).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(a).save(buf, format="JPEG", quality=90, subsampling=c["sub"])
    rgb = np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"))
    res.append({"jpeg": base64.b64encode(buf.getvalue()).decode(), "rgb": rgb.tolist()})
print(json.dumps(res))
`
	type narrowCase struct {
		W   int `json:"w"`
		H   int `json:"h"`
		Sub int `json:"sub"` // Pillow's subsampling: 2 is 4:2:0, 1 is 4:2:2
	}
	ratio := map[int]image.YCbCrSubsampleRatio{2: image.YCbCrSubsampleRatio420, 1: image.YCbCrSubsampleRatio422}
	var cases []narrowCase
	for _, sub := range []int{2, 1} {
		for w := 1; w <= 6; w++ {
			cases = append(cases, narrowCase{w, 5 + w%2, sub})
		}
	}
	var res []struct {
		JPEG []byte     `json:"jpeg"`
		RGB  [][][3]int `json:"rgb"`
	}
	runPython(t, py, script, cases, &res)
	for i, r := range res {
		c := cases[i]
		img, err := jpeg.Decode(bytes.NewReader(r.JPEG))
		if err != nil {
			t.Fatalf("%+v: %v", c, err)
		}
		if yc, ok := img.(*image.YCbCr); !ok || yc.SubsampleRatio != ratio[c.Sub] {
			t.Fatalf("%+v: decoded as %T, not %v", c, img, ratio[c.Sub])
		}
		got := rgbRows(ToRGBA(img))
		worst := 0
		for y := range r.RGB {
			for x := range r.RGB[y] {
				for ch := range 3 {
					worst = max(worst, absInt(got[y][x][ch]-r.RGB[y][x][ch]))
				}
			}
		}
		if worst > 3 {
			t.Errorf("%dx%d %v: up to %d away from Pillow's pixels", c.W, c.H, ratio[c.Sub], worst)
		}
	}
}
