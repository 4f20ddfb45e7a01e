package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shiftgen/shiftgen/pipeline/imageio"
	"github.com/shiftgen/shiftgen/pipeline/internal/testimage"

	"github.com/shiftgen/shiftgen/manifests"
)

// styleDir writes a folder of style images: two PNGs (one in a subfolder, one larger
// than the 256-pixel side styles are kept at), an upper-case extension and a file that
// is no image.
func styleDir(t *testing.T) string {
	dir := t.TempDir()
	warm := func(x, y int) color.RGBA { return color.RGBA{uint8(200 + x%50), uint8(100 + y%60), 40, 255} }
	cool := func(x, y int) color.RGBA { return color.RGBA{30, uint8(80 + x%90), uint8(150 + y%100), 255} }
	testimage.WritePNG(t, filepath.Join(dir, "b-warm.png"), 30, 20, warm)
	testimage.WritePNG(t, filepath.Join(dir, "A-big.PNG"), 600, 400, cool)
	testimage.WritePNG(t, filepath.Join(dir, "sub", "c.png"), 12, 40, cool)
	testimage.WriteFile(t, filepath.Join(dir, "notes.txt"), []byte("not an image"))
	return dir
}

// TestLoadStyles checks the style folder loader: image files found recursively in
// sorted order and named by their relative paths, other files ignored, digests of the
// files' bytes, large images scaled to a shorter side of 256, the generated set, and
// the refusals, each naming what to do.
func TestLoadStyles(t *testing.T) {
	dir := styleDir(t)
	set, err := LoadStyles(dir, 0, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, im := range set.Images {
		names = append(names, im.Name)
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(im.Name)))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		if im.SHA256 != hex.EncodeToString(sum[:]) {
			t.Errorf("%s: digest %s", im.Name, im.SHA256)
		}
	}
	if strings.Join(names, ",") != "A-big.PNG,b-warm.png,sub/c.png" || set.Source != dir {
		t.Fatalf("images %v from %s", names, set.Source)
	}
	if r := set.Images[0].Image.Rect; r != image.Rect(0, 0, 384, 256) {
		t.Errorf("600×400 style kept at %v, want 384×256", r)
	}
	if r := set.Images[1].Image.Rect; r != image.Rect(0, 0, 30, 20) {
		t.Errorf("small style kept at %v", r)
	}
	if p := set.Images[1].Image.RGBAAt(3, 5); p != (color.RGBA{203, 105, 40, 255}) {
		t.Errorf("small style pixel %v", p)
	}

	if set, err := LoadStyles("", 0, 0, 0); set != nil || err != nil {
		t.Errorf("no folder: %v %v", set, err)
	}
	gen, err := LoadStyles(GeneratedStyles, 7, 0, 0)
	if err != nil || gen.Source != "generated:7" || len(gen.Images) != 6 {
		t.Fatalf("generated: %v %v", gen, err)
	}

	// The header is checked before decoding: a PNG claiming 20000×20000 pixels is
	// refused from its first bytes.
	huge := t.TempDir()
	testimage.WriteFile(t, filepath.Join(huge, "huge.png"), testimage.HugePNG(20000, 20000))
	_, err = LoadStyles(huge, 0, 0, 0)
	if !errors.Is(err, imageio.ErrTooLarge) || !strings.Contains(err.Error(), filepath.Join(huge, "huge.png")) || !strings.Contains(err.Error(), "--max-pixels") {
		t.Errorf("huge style image: %v", err)
	}
	if _, err := LoadStyles(dir, 0, 0, 1000); !errors.Is(err, imageio.ErrTooLarge) || !strings.Contains(err.Error(), "A-big.PNG") {
		t.Errorf("--max-pixels 1000: %v", err)
	}
	broken := t.TempDir()
	testimage.WriteFile(t, filepath.Join(broken, "x.jpg"), []byte("\xff\xd8 broken"))
	if _, err := LoadStyles(broken, 0, 0, 0); err == nil || !strings.Contains(err.Error(), "x.jpg") || !strings.Contains(err.Error(), "remove it") {
		t.Errorf("corrupt style image: %v", err)
	}
	empty := t.TempDir()
	testimage.WriteFile(t, filepath.Join(empty, "readme.md"), []byte("#"))
	if _, err := LoadStyles(empty, 0, 0, 0); err == nil || !strings.Contains(err.Error(), "holds no images") {
		t.Errorf("no images: %v", err)
	}
	if _, err := LoadStyles(filepath.Join(dir, "missing"), 0, 0, 0); err == nil || !strings.Contains(err.Error(), "--style-images") {
		t.Errorf("missing folder: %v", err)
	}
	if _, err := LoadStyles(filepath.Join(dir, "b-warm.png"), 0, 0, 0); err == nil || !strings.Contains(err.Error(), "not a folder") {
		t.Errorf("a file: %v", err)
	}
	// A folder called "generated" must be written ./generated.
	t.Chdir(t.TempDir())
	if err := os.Mkdir("generated", 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadStyles(GeneratedStyles, 0, 0, 0); err == nil || !strings.Contains(err.Error(), "./generated") {
		t.Errorf("ambiguous generated: %v", err)
	}
}

