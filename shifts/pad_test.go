package shifts

import (
	"bytes"
	"image"
	"reflect"
	"testing"

	"github.com/shiftgen/shiftgen/shifts/rgba"
)

// TestPadPixels checks the black frame on a tiny literal image.
func TestPadPixels(t *testing.T) {
	src := newImg([][]px{{{1, 2, 3}, {4, 5, 6}}, {{7, 8, 9}, {10, 11, 12}}})
	before := rgba.Clone(src)
	out := Apply(Pad{Pixels: 2}, src, Key{})
	k := px{}
	want := [][]px{
		{k, k, k, k, k, k},
		{k, k, k, k, k, k},
		{k, k, {1, 2, 3}, {4, 5, 6}, k, k},
		{k, k, {7, 8, 9}, {10, 11, 12}, k, k},
		{k, k, k, k, k, k},
		{k, k, k, k, k, k},
	}
	if out.Rect != image.Rect(0, 0, 6, 6) {
		t.Fatalf("bounds %v", out.Rect)
	}
	checkPixels(t, out, want)
	if !bytes.Equal(src.Pix, before.Pix) {
		t.Error("input modified")
	}
	// The paper's size: 32×32 → 44×44 with the default 6 pixels.
	sh, err := New("pad", familyEnv)
	if err != nil {
		t.Fatal(err)
	}
	tr := sh.Sample(Shifted, Item{Split: "val"}).Transform
	if got := Apply(tr, image.NewGray(image.Rect(0, 0, 32, 32)), Key{}).Rect; got != image.Rect(0, 0, 44, 44) {
		t.Errorf("default pad of 32×32 gives %v, want 44×44", got)
	}
	if sh.Sample(Reference, Item{Split: "val"}).Transform != nil {
		t.Error("pad touches the reference distribution")
	}
	// Pixels 0 is the identity.
	same := Apply(Pad{}, src, Key{})
	if !bytes.Equal(same.Pix, src.Pix) || same.Rect != src.Rect {
		t.Error("pad 0 is not the identity")
	}
}

// TestPadTint checks the optional tint against the paper's table: RandomState(0) draws
// 3000 colour uniforms, then choice(1000, size=N); NumPy gives random_y[5] = 457 and
// colors[457] as below.
func TestPadTint(t *testing.T) {
	env := Env{Seed: 0, TintTableSize: 100}
	p, err := NewPad(1, true, 0.25, env)
	if err != nil {
		t.Fatal(err)
	}
	k := Key{Purpose: "pixels", Split: "val", Index: 5}
	if c, ok := p.TintClass(k); !ok || c != 457 {
		t.Fatalf("tint class %d, %v; want 457", c, ok)
	}
	col := [3]float64{0x1.8cbd0add41f07p-1, 0x1.e35839335780dp-1, 0x1.2c937af9603f0p-5} // NumPy colors[457]
	rec := p.Record(k)
	if rec["tint_class"] != 457 || !reflect.DeepEqual(rec["tint_color"], col[:]) {
		t.Errorf("record %v", rec)
	}
	src := newImg([][]px{{{10, 200, 90}, {255, 255, 255}, {0, 0, 0}}})
	out := Apply(p, src, k)
	z := px{}
	// x' = round(255·(0.75·x/255 + 0.25·colour)), from NumPy.
	checkPixels(t, out, [][]px{
		{z, z, z, z, z},
		{z, {57, 210, 70}, {241, 251, 194}, {49, 60, 2}, z},
		{z, z, z, z, z},
	})
	// Indices past the table wrap around it.
	k.Index += 100
	if c, _ := p.TintClass(k); c != 457 {
		t.Errorf("index 105 of a 100-entry table: class %d, want 457", c)
	}
	// Through the registry, with its defaults.
	sh, err := New("pad:tint=true,pixels=3", Env{TintTableSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	got := sh.(OutOfSupportShift).T.(Pad)
	if got.Pixels != 3 || !got.Tint || got.Alpha != 0.25 {
		t.Errorf("pad from registry: %+v", got)
	}
	if c, _ := got.TintClass(Key{Index: 5}); c != 457 {
		t.Errorf("registry pad tint class %d", c)
	}
	if _, ok := Transform(Pad{}).(Recorder); !ok {
		t.Error("Pad is not a Recorder")
	}
	if (Pad{Pixels: 2}).Record(k) != nil {
		t.Error("an untinted pad records a tint")
	}
}
