package pipeline

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/shiftgen/shiftgen/pipeline/imageio"
	"github.com/shiftgen/shiftgen/shifts"
)

// GeneratedStyles is the --style-images value that selects shiftgen's generated style
// images (shifts.GeneratedStyles, seeded by the run's seed) instead of a folder. A
// folder of that name is written ./generated.
const GeneratedStyles = "generated"

// MaxStyleImages bounds how many style images one run loads: each is kept decoded.
const MaxStyleImages = 1000

// styleSide is the shorter side style images are scaled down to when larger, the side
// of the images they are applied to.
const styleSide = 256

// LoadStyles returns the style images --style-images names: "" gives nil (the style
// shifts then refuse to run), GeneratedStyles the generated set for seed, and a folder
// every image file under it (the ImageFolder extensions, walked in sorted order without
// following symbolic links), named by its slash-separated path within the folder. Each
// file goes through the same guards as the inputs: its size must be at most maxBytes
// (0: imageio.DefaultMaxFileBytes) before it is read, and its header must declare at most
// maxPixels pixels (0: imageio.DefaultMaxPixels) before its pixels are decoded. Images whose
// shorter side exceeds 256 are scaled down to 256 with the antialiased bilinear filter of
// the preprocessing. Errors name the file and say what to do.
func LoadStyles(dir string, seed int64, maxBytes, maxPixels int64) (*shifts.StyleSet, error) {
	switch dir {
	case "":
		return nil, nil
	case GeneratedStyles:
		if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
			return nil, fmt.Errorf("--style-images %s: a folder of that name exists here; write ./%s for the folder (the bare word selects the generated styles)", dir, dir)
		}
		return shifts.GeneratedStyles(seed), nil
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("--style-images %s: %w; give a folder of style images (or --style-images generated)", dir, err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("--style-images %s is not a folder; give a folder of style images (or --style-images generated)", dir)
	}
	var names []string
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() && IsImageName(d.Name()) {
			rel, err := filepath.Rel(dir, p)
			if err != nil {
				return err
			}
			names = append(names, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("--style-images %s: %w", dir, err)
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("--style-images %s holds no images (%v); add some, or use --style-images generated", dir, Extensions)
	}
	if len(names) > MaxStyleImages {
		return nil, fmt.Errorf("--style-images %s holds %d images, more than %d; give a folder with a subset of them", dir, len(names), MaxStyleImages)
	}
	set := &shifts.StyleSet{Source: dir}
	for _, name := range names {
		path := filepath.Join(dir, filepath.FromSlash(name))
		data, err := imageio.ReadFile(path, maxBytes)
		if err != nil {
			return nil, fmt.Errorf("style image %s: %w", path, err)
		}
		img, err := imageio.GoCodec{}.Decode(data, imageio.Hint{}, maxPixels)
		if err != nil {
			hint := "remove it from the style folder or replace it"
			if errors.Is(err, imageio.ErrTooLarge) {
				hint = "scale it down"
			}
			return nil, fmt.Errorf("style image %s: %w; %s", path, err, hint)
		}
		sum := sha256.Sum256(data)
		set.Images = append(set.Images, shifts.StyleImage{Name: name, SHA256: hex.EncodeToString(sum[:]), Image: shrinkStyle(img)})
	}
	return set, nil
}

// shrinkStyle scales img down so that its shorter side is styleSide, when larger.
func shrinkStyle(img *image.RGBA) *image.RGBA {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	if min(w, h) <= styleSide {
		return img
	}
	rw, rh := imageio.ShorterSide(w, h, styleSide)
	return imageio.ResizeCrop(img, rw, rh, image.Rect(0, 0, rw, rh))
}

// styleDigest is a hex SHA-256 over the style images' names and file digests ("" for
// no styles), so a resumed run notices a changed style folder.
func styleDigest(s *shifts.StyleSet) string {
	if s == nil {
		return ""
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\n", s.Source)
	for _, im := range s.Images {
		fmt.Fprintf(h, "%s\x00%s\n", im.Name, im.SHA256)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// styleFolder is the folder --style-images names, or "" when it names none (no styles,
// or the generated ones).
func styleFolder(s string) string {
	if s == GeneratedStyles {
		return ""
	}
	return s
}
