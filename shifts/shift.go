package shifts

import "image"

// Kind says whether a shift stays inside the reference distribution's support.
type Kind string

// The two kinds of shift.
const (
	// InSupport shifts only change proportions: every shifted image could have been
	// drawn from the reference distribution.
	InSupport Kind = "in-support"
	// OutOfSupport shifts show inputs the reference distribution never holds.
	OutOfSupport Kind = "out-of-support"
)

// Distribution names one of the two datasets a shift writes.
type Distribution string

// The two distributions every shift writes.
const (
	Reference Distribution = "reference"
	Shifted   Distribution = "shifted"
)

// Item is one source image as planning sees it: its split ("train" or "val"), its
// ImageFolder index within that split and its label.
type Item struct {
	Split string
	Index int
	Label int
}

// Env is what a shift needs to know about the job beyond its own parameters.
// The zero value means seed 0, no known class count, the default tint table size and no
// style images.
type Env struct {
	// Seed keys every random choice (default 0, the paper's).
	Seed int64
	// Classes is the number of classes of the source dataset.
	Classes int
	// TintTableSize is N, the length of the paper's random-class and spurious tables;
	// 0 means DefaultTintTableSize.
	TintTableSize int
	// Items bounds the item indices the shift will sample: every Item.Index is below
	// it. Shifts with long tables of draws (the paper's tints) then keep only the first
	// Items entries. 0 means any index the shift accepts.
	Items int
	// FrostTextures is a folder of the user's own frost images for the frost corruption;
	// empty means procedurally generated (seeded) textures.
	FrostTextures string
	// Styles are the style images of the fda, histogram-match and colour-transfer
	// shifts, already decoded by the caller (pipeline loads `--style-images DIR`, or
	// GeneratedStyles); nil makes those shifts refuse to build, naming the flag.
	Styles *StyleSet
	// LoadImage reads and decodes one image file with the caller's guards against
	// oversized files and headers; the frost corruption loads FrostTextures through it.
	// Nil refuses FrostTextures.
	LoadImage func(path string) (*image.RGBA, error)
}

// A Transform changes the pixels of one image. Apply owns img: it may change it in place
// and return it, or return a new image (of another size, for instance). k keys any random
// draw the transform makes, so the same image and key always give the same result.
// A Transform is a value type whose exported, JSON-tagged fields are its parameters; it
// must be safe for concurrent use by several workers.
type Transform interface {
	Apply(img *image.RGBA, k Key) *image.RGBA
}

// Sample is a shift's decision for one image in one distribution.
type Sample struct {
	// Transform is applied to the preprocessed image; nil writes it unchanged.
	Transform Transform
	// Fields are recorded in the image's record (for tints: tint_class, spurious,
	// tint_color). Values must marshal to JSON deterministically.
	Fields map[string]any
	// Tally names counters this image increments in the manifest's per-split stats
	// (e.g. "own_tint", "applied").
	Tally []string
}

// A Shift decides, for each image of each distribution, what to do with it. Sample must
// be a pure function of its arguments and the shift's parameters, and safe for
// concurrent use.
type Shift interface {
	// Name is the registry name, e.g. "spurious-tint".
	Name() string
	// Kind says whether the shift is in-support or out-of-support.
	Kind() Kind
	// Params returns the value whose JSON form the manifest records as the shift's
	// parameters.
	Params() any
	// Sample decides what happens to it in distribution d. The reference distribution
	// covers every input split; the shifted distribution covers "val".
	Sample(d Distribution, it Item) Sample
}

// Untouched is implemented by a Shift that writes every image of some distribution
// unchanged, as the out-of-support shifts leave their reference distribution. Untouched
// reports whether d is such a distribution and, if so, the Fields that Sample gives every
// image of it (nil for none). It must agree with Sample: for every item of d, Sample's
// Transform is nil and its Fields equal fields. Several shifts of one run that leave a
// distribution untouched write identical images, which need storing only once.
type Untouched interface {
	Untouched(d Distribution) (fields map[string]any, ok bool)
}

// A Selector is a Shift that keeps only some images of a split (label shift).
type Selector interface {
	// Keep reports, for the items of one split in index order, which ones distribution d
	// keeps, and the keep rate of every class (indexed by label).
	Keep(d Distribution, split string, items []Item) (keep []bool, rates []float64)
}

// A Bounded shift can only sample items whose index is below MaxItems (the tint shifts'
// tables have a fixed length). Planning refuses larger splits with a clear message.
type Bounded interface {
	MaxItems() int
}

// PixelKey is the key of the random stream a transform draws from for image it: the
// pipeline passes it to Transform.Apply, and a Recorder reports its choices for it.
func PixelKey(seed int64, it Item) Key {
	return Key{Purpose: "pixels", Seed: seed, Split: it.Split, Index: it.Index}
}
