package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"

	"github.com/shiftgen/shiftgen/manifests"
	"github.com/shiftgen/shiftgen/manifests/ffcv"
	"github.com/shiftgen/shiftgen/manifests/webdataset"
)

// outputKinds are the outputs the tests write, with the generate flags that choose them.
var outputKinds = []struct {
	name  string
	flags []string
}{
	{"folder", nil},
	{"ffcv-raw", []string{"--output", "ffcv"}},
	{"ffcv-jpg", []string{"--output", "ffcv", "--ffcv-image", "jpg"}},
	{"webdataset", []string{"--output", "webdataset", "--shard-images", "4"}},
}

// noisyPNG writes a w×h PNG of pseudo-random pixels (they compress badly, so a run
// takes long enough to be killed part-way).
func noisyPNG(t *testing.T, path string, w, h int, seed uint32) {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	x := seed*2654435761 + 1
	for i := range img.Pix {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		img.Pix[i] = uint8(x>>24)/2 + uint8(i/(4*w))
		if i%4 == 3 {
			img.Pix[i] = 255
		}
	}
	writePNG(t, path, img)
}

// splitTree writes train/ and val/ of classes × perSplit noisy PNGs; train images are
// larger than 256 on one side (FFCV's max_resolution resize applies), in both
// orientations and with aspect ratios whose sizes round differently.
func splitTree(t *testing.T, classes, perSplit int) string {
	root := t.TempDir()
	sizes := [][2]int{{300, 217}, {96, 64}, {217, 300}, {64, 80}, {513, 257}, {80, 80}, {199, 401}}
	n := 0
	for c := range classes {
		for k := range perSplit {
			for _, split := range []string{"train", "val"} {
				sz := sizes[n%len(sizes)]
				if split == "val" {
					sz = [2]int{120, 90}
				}
				noisyPNG(t, filepath.Join(root, split, fmt.Sprintf("c%d", c), fmt.Sprintf("im%02d.png", k)), sz[0], sz[1], uint32(n))
				n++
			}
		}
	}
	return root
}

// linkGroups maps every regular file below dir (but run.json) to the sorted list of
// the files that share its bytes on disk (hard links), itself included.
func linkGroups(t *testing.T, dir string) map[string]string {
	t.Helper()
	byInode := map[[2]uint64][]string{}
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil || !fi.Mode().IsRegular() || fi.Name() == manifests.RunFile {
			return nil
		}
		st := fi.Sys().(*syscall.Stat_t)
		rel, _ := filepath.Rel(dir, p)
		k := [2]uint64{uint64(st.Dev), st.Ino}
		byInode[k] = append(byInode[k], rel)
		return nil
	})
	out := map[string]string{}
	for _, g := range byInode {
		sort.Strings(g)
		for _, p := range g {
			out[p] = strings.Join(g, " ")
		}
	}
	return out
}

// sameDataset fails unless got holds the files of want with the same bytes and the same
// hard links among them.
func sameDataset(t *testing.T, what, want, got string) {
	t.Helper()
	a, b := tree(t, want), tree(t, got)
	if len(a) != len(b) {
		t.Fatalf("%s: %d files, want %d", what, len(b), len(a))
	}
	for k, v := range a {
		if b[k] != v {
			t.Fatalf("%s: %s differs", what, k)
		}
	}
	la, lb := linkGroups(t, want), linkGroups(t, got)
	for k, v := range la {
		if lb[k] != v {
			t.Fatalf("%s: %s is linked with %q, want %q", what, k, lb[k], v)
		}
	}
}

// treeBytes is the size of every regular file below dir.
func treeBytes(dir string) int64 {
	var n int64
	filepath.Walk(dir, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() {
			n += fi.Size()
		}
		return nil
	})
	return n
}

