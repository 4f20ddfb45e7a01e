package shifts

import (
	"fmt"
	"math"
	"os/exec"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

var _ Selector = (*LabelShift)(nil)

// runNumPy runs a Python script with stdin and returns its output as whitespace-separated
// fields.
func runNumPy(t *testing.T, script, stdin string) []string {
	t.Helper()
	if testing.Short() {
		t.Skip("short mode: calls Python")
	}
	cmd := exec.Command(pythonWith(t, "numpy"), "-c", script)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			t.Fatalf("python: %v\n%s", err, ee.Stderr)
		}
		t.Fatalf("python: %v", err)
	}
	return strings.Fields(string(out))
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestRandomStateFixtures pins RandomState's outputs to values NumPy 1.24 printed.
func TestRandomStateFixtures(t *testing.T) {
	r := NewRandomState(0)
	for i, want := range []float64{0x1.18fe1565f12a8p-1, 0x1.6e2d4cf608733p-1, 0x1.349d66b6e894bp-1, 0x1.16faedb6395f5p-1} {
		if got := r.Uniform(); got != want {
			t.Errorf("RandomState(0).uniform()[%d] = %x, want %x", i, got, want)
		}
	}
	// The tint table's order: 3000 colour uniforms, then choice(1000, size=N).
	r = NewRandomState(0)
	for range 3000 {
		r.Uniform()
	}
	var choice []int
	for range 8 {
		choice = append(choice, int(r.Interval(999)))
	}
	if want := []int{545, 468, 576, 161, 83, 457, 258, 528}; !reflect.DeepEqual(choice, want) {
		t.Errorf("choice(1000) after the colours = %v, want %v", choice, want)
	}
	r = NewRandomState(123456789)
	choice = choice[:0]
	for range 10 {
		choice = append(choice, int(r.Interval(4)))
	}
	if want := []int{0, 4, 2, 1, 2, 4, 2, 4, 3, 4}; !reflect.DeepEqual(choice, want) {
		t.Errorf("RandomState(123456789).choice(5, 10) = %v, want %v", choice, want)
	}
	if got, want := NewRandomState(0).Permutation(10), []int{2, 8, 4, 9, 1, 6, 7, 3, 0, 5}; !reflect.DeepEqual(got, want) {
		t.Errorf("RandomState(0).permutation(10) = %v, want %v", got, want)
	}
	if got, want := NewRandomState(3).Permutation(7), []int{4, 6, 5, 3, 1, 0, 2}; !reflect.DeepEqual(got, want) {
		t.Errorf("RandomState(3).permutation(7) = %v, want %v", got, want)
	}
}

// TestRandomStateMatchesNumPy compares uniform, choice(1000, size=N) and permutation with
// NumPy itself, for several seeds.
func TestRandomStateMatchesNumPy(t *testing.T) {
	const script = `
import sys, numpy as np
for line in sys.stdin:
    kind, seed, n = line.split()
    r = np.random.RandomState(int(seed)); n = int(n)
    if kind == "uniform":
        print(" ".join(x.hex() for x in r.uniform(size=n)))
    elif kind == "choice":
        print(" ".join(map(str, r.choice(1000, size=n))))
    else:
        print(" ".join(map(str, r.permutation(n))))
    print("END")
`
	type job struct {
		kind string
		seed uint32
		n    int
	}
	var jobs []job
	for _, seed := range []uint32{0, 1, 42, 20240301, 4294967295} {
		jobs = append(jobs, job{"uniform", seed, 2000}, job{"choice", seed, 5000},
			job{"permutation", seed, 1}, job{"permutation", seed, 2}, job{"permutation", seed, 17},
			job{"permutation", seed, 1000}, job{"permutation", seed, 1300}, job{"permutation", seed, 70000})
	}
	var in strings.Builder
	for _, j := range jobs {
		fmt.Fprintf(&in, "%s %d %d\n", j.kind, j.seed, j.n)
	}
	out := runNumPy(t, script, in.String())
	for _, j := range jobs {
		end := 0
		for out[end] != "END" {
			end++
		}
		want := out[:end]
		out = out[end+1:]
		r := NewRandomState(j.seed)
		var got []string
		switch j.kind {
		case "uniform":
			for range j.n {
				got = append(got, pyHex(r.Uniform()))
			}
		case "choice":
			for range j.n {
				got = append(got, strconv.Itoa(int(r.Interval(999))))
			}
		default:
			for _, v := range r.Permutation(j.n) {
				got = append(got, strconv.Itoa(v))
			}
		}
		if !reflect.DeepEqual(got, want) {
			i := 0
			for i < len(got) && i < len(want) && got[i] == want[i] {
				i++
			}
			t.Errorf("%s seed %d n %d: first difference at %d (%d values vs %d)", j.kind, j.seed, j.n, i, len(got), len(want))
		}
	}
}

// pyHex formats x as Python's float.hex does.
func pyHex(x float64) string {
	if x == 0 {
		return "0x0.0p+0"
	}
	bits := math.Float64bits(x)
	exp := int(bits>>52&0x7ff) - 1023
	return fmt.Sprintf("0x1.%013xp%+d", bits&(1<<52-1), exp)
}

