package shifts

import (
	"encoding/json"
	"fmt"
	"sort"
)

// Entry is one shift the registry offers: its name, kind, a one-line description, its
// parameters and a constructor. New receives values already checked against Params with
// defaults filled in.
type Entry struct {
	Name        string
	Kind        Kind
	Description string
	Params      []Param
	New         func(v Values, env Env) (Shift, error)
	// NeedsStyles marks shifts that draw style images from Env.Styles (and refuse to
	// build without them).
	NeedsStyles bool
}

// TransformEntry is an out-of-support pixel transform. The registry offers each one twice:
// as NAME (out-of-support: reference untouched, shifted transformed) and as spurious-NAME
// (in-support: the transform correlated with the label, see Spurious).
type TransformEntry struct {
	Name        string
	Description string
	Params      []Param
	New         func(v Values, env Env) (Transform, error)
	// NeedsStyles marks transforms that draw style images from Env.Styles.
	NeedsStyles bool
}

// Severity is the common 1–5 severity parameter of the transform families.
var Severity = Param{Name: "severity", Type: Int, Default: 3, Min: 1, Max: 5,
	Doc: "strength from 1 (mild) to 5 (strong); sets every parameter left unset"}

// spuriousP is the p parameter every spurious-X shift adds.
var spuriousP = Param{Name: "p", Type: Float, Default: 0.8, Min: 0.5, Max: 1, Open: true,
	Doc: "probability of the transform in the favoured half of the classes (1-p in the other half) in the reference distribution"}

// transformEntries lists every out-of-support transform, family by family.
func transformEntries() []TransformEntry {
	var all []TransformEntry
	all = append(all, paperTransforms()...)
	all = append(all, lightingTransforms()...)
	all = append(all, styleTransforms()...)
	all = append(all, styleImageTransforms()...)
	all = append(all, corruptionTransforms()...)
	return all
}

// Entries returns every shift the registry offers, sorted by name.
func Entries() []Entry {
	es := paperEntries()
	for _, t := range transformEntries() {
		es = append(es, outOfSupportEntry(t), spuriousEntry(t))
	}
	sort.Slice(es, func(i, j int) bool { return es[i].Name < es[j].Name })
	return es
}

// Lookup returns the entry called name.
func Lookup(name string) (Entry, bool) {
	for _, e := range Entries() {
		if e.Name == name {
			return e, true
		}
	}
	return Entry{}, false
}

// Names returns the names of every shift, sorted.
func Names() []string {
	var n []string
	for _, e := range Entries() {
		n = append(n, e.Name)
	}
	return n
}

// Resolve parses a --shift spec and checks it against the registry, returning the
// entry and its values with defaults filled in. Unknown shifts and parameters, and values
// out of range, are refused with the valid set in the message.
func Resolve(spec string) (Entry, Values, error) {
	name, settings, err := ParseSpec(spec)
	if err != nil {
		return Entry{}, nil, err
	}
	e, ok := Lookup(name)
	if !ok {
		names := Names()
		for _, p := range Presets() {
			names = append(names, p.Name)
		}
		return Entry{}, nil, fmt.Errorf("unknown shift %q%s; `shiftgen list` shows all %d shifts and presets", name, didYouMean(name, names), len(names))
	}
	v, err := resolve(name, e.Params, settings)
	if err != nil {
		return Entry{}, nil, err
	}
	return e, v, nil
}

// New builds the shift a --shift spec names.
func New(spec string, env Env) (Shift, error) {
	e, v, err := Resolve(spec)
	if err != nil {
		return nil, err
	}
	return e.New(v, env)
}

func outOfSupportEntry(t TransformEntry) Entry {
	return Entry{
		Name:        t.Name,
		Kind:        OutOfSupport,
		Description: t.Description,
		Params:      t.Params,
		NeedsStyles: t.NeedsStyles,
		New: func(v Values, env Env) (Shift, error) {
			tr, err := t.New(v, env)
			if err != nil {
				return nil, err
			}
			return OutOfSupportShift{Entry: t.Name, T: tr, Seed: env.Seed, Severity: int(v.Or("severity", 0))}, nil
		},
	}
}

func spuriousEntry(t TransformEntry) Entry {
	params := append([]Param{spuriousP}, t.Params...)
	return Entry{
		Name:        "spurious-" + t.Name,
		Kind:        InSupport,
		Description: "in-support: " + t.Name + " correlated with the label in the reference, independent of it when shifted",
		Params:      params,
		NeedsStyles: t.NeedsStyles,
		New: func(v Values, env Env) (Shift, error) {
			tr, err := t.New(v, env)
			if err != nil {
				return nil, err
			}
			s, err := NewSpurious("spurious-"+t.Name, tr, v.Get("p"), env)
			if err != nil {
				return nil, err
			}
			s.Severity = int(v.Or("severity", 0))
			return s, nil
		},
	}
}

// OutOfSupportShift leaves the reference distribution untouched and applies T to every
// image of the shifted distribution.
type OutOfSupportShift struct {
	Entry string
	T     Transform
	Seed  int64
	// Severity, when not 0, is recorded with every transformed image.
	Severity int
}

