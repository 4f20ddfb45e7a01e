package shifts

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// ParamType is the type of a shift parameter's value.
type ParamType string

// Parameter types.
const (
	Float ParamType = "float"
	Int   ParamType = "int"
	Bool  ParamType = "bool"
)

// Param describes one parameter of a shift: its name, type, default, allowed range and
// meaning. A nil Default means the value is derived from another parameter (usually
// severity) unless set explicitly.
type Param struct {
	Name    string    `json:"name"`
	Type    ParamType `json:"type"`
	Default any       `json:"default"`
	Min     float64   `json:"min"`
	Max     float64   `json:"max"`
	// Open marks the range as exclusive at both ends, (Min, Max) instead of [Min, Max].
	Open bool   `json:"open,omitempty"`
	Doc  string `json:"doc"`
	// BySeverity holds, for a parameter derived from severity, its value at severities
	// 1 to 5 (nil otherwise).
	BySeverity []float64 `json:"by_severity,omitempty"`
	// Drawn marks a per-image draw: left unset, it is drawn for every image and
	// recorded under this name in the image's record (see Redraw).
	Drawn bool `json:"drawn,omitempty"`
}

// check validates v against p's type and range.
func (p Param) check(v float64) error {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Errorf("%s must be a finite number", p.Name)
	}
	if p.Type == Int && v != math.Trunc(v) {
		return fmt.Errorf("%s must be an integer, got %v", p.Name, v)
	}
	if p.Type == Bool && v != 0 && v != 1 {
		return fmt.Errorf("%s must be true or false", p.Name)
	}
	if p.Open {
		if v <= p.Min || v >= p.Max {
			return fmt.Errorf("%s=%v is out of range: it must lie in (%v, %v)", p.Name, v, p.Min, p.Max)
		}
	} else if v < p.Min || v > p.Max {
		return fmt.Errorf("%s=%v is out of range: it must lie in [%v, %v]", p.Name, v, p.Min, p.Max)
	}
	return nil
}

// RangeString renders p's allowed range, e.g. "[1, 5]" or "(0, 0.5)".
func (p Param) RangeString() string {
	if p.Type == Bool {
		return "true|false"
	}
	lo, hi := strconv.FormatFloat(p.Min, 'f', -1, 64), strconv.FormatFloat(p.Max, 'f', -1, 64)
	if p.Open {
		return "(" + lo + ", " + hi + ")"
	}
	return "[" + lo + ", " + hi + "]"
}

// DefaultString renders p's default for people; a value derived from severity reads
// "by severity 1-5: a, b, c, d, e", a per-image draw "drawn per image".
func (p Param) DefaultString() string {
	if p.Default != nil {
		return fmt.Sprint(p.Default)
	}
	if p.Drawn {
		return "drawn per image"
	}
	if p.BySeverity == nil {
		return "set by other parameters"
	}
	vals := make([]string, len(p.BySeverity))
	for i, v := range p.BySeverity {
		vals[i] = strconv.FormatFloat(v, 'g', -1, 64)
	}
	return "by severity 1-5: " + strings.Join(vals, ", ")
}

// Values holds a shift's parameter values by name, as numbers (booleans are 0 or 1).
// Parameters with a default are always present once parsed; derived ones only when set.
type Values map[string]float64

// Has reports whether name was given or has a default.
func (v Values) Has(name string) bool { _, ok := v[name]; return ok }

// Get returns the value of name, or 0 when it is absent.
func (v Values) Get(name string) float64 { return v[name] }

// Or returns the value of name, or def when it is absent.
func (v Values) Or(name string, def float64) float64 {
	if x, ok := v[name]; ok {
		return x
	}
	return def
}

// ParseSpec splits a --shift spec "name" or "name:key=value,key=value" into the name and
// its raw settings. Keys must not repeat.
func ParseSpec(spec string) (name string, settings map[string]string, err error) {
	spec = strings.TrimSpace(spec)
	name, rest, hasRest := strings.Cut(spec, ":")
	name = strings.TrimSpace(name)
	if name == "" {
		return "", nil, fmt.Errorf("shift spec %q has no name; use NAME or NAME:key=value,...", spec)
	}
	settings = map[string]string{}
	if !hasRest {
		return name, settings, nil
	}
	if strings.TrimSpace(rest) == "" {
		return "", nil, fmt.Errorf("shift spec %q: nothing after ':'; use NAME:key=value,...", spec)
	}
	for _, kv := range strings.Split(rest, ",") {
		k, val, ok := strings.Cut(kv, "=")
		k, val = strings.TrimSpace(k), strings.TrimSpace(val)
		if !ok || k == "" || val == "" {
			return "", nil, fmt.Errorf("shift spec %q: %q is not key=value", spec, kv)
		}
		if _, dup := settings[k]; dup {
			return "", nil, fmt.Errorf("shift spec %q: %s is set twice", spec, k)
		}
		settings[k] = val
	}
	return name, settings, nil
}

// resolve checks settings against params and returns the values with defaults filled in.
func resolve(entry string, params []Param, settings map[string]string) (Values, error) {
	v := Values{}
	byName := map[string]Param{}
	for _, p := range params {
		byName[p.Name] = p
		switch d := p.Default.(type) {
		case float64:
			v[p.Name] = d
		case int:
			v[p.Name] = float64(d)
		case bool:
			v[p.Name] = b2f(d)
		}
	}
	keys := make([]string, 0, len(settings))
	for k := range settings {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		p, ok := byName[k]
		if !ok {
			var names []string
			for _, p := range params {
				names = append(names, p.Name)
			}
			return nil, fmt.Errorf("shift %s has no parameter %q%s; valid: %s", entry, k, didYouMean(k, names), paramNames(params))
		}
		raw := settings[k]
		var x float64
		var err error
		if p.Type == Bool {
			var b bool
			b, err = strconv.ParseBool(raw)
			x = b2f(b)
		} else {
			x, err = strconv.ParseFloat(raw, 64)
		}
		if err != nil {
			return nil, fmt.Errorf("shift %s: %s=%q is not a %s", entry, k, raw, p.Type)
		}
		if err := p.check(x); err != nil {
			return nil, fmt.Errorf("shift %s: %w", entry, err)
		}
		v[k] = x
	}
	return v, nil
}

func paramNames(params []Param) string {
	if len(params) == 0 {
		return "none (this shift takes no parameters)"
	}
	var s []string
	for _, p := range params {
		s = append(s, fmt.Sprintf("%s %s (default %s)", p.Name, p.RangeString(), p.DefaultString()))
	}
	return strings.Join(s, ", ")
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
