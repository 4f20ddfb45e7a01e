package main

import (
	"encoding/json"
	"image/png"
	"os"
	"path/filepath"
	"strconv"
	"testing"

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
