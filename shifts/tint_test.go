package shifts

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"image"
	"math"
	"os"
	"os/exec"
	"strconv"
	"testing"
)

type tintFixture struct {
	N                int      `json:"n"`
	ColorsFirst      []string `json:"colors_first"`
	ColorsLast       []string `json:"colors_last"`
	RandomYFirst     []int    `json:"random_y_first"`
	RandomYLast      []int    `json:"random_y_last"`
	RandomYSHA       string   `json:"random_y_sha256_u16le"`
	SpuriousP05SHA   string   `json:"spurious_p05_sha256_u8"`
	SpuriousP05Count int      `json:"spurious_p05_count"`
	SpuriousP07SHA   string   `json:"spurious_p07_sha256_u8"`
	SpuriousP07Count int      `json:"spurious_p07_count"`
	SpuriousP05First []int    `json:"spurious_p05_first"`
}

func randomYBytes(t *TintTable) []byte {
	b := make([]byte, 2*len(t.RandomClass))
	for i, v := range t.RandomClass {
		binary.LittleEndian.PutUint16(b[2*i:], v)
	}
	return b
}

func spuriousBytes(t *TintTable) ([]byte, int) {
	b := make([]byte, len(t.Spurious))
	n := 0
	for i, s := range t.Spurious {
		if s {
			b[i] = 1
			n++
		}
	}
	return b, n
}

func sha(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

// TestTintTableFixtures checks all 1,281,167 entries of the paper's table (through
// digests) and its first and last values against numbers computed once with NumPy.
func TestTintTableFixtures(t *testing.T) {
	raw, err := os.ReadFile("../testdata/numpy/tint_table_seed0.json")
	if err != nil {
		t.Fatal(err)
	}
	var fx tintFixture
	if err := json.Unmarshal(raw, &fx); err != nil {
		t.Fatal(err)
	}
	if fx.N != DefaultTintTableSize {
		t.Fatalf("fixture N %d", fx.N)
	}
	for _, p := range []struct {
		p     float64
		sum   string
		count int
	}{{0.5, fx.SpuriousP05SHA, fx.SpuriousP05Count}, {0.7, fx.SpuriousP07SHA, fx.SpuriousP07Count}} {
		tab := NewTintTable(0, fx.N, p.p)
		for k, s := range fx.ColorsFirst {
			want, _ := strconv.ParseFloat(s, 64)
			if tab.Colors[0][k] != want {
				t.Errorf("colors[0][%d] = %v, want %v", k, tab.Colors[0][k], want)
			}
		}
		for k, s := range fx.ColorsLast {
			want, _ := strconv.ParseFloat(s, 64)
			if tab.Colors[999][k] != want {
				t.Errorf("colors[999][%d] = %v, want %v", k, tab.Colors[999][k], want)
			}
		}
		for i, want := range fx.RandomYFirst {
			if int(tab.RandomClass[i]) != want {
				t.Errorf("random_y[%d] = %d, want %d", i, tab.RandomClass[i], want)
			}
		}
		for i, want := range fx.RandomYLast {
			j := fx.N - len(fx.RandomYLast) + i
			if int(tab.RandomClass[j]) != want {
				t.Errorf("random_y[%d] = %d, want %d", j, tab.RandomClass[j], want)
			}
		}
		if got := sha(randomYBytes(tab)); got != fx.RandomYSHA {
			t.Errorf("random_y digest %s, want %s", got, fx.RandomYSHA)
		}
		sb, n := spuriousBytes(tab)
		if got := sha(sb); got != p.sum || n != p.count {
			t.Errorf("p=%v: spurious digest %s count %d, want %s count %d", p.p, got, n, p.sum, p.count)
		}
		if p.p == 0.5 {
			for i, want := range fx.SpuriousP05First {
				if b2i(tab.Spurious[i]) != want {
					t.Errorf("spurious[%d] = %v, want %d", i, tab.Spurious[i], want)
				}
			}
		}
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestTintTableNumPy compares every entry of the table with NumPy itself, for two seeds.
func TestTintTableNumPy(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: calls Python")
	}
	py := pythonWith(t, "numpy")
	for _, seed := range []uint32{0, 7} {
		script := `
import sys, numpy as np
rs = np.random.RandomState(int(sys.argv[1]))
c = rs.uniform(size=(1000, 3))
y = rs.choice(1000, size=1281167)
s = rs.uniform(size=1281167) < 0.5
sys.stdout.buffer.write(c.astype('<f8').tobytes() + y.astype('<u2').tobytes() + s.astype(np.uint8).tobytes())
`
		out, err := exec.Command(py, "-c", script, strconv.Itoa(int(seed))).Output()
		if err != nil {
			t.Fatal(err)
		}
		tab := NewTintTable(seed, DefaultTintTableSize, 0.5)
		var want bytes.Buffer
		for c := range tab.Colors {
			for k := 0; k < 3; k++ {
				binary.Write(&want, binary.LittleEndian, math.Float64bits(tab.Colors[c][k]))
			}
		}
		want.Write(randomYBytes(tab))
		sb, _ := spuriousBytes(tab)
		want.Write(sb)
		if !bytes.Equal(out, want.Bytes()) {
			for i := range out {
				if i >= want.Len() || out[i] != want.Bytes()[i] {
					t.Fatalf("seed %d: first difference from NumPy at byte %d of %d", seed, i, len(out))
				}
			}
			t.Fatalf("seed %d: lengths differ: numpy %d, ours %d", seed, len(out), want.Len())
		}
	}
}

func tiny(pix ...uint8) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, len(pix)/3, 1))
	for i := 0; i < len(pix)/3; i++ {
		copy(img.Pix[4*i:], pix[3*i:3*i+3])
		img.Pix[4*i+3] = 255
	}
	return img
}

