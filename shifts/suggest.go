package shifts

import "strings"

// Suggest returns the candidate a mistyped name most likely meant, or "" when none is
// close: the nearest by edit distance (insertions, deletions, substitutions, and swaps
// of neighbouring letters, each counting one), when that distance is at most a third of
// the name's length (and at least 1 is allowed); failing that, the first candidate the
// name begins, when it is at least three letters long. Ties go to the earlier
// candidate, so the answer does not depend on anything but the inputs.
func Suggest(name string, candidates []string) string {
	best, bestD := "", max(1, len(name)/3)+1
	for _, c := range candidates {
		if d := editDistance(strings.ToLower(name), strings.ToLower(c)); d < bestD {
			best, bestD = c, d
		}
	}
	if best != "" || len(name) < 3 {
		return best
	}
	for _, c := range candidates {
		if strings.HasPrefix(c, name) {
			return c
		}
	}
	return ""
}

// editDistance is the optimal string alignment distance between a and b (bytes).
func editDistance(a, b string) int {
	// Three rows of the dynamic programme: two back, one back, current.
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}

// didYouMean renders Suggest's answer for a message: " (did you mean x?)" or "".
func didYouMean(name string, candidates []string) string {
	if s := Suggest(name, candidates); s != "" {
		return " (did you mean " + s + "?)"
	}
	return ""
}
