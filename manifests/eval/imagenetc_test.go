package eval

import (
	"encoding/json"
	"fmt"
	"math"
	"os/exec"
	"strings"
	"testing"
)

// publishedAverages is the "Average" column of the table "AlexNet ImageNet-C Error" in
// the README of github.com/hendrycks/robustness (commit 76d93933ab5f), in the order of
// Corruptions: each row's mean over severities 1 to 5.
var publishedAverages = [19]float64{
	0.886428, 0.894468, 0.922640, 0.819880, 0.826268, 0.785948, 0.798360,
	0.866816, 0.826572, 0.819324, 0.564592, 0.853204, 0.646056, 0.717840, 0.606500,
	0.845388, 0.787108, 0.717512, 0.658248,
}

// TestAlexNetTable checks the per-severity errors typed into AlexNetErrors against the
// table's own per-corruption averages: every row's mean, to the 6 decimals published.
func TestAlexNetTable(t *testing.T) {
	for c, row := range AlexNetErrors {
		sum := 0.0
		for _, e := range row {
			if e <= AlexNetCleanError || e >= 1 {
				t.Errorf("%s: error %v outside (clean error, 1)", Corruptions[c].Name, e)
			}
			sum += e
		}
		if got, want := fmt.Sprintf("%.6f", sum/5), fmt.Sprintf("%.6f", publishedAverages[c]); got != want {
			t.Errorf("%s: mean of the severities %s, published average %s", Corruptions[c].Name, got, want)
		}
	}
	extra := 0
	for _, c := range Corruptions {
		if c.Extra {
			extra++
		}
	}
	if len(Corruptions) != 19 || extra != 4 {
		t.Errorf("%d corruptions, %d extra", len(Corruptions), extra)
	}
}

// ceShifts makes one ShiftReport per corruption and severity for which errs gives a
// model's error (NaN: not evaluated), with the given clean errors.
func ceShifts(models map[string]func(c, s int) (err, clean float64)) []*ShiftReport {
	var out []*ShiftReport
	for c, cor := range Corruptions {
		for s := 1; s <= 5; s++ {
			sr := &ShiftReport{Dataset: fmt.Sprintf("%s/%d", cor.Name, s), Report: &Report{
				Shift: &ShiftInfo{Name: cor.Name, Spec: fmt.Sprintf("%s:severity=%d", cor.Name, s), Kind: "out-of-support",
					Params: json.RawMessage(fmt.Sprintf(`{"corruption":%q,"severity":%d}`, cor.Name, s))}}}
			for _, name := range sortedKeys(models) {
				e, clean := models[name](c, s)
				if math.IsNaN(e) {
					continue
				}
				sr.Models = append(sr.Models, ModelResult{Model: name, Group: "g", ShiftAcc: 1 - e, RefAcc: 1 - clean})
			}
			out = append(out, sr)
		}
	}
	return out
}

func nearly(a, b float64) bool { return math.Abs(a-b) < 1e-12 }

