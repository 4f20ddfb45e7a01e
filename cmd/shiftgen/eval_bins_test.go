package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/shiftgen/shiftgen/manifests"
)

// TestEvalByBins generates a motion-blur dataset, makes up predictions that depend on
// each image's recorded angle, and checks `eval --by angle:bins=3`: one subset per
// equal-width bin of the observed angles, labelled by its range and in bin order, each
// scoring exactly the shifted images of its bin (counted here from the records) and
// the reference images of their classes (reference images have no angle).
func TestEvalByBins(t *testing.T) {
	src := evalTree(t)
	out := filepath.Join(t.TempDir(), "out")
	if code, _, stderr := evalRun(t, "generate", "--in", src, "--out", out, "--shift", "motion-blur:severity=2", "--format", "png", "--quiet"); code != 0 {
		t.Fatalf("generate: exit %d: %s", code, stderr)
	}
	ds := filepath.Join(out, "motion-blur_severity-2")
	recs, err := manifests.ReadRecordsFile(filepath.Join(ds, manifests.RecordsFile))
	if err != nil {
		t.Fatal(err)
	}
	angle := func(r *manifests.Record) float64 {
		a, _ := r.Fields["angle"].(json.Number).Float64()
		return a
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, r := range recs {
		if r.Distribution == "shifted" {
			lo, hi = math.Min(lo, angle(r)), math.Max(hi, angle(r))
		}
	}
	bin := func(a float64) int { return min(2, int((a-lo)/(hi-lo)*3)) }
	// Model m is right on reference images with index < 12+2m and on shifted images
	// whose angle is below its threshold.
	thresholds := []float64{-30, -10, 0, 10, 30}
	preds := t.TempDir()
	var files []string
	for m, th := range thresholds {
		var c bytes.Buffer
		c.WriteString("path,prediction\n")
		for _, r := range recs {
			right := r.Index < 12+2*m
			if r.Distribution == "shifted" {
				right = angle(r) < th
			}
			p := r.Label
			if !right {
				p = (r.Label + 1) % 3
			}
			fmt.Fprintf(&c, "%s,%d\n", r.Path, p)
		}
		f := filepath.Join(preds, fmt.Sprintf("m%d.csv", m))
		evalWrite(t, f, c.Bytes())
		files = append(files, f)
	}
	args := append([]string{"eval", "--manifest", filepath.Join(ds, manifests.ManifestFile), "--baseline", "m*",
		"--by", "angle:bins=3", "--format", "json", "--predictions"}, files...)
	code, stdout, stderr := evalRun(t, args...)
	if code != 0 {
		t.Fatalf("eval: exit %d: %s", code, stderr)
	}
	var rep struct {
		By map[string]map[string]struct {
			Models []struct {
				Model    string  `json:"model"`
				ShiftAcc float64 `json:"shift_acc"`
			} `json:"models"`
			Images struct{ Ref, Shift int } `json:"images"`
		} `json:"by"`
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	cells := rep.By["angle:bins=3"]
	var n [3]int
	var right [3][5]int
	var classes [3]map[int]bool
	for _, r := range recs {
		if r.Distribution != "shifted" {
			continue
		}
		b := bin(angle(r))
		n[b]++
		if classes[b] == nil {
			classes[b] = map[int]bool{}
		}
		classes[b][r.Label] = true
		for m, th := range thresholds {
			if angle(r) < th {
				right[b][m]++
			}
		}
	}
	seen := 0
	for label, c := range cells {
		var a, z float64
		var close byte
		if _, err := fmt.Sscanf(label, "[%g, %g%c", &a, &z, &close); err != nil {
			t.Fatalf("label %q: %v", label, err)
		}
		b := bin((a + z) / 2)
		seen++
		// The reference images have no angle: all of those of the bin's classes count.
		if c.Images.Shift != n[b] || c.Images.Ref != 8*len(classes[b]) {
			t.Errorf("bin %s: %d shifted and %d reference images, want %d and %d", label, c.Images.Shift, c.Images.Ref, n[b], 8*len(classes[b]))
		}
		for _, md := range c.Models {
			var m int
			fmt.Sscanf(md.Model, "m%d", &m)
			if want := float64(right[b][m]) / float64(n[b]); md.ShiftAcc != want {
				t.Errorf("bin %s, %s: shifted accuracy %v, want %v", label, md.Model, md.ShiftAcc, want)
			}
		}
		if (close == ']') != (b == 2) {
			t.Errorf("label %q: only the last bin is closed", label)
		}
	}
	nonEmpty := 0
	for _, k := range n {
		if k > 0 {
			nonEmpty++
		}
	}
	if seen != nonEmpty || nonEmpty < 2 {
		t.Errorf("%d bins reported, %d hold images", seen, nonEmpty)
	}
	// The text report lists the bins in order.
	args = append([]string{"eval", "--manifest", filepath.Join(ds, manifests.ManifestFile), "--baseline", "m*",
		"--by", "angle:bins=3", "--predictions"}, files...)
	_, text, _ := evalRun(t, args...)
	labels := make([]string, 0, len(cells))
	for l := range cells {
		labels = append(labels, l)
	}
	sort.Slice(labels, func(i, j int) bool {
		var a, b float64
		fmt.Sscanf(labels[i], "[%g", &a)
		fmt.Sscanf(labels[j], "[%g", &b)
		return a < b
	})
	pos := -1
	for _, l := range labels {
		p := strings.Index(text, "angle:bins=3 = "+l+"\n")
		if p <= pos {
			t.Errorf("text report: bin %s missing or out of order:\n%s", l, text)
		}
		pos = p
	}
}
