package pipeline

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"strings"

	"github.com/shiftgen/shiftgen/manifests"
	"github.com/shiftgen/shiftgen/pipeline/imageio"
	"github.com/shiftgen/shiftgen/shifts"
)

// RegenerateOptions says which image of a generated dataset Regenerate makes again.
// Zero values are documented per field.
type RegenerateOptions struct {
	// Manifest is the dataset's manifest.json (required).
	Manifest string
	// Index is the image's index in its source split.
	Index int
	// Distribution is "reference" or "shifted"; empty means shifted.
	Distribution string
	// Split is the source split; empty means val.
	Split string
	// In is the source root; empty means the source the manifest names.
	In string
	// Out is the file to write (required); an existing file is replaced only with Force.
	Out   string
	Force bool
	// TintTableSize and FrostTextures are the generate run's --tint-table-size and
	// --frost-textures (0 and empty: the defaults).
	TintTableSize int
	FrostTextures string
	// StyleImages is the generate run's --style-images, for the style-image shifts;
	// empty means the source their parameters in the manifest record (the folder as it
	// was given, or the generated styles).
	StyleImages string
	// Codec decodes and encodes; nil means imageio.DefaultCodec().
	Codec imageio.Codec
}

// Regenerated is what Regenerate did.
type Regenerated struct {
	// Record is the image's record in the dataset.
	Record *manifests.Record
	// Spec is the shift spec that made the image again: the manifest's, with the
	// record's per-image draws set as explicit parameters.
	Spec string
	// Source is the source file read.
	Source string
	// SHA256 is the written file's SHA-256; Match says whether it is the record's.
	SHA256 string
	Match  bool
	// CodecNote is set when the manifest was written by another codec than this
	// build's, which may explain a mismatch.
	CodecNote string
}

// Regenerate makes one image of a generated dataset again from its manifest and
// record alone: it finds the record, rebuilds the shift from the manifest's spec with
// the record's per-image draws as explicit parameters (shifts.Redraw), and runs that
// source image through the same decode, preprocessing, transform and encoding as Run,
// with the manifest's seed, preprocessing, format and quality. The result is written
// to o.Out (atomically) and its SHA-256 compared with the record's. For a dataset in
// containers the result is the image's bytes in its container: for FFCV raw, the pixels
// (height × width × 3 bytes, RGB).
func Regenerate(o RegenerateOptions) (*Regenerated, error) {
	if o.Manifest == "" || o.Out == "" {
		return nil, fmt.Errorf("regenerate needs a manifest and an output file")
	}
	if o.Distribution == "" {
		o.Distribution = string(shifts.Shifted)
	}
	if o.Split == "" {
		o.Split = "val"
	}
	if o.Codec == nil {
		o.Codec = imageio.DefaultCodec()
	}
	if _, err := os.Stat(o.Out); err == nil && !o.Force {
		return nil, fmt.Errorf("%s already exists; pass --force to overwrite it", o.Out)
	}
	m, err := manifests.ReadManifest(o.Manifest)
	if err != nil {
		return nil, err
	}
	if m.Format == "" {
		return nil, fmt.Errorf("%s describes an indexed dataset, whose images were not generated", o.Manifest)
	}
	recPath := filepath.Join(filepath.Dir(o.Manifest), m.Records.Name)
	recs, err := manifests.ReadRecordsFile(recPath)
	if err != nil {
		return nil, err
	}
	var rec *manifests.Record
	for _, r := range recs {
		if r.Index == o.Index && r.Split == o.Split && r.Distribution == o.Distribution {
			rec = r
			break
		}
	}
	if rec == nil {
		return nil, fmt.Errorf("%s has no %s record of split %s with index %d; pass --distribution, --split or --index of an image it holds", recPath, o.Distribution, o.Split, o.Index)
	}
	spec, err := shifts.Redraw(m.Shift.Spec, rec.Fields)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", recPath, err)
	}
	var styles *shifts.StyleSet
	if shifts.NeedStyles([]string{m.Shift.Spec}) {
		dir := o.StyleImages
		if dir == "" {
			dir = recordedStyles(m.Shift.Params)
		}
		if styles, err = LoadStyles(dir, m.Seed, 0, 0); err != nil {
			return nil, err
		}
	}
	sh, err := shifts.New(spec, shifts.Env{Seed: m.Seed, Classes: len(m.Classes), TintTableSize: o.TintTableSize, FrostTextures: o.FrostTextures,
		Styles: styles, LoadImage: func(p string) (*image.RGBA, error) { return imageio.Load(p, 0, 0) }})
	if err != nil {
		return nil, err
	}
	root := o.In
	if root == "" {
		root = string(m.Source)
	}
	res := &Regenerated{Record: rec, Spec: spec, Source: filepath.Join(root, filepath.FromSlash(rec.Source))}
	if m.Codec != "" && m.Codec != o.Codec.Name() {
		res.CodecNote = fmt.Sprintf("the dataset was written with codec %s, this build uses %s", m.Codec, o.Codec.Name())
	}
	// A plan of one output for the same per-image path as Run: the job's one folder
	// writes the record's path.
	opts := &Options{Seed: m.Seed, Preprocess: imageio.Preprocess(m.Preprocess), Format: imageio.Format(m.Format),
		Quality: m.Quality, Codec: o.Codec, Output: FolderOutput}
	if m.Output != nil {
		// What the container stores: FFCV's raw pixels, or the encoded image; and FFCV's
		// train resize.
		opts.Output, opts.FFCVImage = OutputKind(m.Output.Kind), m.Output.Image
		if opts.FFCVImage == FFCVRaw {
			opts.Format = imageio.JPEG // unused: no encoding
		}
	}
	if err := opts.Preprocess.Valid(); err != nil {
		return nil, fmt.Errorf("%s: %w", o.Manifest, err)
	}
	ps := &PlannedShift{Spec: spec, Shift: sh, folders: []folderPlan{{
		dist: shifts.Distribution(rec.Distribution), split: rec.Split,
		renamed: map[string]string{rec.Source: rec.Path},
	}}}
	ex := &execution{o: opts, plan: &Plan{Shifts: []*PlannedShift{ps}, format: opts.Format}}
	job := &Job{Split: rec.Split, Source: Source{Path: rec.Source, Index: rec.Index, Label: rec.Label}, Abs: res.Source}
	outs := ex.outputs(job)
	if len(outs) != 1 {
		return nil, fmt.Errorf("internal error: %d outputs for one record", len(outs))
	}
	skip, err := ex.render(job, outs, func(_ Output, data []byte, _, _ int) error {
		sum := sha256.Sum256(data)
		res.SHA256 = hex.EncodeToString(sum[:])
		return manifests.WriteFileAtomic(o.Out, data)
	})
	if err != nil {
		return nil, err
	}
	if skip != "" {
		return nil, fmt.Errorf("%s: %s (pass --in with the source root the dataset was made from)", res.Source, skip)
	}
	res.Match = res.SHA256 == rec.SHA256
	return res, nil
}

// recordedStyles is the --style-images value a style-image shift's recorded parameters
// name: the folder, or GeneratedStyles for "generated:SEED"; empty when they name none.
func recordedStyles(params []byte) string {
	var p struct {
		Styles struct {
			Source string `json:"source"`
		} `json:"styles"`
	}
	if json.Unmarshal(params, &p) != nil {
		return ""
	}
	if strings.HasPrefix(p.Styles.Source, "generated:") {
		return GeneratedStyles
	}
	return p.Styles.Source
}
