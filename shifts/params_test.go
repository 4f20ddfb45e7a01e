package shifts

import (
	"strings"
	"testing"
)

func TestParseSpec(t *testing.T) {
	name, set, err := ParseSpec(" night:severity=4, gamma=2.5 ")
	if err != nil || name != "night" || set["severity"] != "4" || set["gamma"] != "2.5" || len(set) != 2 {
		t.Fatalf("%q %v %v", name, set, err)
	}
	for spec, want := range map[string]string{
		"":                   "has no name",
		"night:":             "nothing after ':'",
		"night:severity":     "is not key=value",
		"night:a=1,a=2":      "set twice",
		"night:severity=9":   "out of range",
		"night:severity=2.5": "must be an integer",
		"night:zzz=1":        `has no parameter "zzz"`,
		"label-shift:p=0.5":  "(0, 0.5)",
		"nope":               "unknown shift",
		"vflip:x=1":          "takes no parameters",
		// The valid set names a per-image draw's default as such.
		"motion-blur:angel=3": `no parameter "angel" (did you mean angle?); valid: severity [1, 5] (default 3), radius [0, 64] (default by severity 1-5: 10, 15, 15, 15, 20), sigma [0.1, 64] (default by severity 1-5: 3, 5, 8, 12, 15), angle [-180, 180] (default drawn per image)`,
	} {
		if _, _, err := Resolve(spec); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", spec, err, want)
		}
	}
	_, v, err := Resolve("spurious-tint:p=0.7")
	if err != nil || v.Get("p") != 0.7 || v.Get("alpha") != 0.25 {
		t.Fatalf("defaults: %v %v", v, err)
	}
}

// FuzzResolve: any --shift string gives an entry with checked values or an error.
func FuzzResolve(f *testing.F) {
	for _, s := range []string{"spurious-tint:p=0.7", "night:severity=4", "pad:pixels=3,tint=true", "label-shift", "a:b=c,d", "vflip:"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		e, v, err := Resolve(spec)
		if err != nil {
			return
		}
		for _, p := range e.Params {
			x, ok := v[p.Name]
			if !ok {
				if p.Default != nil {
					t.Fatalf("%q: %s has a default but no value", spec, p.Name)
				}
				continue
			}
			if err := p.check(x); err != nil {
				t.Fatalf("%q: accepted %s=%v: %v", spec, p.Name, x, err)
			}
		}
	})
}
