package eval

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
)

// ClassMatching states how reference accuracy is computed when the shifted images
// cover fewer classes than the reference, as every report applies it.
const ClassMatching = "the reference accuracy is computed on the reference images of the classes the shifted images cover (classes match by name)"

// ShiftsReport is the result of RunShifts: one Report per dataset, each group's mean ER
// per kind of shift, and, when the datasets include ImageNet-C corruptions, the models'
// corruption errors. Its JSON form extends the eval command's contract under "shifts".
type ShiftsReport struct {
	Title string `json:"title"`
	Split string `json:"split"`
	// Reference is the --reference manifest, for datasets without reference images.
	Reference string `json:"reference,omitempty"`
	Bootstrap int    `json:"bootstrap,omitempty"`
	Seed      uint64 `json:"seed,omitempty"`
	// ClassMatching states the class matching rule.
	ClassMatching string `json:"class_matching"`
	// Groups lists every group of models in the order tables show them: groups with
	// baselines first, then by name.
	Groups []string `json:"groups"`
	// Shifts has one entry per dataset scored, in the order given.
	Shifts []*ShiftReport `json:"shifts"`
	// Kinds summarises the shifts of each kind (in-support, out-of-support, …).
	Kinds []KindSummary `json:"kinds"`
	// Skipped lists the datasets that could not be scored, with the reason.
	Skipped []SkippedShift `json:"skipped,omitempty"`
	// ImageNetC holds the corruption errors (when some datasets are ImageNet-C
	// corruptions).
	ImageNetC *ImageNetC `json:"imagenet_c,omitempty"`
}

// ShiftReport is one dataset's result: exactly the Report a single eval of it gives,
// with the dataset's name, manifest and the shift's parameters (Shift.Params). Label is
// how tables and figures name it: the shift's spec, or the dataset's name when two
// datasets share a spec.
type ShiftReport struct {
	Dataset  string `json:"dataset"`
	Manifest string `json:"manifest"`
	Label    string `json:"label"`
	*Report
}

// SkippedShift is a dataset that could not be scored.
type SkippedShift struct {
	Dataset  string `json:"dataset"`
	Manifest string `json:"manifest"`
	Reason   string `json:"reason"`
}

// KindSummary is each group's ER over the shifts of one kind: the mean, over the
// shifts, of the group's mean ER.
type KindSummary struct {
	Kind   string      `json:"kind"`
	Shifts int         `json:"shifts"`
	Groups []KindGroup `json:"groups"`
}

// KindGroup is one group's mean ER over Shifts shifts of a kind.
type KindGroup struct {
	Group  string  `json:"group"`
	Shifts int     `json:"shifts"`
	MeanER float64 `json:"mean_er"`
}

// Output is a report that renders and plots itself: a Report or a ShiftsReport.
type Output interface {
	Write(w io.Writer, format string) error
	Plot(file string) ([]string, error)
}

// Evaluate runs Run for a table or a single dataset and RunShifts for several.
func Evaluate(ctx context.Context, cfg Config) (Output, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Accuracies != "" {
		return Run(ctx, cfg)
	}
	paths, err := ExpandManifests(cfg.Manifests)
	if err != nil {
		return nil, err
	}
	if len(paths) == 1 {
		return Run(ctx, cfg)
	}
	return RunShifts(ctx, cfg)
}

