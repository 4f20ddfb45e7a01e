package manifests

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"
)

// SchemaVersion is the version of the manifest and records format this package writes.
// Readers refuse other versions.
const SchemaVersion = 1

// File names inside a dataset folder.
const (
	ManifestFile = "manifest.json"
	RecordsFile  = "records.jsonl"
	RunFile      = "run.json"
)

// Manifest describes one dataset: what made it, from what, and how many images it holds.
type Manifest struct {
	// Schema is SchemaVersion.
	Schema    int       `json:"schema_version"`
	Generator Generator `json:"generator"`
	Shift     Shift     `json:"shift"`
	// Seed keys every random choice.
	Seed int64 `json:"seed"`
	// Preprocess names the preprocessing ("paper", "none", ...).
	Preprocess string `json:"preprocess"`
	// Format is the image format written ("jpeg" or "png"; "raw" for FFCV's raw
	// pixels); empty for indexed datasets.
	Format string `json:"format,omitempty"`
	// Quality is the JPEG quality (0 for PNG).
	Quality int `json:"quality,omitempty"`
	// Codec names the codec that wrote the images.
	Codec string `json:"codec,omitempty"`
	// Source is the source root as given on the command line.
	Source  Name    `json:"source"`
	Classes []Class `json:"classes"`
	// Counts has one entry per distribution × split, reference first, splits sorted.
	Counts  []Count `json:"counts"`
	Records FileRef `json:"records"`
	Skipped []Skip  `json:"skipped"`
	// Warnings are what a user of the dataset should know, each a sentence: class
	// folders a shift left empty (see EmptyClassWarnings). Absent when there is none.
	Warnings []string `json:"warnings,omitempty"`
	Extra    Extra    `json:"extra,omitempty"`
	Shard    *ShardOf `json:"shard,omitempty"`
	// Output says how images are stored when they are packed in container files; nil
	// for a folder of image files (the default output, whose manifest has no such key).
	Output *Output `json:"output,omitempty"`
}

// Output describes the container files of a dataset whose images are packed.
type Output struct {
	// Kind is "ffcv" (one .beton per distribution × split) or "webdataset" (tar shards).
	Kind string `json:"kind"`
	// Image is what an FFCV sample's image field holds: "raw" (pixels) or "jpg".
	Image string `json:"image,omitempty"`
	// PageSize is the .beton files' page size (FFCV).
	PageSize int64 `json:"page_size,omitempty"`
	// ShardImages is the number of samples per tar shard, the last one fewer
	// (WebDataset).
	ShardImages int `json:"shard_images,omitempty"`
	// Shared maps each folder ("reference/val") whose images another dataset of the same
	// run holds, byte for byte, to that dataset's folder relative to this one
	// ("../vflip"): the records of that folder name the other dataset's containers.
	Shared map[string]string `json:"shared,omitempty"`
	// Containers lists the container files, in record order: this dataset's own with
	// their size and SHA-256, and those of another dataset it shares (a path starting
	// with "../", checked by that dataset's manifest) without. A shard's manifest lists
	// none.
	Containers []Container `json:"containers"`
}

// Container is one container file of a dataset.
type Container struct {
	// Path is the file, relative to the dataset folder.
	Path string `json:"path"`
	// Folder is the distribution and split whose images it holds ("reference/val").
	Folder string `json:"folder"`
	// Images is the number of samples in the file.
	Images int `json:"images"`
	// Size and SHA256 describe the whole file; absent for a shared file.
	Size   int64  `json:"size,omitempty"`
	SHA256 string `json:"sha256,omitempty"`
}

// Own reports whether the container belongs to this dataset (not shared from another).
func (c Container) Own() bool { return !strings.HasPrefix(c.Path, "../") }

// Extra holds optional, shift-specific summary values, keyed by name.
type Extra map[string]any

