package eval

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// byField is one --by value: a record field, optionally binned. "FIELD" groups by
// every distinct value; "FIELD:bins=K" cuts a numeric field's observed range into K
// equal-width bins.
type byField struct {
	name string
	bins int
}

// parseBy reads a --by value.
func parseBy(s string) (byField, error) {
	name, opt, binned := strings.Cut(s, ":")
	name = strings.TrimSpace(name)
	if name == "" {
		return byField{}, fmt.Errorf("--by %q: no field name; use FIELD or FIELD:bins=K", s)
	}
	if !binned {
		return byField{name: name}, nil
	}
	k, v, ok := strings.Cut(opt, "=")
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if !ok || strings.TrimSpace(k) != "bins" || err != nil || n < 1 || n > 1000 {
		return byField{}, fmt.Errorf("--by %q: want FIELD:bins=K with K from 1 to 1000, e.g. angle:bins=6", s)
	}
	return byField{name: name, bins: n}, nil
}

// binning assigns numeric values to k equal-width bins over [lo, hi], the observed
// range: bin i holds [lo + i·w, lo + (i+1)·w), the last one also hi. Labels give each
// bin's range with just enough digits to tell the edges apart.
type binning struct {
	lo, hi float64
	k      int
	labels []string
}

func newBinning(lo, hi float64, k int) *binning {
	b := &binning{lo: lo, hi: hi, k: k}
	if hi == lo {
		b.k = 1
	}
	edges := make([]float64, b.k+1)
	for i := range edges {
		edges[i] = b.edge(i)
	}
	prec := 3
	for ; prec < 17; prec++ {
		distinct := true
		for i := 1; i < len(edges); i++ {
			if fmtNum(edges[i], prec) == fmtNum(edges[i-1], prec) {
				distinct = false
			}
		}
		if distinct {
			break
		}
	}
	for i := 0; i < b.k; i++ {
		close := ")"
		if i == b.k-1 {
			close = "]"
		}
		b.labels = append(b.labels, "["+fmtNum(edges[i], prec)+", "+fmtNum(edges[i+1], prec)+close)
	}
	return b
}

// edge returns the lower edge of bin i (the upper edge of the last for i = k).
func (b *binning) edge(i int) float64 {
	if i == b.k {
		return b.hi
	}
	return b.lo + (b.hi-b.lo)*float64(i)/float64(b.k)
}

// bin returns the bin of x, a value within [lo, hi].
func (b *binning) bin(x float64) int {
	if b.hi == b.lo {
		return 0
	}
	i := int(math.Floor((x - b.lo) / (b.hi - b.lo) * float64(b.k)))
	i = max(0, min(i, b.k-1))
	// Keep the bin consistent with the labelled edges despite rounding.
	for i > 0 && x < b.edge(i) {
		i--
	}
	for i < b.k-1 && x >= b.edge(i+1) {
		i++
	}
	return i
}

func fmtNum(x float64, prec int) string { return strconv.FormatFloat(x, 'g', prec, 64) }

// parseByFields parses the --by values and returns, per value, a slice to collect a
// binned field's numbers in (nil for the others).
func parseByFields(by []string) ([]byField, [][]float64, error) {
	fields := make([]byField, len(by))
	for i, s := range by {
		f, err := parseBy(s)
		if err != nil {
			return nil, nil, err
		}
		fields[i] = f
	}
	return fields, make([][]float64, len(by)), nil
}

// binValue reads a binned field's value from its record text: NaN when absent.
func binValue(v string, ok bool) (float64, error) {
	if !ok {
		return math.NaN(), nil
	}
	x, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
		return 0, fmt.Errorf("is %s, not a number; bins need a numeric field", v)
	}
	return x, nil
}

// binValues turns the numbers collected for binned fields into bin ids and labels:
// equal-width bins over the range observed in the evaluated split; only bins that
// hold an image are listed, in bin order.
func (d *Dataset) binValues(fields []byField, nums [][]float64) {
	for fi, f := range fields {
		if f.bins == 0 {
			continue
		}
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, x := range nums[fi] {
			if !math.IsNaN(x) {
				lo, hi = math.Min(lo, x), math.Max(hi, x)
			}
		}
		if lo > hi { // no image has the field
			continue
		}
		b := newBinning(lo, hi, f.bins)
		ids := make([]int32, b.k)
		for i := range ids {
			ids[i] = -1
		}
		bins := make([]int, len(nums[fi]))
		for i, x := range nums[fi] {
			bins[i] = -1
			if !math.IsNaN(x) {
				bins[i] = b.bin(x)
				ids[bins[i]] = 0
			}
		}
		for i := range ids {
			if ids[i] == 0 {
				ids[i] = int32(len(d.byNames[fi]))
				d.byNames[fi] = append(d.byNames[fi], b.labels[i])
			}
		}
		d.byVal[fi] = make([]int32, len(bins))
		for i, k := range bins {
			d.byVal[fi][i] = -1
			if k >= 0 {
				d.byVal[fi][i] = ids[k]
			}
		}
	}
}

// sortNumber is the number a value sorts by: the value itself, or the lower edge of a
// bin label "[lo, hi)".
func sortNumber(v string) (float64, error) {
	if lo, _, ok := strings.Cut(strings.TrimPrefix(v, "["), ", "); ok && strings.HasPrefix(v, "[") {
		return strconv.ParseFloat(lo, 64)
	}
	return strconv.ParseFloat(v, 64)
}
