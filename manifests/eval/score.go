package eval

import (
	"fmt"
	"strings"
)

// hits marks, one bit per image of a dataset, the images a model predicted right. It is
// all the scoring keeps of a model's predictions once they are read.
type hits []uint64

// newHits compares pred (one label per image of d) with d's labels.
func newHits(d *Dataset, pred []int32) hits {
	h := make(hits, (len(pred)+63)/64)
	for i, p := range pred {
		if p == d.images[i].label {
			h[i>>6] |= 1 << (uint(i) & 63)
		}
	}
	return h
}

// count returns how many of ids are hits.
func (h hits) count(ids []int32) int {
	k := 0
	for _, id := range ids {
		k += int(h[id>>6] >> (uint(id) & 63) & 1)
	}
	return k
}

// pair is one comparison: reference images (ids into ref) against shifted images (ids
// into shift). Both are the same dataset unless the reference comes from another one.
type pair struct {
	ref, shift       *Dataset
	refIDs, shiftIDs []int32
	// refToShift maps a reference label to the shifted dataset's label of the class of
	// the same name (-1: the shifted dataset has no such class).
	refToShift []int32
	// keepRates is set when the shifted dataset's manifest records per-class keep rates
	// (see KeepRates): its class proportions are the shift, so the reference is not
	// class-matched.
	keepRates bool
}

// ownPair compares a dataset's reference images with its shifted images.
func ownPair(d *Dataset) pair {
	p := pair{ref: d, shift: d, keepRates: KeepRates(d.Manifest)}
	for i, im := range d.images {
		if im.dist == distRef {
			p.refIDs = append(p.refIDs, int32(i))
		} else {
			p.shiftIDs = append(p.shiftIDs, int32(i))
		}
	}
	p.refToShift = make([]int32, len(d.Manifest.Classes))
	for i := range p.refToShift {
		p.refToShift[i] = int32(i)
	}
	return p
}

// refPair compares the shifted images of s with the reference images of r or, when r
// has none (an index of clean images), with all of r's images; classes match by name.
func refPair(r, s *Dataset) pair {
	p := pair{ref: r, shift: s, keepRates: KeepRates(s.Manifest)}
	for i, im := range r.images {
		if im.dist == distRef {
			p.refIDs = append(p.refIDs, int32(i))
		}
	}
	if len(p.refIDs) == 0 {
		for i := range r.images {
			p.refIDs = append(p.refIDs, int32(i))
		}
	}
	for i, im := range s.images {
		if im.dist == distShift {
			p.shiftIDs = append(p.shiftIDs, int32(i))
		}
	}
	p.refToShift = make([]int32, len(r.Manifest.Classes))
	for i, c := range r.Manifest.Classes {
		l, ok := s.classID[c.Name]
		if !ok {
			l = -1
		}
		p.refToShift[i] = l
	}
	return p
}

// cell is a subset of a pair's images: reference and shifted image ids, the reference
// class-matched to the shifted images' classes.
type cell struct {
	field, value string
	ref, shift   []int32
	// classes is the number of classes the shifted images cover; matched is set when
	// fewer reference images than the candidates were kept.
	classes int
	matched bool
	// unmatched lists, by name, the shifted images' classes of which no candidate
	// reference image is.
	unmatched []string
}

// classMatch fills c.ref from the reference candidates whose class (by name) some
// shifted image of c has; with keep rates, from every candidate.
func (p pair) classMatch(c *cell, refs []int32) {
	k := len(p.shift.Manifest.Classes)
	inShift := make([]bool, k)
	for _, id := range c.shift {
		if l := p.shift.images[id].label; !inShift[l] {
			inShift[l] = true
			c.classes++
		}
	}
	if p.keepRates {
		c.ref = refs
		return
	}
	covered := make([]bool, k)
	for _, id := range refs {
		if l := p.refToShift[p.ref.images[id].label]; l >= 0 && inShift[l] {
			c.ref = append(c.ref, id)
			covered[l] = true
		}
	}
	c.matched = len(c.ref) < len(refs)
	for l, in := range inShift {
		if in && !covered[l] {
			c.unmatched = append(c.unmatched, p.shift.Manifest.Classes[l].Name)
		}
	}
}

// side is one side of a pair, for --by: a dataset and the ids of its images in play.
type side struct {
	d   *Dataset
	ids []int32
}

