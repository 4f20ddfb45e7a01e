package shifts

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"math"
	"os/exec"
	"strings"
	"testing"
)

// pythonWith returns Debian's /usr/bin/python3 (or python3 from PATH) when it imports
// every module, or skips the test.
func pythonWith(t *testing.T, modules ...string) string {
	t.Helper()
	imp := "import " + strings.Join(modules, ", ")
	for _, py := range []string{"/usr/bin/python3", "python3"} {
		if path, err := exec.LookPath(py); err == nil && exec.Command(path, "-c", imp).Run() == nil {
			return path
		}
	}
	t.Skipf("no python3 with %s", strings.Join(modules, ", "))
	return ""
}

// runPython runs script with the JSON encoding of in on stdin and decodes its JSON
// output into out.
func runPython(t *testing.T, py, script string, in, out any) {
	t.Helper()
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(py, "-c", script)
	cmd.Stdin = bytes.NewReader(b)
	res, err := cmd.Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			t.Fatalf("python: %v\n%s", err, ee.Stderr)
		}
		t.Fatal(err)
	}
	if err := json.Unmarshal(res, out); err != nil {
		t.Fatalf("python output: %v\n%s", err, res)
	}
}

// rgbRows returns img's pixels as rows of [R, G, B] for Python.
func rgbRows(img *image.RGBA) [][][3]int {
	rows := make([][][3]int, img.Rect.Dy())
	for y := range rows {
		rows[y] = make([][3]int, img.Rect.Dx())
		for x := range rows[y] {
			i := img.PixOffset(x, y)
			rows[y][x] = [3]int{int(img.Pix[i]), int(img.Pix[i+1]), int(img.Pix[i+2])}
		}
	}
	return rows
}

// offByOne compares got with want, the values of the reference named ref (rows of
// [R, G, B] of one size, as rgbRows gives): it fails t at the first value more than 1
// away, and returns how many are off by exactly 1.
func offByOne(t *testing.T, name, ref string, got, want [][][3]int) int {
	t.Helper()
	n := 0
	for y := range want {
		for x := range want[y] {
			for c := range 3 {
				if d := got[y][x][c] - want[y][x][c]; d > 1 || d < -1 {
					t.Fatalf("%s (%d,%d): %v, %s %v", name, x, y, got[y][x], ref, want[y][x])
				} else if d != 0 {
					n++
				}
			}
		}
	}
	return n
}

// midTone is naturalImg squeezed into 60..190, so FDA's output does not clip.
func midTone(w, h int, seed uint64) *image.RGBA {
	img := naturalImg(w, h, seed)
	for i := range img.Pix {
		if i%4 != 3 {
			img.Pix[i] = uint8(60 + int(img.Pix[i])*130/255)
		}
	}
	return img
}

// oneStyle is a style set holding only img.
func oneStyle(img *image.RGBA) *StyleSet {
	return &StyleSet{Source: "test", Images: []StyleImage{{Name: "only.png", Image: img}}}
}

