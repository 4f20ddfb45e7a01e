package eval

import (
	"context"
	"fmt"
	"hash/fnv"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/shiftgen/shiftgen/manifests"
)

// Distribution indices of an image.
const (
	distRef   = 0
	distShift = 1
)

var distNames = [2]string{"reference", "shifted"}

// imageRec is one record of the evaluated split, as much of it as scoring needs.
type imageRec struct {
	dist  uint8
	label int32
	index int
	path  string
}

// Dataset is a generated dataset's manifest with the records of one split, indexed for
// looking predictions up. It is read-only once loaded and safe for concurrent use.
type Dataset struct {
	// Manifest is the dataset's manifest; Dir the folder holding it.
	Manifest *manifests.Manifest
	Dir      string
	// Split is the split evaluated ("val" for generated datasets).
	Split string
	// By lists the record fields whose values were indexed for subsets.
	By []string

	manifestPath string
	recordsPath  string
	images       []imageRec
	byPath       map[string]int32
	byIndex      [2]map[int]int32
	// packed is set when the images sit in containers (FFCV, WebDataset): paths are
	// then the records' locators, and bySample finds an image by its position in its
	// distribution's container order.
	packed   bool
	bySample [2]map[int64]int32
	// other holds FNV-64a hashes of the paths of records of other splits, so that
	// predictions for them are recognised and ignored rather than refused.
	other map[uint64]struct{}
	// byVal[f][i] is the value id of field By[f] for image i (-1: field absent);
	// byNames[f] are the values' names by id.
	byVal   [][]int32
	byNames [][]string
	classID map[string]int32
	// fields lists the sampled fields the evaluated records have.
	fields map[string]bool
	// refOnly marks a dataset loaded as a reference for others: only its reference
	// images (or, without any, all its images) are kept.
	refOnly bool
	// rootOrder[d] lists distribution d's images in ImageFolder order (see npyOrder),
	// computed once, when a .npy file needs it.
	rootOnce  sync.Once
	rootOrder [2][]int32
}

// LoadDataset reads the manifest at manifestPath and streams its records, keeping the
// records of split (e.g. "val") and the values of the record fields named in by. The
// records file must hold the count and have the SHA-256 the manifest gives. workers
// goroutines decode records (0: all cores, see manifests.WorkerCount).
func LoadDataset(ctx context.Context, manifestPath, split string, by []string, workers int) (*Dataset, error) {
	return loadDataset(ctx, manifestPath, loadOptions{split: split, by: by, workers: workers})
}

// loadRole says which records of a dataset are scored.
type loadRole int

const (
	// roleBoth: the reference and the shifted images of the split, both required.
	roleBoth loadRole = iota
	// roleScored: the shifted images of the split (required) and the reference images if
	// any; a reference from elsewhere stands in for missing ones.
	roleScored
	// roleReference: the reference images of the split only, or every image of the split
	// when the dataset has no reference image (an index of clean images); the other
	// records are known, so that predictions for them are ignored.
	roleReference
)

// loadOptions configure loadDataset.
type loadOptions struct {
	split   string
	by      []string
	workers int
	role    loadRole
	// lenientBy accepts a --by field that no record has (a dataset of a catalogue that
	// lacks it, or a reference); single-dataset runs refuse it.
	lenientBy bool
}

// hasImages reports whether m counts images of distribution dist in split.
func hasImages(m *manifests.Manifest, dist, split string) bool {
	for _, c := range m.Counts {
		if c.Distribution == dist && c.Split == split && c.Images > 0 {
			return true
		}
	}
	return false
}