// cells builds the overall subset and, for each --by field, one subset per value. A side
// none of whose images has the field (such as the reference of a support split, computed
// on shifted images only, or a reference from another dataset) enters every value's
// subset whole.
func (p pair) cells(by []string, warn func(string)) (cell, map[string][]cell) {
	all := cell{shift: p.shiftIDs}
	p.classMatch(&all, p.refIDs)
	out := map[string][]cell{}
	sides := [2]side{{p.ref, p.refIDs}, {p.shift, p.shiftIDs}}
	for fi, f := range by {
		// The values of both sides, by name; uid[s][vid] is side s's value vid's index
		// among them.
		var names []string
		index := map[string]int{}
		var uid [2][]int
		for s, sd := range sides {
			for _, v := range sd.d.byNames[fi] {
				u, ok := index[v]
				if !ok {
					u = len(names)
					index[v] = u
					names = append(names, v)
				}
				uid[s] = append(uid[s], u)
			}
			if s == 0 && p.ref == p.shift {
				uid[1] = uid[0]
				break
			}
		}
		var has [2]bool
		var lacking [2]int
		for s, sd := range sides {
			for _, id := range sd.ids {
				if sd.d.byVal[fi][id] >= 0 {
					has[s] = true
				} else {
					lacking[s]++
				}
			}
		}
		for s := range has {
			if has[s] && lacking[s] > 0 {
				warn(fmt.Sprintf("--by %s: %d %s images lack the field and are left out of every %s subset", f, lacking[s], distNames[s], f))
			}
		}
		for _, u := range sortValues(names) {
			c := cell{field: f, value: names[u]}
			var members [2][]int32
			for s, sd := range sides {
				for _, id := range sd.ids {
					if v := sd.d.byVal[fi][id]; !has[s] || (v >= 0 && uid[s][v] == u) {
						members[s] = append(members[s], id)
					}
				}
			}
			c.shift = members[1]
			p.classMatch(&c, members[0])
			if len(c.shift) == 0 || len(c.ref) == 0 {
				what := "no shifted image has this value"
				if len(c.shift) > 0 {
					what = "no reference image of the shifted images' classes has this value"
				}
				warn(fmt.Sprintf("--by %s=%s: skipped: %s", f, c.value, what))
				continue
			}
			out[f] = append(out[f], c)
		}
	}
	return all, out
}

// shareClasses returns noSharedClass's error when no reference image is of a class of
// the shifted images.
func (p pair) shareClasses() error {
	all := cell{shift: p.shiftIDs}
	p.classMatch(&all, p.refIDs)
	if len(all.ref) == 0 {
		return p.noSharedClass(all)
	}
	return nil
}

// noSharedClass explains a pair whose reference and shifted images share no class: the
// classes of each side, and the likely cause.
func (p pair) noSharedClass(all cell) error {
	refNames := map[string]bool{}
	for _, id := range p.refIDs {
		refNames[p.ref.Manifest.Classes[p.ref.images[id].label].Name] = true
	}
	return fmt.Errorf("the reference and the shifted images share no class, so their accuracies cannot be compared: the shifted images are of %d classes (%s), the reference images of %d others (%s); "+
		"classes match by name, so give reference images of the shifted images' classes",
		all.classes, listSome(all.unmatched, 5), len(refNames), listSome(sortedKeys(refNames), 5))
}

// unmatchedNote says which shifted classes have no reference image, for a warning.
func (c cell) unmatchedNote() string {
	return fmt.Sprintf("%d of the %d classes of the shifted images have no reference image (%s): their shifted images count in the shifted accuracy, and the reference accuracy is computed on the other %d classes",
		len(c.unmatched), c.classes, listSome(c.unmatched, 5), c.classes-len(c.unmatched))
}

// listSome joins the first n of names, saying how many more there are.
func listSome(names []string, n int) string {
	if len(names) <= n {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:n], ", "), len(names)-n)
}

// scorer computes the Results of one pair: every model with hits on both sides.
type scorer struct {
	p      pair
	models []string
	info   []ModelInfo
	// ref[i] and shift[i] are model i's hits on the pair's reference and shifted
	// datasets (nil: the model is not scored on this pair).
	ref, shift []hits
	opt        Options
}

// score fits and computes ER on cell c; key tells apart the subsets of a run (see
// Options.Key).
func (s scorer) score(c cell, key string) (*Result, []string, error) {
	var pts []Point
	for i, m := range s.models {
		if s.ref[i] == nil || s.shift[i] == nil {
			continue
		}
		pts = append(pts, Point{Model: m, Group: s.info[i].Group, Baseline: s.info[i].Baseline,
			Ref: Count(s.ref[i].count(c.ref), len(c.ref)), Shift: Count(s.shift[i].count(c.shift), len(c.shift))})
	}
	o := s.opt
	o.Key = key
	res, warns, err := Analyze(pts, o)
	if err != nil {
		return nil, nil, err
	}
	res.Images = &Images{Ref: len(c.ref), Shift: len(c.shift), Classes: c.classes, ClassMatched: c.matched, KeepRates: s.p.keepRates}
	return res, warns, nil
}

// evaluate scores the pair overall and per --by value into rep (whose other fields the
// caller sets). warn receives every warning.
func (s scorer) evaluate(rep *Report, by []string, warn func(string)) error {
	all, byCells := s.p.cells(by, warn)
	if len(all.ref) == 0 {
		return s.p.noSharedClass(all)
	}
	res, warns, err := s.score(all, "")
	if err != nil {
		return err
	}
	for _, w := range warns {
		warn(w)
	}
	if len(all.unmatched) > 0 {
		warn(all.unmatchedNote())
	}
	if all.matched {
		warn(fmt.Sprintf("the shifted images cover %d classes: reference accuracy is computed on the reference images of those classes only (%d images)", all.classes, len(all.ref)))
	}
	rep.Result = *res
	for _, f := range by {
		for _, c := range byCells[f] {
			key := f + "=" + c.value
			r, _, err := s.score(c, key)
			if err != nil {
				warn(fmt.Sprintf("--by %s: skipped: %v", key, err))
				continue
			}
			if rep.By == nil {
				rep.By = map[string]map[string]*Result{}
			}
			if rep.By[f] == nil {
				rep.By[f] = map[string]*Result{}
			}
			rep.By[f][c.value] = r
		}
	}
	return nil
}