// TestFDANumPy checks FDA against an independent NumPy computation (fft2, fftshift, the
// centred square of half-width ⌊β·min(h, w)⌋ given the style's amplitude and the
// source's phase, ifft2), byte for byte, and checks its defining property on the
// unrounded output with NumPy's FFT: the phase is the source's at every frequency, the
// amplitude is the style's on the band and the source's elsewhere.
func TestFDANumPy(t *testing.T) {
	py := pythonWith(t, "numpy")
	const script = `
import sys, json, numpy as np
cases = json.load(sys.stdin)
res = []
for c in cases:
    src = np.array(c["src"], dtype=np.float64)
    sty = np.array(c["sty"], dtype=np.float64)
    out = np.array(c["out"], dtype=np.float64)
    raw = np.array(c["raw"], dtype=np.float64)
    h, w = src.shape[:2]
    b = int(np.floor(c["beta"] * min(h, w)))
    S = np.fft.fftshift(np.fft.fft2(src, axes=(0, 1)), axes=(0, 1))
    T = np.fft.fftshift(np.fft.fft2(sty, axes=(0, 1)), axes=(0, 1))
    ch, cw = h // 2, w // 2
    band = np.zeros(S.shape, dtype=bool)
    band[max(ch - b, 0):ch + b + 1, max(cw - b, 0):cw + b + 1] = True
    S2 = S.copy()
    S2[band] = np.abs(T[band]) * np.exp(1j * np.angle(S[band]))
    ref = np.round(np.clip(np.real(np.fft.ifft2(np.fft.ifftshift(S2, axes=(0, 1)), axes=(0, 1))), 0, 255))
    diff = np.abs(ref - out)
    O = np.fft.fftshift(np.fft.fft2(raw, axes=(0, 1)), axes=(0, 1))
    scale = np.abs(S).max()
    live = np.abs(S) > 1e-6 * scale
    dphi = np.abs(np.angle(O[live] * np.conj(S[live])))
    res.append({"maxdiff": float(diff.max()), "ndiff": int((diff > 0).sum()),
                "maxphase": float(dphi.max()),
                "band": float(np.abs(np.abs(O[band]) - np.abs(T[band])).max() / scale),
                "rest": float(np.abs(np.abs(O[~band]) - np.abs(S[~band])).max() / scale) if (~band).any() else 0.0,
                "moved": float(np.abs(np.abs(S[band]) - np.abs(T[band])).max() / scale)})
print(json.dumps(res))
`
	type fdaCase struct {
		Src  [][][3]int     `json:"src"`
		Sty  [][][3]int     `json:"sty"`
		Out  [][][3]int     `json:"out"`
		Raw  [][][3]float64 `json:"raw"`
		Beta float64        `json:"beta"`
	}
	var cases []fdaCase
	var names []string
	for _, c := range []struct {
		w, h int
		beta float64
	}{{32, 24, 0.05}, {32, 24, 0.2}, {37, 29, 0.1}, {37, 29, 0}, {16, 16, 0.45}, {1, 9, 0.3}} {
		src, sty := naturalImg(c.w, c.h, 1), naturalImg(c.w, c.h, 2)
		// Give the style another colour balance, so the band really changes.
		for i := 0; i < len(sty.Pix); i += 4 {
			sty.Pix[i] = uint8(int(sty.Pix[i])*3/4 + 40)
		}
		out := Apply(FDA{Beta: c.beta, Styles: oneStyle(sty)}, src, Key{})
		planes := fdaPlanes(src, sty, c.beta)
		raw := make([][][3]float64, c.h)
		for y := range raw {
			raw[y] = make([][3]float64, c.w)
			for x := range raw[y] {
				raw[y][x] = [3]float64{planes[0][y*c.w+x], planes[1][y*c.w+x], planes[2][y*c.w+x]}
			}
		}
		cases = append(cases, fdaCase{rgbRows(src), rgbRows(sty), rgbRows(out), raw, c.beta})
		names = append(names, fmt.Sprintf("%dx%d beta=%v", c.w, c.h, c.beta))
	}
	var res []struct {
		MaxDiff  float64 `json:"maxdiff"`
		NDiff    int     `json:"ndiff"`
		MaxPhase float64 `json:"maxphase"`
		Band     float64 `json:"band"`
		Rest     float64 `json:"rest"`
		Moved    float64 `json:"moved"`
	}
	runPython(t, py, script, cases, &res)
	for i, r := range res {
		// Sums in another order may round a value lying within 1e-9 of a half the
		// other way: allow a stray byte off by one.
		if r.MaxDiff > 1 || r.NDiff > 2 {
			t.Errorf("%s: %d bytes differ from NumPy's FDA, by up to %v", names[i], r.NDiff, r.MaxDiff)
		}
		// Relative to the largest coefficient, float64 sums are exact to about 1e-13.
		if r.MaxPhase > 1e-6 || r.Band > 1e-10 || r.Rest > 1e-10 {
			t.Errorf("%s: phase moved by %.3g rad; band amplitude off the style's by %.3g, the rest off the source's by %.3g", names[i], r.MaxPhase, r.Band, r.Rest)
		}
		// And the band did change (the property is not vacuous).
		if r.Moved < 1e-3 {
			t.Errorf("%s: the style's band amplitude is the source's (%.3g)", names[i], r.Moved)
		}
	}
}

