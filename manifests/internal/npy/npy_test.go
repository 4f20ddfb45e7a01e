package npy

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// file builds a .npy file of the given version from a header text (padded and ended
// with a newline here) and data.
func file(major byte, header string, data []byte) []byte {
	var b bytes.Buffer
	b.WriteString(Magic)
	b.WriteByte(major)
	b.WriteByte(0)
	pre := 10
	if major > 1 {
		pre = 12
	}
	for (pre+len(header)+1)%64 != 0 {
		header += " "
	}
	header += "\n"
	if major == 1 {
		binary.Write(&b, binary.LittleEndian, uint16(len(header)))
	} else {
		binary.Write(&b, binary.LittleEndian, uint32(len(header)))
	}
	b.WriteString(header)
	b.Write(data)
	return b.Bytes()
}

func le(vs ...any) []byte {
	var b bytes.Buffer
	for _, v := range vs {
		binary.Write(&b, binary.LittleEndian, v)
	}
	return b.Bytes()
}

func TestReadHeader(t *testing.T) {
	for _, tc := range []struct {
		name    string
		data    []byte
		shape   []int
		kind    byte
		size    int
		fortran bool
		values  []float64
	}{
		{"v1 float32", file(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", le(float32(1.5), float32(-2), float32(3.25), float32(0))), []int{2, 2}, 'f', 4, false, []float64{1.5, -2, 3.25, 0}},
		{"v2 int64", file(2, "{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }", le(int64(-7), int64(1<<40), int64(0))), []int{3}, 'i', 8, false, []float64{-7, 1 << 40, 0}},
		{"v3 big-endian uint16, keys reordered", file(3, `{"shape": (2,), "fortran_order": True, "descr": ">u2"}`, []byte{1, 2, 0xff, 0xfe}), []int{2}, 'u', 2, true, []float64{258, 65534}},
		{"bytes and bools", file(1, "{'descr': '|u1', 'fortran_order': False, 'shape': (1, 3), }", []byte{0, 128, 255}), []int{1, 3}, 'u', 1, false, []float64{0, 128, 255}},
		{"int8", file(1, "{'descr': '|i1', 'fortran_order': False, 'shape': (2,), }", []byte{0x80, 0x7f}), []int{2}, 'i', 1, false, []float64{-128, 127}},
		{"scalar", file(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (), }", le(math.Pi)), []int{}, 'f', 8, false, []float64{math.Pi}},
		{"Python 2 longs", file(1, "{'descr': '<i4', 'fortran_order': False, 'shape': (1L, 2L), }", le(int32(5), int32(-5))), []int{1, 2}, 'i', 4, false, []float64{5, -5}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := bytes.NewReader(tc.data)
			h, err := ReadHeader(r)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(h.Shape, tc.shape) || h.Kind != tc.kind || h.Size != tc.size || h.Fortran != tc.fortran || h.DataOffset != int64(len(tc.data)-r.Len()) {
				t.Fatalf("header %+v", h)
			}
			n, _ := h.Count()
			var got []float64
			if err := h.Values(r, n, 3, func(v []float64) error { got = append(got, v...); return nil }); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.values) {
				t.Fatalf("values %v; want %v", got, tc.values)
			}
			// One value fewer is a truncated file.
			r = bytes.NewReader(tc.data[:len(tc.data)-1])
			ReadHeader(r)
			if err := h.Values(r, n, 3, func([]float64) error { return nil }); err == nil || !strings.Contains(err.Error(), "truncated") {
				t.Fatalf("truncated: %v", err)
			}
		})
	}
}

func TestReadHeaderRefuses(t *testing.T) {
	ok := "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }"
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"no magic", []byte("hello world"), "not a NumPy .npy file"},
		{"empty", nil, "not a NumPy .npy file"},
		{"version 4", file(4, ok, nil), "version 4.0 is not supported"},
		{"version 1.1", append([]byte(Magic+"\x01\x01"), file(1, ok, nil)[8:]...), "version 1.1"},
		{"huge header", []byte(Magic + "\x02\x00\xff\xff\xff\x7f"), "header claims"},
		{"short header", []byte(Magic + "\x01\x00\x40\x00{'descr'"), "ends inside its header"},
		{"no newline", []byte(Magic + "\x01\x00\x04\x00abcd"), "does not end in a newline"},
		{"not a dict", file(1, "[1, 2]", nil), "no dictionary"},
		{"structured dtype", file(1, "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }", nil), "structured dtypes"},
		{"negative shape", file(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }", nil), "non-negative integer"},
		{"overflowing shape", file(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 4), }", nil), "more than 2^62"},
		{"missing key", file(1, "{'descr': '<f4', 'shape': (2,), }", nil), "missing"},
		{"unknown key", file(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}", nil), `unknown key "x"`},
		{"repeated key", file(1, "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", nil), "repeats"},
		{"bad bool", file(1, "{'descr': '<f4', 'fortran_order': Falsey, 'shape': (2,), }", nil), "neither True nor False"},
		{"trailing text", file(1, ok+" junk", nil), "after the dictionary"},
		{"one dimension without comma", file(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2), }", nil), "needs its comma"},
		{"unclosed string", file(1, "{'descr: '<f4', 'fortran_order': False, 'shape': (2,), }", nil), "no ':'"},
		{"non-ASCII in version 1", file(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'é': 1}", nil), "not text"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadHeader(bytes.NewReader(tc.data))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v; want one containing %q", err, tc.want)
			}
		})
	}
	// A string dtype reads, but is no number.
	h, err := ReadHeader(bytes.NewReader(file(1, "{'descr': '<U3', 'fortran_order': False, 'shape': (2,), }", nil)))
	if err != nil || h.Numeric() || h.Values(bytes.NewReader(nil), 2, 2, func([]float64) error { return nil }) == nil {
		t.Fatalf("<U3: %+v %v", h, err)
	}
}