// TestOutputsByteIdentical runs the real binary for every output kind, with images
// shared between datasets, and wants the same files, byte for byte and link for link:
// with 1 and 3 workers, as 3 shard processes joined by merge, and after processes killed
// with SIGKILL at several points and resumed (FFCV's jpg mode, the same sink as raw,
// skips the kills). Every result verifies.
func TestOutputsByteIdentical(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode")
	}
	root := splitTree(t, 2, 4)
	shifts := []string{"--shift", "vflip", "--shift", "unseen-tint", "--shift", "night"}
	datasets := []string{"vflip", "unseen-tint", "night"}
	for _, kind := range outputKinds {
		t.Run(kind.name, func(t *testing.T) {
			args := func(out string, extra ...string) []string {
				a := append([]string{"generate", "--in", root, "--out", out, "--tint-table-size", "1000", "--quiet"}, shifts...)
				return append(append(a, kind.flags...), extra...)
			}
			ref := t.TempDir()
			if b, err := self(args(ref, "--workers", "1")...).CombinedOutput(); err != nil {
				t.Fatalf("%v\n%s", err, b)
			}
			for _, d := range datasets {
				if code := run(context.Background(), []string{"shiftgen", "verify", "-q", filepath.Join(ref, d)}); code != 0 {
					t.Fatalf("verify %s: exit %d", d, code)
				}
			}

			wide := t.TempDir()
			if b, err := self(args(wide, "--workers", "3")...).CombinedOutput(); err != nil {
				t.Fatalf("%v\n%s", err, b)
			}
			sameDataset(t, "3 workers", ref, wide)

			sharded := t.TempDir()
			for k := 1; k <= 3; k++ {
				if b, err := self(args(sharded, "--shard", fmt.Sprintf("%d/3", k), "--workers", "2")...).CombinedOutput(); err != nil {
					t.Fatalf("shard %d: %v\n%s", k, err, b)
				}
			}
			// Merged in the reverse order: a dataset that names another's containers
			// does not need it merged first.
			for i := len(datasets) - 1; i >= 0; i-- {
				if code := run(context.Background(), []string{"shiftgen", "merge", filepath.Join(sharded, datasets[i])}); code != 0 {
					t.Fatalf("merge %s: exit %d", datasets[i], code)
				}
			}
			sameDataset(t, "shards + merge", ref, sharded)

			if kind.name == "ffcv-jpg" {
				return // the FFCV sink again, with other bytes: resumed as ffcv-raw is
			}
			total := treeBytes(ref)
			interrupted := 0
			for _, frac := range []int64{0, 3, 6} {
				out := t.TempDir()
				killWhen(t, self(args(out, "--workers", "1")...), func() bool { return treeBytes(out) >= total*frac/10 })
				if _, err := os.Stat(filepath.Join(out, "night", manifests.ManifestFile)); err != nil {
					interrupted++
				}
				if b, err := self(args(out, "--workers", "2", "--resume")...).CombinedOutput(); err != nil {
					t.Fatalf("resume after a kill at %d/10 of the bytes: %v\n%s", frac, err, b)
				}
				sameDataset(t, fmt.Sprintf("killed at %d/10 and resumed", frac), ref, out)
			}
			if interrupted < 2 {
				t.Fatalf("only %d of 3 kills landed mid-run; the test did not exercise resume", interrupted)
			}
			t.Logf("%d of 3 kills landed mid-run", interrupted)
		})
	}
}