// TestFDAStyleBand checks what the band means on a source and a style with known
// spectra: β = 0 swaps only the mean, so every pixel moves by the difference of the means.
func TestFDAStyleBand(t *testing.T) {
	src := midTone(20, 14, 3)
	flat := image.NewRGBA(image.Rect(0, 0, 20, 14))
	for i := range flat.Pix {
		flat.Pix[i] = []uint8{200, 100, 50, 255}[i%4]
	}
	out := Apply(FDA{Beta: 0, Styles: oneStyle(flat)}, src, Key{})
	// With only the mean swapped, every pixel moves by the difference of the means.
	var mean [3]float64
	for i := 0; i < len(src.Pix); i += 4 {
		for c := range 3 {
			mean[c] += float64(src.Pix[i+c]) / float64(20*14)
		}
	}
	for i := 0; i < len(src.Pix); i += 4 {
		for c := range 3 {
			want := math.RoundToEven(min(255, max(0, float64(src.Pix[i+c])-mean[c]+float64(flat.Pix[c]))))
			if got := float64(out.Pix[i+c]); math.Abs(got-want) > 0 {
				t.Fatalf("byte %d: %v, want %v", i+c, got, want)
			}
		}
	}
}

// TestHistogramMatchNumPy checks histogram matching against NumPy (np.unique counts,
// cumulative quantiles, np.interp, as scikit-image's match_histograms computes them),
// blended and rounded half to even, for styles of other sizes.
func TestHistogramMatchNumPy(t *testing.T) {
	py := pythonWith(t, "numpy")
	const script = `
import sys, json, numpy as np
cases = json.load(sys.stdin)
res = []
for c in cases:
    src = np.array(c["src"], dtype=np.int64)
    sty = np.array(c["sty"], dtype=np.int64)
    out = np.empty(src.shape, dtype=np.int64)
    for ch in range(3):
        s = src[..., ch].ravel()
        vals, inv, cnt = np.unique(s, return_inverse=True, return_counts=True)
        tv, tc = np.unique(sty[..., ch].ravel(), return_counts=True)
        sq = np.cumsum(cnt) / s.size
        tq = np.cumsum(tc) / sty[..., ch].size
        m = np.interp(sq, tq, tv.astype(np.float64))[inv]
        a = c["amount"]
        out[..., ch] = np.clip(np.round((1 - a) * s + a * m), 0, 255).reshape(src.shape[:2])
    res.append(out.tolist())
print(json.dumps(res))
`
	type hmCase struct {
		Src    [][][3]int `json:"src"`
		Sty    [][][3]int `json:"sty"`
		Amount float64    `json:"amount"`
	}
	var cases []hmCase
	var outs []*image.RGBA
	for _, c := range []struct {
		amount float64
		sty    *image.RGBA
	}{{1, GeneratedStyles(0).Images[2].Image}, {0.6, naturalImg(13, 31, 8)}, {1, newImg(tinyImg)}} {
		src := naturalImg(29, 17, 7)
		outs = append(outs, Apply(HistogramMatch{Amount: c.amount, Styles: oneStyle(c.sty)}, src, Key{}))
		cases = append(cases, hmCase{rgbRows(src), rgbRows(c.sty), c.amount})
	}
	var res [][][][3]int
	runPython(t, py, script, cases, &res)
	for i, want := range res {
		if got := rgbRows(outs[i]); !equalRows(got, want) {
			t.Errorf("case %d: histogram match differs from NumPy's", i)
		}
	}
}

func equalRows(a, b [][][3]int) bool {
	if len(a) != len(b) {
		return false
	}
	for y := range a {
		if len(a[y]) != len(b[y]) {
			return false
		}
		for x := range a[y] {
			if a[y][x] != b[y][x] {
				return false
			}
		}
	}
	return true
}

