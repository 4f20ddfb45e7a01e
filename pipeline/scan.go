package pipeline

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/shiftgen/shiftgen/manifests"
)

// Extensions are the file extensions ImageFolder keeps (compared case-insensitively).
var Extensions = []string{".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp"}

// IsImageName reports whether name has one of Extensions, ignoring case.
func IsImageName(name string) bool {
	ext := strings.ToLower(filepath.Ext(name))
	for _, e := range Extensions {
		if ext == e {
			return true
		}
	}
	return false
}

// Source is one image of a split, in ImageFolder order.
type Source struct {
	// Path is the file's path relative to the split's root, with forward slashes
	// (e.g. "n01440764/x.JPEG").
	Path string
	// Index is the image's position in its split.
	Index int
	// Label is the class label (position of the class folder in sorted order).
	Label int
}

// Split is one split of a source dataset ("train" or "val").
type Split struct {
	// Name is "train" or "val".
	Name string
	// Dir is the split's root folder on disk.
	Dir string
	// Rel is Dir relative to the dataset root ("" when the root is the split).
	Rel     string
	Sources []Source
}

// Dataset is a scanned ImageFolder source: its classes and splits.
type Dataset struct {
	Root    string
	Classes []string
	Splits  []Split
	// Skipped lists entries that were seen but not used (symlinks not followed, loops,
	// unreadable folders), with reasons.
	Skipped []SkippedFile
}

// SkippedFile is an input that could not be used.
type SkippedFile struct {
	Split string
	// Path is relative to the split's root.
	Path   string
	Reason string
	// Class is set when the entry is at class level: a class folder that could not be
	// read, a link among the class folders that leads nowhere, or an image outside any
	// class folder. Labels may then differ from what the user expects, so callers warn
	// about these.
	Class bool
}

// ScanOptions controls Scan. The zero value follows no symlinks.
type ScanOptions struct {
	// FollowSymlinks follows symbolic links to folders and files inside class folders,
	// even outside the root (as torchvision does); loops are detected and skipped. When
	// false, such links are recorded as skipped. Class folders that are links to folders
	// are classes either way, as in ImageFolder.
	FollowSymlinks bool
}