func loadDataset(ctx context.Context, manifestPath string, o loadOptions) (*Dataset, error) {
	split, by := o.split, o.by
	m, err := manifests.ReadManifest(manifestPath)
	if err != nil {
		return nil, err
	}
	dir := filepath.Dir(manifestPath)
	d := &Dataset{
		Manifest:     m,
		Dir:          dir,
		Split:        split,
		By:           by,
		manifestPath: manifestPath,
		recordsPath:  filepath.Join(dir, m.Records.Name),
		byPath:       map[string]int32{},
		byIndex:      [2]map[int]int32{{}, {}},
		packed:       m.Output != nil,
		bySample:     [2]map[int64]int32{{}, {}},
		other:        map[uint64]struct{}{},
		byVal:        make([][]int32, len(by)),
		byNames:      make([][]string, len(by)),
		classID:      map[string]int32{},
		fields:       map[string]bool{},
	}
	// keepAll: a reference without reference images (an index of clean images) is
	// scored whole.
	keepAll := o.role == roleReference && !hasImages(m, "reference", split)
	d.refOnly = o.role == roleReference
	for _, c := range m.Classes {
		d.classID[c.Name] = int32(c.Label)
	}
	valID := make([]map[string]int32, len(by))
	for i := range valID {
		valID[i] = map[string]int32{}
	}
	fields, nums, err := parseByFields(by)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(d.recordsPath)
	if err != nil {
		return nil, fmt.Errorf("%s: %w (the manifest names %s as its records file)", d.recordsPath, err, m.Records.Name)
	}
	defer f.Close()
	line := 0
	// Without --by only the fields scoring needs are decoded.
	ro := manifests.ReadOptions{Workers: o.workers, Light: len(by) == 0, Want: &m.Records}
	err = manifests.ReadRecords(ctx, f, d.recordsPath, ro, func(r *manifests.Record) error {
		line++
		if r.Label < 0 || r.Label >= len(m.Classes) {
			return fmt.Errorf("%s:%d: label %d is out of range: the manifest has %d classes (0..%d)", d.recordsPath, line, r.Label, len(m.Classes), len(m.Classes)-1)
		}
		p := cleanPath(r.Path)
		if r.In != nil {
			p = r.Locator()
		}
		if (r.In != nil) != d.packed {
			return fmt.Errorf("%s:%d: record %s is %s a container, but the manifest says the images are %s", d.recordsPath, line, r.Locator(), map[bool]string{true: "inside", false: "not inside"}[r.In != nil], map[bool]string{true: "in containers", false: "image files"}[d.packed])
		}
		if r.Split != split || (d.refOnly && !keepAll && r.Distribution != "reference") {
			h := fnv.New64a()
			h.Write([]byte(p))
			d.other[h.Sum64()] = struct{}{}
			return nil
		}
		dist := uint8(distRef)
		if r.Distribution == "shifted" {
			dist = distShift
		}
		id := int32(len(d.images))
		if _, dup := d.byPath[p]; dup {
			return fmt.Errorf("%s:%d: path %s appears twice; regenerate the dataset", d.recordsPath, line, r.Path)
		}
		d.byPath[p] = id
		d.byIndex[dist][r.Index] = id
		if r.In != nil {
			d.bySample[dist][r.In.Sample] = id
		}
		d.images = append(d.images, imageRec{dist: dist, label: int32(r.Label), index: r.Index, path: p})
		for k := range r.Fields {
			d.fields[k] = true
		}
		for fi, bf := range fields {
			v, ok := r.Field(bf.name)
			if bf.bins > 0 {
				x, err := binValue(v, ok)
				if err != nil {
					return fmt.Errorf("%s:%d: --by %s: field %s %w", d.recordsPath, line, by[fi], bf.name, err)
				}
				nums[fi] = append(nums[fi], x)
				continue
			}
			vid := int32(-1)
			if ok {
				var seen bool
				vid, seen = valID[fi][v]
				if !seen {
					vid = int32(len(d.byNames[fi]))
					valID[fi][v] = vid
					d.byNames[fi] = append(d.byNames[fi], v)
				}
			}
			d.byVal[fi] = append(d.byVal[fi], vid)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(d.images) == 0 {
		return nil, fmt.Errorf("%s: no record of split %q; pass --split with a split the dataset holds", d.recordsPath, split)
	}
	var n [2]int
	for _, im := range d.images {
		n[im.dist]++
	}
	switch o.role {
	case roleBoth:
		for i, c := range n {
			if c == 0 {
				hint := ""
				if i == distRef {
					hint = "; a dataset without reference images (such as one written with --layout imagenet-c) needs --reference with a dataset that holds them"
				}
				return nil, fmt.Errorf("%s: no %s record of split %q, so there is nothing to compare; pass --split with a split both distributions hold%s", d.recordsPath, distNames[i], split, hint)
			}
		}
	case roleScored:
		if n[distShift] == 0 {
			return nil, fmt.Errorf("%s: no shifted record of split %q, so there is nothing to score; pass --split with a split the shifted distribution holds, or give this dataset as --reference", d.recordsPath, split)
		}
	}
	d.binValues(fields, nums)
	for fi, name := range by {
		if len(d.byNames[fi]) == 0 && !o.lenientBy {
			return nil, fmt.Errorf("--by %s: no record of split %q has a field %q; the records have %s", name, split, fields[fi].name, strings.Join(d.fieldNames(), ", "))
		}
	}
	return d, nil
}

// KeepRates reports whether m records per-class keep rates (Count.Rates): the dataset
// was made by a shift that keeps a fraction of each class's images, such as
// label-shift, so its class proportions are the shift itself. Eval does not class-match
// such a dataset's reference (see KeepRatesRule).
func KeepRates(m *manifests.Manifest) bool {
	for _, c := range m.Counts {
		if len(c.Rates) > 0 {
			return true
		}
	}
	return false
}

// fieldNames lists the field names --by accepts, for error messages.
func (d *Dataset) fieldNames() []string {
	return append([]string{"distribution", "split", "index", "label", "class", "source", "path"}, sortedKeys(d.fields)...)
}

// cleanPath normalises a dataset-relative path: forward slashes, no "./".
func cleanPath(p string) string {
	if strings.ContainsRune(p, '\\') {
		p = strings.ReplaceAll(p, "\\", "/")
	}
	if strings.HasPrefix(p, "./") || strings.Contains(p, "//") || strings.Contains(p, "/./") || strings.Contains(p, "/../") {
		p = path.Clean(p)
	}
	return p
}

// npyOrder lists each distribution's images of the evaluated split in the order in which
// torchvision's ImageFolder enumerates the folder DIST/SPLIT: class folder by name, then
// folders in sorted order of their path, then file names sorted (in Python's order of
// names, manifests.CompareNames). A path that does not start with DIST/SPLIT/ is taken
// relative to that root as it is. For images in containers it is the container order,
// the order a loader loop reads the .beton or the shards in: by sample.
func (d *Dataset) npyOrder() [2][]int32 {
	if d.packed {
		var out [2][]int32
		for di := range out {
			out[di] = make([]int32, len(d.bySample[di]))
			for n, id := range d.bySample[di] {
				if n >= int64(len(out[di])) {
					return d.folderOrder() // positions with gaps: refused by readNPY's count
				}
				out[di][n] = id
			}
		}
		return out
	}
	return d.folderOrder()
}

// folderOrder is npyOrder for image files.
func (d *Dataset) folderOrder() [2][]int32 {
	type key struct {
		class, dir, file string
		id               int32
	}
	var keys [2][]key
	for i, im := range d.images {
		p := strings.TrimPrefix(im.path, distNames[im.dist]+"/"+d.Split+"/")
		class, _, _ := strings.Cut(p, "/")
		dir, file := path.Split(p)
		keys[im.dist] = append(keys[im.dist], key{class: class, dir: strings.TrimSuffix(dir, "/"), file: file, id: int32(i)})
	}
	var out [2][]int32
	for di := range keys {
		k := keys[di]
		sort.SliceStable(k, func(i, j int) bool {
			if k[i].class != k[j].class {
				return manifests.NameLess(k[i].class, k[j].class)
			}
			if k[i].dir != k[j].dir {
				return manifests.NameLess(k[i].dir, k[j].dir)
			}
			return manifests.NameLess(k[i].file, k[j].file)
		})
		out[di] = make([]int32, len(k))
		for i := range k {
			out[di][i] = k[i].id
		}
	}
	return out
}

// sortValues returns the ids of names in order: numerically when every name is a
// number (or a bin's range, by its lower edge), else by string.
func sortValues(names []string) []int {
	ids := make([]int, len(names))
	nums := make([]float64, len(names))
	numeric := true
	for i, n := range names {
		ids[i] = i
		x, err := sortNumber(n)
		if err != nil {
			numeric = false
		}
		nums[i] = x
	}
	sort.Slice(ids, func(a, b int) bool {
		if numeric && nums[ids[a]] != nums[ids[b]] {
			return nums[ids[a]] < nums[ids[b]]
		}
		return names[ids[a]] < names[ids[b]]
	})
	return ids
}
