package imagenetc

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

// opencvScript applies, to each w×h byte image named in its arguments (IN OUT W H ...),
// what spatter's water step uses from OpenCV, and writes the results one after another
// to OUT: Canny
// edges, the L2 5×5 distance transform of their inverse (float32), a 3×3 box filter of
// that capped at 20 (float32), equalizeHist, the emboss filter2D and a 3×3 box of bytes.
const opencvScript = `
import sys, numpy as np, cv2
k = np.array([[-2, -1, 0], [-1, 1, 1], [0, 1, 2]])
for i in range(1, len(sys.argv), 4):
    src, dst, w, h = sys.argv[i], sys.argv[i + 1], int(sys.argv[i + 2]), int(sys.argv[i + 3])
    x = np.fromfile(src, dtype=np.uint8).reshape(h, w)
    e = cv2.Canny(x, 50, 150)
    d = cv2.distanceTransform(255 - e, cv2.DIST_L2, 5)
    _, dc = cv2.threshold(d, 20, 20, cv2.THRESH_TRUNC)
    b = cv2.blur(dc, (3, 3)).astype(np.float32)
    q = cv2.equalizeHist(x)
    m = cv2.filter2D(x, cv2.CV_8U, k)
    bb = cv2.blur(x, (3, 3))
    with open(dst, 'wb') as f:
        for a in (e, d.astype(np.float32), b, q, m, bb):
            f.write(np.ascontiguousarray(a).tobytes())
`

// TestOpenCVKernels checks spatter's re-implementations of OpenCV's Canny, distance
// transform, box filters, equalizeHist and emboss byte for byte (and float for float)
// against OpenCV itself on spatter-like liquid fields and noise, when /usr/bin/python3
// has OpenCV; skipped otherwise.
func TestOpenCVKernels(t *testing.T) {
	py := "/usr/bin/python3"
	if exec.Command(py, "-c", "import cv2, numpy").Run() != nil {
		t.Skip("no /usr/bin/python3 with OpenCV")
	}
	dir := t.TempDir()
	script := filepath.Join(dir, "cv.py")
	if err := os.WriteFile(script, []byte(opencvScript), 0o644); err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(9, 10))
	cases := []struct {
		name string
		w, h int
		img  []uint8
	}{}
	for _, sev := range []int{0, 1, 2} {
		c := SpatterSeverities[sev]
		w, h := 96, 71
		liquid, tmp := make([]float32, w*h), make([]float32, w*h)
		nr := normals{st: stream{s: uint64(sev) + 1}}
		for i := range liquid {
			liquid[i] = float32(c.Loc + float64(c.Scale*nr.next()))
		}
		k := gaussPlanFor(c.Sigma, 4).k32
		blurPlane32(liquid, tmp, w, h, 1, k, k, modeNearest)
		img := make([]uint8, w*h)
		for i, v := range liquid {
			if v < float32(c.Threshold) {
				v = 0
			}
			img[i] = uint8(int64(float64(v) * 255))
		}
		cases = append(cases, struct {
			name string
			w, h int
			img  []uint8
		}{"liquid", w, h, img})
	}
	noise := make([]uint8, 40*33)
	for i := range noise {
		noise[i] = uint8(r.Uint32())
		if i%7 < 3 {
			noise[i] = 0
		}
	}
	cases = append(cases, struct {
		name string
		w, h int
		img  []uint8
	}{"noise", 40, 33, noise})
	args := []string{script}
	for ci, c := range cases {
		in := filepath.Join(dir, "in"+strconv.Itoa(ci))
		if err := os.WriteFile(in, c.img, 0o644); err != nil {
			t.Fatal(err)
		}
		args = append(args, in, filepath.Join(dir, "out"+strconv.Itoa(ci)), strconv.Itoa(c.w), strconv.Itoa(c.h))
	}
	if msg, err := exec.Command(py, args...).CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, msg)
	}
	for ci, c := range cases {
		b, err := os.ReadFile(filepath.Join(dir, "out"+strconv.Itoa(ci)))
		if err != nil {
			t.Fatal(err)
		}
		n := c.w * c.h
		floats := func(p []byte) []float32 {
			f := make([]float32, n)
			for i := range f {
				f[i] = math.Float32frombits(binary.LittleEndian.Uint32(p[4*i:]))
			}
			return f
		}
		wantEdges, wantDist, wantBox := b[:n], floats(b[n:5*n]), floats(b[5*n:9*n])
		wantEq, wantEmb, wantBB := b[9*n:10*n], b[10*n:11*n], b[11*n:12*n]
		edges, inv := make([]uint8, n), make([]uint8, n)
		canny(c.img, c.w, c.h, 50, 150, edges, false)
		if !bytes.Equal(edges, wantEdges) {
			t.Errorf("case %d (%s): Canny differs from OpenCV", ci, c.name)
		}
		canny(c.img, c.w, c.h, 50, 150, inv, true)
		for i, e := range wantEdges {
			if inv[i] != 255-e {
				t.Fatalf("case %d (%s): inverted Canny differs from OpenCV at %d", ci, c.name, i)
			}
		}
		dist := make([]float32, n)
		distance5(inv, c.w, c.h, dist)
		for i := range dist {
			if dist[i] != wantDist[i] {
				t.Fatalf("case %d (%s): distance at %d is %v, OpenCV %v", ci, c.name, i, dist[i], wantDist[i])
			}
		}
		capped := make([]float32, n)
		for i, v := range wantDist {
			capped[i] = min(v, 20)
		}
		d8 := make([]uint8, n)
		box3f(capped, c.w, c.h, d8)
		for i := range d8 {
			if want := uint8(wantBox[i]); d8[i] != want { // the caller's astype(uint8)
				t.Fatalf("case %d (%s): box filter at %d is %d, OpenCV %d", ci, c.name, i, d8[i], want)
			}
		}
		eq := append([]uint8(nil), c.img...)
		equalizeHist(eq)
		if !bytes.Equal(eq, wantEq) {
			t.Errorf("case %d (%s): equalizeHist differs from OpenCV", ci, c.name)
		}
		got := make([]uint8, n)
		if embossInto(got, c.img, c.w, c.h); !bytes.Equal(got, wantEmb) {
			t.Errorf("case %d (%s): emboss differs from OpenCV", ci, c.name)
		}
		bb := make([]float32, n)
		box3u8(c.img, c.w, c.h, bb)
		for i := range bb {
			if bb[i] != float32(wantBB[i]) {
				t.Fatalf("case %d (%s): byte box filter at %d is %v, OpenCV %d", ci, c.name, i, bb[i], wantBB[i])
			}
		}
	}
}
