package imagenetc

import (
	"fmt"
	"image"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
)

// Frost lays a frost texture over the image, as imagecorruptions' frost does: it picks
// one of its textures uniformly, enlarges it (bicubic) so that it covers the image with
// at least 10 % to spare (the published 224-px ImageNet-C crops the raw texture
// instead), takes a random crop of the image's size and blends in byte space:
// out = trunc(clip(ImageWeight·v + FrostWeight·frost, 0, 255)).
//
// The textures are not imagecorruptions' photographs (which carry no licence): by
// default they are five textures generated procedurally from TextureSeed (a cloudy
// plasma fractal under feathery ice needles), with the sizes and per-channel means and
// spreads of the five textures imagecorruptions can pick. Set Textures to use a
// user's own files (LoadFrostTextures).
type Frost struct {
	// ImageWeight multiplies the image.
	ImageWeight float64 `json:"image_weight"`
	// FrostWeight multiplies the texture.
	FrostWeight float64 `json:"frost_weight"`
	// TextureSeed seeds the procedural textures (unused with Textures).
	TextureSeed int64 `json:"texture_seed"`
	// Textures, when not nil, replaces the procedural textures.
	Textures *FrostTextures `json:"textures,omitempty"`
	// Texture is the index of the texture used (0 to the number of textures − 1);
	// nil draws it per image, uniformly.
	Texture *int `json:"texture,omitempty"`
	// CropY and CropX place the crop in the enlarged texture, as fractions of the
	// free margin: the crop starts at row ⌊CropY·(Ht − H)⌋ and column ⌊CropX·(Wt − W)⌋
	// (at most Ht − H − 1 and Wt − W − 1, as NumPy's randint). Each is in [0, 1); nil
	// draws it per image, uniformly.
	CropY *float64 `json:"crop_y,omitempty"`
	CropX *float64 `json:"crop_x,omitempty"`
}

// FrostSeverities holds Frost at severities 1..5 (procedural textures, seed 0).
var FrostSeverities = [5]Frost{{ImageWeight: 1, FrostWeight: 0.4}, {ImageWeight: 0.8, FrostWeight: 0.6},
	{ImageWeight: 0.7, FrostWeight: 0.7}, {ImageWeight: 0.65, FrostWeight: 0.7}, {ImageWeight: 0.6, FrostWeight: 0.75}}

// textures returns the textures Frost picks from.
func (c Frost) textures() *FrostTextures {
	if c.Textures != nil {
		return c.Textures
	}
	return ProceduralFrost(c.TextureSeed)
}

// Draw draws the texture index, then the crop's row and column fractions, each
// unless it is set.
func (c Frost) Draw(r *rand.Rand) Random {
	if c.Texture == nil {
		i := r.IntN(c.textures().Len())
		c.Texture = &i
	}
	c.CropY = drawFloat(c.CropY, 0, 1, r)
	c.CropX = drawFloat(c.CropX, 0, 1, r)
	return c
}

// TextureCount returns the number of textures Frost picks from.
func (c Frost) TextureCount() int { return c.textures().Len() }

// Draws returns the texture index and the crop fractions when set.
func (c Frost) Draws() map[string]any {
	return setDraws("texture", c.Texture, "crop_y", c.CropY, "crop_x", c.CropX)
}

// cropOffset is the offset a crop fraction f gives in a free margin of n positions.
func cropOffset(f float64, n int) int {
	n = max(1, n)
	return max(0, min(int(f*float64(n)), n-1))
}

