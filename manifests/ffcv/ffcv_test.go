package ffcv

import (
	"bytes"
	"crypto/sha256"
	"image"
	"image/jpeg"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// testImage returns a w×h RGB image, smooth plus noise of the given amplitude, seeded.
func testImage(w, h, noise int, seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, 7))
	p := make([]byte, w*h*3)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			for c := 0; c < 3; c++ {
				v := (x*(c+1)*3 + y*(3-c)*2 + int(seed)*11) % 256
				if noise > 0 {
					v += rng.IntN(2*noise+1) - noise
				}
				p[(y*w+x)*3+c] = byte(min(255, max(0, v)))
			}
		}
	}
	return p
}

// encodeJPEG encodes RGB pixels with Go's encoder.
func encodeJPEG(t testing.TB, pix []byte, w, h, q int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < w*h; i++ {
		img.Pix[4*i], img.Pix[4*i+1], img.Pix[4*i+2], img.Pix[4*i+3] = pix[3*i], pix[3*i+1], pix[3*i+2], 255
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: q}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// mixedSamples returns n samples of varying size and mode.
func mixedSamples(t testing.TB, n int) []Sample {
	var out []Sample
	for i := 0; i < n; i++ {
		w, h := 100+(i*37)%400, 80+(i*53)%300
		pix := testImage(w, h, 20, uint64(i))
		s := Sample{Label: int64(i*7%10) - 2, Mode: Raw, Width: w, Height: h, Payload: pix}
		if i%3 == 1 {
			s.Mode, s.Payload = JPG, encodeJPEG(t, pix, w, h, 90)
		}
		out = append(out, s)
	}
	return out
}

// writeFile writes samples with one Writer and returns the finished file's bytes.
func writeFile(t testing.TB, samples []Sample, o Options) []byte {
	t.Helper()
	w, err := Create(filepath.Join(t.TempDir(), "work"), o)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Remove()
	for i, s := range samples {
		idx, err := w.Append(s)
		if err != nil {
			t.Fatal(err)
		}
		if idx != int64(i) {
			t.Fatalf("Append returned index %d, want %d", idx, i)
		}
	}
	var b bytes.Buffer
	if err := w.Finish(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func openBytes(t testing.TB, b []byte) *Reader {
	t.Helper()
	p := filepath.Join(t.TempDir(), "x.beton")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func TestRoundTrip(t *testing.T) {
	samples := mixedSamples(t, 40)
	o := Options{PageSize: MinPageSize}
	r := openBytes(t, writeFile(t, samples, o))
	if r.Len() != len(samples) || r.PageSize() != MinPageSize {
		t.Fatalf("Len %d page %d, want %d and %d", r.Len(), r.PageSize(), len(samples), MinPageSize)
	}
	pages := map[int64]bool{}
	for i, s := range samples {
		got, err := r.Sample(i)
		if err != nil {
			t.Fatal(err)
		}
		if got.Label != s.Label || got.Mode != s.Mode || got.Width != s.Width || got.Height != s.Height || !bytes.Equal(got.Payload, s.Payload) {
			t.Fatalf("sample %d: got label %d mode %v %d×%d (%d bytes), want %d %v %d×%d (%d bytes)", i,
				got.Label, got.Mode, got.Width, got.Height, len(got.Payload), s.Label, s.Mode, s.Width, s.Height, len(s.Payload))
		}
		pages[r.Entry(i).Offset/MinPageSize] = true
	}
	if len(pages) < 3 {
		t.Fatalf("the samples use %d pages; the test wants several to exercise paging", len(pages))
	}
}

// TestPacking checks the page rule on payload sizes chosen to hit its edges: a payload
// that exactly fills the rest of a page stays in it, the next starts a new page, one
// byte too many moves on, and a payload of a whole page gets a page of its own. The
// expected offsets follow from the rule by hand.
func TestPacking(t *testing.T) {
	const ps = MinPageSize
	cases := []struct{ size, rel int64 }{
		{1000000, 0},
		{ps - 1000000, 1000000}, // fills page 0 exactly
		{1, ps},                 // page 0 is full
		{ps - 1, ps + 1},        // fills page 1 exactly
		{10, 2 * ps},
		{ps - 10 + 1, 3 * ps}, // one byte more than page 2 has left
		{ps, 4 * ps},          // a whole page
		{5, 5 * ps},
	}
	p := packer{pageSize: ps}
	var samples []Sample
	for i, c := range cases {
		if got := p.place(c.size); got != c.rel {
			t.Fatalf("payload %d of %d bytes placed at %d, want %d", i, c.size, got, c.rel)
		}
		samples = append(samples, Sample{Label: int64(i), Mode: JPG, Width: 1, Height: 1, Payload: bytes.Repeat([]byte{byte(i + 1)}, int(c.size))})
	}
	// The same through the writer and reader: offsets in the file are dataStart + rel,
	// dataStart being the first page boundary after the metadata.
	b := writeFile(t, samples, Options{PageSize: ps})
	r := openBytes(t, b)
	dataStart := alignUp(metaStart+int64(len(cases))*metaSize, ps)
	for i, c := range cases {
		if got := r.Entry(i).Offset; got != dataStart+c.rel {
			t.Fatalf("sample %d at %d, want %d", i, got, dataStart+c.rel)
		}
	}
	// Six pages, each written whole, then the allocation table.
	if want := dataStart + 6*ps + int64(len(cases))*allocSize; int64(len(b)) != want {
		t.Fatalf("file of %d bytes, want %d", len(b), want)
	}
}

// TestResume interrupts a writer at every kind of point (after a sample, with a torn
// index entry, with a torn payload), reopens it, cuts it back to a journaled count and
// finishes: the file must be byte-identical to an uninterrupted run's.
func TestResume(t *testing.T) {
	samples := mixedSamples(t, 25)
	o := Options{PageSize: MinPageSize}
	want := writeFile(t, samples, o)
	for _, tc := range []struct {
		name      string
		written   int // samples appended before the "kill"
		journaled int // samples the journal recorded
		damage    func(dir string)
	}{
		{"clean", 12, 12, nil},
		{"journal behind", 15, 9, nil},
		{"at zero", 4, 0, nil},
		{"torn index entry", 10, 10, func(dir string) { appendBytes(t, filepath.Join(dir, indexFile), make([]byte, 13)) }},
		{"torn payload", 10, 10, func(dir string) {
			// An index entry whose payload never reached the data file.
			w, err := Reopen(dir, o)
			if err != nil {
				t.Fatal(err)
			}
			w.Append(samples[10])
			d := filepath.Join(dir, dataFile)
			fi, _ := os.Stat(d)
			os.Truncate(d, fi.Size()-5)
			w.Close()
		}},
		{"all written", 25, 25, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "work")
			w, err := Create(dir, o)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range samples[:tc.written] {
				if _, err := w.Append(s); err != nil {
					t.Fatal(err)
				}
			}
			w.Close()
			if tc.damage != nil {
				tc.damage(dir)
			}
			w, err = Reopen(dir, o)
			if err != nil {
				t.Fatal(err)
			}
			defer w.Remove()
			if w.Len() < int64(tc.journaled) {
				t.Fatalf("reopened writer holds %d samples, fewer than the %d journaled", w.Len(), tc.journaled)
			}
			if w.Len() > int64(tc.written) {
				t.Fatalf("reopened writer holds %d samples, more than the %d written", w.Len(), tc.written)
			}
			if err := w.Truncate(int64(tc.journaled)); err != nil {
				t.Fatal(err)
			}
			for i := 0; i < tc.journaled; i++ {
				p, err := w.Payload(int64(i))
				if err != nil || !bytes.Equal(p, samples[i].Payload) {
					t.Fatalf("payload %d after reopening differs (err %v)", i, err)
				}
			}
			for _, s := range samples[tc.journaled:] {
				if _, err := w.Append(s); err != nil {
					t.Fatal(err)
				}
			}
			var b bytes.Buffer
			if err := w.Finish(&b); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b.Bytes(), want) {
				t.Fatalf("resumed file differs from the uninterrupted one (%d vs %d bytes)", b.Len(), len(want))
			}
		})
	}
	if _, err := Reopen(filepath.Join(t.TempDir(), "none"), o); err == nil {
		t.Fatal("Reopen of a missing work folder succeeded")
	}
	dir := filepath.Join(t.TempDir(), "work")
	w, _ := Create(dir, o)
	w.Close()
	if _, err := Reopen(dir, Options{}); err == nil {
		t.Fatal("Reopen with another page size succeeded")
	}
}

func appendBytes(t *testing.T, path string, b []byte) {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write(b)
	f.Close()
}

// TestMerge writes the samples in parts, as sharded processes do, and merges them: the
// result must equal the single writer's file whatever the partition.
func TestMerge(t *testing.T) {
	samples := mixedSamples(t, 30)
	o := Options{PageSize: MinPageSize}
	want := writeFile(t, samples, o)
	for _, cuts := range [][]int{{30}, {15, 30}, {1, 2, 3, 30}, {7, 7, 19, 29, 30}, {0, 10, 30}} {
		var parts []*Reader
		from := 0
		for _, to := range cuts {
			// Parts may use another page size; the merge's own decides the layout.
			parts = append(parts, openBytes(t, writeFile(t, samples[from:to], Options{PageSize: 4 << 20})))
			from = to
		}
		var b bytes.Buffer
		if err := Merge(&b, o, parts...); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b.Bytes(), want) {
			t.Fatalf("merge of parts cut at %v differs from the single writer's file", cuts)
		}
	}
}