// TestNumPyFiles reads files NumPy writes, in each of the versions 1.0, 2.0 and 3.0
// (numpy.save picks the lowest that fits; numpy.lib.format forces each here), with
// several dtypes, byte orders and Fortran order, and compares the values with NumPy's.
func TestNumPyFiles(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: calls Python")
	}
	py := "/usr/bin/python3"
	if exec.Command(py, "-c", "import numpy").Run() != nil {
		t.Skip("no /usr/bin/python3 with NumPy")
	}
	dir := t.TempDir()
	script := `
import json, sys, numpy as np
from numpy.lib import format as fmt
d = sys.argv[1]
rng = np.random.default_rng(3)
cases = {
  'f4': rng.standard_normal((5, 3)).astype('<f4'),
  'f8be': rng.standard_normal((4,)).astype('>f8'),
  'i8': rng.integers(-2**40, 2**40, (3, 2)).astype('<i8'),
  'u1': rng.integers(0, 256, (7,)).astype('u1'),
  'i2f': np.asfortranarray(rng.integers(-300, 300, (3, 4)).astype('<i2')),
  'b1': np.array([True, False, True]),
}
out = {}
for name, a in cases.items():
  for v in [(1, 0), (2, 0), (3, 0)]:
    with open(f'{d}/{name}-{v[0]}.npy', 'wb') as f:
      fmt.write_array(f, a, version=v)
  out[name] = {'shape': list(a.shape), 'fortran': bool(a.flags.f_contiguous and a.ndim > 1), 'values': [float(x) for x in a.ravel(order='K')]}
json.dump(out, open(f'{d}/want.json', 'w'))
`
	if b, err := exec.Command(py, "-c", script, dir).CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	var want map[string]struct {
		Shape   []int
		Fortran bool
		Values  []float64
	}
	b, _ := os.ReadFile(filepath.Join(dir, "want.json"))
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	for name, w := range want {
		for v := 1; v <= 3; v++ {
			f, err := os.Open(filepath.Join(dir, fmt.Sprintf("%s-%d.npy", name, v)))
			if err != nil {
				t.Fatal(err)
			}
			h, err := ReadHeader(f)
			if err != nil {
				t.Fatalf("%s v%d: %v", name, v, err)
			}
			n, _ := h.Count()
			var got []float64
			err = h.Values(f, n, 4, func(x []float64) error { got = append(got, x...); return nil })
			f.Close()
			if err != nil || h.Major != v || !reflect.DeepEqual(h.Shape, w.Shape) || h.Fortran != w.Fortran || !reflect.DeepEqual(got, w.Values) {
				t.Fatalf("%s v%d: %+v %v\nvalues %v\nwant   %v", name, v, h, err, got, w.Values)
			}
		}
	}
}

// FuzzReadHeader: no input panics, and a header that reads gives a consistent offset.
func FuzzReadHeader(f *testing.F) {
	f.Add(file(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", nil))
	f.Add(file(3, `{"descr": ">i8", "fortran_order": True, "shape": ()}`, le(int64(1))))
	f.Add([]byte(Magic + "\x02\x00\x10\x00\x00\x00{'shape': (1,)}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bytes.NewReader(data)
		h, err := ReadHeader(r)
		if err != nil {
			return
		}
		if h.DataOffset != int64(len(data)-r.Len()) {
			t.Fatalf("offset %d, read %d", h.DataOffset, len(data)-r.Len())
		}
		if n, err := h.Count(); err != nil || n < 0 {
			t.Fatalf("count %d %v", n, err)
		}
		if h.Numeric() {
			h.Values(r, min(r.Len()/h.Size+1, 1000), 7, func([]float64) error { return nil })
		}
	})
}
