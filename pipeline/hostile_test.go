package pipeline

import (
	"context"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/shiftgen/shiftgen/pipeline/imageio"
	"github.com/shiftgen/shiftgen/pipeline/internal/testimage"

	"github.com/shiftgen/shiftgen/manifests"
)

// TestHostileInputs runs one dataset full of files no one checked. Each must be
// decoded or recorded as skipped with a clear reason, and nothing may panic.
func TestHostileInputs(t *testing.T) {
	root := t.TempDir()
	outside := t.TempDir()
	good := testimage.EncodePNG(t, func() image.Image {
		m := image.NewRGBA(image.Rect(0, 0, 12, 9))
		for i := range m.Pix {
			m.Pix[i] = uint8(i * 7)
		}
		return m
	}())
	jpg, err := os.ReadFile("../testdata/imagefolder/val/cat/cat_0.JPEG")
	if err != nil {
		t.Fatal(err)
	}
	cmyk, err := os.ReadFile("../testdata/hostile/cmyk.jpg")
	if err != nil {
		t.Fatal(err)
	}
	g16 := image.NewRGBA64(image.Rect(0, 0, 5, 4))
	for i := range g16.Pix {
		g16.Pix[i] = uint8(i * 13)
	}
	pal := image.NewPaletted(image.Rect(0, 0, 6, 5), color.Palette{color.NRGBA{255, 0, 0, 255}, color.NRGBA{0, 0, 255, 128}})
	pal.Pix[3] = 1
	one := image.NewRGBA(image.Rect(0, 0, 1, 1))
	one.Pix = []uint8{9, 8, 7, 255}
	files := map[string][]byte{
		"a/zero.JPEG":               nil,
		"a/truncated.JPEG":          jpg[:len(jpg)/3],
		"a/random.JPEG":             []byte("\x17\x42 not an image, just bytes \x00\x01\x02"),
		"a/png named.JPEG":          good,
		"a/cmyk.JPEG":               cmyk,
		"b/sixteen.png":             testimage.EncodePNG(t, g16),
		"b/palette.png":             testimage.EncodePNG(t, pal),
		"b/one.png":                 testimage.EncodePNG(t, one),
		"b/huge.png":                testimage.HugePNG(30000, 30000),
		"b/ünïcode ñame.jpeg":       jpg,
		"b/new\nline.jpeg":          jpg,
		"c/vanishing.jpg":           jpg,
		"c/zz.jpg":                  jpg,
		"d/.keep-empty-class/x.txt": []byte("not an image"),
	}
	for name, data := range files {
		testimage.WriteFile(t, filepath.Join(root, name), data)
	}
	testimage.WriteFile(t, filepath.Join(outside, "secret.jpg"), jpg)
	if err := os.Symlink(filepath.Join(outside, "secret.jpg"), filepath.Join(root, "c", "outside.jpg")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(root, "c"), filepath.Join(root, "c", "loop")); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	var calls atomic.Int32
	res, err := Run(context.Background(), Options{In: root, Out: out, Shifts: []string{"vflip"}, Workers: 1,
		Progress: func(int, int) {
			if calls.Add(1) == 1 {
				os.Remove(filepath.Join(root, "c", "vanishing.jpg")) // a file vanishing mid-run
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	m, err := manifests.ReadManifest(filepath.Join(out, "vflip", manifests.ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	reasons := map[string]string{}
	for _, s := range m.Skipped {
		reasons[s.Source] = s.Reason
	}
	wantSkipped := map[string]string{
		"a/zero.JPEG":      "empty file",
		"a/truncated.JPEG": "decode jpeg",
		"a/random.JPEG":    "not a recognised image",
		"b/huge.png":       "--max-pixels",
		"c/vanishing.jpg":  "cannot read: no such file",
		"c/outside.jpg":    "not followed without --follow-symlinks",
		"c/loop":           "not followed without --follow-symlinks",
	}
	for src, want := range wantSkipped {
		if !strings.Contains(reasons[src], want) {
			t.Errorf("%q: reason %q, want it to mention %q", src, reasons[src], want)
		}
	}
	if len(reasons) != len(wantSkipped) {
		var got []string
		for k := range reasons {
			got = append(got, k)
		}
		sort.Strings(got)
		t.Errorf("skipped %v", got)
	}
	// The rest decoded: PNG named .JPEG, CMYK, 16-bit, palette, 1×1, odd names.
	recs, err := manifests.ReadRecordsFile(filepath.Join(out, "vflip", manifests.RecordsFile))
	if err != nil {
		t.Fatal(err)
	}
	var written []string
	for _, r := range recs {
		if r.Distribution == "shifted" {
			written = append(written, r.Source)
		}
	}
	want := []string{"a/cmyk.JPEG", "a/png named.JPEG", "b/new\nline.jpeg", "b/one.png", "b/palette.png", "b/sixteen.png", "b/ünïcode ñame.jpeg", "c/zz.jpg"}
	if strings.Join(written, "|") != strings.Join(want, "|") {
		t.Fatalf("written %q\nwant    %q", written, want)
	}
	// The summary counts every skipped input the manifest lists, links included.
	if res.Skipped != len(m.Skipped) || res.Skipped != 7 {
		t.Errorf("Result.Skipped = %d, the manifest lists %d, want 7", res.Skipped, len(m.Skipped))
	}
	// The empty class folder still exists in every output split.
	for _, d := range []string{"reference/val/d", "shifted/val/d"} {
		if fi, err := os.Stat(filepath.Join(out, "vflip", d)); err != nil || !fi.IsDir() {
			t.Errorf("empty class folder %s missing", d)
		}
	}
	// The CMYK image's pixels are Pillow's (within JPEG decoder differences).
	pil, _ := os.ReadFile("../testdata/hostile/cmyk.jpg.pil-rgb")
	img, err := imageio.GoCodec{}.Decode(cmyk, imageio.Hint{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	var sum int
	for i, v := range testimage.RGBBytes(img) {
		d := int(v) - int(pil[i])
		if d < 0 {
			d = -d
		}
		sum += d
	}
	if mean := float64(sum) / float64(len(pil)); mean > 2 {
		t.Errorf("CMYK JPEG differs from Pillow by %.2f on average", mean)
	}
}

// TestOutputRemovedMidRun deletes the output folder while the run writes it: the run
// must stop with an error naming the path, and --resume must then finish the job.
func TestOutputRemovedMidRun(t *testing.T) {
	root := smallTree(t, 3, 6)
	out := t.TempDir()
	var calls atomic.Int32
	o := baseOpts(root, out)
	o.Shifts = []string{"vflip"}
	o.Progress = func(int, int) {
		if calls.Add(1) == 3 {
			// Workers may create a temporary file while the folder is being removed;
			// retry until it is gone, as a person would.
			for os.RemoveAll(filepath.Join(out, "vflip")) != nil {
			}
		}
	}
	_, err := Run(context.Background(), o)
	if err == nil || !strings.Contains(err.Error(), filepath.Join(out, "vflip")) {
		t.Fatalf("err = %v; want an error naming the output", err)
	}
	o = baseOpts(root, out)
	o.Shifts = []string{"vflip"}
	o.Resume = true
	if _, err := Run(context.Background(), o); err != nil {
		t.Fatalf("resume after the fault: %v", err)
	}
	rep, err := Verify(context.Background(), filepath.Join(out, "vflip"), VerifyOptions{})
	if err != nil || !rep.OK() {
		t.Fatalf("verify: %v %s", err, rep.Summary())
	}
}
