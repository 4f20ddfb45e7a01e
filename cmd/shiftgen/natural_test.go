package main

import (
	"bytes"
	"fmt"
	"image"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"codeberg.org/sbinet/npyio"
	"gonum.org/v1/gonum/mat"

	"github.com/shiftgen/shiftgen/manifests"
)

// naturalRun runs this test binary as `shiftgen args...` and returns its exit code,
// stdout and stderr.
func naturalRun(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	cmd := self(args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, out.String(), errb.String()
}

// naturalTree writes an ImageFolder tree of tiny PNGs: per images in each class folder.
func naturalTree(t *testing.T, root string, classes []string, per int) {
	t.Helper()
	for ci, c := range classes {
		for i := 0; i < per; i++ {
			img := image.NewGray(image.Rect(0, 0, 6+i%3, 5+ci))
			for p := range img.Pix {
				img.Pix[p] = uint8(p*7 + i*13 + ci*29)
			}
			writePNG(t, filepath.Join(root, c, fmt.Sprintf("%03d.png", i)), img)
		}
	}
}

// writeFeatures writes rows as a float64 N×D .npy file.
func writeFeatures(t *testing.T, path string, rows [][]float64) {
	t.Helper()
	m := mat.NewDense(len(rows), len(rows[0]), nil)
	for i, r := range rows {
		m.SetRow(i, r)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := npyio.Write(f, m); err != nil {
		t.Fatal(err)
	}
}

// TestNaturalShiftCLI walks the README's three commands on a made-up natural shift: a
// reference folder of wnids and an ImageNet-V2-like folder of numbered classes whose
// odd-indexed images have features far from the reference. index, split and
// eval --by support must recover that design: the far images out of support, and a
// "pre-trained" model with effective robustness only on them.
func TestNaturalShiftCLI(t *testing.T) {
	base := t.TempDir()
	wnids := []string{"n01440764", "n01443537", "n01484850", "n01491361"}
	naturalTree(t, filepath.Join(base, "data", "ref"), wnids, 100)
	naturalTree(t, filepath.Join(base, "data", "v2"), []string{"0", "1", "2", "3"}, 50)
	// An unreadable image is recorded as skipped, with exit status 3.
	if err := os.WriteFile(filepath.Join(base, "data", "v2", "3", "zz.jpeg"), []byte("broken"), 0o644); err != nil {
		t.Fatal(err)
	}

	refIdx, v2Idx := filepath.Join(base, "index", "ref"), filepath.Join(base, "index", "v2")
	if code, out, errs := naturalRun(t, "index", "--in", filepath.Join(base, "data", "ref"), "--out", refIdx, "--distribution", "reference", "-q"); code != 0 || !strings.Contains(out, "400 images") {
		t.Fatalf("index reference: exit %d: %s%s", code, out, errs)
	}
	refManifest := filepath.Join(refIdx, manifests.ManifestFile)
	code, out, errs := naturalRun(t, "index", "--in", filepath.Join(base, "data", "v2"), "--out", v2Idx, "--classes", refManifest, "-q")
	if code != exitSkipped || !strings.Contains(out, "200 images") || !strings.Contains(errs, "skipped 1 input;") {
		t.Fatalf("index v2: exit %d; want %d: %s%s", code, exitSkipped, out, errs)
	}
	v2Manifest := filepath.Join(v2Idx, manifests.ManifestFile)
	recs, err := manifests.ReadRecordsFile(filepath.Join(v2Idx, manifests.RecordsFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		folder, _, _ := strings.Cut(r.Source, "/")
		if want := wnids[int(folder[0]-'0')]; r.Class != want {
			t.Fatalf("%s: class %s; want %s (folder %s maps by number)", r.Source, r.Class, want, folder)
		}
	}

	// Features: reference N(0, I); shifted odd indices far away.
	rng := rand.New(rand.NewPCG(1, 2))
	row := func(far bool) []float64 {
		r := make([]float64, 6)
		for j := range r {
			r[j] = rng.NormFloat64()
		}
		if far {
			r[0] += 20
		}
		return r
	}
	var refF, v2F [][]float64
	for i := 0; i < 400; i++ {
		refF = append(refF, row(false))
	}
	for _, r := range recs {
		v2F = append(v2F, row(r.Index%2 == 1))
	}
	refFeat, v2Feat := filepath.Join(base, "ref.npy"), filepath.Join(base, "v2.npy")
	writeFeatures(t, refFeat, refF)
	writeFeatures(t, v2Feat, v2F)

	splitDir := filepath.Join(base, "split")
	plot := filepath.Join(base, "ratios.png")
	code, out, errs = naturalRun(t, "split", "--reference", refManifest, "--reference-features", refFeat,
		"--shifted", v2Manifest, "--shifted-features", v2Feat, "--out", splitDir, "--plot", plot)
	if code != 0 {
		t.Fatalf("split: exit %d: %s%s", code, out, errs)
	}
	for _, want := range []string{"reference examples      400", "shifted examples        200", "out of support        100 (50.0%)", "out-of-fold AUC"} {
		if !strings.Contains(out, want) {
			t.Errorf("split output lacks %q:\n%s", want, out)
		}
	}
	if st, err := os.Stat(plot); err != nil || st.Size() < 1000 {
		t.Errorf("plot: %v", err)
	}
	splitManifest := filepath.Join(splitDir, manifests.ManifestFile)
	split, err := manifests.ReadRecordsFile(filepath.Join(splitDir, manifests.RecordsFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range split {
		if r.Distribution != "shifted" {
			continue
		}
		if s, _ := r.Field("support"); (s == "out") != (r.Index%2 == 1) {
			t.Errorf("%s: support %s (%v)", r.Source, s, r.Fields)
		}
		// Paths still open the original images.
		if _, err := os.Stat(filepath.Join(splitDir, filepath.FromSlash(r.Path))); err != nil {
			t.Errorf("path %s: %v", r.Path, err)
		}
	}

	// Bad input: clear errors naming the file and the fix.
	code, _, errs = naturalRun(t, "split", "--reference", refManifest, "--reference-features", v2Feat,
		"--shifted", v2Manifest, "--shifted-features", v2Feat, "--out", filepath.Join(base, "bad"))
	if code != exitError || !strings.Contains(errs, "v2.npy has 200 rows but") || !strings.Contains(errs, "one row per record") {
		t.Errorf("feature rows ≠ records: exit %d: %s", code, errs)
	}
	if code, _, errs = naturalRun(t, "split", "--reference", refManifest, "--shifted", v2Manifest, "--scores", refFeat, "--out", filepath.Join(base, "bad"), "--epsilon", "0"); code != exitUsage {
		t.Errorf("--epsilon 0: exit %d; want %d: %s", code, exitUsage, errs)
	}

	// eval --by support: baselines lose accuracy alike on both parts; "clip" loses less
	// on the out-of-support part only.
	type model struct {
		name          string
		ref, in, outp int // accuracies in percent
	}
	models := []model{{"base-a", 50, 40, 30}, {"base-b", 60, 50, 40}, {"base-c", 70, 60, 50}, {"base-d", 80, 70, 60}, {"clip", 65, 55, 75}}
	preds := filepath.Join(base, "preds")
	os.MkdirAll(preds, 0o755)
	for _, m := range models {
		var b strings.Builder
		b.WriteString("distribution,split,index,prediction\n")
		for _, r := range split {
			acc := m.ref
			if r.Distribution == "shifted" {
				acc = m.in
				if r.Index%2 == 1 {
					acc = m.outp
				}
			}
			p := r.Label
			if (r.Index*37)%100 >= acc {
				p = (r.Label + 1) % len(wnids)
			}
			fmt.Fprintf(&b, "%s,%s,%d,%d\n", r.Distribution, r.Split, r.Index, p)
		}
		if err := os.WriteFile(filepath.Join(preds, m.name+".csv"), []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	code, out, errs = naturalRun(t, "eval", "--manifest", splitManifest, "--predictions", preds, "--baseline", "base-*", "--by", "support")
	if code != 0 {
		t.Fatalf("eval --by support: exit %d: %s%s", code, out, errs)
	}
	for _, want := range []string{"support = in", "support = out", "clip"} {
		if !strings.Contains(out, want) {
			t.Errorf("eval output lacks %q:\n%s", want, out)
		}
	}
	t.Logf("eval --by support:\n%s", out)
}
