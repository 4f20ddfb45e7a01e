package shifts

import (
	"reflect"
	"testing"
)

// TestPaperPresets checks the paper presets against the paper's own lists (Figure 4 and
// appendix C), written out here independently of presets.go, and that every spec
// resolves to exactly the parameter value it names.
func TestPaperPresets(t *testing.T) {
	want := map[string][]string{
		"paper-main": {"spurious-tint:p=0.5", "label-shift:p=0.2", "unseen-tint", "vflip"},
		"paper": {
			"spurious-tint:p=0.5", "spurious-tint:p=0.6", "spurious-tint:p=0.7", "spurious-tint:p=0.8", "spurious-tint:p=0.9",
			"label-shift:p=0.1", "label-shift:p=0.15", "label-shift:p=0.2", "label-shift:p=0.25", "label-shift:p=0.3",
			"unseen-tint", "vflip",
		},
		"paper-cifar": {"pad:pixels=6,tint=true"},
	}
	for name, specs := range want {
		if got := Expand(name); !reflect.DeepEqual(got, specs) {
			t.Errorf("%s expands to %v, want %v", name, got, specs)
		}
	}
	kinds := map[string]Kind{"spurious-tint": InSupport, "label-shift": InSupport, "unseen-tint": OutOfSupport, "vflip": OutOfSupport, "pad": OutOfSupport}
	pSpurious := []float64{0.5, 0.6, 0.7, 0.8, 0.9}
	pMinority := []float64{0.1, 0.15, 0.2, 0.25, 0.3}
	var gotSpurious, gotMinority []float64
	for _, spec := range Expand("paper") {
		e, v, err := Resolve(spec)
		if err != nil {
			t.Fatal(err)
		}
		if e.Kind != kinds[e.Name] {
			t.Errorf("%s is %s, want %s", spec, e.Kind, kinds[e.Name])
		}
		switch e.Name {
		case "spurious-tint":
			gotSpurious = append(gotSpurious, v.Get("p"))
			if v.Get("alpha") != 0.25 {
				t.Errorf("%s: alpha %v, want the paper's 0.25", spec, v.Get("alpha"))
			}
		case "label-shift":
			gotMinority = append(gotMinority, v.Get("p"))
		}
	}
	if !reflect.DeepEqual(gotSpurious, pSpurious) || !reflect.DeepEqual(gotMinority, pMinority) {
		t.Errorf("sweeps p_spurious %v and p_minority %v, want %v and %v", gotSpurious, gotMinority, pSpurious, pMinority)
	}
	e, v, err := Resolve(Expand("paper-cifar")[0])
	if err != nil {
		t.Fatal(err)
	}
	if e.Name != "pad" || v.Get("pixels") != 6 || v.Get("tint") != 1 || v.Get("alpha") != 0.25 {
		t.Errorf("paper-cifar is %s with %v, want pad with 6 pixels, tint, alpha 0.25", e.Name, v)
	}
	// Figure 4's suite is part of the whole suite, with the same specs (and so the same
	// folders), and both are listed.
	all := map[string]bool{}
	for _, s := range Expand("paper") {
		all[s] = true
	}
	for _, s := range Expand("paper-main") {
		if !all[s] {
			t.Errorf("paper-main's %s is not in paper", s)
		}
	}
	names := map[string]bool{}
	for _, p := range Presets() {
		names[p.Name] = true
	}
	for name := range want {
		if !names[name] {
			t.Errorf("Presets() lacks %s", name)
		}
	}
}
