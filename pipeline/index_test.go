package pipeline

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/shiftgen/shiftgen/pipeline/internal/testimage"

	"github.com/shiftgen/shiftgen/manifests"
)

// wnids12 is a 12-class reference list.
var wnids12 = []string{"n00", "n01", "n02", "n03", "n04", "n05", "n06", "n07", "n08", "n09", "n10", "n11"}

// v2Tree writes an ImageNet-V2-like tree: numbered class folders (sorted by ImageFolder
// as strings: 0, 1, 10, 2) with PNGs of distinct sizes, and one corrupt file.
func v2Tree(t *testing.T) string {
	root := filepath.Join(t.TempDir(), "data", "imagenetv2")
	for i, c := range []string{"0", "1", "2", "10"} {
		for k := 0; k < 2+i%2; k++ {
			testimage.WritePNG(t, filepath.Join(root, c, fmt.Sprintf("img%d.png", k)), 3+k, 2+i, testimage.Gradient)
		}
	}
	testimage.WriteFile(t, filepath.Join(root, "10", "broken.jpeg"), []byte("not an image"))
	return root
}

func readIndex(t *testing.T, dir string) (*manifests.Manifest, []*manifests.Record) {
	t.Helper()
	m, err := manifests.ReadManifest(filepath.Join(dir, manifests.ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	recs, err := manifests.ReadRecordsFile(filepath.Join(dir, manifests.RecordsFile))
	if err != nil {
		t.Fatal(err)
	}
	return m, recs
}

func TestIndexNumberedFolders(t *testing.T) {
	root := v2Tree(t)
	out := filepath.Join(filepath.Dir(filepath.Dir(root)), "index", "v2")
	res, err := Index(context.Background(), IndexOptions{In: root, Out: out, Classes: wnids12, ClassesFrom: "wnids.txt", Workers: 3})
	if err != nil {
		t.Fatal(err)
	}
	if res.Images != 10 || res.Skipped != 1 {
		t.Fatalf("%d images, %d skipped; want 10 and 1", res.Images, res.Skipped)
	}
	m, recs := readIndex(t, out)
	if !slices.Equal(m.ClassNames(), wnids12) {
		t.Errorf("classes %v; want the full reference list", m.ClassNames())
	}
	if m.Shift.Name != "index" || m.Shift.Kind != "natural" || m.Counts[0].Distribution != "shifted" || m.Counts[0].Split != "val" {
		t.Errorf("shift %+v, counts %+v", m.Shift, m.Counts)
	}
	// ImageFolder order: folders sorted as strings (0, 1, 10, 2); labels from the names.
	type want struct {
		index, label int
		class, src   string
		w, h         int
	}
	wants := []want{
		{0, 0, "n00", "0/img0.png", 3, 2}, {1, 0, "n00", "0/img1.png", 4, 2},
		{2, 1, "n01", "1/img0.png", 3, 3}, {3, 1, "n01", "1/img1.png", 4, 3}, {4, 1, "n01", "1/img2.png", 5, 3},
		// index 5 is 10/broken.jpeg, skipped
		{6, 10, "n10", "10/img0.png", 3, 5}, {7, 10, "n10", "10/img1.png", 4, 5}, {8, 10, "n10", "10/img2.png", 5, 5},
		{9, 2, "n02", "2/img0.png", 3, 4}, {10, 2, "n02", "2/img1.png", 4, 4},
	}
	if len(recs) != len(wants) {
		t.Fatalf("%d records; want %d", len(recs), len(wants))
	}
	for i, w := range wants {
		r := recs[i]
		if r.Index != w.index || r.Label != w.label || r.Class != w.class || r.Source != w.src || r.Width != w.w || r.Height != w.h || r.Distribution != "shifted" || r.Split != "val" {
			t.Errorf("record %d: %+v; want %+v", i, *r, w)
		}
		// The path, relative to the index folder, opens the untouched original.
		data, err := os.ReadFile(filepath.Join(out, filepath.FromSlash(r.Path)))
		if err != nil {
			t.Fatalf("record %d: path %s: %v", i, r.Path, err)
		}
		orig, _ := os.ReadFile(filepath.Join(root, filepath.FromSlash(w.src)))
		sum := sha256.Sum256(data)
		if !bytes.Equal(data, orig) || r.SHA256 != hex.EncodeToString(sum[:]) || r.Size != int64(len(data)) {
			t.Errorf("record %d: size %d, sha256 %s do not describe %s", i, r.Size, r.SHA256, r.Path)
		}
		if !strings.HasPrefix(r.Path, "../../data/imagenetv2/") {
			t.Errorf("record %d: path %s; want a path relative to the index folder", i, r.Path)
		}
	}
	if len(m.Skipped) != 1 || m.Skipped[0].Source != "10/broken.jpeg" || !strings.Contains(m.Skipped[0].Reason, "not a recognised image") {
		t.Errorf("skipped %+v", m.Skipped)
	}
	pc := m.Counts[0].PerClass
	if len(pc) != 12 || pc[0] != 2 || pc[1] != 3 || pc[2] != 2 || pc[10] != 3 || pc[3] != 0 {
		t.Errorf("per-class counts %v", pc)
	}
}

// TestIndexSubsetOfWnids: ImageNet-R-like folders, a subset of the reference wnids,
// get the reference labels; the default distribution is shifted, and --distribution
// reference relabels.
func TestIndexSubsetOfWnids(t *testing.T) {
	root := filepath.Join(t.TempDir(), "r")
	for _, c := range []string{"n03", "n07", "n11"} {
		testimage.WritePNG(t, filepath.Join(root, c, "a.png"), 2, 2, testimage.Gradient)
	}
	out := filepath.Join(t.TempDir(), "out")
	if _, err := Index(context.Background(), IndexOptions{In: root, Out: out, Classes: wnids12, Distribution: "reference"}); err != nil {
		t.Fatal(err)
	}
	m, recs := readIndex(t, out)
	var labels []int
	for _, r := range recs {
		labels = append(labels, r.Label)
		if r.Distribution != "reference" {
			t.Errorf("distribution %s; want reference", r.Distribution)
		}
	}
	if !slices.Equal(labels, []int{3, 7, 11}) || len(m.Classes) != 12 {
		t.Errorf("labels %v over %d classes; want [3 7 11] over 12", labels, len(m.Classes))
	}
}

// TestIndexNoClassMap: without a class list, folder names are the classes, labelled
// in sorted order as ImageFolder does; train and val are indexed separately.
func TestIndexNoClassMap(t *testing.T) {
	root := filepath.Join(t.TempDir(), "in")
	for _, s := range []string{"train", "val"} {
		for _, c := range []string{"b", "a"} {
			testimage.WritePNG(t, filepath.Join(root, s, c, "x.png"), 2, 2, testimage.Gradient)
		}
	}
	out := filepath.Join(t.TempDir(), "out")
	if _, err := Index(context.Background(), IndexOptions{In: root, Out: out}); err != nil {
		t.Fatal(err)
	}
	m, recs := readIndex(t, out)
	if !slices.Equal(m.ClassNames(), []string{"a", "b"}) || len(m.Counts) != 2 || m.Counts[0].Split != "train" {
		t.Errorf("classes %v, counts %+v", m.ClassNames(), m.Counts)
	}
	got := ""
	for _, r := range recs {
		got += fmt.Sprintf("%s/%d/%d/%s ", r.Split, r.Index, r.Label, r.Source)
	}
	if want := "train/0/0/train/a/x.png train/1/1/train/b/x.png val/0/0/val/a/x.png val/1/1/val/b/x.png "; got != want {
		t.Errorf("records %s; want %s", got, want)
	}
}

// TestIndexDeterministic: the same tree gives byte-identical files with 1 worker or 8.
func TestIndexDeterministic(t *testing.T) {
	root := v2Tree(t)
	base := t.TempDir()
	var prev map[string][]byte
	for _, w := range []int{1, 8} {
		out := filepath.Join(base, fmt.Sprint("w", w))
		if _, err := Index(context.Background(), IndexOptions{In: root, Out: out, Classes: wnids12, Workers: w}); err != nil {
			t.Fatal(err)
		}
		files := testimage.ReadTree(t, out)
		delete(files, manifests.RunFile)
		if prev != nil {
			for name, b := range files {
				if !bytes.Equal(b, prev[name]) {
					t.Errorf("%s differs between 1 and 8 workers", name)
				}
			}
		}
		prev = files
	}
}

func TestIndexErrors(t *testing.T) {
	root := v2Tree(t)
	for _, tc := range []struct {
		name string
		opt  IndexOptions
		want string
	}{
		{"number beyond the list", IndexOptions{Classes: wnids12[:5]}, `class folder "10" is neither a class name of wnids.txt (like "n00") nor a class number 0..4`},
		{"two folders, one class", IndexOptions{Classes: []string{"a", "10", "b", "c"}}, `class folders "1" and "10" both map to class 1 (10) of wnids.txt`},
		{"distribution", IndexOptions{Distribution: "target"}, `--distribution "target": want shifted or reference`},
		{"out inside in", IndexOptions{Out: filepath.Join(root, "idx")}, "lies inside --in"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := tc.opt
			o.In, o.ClassesFrom = root, "wnids.txt"
			if o.Out == "" {
				o.Out = filepath.Join(t.TempDir(), "out")
			}
			_, err := Index(context.Background(), o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v; want one containing %q", err, tc.want)
			}
		})
	}
	// An existing, non-empty output needs Force.
	out := filepath.Join(t.TempDir(), "out")
	testimage.WriteFile(t, filepath.Join(out, "keep"), []byte("x"))
	if _, err := Index(context.Background(), IndexOptions{In: root, Out: out}); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Errorf("non-empty output: %v", err)
	}
	if _, err := Index(context.Background(), IndexOptions{In: root, Out: out, Force: true}); err != nil {
		t.Errorf("with Force: %v", err)
	}
}

