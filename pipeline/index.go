package pipeline

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/shiftgen/shiftgen/pipeline/imageio"

	"github.com/shiftgen/shiftgen/manifests"
)

// IndexOptions configures Index. Zero values are documented per field; Index checks
// them once, before reading anything.
type IndexOptions struct {
	// In is the ImageFolder root to index (required): root/<class>/<image> or
	// root/{train,val}/<class>/<image>, scanned exactly as Scan does.
	In string
	// SourceName is what the manifest records as the source; empty means In.
	SourceName string
	// Out is the folder that receives manifest.json, records.jsonl and run.json
	// (required). It must not lie inside In, nor In inside it.
	Out string
	// Distribution is the records' distribution, "shifted" or "reference"; empty means
	// "shifted".
	Distribution string
	// Classes is the reference class list onto which the folder names are mapped (see
	// MapClasses); its order gives the labels and it becomes the manifest's class list.
	// Nil means the folder names themselves, labelled in sorted order as ImageFolder does.
	Classes []string
	// ClassesFrom names where Classes came from (a file); it is recorded in the
	// manifest's shift parameters. Empty when Classes is nil.
	ClassesFrom string
	// Workers is the number of files read and hashed concurrently (0: all cores, see
	// manifests.WorkerCount). The output does not depend on it.
	Workers int
	// MaxFileBytes refuses, before reading them, files larger than this many bytes
	// (they are skipped and recorded); 0 means imageio.DefaultMaxFileBytes.
	MaxFileBytes int64
	// Force replaces an existing, non-empty Out folder.
	Force bool
	// FollowSymlinks follows symbolic links in the source.
	FollowSymlinks bool
	// Progress, if set, is called from one goroutine after each image with the number of
	// images done and the total.
	Progress func(done, total int)
	// Warn, if set, receives warnings for people (entries skipped at class level).
	Warn func(msg string)
	// Command is recorded in run.json.
	Command string
}

// IndexParams are the parameters an indexed dataset's manifest records under
// shift.params.
type IndexParams struct {
	Distribution string `json:"distribution"`
	// Classes is the class list file given, empty when the folder names were used.
	Classes string `json:"classes"`
	// Paths says what records' paths are relative to: always "manifest-dir" (the folder
	// holding manifest.json; paths point at the original, untouched files).
	Paths string `json:"paths"`
}

// IndexResult summarises a finished Index.
type IndexResult struct {
	// Dir is the output folder, Manifest the manifest's path.
	Dir, Manifest string
	// Images is the number of records written, Skipped the number of inputs skipped.
	Images, Skipped int
	// Elapsed is the wall time.
	Elapsed time.Duration
}

func (o *IndexOptions) validate() error {
	if o.In == "" {
		return errors.New("no input folder given (--in)")
	}
	if o.Out == "" {
		return errors.New("no output folder given (--out)")
	}
	switch o.Distribution {
	case "":
		o.Distribution = "shifted"
	case "shifted", "reference":
	default:
		return fmt.Errorf("--distribution %q: want shifted or reference", o.Distribution)
	}
	if o.SourceName == "" {
		o.SourceName = o.In
	}
	o.Workers = manifests.WorkerCount(o.Workers)
	if o.MaxFileBytes < 0 {
		return fmt.Errorf("--max-file-bytes %d must be positive (0 means the default)", o.MaxFileBytes)
	}
	return manifests.CheckNesting(o.Out, "--out", []manifests.Input{{Flag: "--in", Path: o.In}})
}

// indexed is a worker's outcome for one image.
type indexed struct {
	w, h   int
	size   int64
	sha256 string
	skip   string // non-empty: unreadable, for this reason
}

