package eval

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os/exec"
	"strings"
	"testing"
)

// TestBinsNumPy checks the bin of every value against NumPy's histogram with the same
// number of equal-width bins over the values' range (its last bin closed, as ours).
func TestBinsNumPy(t *testing.T) {
	py := "/usr/bin/python3"
	if exec.Command(py, "-c", "import numpy").Run() != nil {
		t.Skip("no /usr/bin/python3 with NumPy")
	}
	r := rand.New(rand.NewPCG(1, 2))
	for _, k := range []int{1, 3, 6, 7} {
		xs := make([]float64, 200)
		for i := range xs {
			xs[i] = -45 + 90*r.Float64()
		}
		xs[3] = math.Floor(xs[3]) // some integers and repeats
		xs[4] = xs[3]
		lo, hi := xs[0], xs[0]
		for _, x := range xs {
			lo, hi = math.Min(lo, x), math.Max(hi, x)
		}
		b := newBinning(lo, hi, k)
		counts := make([]int, k)
		for _, x := range xs {
			counts[b.bin(x)]++
		}
		in, _ := json.Marshal(xs)
		out, err := exec.Command(py, "-c", "import json,sys,numpy as np; x=np.array(json.loads(sys.argv[1])); "+
			"c,e=np.histogram(x,bins=int(sys.argv[2])); print(json.dumps([c.tolist(), e.tolist()]))", string(in), string(rune('0'+k))).Output()
		if err != nil {
			t.Fatal(err)
		}
		var want [2][]float64
		if err := json.Unmarshal(out, &want); err != nil {
			t.Fatal(err)
		}
		for i := range counts {
			if float64(counts[i]) != want[0][i] {
				t.Errorf("%d bins: counts %v, NumPy %v", k, counts, want[0])
				break
			}
		}
		for i := 0; i <= k; i++ {
			if e := b.edge(i); math.Abs(e-want[1][i]) > 1e-12 {
				t.Errorf("%d bins: edge %d is %v, NumPy %v", k, i, e, want[1][i])
			}
		}
	}
}

// TestBinLabels checks the labels: ranges with the last closed, just enough digits to
// tell edges apart, sorted by sortValues in bin order.
func TestBinLabels(t *testing.T) {
	b := newBinning(-45, 45, 6)
	want := "[-45, -30) [-30, -15) [-15, 0) [0, 15) [15, 30) [30, 45]"
	if got := strings.Join(b.labels, " "); got != want {
		t.Errorf("labels %q, want %q", got, want)
	}
	if got := newBinning(1, 1.0004, 2).labels; got[0] != "[1, 1.0002)" || got[1] != "[1.0002, 1.0004]" {
		t.Errorf("close edges: %q", got)
	}
	if got := newBinning(2, 2, 4).labels; len(got) != 1 || got[0] != "[2, 2]" {
		t.Errorf("one value: %q", got)
	}
	shuffled := []string{b.labels[3], b.labels[0], b.labels[5], b.labels[1], b.labels[4], b.labels[2]}
	for i, id := range sortValues(shuffled) {
		if shuffled[id] != b.labels[i] {
			t.Errorf("sortValues puts %q at %d", shuffled[id], i)
		}
	}
	for _, bad := range []string{"angle:bins=0", "angle:bins=x", "angle:bin=3", ":bins=3"} {
		if _, err := parseBy(bad); err == nil {
			t.Errorf("parseBy(%q) accepted", bad)
		}
	}
	if f, err := parseBy("angle:bins=6"); err != nil || f != (byField{"angle", 6}) {
		t.Errorf("parseBy: %v %v", f, err)
	}
}
