package shifts

import "fmt"

// LabelShift is the paper's label shift, an in-support shift that only
// changes class proportions. Half of the classes are "minority" classes:
//
//	pref = [True]·(K/2) + [False]·(K − K/2), shuffled by RandomState(seed).shuffle
//
// (K the number of classes, K/2 rounded down; for K = 1000 and seed 0 this is exactly the
// paper's [True]*500 + [False]*500 shuffled by RandomState(0)). Keep rates, computed in
// float64 exactly as the paper writes them, with q = 1−p:
//
//	reference: p/(1−p) for minority classes, 1 for the others
//	shifted:   1 for minority classes, (1−q)/q for the others
//
// Class c with n_c images (in index order) keeps int(rate·n_c) of them: those at the
// first int(rate·n_c) positions of RandomState(s_c).permutation(n_c), with
// s_c = c + seed·K (mod 2³²), so s_c = c at the paper's seed 0. The reference distribution
// applies to every split (train and reference val); the shifted one to val. Images are
// not transformed. A LabelShift is read-only once built and safe for concurrent use.
type LabelShift struct {
	// P in (0, 0.5) is the paper's p (0.2 in its main experiment).
	P float64
	// Seed shuffles the minority classes and keys the per-class subsets; 0 is the paper.
	Seed     int64
	minority []bool
}

// LabelShiftParams are the label shift's recorded parameters.
type LabelShiftParams struct {
	// P in (0, 0.5) sets the minority classes' reference keep rate p/(1−p).
	P float64 `json:"p"`
	// Classes is K.
	Classes int `json:"classes"`
}

// NewLabelShift builds the label shift for env.Classes classes and env.Seed.
func NewLabelShift(p float64, env Env) (*LabelShift, error) {
	if env.Classes <= 0 {
		return nil, fmt.Errorf("label-shift needs the number of classes")
	}
	if !(p > 0 && p < 0.5) {
		return nil, fmt.Errorf("label-shift: p=%v is out of range: it must lie in (0, 0.5)", p)
	}
	pref := make([]bool, env.Classes)
	for i := range env.Classes / 2 {
		pref[i] = true
	}
	ShuffleInts(NewRandomState(uint32(env.Seed)), pref)
	return &LabelShift{P: p, Seed: env.Seed, minority: pref}, nil
}

// Name returns "label-shift".
func (s *LabelShift) Name() string { return "label-shift" }

// Kind returns InSupport.
func (s *LabelShift) Kind() Kind { return InSupport }

// Params returns p and the class count. (The minority classes show in the per-class
// keep rates Keep returns, which the manifest records.)
func (s *LabelShift) Params() any {
	return LabelShiftParams{P: s.P, Classes: len(s.minority)}
}

// Minority reports whether class label is a minority class (labels outside [0, K) are
// not).
func (s *LabelShift) Minority(label int) bool {
	return label >= 0 && label < len(s.minority) && s.minority[label]
}

// Rate returns class label's keep rate in distribution d.
func (s *LabelShift) Rate(d Distribution, label int) float64 {
	p := s.P
	q := 1 - p
	minor := s.Minority(label)
	if d == Shifted {
		if minor {
			return 1
		}
		return (1 - q) / q
	}
	if minor {
		return p / (1 - p)
	}
	return 1
}

// Keep selects, for the items of one split in index order, the images distribution d
// keeps, and returns every class's keep rate (indexed by label; the slice covers K
// classes and any larger label present).
func (s *LabelShift) Keep(d Distribution, split string, items []Item) (keep []bool, rates []float64) {
	k := len(s.minority)
	for _, it := range items {
		k = max(k, it.Label+1)
	}
	byClass := make([][]int, k)
	for i, it := range items {
		if it.Label >= 0 {
			byClass[it.Label] = append(byClass[it.Label], i)
		}
	}
	keep = make([]bool, len(items))
	rates = make([]float64, k)
	for c, members := range byClass {
		rates[c] = s.Rate(d, c)
		n := len(members)
		kept := int(rates[c] * float64(n))
		if n == 0 || kept == 0 {
			continue
		}
		perm := NewRandomState(uint32(int64(c) + s.Seed*int64(len(s.minority)))).Permutation(n)
		for _, j := range perm[:min(kept, n)] {
			keep[members[j]] = true
		}
	}
	return keep, rates
}

// Sample records whether the image's class is a minority class and its keep rate in d;
// it never transforms the image.
func (s *LabelShift) Sample(d Distribution, it Item) Sample {
	minor := s.Minority(it.Label)
	smp := Sample{Fields: map[string]any{"minority": minor, "keep_rate": s.Rate(d, it.Label)}}
	if minor {
		smp.Tally = []string{"minority"}
	}
	return smp
}
