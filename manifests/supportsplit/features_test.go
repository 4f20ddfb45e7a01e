package supportsplit

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func writeFile(t testing.TB, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestReadFeatures(t *testing.T) {
	dir := t.TempDir()
	want := []float32{1, 2, 3, 4.5, -5, 6}
	le32 := new(bytes.Buffer)
	binary.Write(le32, binary.LittleEndian, want)
	be64 := new(bytes.Buffer)
	for _, v := range want {
		binary.Write(be64, binary.BigEndian, float64(v))
	}
	// Fortran order stores columns: 1 4.5 | 2 -5 | 3 6.
	fort := new(bytes.Buffer)
	binary.Write(fort, binary.LittleEndian, []float64{1, 4.5, 2, -5, 3, 6})
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"f4.npy", npyBytes("<f4", []int{2, 3}, false, le32.Bytes())},
		{"f8be.npy", npyBytes(">f8", []int{2, 3}, false, be64.Bytes())},
		{"fortran.npy", npyBytes("<f8", []int{2, 3}, true, fort.Bytes())},
		{"plain.csv", []byte("1,2,3\n4.5,-5,6\n")},
		{"header.csv", []byte("a,b,c\n1, 2 ,3\r\n4.5,-5,6e0\n\n")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := ReadFeatures(writeFile(t, dir, tc.name, tc.data))
			if err != nil {
				t.Fatal(err)
			}
			if f.Rows != 2 || f.Cols != 3 || !slices.Equal(f.Data, want) {
				t.Fatalf("got %d×%d %v; want 2×3 %v", f.Rows, f.Cols, f.Data, want)
			}
			if !slices.Equal(f.Row(1), want[3:]) {
				t.Errorf("Row(1) = %v", f.Row(1))
			}
		})
	}
}

func TestReadFeaturesErrors(t *testing.T) {
	dir := t.TempDir()
	nan := new(bytes.Buffer)
	binary.Write(nan, binary.LittleEndian, []float32{1, 2, 3, 4, float32(math.NaN()), 6})
	ok := new(bytes.Buffer)
	binary.Write(ok, binary.LittleEndian, []float32{1, 2, 3, 4, 5, 6})
	big := new(bytes.Buffer)
	binary.Write(big, binary.LittleEndian, []float64{1, 1e300})
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"nan.npy", npyBytes("<f4", []int{2, 3}, false, nan.Bytes()), "row 1 (0-based), column 1 is NaN; features must be finite"},
		{"big.npy", npyBytes("<f8", []int{1, 2}, false, big.Bytes()), "column 1 is 1e+300, beyond float32's range"},
		{"int.npy", npyBytes("<i8", []int{1, 1}, false, make([]byte, 8)), "dtype <i8 is not supported: save features as float32 or float64"},
		{"half.npy", npyBytes("<f2", []int{1, 1}, false, make([]byte, 2)), "dtype <f2 is not supported"},
		{"3d.npy", npyBytes("<f4", []int{1, 2, 3}, false, ok.Bytes()), "want a 2-D array"},
		{"short.npy", npyBytes("<f4", []int{2, 3}, false, ok.Bytes()[:20]), "ends after 5 of 2×3 values"},
		{"long.npy", npyBytes("<f4", []int{1, 3}, false, ok.Bytes()), "more data than its 1×3 header"},
		{"empty.npy", npyBytes("<f4", []int{0, 3}, false, nil), "holds no features"},
		{"huge.npy", npyBytes("<f4", []int{1 << 40, 1000}, false, ok.Bytes()), "ends after 6 of 1099511627776×1000 values"},
		{"junk.npy", []byte("hello"), "not a NumPy .npy file"},
		{"noeol.npy", []byte("\x93NUMPY\x01\x00\x04\x00abcd"), "malformed .npy header"},
		{"hugehdr.npy", []byte("\x93NUMPY\x02\x00\xff\xff\xff\x7f"), "header claims"},
		{"nan.csv", []byte("1,2\n3,nan\n"), "line 2: row 1 (0-based), column 1 is NaN"},
		{"ragged.csv", []byte("1,2\n3\n"), "line 2 has 1 values, earlier rows have 2"},
		{"word.csv", []byte("1,2\n3,x\n"), `line 2, column 1: "x" is not a number`},
		{"blank.csv", []byte("1,2\n\n3,4\n"), "line 2 is blank"},
		{"none.csv", []byte("a,b\n"), "no rows of features"},
		{"feat.parquet", []byte("x"), "unknown format"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := writeFile(t, dir, tc.name, tc.data)
			_, err := ReadFeatures(p)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), p) {
				t.Fatalf("error %v; want one naming %s and containing %q", err, p, tc.want)
			}
		})
	}
}

func TestReadScores(t *testing.T) {
	dir := t.TempDir()
	f64 := new(bytes.Buffer)
	binary.Write(f64, binary.LittleEndian, []float64{0.1, -2.5, 3})
	want := []float64{0.1, -2.5, 3}
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"v.npy", npyBytes("<f8", []int{3}, false, f64.Bytes())},
		{"col.npy", npyBytes("<f8", []int{3, 1}, false, f64.Bytes())},
		{"one.txt", []byte("0.1\n-2.5\n3\n")},
		{"header.csv", []byte("logit\n0.1\n-2.5\n3\n")},
		{"columns.csv", []byte("path,score,x\na,0.1,9\nb,-2.5,9\nc,3,9\n")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ReadScores(writeFile(t, dir, tc.name, tc.data))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("got %v; want %v", got, want)
			}
		})
	}
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"two.csv", []byte("1,2\n"), "give one score per line"},
		{"nohdr.csv", []byte("a,b\n1,2\n"), `names no column "score" or "logit"`},
		{"inf.csv", []byte("1\ninf\n"), "scores must be finite"},
		{"m.npy", npyBytes("<f8", []int{1, 3}, false, f64.Bytes()), "want one score per example"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadScores(writeFile(t, dir, tc.name, tc.data))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v; want one containing %q", err, tc.want)
			}
		})
	}
}

// FuzzReadFeatures: any file gives features or an error, never a panic, and features
// read are finite and of the shape announced.
func FuzzReadFeatures(f *testing.F) {
	ok := new(bytes.Buffer)
	binary.Write(ok, binary.LittleEndian, []float32{1, 2, 3, 4, 5, 6})
	f.Add(npyBytes("<f4", []int{2, 3}, false, ok.Bytes()), true)
	f.Add(npyBytes("<f8", []int{3, 1}, true, make([]byte, 24)), true)
	f.Add([]byte("a,b\n1,2\n3,4\n"), false)
	f.Add([]byte("1e40,2\n"), false)
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte, npy bool) {
		name := "f.csv"
		if npy {
			name = "f.npy"
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		feat, err := ReadFeatures(p)
		if err != nil {
			return
		}
		if feat.Rows*feat.Cols != len(feat.Data) || feat.Rows <= 0 || feat.Cols <= 0 {
			t.Fatalf("shape %d×%d with %d values", feat.Rows, feat.Cols, len(feat.Data))
		}
		for _, v := range feat.Data {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				t.Fatalf("non-finite value %v accepted", v)
			}
		}
	})
}