// Corrupt frosts img in place. It draws the texture index and the crop (Draw).
func (c Frost) Corrupt(img *image.RGBA, r *rand.Rand) *image.RGBA {
	c = c.Draw(r).(Frost)
	tex := c.textures()
	w, h := dims(img)
	i := *c.Texture
	if i < 0 || i >= tex.Len() {
		panic(fmt.Sprintf("frost: texture %d does not exist (there are %d)", i, tex.Len()))
	}
	f := tex.cover(i, w, h)
	y0 := cropOffset(*c.CropY, f.h-h)
	x0 := cropOffset(*c.CropX, f.w-w)
	var a, b [256]float64
	for v := range a {
		a[v] = c.ImageWeight * float64(v)
		b[v] = c.FrostWeight * float64(v)
	}
	for y := 0; y < h; y++ {
		p := row(img, y, w)
		t := f.pix[((y0+y)*f.w+x0)*3:]
		for x := 0; x < w; x++ {
			p[4*x] = trunc8(a[p[4*x]] + b[t[3*x]])
			p[4*x+1] = trunc8(a[p[4*x+1]] + b[t[3*x+1]])
			p[4*x+2] = trunc8(a[p[4*x+2]] + b[t[3*x+2]])
		}
	}
	return img
}

// FrostTextures is a set of frost textures with their enlarged copies cached per image
// size. It is safe for concurrent use.
type FrostTextures struct {
	// Source says where the textures come from ("procedural:SEED" or a folder).
	Source string `json:"source"`
	tex    []rgbImage
	mu     sync.Mutex
	covers map[[3]int]*rgbImage
}

// MarshalJSON records only the source of the textures.
func (t *FrostTextures) MarshalJSON() ([]byte, error) {
	return []byte(fmt.Sprintf("%q", t.Source)), nil
}

// Len returns the number of textures.
func (t *FrostTextures) Len() int { return len(t.tex) }

// rgbImage is a packed 8-bit RGB image.
type rgbImage struct {
	w, h int
	pix  []uint8
}

// cover returns texture i enlarged as imagecorruptions does for a w×h image: by
// max(1, w/Wt, h/Ht)·1.1, to ⌈Wt·s⌉×⌈Ht·s⌉, bicubic.
func (t *FrostTextures) cover(i, w, h int) *rgbImage {
	key := [3]int{i, w, h}
	t.mu.Lock()
	defer t.mu.Unlock()
	if c, ok := t.covers[key]; ok {
		return c
	}
	src := &t.tex[i]
	s := 1.0
	switch {
	case src.h >= h && src.w >= w:
	case src.h < h && src.w >= w:
		s = float64(h) / float64(src.h)
	case src.h >= h && src.w < w:
		s = float64(w) / float64(src.w)
	default:
		s = math.Max(float64(h)/float64(src.h), float64(w)/float64(src.w))
	}
	s *= 1.1
	nw, nh := int(math.Ceil(float64(src.w)*s)), int(math.Ceil(float64(src.h)*s))
	c := resizeCubic(src, nw, nh)
	if t.covers == nil || len(t.covers) >= cacheLimit {
		t.covers = map[[3]int]*rgbImage{}
	}
	t.covers[key] = c
	return c
}

// resizeCubic resizes with OpenCV's INTER_CUBIC: half-pixel centres, the a = −0.75
// cubic kernel, edges repeated, 11-bit fixed-point weights, rounded and saturated.
func resizeCubic(src *rgbImage, nw, nh int) *rgbImage {
	type tap struct {
		i [4]int
		k [4]int64
	}
	plan := func(in, out int) []tap {
		ts := make([]tap, out)
		scale := float64(in) / float64(out)
		for o := range ts {
			f := float64((float64(o)+0.5)*scale) - 0.5
			i0 := int(math.Floor(f))
			x := f - float64(i0)
			const a = -0.75
			// OpenCV's interpolateCubic, with every product rounded (no fused
			// multiply-add, so textures are the same on every platform).
			x1 := x + 1
			x2 := 1 - x
			w := [4]float64{
				float64(float64(float64(float64(a*x1)-5*a)*x1)+8*a)*x1 - 4*a,
				float64(float64(float64(a+2)*x)-(a+3))*x*x + 1,
				float64(float64(float64(a+2)*x2)-(a+3))*x2*x2 + 1,
			}
			w[3] = 1 - w[0] - w[1] - w[2]
			var sum int64
			for k := range w {
				ts[o].i[k] = max(0, min(i0-1+k, in-1))
				ts[o].k[k] = int64(math.Round(w[k] * 2048))
				sum += ts[o].k[k]
			}
			ts[o].k[1] += 2048 - sum
		}
		return ts
	}
	px, py := plan(src.w, nw), plan(src.h, nh)
	tmp := make([]int64, src.h*nw*3)
	for y := 0; y < src.h; y++ {
		s := src.pix[y*src.w*3:]
		d := tmp[y*nw*3:]
		for x, t := range px {
			for ch := 0; ch < 3; ch++ {
				var v int64
				for k := 0; k < 4; k++ {
					v += t.k[k] * int64(s[t.i[k]*3+ch])
				}
				d[x*3+ch] = v
			}
		}
	}
	out := &rgbImage{w: nw, h: nh, pix: make([]uint8, nw*nh*3)}
	for y, t := range py {
		d := out.pix[y*nw*3 : (y+1)*nw*3]
		for i := range d {
			var v int64
			for k := 0; k < 4; k++ {
				v += t.k[k] * tmp[t.i[k]*nw*3+i]
			}
			d[i] = uint8(max(0, min(255, (v+1<<21)>>22)))
		}
	}
	return out
}