// RunShifts scores every dataset Config.Manifests names, reading each prediction file
// once, and summarises them. Prediction files are sorted by dataset: a folder given to
// --predictions that has subfolders named like the datasets (a dataset's name is its
// folder relative to the folder holding every dataset, e.g. vflip for out/vflip, or
// gaussian-noise/3 for out/c/gaussian-noise/3) holds each dataset's files in its
// subfolder; a file given directly, or found in a folder without such subfolders,
// covers several datasets, its rows naming each image by path (absolute, relative to
// the working folder, or to the folder holding every dataset) or by a dataset column
// beside distribution, split and index. A model without predictions for a dataset is
// scored without it there. A dataset that cannot be scored is skipped with the reason;
// bad input is an error.
func RunShifts(ctx context.Context, cfg Config) (*ShiftsReport, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Accuracies != "" {
		return nil, fmt.Errorf("RunShifts scores datasets; give --manifest, not --accuracies")
	}
	warn := cfg.Warn
	if warn == nil {
		warn = func(string) {}
	}
	cfg.By = uniqueStrings(cfg.By)
	paths, err := ExpandManifests(cfg.Manifests)
	if err != nil {
		return nil, err
	}
	e, err := newEngine(cfg, paths, warn)
	if err != nil {
		return nil, err
	}
	// Entries carry the titles single evals would give them; cfg.Title titles the whole.
	e.cfg.Title = ""
	res, err := e.run(ctx)
	if err != nil {
		return nil, err
	}
	rep := &ShiftsReport{Title: cfg.Title, Split: e.split, Bootstrap: cfg.Bootstrap, ClassMatching: ClassMatching}
	if cfg.Bootstrap > 0 {
		rep.Seed = cfg.Seed
	}
	if cfg.Reference != "" {
		rep.Reference = cfg.Reference
	}
	specs := map[string]int{}
	for _, r := range res {
		if r.Report != nil {
			specs[specOf(r.Report.Shift)]++
		}
	}
	for _, r := range res {
		if r.Report == nil {
			rep.Skipped = append(rep.Skipped, SkippedShift{Dataset: r.Name, Manifest: r.Manifest, Reason: r.Skipped})
			continue
		}
		d := r.Report
		var params bytes.Buffer
		if json.Compact(&params, r.Params) == nil {
			d.Shift.Params = params.Bytes()
		}
		label := specOf(d.Shift)
		if specs[label] > 1 {
			label = r.Name
		}
		rep.Shifts = append(rep.Shifts, &ShiftReport{Dataset: r.Name, Manifest: r.Manifest, Label: label, Report: d})
	}
	if len(rep.Shifts) == 0 {
		return nil, fmt.Errorf("no dataset could be scored: %s", rep.Skipped[0].Reason)
	}
	if rep.Title == "" {
		rep.Title = fmt.Sprintf("effective robustness on %d shifts", len(rep.Shifts))
	}
	rep.Groups = groupOrder(rep.Shifts)
	rep.Kinds = kindSummaries(rep.Shifts, rep.Groups)
	if rep.ImageNetC, err = imageNetC(rep.Shifts, cfg.CEBaseline, warn); err != nil {
		return nil, err
	}
	if cfg.CEBaseline != "" && rep.ImageNetC == nil {
		return nil, fmt.Errorf("--ce-baseline %s: none of the datasets is an ImageNet-C corruption at a severity, so there are no corruption errors to normalise", cfg.CEBaseline)
	}
	return rep, nil
}

// uniqueStrings drops repeated values, keeping the first of each.
func uniqueStrings(v []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range v {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// specOf is a shift's spec, or its name without one.
func specOf(s *ShiftInfo) string {
	if s.Spec != "" {
		return s.Spec
	}
	return s.Name
}

// groupOrder lists the groups of every shift: groups holding baselines first, then by
// name (the order of Analyze's models).
func groupOrder(shifts []*ShiftReport) []string {
	hasBase := map[string]bool{}
	seen := map[string]bool{}
	var out []string
	for _, s := range shifts {
		for _, m := range s.Models {
			if m.Baseline {
				hasBase[m.Group] = true
			}
			if !seen[m.Group] {
				seen[m.Group] = true
				out = append(out, m.Group)
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if hasBase[out[i]] != hasBase[out[j]] {
			return hasBase[out[i]]
		}
		return out[i] < out[j]
	})
	return out
}

// kindOrder ranks the kinds of shift for summaries and figures.
func kindOrder(kind string) int {
	switch kind {
	case "in-support":
		return 0
	case "out-of-support":
		return 1
	case "natural":
		return 2
	}
	return 3
}

// kinds lists the kinds of the shifts in kindOrder, then by name.
func kinds(shifts []*ShiftReport) []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range shifts {
		if !seen[s.Shift.Kind] {
			seen[s.Shift.Kind] = true
			out = append(out, s.Shift.Kind)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if a, b := kindOrder(out[i]), kindOrder(out[j]); a != b {
			return a < b
		}
		return out[i] < out[j]
	})
	return out
}

// kindSummaries averages each group's mean ER over the shifts of each kind.
func kindSummaries(shifts []*ShiftReport, groups []string) []KindSummary {
	var out []KindSummary
	for _, kind := range kinds(shifts) {
		ks := KindSummary{Kind: kind}
		sum := map[string]float64{}
		n := map[string]int{}
		for _, s := range shifts {
			if s.Shift.Kind != kind {
				continue
			}
			ks.Shifts++
			for _, g := range s.Groups {
				sum[g.Group] += g.MeanER
				n[g.Group]++
			}
		}
		for _, g := range groups {
			if n[g] > 0 {
				ks.Groups = append(ks.Groups, KindGroup{Group: g, Shifts: n[g], MeanER: sum[g] / float64(n[g])})
			}
		}
		out = append(out, ks)
	}
	return out
}

// groupER returns a shift's group result, or nil.
func (s *ShiftReport) groupER(group string) *GroupResult {
	for i := range s.Groups {
		if s.Groups[i].Group == group {
			return &s.Groups[i]
		}
	}
	return nil
}

// hasBaselines reports whether group holds baselines in any shift.
func hasBaselines(shifts []*ShiftReport, group string) bool {
	for _, s := range shifts {
		for _, m := range s.Models {
			if m.Group == group && m.Baseline {
				return true
			}
		}
	}
	return false
}

// shownGroups are the groups summary charts and pivots show: those without baselines,
// or every group when all hold baselines.
func shownGroups(shifts []*ShiftReport, groups []string) []string {
	var out []string
	for _, g := range groups {
		if !hasBaselines(shifts, g) {
			out = append(out, g)
		}
	}
	if len(out) == 0 {
		return groups
	}
	return out
}