// TestColourTransferNumPy checks Reinhard et al.'s colour transfer against a NumPy
// implementation of the paper's lαβ maps.
func TestColourTransferNumPy(t *testing.T) {
	py := pythonWith(t, "numpy")
	const script = `
import sys, json, numpy as np
M = np.array([[0.3811, 0.5783, 0.0402], [0.1967, 0.7244, 0.0782], [0.0241, 0.1288, 0.8444]])
Mi = np.array([[4.4679, -3.5873, 0.1193], [-1.2186, 2.3809, -0.1624], [0.0497, -0.2439, 1.2045]])
A = np.diag([1 / np.sqrt(3), 1 / np.sqrt(6), 1 / np.sqrt(2)]) @ np.array([[1, 1, 1], [1, 1, -2], [1, -1, 0]])
def lab(img):
    rgb = np.maximum(np.array(img, dtype=np.float64).reshape(-1, 3), 1) / 255
    return np.log10(rgb @ M.T) @ A.T
cases = json.load(sys.stdin)
res = []
for c in cases:
    s, t = lab(c["src"]), lab(c["sty"])
    ms, ss, mt, st = s.mean(0), s.std(0), t.mean(0), t.std(0)
    scale = np.where(ss > 0, st / np.where(ss > 0, ss, 1), 1)
    r = (s - ms) * scale + mt
    rgb = (10 ** (r @ np.linalg.inv(A).T)) @ Mi.T
    src = np.array(c["src"], dtype=np.float64).reshape(-1, 3)
    a = c["amount"]
    out = np.clip(np.round((1 - a) * src + a * 255 * rgb), 0, 255)
    res.append(out.reshape(np.array(c["src"]).shape).astype(int).tolist())
print(json.dumps(res))
`
	type ctCase struct {
		Src    [][][3]int `json:"src"`
		Sty    [][][3]int `json:"sty"`
		Amount float64    `json:"amount"`
	}
	styles := GeneratedStyles(3)
	var cases []ctCase
	var outs []*image.RGBA
	for i, amount := range []float64{1, 0.5, 1} {
		src := naturalImg(23, 19, uint64(10+i))
		sty := styles.Images[i*2].Image
		outs = append(outs, Apply(ColourTransfer{Amount: amount, Styles: oneStyle(sty)}, src, Key{}))
		cases = append(cases, ctCase{rgbRows(src), rgbRows(sty), amount})
	}
	var res [][][][3]int
	runPython(t, py, script, cases, &res)
	for i, want := range res {
		// The inverse lαβ matrix is applied as a product in NumPy and as three scaled
		// sums here: a value within 1e-12 of a half may round the other way.
		if bad := offByOne(t, fmt.Sprintf("case %d", i), "NumPy", rgbRows(outs[i]), want); bad > 2 {
			t.Errorf("case %d: %d values off by one", i, bad)
		}
	}
}

// TestFitCoverPIL checks the style fitting against PIL's bilinear resize of the same
// box (PIL rounds to bytes between its two passes, so values may differ by one).
func TestFitCoverPIL(t *testing.T) {
	py := pythonWith(t, "numpy", "PIL")
	const script = `
import sys, json, math, numpy as np
from PIL import Image
cases = json.load(sys.stdin)
res = []
for c in cases:
    src = np.array(c["src"], dtype=np.uint8)
    H, W = src.shape[:2]
    w, h = c["w"], c["h"]
    s = max(w / W, h / H)
    ox, oy = math.floor((s * W - w) / 2), math.floor((s * H - h) / 2)
    im = Image.fromarray(src).resize((w, h), Image.BILINEAR, box=(ox / s, oy / s, (ox + w) / s, (oy + h) / s))
    res.append(np.array(im).astype(int).tolist())
print(json.dumps(res))
`
	type fitCase struct {
		Src [][][3]int `json:"src"`
		W   int        `json:"w"`
		H   int        `json:"h"`
	}
	var cases []fitCase
	var outs []*image.RGBA
	for _, c := range []struct{ sw, sh, w, h int }{{40, 30, 20, 20}, {40, 30, 64, 48}, {17, 50, 33, 20}, {256, 256, 256, 171}, {9, 7, 256, 256}} {
		src := naturalImg(c.sw, c.sh, 4)
		outs = append(outs, fitCover(src, c.w, c.h))
		cases = append(cases, fitCase{rgbRows(src), c.w, c.h})
	}
	var res [][][][3]int
	runPython(t, py, script, cases, &res)
	for i, want := range res {
		got := rgbRows(outs[i])
		if len(got) != len(want) || len(got[0]) != len(want[0]) {
			t.Fatalf("case %d: %dx%d, PIL %dx%d", i, len(got[0]), len(got), len(want[0]), len(want))
		}
		offByOne(t, fmt.Sprintf("case %d", i), "PIL", got, want)
	}
	if src := naturalImg(12, 8, 1); fitCover(src, 12, 8) != src {
		t.Error("fitting an image of the right size copies it")
	}
}

