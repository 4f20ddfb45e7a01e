package main

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shiftgen/shiftgen/manifests"
)

// writeStyle writes a w×h PNG style image of one colour with a ramp.
func writeStyle(t *testing.T, path string, w, h int, c color.RGBA) {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetRGBA(x, y, color.RGBA{c.R, uint8(int(c.G) + x%40), uint8(int(c.B) + y%40), 255})
		}
	}
	writePNG(t, path, img)
}

// TestStyleImagesCLI runs the style-image shifts as a user types them: on the embedded
// sample they use the generated styles; on the user's data they need --style-images,
// and refuse with a message naming the flag; with a folder they draw from its images.
func TestStyleImagesCLI(t *testing.T) {
	out := t.TempDir()
	if code := run(context.Background(), []string{"shiftgen", "generate", "--out", out, "--shift", "fda", "--quiet"}); code != 0 {
		t.Fatalf("embedded sample: exit %d", code)
	}
	m, err := manifests.ReadManifest(filepath.Join(out, "fda", manifests.ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	var params struct {
		Beta   float64 `json:"beta"`
		Styles struct {
			Source string `json:"source"`
		} `json:"styles"`
	}
	if err := json.Unmarshal(m.Shift.Params, &params); err != nil || params.Styles.Source != "generated:0" || params.Beta != 0.05 {
		t.Errorf("embedded sample params: %s", m.Shift.Params)
	}
	recs, err := manifests.ReadRecordsFile(filepath.Join(out, "fda", manifests.RecordsFile))
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := recs[len(recs)-1].Field("style_image"); !strings.HasPrefix(v, `"generated/`) && !strings.HasPrefix(v, "generated/") {
		t.Errorf("last record %v", recs[len(recs)-1].Fields)
	}

	// The user's data without --style-images: refused, naming the flag.
	cmd := self("generate", "--in", "../../testdata/imagefolder", "--out", t.TempDir(), "--shift", "histogram-match", "--quiet")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err == nil || !strings.Contains(stderr.String(), "histogram-match needs style images: pass --style-images DIR") {
		t.Fatalf("no --style-images: %v\n%s", err, stderr.String())
	}

	styles := t.TempDir()
	writeStyle(t, filepath.Join(styles, "night-photo.png"), 64, 48, color.RGBA{20, 30, 90, 255})
	writeStyle(t, filepath.Join(styles, "painting.png"), 300, 280, color.RGBA{200, 120, 40, 255})
	out = t.TempDir()
	if code := run(context.Background(), []string{"shiftgen", "generate", "--in", "../../testdata/imagefolder", "--out", out,
		"--shift", "colour-transfer", "--style-images", styles, "--quiet"}); code != 0 {
		t.Fatalf("with --style-images: exit %d", code)
	}
	recs, err = manifests.ReadRecordsFile(filepath.Join(out, "colour-transfer", manifests.RecordsFile))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	drawn := 0
	for _, r := range recs {
		if v, ok := r.Field("style_image"); ok {
			seen[strings.Trim(v, `"`)] = true
			drawn++
		}
	}
	if drawn != 6 { // the six shifted images
		t.Errorf("%d records name a style image, want 6", drawn)
	}
	delete(seen, "night-photo.png")
	delete(seen, "painting.png")
	if len(recs) != 21 || len(seen) != 0 {
		t.Errorf("%d records; style images drawn outside the folder: %v", len(recs), seen)
	}

	// preview takes the flag too.
	sheet := filepath.Join(t.TempDir(), "sheet.png")
	if code := run(context.Background(), []string{"shiftgen", "preview", "--in", "../../testdata/imagefolder", "--shift", "fda",
		"--shift", "histogram-match", "--style-images", styles, "--rows", "2", "--cell", "40", "--out", sheet}); code != 0 {
		t.Fatalf("preview: exit %d", code)
	}
	f, err := os.Open(sheet)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cfg, err := png.DecodeConfig(f)
	if err != nil || cfg.Width != 3*(40+6)+6 {
		t.Errorf("sheet %+v %v", cfg, err)
	}
}

// TestListStyleShifts checks that `list --json` shows the new shifts with their
// parameters.
func TestListStyleShifts(t *testing.T) {
	var out bytes.Buffer
	if code := runTo(context.Background(), []string{"shiftgen", "list", "--json"}, &out); code != 0 {
		t.Fatalf("exit %d", code)
	}
	var got []listedShift
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"fda":                      {"severity", "beta"},
		"histogram-match":          {"severity", "amount"},
		"colour-transfer":          {"severity", "amount"},
		"spurious-fda":             {"p", "severity", "beta"},
		"cartoon":                  {"severity", "passes", "sigma_color", "colors", "line", "coverage"},
		"oil-paint":                {"severity", "radius", "strokes"},
		"night":                    {"severity", "stops", "saturation", "blue", "noise"},
		"spurious-colour-transfer": {"p", "severity", "amount"},
	}
	for _, s := range got {
		ps, ok := want[s.Name]
		if !ok {
			continue
		}
		var names []string
		for _, p := range s.Params {
			names = append(names, p.Name)
		}
		if strings.Join(names, ",") != strings.Join(ps, ",") {
			t.Errorf("%s parameters %v, want %v", s.Name, names, ps)
		}
		if strings.HasPrefix(s.Name, "fda") || strings.Contains(s.Name, "histogram") || strings.Contains(s.Name, "colour-transfer") {
			if !strings.Contains(s.Description, "--style-images") && !strings.HasPrefix(s.Name, "spurious-") {
				t.Errorf("%s: description does not say where style images come from: %q", s.Name, s.Description)
			}
		}
		delete(want, s.Name)
	}
	if len(want) != 0 {
		t.Errorf("not listed: %v", want)
	}
}
