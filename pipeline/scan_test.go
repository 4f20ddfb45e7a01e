package pipeline

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shiftgen/shiftgen/pipeline/internal/testimage"
)

func TestScanImageFolderOrder(t *testing.T) {
	root := t.TempDir()
	files := []string{
		"b/z.JPEG", "b/a.jpg", "b/sub/c.PNG", "b/sub-x/d.webp", "b/sub/deeper/e.bmp",
		"b/readme.txt", "b/noext", "a/Q.Tiff", "a/q.ppm", "a/B.jpeg", "c/x.gif",
		"A2/only.pgm",
	}
	for _, f := range files {
		testimage.WriteFile(t, filepath.Join(root, f), []byte("x"))
	}
	ds, err := Scan(root, ScanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(ds.Classes, ","); got != "A2,a,b,c" {
		t.Fatalf("classes %s", got)
	}
	var got []string
	for _, s := range ds.Splits[0].Sources {
		got = append(got, s.Path+"@"+ds.Classes[s.Label])
	}
	// sorted(os.walk(...)) orders folders by full path, so "b/sub-x" comes before
	// "b/sub/deeper": '-' (0x2d) sorts before '/' (0x2f).
	want := []string{
		"A2/only.pgm@A2",
		"a/B.jpeg@a", "a/Q.Tiff@a", "a/q.ppm@a",
		"b/a.jpg@b", "b/z.JPEG@b", "b/sub/c.PNG@b", "b/sub-x/d.webp@b", "b/sub/deeper/e.bmp@b",
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("order\n got %v\nwant %v", got, want)
	}
	if ds.Splits[0].Name != "val" {
		t.Fatalf("a root without train/val is one split named val, got %s", ds.Splits[0].Name)
	}
	for i, s := range ds.Splits[0].Sources {
		if s.Index != i {
			t.Fatalf("index %d at position %d", s.Index, i)
		}
	}
	// Independent check: the same walk written in Python, as torchvision does it.
	if testing.Short() {
		t.Skip("short mode: calls Python")
	}
	py := "python3"
	if _, err := exec.LookPath(py); err != nil {
		t.Skip("no python3")
	}
	script := `
import os, sys
root = sys.argv[1]
EXT = ('.jpg', '.jpeg', '.png', '.ppm', '.bmp', '.pgm', '.tif', '.tiff', '.webp')
classes = sorted(e.name for e in os.scandir(root) if e.is_dir())
for c in classes:
    for r, _, fs in sorted(os.walk(os.path.join(root, c), followlinks=True)):
        for f in sorted(fs):
            if f.lower().endswith(EXT):
                print(os.path.relpath(os.path.join(r, f), root) + '@' + c)
`
	out, err := exec.Command(py, "-c", script, root).Output()
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(string(out)) != strings.Join(want, "\n") {
		t.Fatalf("python order differs:\n%s", out)
	}
}

func TestScanSplitsAndErrors(t *testing.T) {
	root := t.TempDir()
	testimage.WriteFile(t, filepath.Join(root, "train/a/1.jpg"), []byte("x"))
	testimage.WriteFile(t, filepath.Join(root, "train/b/1.jpg"), []byte("x"))
	testimage.WriteFile(t, filepath.Join(root, "val/a/1.jpg"), []byte("x"))
	os.MkdirAll(filepath.Join(root, "val/b"), 0o755) // empty class folder
	ds, err := Scan(root, ScanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ds.Splits) != 2 || ds.Splits[0].Name != "train" || ds.Splits[1].Name != "val" {
		t.Fatalf("splits %+v", ds.Splits)
	}
	if len(ds.Splits[1].Sources) != 1 || len(ds.Classes) != 2 {
		t.Fatalf("val sources %d classes %d", len(ds.Splits[1].Sources), len(ds.Classes))
	}
	os.MkdirAll(filepath.Join(root, "val/c"), 0o755)
	if _, err := Scan(root, ScanOptions{}); err == nil || !strings.Contains(err.Error(), "different class folders") {
		t.Fatalf("mismatched classes: %v", err)
	}
	empty := t.TempDir()
	os.MkdirAll(filepath.Join(empty, "a"), 0o755)
	testimage.WriteFile(t, filepath.Join(empty, "a/x.txt"), []byte("x"))
	if _, err := Scan(empty, ScanOptions{}); err == nil || !strings.Contains(err.Error(), "no images") {
		t.Fatalf("no images: %v", err)
	}
}

func TestScanSymlinks(t *testing.T) {
	root := t.TempDir()
	outside := t.TempDir()
	testimage.WriteFile(t, filepath.Join(root, "a/1.jpg"), []byte("x"))
	testimage.WriteFile(t, filepath.Join(outside, "o.jpg"), []byte("x"))
	if err := os.Symlink(filepath.Join(outside, "o.jpg"), filepath.Join(root, "a/link.jpg")); err != nil {
		t.Skip("no symlinks:", err)
	}
	if err := os.Symlink(filepath.Join(root, "a"), filepath.Join(root, "a/loop")); err != nil {
		t.Fatal(err)
	}
	ds, err := Scan(root, ScanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(ds.Splits[0].Sources); n != 1 {
		t.Fatalf("without --follow-symlinks %d sources, want 1", n)
	}
	if len(ds.Skipped) != 2 {
		t.Fatalf("skipped %+v", ds.Skipped)
	}
	ds, err = Scan(root, ScanOptions{FollowSymlinks: true})
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, s := range ds.Splits[0].Sources {
		paths = append(paths, s.Path)
	}
	if strings.Join(paths, ",") != "a/1.jpg,a/link.jpg" {
		t.Fatalf("following links: %v (skipped %+v)", paths, ds.Skipped)
	}
	if len(ds.Skipped) != 1 || !strings.Contains(ds.Skipped[0].Reason, "loop") {
		t.Fatalf("loop not reported: %+v", ds.Skipped)
	}
}
