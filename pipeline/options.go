package pipeline

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/shiftgen/shiftgen/manifests"
	"github.com/shiftgen/shiftgen/manifests/webdataset"
	"github.com/shiftgen/shiftgen/pipeline/imageio"
	"github.com/shiftgen/shiftgen/shifts"
)

// Version is shiftgen's version, recorded in every manifest.
const Version = "0.1.0"

// Layout says how a dataset's files are arranged.
type Layout string

// Layouts.
const (
	// DefaultLayout writes OUT/<shift>/{reference,shifted}/<split>/<class>/<file>.
	DefaultLayout Layout = "default"
	// ImageNetCLayout writes OUT/<corruption>/<severity>/<wnid>/<file> (shifted val
	// only), as the published ImageNet-C.
	ImageNetCLayout Layout = "imagenet-c"
)

// Options configures Run. Zero values are documented per field; Run checks the options
// and fills the defaults once, before reading anything.
type Options struct {
	// In is the source root (required).
	In string
	// SourceName is what the manifest records as the source; empty means In.
	SourceName string
	// Out is the output root (required); each shift writes OUT/<shift>/.
	Out string
	// Shifts are --shift specs (required), e.g. "spurious-tint:p=0.7"; presets such as
	// "imagenet-c" expand to their lists.
	Shifts []string
	// Seed keys every random choice (default 0, the paper's).
	Seed int64
	// TintTableSize is the paper's tint table length N; 0 means 1,281,167.
	TintTableSize int
	// Preprocess is the preprocessing; empty means PaperPreprocess (ImageNetCPreprocess,
	// the published dataset's 224 px crops, with the ImageNet-C layout).
	Preprocess imageio.Preprocess
	// Format is the output format; empty means JPEG.
	Format imageio.Format
	// Quality is the JPEG quality; 0 means 95 (85 with the ImageNet-C layout).
	Quality int
	// Layout arranges the files; empty means DefaultLayout.
	Layout Layout
	// Output says how images are stored; empty means FolderOutput.
	Output OutputKind
	// FFCVImage is what an FFCV sample's image holds (FFCVOutput only): FFCVRaw (the
	// pixels; empty means it) or FFCVJPEG (the JPEG that Quality sets). With
	// PaperPreprocess, FFCV train images are resized as FFCV's
	// RGBImageField(max_resolution=256) resizes them (OpenCV INTER_AREA of the full
	// decode) rather than with the folder output's antialiased bilinear resize.
	FFCVImage string
	// ShardImages is the number of samples per WebDataset shard (WebDatasetOutput only);
	// 0 means webdataset.DefaultShardImages (10,000).
	ShardImages int
	// NoDedup writes every copy of images several datasets of the run (or one dataset's
	// two distributions) hold byte for byte. By default the first copy is written and the
	// others are hard links to it (folder output) or reference its container (FFCV,
	// WebDataset).
	NoDedup bool
	// Workers is the number of concurrent workers (0: all cores, see
	// manifests.WorkerCount).
	Workers int
	// MaxPixels refuses images whose header declares more pixels; 0 means
	// imageio.DefaultMaxPixels.
	MaxPixels int64
	// MaxFileBytes refuses, before reading them, input files larger than this many
	// bytes (they are skipped and recorded); 0 means imageio.DefaultMaxFileBytes.
	MaxFileBytes int64
	// Force replaces an existing, non-empty OUT/<shift> folder.
	Force bool
	// Resume continues an interrupted run in the same OUT from its verified work; the
	// options and input must be those of the first run.
	Resume bool
	// Shard writes only part K of N of the plan (zero: the whole plan); Merge joins them.
	Shard Shard
	// FollowSymlinks follows symbolic links in the source.
	FollowSymlinks bool
	// FrostTextures is a folder of frost images for the frost corruption; empty means
	// generated textures.
	FrostTextures string
	// StyleImages is a folder of style images for the fda, histogram-match and
	// colour-transfer shifts, or GeneratedStyles; empty means none (those shifts refuse
	// to run). It is loaded only when a shift uses it. See LoadStyles.
	StyleImages string
	// styleDigest identifies the loaded style images (styleDigest), for resume checks.
	styleDigest string
	// Codec decodes and encodes; nil means imageio.DefaultCodec().
	Codec imageio.Codec
	// Progress, if set, is called from one goroutine after each source image with the
	// number of output images written so far and the total planned.
	Progress func(done, total int)
	// Warn, if set, receives warnings for people, such as entries skipped at class
	// level (which can change labels); nil drops them.
	Warn func(msg string)
	// Command is recorded in run.json.
	Command string
}

