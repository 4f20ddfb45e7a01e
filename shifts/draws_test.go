package shifts

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/shiftgen/shiftgen/shifts/imagenetc"
)

// recordFields returns fields as a records.jsonl reader sees them: through JSON, with
// numbers kept as json.Number.
func recordFields(t *testing.T, fields map[string]any) map[string]any {
	t.Helper()
	b, err := json.Marshal(fields)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestRecordRegenerates checks, for every random ImageNet-C corruption at every
// severity, that the record of a transformed image holds its per-image draws and that
// they alone rebuild it: the spec with the recorded draws set explicitly (Redraw),
// applied under the key of another image, whose own draws would differ, gives the
// same bytes. Deterministic corruptions record no draw.
func TestRecordRegenerates(t *testing.T) {
	env := Env{Seed: 5, Classes: 10}
	img := corruptionImg(48, 40, 3)
	it := Item{Split: "val", Index: 12, Label: 4}
	other := Item{Split: "train", Index: 13, Label: 4}
	for _, info := range imagenetc.Catalogue() {
		for sev := 1; sev <= 5; sev++ {
			spec := fmt.Sprintf("%s:severity=%d", info.Name, sev)
			sh, err := New(spec, env)
			if err != nil {
				t.Fatal(err)
			}
			smp := sh.Sample(Shifted, it)
			fields := recordFields(t, smp.Fields)
			var drawn []string
			for _, p := range mustLookup(t, info.Name).Params {
				if _, ok := fields[p.Name]; ok && p.Drawn {
					drawn = append(drawn, p.Name)
				}
			}
			if !info.Random {
				if len(drawn) != 0 {
					t.Errorf("%s: a deterministic corruption records draws %v", spec, drawn)
				}
				continue
			}
			if len(drawn) == 0 {
				t.Fatalf("%s: the record %v holds no draw", spec, fields)
			}
			if fields["severity"] != json.Number(fmt.Sprint(sev)) {
				t.Errorf("%s: recorded severity %v", spec, fields["severity"])
			}
			orig := smp.Transform.Apply(ToRGBA(img), PixelKey(env.Seed, it))
			again, err := Redraw(spec, fields)
			if err != nil {
				t.Fatalf("%s: %v", spec, err)
			}
			for _, n := range drawn {
				if !strings.Contains(again, n+"=") {
					t.Errorf("%s: Redraw gave %q, without %s", spec, again, n)
				}
			}
			sh2, err := New(again, env)
			if err != nil {
				t.Fatalf("%s: %v", again, err)
			}
			got := sh2.Sample(Shifted, other).Transform.Apply(ToRGBA(img), PixelKey(env.Seed, other))
			if !bytes.Equal(got.Pix, orig.Pix) {
				t.Errorf("%s: %s does not reproduce the image from its record", spec, again)
			}
			// The other image's own draws differ, so the key could not have made them.
			if bytes.Equal(sh.Sample(Shifted, other).Transform.Apply(ToRGBA(img), PixelKey(env.Seed, other)).Pix, orig.Pix) {
				t.Errorf("%s: images %d and %d got the same draws", spec, it.Index, other.Index)
			}
		}
	}
}

// TestRecordSpurious checks that an in-support spurious-X shift records the draws of
// the images it transforms, in both distributions, and nothing for the others.
func TestRecordSpurious(t *testing.T) {
	sh, err := New("spurious-motion-blur:severity=2", Env{Seed: 1, Classes: 10})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[bool]int{}
	for i := 0; i < 40; i++ {
		for _, d := range []Distribution{Reference, Shifted} {
			smp := sh.Sample(d, Item{Split: "val", Index: i, Label: i % 10})
			_, has := smp.Fields["angle"]
			if has != (smp.Transform != nil) {
				t.Fatalf("%s image %d: transformed %v but angle recorded %v", d, i, smp.Transform != nil, has)
			}
			if a, ok := smp.Fields["angle"].(float64); ok && (a < -45 || a >= 45) {
				t.Errorf("angle %v outside [-45, 45)", a)
			}
			seen[has]++
		}
	}
	if seen[true] == 0 || seen[false] == 0 {
		t.Errorf("expected both transformed and untouched images, got %v", seen)
	}
}

// TestRedraw checks which fields Redraw takes: drawn parameters the spec leaves unset,
// as exact numbers; not the severity, the applied flag or a drawn value the spec sets.
func TestRedraw(t *testing.T) {
	fields := map[string]any{"angle": json.Number("-12.5"), "severity": json.Number("4"), "applied": true}
	got, err := Redraw("motion-blur:severity=2", fields)
	if err != nil {
		t.Fatal(err)
	}
	if want := "motion-blur:severity=2,angle=-12.5"; got != want {
		t.Errorf("Redraw = %q, want %q", got, want)
	}
	if got, _ := Redraw("motion-blur:angle=3", fields); got != "motion-blur:angle=3" {
		t.Errorf("a set angle was replaced: %q", got)
	}
	got, err = Redraw("frost", map[string]any{"texture": 2, "crop_y": 0.25, "crop_x": json.Number("0.5"), "liquid_seed": 3})
	if err != nil {
		t.Fatal(err)
	}
	if want := "frost:crop_x=0.5,crop_y=0.25,texture=2"; got != want {
		t.Errorf("Redraw = %q, want %q", got, want)
	}
	if _, err := New("frost:texture=9", Env{}); err == nil || !strings.Contains(err.Error(), "texture=9 does not exist: there are 5 textures") {
		t.Errorf("texture 9 of 5: error %v", err)
	}
	if _, err := Redraw("glass-blur", map[string]any{"shuffle_seed": "x"}); err == nil {
		t.Error("a non-numeric seed should be refused")
	}
	seed := json.Number(fmt.Sprint(uint64(imagenetc.MaxSeed)))
	got, err = Redraw("glass-blur:severity=1", map[string]any{"shuffle_seed": seed})
	if err != nil {
		t.Fatal(err)
	}
	if want := "glass-blur:severity=1,shuffle_seed=9007199254740991"; got != want {
		t.Errorf("Redraw = %q, want %q", got, want)
	}
	var names []string
	for _, p := range mustLookup(t, "snow").Params {
		if p.Drawn {
			names = append(names, p.Name)
		}
	}
	sort.Strings(names)
	if strings.Join(names, ",") != "angle,flake_seed" {
		t.Errorf("snow's drawn parameters: %v", names)
	}
}

func mustLookup(t *testing.T, name string) Entry {
	t.Helper()
	e, ok := Lookup(name)
	if !ok {
		t.Fatalf("no shift %q", name)
	}
	return e
}