// LoadFrostTextures reads every PNG and JPEG file in dir (sorted by name) as a frost
// texture, decoding each with load (which reads and decodes one file; the caller's
// guards against oversized files and headers live there). Frost picks among them
// uniformly. To reproduce imagecorruptions' choice, which never picks its sixth file
// (randint(5)) and holds the same picture twice, give it its first five files.
func LoadFrostTextures(dir string, load func(path string) (*image.RGBA, error)) (*FrostTextures, error) {
	if load == nil {
		return nil, fmt.Errorf("frost textures: no image loader given")
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("frost textures: %w", err)
	}
	var names []string
	for _, e := range entries {
		ext := strings.ToLower(filepath.Ext(e.Name()))
		if !e.IsDir() && (ext == ".png" || ext == ".jpg" || ext == ".jpeg") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	if len(names) == 0 {
		return nil, fmt.Errorf("frost textures: no .png, .jpg or .jpeg files in %s", dir)
	}
	t := &FrostTextures{Source: dir}
	for _, n := range names {
		p := filepath.Join(dir, n)
		rgba, err := load(p)
		if err != nil {
			return nil, fmt.Errorf("frost textures: %s: %w", p, err)
		}
		ti := rgbImage{w: rgba.Rect.Dx(), h: rgba.Rect.Dy()}
		ti.pix = make([]uint8, ti.w*ti.h*3)
		for y := 0; y < ti.h; y++ {
			packRGB(ti.pix[3*y*ti.w:3*(y+1)*ti.w], rgba.Pix[rgba.PixOffset(rgba.Rect.Min.X, rgba.Rect.Min.Y+y):])
		}
		t.tex = append(t.tex, ti)
	}
	return t, nil
}

var procedural cache[int64, *FrostTextures]

// frostSpecs are the sizes and per-channel means and standard deviations of the five
// textures imagecorruptions can pick (frost1, frost2, frost3 = frost2, frost4, frost5).
var frostSpecs = [5]struct {
	w, h      int
	mean, std [3]float64
}{
	{900, 600, [3]float64{77.7, 149.1, 165.7}, [3]float64{26.9, 16.5, 15.3}},
	{560, 315, [3]float64{200.8, 205.4, 214.5}, [3]float64{21.4, 22.1, 22.6}},
	{560, 315, [3]float64{200.8, 205.4, 214.5}, [3]float64{21.4, 22.1, 22.6}},
	{527, 350, [3]float64{137.6, 152.8, 165.2}, [3]float64{28.5, 28.5, 29.9}},
	{660, 495, [3]float64{112.4, 123.4, 134.8}, [3]float64{44.4, 43.3, 41.7}},
}

// ProceduralFrost returns the five procedural frost textures of seed, generating them
// on first use.
func ProceduralFrost(seed int64) *FrostTextures {
	return procedural.get(seed, func() *FrostTextures {
		t := &FrostTextures{Source: fmt.Sprintf("procedural:%d", seed)}
		t.tex = make([]rgbImage, len(frostSpecs))
		var wg sync.WaitGroup
		for i := range frostSpecs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				t.tex[i] = frostTexture(seed, i)
			}()
		}
		wg.Wait()
		return t
	})
}