// Generator names the program that wrote a manifest.
type Generator struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Shift records the shift that made the dataset.
type Shift struct {
	// Name is the registry name, e.g. "spurious-tint"; "index" for indexed datasets.
	Name string `json:"name"`
	// Spec is the --shift spec as given, e.g. "spurious-tint:p=0.7".
	Spec string `json:"spec"`
	// Kind is "in-support", "out-of-support" or "natural".
	Kind string `json:"kind"`
	// Params are every parameter's value, defaults included.
	Params json.RawMessage `json:"params"`
}

// Class is one class of the dataset.
type Class struct {
	Label int    `json:"label"`
	Name  string `json:"name"`
}

// Count counts the images of one distribution and split.
type Count struct {
	Distribution string `json:"distribution"`
	Split        string `json:"split"`
	Images       int    `json:"images"`
	// PerClass[label] is the number of images of that class.
	PerClass []int `json:"per_class"`
	// Rates[label] is the fraction of the class's source images kept (label shift).
	Rates []float64 `json:"rates,omitempty"`
	// Stats counts images by what happened to them (e.g. "own_tint", "applied").
	Stats map[string]int `json:"stats,omitempty"`
}

// FileRef names a file beside the manifest with its record count and SHA-256.
type FileRef struct {
	Name   string `json:"name"`
	Count  int    `json:"count"`
	SHA256 string `json:"sha256"`
}

// MarshalJSON writes the class with its name in the JSON form of Name.
func (c Class) MarshalJSON() ([]byte, error) {
	return marshalNoEscape(struct {
		Label int  `json:"label"`
		Name  Name `json:"name"`
	}{c.Label, Name(c.Name)})
}

// UnmarshalJSON reads a class, refusing unknown fields.
func (c *Class) UnmarshalJSON(data []byte) error {
	var v struct {
		Label int  `json:"label"`
		Name  Name `json:"name"`
	}
	if err := strictUnmarshal(data, &v); err != nil {
		return err
	}
	c.Label, c.Name = v.Label, string(v.Name)
	return nil
}

// Skip is one input that could not be used.
type Skip struct {
	Split  string `json:"split"`
	Source string `json:"source"`
	Reason string `json:"reason"`
}

// skipJSON is Skip's JSON form, with the source in the JSON form of Name.
type skipJSON struct {
	Split  string `json:"split"`
	Source Name   `json:"source"`
	Reason string `json:"reason"`
}

// MarshalJSON writes the skip with its source in the JSON form of Name.
func (s Skip) MarshalJSON() ([]byte, error) {
	return marshalNoEscape(skipJSON{s.Split, Name(s.Source), s.Reason})
}

// UnmarshalJSON reads a skip, refusing unknown fields.
func (s *Skip) UnmarshalJSON(data []byte) error {
	var v skipJSON
	if err := strictUnmarshal(data, &v); err != nil {
		return err
	}
	*s = Skip{Split: v.Split, Source: string(v.Source), Reason: v.Reason}
	return nil
}

