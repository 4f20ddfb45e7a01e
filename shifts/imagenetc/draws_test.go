package imagenetc

import (
	"bytes"
	"encoding/json"
	"image"
	"math/rand/v2"
	"reflect"
	"sort"
	"testing"

	"github.com/shiftgen/shiftgen/shifts/rgba"
)

// drawNames are the per-image draws every random corruption records.
var drawNames = map[string][]string{
	"gaussian-noise":    {"noise_seed"},
	"shot-noise":        {"noise_seed"},
	"impulse-noise":     {"noise_seed"},
	"speckle-noise":     {"noise_seed"},
	"glass-blur":        {"shuffle_seed"},
	"motion-blur":       {"angle"},
	"snow":              {"angle", "flake_seed"},
	"frost":             {"crop_x", "crop_y", "texture"},
	"fog":               {"haze_seed"},
	"elastic-transform": {"field_seed"},
	"spatter":           {"liquid_seed"},
}

// TestDrawsReproduce checks, for every random corruption at every severity, that Draw
// makes exactly the documented draws, that the corrupted image depends on nothing else
// (the drawn corruption, run without a generator, gives the same bytes as the
// original run), and that the draws matter (other draws give other bytes).
func TestDrawsReproduce(t *testing.T) {
	imgs := []*imageCase{{"224px", testImages(t)[1]}, {"37x53", synthetic(37, 53, 3)}}
	for _, info := range Catalogue() {
		want, random := drawNames[info.Name]
		if random != info.Random {
			t.Errorf("%s: Catalogue says Random=%v but the test lists draws %v", info.Name, info.Random, want)
		}
		for s, c := range info.Severities {
			rc, ok := c.(Random)
			if ok != info.Random {
				t.Errorf("%s: implements Random: %v, Catalogue says %v", info.Name, ok, info.Random)
				continue
			}
			if !ok {
				continue
			}
			if d := rc.Draws(); len(d) != 0 {
				t.Errorf("%s severity %d: the table's corruption has draws set: %v", info.Name, s+1, d)
			}
			for _, im := range imgs {
				orig := c.Corrupt(rgba.Clone(im.img), rand.New(rand.NewPCG(7, uint64(s))))
				drawn := rc.Draw(rand.New(rand.NewPCG(7, uint64(s))))
				d := drawn.Draws()
				var names []string
				for k := range d {
					names = append(names, k)
				}
				sort.Strings(names)
				if !reflect.DeepEqual(names, want) {
					t.Errorf("%s severity %d: draws %v, want %v", info.Name, s+1, names, want)
				}
				again := drawn.Corrupt(rgba.Clone(im.img), nil)
				if !bytes.Equal(again.Pix, orig.Pix) {
					t.Errorf("%s severity %d on %s: corrupting with the drawn values %v does not reproduce the image", info.Name, s+1, im.name, d)
				}
				// The same values survive a JSON round trip (as in a record).
				b, err := json.Marshal(drawn)
				if err != nil {
					t.Fatal(err)
				}
				back := reflect.New(reflect.TypeOf(drawn))
				if err := json.Unmarshal(b, back.Interface()); err != nil {
					t.Fatal(err)
				}
				if got := back.Elem().Interface().(Random).Corrupt(rgba.Clone(im.img), nil); !bytes.Equal(got.Pix, orig.Pix) {
					t.Errorf("%s severity %d on %s: the JSON form %s does not reproduce the image", info.Name, s+1, im.name, b)
				}
				other := rc.Draw(rand.New(rand.NewPCG(8, uint64(s)))).Corrupt(rgba.Clone(im.img), nil)
				if bytes.Equal(other.Pix, orig.Pix) {
					t.Errorf("%s severity %d on %s: other draws give the same image", info.Name, s+1, im.name)
				}
			}
		}
	}
}

type imageCase struct {
	name string
	img  *image.RGBA
}