func TestTintPixels(t *testing.T) {
	img := tiny(0, 0, 0, 255, 255, 255, 10, 128, 200)
	Tint{Color: [3]float64{1, 0, 0.5}, Alpha: 0.25}.Apply(img, Key{})
	// 0.75·x + 0.25·c on [0,1], times 255, rounded half to even:
	// (0,0,0) → (63.75, 0, 31.875) → (64, 0, 32)
	// (255,255,255) → (255, 191.25, 223.125) → (255, 191, 223)
	// (10,128,200) → (7.5+63.75, 96, 150+31.875) = (71.25, 96, 181.875) → (71, 96, 182)
	want := []uint8{64, 0, 32, 255, 255, 191, 223, 255, 71, 96, 182, 255}
	if !bytes.Equal(img.Pix, want) {
		t.Fatalf("tint pixels %v, want %v", img.Pix, want)
	}
	id := tiny(1, 2, 3, 250, 251, 252)
	Tint{Color: [3]float64{0.3, 0.3, 0.3}, Alpha: 0}.Apply(id, Key{})
	if !bytes.Equal(id.Pix, tiny(1, 2, 3, 250, 251, 252).Pix) {
		t.Fatalf("alpha 0 is not the identity: %v", id.Pix)
	}
}

func TestVFlip(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 2, 3))
	for i := range img.Pix {
		img.Pix[i] = uint8(i)
	}
	VFlip{}.Apply(img, Key{})
	want := []uint8{16, 17, 18, 19, 20, 21, 22, 23, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7}
	if !bytes.Equal(img.Pix, want) {
		t.Fatalf("vflip %v, want %v", img.Pix, want)
	}
}

// TestTintShiftSampling checks which tint each distribution picks.
func TestTintShiftSampling(t *testing.T) {
	env := Env{Classes: 1000, TintTableSize: 5000}
	st, err := NewTintShift(true, TintParams{P: 0.5, Alpha: 0.25}, env)
	if err != nil {
		t.Fatal(err)
	}
	ut, err := NewTintShift(false, TintParams{Alpha: 0.25}, env)
	if err != nil {
		t.Fatal(err)
	}
	tab := NewTintTable(0, 5000, 0.5)
	own := 0
	for i := 0; i < 5000; i++ {
		label := (i * 37) % 1000
		it := Item{Split: "val", Index: i, Label: label}
		ref := st.Sample(Reference, it)
		wantClass := int(tab.RandomClass[i])
		if tab.Spurious[i] {
			wantClass = label
			own++
		}
		if ref.Fields["tint_class"] != wantClass || ref.Fields["spurious"] != tab.Spurious[i] {
			t.Fatalf("index %d: reference fields %v, want class %d spurious %v", i, ref.Fields, wantClass, tab.Spurious[i])
		}
		sh := st.Sample(Shifted, it)
		if sh.Fields["tint_class"] != int(tab.RandomClass[i]) || sh.Fields["spurious"] != false {
			t.Fatalf("index %d: shifted fields %v", i, sh.Fields)
		}
		if u := ut.Sample(Reference, it); u.Transform != nil {
			t.Fatalf("unseen-tint reference must be untouched")
		}
		if u := ut.Sample(Shifted, it); u.Fields["tint_class"] != int(tab.RandomClass[i]) {
			t.Fatalf("unseen-tint shifted class %v", u.Fields["tint_class"])
		}
	}
	if own < 2300 || own > 2700 {
		t.Fatalf("%d of 5000 reference images got their own tint; expected about half", own)
	}
	if st.MaxItems() != 5000 {
		t.Fatalf("MaxItems %d", st.MaxItems())
	}
}

// TestTintTablePrefix checks that a table cut to its first m entries holds exactly
// those of the whole table (the skipped draws leave the generator where the whole
// table's would), for cuts at the ends, inside and beyond the length.
func TestTintTablePrefix(t *testing.T) {
	const n = 20011
	for _, p := range []float64{0.5, 0.9} {
		whole := NewTintTable(3, n, p)
		for _, m := range []int{0, 1, 2, 623, 624, 625, 5000, n - 1, n, n + 7} {
			cut := NewTintTablePrefix(3, n, p, m)
			k := min(m, n)
			if cut.Colors != whole.Colors || len(cut.RandomClass) != k || len(cut.Spurious) != k {
				t.Fatalf("p %v, m %d: colours differ or lengths %d, %d", p, m, len(cut.RandomClass), len(cut.Spurious))
			}
			for i := range k {
				if cut.RandomClass[i] != whole.RandomClass[i] || cut.Spurious[i] != whole.Spurious[i] {
					t.Fatalf("p %v, m %d: entry %d is (%d, %v), want (%d, %v)", p, m, i,
						cut.RandomClass[i], cut.Spurious[i], whole.RandomClass[i], whole.Spurious[i])
				}
			}
		}
	}
}

// TestSkipIntervals checks that skipping k draws of Interval(max) leaves the generator
// where k draws do, for bounds whose rejection rates differ (none for 2^j − 1, almost
// half just above a power of two) and for Interval(0), which draws nothing.
func TestSkipIntervals(t *testing.T) {
	for _, max := range []uint32{0, 1, 2, 999, 1023, 1024, 1 << 31, 1<<32 - 1} {
		for _, k := range []int{0, 1, 700, 5000} {
			a, b := NewRandomState(11), NewRandomState(11)
			a.Uint32() // start mid-block
			b.Uint32()
			for range k {
				a.Interval(max)
			}
			b.SkipIntervals(max, k)
			for i := range 1300 {
				if x, y := a.Uint32(), b.Uint32(); x != y {
					t.Fatalf("max %d, k %d: output %d after the skip is %d, want %d", max, k, i, y, x)
				}
			}
		}
	}
}