// frostTexture generates procedural texture i of seed: a plasma-fractal haze under
// thousands of feathery ice needles (a stem with side branches at about ±60°), each
// splatted bilinearly, lightly blurred and compressed, then standardised to the
// texture's target channel means and spreads.
func frostTexture(seed int64, i int) rgbImage {
	spec := frostSpecs[i]
	w, h := spec.w, spec.h
	st := stream{s: uint64(seed)*0x9e3779b97f4a7c15 ^ uint64(i+1)*0xd1b54a32d192ed03}
	st.next()
	size := 1
	for size < max(w, h) {
		size *= 2
	}
	haze := plasma(size, 1.8, st)
	acc := make([]float64, w*h)
	splat := func(x, y, v float64) {
		fx, fy := math.Floor(x), math.Floor(y)
		ix, iy := int(fx), int(fy)
		tx, ty := x-fx, y-fy
		for dy := 0; dy < 2; dy++ {
			for dx := 0; dx < 2; dx++ {
				xx, yy := ix+dx, iy+dy
				if xx < 0 || yy < 0 || xx >= w || yy >= h {
					continue
				}
				wx, wy := 1-tx, 1-ty
				if dx == 1 {
					wx = tx
				}
				if dy == 1 {
					wy = ty
				}
				acc[yy*w+xx] += float64(v * wx * wy)
			}
		}
	}
	line := func(x, y, ang, length, v float64) {
		cx, cy := math.Cos(ang), math.Sin(ang)
		for s := 0.0; s < length; s += 0.7 {
			splat(x+float64(s*cx), y+float64(s*cy), v*(1-float64(0.6*s)/length))
		}
	}
	needles := w * h / 70
	for n := 0; n < needles; n++ {
		x, y := st.float64()*float64(w), st.float64()*float64(h)
		// Needles in a neighbourhood share a direction (read from the haze), as
		// frost ferns do, with some jitter.
		hv := float64(haze[(int(y)*size+int(x)+size/3)%(size*size)])
		ang := float64(hv*4*math.Pi) + float64((st.float64()-0.5)*1.4)
		length := 8 + float64(50*st.float64()*st.float64())
		v := 0.25 + float64(0.75*st.float64())
		line(x, y, ang, length, v)
		spread := (50 + float64(20*st.float64())) * math.Pi / 180
		for s := 2 + float64(2*st.float64()); s < length; s += 2 + float64(2*st.float64()) {
			bl := 0.45 * (length - s) * (0.5 + st.float64())
			bx, by := x+float64(s*math.Cos(ang)), y+float64(s*math.Sin(ang))
			line(bx, by, ang+spread, bl, 0.6*v)
			line(bx, by, ang-spread, bl, 0.6*v)
		}
	}
	tmp := make([]float64, w*h)
	k := gaussKernel(0.7, gaussRadius(0.7, 4))
	sepFilter(acc, tmp, w, h, 1, k, modeNearest)
	grey := tmp
	var sum, sum2 float64
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			j := y*w + x
			g := float64(0.55*float64(haze[y*size+x])) + float64(0.8*(1-math.Exp(-1.2*acc[j])))
			grey[j] = g
			sum += g
			sum2 += float64(g * g)
		}
	}
	f32pool.put(haze)
	n := float64(w * h)
	mu := sum / n
	sd := math.Sqrt(math.Max(sum2/n-mu*mu, 1e-12))
	out := rgbImage{w: w, h: h, pix: make([]uint8, w*h*3)}
	for j, g := range grey {
		z := (g - mu) / sd
		for ch := 0; ch < 3; ch++ {
			out.pix[3*j+ch] = uint8(max(0, min(255, math.Round(spec.mean[ch]+float64(spec.std[ch]*z)))))
		}
	}
	return out
}
