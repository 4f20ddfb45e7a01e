package shifts

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/shiftgen/shiftgen/shifts/imagenetc"
)

// Record returns the per-image draws of a random corruption for the image keyed by k
// (the Key Apply receives): the motion-blur angle, frost's texture and crop, snow's
// angle and flake seed, and the seeds of the noise fields, by their parameter names.
// Deterministic corruptions record nothing.
func (c Corruption) Record(k Key) map[string]any {
	r, ok := c.Params.(imagenetc.Random)
	if !ok {
		return nil
	}
	k.Purpose += "/" + c.Name
	return r.Draw(k.Rand()).Draws()
}

// seedParam is the parameter of a seed a corruption draws per image.
func seedParam(name, what string) Param {
	return Param{Name: name, Type: Int, Min: 0, Max: imagenetc.MaxSeed, Drawn: true,
		Doc: "seed of " + what + "; unset draws it per image and records it"}
}

// setSeed sets *dst to v[name] when the user set it.
func setSeed(v Values, name string, dst **uint64) {
	if x, ok := v[name]; ok {
		s := uint64(x)
		*dst = &s
	}
}

// setDrawnFloat sets *dst to v[name] when the user set it.
func setDrawnFloat(v Values, name string, dst **float64) {
	if x, ok := v[name]; ok {
		*dst = &x
	}
}

// Redraw returns spec with the per-image draws of one image's record set as explicit
// parameters: every field of fields that names a drawn parameter (Param.Drawn) of the
// spec's shift and that the spec leaves unset is appended, in name order. The shift
// the result builds makes no per-image draw for them, so it transforms that image
// exactly as the run that wrote the record did, from the record alone. Fields may hold
// the values a record reader gives (json.Number, float64, integers).
func Redraw(spec string, fields map[string]any) (string, error) {
	e, _, err := Resolve(spec)
	if err != nil {
		return "", err
	}
	_, settings, _ := ParseSpec(spec)
	var add []string
	for _, p := range e.Params {
		v, ok := fields[p.Name]
		if !p.Drawn || !ok {
			continue
		}
		if _, set := settings[p.Name]; set {
			continue
		}
		s, err := numberText(v)
		if err != nil {
			return "", fmt.Errorf("record field %s: %w", p.Name, err)
		}
		add = append(add, p.Name+"="+s)
	}
	if len(add) == 0 {
		return spec, nil
	}
	sort.Strings(add)
	sep := ":"
	if strings.Contains(spec, ":") {
		sep = ","
	}
	out := strings.TrimSpace(spec) + sep + strings.Join(add, ",")
	if _, _, err := Resolve(out); err != nil {
		return "", fmt.Errorf("the recorded draws do not fit the shift: %w", err)
	}
	return out, nil
}

// numberText renders a number read from a record exactly.
func numberText(v any) (string, error) {
	switch x := v.(type) {
	case json.Number:
		return x.String(), nil
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64), nil
	case int:
		return strconv.Itoa(x), nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case uint64:
		return strconv.FormatUint(x, 10), nil
	}
	return "", fmt.Errorf("%v is not a number", v)
}