// Index writes manifest.json, records.jsonl and run.json for an existing ImageFolder
// dataset without touching its images. Each record keeps the image's ImageFolder split,
// index and source path (relative to In); its label is the folder's position in
// o.Classes when a class list is given (else in the sorted folder names); its path is
// the original file's path relative to Out (such as "../../data/imagenet-v2/0/x.jpeg"),
// so that Out/path opens the image; width and height come from the file's header, size
// and sha256 from its bytes. Files whose header cannot be read are listed as skipped.
//
// Files are hashed by o.Workers goroutines and the results joined in index order, so the
// output is byte-identical whatever the worker count; at most a few files per worker
// are in memory at once. When ctx is cancelled Index stops promptly and leaves no file
// under a final name.
func Index(ctx context.Context, o IndexOptions) (*IndexResult, error) {
	start := time.Now()
	if err := o.validate(); err != nil {
		return nil, err
	}
	ds, err := Scan(o.In, ScanOptions{FollowSymlinks: o.FollowSymlinks})
	if err != nil {
		return nil, err
	}
	ds.Warn(o.Warn)
	classes := ds.Classes
	labels := make([]int, len(ds.Classes))
	for i := range labels {
		labels[i] = i
	}
	if o.Classes != nil {
		from := o.ClassesFrom
		if from == "" {
			from = "the class list"
		}
		if labels, err = MapClasses(ds.Classes, o.Classes, from); err != nil {
			return nil, fmt.Errorf("index %s: %w", o.In, err)
		}
		classes = o.Classes
	}
	w, err := manifests.Create(manifests.WriterOptions{Dir: o.Out, Inputs: []manifests.Input{{Flag: "--in", Path: o.In}}, Force: o.Force, Command: o.Command})
	if err != nil {
		return nil, err
	}
	defer w.Close()
	if err := w.Begin(); err != nil {
		return nil, err
	}
	// Resolved, so that relative paths computed from it hold on disk (".." from a
	// linked folder leaves its target).
	outAbs, err := manifests.Resolve(o.Out)
	if err != nil {
		return nil, err
	}
	ix := &indexRun{o: &o, ds: ds, classes: classes, labels: labels, outAbs: outAbs, w: w}
	if err := ix.run(ctx); err != nil {
		return nil, err
	}
	m, err := ix.manifest()
	if err != nil {
		return nil, err
	}
	mpath, err := w.Finish(m)
	if err != nil {
		return nil, err
	}
	n := m.Records.Count
	res := &IndexResult{Dir: o.Out, Manifest: mpath, Images: n, Skipped: len(m.Skipped), Elapsed: time.Since(start)}
	run := manifests.Run{
		Started: start.UTC().Format(time.RFC3339), Finished: time.Now().UTC().Format(time.RFC3339),
		Workers: o.Workers, Seconds: res.Elapsed.Seconds(), Images: n,
		PerSec: float64(n) / max(res.Elapsed.Seconds(), 1e-9), Codec: "none", Command: o.Command,
	}
	run.Host, _ = os.Hostname()
	if err := w.Done(&run); err != nil {
		return nil, err
	}
	return res, nil
}

// indexRun is the state of one Index between the scan and the manifest.
type indexRun struct {
	o       *IndexOptions
	ds      *Dataset
	classes []string
	labels  []int // labels[folder position] = label in classes
	outAbs  string
	w       *manifests.Writer
	counts  []manifests.Count
	skipped []manifests.Skip
	total   int
	done    int
}

// run reads and hashes every image on the ordered pool (o.Workers workers); this
// goroutine writes the records in index order, never by arrival (for determinism).
func (ix *indexRun) run(ctx context.Context) error {
	for _, sp := range ix.ds.Splits {
		ix.counts = append(ix.counts, manifests.Count{Distribution: ix.o.Distribution, Split: sp.Name, PerClass: make([]int, len(ix.classes))})
	}
	for _, sk := range ix.ds.Skipped {
		ix.skipped = append(ix.skipped, manifests.Skip{Split: sk.Split, Source: splitRel(ix.ds, sk.Split, sk.Path), Reason: sk.Reason})
	}
	// Image i of the pool is source i−offs[k] of split k, where offs[k] ≤ i < offs[k+1].
	offs := []int{0}
	for _, sp := range ix.ds.Splits {
		offs = append(offs, offs[len(offs)-1]+len(sp.Sources))
	}
	ix.total = offs[len(offs)-1]
	at := func(i int) (*Split, Source, string) {
		k := sort.SearchInts(offs, i+1) - 1
		sp := &ix.ds.Splits[k]
		src := sp.Sources[i-offs[k]]
		return sp, src, filepath.Join(sp.Dir, filepath.FromSlash(src.Path))
	}
	err := ordered(ctx, ix.total, ix.o.Workers,
		func(i int) (indexed, error) {
			_, _, abs := at(i)
			return indexFile(abs, ix.o.MaxFileBytes), nil
		},
		func(i int, r indexed) error {
			sp, src, abs := at(i)
			return ix.emit(sp.Name, src, abs, r)
		})
	if ctx.Err() != nil {
		return fmt.Errorf("stopped before the end: %w", ctx.Err())
	}
	return err
}