func TestIndexCancel(t *testing.T) {
	root := v2Tree(t)
	out := filepath.Join(t.TempDir(), "out")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Index(ctx, IndexOptions{In: root, Out: out}); err == nil || !strings.Contains(err.Error(), "stopped") {
		t.Fatalf("error %v; want a stop", err)
	}
	entries, _ := os.ReadDir(out)
	if len(entries) != 0 {
		t.Errorf("cancelled index left %d files in %s", len(entries), out)
	}
}

func TestReadClassList(t *testing.T) {
	dir := t.TempDir()
	txt := filepath.Join(dir, "LOC_synset_mapping.txt")
	testimage.WriteFile(t, txt, []byte("# ImageNet\nn01440764 tench, Tinca tinca\n\nn01443537 goldfish\r\nn01484850\n"))
	got, err := ReadClassList(txt)
	if err != nil || !slices.Equal(got, []string{"n01440764", "n01443537", "n01484850"}) {
		t.Errorf("text: %v, %v", got, err)
	}
	idx := filepath.Join(dir, "imagenet_class_index.json")
	testimage.WriteFile(t, idx, []byte(`{"1": ["n01443537", "goldfish"], "0": ["n01440764", "tench"]}`))
	got, err = ReadClassList(idx)
	if err != nil || !slices.Equal(got, []string{"n01440764", "n01443537"}) {
		t.Errorf("class index: %v, %v", got, err)
	}
	// A manifest gives its classes.
	root := filepath.Join(dir, "ref")
	for _, c := range []string{"n2", "n1"} {
		testimage.WritePNG(t, filepath.Join(root, c, "x.png"), 2, 2, testimage.Gradient)
	}
	out := filepath.Join(dir, "refidx")
	if _, err := Index(context.Background(), IndexOptions{In: root, Out: out, Distribution: "reference"}); err != nil {
		t.Fatal(err)
	}
	got, err = ReadClassList(filepath.Join(out, manifests.ManifestFile))
	if err != nil || !slices.Equal(got, []string{"n1", "n2"}) {
		t.Errorf("manifest: %v, %v", got, err)
	}
	for name, data := range map[string]string{
		"dup.txt":   "a\nb\na\n",
		"empty.txt": "# nothing\n",
		"bad.json":  `{"x": 1}`,
		"slash.txt": "train/a\n",
	} {
		p := filepath.Join(dir, name)
		testimage.WriteFile(t, p, []byte(data))
		if _, err := ReadClassList(p); err == nil || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: error %v; want one naming the file", name, err)
		}
	}
}
