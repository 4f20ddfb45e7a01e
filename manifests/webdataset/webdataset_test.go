package webdataset

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"testing"
)

// testPixels returns a w×h RGBA image of noise, seeded.
func testPixels(w, h int, seed uint64) *image.RGBA {
	rng := rand.New(rand.NewPCG(seed, 3))
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = uint8(rng.IntN(256))
		if i%4 == 3 {
			img.Pix[i] = 255
		}
	}
	return img
}

// makeSamples returns n samples with increasing keys (with gaps, as skipped inputs
// leave), PNG and JPEG images, labels and JSON records.
func makeSamples(t testing.TB, n int) []Sample {
	var out []Sample
	idx := 0
	for i := 0; i < n; i++ {
		idx += 1 + i%3
		img := testPixels(9+i%7, 5+i%4, uint64(i))
		var b bytes.Buffer
		ext := "png"
		if i%2 == 1 {
			ext = "jpg"
			jpeg.Encode(&b, img, &jpeg.Options{Quality: 90})
		} else {
			png.Encode(&b, img)
		}
		label := (i * 37) % 1000
		js := fmt.Sprintf(`{"index":%d,"label":%d,"class":"n%08d","note":"äé \"q\""}`, idx, label, label)
		out = append(out, Sample{Key: fmt.Sprintf("val-%08d", idx), Image: b.Bytes(), ImageExt: ext, Label: label, JSON: []byte(js)})
	}
	return out
}

// readDir returns the files of dir by name.
func readDir(t testing.TB, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range es {
		if e.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = b
	}
	return out
}

// writeAll writes samples with one writer into a fresh folder and returns its files.
func writeAll(t testing.TB, samples []Sample, o Options) (string, map[string][]byte) {
	t.Helper()
	root := t.TempDir()
	dir := filepath.Join(root, "out")
	os.MkdirAll(dir, 0o755)
	w, err := Create(dir, filepath.Join(root, "work"), "reference-val", o)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range samples {
		if _, err := w.Append(s); err != nil {
			t.Fatal(err)
		}
	}
	names, err := w.Finish()
	if err != nil {
		t.Fatal(err)
	}
	files := readDir(t, dir)
	if len(names) != len(files) {
		t.Fatalf("Finish named %d shards, the folder holds %d", len(names), len(files))
	}
	return dir, files
}

func sameFiles(a, b map[string][]byte) error {
	if len(a) != len(b) {
		return fmt.Errorf("%d files vs %d", len(a), len(b))
	}
	for k, v := range a {
		if !bytes.Equal(v, b[k]) {
			return fmt.Errorf("%s differs", k)
		}
	}
	return nil
}