// TestCEArithmetic checks corruption errors against hand computations: a model with
// AlexNet's published errors scores CE 100 % everywhere; one with half of them and
// clean error 20 % scores CE 50 % and, on Gaussian noise, relative CE
// (Σ_s E_s/2 − 5·0.2) / (Σ_s E_s − 5·0.43478) = (4.43214/2 − 1) / (4.43214 − 2.1739)
// = 1.21607 / 2.25824 = 0.5385034…; a missing severity leaves the mCE out.
func TestCEArithmetic(t *testing.T) {
	alex := func(c, s int) (float64, float64) { return AlexNetErrors[c][s-1], AlexNetCleanError }
	half := func(c, s int) (float64, float64) { return AlexNetErrors[c][s-1] / 2, 0.2 }
	gappy := func(c, s int) (float64, float64) {
		if c == 9 && s == 3 { // fog, severity 3
			return math.NaN(), 0
		}
		return 0.5, 0.25
	}
	var notes []string
	r, err := imageNetC(ceShifts(map[string]func(int, int) (float64, float64){"alex": alex, "half": half, "gappy": gappy}), "", func(s string) { notes = append(notes, s) })
	if err != nil {
		t.Fatal(err)
	}
	if r.Baseline != "AlexNet" || len(r.Missing) != 0 || len(r.Models) != 3 {
		t.Fatalf("baseline %s, missing %v, %d models", r.Baseline, r.Missing, len(r.Models))
	}
	byName := map[string]CEResult{}
	for _, m := range r.Models {
		byName[m.Model] = m
	}
	a := byName["alex"]
	if !nearly(*a.MCE, 1) || !nearly(*a.RelativeMCE, 1) || !nearly(*a.ExtraMCE, 1) || !nearly(*a.ExtraRelativeMCE, 1) || !nearly(a.CleanError, AlexNetCleanError) {
		t.Errorf("alex: %v %v %v %v %v", *a.MCE, *a.RelativeMCE, *a.ExtraMCE, *a.ExtraRelativeMCE, a.CleanError)
	}
	h := byName["half"]
	if !nearly(*h.MCE, 0.5) || !nearly(*h.ExtraMCE, 0.5) {
		t.Errorf("half: mCE %v, extra %v", *h.MCE, *h.ExtraMCE)
	}
	g := h.Corruptions[0]
	if g.Corruption != "gaussian-noise" || math.Abs(*g.RelativeCE-0.5385034363043787) > 1e-12 || math.Abs(g.Error-4.43214/10) > 1e-12 {
		t.Errorf("half, gaussian noise: %+v, relative %v", g, *g.RelativeCE)
	}
	gp := byName["gappy"]
	if gp.MCE != nil || gp.RelativeMCE != nil || gp.ExtraMCE == nil {
		t.Errorf("gappy: mCE %v relative %v extra %v", gp.MCE, gp.RelativeMCE, gp.ExtraMCE)
	}
	for _, x := range gp.Corruptions {
		if x.Corruption == "fog" {
			// CE over the 4 severities evaluated: 4·0.5 / (AlexNet's fog errors but severity 3).
			want := 2 / (0.67474 + 0.76050 + 0.87260 + 0.94500)
			if len(x.Severities) != 4 || math.Abs(*x.CE-want) > 1e-12 {
				t.Errorf("gappy fog: %+v CE %v, want %v", x, *x.CE, want)
			}
		}
	}
	// Normalised by the model with AlexNet's errors, everything is as normalised by
	// AlexNet (its clean error is the mean of its reference errors).
	r2, err := imageNetC(ceShifts(map[string]func(int, int) (float64, float64){"alex": alex, "half": half}), "alex", func(string) {})
	if err != nil {
		t.Fatal(err)
	}
	if r2.Baseline != "alex" || !nearly(r2.BaselineCleanError, AlexNetCleanError) || !nearly(*r2.Models[1].MCE, 0.5) || math.Abs(*r2.Models[1].Corruptions[0].RelativeCE-0.5385034363043787) > 1e-12 {
		t.Errorf("--ce-baseline alex: %+v", r2.Models[1])
	}
	if _, err := imageNetC(ceShifts(map[string]func(int, int) (float64, float64){"alex": alex}), "nobody", func(string) {}); err == nil || !strings.Contains(err.Error(), "--ce-baseline nobody") {
		t.Errorf("unknown baseline: %v", err)
	}
	// A corruption with other parameters than its severity's is not ImageNet-C's.
	sh := ceShifts(map[string]func(int, int) (float64, float64){"alex": alex})
	sh[0].Shift.Spec = "gaussian-noise:severity=1,sigma=0.5"
	notes = nil
	r3, err := imageNetC(sh, "", func(s string) { notes = append(notes, s) })
	if err != nil || len(r3.Missing) != 1 || r3.Missing[0] != "gaussian-noise/1" || len(notes) != 1 || !strings.Contains(notes[0], "not a standard ImageNet-C corruption") {
		t.Errorf("non-standard: %v %v %v", err, r3.Missing, notes)
	}
	// Two datasets of one corruption and severity are refused.
	sh = append(sh, sh[1])
	if _, err := imageNetC(sh, "", func(string) {}); err == nil || !strings.Contains(err.Error(), "both gaussian-noise at severity 2") {
		t.Errorf("duplicate: %v", err)
	}
}

// TestCEAgainstNumPy computes the mCE, relative mCE and the extra ones of made-up
// errors with NumPy, from AlexNet's table as published, and compares.
func TestCEAgainstNumPy(t *testing.T) {
	if _, err := exec.LookPath("/usr/bin/python3"); err != nil {
		t.Skip("no /usr/bin/python3")
	}
	errs := [19][5]float64{}
	for c := range errs {
		for s := range errs[c] {
			errs[c][s] = 0.3 + 0.6*float64((c*7+s*13)%17)/17
		}
	}
	const clean = 0.2375
	r, err := imageNetC(ceShifts(map[string]func(int, int) (float64, float64){"m": func(c, s int) (float64, float64) { return errs[c][s-1], clean }}), "", func(string) {})
	if err != nil {
		t.Fatal(err)
	}
	in, _ := json.Marshal(map[string]any{"errs": errs, "alex": AlexNetErrors, "clean": clean, "alex_clean": AlexNetCleanError})
	script := `
import json, sys
import numpy as np
d = json.loads(sys.stdin.read())
E, A = np.array(d["errs"]), np.array(d["alex"])
ce = E.sum(1) / A.sum(1)
rel = (E - d["clean"]).sum(1) / (A - d["alex_clean"]).sum(1)
print(json.dumps([ce[:15].mean(), rel[:15].mean(), ce[15:].mean(), rel[15:].mean()]))
`
	cmd := exec.Command("/usr/bin/python3", "-c", script)
	cmd.Stdin = strings.NewReader(string(in))
	out, err := cmd.Output()
	if err != nil {
		t.Skipf("numpy: %v", err)
	}
	var want [4]float64
	if err := json.Unmarshal(out, &want); err != nil {
		t.Fatal(err)
	}
	m := r.Models[0]
	got := [4]float64{*m.MCE, *m.RelativeMCE, *m.ExtraMCE, *m.ExtraRelativeMCE}
	for i := range got {
		if math.Abs(got[i]-want[i]) > 1e-12 {
			t.Errorf("value %d: %v, NumPy %v", i, got[i], want[i])
		}
	}
}
