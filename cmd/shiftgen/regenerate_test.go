package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/shiftgen/shiftgen/manifests"
)

// runSelf runs this test binary as shiftgen and returns its exit code and output.
func runSelf(t *testing.T, args ...string) (int, string) {
	t.Helper()
	return exitOf(t, self(args...))
}

// TestRegenerateCLI generates frost, motion-blur, glass-blur and spatter datasets with
// the real binary, checks that every shifted record holds its per-image draws, and
// regenerates images from a manifest and a record alone with `shiftgen regenerate`: the
// files must be byte for byte the dataset's. A record whose angle is edited must give
// another image (exit 4), so the recorded values are what makes the image.
func TestRegenerateCLI(t *testing.T) {
	root := bigTree(t, 3, 3)
	out := t.TempDir()
	code, msg := runSelf(t, "generate", "--in", root, "--out", out, "--quiet", "--workers", "2",
		"--shift", "frost:severity=3", "--shift", "motion-blur", "--shift", "glass-blur:severity=5", "--shift", "spatter:severity=2")
	if code != 0 {
		t.Fatalf("generate: exit %d\n%s", code, msg)
	}
	// The same shift in the ImageNet-C layout (other paths, preprocessing and quality).
	code, msg = runSelf(t, "generate", "--in", root, "--out", filepath.Join(out, "c"), "--quiet",
		"--shift", "frost:severity=5", "--layout", "imagenet-c")
	if code != 0 {
		t.Fatalf("generate --layout imagenet-c: exit %d\n%s", code, msg)
	}
	draws := map[string][]string{
		"frost_severity-3":               {"texture", "crop_y", "crop_x"},
		"motion-blur":                    {"angle"},
		"glass-blur_severity-5":          {"shuffle_seed"},
		"spatter_severity-2":             {"liquid_seed"},
		filepath.Join("c", "frost", "5"): {"texture", "crop_y", "crop_x"},
	}
	for dir, names := range draws {
		manifest := filepath.Join(out, dir, manifests.ManifestFile)
		recs, err := manifests.ReadRecordsFile(filepath.Join(out, dir, manifests.RecordsFile))
		if err != nil {
			t.Fatal(err)
		}
		shifted := 0
		for _, r := range recs {
			if r.Distribution != "shifted" {
				continue
			}
			shifted++
			for _, n := range names {
				v, ok := r.Fields[n].(json.Number)
				if !ok {
					t.Fatalf("%s record %d: %s is %v, want a number", dir, r.Index, n, r.Fields[n])
				}
				x, _ := v.Float64()
				switch n {
				case "angle":
					ok = x >= -45 && x < 45
				case "texture":
					ok = x >= 0 && x <= 4 && x == float64(int(x))
				case "crop_x", "crop_y":
					ok = x >= 0 && x < 1
				default:
					_, err := strconv.ParseUint(v.String(), 10, 53)
					ok = err == nil
				}
				if !ok {
					t.Errorf("%s record %d: %s = %s is out of its range", dir, r.Index, n, v)
				}
			}
		}
		if shifted != 9 {
			t.Fatalf("%s: %d shifted records, want 9", dir, shifted)
		}
		// The last reference image (the ImageNet-C layout has none) and the last shifted one.
		last := map[string]*manifests.Record{}
		for _, r := range recs {
			last[r.Distribution] = r
		}
		if len(last) != 2 && dir != filepath.Join("c", "frost", "5") {
			t.Fatalf("%s: records of %d distributions, want reference and shifted", dir, len(last))
		}
		for _, r := range []*manifests.Record{last["reference"], last["shifted"]} {
			if r == nil {
				continue
			}
			file := filepath.Join(t.TempDir(), "again.jpg")
			code, msg := runSelf(t, "regenerate", "--manifest", manifest, "--index", strconv.Itoa(r.Index),
				"--distribution", r.Distribution, "--in", root, "--out", file)
			if code != 0 || !strings.Contains(msg, "match\t") {
				t.Fatalf("%s %s %d: exit %d\n%s", dir, r.Distribution, r.Index, code, msg)
			}
			got, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			want, err := os.ReadFile(filepath.Join(out, dir, filepath.FromSlash(r.Path)))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s %s %d: the regenerated file differs from the dataset's", dir, r.Distribution, r.Index)
			}
			if r.Distribution == "shifted" && !strings.Contains(msg, names[0]+"=") {
				t.Errorf("%s: the spec printed does not set %s:\n%s", dir, names[0], msg)
			}
			code, msg = runSelf(t, "regenerate", "--manifest", manifest, "--index", strconv.Itoa(r.Index),
				"--distribution", r.Distribution, "--in", root, "--out", file)
			if code != exitError || !strings.Contains(msg, "already exists; pass --force") {
				t.Errorf("regenerate over an existing file: exit %d\n%s", code, msg)
			}
		}
	}

	// An edited angle gives another image: exit 4 and "mismatch".
	dir := filepath.Join(out, "motion-blur")
	recs, err := manifests.ReadRecordsFile(filepath.Join(dir, manifests.RecordsFile))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w := manifests.NewRecordWriter(&buf)
	edited := -1
	for _, r := range recs {
		if r.Distribution == "shifted" && edited < 0 {
			a, _ := r.Fields["angle"].(json.Number).Float64()
			r.Fields["angle"] = a + 30
			edited = r.Index
		}
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, manifests.RecordsFile), buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	code, msg = runSelf(t, "regenerate", "--manifest", filepath.Join(dir, manifests.ManifestFile),
		"--index", strconv.Itoa(edited), "--in", root, "--out", filepath.Join(t.TempDir(), "x.jpg"))
	if code != exitVerify || !strings.Contains(msg, "mismatch") {
		t.Errorf("edited angle: exit %d, want %d with a mismatch\n%s", code, exitVerify, msg)
	}
	// An index the dataset does not hold.
	code, msg = runSelf(t, "regenerate", "--manifest", filepath.Join(dir, manifests.ManifestFile),
		"--index", "99", "--in", root, "--out", filepath.Join(t.TempDir(), "x.jpg"))
	if code != exitError || !strings.Contains(msg, "no shifted record of split val with index 99") {
		t.Errorf("missing index: exit %d\n%s", code, msg)
	}
}