// TestLabelShiftMinority pins the minority classes to NumPy's shuffle.
func TestLabelShiftMinority(t *testing.T) {
	s, err := NewLabelShift(0.2, Env{Classes: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var first []int
	n := 0
	for c := range 1000 {
		if s.Minority(c) {
			n++
			if len(first) < 12 {
				first = append(first, c)
			}
		}
	}
	if n != 500 {
		t.Errorf("%d minority classes, want 500", n)
	}
	if want := []int{2, 6, 7, 8, 10, 13, 15, 17, 18, 19, 20, 21}; !reflect.DeepEqual(first, want) {
		t.Errorf("first minority classes %v, want %v (NumPy)", first, want)
	}
	s10, _ := NewLabelShift(0.2, Env{Classes: 10})
	var flags []int
	for c := range 10 {
		flags = append(flags, int(b2f(s10.Minority(c))))
	}
	if want := []int{1, 0, 1, 0, 1, 0, 0, 1, 1, 0}; !reflect.DeepEqual(flags, want) {
		t.Errorf("K=10 minority flags %v, want %v (NumPy)", flags, want)
	}
	s7, _ := NewLabelShift(0.2, Env{Classes: 7})
	n7 := 0
	for c := range 7 {
		if s7.Minority(c) {
			n7++
		}
	}
	if n7 != 3 {
		t.Errorf("K=7: %d minority classes, want 3 (K/2 rounded down)", n7)
	}
}

// syntheticSplit is a 1000-class split in ImageFolder order whose class sizes vary from
// 1 to 1300 (class c has 1 + (c·389) mod 1300 images, so some classes have exactly 1300).
func syntheticSplit(classes int) (items []Item, sizes []int) {
	sizes = make([]int, classes)
	for c := range classes {
		sizes[c] = 1 + (c*389)%1300
		for range sizes[c] {
			items = append(items, Item{Split: "train", Index: len(items), Label: c})
		}
	}
	return items, sizes
}

// TestLabelShiftKeptCounts checks, on a synthetic 1000-class split, that every class
// keeps exactly int(rate·n_c) images with the paper's rates computed in float64.
func TestLabelShiftKeptCounts(t *testing.T) {
	items, sizes := syntheticSplit(1000)
	for _, p := range []float64{0.1, 0.15, 0.2, 0.25, 0.3} {
		s, err := NewLabelShift(p, Env{Classes: 1000})
		if err != nil {
			t.Fatal(err)
		}
		q := 1 - p
		for _, d := range []Distribution{Reference, Shifted} {
			keep, rates := s.Keep(d, "train", items)
			kept := make([]int, 1000)
			for i, k := range keep {
				if k {
					kept[items[i].Label]++
				}
			}
			for c, n := range sizes {
				var rate float64
				switch {
				case d == Reference && s.Minority(c):
					rate = p / (1 - p)
				case d == Reference:
					rate = 1
				case s.Minority(c):
					rate = 1
				default:
					rate = (1 - q) / q
				}
				if rates[c] != rate {
					t.Fatalf("p=%v %s class %d: rate %v, want %v", p, d, c, rates[c], rate)
				}
				if want := int(rate * float64(n)); kept[c] != want {
					t.Fatalf("p=%v %s class %d (n=%d, minority %v): kept %d, want %d", p, d, c, n, s.Minority(c), kept[c], want)
				}
			}
		}
	}
	// The float64 arithmetic matters: at p = 0.2 the shifted rate is 0.24999999999999994,
	// so a 1300-image majority class keeps 324 images, not 325, and one of 8 keeps 1, not 2.
	s, _ := NewLabelShift(0.2, Env{Classes: 1000})
	if r := s.Rate(Shifted, 0); s.Minority(0) || r != 0.24999999999999994 || int(r*1300) != 324 || int(r*8) != 1 {
		t.Errorf("shifted majority rate %v (minority %v)", r, s.Minority(0))
	}
	if r := s.Rate(Reference, 2); r != 0.25 || !s.Minority(2) {
		t.Errorf("reference minority rate %v", r)
	}
}

// TestLabelShiftMatchesPaper runs the paper's own selection code (get_class_probs and
// sample_indices: RandomState(label).choice(indices, size, replace=False)) in NumPy on a
// synthetic 1000-class split and checks that the kept sets are identical.
func TestLabelShiftMatchesPaper(t *testing.T) {
	const script = `
import sys, numpy as np
p = float(sys.argv[1]) if len(sys.argv) > 1 else 0.2
sizes = np.array([int(x) for x in sys.stdin.read().split()])
labels = np.repeat(np.arange(len(sizes)), sizes)
def get_class_probs(label_p, num_classes=1000):
    preference = np.zeros(shape=(num_classes,), dtype=bool)
    preference[:num_classes // 2] = 1
    np.random.RandomState(0).shuffle(preference)
    if label_p <= .5:
        return preference * label_p / (1 - label_p) + (1 - preference)
    return preference + (1 - preference) * (1 - label_p) / label_p
def sample_indices(labels, rates):
    # The paper's loop, with each class's indices taken from offsets instead of a
    # labels == label scan (same arrays, much faster).
    starts = np.concatenate([[0], np.cumsum(sizes)])
    out = []
    for label, rate in enumerate(rates):
        li = np.arange(starts[label], starts[label + 1])
        out.append(np.random.RandomState(label).choice(li, size=int(rate * sizes[label]), replace=False))
    return np.sort(np.concatenate(out))
for lp in (P, 1 - P):
    print(" ".join(map(str, sample_indices(labels, get_class_probs(lp)))))
    print("END")
`
	items, sizes := syntheticSplit(1000)
	var in strings.Builder
	for _, n := range sizes {
		fmt.Fprintf(&in, "%d ", n)
	}
	for _, p := range []float64{0.2, 0.1} {
		out := runNumPy(t, strings.Replace(script, "P, 1 - P", fmt.Sprintf("%v, 1 - %v", p, p), 1), in.String())
		s, err := NewLabelShift(p, Env{Classes: 1000})
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range []Distribution{Reference, Shifted} {
			end := 0
			for out[end] != "END" {
				end++
			}
			want := out[:end]
			out = out[end+1:]
			keep, _ := s.Keep(d, "train", items)
			var got []string
			for i, k := range keep {
				if k {
					got = append(got, strconv.Itoa(i))
				}
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("p=%v %s: %d kept, NumPy keeps %d; sets differ", p, d, len(got), len(want))
			}
		}
	}
}

// TestLabelShiftPermutationMatchesNumPy checks the paper's formulation directly: the kept
// images of class c are its images (in index order) at the first int(rate·n_c) positions of
// RandomState(c).permutation(n_c), here with the classes' images interleaved in the split.
func TestLabelShiftPermutationMatchesNumPy(t *testing.T) {
	const classes = 40
	var items []Item
	for i := range 9000 {
		items = append(items, Item{Split: "val", Index: i, Label: (i*7 + i/13) % classes})
	}
	s, err := NewLabelShift(0.25, Env{Classes: classes})
	if err != nil {
		t.Fatal(err)
	}
	keep, rates := s.Keep(Reference, "val", items)
	var in strings.Builder
	members := make([][]int, classes)
	for i, it := range items {
		members[it.Label] = append(members[it.Label], i)
	}
	for c := range classes {
		fmt.Fprintf(&in, "%d %d %d\n", c, len(members[c]), int(rates[c]*float64(len(members[c]))))
	}
	out := runNumPy(t, `
import sys, numpy as np
for line in sys.stdin:
    c, n, k = map(int, line.split())
    print(" ".join(map(str, np.random.RandomState(c).permutation(n)[:k])), "END")
`, in.String())
	for c := range classes {
		end := 0
		for out[end] != "END" {
			end++
		}
		want := map[int]bool{}
		for _, f := range out[:end] {
			want[members[c][atoi(t, f)]] = true
		}
		out = out[end+1:]
		for _, i := range members[c] {
			if keep[i] != want[i] {
				t.Fatalf("class %d item %d: kept %v, NumPy %v", c, i, keep[i], want[i])
			}
		}
	}
}

// TestLabelShiftRegistry checks construction through the registry, the recorded fields
// and parameter validation.
func TestLabelShiftRegistry(t *testing.T) {
	sh, err := New("label-shift", Env{Classes: 1000})
	if err != nil {
		t.Fatal(err)
	}
	ls := sh.(*LabelShift)
	if ls.P != 0.2 || sh.Kind() != InSupport || sh.Name() != "label-shift" {
		t.Errorf("defaults: %+v kind %s", ls, sh.Kind())
	}
	smp := sh.Sample(Reference, Item{Split: "train", Index: 3, Label: 2})
	if smp.Transform != nil || smp.Fields["minority"] != true || smp.Fields["keep_rate"] != 0.25 || !reflect.DeepEqual(smp.Tally, []string{"minority"}) {
		t.Errorf("reference sample of a minority class: %+v", smp)
	}
	smp = sh.Sample(Shifted, Item{Split: "val", Index: 3, Label: 0})
	if smp.Fields["minority"] != false || smp.Fields["keep_rate"] != 0.24999999999999994 || smp.Tally != nil {
		t.Errorf("shifted sample of a majority class: %+v", smp)
	}
	par := sh.Params().(LabelShiftParams)
	if par != (LabelShiftParams{P: 0.2, Classes: 1000}) {
		t.Errorf("params %+v", par)
	}
	for _, bad := range []string{"label-shift:p=0", "label-shift:p=0.5", "label-shift:p=0.7", "label-shift:q=0.1"} {
		if _, err := New(bad, Env{Classes: 1000}); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
	if _, err := New("label-shift", Env{}); err == nil {
		t.Error("label-shift without a class count accepted")
	}
	// Another seed changes the minority classes and the kept subsets; seed 0 is the paper.
	other, _ := NewLabelShift(0.2, Env{Seed: 1, Classes: 1000})
	if reflect.DeepEqual(other.minority, ls.minority) {
		t.Error("seed 1 gives the paper's minority classes")
	}
}