// indexFile reads one image's size from its header and hashes its bytes.
func indexFile(abs string, maxBytes int64) indexed {
	data, err := imageio.ReadFile(abs, maxBytes)
	if err != nil {
		return indexed{skip: "cannot read: " + errText(err)}
	}
	_, cfg, err := imageio.Config(data)
	if err != nil {
		return indexed{skip: err.Error()}
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return indexed{skip: fmt.Sprintf("image header declares an empty size %d×%d", cfg.Width, cfg.Height)}
	}
	sum := sha256.Sum256(data)
	return indexed{w: cfg.Width, h: cfg.Height, size: int64(len(data)), sha256: hex.EncodeToString(sum[:])}
}

// emit writes one image's record, in index order.
func (ix *indexRun) emit(split string, src Source, abs string, r indexed) error {
	ix.done++
	defer func() {
		if ix.o.Progress != nil {
			ix.o.Progress(ix.done, ix.total)
		}
	}()
	source := splitRel(ix.ds, split, src.Path)
	if r.skip != "" {
		ix.skipped = append(ix.skipped, manifests.Skip{Split: split, Source: source, Reason: r.skip})
		return nil
	}
	rel, err := relTo(ix.outAbs, abs)
	if err != nil {
		return err
	}
	label := ix.labels[src.Label]
	rec := &manifests.Record{
		Distribution: ix.o.Distribution, Split: split, Index: src.Index,
		Label: label, Class: ix.classes[label], Source: source, Path: rel,
		Width: r.w, Height: r.h, Size: r.size, SHA256: r.sha256,
	}
	if err := ix.w.Add(0, rec, nil); err != nil {
		return err
	}
	for i := range ix.counts {
		if ix.counts[i].Split == split {
			ix.counts[i].Images++
			ix.counts[i].PerClass[label]++
		}
	}
	return nil
}

// manifest builds the indexed dataset's manifest (the writer adds its records).
func (ix *indexRun) manifest() (*manifests.Manifest, error) {
	params, err := json.Marshal(IndexParams{Distribution: ix.o.Distribution, Classes: ix.o.ClassesFrom, Paths: "manifest-dir"})
	if err != nil {
		return nil, err
	}
	m := &manifests.Manifest{
		Schema:     manifests.SchemaVersion,
		Generator:  manifests.Generator{Name: "shiftgen", Version: Version},
		Shift:      manifests.Shift{Name: "index", Spec: "index", Kind: "natural", Params: params},
		Preprocess: "none",
		Source:     manifests.Name(ix.o.SourceName),
		Counts:     ix.counts,
		Skipped:    manifests.SortSkips(ix.skipped),
	}
	for i, c := range ix.classes {
		m.Classes = append(m.Classes, manifests.Class{Label: i, Name: c})
	}
	return m, nil
}

// relTo returns file's path relative to dir (an absolute, resolved folder) with forward
// slashes, or its absolute path when no relative path exists (another volume).
func relTo(dir, file string) (string, error) {
	abs, err := filepath.Abs(file)
	if err != nil {
		return "", err
	}
	// Resolve links in the file's folder (not in its name: a followed file link is
	// recorded where ImageFolder found it).
	if r, err := filepath.EvalSymlinks(filepath.Dir(abs)); err == nil {
		abs = filepath.Join(r, filepath.Base(abs))
	}
	rel, err := filepath.Rel(dir, abs)
	if err != nil {
		return filepath.ToSlash(abs), nil
	}
	return filepath.ToSlash(rel), nil
}