// TestRegenerateEmbeddedSample regenerates an image of a dataset made from the
// embedded sample, with no --in: the manifest's source names the sample.
func TestRegenerateEmbeddedSample(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode")
	}
	out := t.TempDir()
	if code, msg := runSelf(t, "generate", "--out", out, "--quiet", "--shift", "snow:severity=4"); code != 0 {
		t.Fatalf("generate: exit %d\n%s", code, msg)
	}
	file := filepath.Join(t.TempDir(), "x.jpg")
	code, msg := runSelf(t, "regenerate", "--manifest", filepath.Join(out, "snow_severity-4", manifests.ManifestFile), "--index", "5", "--out", file)
	if code != 0 || !strings.Contains(msg, "spec\tsnow:severity=4,angle=") || !strings.Contains(msg, "flake_seed=") {
		t.Fatalf("exit %d\n%s", code, msg)
	}
}

// TestRegenerateStyleImages: images of the style-image shifts are made again from the
// style images their manifest records (a folder, or the generated styles of the
// embedded sample) without --style-images; another folder gives other bytes (exit 4).
func TestRegenerateStyleImages(t *testing.T) {
	root := bigTree(t, 2, 3)
	styles := bigTree(t, 1, 4)
	out := t.TempDir()
	code, msg := runSelf(t, "generate", "--in", root, "--out", out, "--quiet", "--style-images", styles,
		"--shift", "fda", "--shift", "spurious-colour-transfer")
	if code != 0 {
		t.Fatalf("generate: exit %d\n%s", code, msg)
	}
	sample := t.TempDir()
	if code, msg := runSelf(t, "generate", "--out", sample, "--quiet", "--shift", "histogram-match:severity=3"); code != 0 {
		t.Fatalf("generate from the embedded sample: exit %d\n%s", code, msg)
	}
	for _, c := range []struct {
		dir, dist string
		extra     []string
	}{
		{filepath.Join(out, "fda"), "shifted", []string{"--in", root}},
		{filepath.Join(out, "spurious-colour-transfer"), "reference", []string{"--in", root}},
		{filepath.Join(sample, "histogram-match_severity-3"), "shifted", nil},
	} {
		recs, err := manifests.ReadRecordsFile(filepath.Join(c.dir, manifests.RecordsFile))
		if err != nil {
			t.Fatal(err)
		}
		// The last record of the distribution that drew a style image.
		var rec *manifests.Record
		for _, r := range recs {
			if r.Distribution == c.dist && r.Fields["style_image"] != nil {
				rec = r
			}
		}
		if rec == nil {
			t.Fatalf("%s: no %s record with a style image", c.dir, c.dist)
		}
		file := filepath.Join(t.TempDir(), "x.jpg")
		args := append([]string{"regenerate", "--manifest", filepath.Join(c.dir, manifests.ManifestFile),
			"--index", strconv.Itoa(rec.Index), "--distribution", c.dist, "--out", file}, c.extra...)
		code, msg := runSelf(t, args...)
		if code != 0 || !strings.Contains(msg, "match\t") {
			t.Fatalf("regenerate %s: exit %d\n%s", c.dir, code, msg)
		}
		got, _ := os.ReadFile(file)
		want, _ := os.ReadFile(filepath.Join(c.dir, filepath.FromSlash(rec.Path)))
		if !bytes.Equal(got, want) {
			t.Fatalf("regenerate %s: the file differs from %s", c.dir, rec.Path)
		}
	}
	// Other style images: another image, and exit 4.
	other := bigTree(t, 1, 4)
	os.Remove(filepath.Join(other, "c00", "im000.png"))
	code, msg = runSelf(t, "regenerate", "--manifest", filepath.Join(out, "fda", manifests.ManifestFile), "--index", "4",
		"--in", root, "--style-images", other, "--out", filepath.Join(t.TempDir(), "x.jpg"))
	if code != exitVerify || !strings.Contains(msg, "mismatch") {
		t.Fatalf("regenerate with other style images: exit %d\n%s", code, msg)
	}
}