// validate checks o and fills defaults.
func (o *Options) validate() error {
	if o.In == "" {
		return errors.New("no input folder given (--in)")
	}
	if o.Out == "" {
		return errors.New("no output folder given (--out)")
	}
	if len(o.Shifts) == 0 {
		return errors.New("no shift given; pass --shift NAME (see `shiftgen list`)")
	}
	if o.SourceName == "" {
		o.SourceName = o.In
	}
	if o.Preprocess == "" {
		o.Preprocess = imageio.PaperPreprocess
		if o.Layout == ImageNetCLayout {
			o.Preprocess = imageio.ImageNetCPreprocess
		}
	}
	if err := o.Preprocess.Valid(); err != nil {
		return err
	}
	if o.Layout == "" {
		o.Layout = DefaultLayout
	}
	if o.Layout != DefaultLayout && o.Layout != ImageNetCLayout {
		return fmt.Errorf("unknown --layout %q; valid: default, imagenet-c", o.Layout)
	}
	if o.Format == "" {
		o.Format = imageio.JPEG
	}
	if o.Format != imageio.JPEG && o.Format != imageio.PNG {
		return fmt.Errorf("unknown --format %q; valid: jpeg, png", o.Format)
	}
	if err := o.validateOutput(); err != nil {
		return err
	}
	if o.Quality == 0 {
		o.Quality = 95
		if o.Layout == ImageNetCLayout {
			o.Quality = 85
		}
	}
	if o.Quality < 1 || o.Quality > 100 {
		return fmt.Errorf("--quality %d is out of range [1, 100]", o.Quality)
	}
	o.Workers = manifests.WorkerCount(o.Workers)
	if o.MaxPixels < 0 || o.MaxFileBytes < 0 {
		return fmt.Errorf("--max-pixels %d and --max-file-bytes %d must be positive (0 means the default)", o.MaxPixels, o.MaxFileBytes)
	}
	if o.MaxPixels == 0 {
		o.MaxPixels = imageio.DefaultMaxPixels
	}
	if o.MaxFileBytes == 0 {
		o.MaxFileBytes = imageio.DefaultMaxFileBytes
	}
	if o.TintTableSize < 0 {
		return fmt.Errorf("--tint-table-size %d must be positive", o.TintTableSize)
	}
	if o.Seed < 0 || o.Seed > 1<<32-1 {
		return fmt.Errorf("--seed %d is out of range [0, 4294967295] (NumPy's RandomState seeds)", o.Seed)
	}
	if o.Codec == nil {
		o.Codec = imageio.DefaultCodec()
	}
	// Checked early, before the scan; every dataset folder is checked again, resolved,
	// when its writer is created.
	return manifests.CheckNesting(o.Out, "--out", []manifests.Input{{Flag: "--in", Path: o.In}})
}

// validateOutput checks the output options and fills their defaults.
func (o *Options) validateOutput() error {
	if o.Output == "" {
		o.Output = FolderOutput
	}
	switch o.Output {
	case FolderOutput, FFCVOutput, WebDatasetOutput:
	default:
		return fmt.Errorf("unknown --output %q; valid: folder, ffcv, webdataset", o.Output)
	}
	if o.Output == FFCVOutput {
		if o.FFCVImage == "" {
			o.FFCVImage = FFCVRaw
		}
		if o.FFCVImage != FFCVRaw && o.FFCVImage != FFCVJPEG {
			return fmt.Errorf("unknown --ffcv-image %q; valid: raw, jpg", o.FFCVImage)
		}
		if o.Format != imageio.JPEG {
			return fmt.Errorf("--output ffcv stores raw pixels or JPEG (--ffcv-image raw|jpg); --format %s does not apply", o.Format)
		}
	} else if o.FFCVImage != "" {
		return fmt.Errorf("--ffcv-image goes with --output ffcv")
	}
	if o.Output == WebDatasetOutput {
		if o.ShardImages == 0 {
			o.ShardImages = webdataset.DefaultShardImages
		}
		if o.ShardImages < 1 {
			return fmt.Errorf("--shard-images %d must be at least 1", o.ShardImages)
		}
	} else if o.ShardImages != 0 {
		return fmt.Errorf("--shard-images goes with --output webdataset")
	}
	return nil
}

// DirName is the folder a --shift spec writes to under OUT: the shift's name, followed
// by its explicitly set parameters in sorted order ("night_severity-4").
func DirName(spec string) (string, error) {
	name, settings, err := shifts.ParseSpec(spec)
	if err != nil {
		return "", err
	}
	keys := make([]string, 0, len(settings))
	for k := range settings {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := []string{name}
	for _, k := range keys {
		parts = append(parts, k+"-"+settings[k])
	}
	return strings.Join(parts, "_"), nil
}
