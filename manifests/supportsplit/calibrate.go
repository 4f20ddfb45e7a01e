package supportsplit

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// MaxTemperature bounds the temperature Calibrate returns. Scores that separate the
// domains perfectly have no finite optimum; Calibrate then returns a temperature at
// which the loss vanishes in float64, at most MaxTemperature.
const MaxTemperature = 1e6

// AUC returns the area under the ROC curve of scores for telling positive examples
// (positive[i] true) from the others: the probability that a random positive scores
// above a random negative, ties counting one half (the Mann–Whitney statistic). It is NaN
// when either class is empty.
func AUC(scores []float64, positive []bool) float64 {
	idx := make([]int, len(scores))
	for i := range idx {
		idx[i] = i
	}
	return aucOf(scores, positive, idx)
}

// aucOf is AUC over the examples idx.
func aucOf(scores []float64, positive []bool, idx []int) float64 {
	ids := slices.Clone(idx)
	slices.SortFunc(ids, func(a, b int) int {
		if c := cmpFloat(scores[a], scores[b]); c != 0 {
			return c
		}
		return a - b
	})
	var n1, n0 float64
	rankSum := 0.0
	for start := 0; start < len(ids); {
		end := start
		pos := 0
		for end < len(ids) && scores[ids[end]] == scores[ids[start]] {
			if positive[ids[end]] {
				pos++
			}
			end++
		}
		// Ranks start+1..end share their mean.
		rankSum += float64(pos) * float64(start+1+end) / 2
		n1 += float64(pos)
		n0 += float64(end - start - pos)
		start = end
	}
	if n1 == 0 || n0 == 0 {
		return math.NaN()
	}
	return (rankSum - n1*(n1+1)/2) / (n1 * n0)
}

// sigmoid is the logistic function, without overflow.
func sigmoid(z float64) float64 {
	if z >= 0 {
		return 1 / (1 + math.Exp(-z))
	}
	e := math.Exp(z)
	return e / (1 + e)
}

// Calibrate returns the temperature α minimising the mean binary cross-entropy of the
// probabilities sigmoid(α·scores[i]) for labels positive[i] (the paper's step 3). The loss is
// convex in α; its derivative is bracketed and its root found by safeguarded Newton
// steps, to a relative precision of 1e-12. Both classes must be present; scores must be
// finite.
func Calibrate(scores []float64, positive []bool) (float64, error) {
	if len(scores) != len(positive) {
		return 0, fmt.Errorf("%d scores for %d labels", len(scores), len(positive))
	}
	var n1 int
	for i, s := range scores {
		if math.IsNaN(s) || math.IsInf(s, 0) {
			return 0, fmt.Errorf("score %d is %v; scores must be finite", i, s)
		}
		if positive[i] {
			n1++
		}
	}
	if n1 == 0 || n1 == len(scores) {
		return 0, errors.New("calibration needs scores of both reference and shifted examples")
	}
	// d1 and d2 are the loss's first and second derivatives (summed, not averaged).
	d1 := func(a float64) (float64, float64) {
		g, h := 0.0, 0.0
		for i, s := range scores {
			p := sigmoid(a * s)
			if positive[i] {
				g += (p - 1) * s
			} else {
				g += p * s
			}
			h += p * (1 - p) * s * s
		}
		return g, h
	}
	g0, _ := d1(0)
	if g0 == 0 {
		return 0, nil
	}
	// Bracket the root: the derivative increases with α.
	dir := 1.0
	if g0 > 0 {
		dir = -1
	}
	lo, hi := 0.0, dir
	for {
		g, _ := d1(hi)
		if g*dir >= 0 {
			break
		}
		lo = hi
		if math.Abs(hi) >= MaxTemperature {
			return dir * MaxTemperature, nil
		}
		hi *= 4
	}
	if lo > hi {
		lo, hi = hi, lo
	}
	a := (lo + hi) / 2
	for it := 0; it < 200; it++ {
		g, h := d1(a)
		if g == 0 {
			return a, nil
		}
		if g > 0 {
			hi = a
		} else {
			lo = a
		}
		next := a - g/h
		if h <= 0 || !(next > lo && next < hi) {
			next = (lo + hi) / 2
		}
		if math.Abs(next-a) <= 1e-12*math.Max(1, math.Abs(a)) || hi-lo <= 1e-12*math.Max(1, math.Abs(a)) {
			return next, nil
		}
		a = next
	}
	return a, nil
}

// LogDensityRatio returns log(p_shift(x)/p_ref(x)) for an example with out-of-fold logit
// score, temperature alpha and nRef reference and nShift shifted examples in the pool
// (the paper's step 4): q = sigmoid(α·score) and p_shift/p_ref = q/(1−q)·nRef/nShift, so the
// log ratio is α·score + log(nRef/nShift).
func LogDensityRatio(score, alpha float64, nRef, nShift int) float64 {
	return alpha*score + math.Log(float64(nRef)/float64(nShift))
}

// OutOfSupport reports whether a shifted example with log density ratio logRatio
// (log p_shift/p_ref) lies out of the reference's support at threshold epsilon: when
// p_ref/p_shift ≤ epsilon (the paper's step 5).
func OutOfSupport(logRatio, epsilon float64) bool {
	return -logRatio <= math.Log(epsilon)
}