// TestRunStyleImages generates the style-image shifts from a style folder: every
// shifted record names the style image it drew (and fda its β), the manifest lists the
// images with their digests, the bytes do not depend on the worker count, a run
// without style images is refused naming the flag, and a resumed run notices a changed
// style folder.
func TestRunStyleImages(t *testing.T) {
	root := smallTree(t, 3, 3)
	dir := styleDir(t)
	opts := func(out string, workers int) Options {
		return Options{In: root, Out: out, Shifts: []string{"fda:severity=5", "histogram-match", "spurious-colour-transfer"},
			Workers: workers, StyleImages: dir, Format: imageio.PNG}
	}
	out1, out2 := t.TempDir(), t.TempDir()
	if _, err := Run(context.Background(), opts(out1, 1)); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(context.Background(), opts(out2, 2)); err != nil {
		t.Fatal(err)
	}
	sameTree(t, datasetFiles(t, out1), datasetFiles(t, out2))
	names := map[string]bool{"A-big.PNG": true, "b-warm.png": true, "sub/c.png": true}
	for _, shift := range []string{"fda_severity-5", "histogram-match", "spurious-colour-transfer"} {
		m, err := manifests.ReadManifest(filepath.Join(out1, shift, manifests.ManifestFile))
		if err != nil {
			t.Fatal(err)
		}
		var params struct {
			Styles struct {
				Source string `json:"source"`
				Images []struct {
					Name   string `json:"name"`
					SHA256 string `json:"sha256"`
				} `json:"images"`
			} `json:"styles"`
		}
		if err := json.Unmarshal(m.Shift.Params, &params); err != nil {
			t.Fatal(err)
		}
		if params.Styles.Source != dir || len(params.Styles.Images) != 3 || len(params.Styles.Images[2].SHA256) != 64 {
			t.Errorf("%s params: %s", shift, m.Shift.Params)
		}
		recs, err := manifests.ReadRecordsFile(filepath.Join(out1, shift, manifests.RecordsFile))
		if err != nil {
			t.Fatal(err)
		}
		drawn := map[string]bool{}
		for _, r := range recs {
			applied, _ := r.Field("applied")
			style, ok := r.Field("style_image")
			if applied != "true" {
				if ok {
					t.Errorf("%s: untouched image records a style: %v", shift, r.Fields)
				}
				continue
			}
			if !names[strings.Trim(style, `"`)] {
				t.Errorf("%s: record %v names no style image", shift, r.Fields)
			}
			drawn[style] = true
			if beta, _ := r.Field("beta"); shift == "fda_severity-5" && beta != "0.09" {
				t.Errorf("fda record %v: beta %q", r.Fields, beta)
			}
		}
		if len(drawn) < 2 {
			t.Errorf("%s drew only %v", shift, drawn)
		}
	}

	o := opts(t.TempDir(), 2)
	o.StyleImages = ""
	if _, err := Run(context.Background(), o); err == nil || !strings.Contains(err.Error(), "--style-images") {
		t.Errorf("no style images: %v", err)
	}
	// Shifts that use no style images do not load them.
	o = opts(t.TempDir(), 2)
	o.Shifts, o.StyleImages = []string{"vflip"}, filepath.Join(dir, "missing")
	if _, err := Run(context.Background(), o); err != nil {
		t.Errorf("vflip with an unused style folder: %v", err)
	}

	// Interrupt a run, change a style image, resume: refused.
	out := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	o = opts(out, 2)
	o.Progress = func(int, int) { cancel() }
	Run(ctx, o)
	testimage.WritePNG(t, filepath.Join(dir, "b-warm.png"), 30, 20, testimage.Gradient)
	o = opts(out, 2)
	o.Resume = true
	if _, err := Run(context.Background(), o); err == nil || !strings.Contains(err.Error(), "style_digest") {
		t.Errorf("resume with a changed style folder: %v", err)
	}
}