// readDataset reads a dataset's manifest and records.
func readDataset(t *testing.T, dir string) (*manifests.Manifest, []*manifests.Record) {
	t.Helper()
	m, recs, err := manifests.ReadDataset(filepath.Join(dir, manifests.ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	return m, recs
}

// runQuiet runs the CLI in-process and returns its exit code and what it wrote to
// stderr.
func runQuiet(t *testing.T, args ...string) (int, string) {
	t.Helper()
	code, _, stderr := evalRun(t, args...)
	return code, stderr
}

// TestSharedImagesStoredOnce: the untouched reference of out-of-support shifts is
// written once per run. Folder output: the later datasets' reference files are hard
// links to the first's, run.json says so, the summary counts the files and bytes saved,
// and --dedup=false writes the same bytes as separate files. Container output: the later
// datasets have no reference container of their own; their manifest and records name the
// first dataset's, and verify follows them.
func TestSharedImagesStoredOnce(t *testing.T) {
	shifts := []string{"--shift", "vflip", "--shift", "unseen-tint", "--shift", "night"}
	out := t.TempDir()
	code, stderr := runQuiet(t, append([]string{"generate", "--out", out, "--quiet"}, shifts...)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	_, first := readDataset(t, filepath.Join(out, "vflip"))
	var refBytes int64
	for _, r := range first {
		if r.Distribution == "reference" {
			refBytes += r.Size
		}
	}
	for _, d := range []string{"unseen-tint", "night"} {
		_, recs := readDataset(t, filepath.Join(out, d))
		linked := 0
		for i, r := range recs {
			a, err1 := os.Stat(filepath.Join(out, "vflip", first[i].Path))
			b, err2 := os.Stat(filepath.Join(out, d, r.Path))
			if err1 != nil || err2 != nil {
				t.Fatal(err1, err2)
			}
			if os.SameFile(a, b) {
				linked++
				if r.Distribution != "reference" || r.SHA256 != first[i].SHA256 {
					t.Fatalf("%s/%s is linked to vflip's %s but is not the same reference image", d, r.Path, first[i].Path)
				}
			} else if r.Distribution == "reference" {
				t.Fatalf("%s/%s is a copy, not a hard link", d, r.Path)
			}
		}
		var run manifests.Run
		b, _ := os.ReadFile(filepath.Join(out, d, manifests.RunFile))
		if err := json.Unmarshal(b, &run); err != nil || run.Shared == nil || run.Shared.Linked != 48 || run.Shared.Linked != linked || run.Shared.Bytes != refBytes || run.Shared.Copied != 0 {
			t.Fatalf("%s: %d linked; run.json shared %+v (%v), want 48 linked, %d bytes", d, linked, run.Shared, err, refBytes)
		}
		if code, _ := runQuiet(t, "verify", filepath.Join(out, d)); code != 0 {
			t.Fatalf("verify %s: exit %d", d, code)
		}
	}
	want := fmt.Sprintf("saved 96 files and %s by storing identical images once (96 hard links)", byteSize(2*refBytes))
	if !strings.Contains(stderr, want) {
		t.Fatalf("summary %q lacks %q", stderr, want)
	}
	// --force on one dataset leaves the others' files intact.
	if code, e := runQuiet(t, "generate", "--out", out, "--shift", "vflip", "--force", "--quiet", "--dedup=false"); code != 0 {
		t.Fatalf("--force: exit %d: %s", code, e)
	}
	for _, d := range []string{"vflip", "unseen-tint", "night"} {
		if code, _ := runQuiet(t, "verify", "-q", filepath.Join(out, d)); code != 0 {
			t.Fatalf("verify %s after vflip was written again: exit %d", d, code)
		}
	}

	plain := t.TempDir()
	if code, e := runQuiet(t, append([]string{"generate", "--out", plain, "--quiet", "--dedup=false"}, shifts...)...); code != 0 || strings.Contains(e, "saved") {
		t.Fatalf("--dedup=false: exit %d: %s", code, e)
	}
	compareTrees(t, tree(t, out), tree(t, plain))
	for _, g := range linkGroups(t, plain) {
		if strings.Contains(g, " ") {
			t.Fatalf("--dedup=false linked %s", g)
		}
	}

	for _, kind := range outputKinds[1:] {
		t.Run(kind.name, func(t *testing.T) {
			out := t.TempDir()
			code, stderr := runQuiet(t, append(append([]string{"generate", "--out", out, "--quiet"}, shifts...), kind.flags...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			m0, recs0 := readDataset(t, filepath.Join(out, "vflip"))
			for _, c := range m0.Output.Containers {
				if !c.Own() {
					t.Fatalf("vflip names another dataset's container %s", c.Path)
				}
			}
			// WebDataset: each sample's .json holds the sampled fields, and unseen-tint's
			// reference records have none while vflip's and night's say applied=false, so
			// only night shares vflip's shards.
			sharers := []string{"unseen-tint", "night"}
			if kind.name == "webdataset" {
				sharers = []string{"night"}
			}
			for _, d := range sharers {
				m, recs := readDataset(t, filepath.Join(out, d))
				if m.Output.Shared["reference/val"] != "../vflip" {
					t.Fatalf("%s: shared %v", d, m.Output.Shared)
				}
				for i, r := range recs {
					if r.Distribution != "reference" {
						continue
					}
					if r.Path != "../vflip/"+recs0[i].Path || *r.In != *recs0[i].In || r.SHA256 != recs0[i].SHA256 {
						t.Fatalf("%s: record %s (%+v) does not name vflip's %s (%+v)", d, r.Path, r.In, recs0[i].Path, recs0[i].In)
					}
				}
				entries, _ := filepath.Glob(filepath.Join(out, d, "reference*"))
				if len(entries) != 0 {
					t.Fatalf("%s holds a reference container of its own: %v", d, entries)
				}
				if code, _ := runQuiet(t, "verify", filepath.Join(out, d)); code != 0 {
					t.Fatalf("verify %s: exit %d", d, code)
				}
			}
			if !strings.Contains(stderr, "saved") || !strings.Contains(stderr, fmt.Sprintf("%d images in", 48*len(sharers))) {
				t.Fatalf("summary: %s", stderr)
			}
		})
	}
}

// flipByte inverts the byte at offset off of the file p.
func flipByte(t *testing.T, p string, off int64) {
	t.Helper()
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, 1)
	if _, err := f.ReadAt(b, off); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0xff
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}

// TestVerifyFlippedByteInContainer flips one byte inside containers written by the
// binary and wants verify to fail (exit 4) naming what changed: the container and the
// image whose bytes hold the flip, also from a dataset that shares the container; a flip
// outside any image (FFCV page padding, a tar header) is caught by the container's own
// SHA-256.
func TestVerifyFlippedByteInContainer(t *testing.T) {
	for _, kind := range outputKinds[1:] {
		t.Run(kind.name, func(t *testing.T) {
			out := t.TempDir()
			args := append([]string{"generate", "--out", out, "--shift", "vflip", "--shift", "night", "--quiet"}, kind.flags...)
			if code, stderr := runQuiet(t, args...); code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			_, recs := readDataset(t, filepath.Join(out, "vflip"))
			r := recs[5] // reference/val, shared by night
			if r.Distribution != "reference" || r.In == nil {
				t.Fatalf("record 5: %+v", r)
			}
			// Where the image's bytes are in the file, by the format's reader; the
			// bytes there must be the record's.
			file := filepath.Join(out, "vflip", r.Path)
			at, size := imageAt(t, file, r)
			data, _ := os.ReadFile(file)
			if size != r.Size || sha(data[at:at+size]) != r.SHA256 {
				t.Fatalf("%s: the reader places the image at %d (%d bytes), which do not hash to the record's", r.Locator(), at, size)
			}
			img := data[at : at+size]
			flipByte(t, file, at+int64(len(img))/2)
			for _, d := range []struct{ dir, want string }{{"vflip", r.Locator()}, {"night", "../vflip/" + r.Locator()}} {
				code, stdout, _ := evalRun(t, "verify", filepath.Join(out, d.dir))
				if code != exitVerify || !strings.Contains(stdout, "changed\t"+d.want+"\n") || strings.Count(stdout, "changed\t") != map[string]int{"vflip": 2, "night": 1}[d.dir] {
					t.Fatalf("verify %s after a flip inside %s: exit %d\n%s", d.dir, d.want, code, stdout)
				}
				if d.dir == "vflip" && !strings.Contains(stdout, "changed\t"+r.Path+"\n") {
					t.Fatalf("verify does not name the container %s:\n%s", r.Path, stdout)
				}
			}
			flipByte(t, file, at+int64(len(img))/2) // restored
			if code, _ := runQuiet(t, "verify", filepath.Join(out, "vflip")); code != 0 {
				t.Fatalf("verify after the flip was undone: exit %d", code)
			}
			// A byte outside every image: FFCV's padding before the first page, a tar
			// shard's first header.
			off := int64(1 << 20)
			if kind.name == "webdataset" {
				off = 100
			}
			flipByte(t, file, off)
			code, stdout, _ := evalRun(t, "verify", filepath.Join(out, "vflip"))
			if code != exitVerify || !strings.Contains(stdout, "changed\t"+r.Path+"\n") {
				t.Fatalf("verify after a flip at byte %d of %s: exit %d\n%s", off, r.Path, code, stdout)
			}
		})
	}
}

// imageAt returns where record r's image lies in its container file: offset and size.
func imageAt(t *testing.T, file string, r *manifests.Record) (int64, int64) {
	t.Helper()
	if r.In.Member == "" {
		rd, err := ffcv.Open(file)
		if err != nil {
			t.Fatal(err)
		}
		defer rd.Close()
		e := rd.Entry(int(r.In.Sample))
		return e.Offset, e.Size
	}
	rd, err := webdataset.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	for i := 0; i < rd.Len(); i++ {
		for _, m := range rd.Entry(i).Members {
			if m.Name == r.In.Member {
				return m.Offset, m.Size
			}
		}
	}
	t.Fatalf("%s has no member %s", file, r.In.Member)
	return 0, 0
}

// sha is the hex SHA-256 of b.
func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// TestRegenerateFromContainers: regenerate makes an image of a container dataset again,
// byte for byte the bytes its container holds (FFCV raw: the pixels), train images with
// FFCV's resize included.
func TestRegenerateFromContainers(t *testing.T) {
	in := splitTree(t, 2, 2)
	for _, kind := range outputKinds[1:] {
		out := t.TempDir()
		if code, stderr := runQuiet(t, append([]string{"generate", "--in", in, "--out", out, "--shift", "night", "--quiet"}, kind.flags...)...); code != 0 {
			t.Fatalf("%s: exit %d: %s", kind.name, code, stderr)
		}
		for _, c := range []struct{ dist, split, index string }{{"shifted", "val", "1"}, {"reference", "train", "0"}, {"reference", "train", "2"}} {
			file := filepath.Join(t.TempDir(), "x")
			code, stdout, stderr := evalRun(t, "regenerate", "--manifest", filepath.Join(out, "night", manifests.ManifestFile), "--in", in,
				"--distribution", c.dist, "--split", c.split, "--index", c.index, "--out", file)
			if code != 0 || !strings.Contains(stdout, "match\t") {
				t.Fatalf("%s %v: exit %d\n%s%s", kind.name, c, code, stdout, stderr)
			}
		}
	}
}

// TestOutputFlags: flags given for another kind of output are usage errors (exit 2)
// that say which output they go with.
func TestOutputFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--output", "zip"}, "unknown --output \"zip\"; valid: folder, ffcv, webdataset"},
		{[]string{"--ffcv-image", "jpg"}, "--ffcv-image goes with --output ffcv"},
		{[]string{"--output", "ffcv", "--shard-images", "5"}, "--shard-images goes with --output webdataset"},
		{[]string{"--output", "ffcv", "--format", "png"}, "--format does not apply"},
		{[]string{"--output", "ffcv", "--quality", "90"}, "--quality goes with --ffcv-image jpg"},
		{[]string{"--output", "webdataset", "--shard-images", "0"}, "--shard-images 0 is out of range"},
	} {
		code, stderr := runQuiet(t, append([]string{"generate", "--out", t.TempDir(), "--shift", "vflip", "--quiet"}, c.args...)...)
		if code != exitUsage || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d: %s", c.args, code, stderr)
		}
	}
}