// Name returns the registry name.
func (s OutOfSupportShift) Name() string { return s.Entry }

// Kind returns OutOfSupport.
func (s OutOfSupportShift) Kind() Kind { return OutOfSupport }

// Params returns the transform's own parameters.
func (s OutOfSupportShift) Params() any { return s.T }

// Untouched reports that the reference distribution is left unchanged, every image
// recorded with applied false.
func (s OutOfSupportShift) Untouched(d Distribution) (map[string]any, bool) {
	if d != Reference {
		return nil, false
	}
	return map[string]any{"applied": false}, true
}

// Sample applies T in the shifted distribution only.
func (s OutOfSupportShift) Sample(d Distribution, it Item) Sample {
	if d == Shifted {
		return Sample{Transform: s.T, Fields: recorded(s.T, s.Seed, s.Severity, it, map[string]any{"applied": true}), Tally: []string{"applied"}}
	}
	return Sample{Fields: map[string]any{"applied": false}}
}

// recorded adds the severity (when not 0) and a Recorder transform's per-image choices
// to the fields of a transformed image.
func recorded(t Transform, seed int64, severity int, it Item, fields map[string]any) map[string]any {
	if severity != 0 {
		fields["severity"] = severity
	}
	if r, ok := t.(Recorder); ok {
		for k, v := range r.Record(PixelKey(seed, it)) {
			fields[k] = v
		}
	}
	return fields
}

// Spurious makes any transform an in-support shift. A seeded random half of the classes
// (the favoured half, from RandomState(seed).permutation(classes)) gets the transform with
// probability P in the reference distribution and the other half with probability 1−P; in
// the shifted distribution every image gets it with probability 0.5. Each image's draw is
// keyed by (seed, split, index), so an image's uniform draw is the same in both
// distributions and only the threshold differs.
type Spurious struct {
	Entry string
	T     Transform
	P     float64
	Seed  int64
	// Severity, when not 0, is recorded with every transformed image.
	Severity int
	favoured []bool
}

// NewSpurious builds a Spurious shift over env.Classes classes.
func NewSpurious(name string, t Transform, p float64, env Env) (*Spurious, error) {
	if env.Classes <= 0 {
		return nil, fmt.Errorf("%s needs the number of classes", name)
	}
	perm := NewRandomState(uint32(env.Seed)).Permutation(env.Classes)
	fav := make([]bool, env.Classes)
	for _, c := range perm[:env.Classes/2] {
		fav[c] = true
	}
	return &Spurious{Entry: name, T: t, P: p, Seed: env.Seed, favoured: fav}, nil
}

// Name returns the registry name.
func (s *Spurious) Name() string { return s.Entry }

// Kind returns InSupport.
func (s *Spurious) Kind() Kind { return InSupport }

// Params returns p merged with the transform's parameters.
func (s *Spurious) Params() any {
	m := map[string]any{}
	if b, err := json.Marshal(s.T); err == nil {
		_ = json.Unmarshal(b, &m)
	}
	m["p"] = s.P
	return m
}

// Favoured reports whether class label is in the half that gets the transform with
// probability P in the reference distribution.
func (s *Spurious) Favoured(label int) bool {
	return label >= 0 && label < len(s.favoured) && s.favoured[label]
}

// Sample draws whether the image gets the transform.
func (s *Spurious) Sample(d Distribution, it Item) Sample {
	prob := 0.5
	fav := s.Favoured(it.Label)
	if d == Reference {
		prob = 1 - s.P
		if fav {
			prob = s.P
		}
	}
	u := Key{Purpose: "apply", Seed: s.Seed, Split: it.Split, Index: it.Index}.Uniform()
	applied := u < prob
	smp := Sample{Fields: map[string]any{"applied": applied, "favoured": fav}}
	if applied {
		smp.Transform = s.T
		smp.Tally = []string{"applied"}
		smp.Fields = recorded(s.T, s.Seed, s.Severity, it, smp.Fields)
	}
	return smp
}

// Expand turns a --shift value into the specs it stands for: a preset name (such as
// "imagenet-c") expands to its list, anything else stands for itself.
func Expand(spec string) []string {
	name, _, _ := ParseSpec(spec)
	for _, p := range presets() {
		if p.Name == name {
			return append([]string(nil), p.Specs...)
		}
	}
	return []string{spec}
}

// Preset is a named list of shift specs run together.
type Preset struct {
	Name        string
	Description string
	Specs       []string
}

// Presets returns every preset, sorted by name.
func Presets() []Preset {
	ps := presets()
	sort.Slice(ps, func(i, j int) bool { return ps[i].Name < ps[j].Name })
	return ps
}

// NeedStyles reports whether any of the --shift specs (presets expanded) names a shift
// that draws style images; unknown specs count as not.
func NeedStyles(specs []string) bool {
	for _, spec := range specs {
		for _, s := range Expand(spec) {
			if e, _, err := Resolve(s); err == nil && e.NeedsStyles {
				return true
			}
		}
	}
	return false
}
