package shifts

import (
	"bytes"
	"encoding/json"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/shiftgen/shiftgen/shifts/imagenetc"
)

// corruptionEnv is the Env the corruption tests build shifts with.
var corruptionEnv = Env{Seed: 0, Classes: 10}

// corruptionImg returns a w×h opaque test image with gradients and texture.
func corruptionImg(w, h int, seed uint64) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	x := seed*0x9e3779b97f4a7c15 + 1
	for i := 0; i < len(img.Pix); i += 4 {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		p := i / 4
		img.Pix[i] = uint8(p%w*255/w) ^ uint8(x&15)
		img.Pix[i+1] = uint8(p/w*255/h) ^ uint8(x>>8&15)
		img.Pix[i+2] = uint8(x >> 16)
		img.Pix[i+3] = 255
	}
	return img
}

// corruptionOf builds spec and returns its Corruption transform.
func corruptionOf(t *testing.T, spec string, env Env) Corruption {
	t.Helper()
	sh, err := New(spec, env)
	if err != nil {
		t.Fatalf("New(%q): %v", spec, err)
	}
	c, ok := sh.(OutOfSupportShift).T.(Corruption)
	if !ok {
		t.Fatalf("%s: transform is %T", spec, sh.(OutOfSupportShift).T)
	}
	return c
}

// TestCorruptionEntries checks that the 19 ImageNet-C corruptions are registered with
// their twins, kinds and a severity parameter.
func TestCorruptionEntries(t *testing.T) {
	cat := imagenetc.Catalogue()
	if len(cat) != 19 {
		t.Fatalf("catalogue has %d corruptions", len(cat))
	}
	for _, c := range cat {
		e, ok := Lookup(c.Name)
		if !ok || e.Kind != OutOfSupport {
			t.Errorf("%s: not registered as an out-of-support shift", c.Name)
			continue
		}
		tw, ok := Lookup("spurious-" + c.Name)
		if !ok || tw.Kind != InSupport {
			t.Errorf("spurious-%s: not registered as an in-support shift", c.Name)
		}
		if len(e.Params) == 0 || e.Params[0].Name != "severity" {
			t.Errorf("%s: the first parameter is not severity", c.Name)
		}
	}
}

// TestCorruptionSeverityRows checks that severity s builds exactly row s of the
// corruption's table.
func TestCorruptionSeverityRows(t *testing.T) {
	for _, c := range imagenetc.Catalogue() {
		for s := 1; s <= 5; s++ {
			got := corruptionOf(t, c.Name+":severity="+string(rune('0'+s)), corruptionEnv)
			if got.Name != c.Name || got.Severity != s {
				t.Errorf("%s severity %d: recorded as %s severity %d", c.Name, s, got.Name, got.Severity)
			}
			if !reflect.DeepEqual(got.Params, c.Severities[s-1]) {
				t.Errorf("%s severity %d: %+v, want %+v", c.Name, s, got.Params, c.Severities[s-1])
			}
		}
	}
}