// strictUnmarshal decodes data into v, refusing unknown fields.
func strictUnmarshal(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// ShardOf marks a shard manifest: shard Index (1-based) of Count.
type ShardOf struct {
	Index int `json:"index"`
	Count int `json:"count"`
}

// Marshal renders m as indented JSON with a final newline. The output is deterministic.
func (m *Manifest) Marshal() ([]byte, error) { return marshalIndent(m) }

// Validate checks m for the fields every reader relies on.
func (m *Manifest) Validate() error {
	if m.Schema != SchemaVersion {
		return fmt.Errorf("schema_version %d is not supported (this shiftgen reads version %d); regenerate the dataset or upgrade shiftgen", m.Schema, SchemaVersion)
	}
	if m.Shift.Name == "" {
		return fmt.Errorf("shift.name is missing")
	}
	if len(m.Classes) == 0 {
		return fmt.Errorf("classes is empty")
	}
	for i, c := range m.Classes {
		if c.Label != i {
			return fmt.Errorf("classes[%d] has label %d; labels must be 0..%d in order", i, c.Label, len(m.Classes)-1)
		}
	}
	if m.Records.Name == "" {
		return fmt.Errorf("records.name is missing")
	}
	if n := m.Records.Name; strings.ContainsAny(n, "/\\\x00") || n == "." || n == ".." {
		return fmt.Errorf("records.name %q is not a file name beside the manifest", n)
	}
	total := 0
	for _, c := range m.Counts {
		if c.Distribution == "" || c.Split == "" {
			return fmt.Errorf("a count has no distribution or split")
		}
		if len(c.PerClass) != len(m.Classes) {
			return fmt.Errorf("counts for %s/%s have %d per-class entries for %d classes", c.Distribution, c.Split, len(c.PerClass), len(m.Classes))
		}
		sum := 0
		for _, n := range c.PerClass {
			sum += n
		}
		if sum != c.Images {
			return fmt.Errorf("counts for %s/%s: per-class counts add up to %d, not %d", c.Distribution, c.Split, sum, c.Images)
		}
		total += c.Images
	}
	if total != m.Records.Count {
		return fmt.Errorf("counts add up to %d images but records.count is %d", total, m.Records.Count)
	}
	return m.Output.validate(m.Counts, m.Shard != nil)
}

// validate checks the output's kind and, unless shard (whose manifest lists no
// containers), that its containers hold each folder's counted images.
func (o *Output) validate(counts []Count, shard bool) error {
	if o == nil {
		return nil
	}
	if o.Kind != "ffcv" && o.Kind != "webdataset" {
		return fmt.Errorf("output.kind %q is not ffcv or webdataset", o.Kind)
	}
	held := map[string]int{}
	for _, c := range o.Containers {
		if c.Path == "" || c.Images < 0 {
			return fmt.Errorf("output.containers: an entry has no path or a negative image count")
		}
		held[c.Folder] += c.Images
	}
	if shard {
		return nil
	}
	for _, c := range counts {
		f := c.Distribution + "/" + c.Split
		if held[f] != c.Images {
			return fmt.Errorf("output.containers hold %d images of %s, but the counts say %d", held[f], f, c.Images)
		}
		delete(held, f)
	}
	for f := range held {
		return fmt.Errorf("output.containers name the folder %s, which the counts do not have", f)
	}
	return nil
}

// ParseManifest decodes and validates a manifest. Unknown fields are refused so that a
// typo or a newer format does not pass silently.
func ParseManifest(data []byte) (*Manifest, error) {
	var m Manifest
	if err := strictUnmarshal(data, &m); err != nil {
		return nil, err
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return &m, nil
}

// ReadManifest reads and validates the manifest at path.
func ReadManifest(path string) (*Manifest, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("manifests: %w", err)
	}
	m, err := ParseManifest(data)
	if err != nil {
		return nil, fmt.Errorf("manifests: %s: %w", path, err)
	}
	return m, nil
}

// EmptyClassWarnings returns a warning for each distribution and split (in Counts
// order) that has no image of some class: generate writes every class folder in every
// split, so those folders are empty, and torchvision's ImageFolder (DatasetFolder)
// refuses a root with an empty class folder.
func (m *Manifest) EmptyClassWarnings() []string {
	var out []string
	for _, c := range m.Counts {
		var empty []string
		for l, n := range c.PerClass {
			if n == 0 && l < len(m.Classes) {
				empty = append(empty, m.Classes[l].Name)
			}
		}
		if len(empty) == 0 {
			continue
		}
		list := strings.Join(empty, ", ")
		if len(empty) > 5 {
			list = fmt.Sprintf("%s and %d more", strings.Join(empty[:5], ", "), len(empty)-5)
		}
		out = append(out, fmt.Sprintf("%s %s: %d of the %d class folders are empty (%s); torchvision's ImageFolder and DatasetFolder refuse a folder with an empty class (FileNotFoundError in 0.14; later releases accept it with allow_empty=True)",
			c.Distribution, c.Split, len(empty), len(m.Classes), list))
	}
	return out
}

// ClassNames returns the class names in label order.
func (m *Manifest) ClassNames() []string {
	n := make([]string, len(m.Classes))
	for i, c := range m.Classes {
		n[i] = c.Name
	}
	return n
}
