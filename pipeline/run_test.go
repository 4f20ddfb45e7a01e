package pipeline

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/shiftgen/shiftgen/pipeline/internal/testimage"

	"github.com/shiftgen/shiftgen/pipeline/imageio"

	"github.com/shiftgen/shiftgen/manifests"
	"github.com/shiftgen/shiftgen/shifts"
)

// smallTree writes a val-only tree of n classes with per images each (PNG, sizes vary).
func smallTree(t testing.TB, n, per int) string {
	root := t.TempDir()
	for c := 0; c < n; c++ {
		for k := 0; k < per; k++ {
			w, h := 20+3*c+k, 16+2*k+c
			testimage.WritePNG(t, filepath.Join(root, "class"+string(rune('a'+c)), "img"+string(rune('0'+k))+".png"), w, h,
				func(x, y int) color.RGBA {
					return color.RGBA{uint8(x*9 + c*30), uint8(y*13 + k*40), uint8(x*y + c), 255}
				})
		}
	}
	return root
}

func decodePNGFile(t testing.TB, path string) *image.RGBA {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return shifts.ToRGBA(img)
}

// TestTintAndFlipExact runs the real pipeline with PNG output and no preprocessing and
// checks every pixel against the paper's formulas computed here.
func TestTintAndFlipExact(t *testing.T) {
	root := smallTree(t, 3, 2)
	out := t.TempDir()
	res, err := Run(context.Background(), Options{
		In: root, Out: out, Shifts: []string{"spurious-tint", "vflip"},
		Preprocess: imageio.NoPreprocess, Format: imageio.PNG, Workers: 3, TintTableSize: 100,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Images != 2*(6+6) || res.Skipped != 0 {
		t.Fatalf("images %d skipped %d", res.Images, res.Skipped)
	}
	tab := shifts.NewTintTable(0, 100, 0.5)
	recs, err := manifests.ReadRecordsFile(filepath.Join(out, "spurious-tint", manifests.RecordsFile))
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 12 {
		t.Fatalf("%d records", len(recs))
	}
	for _, r := range recs {
		src := decodePNGFile(t, filepath.Join(root, r.Source))
		got := decodePNGFile(t, filepath.Join(out, "spurious-tint", r.Path))
		class := int(tab.RandomClass[r.Index])
		if r.Distribution == "reference" && tab.Spurious[r.Index] {
			class = r.Label
		}
		if got, _ := r.Field("tint_class"); got != strconv.Itoa(class) {
			t.Fatalf("%s: tint_class %v, want %d", r.Path, r.Fields["tint_class"], class)
		}
		col := tab.Colors[class]
		for i := 0; i < len(src.Pix); i += 4 {
			for k := 0; k < 3; k++ {
				want := math.RoundToEven((0.75*float64(src.Pix[i+k])/255 + 0.25*col[k]) * 255)
				if float64(got.Pix[i+k]) != want {
					t.Fatalf("%s: byte %d = %d, want %v", r.Path, i+k, got.Pix[i+k], want)
				}
			}
		}
	}
	vrecs, err := manifests.ReadRecordsFile(filepath.Join(out, "vflip", manifests.RecordsFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range vrecs {
		src := decodePNGFile(t, filepath.Join(root, r.Source))
		got := decodePNGFile(t, filepath.Join(out, "vflip", r.Path))
		h, w := src.Rect.Dy(), src.Rect.Dx()
		for y := 0; y < h; y++ {
			sy := y
			if r.Distribution == "shifted" {
				sy = h - 1 - y
			}
			if !bytes.Equal(got.Pix[y*got.Stride:y*got.Stride+4*w], src.Pix[sy*src.Stride:sy*src.Stride+4*w]) {
				t.Fatalf("%s row %d is not source row %d", r.Path, y, sy)
			}
		}
	}
}

// TestDeterministicAcrossWorkers generates the same datasets with 1 and 8 workers and
// compares every file byte for byte (run.json excepted: it records time and workers).
func TestDeterministicAcrossWorkers(t *testing.T) {
	root, err := filepath.Abs("../testdata/imagefolder")
	if err != nil {
		t.Fatal(err)
	}
	var trees []map[string][]byte
	for _, w := range []int{1, 8} {
		out := t.TempDir()
		_, err := Run(context.Background(), Options{In: root, Out: out, Workers: w,
			Shifts: []string{"spurious-tint", "unseen-tint", "vflip"}})
		if err != nil {
			t.Fatal(err)
		}
		tree := testimage.ReadTree(t, out)
		for k := range tree {
			if strings.HasSuffix(k, manifests.RunFile) {
				delete(tree, k)
			}
		}
		trees = append(trees, tree)
	}
	if len(trees[0]) != len(trees[1]) {
		t.Fatalf("file counts differ: %d vs %d", len(trees[0]), len(trees[1]))
	}
	// 3 shifts × (9 train + 6 val reference + 6 val shifted) images + 2 manifests and
	// 3 metadata.jsonl each.
	if len(trees[0]) != 3*(21+2+3) {
		t.Fatalf("%d files, want %d", len(trees[0]), 3*26)
	}
	for k, v := range trees[0] {
		if !bytes.Equal(v, trees[1][k]) {
			t.Fatalf("%s differs between 1 and 8 workers", k)
		}
	}
	m, err := manifests.ParseManifest(trees[0]["spurious-tint/manifest.json"])
	if err != nil {
		t.Fatal(err)
	}
	if m.Records.Count != 21 || len(m.Counts) != 3 {
		t.Fatalf("manifest counts %+v", m.Counts)
	}
	if m.Counts[0].Split != "train" || m.Counts[0].Images != 9 || m.Counts[2].Distribution != "shifted" || m.Counts[2].Images != 6 {
		t.Fatalf("counts %+v", m.Counts)
	}
}

func TestCorruptInputIsSkipped(t *testing.T) {
	root := smallTree(t, 2, 2)
	testimage.WriteFile(t, filepath.Join(root, "classa", "bad.JPEG"), []byte("\xff\xd8\xff\xe0 this is not really a jpeg"))
	testimage.WriteFile(t, filepath.Join(root, "classb", "empty.png"), nil)
	out := t.TempDir()
	res, err := Run(context.Background(), Options{In: root, Out: out, Shifts: []string{"vflip"}, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if res.Skipped != 2 || res.Images != 8 {
		t.Fatalf("skipped %d images %d", res.Skipped, res.Images)
	}
	m, err := manifests.ReadManifest(filepath.Join(out, "vflip", manifests.ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Skipped) != 2 || m.Skipped[0].Source != "classa/bad.JPEG" || m.Skipped[1].Source != "classb/empty.png" {
		t.Fatalf("skipped %+v", m.Skipped)
	}
	if !strings.Contains(m.Skipped[1].Reason, "empty file") {
		t.Fatalf("reason %q", m.Skipped[1].Reason)
	}
}

func TestCancellation(t *testing.T) {
	root := smallTree(t, 6, 8)
	out := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	var calls atomic.Int32
	_, err := Run(ctx, Options{In: root, Out: out, Shifts: []string{"spurious-tint", "vflip"}, Workers: 2,
		Progress: func(done, total int) {
			if calls.Add(1) == 3 {
				cancel()
			}
		}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	// No temporary or partial file may remain, and no manifest may claim completion.
	for name, data := range testimage.ReadTree(t, out) {
		base := filepath.Base(name)
		if strings.Contains(base, ".tmp-") || strings.HasSuffix(base, ".part") {
			t.Errorf("left behind %s", name)
		}
		if base == manifests.ManifestFile {
			t.Errorf("manifest written for a cancelled run: %s", name)
		}
		if strings.HasSuffix(name, ".jpg") {
			if _, _, err := image.Decode(bytes.NewReader(data)); err != nil {
				t.Errorf("%s is not a whole image: %v", name, err)
			}
		}
	}
}

func TestRefusals(t *testing.T) {
	root := smallTree(t, 2, 1)
	out := t.TempDir()
	cases := []struct {
		opt  Options
		want string
	}{
		{Options{In: root, Out: filepath.Join(root, "out"), Shifts: []string{"vflip"}}, "inside --in"},
		{Options{In: root, Out: out, Shifts: []string{"nope"}}, "unknown shift \"nope\"; `shiftgen list` shows all"},
		{Options{In: root, Out: out, Shifts: []string{"spurious-tint:p=2"}}, "out of range"},
		{Options{In: root, Out: out, Shifts: []string{"spurious-tint:q=1"}}, "has no parameter \"q\""},
		{Options{In: root, Out: out, Shifts: []string{"vflip"}, Format: "gif"}, "unknown --format"},
		{Options{In: t.TempDir(), Out: out, Shifts: []string{"vflip"}}, "no class folders"},
	}
	for _, c := range cases {
		_, err := Run(context.Background(), c.opt)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: err %v, want %q", c.opt.Shifts, err, c.want)
		}
	}
	if _, err := Run(context.Background(), Options{In: root, Out: out, Shifts: []string{"vflip"}, Workers: 1}); err != nil {
		t.Fatal(err)
	}
	_, err := Run(context.Background(), Options{In: root, Out: out, Shifts: []string{"vflip"}})
	if err == nil || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("existing output: %v", err)
	}
	if _, err := Run(context.Background(), Options{In: root, Out: out, Shifts: []string{"vflip"}, Force: true}); err != nil {
		t.Fatalf("--force: %v", err)
	}
}

// TestRunRelativeOut writes to an output folder given relative to the working folder, as
// users type it, fresh and resumed.
func TestRunRelativeOut(t *testing.T) {
	root := smallTree(t, 2, 2)
	t.Chdir(t.TempDir())
	o := baseOpts(root, "out")
	o.Shifts = []string{"vflip"}
	if _, err := Run(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join("out", "vflip", manifests.ManifestFile)); err != nil {
		t.Fatal(err)
	}
	o.Resume = true
	if _, err := Run(context.Background(), o); err != nil {
		t.Fatalf("resume: %v", err)
	}
}

// TestResumeRefusesLinkedFolders stops a run, then swaps an output class folder for a
// symbolic link to a folder elsewhere (and, in a second run, for a file): the resumed
// run must refuse to write through it.
func TestResumeRefusesLinkedFolders(t *testing.T) {
	root := smallTree(t, 3, 4)
	for _, swap := range []string{"link", "file"} {
		out := t.TempDir()
		o := baseOpts(root, out)
		o.Shifts, o.Workers = []string{"vflip"}, 1
		ctx, cancel := context.WithCancel(context.Background())
		o.Progress = func(done, total int) {
			if done == 2 {
				cancel()
			}
		}
		if _, err := Run(ctx, o); !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
		folder := filepath.Join(out, "vflip", "shifted", "val", "classc")
		if err := os.RemoveAll(folder); err != nil {
			t.Fatal(err)
		}
		want := "symbolic link"
		if swap == "link" {
			if err := os.Symlink(t.TempDir(), folder); err != nil {
				t.Fatal(err)
			}
		} else {
			testimage.WriteFile(t, folder, []byte("x"))
			want = "is not a folder"
		}
		o.Resume, o.Progress = true, nil
		if _, err := Run(context.Background(), o); err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "classc") {
			t.Errorf("%s: resumed run: %v, want a refusal naming classc (%q)", swap, err, want)
		}
	}
}