// TestCorruptionOverrides checks that explicit parameters win over the severity row
// and are recorded in the manifest's JSON.
func TestCorruptionOverrides(t *testing.T) {
	c := corruptionOf(t, "motion-blur:severity=2,angle=10,radius=5", corruptionEnv)
	m := c.Params.(imagenetc.MotionBlur)
	if m.Radius != 5 || m.Sigma != 5 || m.Angle == nil || *m.Angle != 10 {
		t.Errorf("motion-blur override = %+v", m)
	}
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"corruption":"motion-blur"`, `"severity":2`, `"angle":10`, `"radius":5`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("JSON %s lacks %s", b, want)
		}
	}
	if q := corruptionOf(t, "jpeg-compression:quality=50", corruptionEnv).Params.(imagenetc.JPEG).Quality; q != 50 {
		t.Errorf("jpeg quality = %d", q)
	}
	if _, err := New("zoom-blur:stop=3,step=0.001", corruptionEnv); err == nil {
		t.Error("zoom-blur with 2000 factors accepted")
	}
	if _, err := New("pixelate:factor=0", corruptionEnv); err == nil {
		t.Error("pixelate factor 0 accepted")
	}
}

// TestImageNetCPreset checks the presets: the 15 common corruptions at severities 1..5,
// and the 4 validation ones apart.
func TestImageNetCPreset(t *testing.T) {
	specs := Expand("imagenet-c")
	if len(specs) != 75 {
		t.Fatalf("imagenet-c expands to %d specs, want 75", len(specs))
	}
	names := map[string]int{}
	for _, s := range specs {
		e, v, err := Resolve(s)
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		names[e.Name]++
		if sev := v.Get("severity"); sev < 1 || sev > 5 {
			t.Errorf("%s: severity %v", s, sev)
		}
	}
	for _, c := range imagenetc.Catalogue() {
		want := 0
		if c.Common {
			want = 5
		}
		if names[c.Name] != want {
			t.Errorf("imagenet-c has %s %d times, want %d", c.Name, names[c.Name], want)
		}
	}
	if n := len(Expand("imagenet-c-extra")); n != 20 {
		t.Errorf("imagenet-c-extra expands to %d specs, want 20", n)
	}
	if got := Expand("gaussian-noise:severity=2"); !reflect.DeepEqual(got, []string{"gaussian-noise:severity=2"}) {
		t.Errorf("a plain spec expands to %v", got)
	}
}

// TestCorruptionKeyed checks that a corruption's random draws are a function of the key:
// the same key gives the same bytes, another index, seed or split other bytes.
func TestCorruptionKeyed(t *testing.T) {
	src := corruptionImg(48, 40, 5)
	for _, spec := range []string{"gaussian-noise", "glass-blur", "motion-blur", "snow", "frost", "fog", "spatter", "elastic-transform"} {
		tr := corruptionOf(t, spec, corruptionEnv)
		k := Key{Purpose: "pixels", Seed: 1, Split: "val", Index: 3}
		a, b := Apply(tr, src, k), Apply(tr, src, k)
		if !bytes.Equal(a.Pix, b.Pix) {
			t.Errorf("%s: same key, different bytes", spec)
		}
		for _, other := range []Key{
			{Purpose: "pixels", Seed: 1, Split: "val", Index: 4},
			{Purpose: "pixels", Seed: 2, Split: "val", Index: 3},
			{Purpose: "pixels", Seed: 1, Split: "train", Index: 3},
		} {
			if c := Apply(tr, src, other); bytes.Equal(a.Pix, c.Pix) {
				t.Errorf("%s: keys %+v and %+v give the same bytes", spec, k, other)
			}
		}
	}
	// Deterministic corruptions ignore the key.
	tr := corruptionOf(t, "zoom-blur", corruptionEnv)
	if !bytes.Equal(Apply(tr, src, Key{Index: 1}).Pix, Apply(tr, src, Key{Index: 2, Seed: 9}).Pix) {
		t.Error("zoom-blur depends on the key")
	}
}

// TestFrostTexturesEnv checks --frost-textures: a folder of images is used and recorded;
// a folder without images is refused with a hint.
func TestFrostTexturesEnv(t *testing.T) {
	dir := t.TempDir()
	tex := image.NewRGBA(image.Rect(0, 0, 40, 30))
	for i := range tex.Pix {
		tex.Pix[i] = 230
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, tex); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "ice.png"), buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	env := corruptionEnv
	env.FrostTextures = dir
	env.LoadImage = func(p string) (*image.RGBA, error) {
		f, err := os.Open(p)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		im, err := png.Decode(f)
		if err != nil {
			return nil, err
		}
		return ToRGBA(im), nil
	}
	c := corruptionOf(t, "frost:severity=5", env)
	f := c.Params.(imagenetc.Frost)
	if f.Textures == nil || f.Textures.Len() != 1 {
		t.Fatalf("frost did not load %s", dir)
	}
	b, _ := json.Marshal(c)
	if !strings.Contains(string(b), dir) {
		t.Errorf("JSON %s does not record the texture folder", b)
	}
	out := Apply(c, corruptionImg(50, 50, 1), Key{Index: 1})
	for i := 3; i < len(out.Pix); i += 4 {
		if out.Pix[i] != 255 {
			t.Fatalf("alpha %d at byte %d", out.Pix[i], i)
		}
	}
	env.FrostTextures = t.TempDir()
	if _, err := New("frost", env); err == nil || !strings.Contains(err.Error(), "--frost-textures") {
		t.Errorf("empty texture folder: error %v", err)
	}
	// Procedural textures are seeded by the run's seed.
	env = corruptionEnv
	env.Seed = 7
	if s := corruptionOf(t, "frost", env).Params.(imagenetc.Frost).TextureSeed; s != 7 {
		t.Errorf("texture seed %d, want 7", s)
	}
}