// MapClasses maps each class folder name onto a label of the reference class list ref:
// a folder named like a class of ref gets that class's label (ImageNet-R, ImageNet-Sketch:
// wnid folders); otherwise a folder named by a decimal number n < len(ref) gets label n
// (ImageNet-V2: folders "0".."999", which ImageFolder sorts as strings, "0", "1", "10",
// "100", ..., so the label must come from the name, not the sorted position). from names
// the class list in error messages. Two folders mapping to one class are refused.
func MapClasses(folders, ref []string, from string) ([]int, error) {
	byName := make(map[string]int, len(ref))
	for i, c := range ref {
		byName[c] = i
	}
	labels := make([]int, len(folders))
	owner := map[int]string{}
	for i, f := range folders {
		l, ok := byName[f]
		if !ok {
			n, err := strconv.Atoi(f)
			if err != nil || n < 0 || n >= len(ref) || strings.TrimLeft(f, "0123456789") != "" {
				return nil, fmt.Errorf("class folder %q is neither a class name of %s (like %q) nor a class number 0..%d; fix the folder name or pass the class list the dataset was made for", f, from, ref[0], len(ref)-1)
			}
			l = n
		}
		if prev, dup := owner[l]; dup {
			return nil, fmt.Errorf("class folders %q and %q both map to class %d (%s) of %s; a class can have one folder only", prev, f, l, ref[l], from)
		}
		owner[l] = f
		labels[i] = l
	}
	return labels, nil
}

// ReadClassList reads a reference class list from path: a manifest.json (its classes, so
// that labels agree with that dataset's), a JSON object mapping label numbers to
// [wnid, name] pairs (torchvision's imagenet_class_index.json), or a text file with one
// class per line whose first field is the class name (so "n01440764 tench, Tinca tinca"
// lines work); blank lines and lines starting with '#' are ignored. Names must be unique.
func ReadClassList(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--classes: %w", err)
	}
	var names []string
	if trimmed := bytes.TrimSpace(data); len(trimmed) > 0 && trimmed[0] == '{' {
		names, err = classesJSON(data)
		if err != nil {
			return nil, fmt.Errorf("--classes %s: %w", path, err)
		}
	} else {
		for i, line := range strings.Split(string(data), "\n") {
			line = strings.TrimSpace(line)
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			name := strings.Fields(line)[0]
			if strings.ContainsAny(name, "/\\") {
				return nil, fmt.Errorf("--classes %s:%d: class name %q contains a slash; give one class name (such as a wnid) per line", path, i+1, name)
			}
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("--classes %s: no class names found; give one class name (such as a wnid) per line, or a manifest.json", path)
	}
	seen := map[string]int{}
	for i, n := range names {
		if j, dup := seen[n]; dup {
			return nil, fmt.Errorf("--classes %s: class %q is listed twice (entries %d and %d); each class once", path, n, j, i)
		}
		seen[n] = i
	}
	return names, nil
}

// classesJSON reads a manifest's class list or an imagenet_class_index.json map.
func classesJSON(data []byte) ([]string, error) {
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, fmt.Errorf("not valid JSON: %w", err)
	}
	if _, ok := probe["schema_version"]; ok {
		m, err := manifests.ParseManifest(data)
		if err != nil {
			return nil, err
		}
		return m.ClassNames(), nil
	}
	var idx map[string][]string
	if err := json.Unmarshal(data, &idx); err != nil {
		return nil, errors.New(`neither a shiftgen manifest nor a class index {"0": ["n01440764", "tench"], ...}`)
	}
	names := make([]string, len(idx))
	for k, v := range idx {
		n, err := strconv.Atoi(k)
		if err != nil || n < 0 || n >= len(idx) || len(v) == 0 || v[0] == "" {
			return nil, fmt.Errorf(`class index entry %q: keys must be the labels 0..%d, values ["wnid", "name"]`, k, len(idx)-1)
		}
		names[n] = v[0]
	}
	return names, nil
}