// Scan reads root. If root holds "train" and/or "val" folders those are the splits;
// otherwise root itself is one split named "val". Classes, labels and indices follow
// torchvision ImageFolder, names sorted as Python sorts them (manifests.CompareNames)
// and kept byte-exact. Every split must have the same class folders.
func Scan(root string, opt ScanOptions) (*Dataset, error) {
	st, err := os.Stat(root)
	if err != nil {
		return nil, fmt.Errorf("scan %s: %w", root, err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("scan %s: not a folder; --in takes an ImageNet-style folder (root/<class>/<image> or root/{train,val}/<class>/<image>)", root)
	}
	ds := &Dataset{Root: root}
	var names []string
	for _, s := range []string{"train", "val"} {
		if fi, err := os.Stat(filepath.Join(root, s)); err == nil && fi.IsDir() {
			names = append(names, s)
		}
	}
	if len(names) == 0 {
		sp, classes, err := scanSplit(ds, "val", root, opt)
		if err != nil {
			return nil, err
		}
		ds.Classes = classes
		ds.Splits = []Split{sp}
	}
	for _, n := range names {
		sp, classes, err := scanSplit(ds, n, filepath.Join(root, n), opt)
		if err != nil {
			return nil, err
		}
		sp.Rel = n
		if ds.Classes == nil {
			ds.Classes = classes
		} else if !equal(ds.Classes, classes) {
			return nil, fmt.Errorf("scan %s: splits %s and %s have different class folders (%d vs %d); labels would not agree between them — make both hold the same class folders", root, ds.Splits[0].Name, n, len(ds.Classes), len(classes))
		}
		ds.Splits = append(ds.Splits, sp)
	}
	total := 0
	for _, s := range ds.Splits {
		total += len(s.Sources)
	}
	if len(ds.Classes) == 0 {
		return nil, fmt.Errorf("scan %s: no class folders found; --in takes root/<class>/<image> or root/{train,val}/<class>/<image>", root)
	}
	if total == 0 {
		return nil, fmt.Errorf("scan %s: no images found in %d class folders (extensions: %s)", root, len(ds.Classes), strings.Join(Extensions, " "))
	}
	return ds, nil
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Warn calls warn (when set) with one line for each entry skipped at class level.
func (ds *Dataset) Warn(warn func(string)) {
	if warn == nil {
		return
	}
	for _, sk := range ds.Skipped {
		if sk.Class {
			warn(fmt.Sprintf("warning: %s: skipped %s: %s", ds.Root, splitRel(ds, sk.Split, sk.Path), sk.Reason))
		}
	}
}

// Split returns the split called name, or nil.
func (ds *Dataset) Split(name string) *Split {
	for i := range ds.Splits {
		if ds.Splits[i].Name == name {
			return &ds.Splits[i]
		}
	}
	return nil
}

func scanSplit(ds *Dataset, name, dir string, opt ScanOptions) (Split, []string, error) {
	sp := Split{Name: name, Dir: dir}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return sp, nil, fmt.Errorf("scan %s: %w", dir, err)
	}
	// A class is every entry that is a folder or a link to one, as ImageFolder's
	// scandir(...).is_dir() has it; links inside class folders follow opt.
	var classes []string
	for _, e := range entries {
		if e.Type()&fs.ModeSymlink != 0 {
			fi, err := os.Stat(filepath.Join(dir, e.Name()))
			if err != nil {
				ds.Skipped = append(ds.Skipped, SkippedFile{Split: name, Path: e.Name(), Class: true,
					Reason: "class-level symbolic link leads nowhere (" + errText(err) + "); ImageFolder ignores it, so no class gets its name — fix or remove the link"})
				continue
			}
			if fi.IsDir() {
				classes = append(classes, e.Name())
			}
			continue
		}
		if e.IsDir() {
			classes = append(classes, e.Name())
		} else if IsImageName(e.Name()) {
			ds.Skipped = append(ds.Skipped, SkippedFile{Split: name, Path: e.Name(), Class: true,
				Reason: "image outside any class folder; ImageFolder reads images only inside <class>/ folders — move it into one"})
		}
	}
	sort.Slice(classes, func(i, j int) bool { return manifests.NameLess(classes[i], classes[j]) })
	for label, c := range classes {
		files, err := walkClass(ds, name, dir, c, opt)
		if err != nil {
			return sp, nil, err
		}
		for _, f := range files {
			sp.Sources = append(sp.Sources, Source{Path: f, Index: len(sp.Sources), Label: label})
		}
	}
	return sp, classes, nil
}

// walkClass lists a class folder's images as ImageFolder does: every folder below it
// (its own included) in sorted order of full path, as Python's sorted(os.walk(...)), and
// within each folder the file names sorted.
func walkClass(ds *Dataset, split, root, class string, opt ScanOptions) ([]string, error) {
	type dir struct {
		rel   string // relative to root, slash-separated
		files []string
	}
	var dirs []dir
	seen := map[string]bool{}
	var visit func(rel string) error
	visit = func(rel string) error {
		abs := filepath.Join(root, filepath.FromSlash(rel))
		if opt.FollowSymlinks {
			real, err := filepath.EvalSymlinks(abs)
			if err == nil {
				if seen[real] {
					ds.Skipped = append(ds.Skipped, SkippedFile{Split: split, Path: rel, Reason: "symbolic link loop; folder already visited"})
					return nil
				}
				seen[real] = true
			}
		}
		entries, err := os.ReadDir(abs)
		if err != nil {
			ds.Skipped = append(ds.Skipped, SkippedFile{Split: split, Path: rel, Class: rel == class, Reason: "cannot read folder: " + errText(err)})
			return nil
		}
		d := dir{rel: rel}
		var subs []string
		for _, e := range entries {
			childRel := rel + "/" + e.Name()
			mode := e.Type()
			if mode&fs.ModeSymlink != 0 {
				fi, err := os.Stat(filepath.Join(abs, e.Name()))
				if err != nil {
					if IsImageName(e.Name()) {
						ds.Skipped = append(ds.Skipped, SkippedFile{Split: split, Path: childRel, Reason: "broken symbolic link"})
					}
					continue
				}
				if !opt.FollowSymlinks {
					if fi.IsDir() || IsImageName(e.Name()) {
						ds.Skipped = append(ds.Skipped, SkippedFile{Split: split, Path: childRel, Reason: "symbolic link; not followed without --follow-symlinks"})
					}
					continue
				}
				mode = fi.Mode().Type()
			}
			switch {
			case mode.IsDir():
				subs = append(subs, childRel)
			case mode.IsRegular() && IsImageName(e.Name()):
				d.files = append(d.files, e.Name())
			}
		}
		sort.Slice(d.files, func(i, j int) bool { return manifests.NameLess(d.files[i], d.files[j]) })
		dirs = append(dirs, d)
		for _, s := range subs {
			if err := visit(s); err != nil {
				return err
			}
		}
		return nil
	}
	if err := visit(class); err != nil {
		return nil, err
	}
	sort.SliceStable(dirs, func(i, j int) bool { return manifests.NameLess(dirs[i].rel, dirs[j].rel) })
	var out []string
	for _, d := range dirs {
		for _, f := range d.files {
			out = append(out, d.rel+"/"+f)
		}
	}
	return out, nil
}

func errText(err error) string {
	if pe, ok := err.(*fs.PathError); ok {
		return pe.Err.Error()
	}
	return err.Error()
}