func TestWriteRead(t *testing.T) {
	samples := makeSamples(t, 23)
	dir, files := writeAll(t, samples, Options{ShardImages: 5})
	var names []string
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	want := []string{"reference-val-000000.tar", "reference-val-000001.tar", "reference-val-000002.tar", "reference-val-000003.tar", "reference-val-000004.tar"}
	if fmt.Sprint(names) != fmt.Sprint(want) {
		t.Fatalf("shards %v, want %v", names, want)
	}
	k := 0
	for si, name := range names {
		r, err := Open(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if wantN := min(5, 23-5*si); r.Len() != wantN {
			t.Fatalf("%s holds %d samples, want %d", name, r.Len(), wantN)
		}
		for i := 0; i < r.Len(); i++ {
			got, err := r.Sample(i)
			if err != nil {
				t.Fatal(err)
			}
			s := samples[k]
			if got.Key != s.Key || got.Label != s.Label || got.ImageExt != s.ImageExt || !bytes.Equal(got.Image, s.Image) || !bytes.Equal(got.JSON, s.JSON) {
				t.Fatalf("%s sample %d: got %q %d %s, want %q %d %s", name, i, got.Key, got.Label, got.ImageExt, s.Key, s.Label, s.ImageExt)
			}
			m, _ := r.Entry(i).Member(s.ImageExt)
			if b, _ := r.ReadMember(m); !bytes.Equal(b, s.Image) || m.Name != s.Key+"."+s.ImageExt {
				t.Fatalf("member %s does not hold the image", m.Name)
			}
			k++
		}
		r.Close()
	}
	// Same samples, same bytes.
	if _, again := writeAll(t, samples, Options{ShardImages: 5}); sameFiles(files, again) != nil {
		t.Fatal("a second run wrote different shards")
	}
	// The default shard size puts everything in one shard.
	if _, one := writeAll(t, samples, Options{}); len(one) != 1 {
		t.Fatalf("default options made %d shards", len(one))
	}
}

// TestHeaderBytes checks one header field by field against the ustar layout (POSIX
// pax(1), "ustar Interchange Format").
func TestHeaderBytes(t *testing.T) {
	var b [blockSize]byte
	putHeader(b[:], "val-00000007.json", 1234)
	field := func(off, n int) string { return string(b[off : off+n]) }
	checks := []struct {
		name   string
		off, n int
		want   string
	}{
		{"name", 0, 18, "val-00000007.json\x00"},
		{"mode", 100, 8, "0000644\x00"},
		{"uid", 108, 8, "0000000\x00"},
		{"gid", 116, 8, "0000000\x00"},
		{"size", 124, 12, "00000002322\x00"}, // 1234 in octal
		{"mtime", 136, 12, "00000000000\x00"},
		{"typeflag", 156, 1, "0"},
		{"magic", 257, 8, "ustar\x0000"},
		{"uname", 265, 32, string(make([]byte, 32))},
		{"prefix", 345, 155, string(make([]byte, 155))},
	}
	for _, c := range checks {
		if got := field(c.off, c.n); got != c.want {
			t.Errorf("%s = %q, want %q", c.name, got, c.want)
		}
	}
	sum := 0
	for i, c := range b {
		if i >= 148 && i < 156 {
			c = ' '
		}
		sum += int(c)
	}
	if got, want := field(148, 8), fmt.Sprintf("%06o\x00 ", sum); got != want {
		t.Errorf("checksum field %q, want %q", got, want)
	}
}

// TestResume kills a writer at many points (before and after shard boundaries, with a
// torn sample), reopens it, truncates to the journaled count and finishes: the shards
// must be byte-identical to an uninterrupted run's.
func TestResume(t *testing.T) {
	samples := makeSamples(t, 17)
	o := Options{ShardImages: 4}
	_, want := writeAll(t, samples, o)
	for _, tc := range []struct {
		written, journaled int
		torn, finished     bool
	}{
		{0, 0, false, false}, {3, 3, false, false}, {4, 4, false, false}, {5, 4, false, false},
		{5, 5, true, false}, {9, 2, false, false}, {12, 12, true, false}, {13, 11, true, false},
		{17, 17, false, true}, {17, 14, false, true}, {16, 16, false, true}, {8, 8, false, true},
	} {
		name := fmt.Sprintf("written=%d journaled=%d torn=%v finished=%v", tc.written, tc.journaled, tc.torn, tc.finished)
		root := t.TempDir()
		dir, work := filepath.Join(root, "out"), filepath.Join(root, "work")
		os.MkdirAll(dir, 0o755)
		w, err := Create(dir, work, "reference-val", o)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range samples[:tc.written] {
			if _, err := w.Append(s); err != nil {
				t.Fatal(err)
			}
		}
		if tc.finished {
			w.Finish()
		}
		w.Close()
		if tc.torn {
			// Half of the next sample reached the work file before the kill.
			b, _ := samples[tc.written].encode()
			shard := (tc.written - 1) / 4
			if tc.written%4 == 0 {
				shard++
			}
			p := filepath.Join(work, ShardName("reference-val", shard)+".part")
			f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
			if err != nil {
				t.Fatal(err)
			}
			f.Write(b[:len(b)/2+700])
			f.Close()
		}
		w, err = Reopen(dir, work, "reference-val", o)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if w.Len() != int64(tc.written) {
			t.Fatalf("%s: reopened writer holds %d samples", name, w.Len())
		}
		if err := w.Truncate(int64(tc.journaled)); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for i := 0; i < tc.journaled; i++ {
			s, err := w.Read(int64(i))
			if err != nil || s.Key != samples[i].Key || !bytes.Equal(s.Image, samples[i].Image) {
				t.Fatalf("%s: sample %d reads back wrong (%v)", name, i, err)
			}
		}
		for _, s := range samples[tc.journaled:] {
			if _, err := w.Append(s); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		}
		if _, err := w.Finish(); err != nil {
			t.Fatal(err)
		}
		if err := sameFiles(readDir(t, dir), want); err != nil {
			t.Fatalf("%s: resumed shards differ from an uninterrupted run's: %v", name, err)
		}
		if left := readDir(t, work); len(left) != 0 {
			t.Fatalf("%s: work files left behind: %d", name, len(left))
		}
	}
}

// TestMerge writes the samples in parts (one unlimited shard each, as sharded
// processes do) and merges them: the shards must equal a single writer's whatever the
// partition.
func TestMerge(t *testing.T) {
	samples := makeSamples(t, 21)
	o := Options{ShardImages: 4}
	_, want := writeAll(t, samples, o)
	for _, cuts := range [][]int{{21}, {10, 21}, {1, 4, 8, 21}, {3, 3, 19, 21}} {
		var parts []string
		from := 0
		for pi, to := range cuts {
			root := t.TempDir()
			w, err := Create(root, filepath.Join(root, "work"), fmt.Sprintf("part%d", pi), Options{ShardImages: Unlimited})
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range samples[from:to] {
				if _, err := w.Append(s); err != nil {
					t.Fatal(err)
				}
			}
			names, _ := w.Finish()
			for _, n := range names {
				parts = append(parts, filepath.Join(root, n))
			}
			from = to
		}
		root := t.TempDir()
		dir := filepath.Join(root, "out")
		os.MkdirAll(dir, 0o755)
		w, _ := Create(dir, filepath.Join(root, "work"), "reference-val", o)
		if err := Merge(w, parts...); err != nil {
			t.Fatal(err)
		}
		w.Finish()
		if err := sameFiles(readDir(t, dir), want); err != nil {
			t.Fatalf("merge of parts cut at %v: %v", cuts, err)
		}
	}
}

func TestRejects(t *testing.T) {
	root := t.TempDir()
	w, _ := Create(root, filepath.Join(root, "work"), "x", Options{})
	defer w.Close()
	good := makeSamples(t, 2)
	if _, err := w.Append(good[1]); err != nil {
		t.Fatal(err)
	}
	bad := []Sample{
		good[0], // key goes backwards
		{Key: "a.b", ImageExt: "png"},
		{Key: "", ImageExt: "png"},
		{Key: "z/y", ImageExt: "png"},
		{Key: "zz", ImageExt: "gif"},
	}
	for _, s := range bad {
		if _, err := w.Append(s); err == nil {
			t.Fatalf("Append accepted key %q ext %q", s.Key, s.ImageExt)
		}
	}
	if w.Len() != 1 {
		t.Fatalf("Len %d", w.Len())
	}
}

// TestDamage flips bytes in a shard: in an image, its SHA-256 changes; in a header,
// Open fails.
func TestDamage(t *testing.T) {
	samples := makeSamples(t, 6)
	dir, files := writeAll(t, samples, Options{})
	name := ShardName("reference-val", 0)
	r, err := Open(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	e := r.Entry(3)
	m, _ := e.Member(samples[3].ImageExt)
	r.Close()
	flip := func(off int64) string {
		b := bytes.Clone(files[name])
		b[off] ^= 0x04
		p := filepath.Join(t.TempDir(), name)
		os.WriteFile(p, b, 0o644)
		return p
	}
	r, err = Open(flip(m.Offset + m.Size/2))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := r.ReadMember(m)
	r.Close()
	if sha256.Sum256(got) == sha256.Sum256(samples[3].Image) {
		t.Fatal("a flipped image byte left its SHA-256 unchanged")
	}
	for _, off := range []int64{e.Start + 3, e.Start + 126, e.Start + 150, e.Start + 258, int64(len(files[name])) - 3} {
		if r, err := Open(flip(off)); err == nil {
			r.Close()
			t.Fatalf("Open accepted a shard with byte %d flipped", off)
		}
	}
	p := filepath.Join(t.TempDir(), name)
	os.WriteFile(p, files[name][:len(files[name])-blockSize], 0o644)
	if _, err := Open(p); err == nil {
		t.Fatal("Open accepted a shard without its end marker")
	}
}
