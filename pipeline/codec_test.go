package pipeline

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/shiftgen/shiftgen/manifests"
	"github.com/shiftgen/shiftgen/pipeline/imageio"
	"github.com/shiftgen/shiftgen/pipeline/internal/testimage"
)

// codecs returns the pure-Go codec and, when this build has another, the default one.
func codecs() []imageio.Codec {
	cs := []imageio.Codec{imageio.GoCodec{}}
	if imageio.DefaultCodec().Name() != (imageio.GoCodec{}).Name() {
		cs = append(cs, imageio.DefaultCodec())
	}
	return cs
}

// runTree runs spurious-tint over root with codec c and returns the files written,
// without run.json (which holds times).
func runTree(t testing.TB, root string, c imageio.Codec, workers int) map[string][]byte {
	t.Helper()
	out := t.TempDir()
	if _, err := Run(context.Background(), Options{In: root, Out: out, Workers: workers, Codec: c,
		Shifts: []string{"spurious-tint"}, TintTableSize: 100}); err != nil {
		t.Fatal(err)
	}
	tree := testimage.ReadTree(t, out)
	for k := range tree {
		if strings.HasSuffix(k, manifests.RunFile) {
			delete(tree, k)
		}
	}
	return tree
}

// TestCodecsDeterministic runs the pipeline twice with each codec, with 1 and 4
// workers, and wants the same bytes in every file; the manifest names the codec.
func TestCodecsDeterministic(t *testing.T) {
	root := testimage.JPEGTree(t)
	for _, c := range codecs() {
		t.Run(c.Name(), func(t *testing.T) {
			a, b := runTree(t, root, c, 1), runTree(t, root, c, 4)
			// 5 images in each of 2 roots, each with its metadata.jsonl, and 2 manifests.
			if len(a) != len(b) || len(a) != 2*(5+1)+2 {
				t.Fatalf("%d and %d files, want %d", len(a), len(b), 2*(5+1)+2)
			}
			for k, v := range a {
				if !bytes.Equal(v, b[k]) {
					t.Errorf("%s differs between two runs", k)
				}
			}
			m, err := manifests.ParseManifest(a["spurious-tint/manifest.json"])
			if err != nil {
				t.Fatal(err)
			}
			if m.Codec != c.Name() {
				t.Errorf("manifest codec %q, want %q", m.Codec, c.Name())
			}
		})
	}
}

// TestFastPathMatchesGoPath runs the pipeline with the default codec and with the
// pure-Go one: the same files, of the same sizes, whose pixels differ by at most 3 per
// channel on average (different decoders and encoders, same geometry and maths).
func TestFastPathMatchesGoPath(t *testing.T) {
	if imageio.DefaultCodec().Name() == (imageio.GoCodec{}).Name() {
		t.Skip("this build has only the pure-Go codec (build with -tags turbojpeg)")
	}
	root := testimage.JPEGTree(t)
	fast, slow := runTree(t, root, imageio.DefaultCodec(), 2), runTree(t, root, imageio.GoCodec{}, 2)
	if len(fast) != len(slow) {
		t.Fatalf("%d vs %d files", len(fast), len(slow))
	}
	for k, v := range slow {
		if !strings.HasSuffix(k, ".jpg") {
			continue
		}
		a, err := imageio.GoCodec{}.Decode(v, imageio.Hint{}, 0)
		if err != nil {
			t.Fatal(k, err)
		}
		b, err := imageio.GoCodec{}.Decode(fast[k], imageio.Hint{}, 0)
		if err != nil {
			t.Fatal(k, err)
		}
		if d := testimage.MeanAbsDiff(t, a, b); d > 3 {
			t.Errorf("%s: fast path differs from the Go path by %.2f per channel on average", k, d)
		} else {
			t.Logf("%s: mean abs difference %.2f", k, d)
		}
	}
}
