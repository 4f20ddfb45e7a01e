package main

import (
	"bytes"
	"compress/zlib"
	"crypto/sha256"
	"encoding/binary"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shiftgen/shiftgen/manifests"
	"github.com/shiftgen/shiftgen/shifts"
)

// These tests drive the shiftgen binary (this test binary run as the command) on
// inputs a hostile or careless user gives it, through the same flag parsing a shell
// session goes through.

// TestShiftSpecWithCommas: a spec holding several parameters stays whole on every
// command that takes --shift, and the shift that ran is the one the spec asked for.
func TestShiftSpecWithCommas(t *testing.T) {
	out := t.TempDir()
	code, stdout, stderr := naturalRun(t, "generate", "--out", out, "--quiet",
		"--shift", "spurious-tint:p=0.7,alpha=0.3", "--shift", "pad:pixels=8,tint=true")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	m, err := manifests.ReadManifest(filepath.Join(out, "spurious-tint_alpha-0.3_p-0.7", manifests.ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	var params map[string]float64
	if err := json.Unmarshal(m.Shift.Params, &params); err != nil {
		t.Fatal(err)
	}
	if params["p"] != 0.7 || params["alpha"] != 0.3 || m.Shift.Spec != "spurious-tint:p=0.7,alpha=0.3" {
		t.Fatalf("spec %q params %s", m.Shift.Spec, m.Shift.Params)
	}
	// The records follow the paper's table for p = 0.7, which differs from the default
	// p's table on this sample (so a spec cut at the comma cannot pass).
	want := shifts.NewTintTable(0, shifts.DefaultTintTableSize, 0.7)
	other := shifts.NewTintTable(0, shifts.DefaultTintTableSize, 0.5)
	recs, err := manifests.ReadRecordsFile(filepath.Join(out, "spurious-tint_alpha-0.3_p-0.7", manifests.RecordsFile))
	if err != nil {
		t.Fatal(err)
	}
	differs := 0
	for _, r := range recs {
		if r.Distribution != "reference" {
			continue
		}
		s, _ := r.Field("spurious")
		if s != strconv.FormatBool(want.Spurious[r.Index]) {
			t.Fatalf("%s: spurious %s, the p=0.7 table says %v", r.Path, s, want.Spurious[r.Index])
		}
		if want.Spurious[r.Index] != other.Spurious[r.Index] {
			differs++
		}
	}
	if differs == 0 {
		t.Fatal("the sample cannot tell p=0.7 from p=0.5; the test proves nothing")
	}
	pm, err := manifests.ReadManifest(filepath.Join(out, "pad_pixels-8_tint-true", manifests.ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	var pp map[string]any
	json.Unmarshal(pm.Shift.Params, &pp)
	if pp["pixels"] != 8.0 || pp["tint"] != true {
		t.Fatalf("pad params %s", pm.Shift.Params)
	}

	// preview keeps the spec whole too: the pad column is 8 px wider on each side.
	sheet := filepath.Join(t.TempDir(), "sheet.png")
	if code, _, stderr := naturalRun(t, "preview", "--shift", "pad:pixels=8,tint=true", "--out", sheet, "--rows", "1"); code != 0 {
		t.Fatalf("preview: exit %d: %s", code, stderr)
	}
	f, err := os.Open(sheet)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := png.Decode(f); err != nil {
		t.Fatal(err)
	}
}

// pythonWith returns /usr/bin/python3 when it imports every module named, else skips.
func pythonWith(t *testing.T, modules ...string) string {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: no Python")
	}
	const py = "/usr/bin/python3"
	for _, m := range modules {
		if err := exec.Command(py, "-c", "import "+m).Run(); err != nil {
			t.Skipf("%s cannot import %s", py, m)
		}
	}
	return py
}

// tinyPNG writes a small PNG whose pixels depend on seed.
func tinyPNG(t *testing.T, path string, seed int) {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 12+seed%5, 9+seed%3))
	for i := range img.Pix {
		img.Pix[i] = uint8(i*7 + seed*31)
		if i%4 == 3 {
			img.Pix[i] = 255
		}
	}
	writePNG(t, path, img)
}

// writePNG writes img to path as a PNG, making path's folder if need be.
func writePNG(t *testing.T, path string, img image.Image) {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// awkwardTree is an ImageFolder tree laid out as labs build them: a class folder that is
// a link to a folder elsewhere, class and file names that are not UTF-8 (and sort
// differently by bytes than by Python's code points), a sub-folder whose name sorts
// against a sibling by its space, and a class-level link that leads nowhere.
func awkwardTree(t *testing.T) string {
	t.Helper()
	base := t.TempDir()
	root := filepath.Join(base, "root")
	files := []string{
		"apple/b.png", "apple/\xff.png", "apple/\xfe.png", "apple/\U0001F600.png", "apple/\u00e9.png",
		"apple/\xc3.png", "apple/\ufffd.png", "apple/sub/y.png", "apple/sub dir/x.png",
		"c\xff/one.png", "c\U0001F600/two.png",
	}
	for i, f := range files {
		tinyPNG(t, filepath.Join(root, f), i)
	}
	tinyPNG(t, filepath.Join(base, "elsewhere", "berry", "k.png"), 20)
	tinyPNG(t, filepath.Join(base, "elsewhere", "berry", "j.png"), 21)
	if err := os.Symlink(filepath.Join(base, "elsewhere", "berry"), filepath.Join(root, "b-link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(base, "nowhere"), filepath.Join(root, "broken")); err != nil {
		t.Fatal(err)
	}
	return root
}

// TestLabelsAsImageFolder indexes and generates from awkwardTree and checks labels,
// indices and names against torchvision's ImageFolder itself, and that the dataset
// verifies and evaluates.
func TestLabelsAsImageFolder(t *testing.T) {
	py := pythonWith(t, "torchvision")
	root := awkwardTree(t)
	idx := filepath.Join(t.TempDir(), "idx")
	code, _, stderr := naturalRun(t, "index", "--in", root, "--out", idx, "--quiet")
	// The link that leads nowhere is a class-level skip: warned about, exit 3.
	if code != exitSkipped || !strings.Contains(stderr, "broken") || !strings.Contains(stderr, "warning") {
		t.Fatalf("index: exit %d, stderr %q; want %d and a warning naming the broken link", code, stderr, exitSkipped)
	}
	script := `
import json, os, sys
from torchvision.datasets import ImageFolder
root, recs = sys.argv[1], sys.argv[2]
ds = ImageFolder(root)
names = sorted(os.listdir(root))
assert ds.classes != sorted(ds.classes, key=os.fsencode), "tree does not tell byte order from Python's"
rs = [json.loads(l) for l in open(recs, encoding="utf-8")]
m = json.load(open(os.path.join(os.path.dirname(recs), "manifest.json"), encoding="utf-8"))
assert [c["name"] for c in m["classes"]] == ds.classes, ("classes", [c["name"] for c in m["classes"]], ds.classes)
assert len(rs) == len(ds.samples), (len(rs), len(ds.samples))
for i, ((p, label), r) in enumerate(zip(ds.samples, rs)):
    want = os.path.relpath(p, root)
    assert (r["index"], r["label"], r["source"], r["class"]) == (i, label, want, ds.classes[label]), (i, r, want, label)
    # The JSON form gives the bytes back.
    assert os.path.exists(os.path.join(os.fsencode(os.path.dirname(recs)), os.fsencode(r["path"]))), r["path"]
print("ok", len(rs))
`
	out, err := exec.Command(py, "-c", script, root, filepath.Join(idx, manifests.RecordsFile)).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "ok 13" {
		t.Fatalf("torchvision disagrees: %v\n%s", err, out)
	}

	// generate writes every name byte-exact (no two files collapse onto one), verify
	// finds the fresh dataset intact, and eval scores predictions Python wrote by path.
	gen := filepath.Join(t.TempDir(), "gen")
	if code, _, stderr := naturalRun(t, "generate", "--in", root, "--out", gen, "--shift", "vflip", "--format", "png", "--quiet"); code != exitSkipped {
		t.Fatalf("generate: exit %d: %s", code, stderr)
	}
	ds := filepath.Join(gen, "vflip")
	for _, f := range []string{"\xff.png", "\xfe.png", "\xc3.png", "\ufffd.png"} {
		if _, err := os.Stat(filepath.Join(ds, "shifted", "val", "apple", f)); err != nil {
			t.Errorf("output %q: %v", f, err)
		}
	}
	if code, stdout, stderr := naturalRun(t, "verify", "--quiet", ds); code != 0 {
		t.Fatalf("verify of a fresh dataset: exit %d\n%s%s", code, stdout, stderr)
	}
	preds := t.TempDir()
	script = `
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
for name, m in (("scratch-a", 2), ("scratch-b", 3), ("scratch-c", 5), ("other", 7)):
    with open(sys.argv[2] + "/" + name + ".jsonl", "w") as f:
        for r in recs:
            p = r["label"] if r["index"] % m else (r["label"] + 1) % 4
            f.write(json.dumps({"path": r["path"], "prediction": p}) + "\n")
`
	if out, err := exec.Command(py, "-c", script, filepath.Join(ds, manifests.RecordsFile), preds).CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	code, stdout, stderr := naturalRun(t, "eval", "--manifest", filepath.Join(ds, manifests.ManifestFile), "--baseline", "scratch-*", "--format", "json", "--predictions", preds)
	if code != 0 {
		t.Fatalf("eval: exit %d: %s", code, stderr)
	}
	reported := reportedAccuracies(t, stdout)
	recs, err := manifests.ReadRecordsFile(filepath.Join(ds, manifests.RecordsFile))
	if err != nil {
		t.Fatal(err)
	}
	mods := map[string]int{"scratch-a": 2, "scratch-b": 3, "scratch-c": 5, "other": 7}
	if len(reported) != len(mods) {
		t.Fatalf("%d models reported", len(reported))
	}
	for _, md := range reported {
		var right, n [2]int
		for _, r := range recs {
			d := 0
			if r.Distribution == "shifted" {
				d = 1
			}
			n[d]++
			if r.Index%mods[md.Model] != 0 {
				right[d]++
			}
		}
		if md.RefAcc != float64(right[0])/float64(n[0]) || md.ShiftAcc != float64(right[1])/float64(n[1]) {
			t.Errorf("%s: accuracies %v %v, want %d/%d %d/%d", md.Model, md.RefAcc, md.ShiftAcc, right[0], n[0], right[1], n[1])
		}
	}
}

// hugePNG is a PNG of a few dozen bytes whose header declares w×h RGB pixels, with an
// image-data chunk so that a decoder that trusts the header allocates w·h·4 bytes.
func hugePNG(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(kind string, data []byte) {
		binary.Write(&b, binary.BigEndian, uint32(len(data)))
		c := append([]byte(kind), data...)
		b.Write(c)
		binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(c))
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 2
	chunk("IHDR", ihdr)
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(make([]byte, 64))
	zw.Close()
	chunk("IDAT", z.Bytes())
	chunk("IEND", nil)
	return b.Bytes()
}

// TestBoundedInputs: inputs that would take the machine's memory are refused before
// they are read or decoded, and a refusal says what to do in a few lines.
func TestBoundedInputs(t *testing.T) {
	// A sparse 6 GB .JPEG: a real JPEG header, then nothing.
	root := t.TempDir()
	jpg, err := os.ReadFile("../../testdata/imagefolder/val/cat/cat_0.JPEG")
	if err != nil {
		t.Fatal(err)
	}
	tinyPNG(t, filepath.Join(root, "a", "good.png"), 1)
	big := filepath.Join(root, "a", "huge.JPEG")
	if err := os.WriteFile(big, jpg[:600], 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(big, 6<<30); err != nil {
		t.Skipf("no sparse files here: %v", err)
	}
	out := t.TempDir()
	for _, args := range [][]string{
		{"generate", "--in", root, "--out", filepath.Join(out, "gen"), "--shift", "vflip", "--quiet"},
		{"index", "--in", root, "--out", filepath.Join(out, "idx"), "--quiet"},
	} {
		code, stdout, stderr := naturalRun(t, args...)
		if code != exitSkipped {
			t.Fatalf("%s: exit %d\n%s%s", args[0], code, stdout, stderr[:min(len(stderr), 2000)])
		}
		dir := filepath.Join(out, "idx")
		if args[0] == "generate" {
			dir = filepath.Join(out, "gen", "vflip")
		}
		m, err := manifests.ReadManifest(filepath.Join(dir, manifests.ManifestFile))
		if err != nil {
			t.Fatal(err)
		}
		if len(m.Skipped) != 1 || m.Skipped[0].Source != "a/huge.JPEG" || !strings.Contains(m.Skipped[0].Reason, "6442450944 bytes, over --max-file-bytes") {
			t.Fatalf("%s: skipped %+v", args[0], m.Skipped)
		}
	}
	// A frost texture goes through the same guarded decode as every input.
	tex := t.TempDir()
	if err := os.WriteFile(filepath.Join(tex, "frost.png"), hugePNG(100000, 100000), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := naturalRun(t, "generate", "--out", filepath.Join(out, "frost"), "--shift", "frost", "--frost-textures", tex, "--quiet")
	if code != exitError || !strings.Contains(stderr, "--max-pixels") || strings.Contains(stderr, "goroutine") {
		t.Fatalf("frost texture declaring 10^10 pixels: exit %d: %.2000s", code, stderr)
	}
}

// TestPredictionReaders: prediction files are read as RFC 4180 has CSV (a path holding
// a comma or a line break, quoted), and files that are not files of predictions are
// refused with a short message.
func TestPredictionReaders(t *testing.T) {
	root := t.TempDir()
	for i, f := range []string{"ant/a,b.png", "ant/new\nline.png", "ant/plain.png", "bee/say \"hi\".png", "bee/x.png", "bee/y.png"} {
		tinyPNG(t, filepath.Join(root, f), i)
	}
	out := t.TempDir()
	if code, _, stderr := naturalRun(t, "generate", "--in", root, "--out", out, "--shift", "vflip", "--format", "png", "--quiet"); code != 0 {
		t.Fatalf("generate: exit %d: %s", code, stderr)
	}
	ds := filepath.Join(out, "vflip")
	recs, err := manifests.ReadRecordsFile(filepath.Join(ds, manifests.RecordsFile))
	if err != nil {
		t.Fatal(err)
	}
	preds := t.TempDir()
	mods := map[string]int{"scratch-a": 2, "scratch-b": 3, "scratch-c": 4, "other": 5}
	for name, m := range mods {
		var b bytes.Buffer
		w := csv.NewWriter(&b)
		w.Write([]string{"path", "prediction"})
		for _, r := range recs {
			p := r.Label
			if r.Index%m == 0 {
				p = 1 - r.Label
			}
			w.Write([]string{r.Path, strconv.Itoa(p)})
		}
		w.Flush()
		if !bytes.Contains(b.Bytes(), []byte("\"reference/val/ant/a,b.png\"")) || !bytes.Contains(b.Bytes(), []byte("new\nline")) {
			t.Fatalf("the CSV does not quote the awkward paths:\n%s", b.Bytes())
		}
		if err := os.WriteFile(filepath.Join(preds, name+".csv"), b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	manifest := filepath.Join(ds, manifests.ManifestFile)
	code, stdout, stderr := naturalRun(t, "eval", "--manifest", manifest, "--baseline", "scratch-*", "--format", "json", "--predictions", preds)
	if code != 0 {
		t.Fatalf("eval: exit %d: %s", code, stderr)
	}
	reported := reportedAccuracies(t, stdout)
	if len(reported) != len(mods) {
		t.Fatalf("%d models reported, want %d:\n%s", len(reported), len(mods), stdout)
	}
	for _, md := range reported {
		right := 0
		for _, r := range recs {
			if r.Distribution == "reference" && r.Index%mods[md.Model] != 0 {
				right++
			}
		}
		if md.RefAcc != float64(right)/6 {
			t.Errorf("%s: reference accuracy %v, want %d/6", md.Model, md.RefAcc, right)
		}
	}

	// A device named .csv, and a file whose second line is 200 MB long.
	bad := t.TempDir()
	if err := os.Symlink("/dev/zero", filepath.Join(bad, "zero.csv")); err != nil {
		t.Fatal(err)
	}
	long := filepath.Join(bad, "long.csv")
	if err := os.WriteFile(long, []byte("path,prediction\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(long, 200<<20); err != nil {
		t.Fatal(err)
	}
	longJSONL := filepath.Join(bad, "long.jsonl")
	if err := os.WriteFile(longJSONL, []byte(`{"path": "`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(longJSONL, 200<<20); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ file, want string }{
		{filepath.Join(bad, "zero.csv"), "not a regular file"},
		{long, "longer than"},
		{longJSONL, "longer than"},
	} {
		code, _, stderr := naturalRun(t, "eval", "--manifest", manifest, "--baseline", "scratch-*", "--predictions", preds, "--predictions", c.file)
		if code != exitError || !strings.Contains(stderr, c.want) || len(stderr) > 1000 {
			t.Errorf("%s: exit %d, %d bytes on stderr: %.300q; want exit 1, a short message saying %q", filepath.Base(c.file), code, len(stderr), stderr, c.want)
		}
	}
	// A bad value is quoted by a short prefix only.
	junk := filepath.Join(bad, "junk.csv")
	os.WriteFile(junk, []byte("path,prediction\n"+strings.Repeat("x", 100000)+",1\n"), 0o644)
	code, _, stderr = naturalRun(t, "eval", "--manifest", manifest, "--baseline", "scratch-*", "--predictions", preds, "--predictions", junk)
	if code != exitError || !strings.Contains(stderr, "unknown image") || len(stderr) > 1000 {
		t.Errorf("junk path: exit %d, %d bytes: %.300q", code, len(stderr), stderr)
	}
}

// rewriteDataset applies edit to every record (as a JSON object, by line number) and to
// the manifest, and keeps the manifest's records SHA-256 and count in step, so that only
// the edits themselves can be found wrong.
func rewriteDataset(t *testing.T, dir string, editRec func(i int, r map[string]any), editManifest func(m map[string]any)) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, manifests.RecordsFile))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	for i, line := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
		var r map[string]any
		if err := json.Unmarshal(line, &r); err != nil {
			t.Fatal(err)
		}
		editRec(i, r)
		nb, _ := json.Marshal(r)
		out.Write(append(nb, '\n'))
	}
	if err := os.WriteFile(filepath.Join(dir, manifests.RecordsFile), out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	mb, err := os.ReadFile(filepath.Join(dir, manifests.ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(mb, &m); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(out.Bytes())
	m["records"].(map[string]any)["sha256"] = hex.EncodeToString(sum[:])
	if editManifest != nil {
		editManifest(m)
	}
	mb, _ = json.MarshalIndent(m, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, manifests.ManifestFile), mb, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestVerifyTrustsNothing: record paths that leave the dataset, two records naming one
// file and a file swapped for a link to an identical file outside are each reported;
// verify never looks outside (its words are the same whether the outside file exists
// or not), and a manifest calling itself "natural" switches no check off.
func TestVerifyTrustsNothing(t *testing.T) {
	base := t.TempDir()
	root := filepath.Join(base, "in")
	for i, f := range []string{"a/0.png", "a/1.png", "a/2.png", "b/3.png", "b/4.png", "b/5.png"} {
		tinyPNG(t, filepath.Join(root, f), i)
	}
	out := filepath.Join(base, "out")
	if code, _, stderr := naturalRun(t, "generate", "--in", root, "--out", out, "--shift", "vflip", "--format", "png", "--quiet"); code != 0 {
		t.Fatalf("generate: exit %d: %s", code, stderr)
	}
	ds := filepath.Join(out, "vflip")
	recs, err := manifests.ReadRecordsFile(filepath.Join(ds, manifests.RecordsFile))
	if err != nil {
		t.Fatal(err)
	}
	// Outside copies of record 0's and record 4's bytes, which a verify that follows
	// paths would find intact.
	secret := filepath.Join(base, "secret.png")
	b0, _ := os.ReadFile(filepath.Join(ds, recs[0].Path))
	os.WriteFile(secret, b0, 0o644)
	b4, _ := os.ReadFile(filepath.Join(ds, recs[4].Path))
	os.WriteFile(filepath.Join(base, "copy4.png"), b4, 0o644)
	os.Remove(filepath.Join(ds, recs[4].Path))
	if err := os.Symlink(filepath.Join(base, "copy4.png"), filepath.Join(ds, recs[4].Path)); err != nil {
		t.Fatal(err)
	}
	rewriteDataset(t, ds, func(i int, r map[string]any) {
		switch i {
		case 0:
			r["path"] = "../../secret.png" // exists, same bytes
		case 1:
			r["path"] = "../../nothing.png" // does not exist
		case 2:
			r["path"] = secret // absolute
		case 3:
			r["path"] = recs[5].Path // the same file as record 5
		}
	}, func(m map[string]any) { m["shift"].(map[string]any)["kind"] = "natural" })
	os.WriteFile(filepath.Join(ds, "stray.png"), []byte("x"), 0o644)

	code, stdout, _ := naturalRun(t, "verify", "--quiet", ds)
	if code != exitVerify {
		t.Fatalf("verify: exit %d\n%s", code, stdout)
	}
	problems := map[string]string{}
	for _, l := range strings.Split(stdout, "\n") {
		if kind, text, ok := strings.Cut(l, "\t"); ok {
			problems[text] = kind
		}
	}
	find := func(s string) string {
		for text := range problems {
			if strings.Contains(text, s) {
				return text
			}
		}
		t.Errorf("no finding mentions %q:\n%s", s, stdout)
		return ""
	}
	p0, p1 := find(`"../../secret.png"`), find(`"../../nothing.png"`)
	find(strconv.Quote(secret) + " is absolute")
	find("names the same file")
	find(recs[4].Path + ": is a symbolic link")
	if problems["stray.png"] != "extra" {
		t.Errorf("the stray file is not reported as extra:\n%s", stdout)
	}
	// The two outside paths get the same words, whether or not the file exists.
	norm := func(s string) string {
		s = strings.Replace(s, "secret", "X", 1)
		s = strings.Replace(s, "nothing", "X", 1)
		return strings.Replace(strings.Replace(s, "/0:", "/N:", 1), "/1:", "/N:", 1)
	}
	if norm(p0) != norm(p1) {
		t.Errorf("outside paths worded differently:\n%s\n%s", p0, p1)
	}
	// An indexed dataset's records point into its source: verified inside --images,
	// reported without it.
	idx := filepath.Join(base, "idx")
	if code, _, stderr := naturalRun(t, "index", "--in", root, "--out", idx, "--quiet"); code != 0 {
		t.Fatalf("index: exit %d: %s", code, stderr)
	}
	if code, stdout, _ := naturalRun(t, "verify", "--quiet", "--images", root, idx); code != 0 {
		t.Errorf("verify --images of a fresh index: exit %d\n%s", code, stdout)
	}
	if code, stdout, _ := naturalRun(t, "verify", "--quiet", idx); code != exitVerify || !strings.Contains(stdout, "pass --images") {
		t.Errorf("verify of an index without --images: exit %d\n%s", code, stdout)
	}
	if code, stdout, _ := naturalRun(t, "verify", "--quiet", "--images", filepath.Join(root, "a"), idx); code != exitVerify || !strings.Contains(stdout, "leads out of the dataset folder and of --images") {
		t.Errorf("verify with a narrower --images: exit %d\n%s", code, stdout)
	}
	// A records file named outside the folder is refused before anything is opened.
	rewriteDataset(t, ds, func(int, map[string]any) {}, func(m map[string]any) { m["records"].(map[string]any)["name"] = "../../secret.png" })
	if code, _, stderr := naturalRun(t, "verify", "--quiet", ds); code != exitError || !strings.Contains(stderr, "not a file name beside the manifest") {
		t.Errorf("records.name outside: exit %d: %s", code, stderr)
	}
}

// arithJPEG writes an arithmetic-coded JPEG with the system's libjpeg (compiled from a
// few lines of C), or skips when there is no C compiler or libjpeg.
func arithJPEG(t *testing.T, path string) {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join(dir, "arith.c")
	os.WriteFile(src, []byte(`#include <stdio.h>
#include <jpeglib.h>
int main(int argc, char **argv) {
	struct jpeg_compress_struct c;
	struct jpeg_error_mgr e;
	unsigned char row[24 * 3];
	JSAMPROW r = row;
	FILE *f = fopen(argv[1], "wb");
	c.err = jpeg_std_error(&e);
	jpeg_create_compress(&c);
	jpeg_stdio_dest(&c, f);
	c.image_width = 24;
	c.image_height = 16;
	c.input_components = 3;
	c.in_color_space = JCS_RGB;
	jpeg_set_defaults(&c);
	c.arith_code = TRUE;
	jpeg_start_compress(&c, TRUE);
	for (int y = 0; y < 16; y++) {
		for (int i = 0; i < 24 * 3; i++) row[i] = (unsigned char)(i * 3 + y * 11);
		jpeg_write_scanlines(&c, &r, 1);
	}
	jpeg_finish_compress(&c);
	fclose(f);
	return 0;
}
`), 0o644)
	bin := filepath.Join(dir, "arith")
	if out, err := exec.Command("cc", "-o", bin, src, "-ljpeg").CombinedOutput(); err != nil {
		t.Skipf("cannot build an arithmetic-coded JPEG (needs cc and libjpeg): %v %s", err, out)
	}
	if out, err := exec.Command(bin, path).CombinedOutput(); err != nil {
		t.Skipf("libjpeg cannot write arithmetic-coded JPEG: %v %s", err, out)
	}
	if b, _ := os.ReadFile(path); !bytes.Contains(b, []byte{0xff, 0xc9}) {
		t.Skip("the JPEG written is not arithmetic-coded (no SOF9)")
	}
}

// TestDecodeAsPillow: lossy WebP (opaque and with alpha, odd sizes) comes out of the
// binary with exactly Pillow's pixels; files Pillow reads and shiftgen's decoders do not
// (arithmetic-coded JPEG, CMYK and JPEG-compressed TIFF) are skipped by every build
// with a reason that says how to convert them.
func TestDecodeAsPillow(t *testing.T) {
	py := pythonWith(t, "PIL", "numpy")
	root := t.TempDir()
	script := `
import sys, numpy as np
from PIL import Image, features
root = sys.argv[1]
rs = np.random.RandomState(7)
for name, w, h, alpha, q in (("a", 37, 23, False, 80), ("b", 33, 34, True, 75), ("c", 64, 48, False, 95), ("d", 1, 1, False, 80)):
    yy, xx = np.mgrid[0:h, 0:w]
    px = np.stack([xx * 255 // max(w - 1, 1), yy * 255 // max(h - 1, 1), rs.randint(0, 256, (h, w))], -1).astype(np.uint8)
    im = Image.fromarray(px)
    if alpha:
        im = im.convert("RGBA")
        im.putalpha(Image.fromarray(rs.randint(0, 256, (h, w)).astype(np.uint8)))
    p = f"{root}/webp/{name}.webp"
    im.save(p, "WEBP", quality=q)
    open(p + ".rgb", "wb").write(np.asarray(Image.open(p).convert("RGB")).tobytes())
cmyk = Image.fromarray(rs.randint(0, 256, (10, 12, 4)).astype(np.uint8), "CMYK")
cmyk.save(f"{root}/other/cmyk.tif")
if features.check("libtiff"):
    Image.fromarray(rs.randint(0, 256, (16, 16, 3)).astype(np.uint8)).save(f"{root}/other/jpeg.tif", compression="jpeg")
`
	os.MkdirAll(filepath.Join(root, "webp"), 0o755)
	os.MkdirAll(filepath.Join(root, "other"), 0o755)
	if out, err := exec.Command(py, "-c", script, root).CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	pil := map[string][]byte{}
	for _, n := range []string{"a", "b", "c", "d"} {
		p := filepath.Join(root, "webp", n+".webp")
		pil[n], _ = os.ReadFile(p + ".rgb")
		os.Rename(p+".rgb", filepath.Join(t.TempDir(), n+".rgb")) // not an input
	}
	arithJPEG(t, filepath.Join(root, "other", "arith.jpg"))
	out := t.TempDir()
	code, _, stderr := naturalRun(t, "generate", "--in", root, "--out", out, "--shift", "vflip", "--preprocess", "none", "--format", "png", "--quiet")
	if code != exitSkipped {
		t.Fatalf("generate: exit %d: %s", code, stderr)
	}
	ds := filepath.Join(out, "vflip")
	for n, want := range pil {
		f, err := os.Open(filepath.Join(ds, "reference", "val", "webp", n+".png"))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		b := img.Bounds()
		differ := 0
		for y := 0; y < b.Dy(); y++ {
			for x := 0; x < b.Dx(); x++ {
				r, g, bl, _ := img.At(x, y).RGBA()
				o := 3 * (y*b.Dx() + x)
				if uint8(r>>8) != want[o] || uint8(g>>8) != want[o+1] || uint8(bl>>8) != want[o+2] {
					differ++
				}
			}
		}
		if differ > 0 || 3*b.Dx()*b.Dy() != len(want) {
			t.Errorf("%s.webp: %d of %d pixels differ from Pillow's", n, differ, len(want)/3)
		}
	}
	m, err := manifests.ReadManifest(filepath.Join(ds, manifests.ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	reasons := map[string]string{}
	for _, s := range m.Skipped {
		reasons[s.Source] = s.Reason
	}
	want := map[string]string{"other/arith.jpg": "arithmetic-coded JPEG", "other/cmyk.tif": "colour model other than grey, RGB or palette"}
	if _, err := os.Stat(filepath.Join(root, "other", "jpeg.tif")); err == nil {
		want["other/jpeg.tif"] = "JPEG-compressed TIFF"
	}
	for src, w := range want {
		if !strings.Contains(reasons[src], w) || !strings.Contains(reasons[src], "convert it to PNG") {
			t.Errorf("%s: reason %q; want it to say %q and how to convert it", src, reasons[src], w)
		}
	}
	if len(reasons) != len(want) {
		t.Errorf("skipped %v; want %v", reasons, want)
	}
}

// TestSmallThings: exit statuses that agree with what the manifests list, flag values
// that cannot be meant refused, plots that never overwrite each other, and a byte-order
// mark that is not an error.
func TestSmallThings(t *testing.T) {
	root := t.TempDir()
	for i, f := range []string{"a b/0.png", "a b/1.png", "a b/2.png", "a b/3.png", "a_b/4.png", "a_b/5.png", "a_b/6.png", "a_b/7.png"} {
		tinyPNG(t, filepath.Join(root, f), i)
	}
	// Only a link that is not followed: still a skipped input, exit 3.
	if err := os.Symlink(filepath.Join(root, "a b", "0.png"), filepath.Join(root, "a_b", "link.png")); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	code, _, stderr := naturalRun(t, "generate", "--in", root, "--out", out, "--shift", "vflip", "--format", "png", "--quiet")
	if code != exitSkipped || !strings.Contains(stderr, "skipped 1 input;") {
		t.Fatalf("a skipped link only: exit %d: %s", code, stderr)
	}
	// With a broken image as well, the summary counts what the manifest lists.
	os.WriteFile(filepath.Join(root, "a b", "broken.png"), []byte("\x89PNG\r\n\x1a\nbroken"), 0o644)
	out2 := t.TempDir()
	code, _, stderr = naturalRun(t, "generate", "--in", root, "--out", out2, "--shift", "vflip", "--format", "png", "--quiet")
	m, err := manifests.ReadManifest(filepath.Join(out2, "vflip", manifests.ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	if code != exitSkipped || len(m.Skipped) != 2 || !strings.Contains(stderr, "skipped 2 inputs;") {
		t.Fatalf("exit %d, manifest lists %d skips: %s", code, len(m.Skipped), stderr)
	}
	// --resume of the finished dataset, and merge of a sharded run, exit as a fresh run.
	code, _, stderr = naturalRun(t, "generate", "--in", root, "--out", out2, "--shift", "vflip", "--format", "png", "--quiet", "--resume")
	if code != exitSkipped || !strings.Contains(stderr, "already complete") {
		t.Errorf("--resume of a finished dataset with skips: exit %d: %s", code, stderr)
	}
	sharded := t.TempDir()
	for _, k := range []string{"1/2", "2/2"} {
		naturalRun(t, "generate", "--in", root, "--out", sharded, "--shift", "vflip", "--format", "png", "--quiet", "--shard", k)
	}
	if code, _, stderr := naturalRun(t, "merge", filepath.Join(sharded, "vflip")); code != exitSkipped || !strings.Contains(stderr, "skipped 2 inputs") {
		t.Errorf("merge of shards with skips: exit %d: %s", code, stderr)
	}

	// Values that cannot be meant are refused, not replaced by a default.
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"generate", "--out", t.TempDir(), "--shift", "vflip", "--quality", "0"}, "--quality 0 is out of range"},
		{[]string{"generate", "--out", t.TempDir(), "--shift", "vflip", "--quality", "101"}, "--quality 101 is out of range"},
		{[]string{"generate", "--out", t.TempDir(), "--shift", "vflip", "--workers", "-2"}, "--workers -2 is out of range"},
		{[]string{"preview", "--shift", "vflip", "--out", filepath.Join(t.TempDir(), "p.png"), "--cell", "-5"}, "--cell -5 is out of range"},
		{[]string{"preview", "--shift", "vflip", "--out", filepath.Join(t.TempDir(), "p.png"), "--cell", "100000"}, "--cell 100000 is out of range"},
		{[]string{"preview", "--shift", "vflip", "--out", filepath.Join(t.TempDir(), "p.png"), "--rows", "0"}, "--rows 0 is out of range"},
	} {
		code, _, stderr := naturalRun(t, c.args...)
		if code != exitUsage || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d: %s; want %d and %q", c.args, code, stderr, exitUsage, c.want)
		}
	}

	// Two class names that make the same safe file name get a plot each; predictions in
	// a JSONL file that starts with a byte-order mark are read.
	ds := filepath.Join(out, "vflip")
	recs, err := manifests.ReadRecordsFile(filepath.Join(ds, manifests.RecordsFile))
	if err != nil {
		t.Fatal(err)
	}
	preds := t.TempDir()
	for name, md := range map[string]int{"scratch-a": 2, "scratch-b": 3, "scratch-c": 4, "other": 5} {
		var b bytes.Buffer
		b.WriteString("\ufeff")
		for _, r := range recs {
			p := r.Label
			if r.Index%md == 0 {
				p = 1 - p
			}
			fmt.Fprintf(&b, "{\"path\": %q, \"prediction\": %d}\n", r.Path, p)
		}
		os.WriteFile(filepath.Join(preds, name+".jsonl"), b.Bytes(), 0o644)
	}
	plot := filepath.Join(t.TempDir(), "er.png")
	code, _, stderr = naturalRun(t, "eval", "--manifest", filepath.Join(ds, manifests.ManifestFile), "--baseline", "scratch-*",
		"--by", "class", "--plot", plot, "--quiet", "--predictions", preds)
	if code != 0 {
		t.Fatalf("eval --by class: exit %d: %s", code, stderr)
	}
	written, _ := filepath.Glob(filepath.Join(filepath.Dir(plot), "*.png"))
	if len(written) != 3 {
		t.Errorf("plots written: %v; want the overall one and one per class", written)
	}
}

// TestManners: no progress bar when stderr is not a terminal; an interrupt says what to
// run next, without Go's error text; a rate only once it has been measured.
func TestManners(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode")
	}
	root := bigTree(t, 4, 8)
	out := t.TempDir()
	args := []string{"generate", "--in", root, "--out", out, "--shift", "vflip", "--shift", "spurious-tint",
		"--workers", "1", "--tint-table-size", "1000"}
	cmd := self(args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	for countImages(out) < 10 && time.Now().Before(deadline) {
		time.Sleep(2 * time.Millisecond)
	}
	cmd.Process.Signal(os.Interrupt)
	err := cmd.Wait()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	}
	msg := stderr.String()
	if code != exitInterrupted || !strings.Contains(msg, "run the same command with --resume") || strings.Contains(msg, "context canceled") {
		t.Fatalf("interrupted run: exit %d, stderr %q", code, msg)
	}
	// Not a terminal: no bar, no carriage returns.
	if strings.ContainsAny(msg, "\r█") || strings.Contains(msg, "generate ") {
		t.Errorf("a progress bar was drawn into a pipe: %q", msg)
	}
	if code, _, stderr := naturalRun(t, append(args, "--resume")...); code != 0 {
		t.Fatalf("resume: exit %d: %s", code, stderr)
	}

	// The rate: none before a second has passed, then images since the start over time.
	if s := rateText(50, 100, 900*time.Millisecond); s != "" {
		t.Errorf("rate after 0.9 s: %q", s)
	}
	if s := rateText(100, 250, 2*time.Second); s != " (50 img/s, 5s left)" {
		t.Errorf("rate: %q", s)
	}
	var r rate
	t0 := time.Unix(0, 0)
	r.text(5000, 10000, t0) // a resumed run: 5000 done before this process started
	if s := r.text(5100, 10000, t0.Add(2*time.Second)); s != " (50 img/s, 1m38s left)" {
		t.Errorf("rate after resuming %q; want 50 img/s (100 images in 2 s), not counting the resumed images", s)
	}
}

// TestHelpAndSuggestions: help lines state each default once and name values plainly;
// mistyped shifts, parameters, flags and commands get a suggestion and exit status 2
// (or 1 for a spec, which is input).
func TestHelpAndSuggestions(t *testing.T) {
	for _, c := range []string{"generate", "preview", "eval", "index", "split", "verify", "merge", "list"} {
		code, out, _ := naturalRun(t, c, "--help")
		if code != 0 {
			t.Fatalf("%s --help: exit %d", c, code)
		}
		for _, l := range strings.Split(out, "\n") {
			if !strings.HasPrefix(strings.TrimSpace(l), "-") {
				continue // only the flags' lines
			}
			if strings.Count(l, "default") > 1 || strings.Contains(l, "[ --") || strings.Contains(l, "`") ||
				strings.Contains(l, "(default: 0)") || strings.Contains(l, "(default: false)") {
				t.Errorf("%s --help: %q", c, l)
			}
		}
	}
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"genrate"}, exitUsage, "did you mean generate?"},
		{[]string{"help", "genrate"}, exitUsage, "did you mean generate?"},
		{[]string{"generate", "--out", t.TempDir(), "--shift", "vflip", "--shfit", "x"}, exitUsage, "unknown flag --shfit; did you mean --shift?"},
		{[]string{"generate", "--out", t.TempDir(), "--shift", "nigth"}, exitError, "did you mean night?"},
		{[]string{"generate", "--out", t.TempDir(), "--shift", "night:sevrity=4"}, exitError, "did you mean severity?"},
		{[]string{"preview", "--out", filepath.Join(t.TempDir(), "p.png"), "--shift", "spurios-tint"}, exitError, "did you mean spurious-tint?"},
	} {
		code, _, stderr := naturalRun(t, c.args...)
		if code != c.code || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d: %q; want %d and %q", c.args, code, stderr, c.code, c.want)
		}
	}
}