// TestStylePickAndRecord checks the style draw: a pure function of the key, spread
// evenly over the set, the same for every style shift, and what each records.
func TestStylePickAndRecord(t *testing.T) {
	set := GeneratedStyles(0)
	counts := map[string]int{}
	const n = 6000
	for i := range n {
		k := Key{Purpose: "pixels", Seed: 5, Split: "val", Index: i}
		p := set.Pick(k)
		if set.Pick(k) != p {
			t.Fatal("the same key picked two styles")
		}
		counts[p.Name]++
		want := map[string]any{"style_image": p.Name}
		for _, tr := range []Recorder{HistogramMatch{Styles: set}, ColourTransfer{Styles: set}} {
			if got := tr.Record(k); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("record %v, want %v", got, want)
			}
		}
		if got := (FDA{Beta: 0.07, Styles: set}).Record(k); got["style_image"] != p.Name || got["beta"] != 0.07 {
			t.Fatalf("fda record %v", got)
		}
	}
	if len(counts) != len(set.Images) {
		t.Fatalf("picked %d of %d styles", len(counts), len(set.Images))
	}
	for name, c := range counts {
		// Binomial(6000, 1/6): sd ≈ 29.
		if math.Abs(float64(c)-n/6) > 5*29 {
			t.Errorf("%s picked %d times of %d", name, c, n)
		}
	}
	// The image drawn is the one applied: FDA with the named style alone gives the same
	// bytes.
	src := midTone(24, 24, 6)
	k := Key{Purpose: "pixels", Index: 3}
	p := set.Pick(k)
	a := Apply(FDA{Beta: 0.1, Styles: set}, src, k)
	b := Apply(FDA{Beta: 0.1, Styles: oneStyle(p.Image)}, src, k)
	if !bytes.Equal(a.Pix, b.Pix) {
		t.Error("FDA did not use the style it records")
	}
}

// TestStyleShiftsNeedImages checks that the style-image shifts refuse to build without
// style images, naming the flag, and that their manifest parameters list the images.
func TestStyleShiftsNeedImages(t *testing.T) {
	for _, name := range []string{"fda", "histogram-match", "colour-transfer", "spurious-fda"} {
		_, err := New(name, Env{Classes: 10})
		if err == nil || !strings.Contains(err.Error(), "--style-images DIR") || !strings.Contains(err.Error(), "--style-images generated") {
			t.Errorf("%s without style images: %v", name, err)
		}
		sh, err := New(name, Env{Classes: 10, Styles: GeneratedStyles(0)})
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(sh.Params())
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), `"source":"generated:0"`) || !strings.Contains(string(b), `"name":"generated/sunset"`) {
			t.Errorf("%s params: %s", name, b)
		}
	}
}

// TestNeedStyles checks which specs need style images: the three style-image shifts
// and their spurious twins, with or without parameters.
func TestNeedStyles(t *testing.T) {
	for specs, want := range map[string]bool{
		"fda": true, "spurious-histogram-match:p=0.7": true, "vflip,colour-transfer:severity=2": true,
		"vflip,night": false, "imagenet-c": false, "nonsense": false,
	} {
		if got := NeedStyles(strings.Split(specs, ",")); got != want {
			t.Errorf("%s: %v", specs, got)
		}
	}
}

// TestGeneratedStyles checks the generated set: six opaque 256×256 images, the same
// for a seed, others for another seed, with clearly different colour balances.
func TestGeneratedStyles(t *testing.T) {
	a, b, c := GeneratedStyles(0), GeneratedStyles(0), GeneratedStyles(1)
	if len(a.Images) != 6 || a.Source != "generated:0" || c.Source != "generated:1" {
		t.Fatalf("%d images from %s", len(a.Images), a.Source)
	}
	var means [][3]float64
	for i, im := range a.Images {
		if im.Image.Rect != image.Rect(0, 0, GeneratedStyleSize, GeneratedStyleSize) || !strings.HasPrefix(im.Name, "generated/") {
			t.Fatalf("%s: %v", im.Name, im.Image.Rect)
		}
		checkOpaque(t, im.Image)
		if !bytes.Equal(im.Image.Pix, b.Images[i].Image.Pix) {
			t.Errorf("%s: two builds differ", im.Name)
		}
		if bytes.Equal(im.Image.Pix, c.Images[i].Image.Pix) || im.Name != c.Images[i].Name {
			t.Errorf("%s: seed 1 gives the same image", im.Name)
		}
		var m [3]float64
		for j := 0; j < len(im.Image.Pix); j += 4 {
			for ch := range 3 {
				m[ch] += float64(im.Image.Pix[j+ch])
			}
		}
		for ch := range 3 {
			m[ch] /= GeneratedStyleSize * GeneratedStyleSize
		}
		for j, o := range means {
			if d := math.Abs(m[0]-o[0]) + math.Abs(m[1]-o[1]) + math.Abs(m[2]-o[2]); d < 30 {
				t.Errorf("%s and %s have close mean colours %v and %v", im.Name, a.Images[j].Name, m, o)
			}
		}
		means = append(means, m)
	}
}
