package imageio

import (
	"fmt"
	"image"
	"math"
)

// Preprocess names how source images are resized and cropped before any shift.
type Preprocess string

// The preprocessing modes.
const (
	// PaperPreprocess is the paper's: val images shorter side 256 with
	// antialiased bilinear resampling, then centre crop 256×256; train images longer
	// side at most 256, aspect kept.
	PaperPreprocess Preprocess = "paper"
	// NoPreprocess keeps the decoded image as it is.
	NoPreprocess Preprocess = "none"
	// ImageNetCPreprocess is ImageNet-C's: shorter side 256, centre crop 224×224, for
	// every split.
	ImageNetCPreprocess Preprocess = "imagenet-c"
)

// Preprocesses lists the valid modes.
var Preprocesses = []Preprocess{PaperPreprocess, NoPreprocess, ImageNetCPreprocess}

// Valid reports whether p is a known mode.
func (p Preprocess) Valid() error {
	for _, q := range Preprocesses {
		if p == q {
			return nil
		}
	}
	return fmt.Errorf("unknown --preprocess %q; valid: paper, none, imagenet-c", string(p))
}

// Geometry is what preprocessing does to one image: resize to W×H, then keep Crop.
type Geometry struct {
	W, H int
	Crop image.Rectangle
}

// ShorterSide returns torchvision's Resize(size) output for a w×h image: the shorter
// side becomes size, the longer int(size·long/short).
func ShorterSide(w, h, size int) (int, int) {
	if w <= h {
		return size, int(float64(size) * float64(h) / float64(w))
	}
	return int(float64(size) * float64(w) / float64(h)), size
}

// centreCrop is torchvision's CenterCrop offsets: int(round((in − out)/2)), with
// Python's round-half-to-even.
func centreCrop(w, h, cw, ch int) image.Rectangle {
	top := int(math.RoundToEven(float64(h-ch) / 2))
	left := int(math.RoundToEven(float64(w-cw) / 2))
	return image.Rect(left, top, left+cw, top+ch)
}

// Geometry returns the resize and crop for a w×h image of the given split.
func (p Preprocess) Geometry(split string, w, h int) Geometry {
	switch p {
	case PaperPreprocess:
		if split == "train" {
			long := max(w, h)
			if long <= 256 {
				return Geometry{W: w, H: h, Crop: image.Rect(0, 0, w, h)}
			}
			nw, nh := 256, max(1, int(256*float64(h)/float64(w)))
			if h > w {
				nw, nh = max(1, int(256*float64(w)/float64(h))), 256
			}
			return Geometry{W: nw, H: nh, Crop: image.Rect(0, 0, nw, nh)}
		}
		rw, rh := ShorterSide(w, h, 256)
		return Geometry{W: rw, H: rh, Crop: centreCrop(rw, rh, 256, 256)}
	case ImageNetCPreprocess:
		rw, rh := ShorterSide(w, h, 256)
		return Geometry{W: rw, H: rh, Crop: centreCrop(rw, rh, 224, 224)}
	default:
		return Geometry{W: w, H: h, Crop: image.Rect(0, 0, w, h)}
	}
}

// Hint is the smallest decode p needs for an image of split: a shorter side of 256 for
// the resizes to a 256 shorter side, a longer side of 256 for the paper's train
// images, full size for NoPreprocess.
func (p Preprocess) Hint(split string) Hint {
	switch p {
	case PaperPreprocess:
		if split == "train" {
			return Hint{Long: 256}
		}
		return Hint{Short: 256}
	case ImageNetCPreprocess:
		return Hint{Short: 256}
	}
	return Hint{}
}