// TestEmpty checks a file without samples: FFCV puts the (empty) allocation table right
// after the metadata.
func TestEmpty(t *testing.T) {
	b := writeFile(t, nil, Options{})
	if len(b) != metaStart {
		t.Fatalf("empty file has %d bytes, want %d", len(b), metaStart)
	}
	if r := openBytes(t, b); r.Len() != 0 {
		t.Fatalf("Len %d", r.Len())
	}
}

// TestDamage flips bytes: in a payload, the SHA-256 of Payload changes; in the
// structure, Open fails.
func TestDamage(t *testing.T) {
	samples := mixedSamples(t, 8)
	good := writeFile(t, samples, Options{PageSize: MinPageSize})
	r := openBytes(t, good)
	e := r.Entry(5)
	bad := bytes.Clone(good)
	bad[e.Offset+e.Size/2] ^= 0x10
	rb := openBytes(t, bad)
	p, err := rb.Payload(5)
	if err != nil {
		t.Fatal(err)
	}
	if sha256.Sum256(p) == sha256.Sum256(samples[5].Payload) {
		t.Fatal("a flipped payload byte left the payload's SHA-256 unchanged")
	}
	for i := 0; i < 8; i++ {
		if i == 5 {
			continue
		}
		q, _ := rb.Payload(i)
		if !bytes.Equal(q, samples[i].Payload) {
			t.Fatalf("sample %d changed too", i)
		}
	}
	// Structural damage: version, field type, a metadata pointer, an allocation size.
	allocPtr := int64(len(good)) - int64(len(samples))*allocSize
	for _, off := range []int64{0, headerSize, metaStart + 5, allocPtr + 16} {
		bad := bytes.Clone(good)
		bad[off] ^= 0x01
		p := filepath.Join(t.TempDir(), "bad.beton")
		os.WriteFile(p, bad, 0o644)
		if r, err := Open(p); err == nil {
			r.Close()
			t.Fatalf("Open accepted a file with byte %d flipped", off)
		}
	}
	// Truncated file.
	short := filepath.Join(t.TempDir(), "short.beton")
	os.WriteFile(short, good[:len(good)-1], 0o644)
	if _, err := Open(short); err == nil {
		t.Fatal("Open accepted a truncated file")
	}
}

func TestAppendRejects(t *testing.T) {
	w, err := Create(filepath.Join(t.TempDir(), "w"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Remove()
	for _, s := range []Sample{
		{Mode: Raw, Width: 2, Height: 2, Payload: make([]byte, 11)},
		{Mode: 2, Width: 2, Height: 2, Payload: make([]byte, 12)},
		{Mode: JPG, Width: 0, Height: 2, Payload: []byte{1}},
		{Mode: JPG, Width: 70000, Height: 2, Payload: []byte{1}},
		{Mode: JPG, Width: 1, Height: 1},
		{Mode: JPG, Width: 1, Height: 1, Payload: make([]byte, DefaultPageSize+1)},
	} {
		if _, err := w.Append(s); err == nil {
			t.Fatalf("Append accepted %v %d×%d with %d bytes", s.Mode, s.Width, s.Height, len(s.Payload))
		}
	}
	if w.Len() != 0 {
		t.Fatalf("rejected samples were counted: %d", w.Len())
	}
	for _, ps := range []int64{1 << 20, 3 << 20, 1 << 32} {
		if _, err := Create(filepath.Join(t.TempDir(), "p"), Options{PageSize: ps}); err == nil {
			t.Fatalf("page size %d accepted", ps)
		}
	}
}
