package pipeline

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/shiftgen/shiftgen/manifests"
)

// VerifyReport is what Verify found. A dataset is intact when OK reports true.
type VerifyReport struct {
	Dir     string
	Records int
	// Checked says how files were compared: "sha256" or "size".
	Checked string
	// Missing, Changed and Extra list files relative to Dir, sorted.
	Missing, Changed, Extra []string
	// Problems are inconsistencies of the manifest, records or counts, and record paths
	// Verify refused to follow.
	Problems []string
}

// OK reports whether nothing is missing, changed, extra or inconsistent.
func (r *VerifyReport) OK() bool {
	return len(r.Missing)+len(r.Changed)+len(r.Extra)+len(r.Problems) == 0
}

// VerifyOptions configures Verify. The zero value re-hashes every file and confines
// every file Verify opens to the dataset folder.
type VerifyOptions struct {
	// Quick compares sizes only, without re-hashing.
	Quick bool
	// Images is the folder an indexed dataset's records point into (the folder given to
	// `index --in`); records may then name files inside it as well as inside the dataset
	// folder. Empty: records may name files inside the dataset folder only.
	Images string
	// Progress, if set, is called under a lock as files are checked.
	Progress func(done, total int)
}

// maxManifest is the largest manifest.json Verify reads (bytes).
const maxManifest = 256 << 20

// Verify checks a dataset folder against its manifest: the records file's SHA-256 and
// count, the schema of every record, the per-split and per-class counts, that every
// record's file exists as a regular file with its recorded size and SHA-256 (size only
// when o.Quick), that no two records name one file, and that no other file is there.
//
// It trusts nothing it reads. Every file is opened through an os.Root of the dataset
// folder (or of o.Images), so nothing outside them is opened: a record path that is
// absolute, not in clean form or leads out of the folder is reported without being
// looked at (the report does not say whether such a file exists), and so is a file
// replaced by a symbolic link. The manifest's kind changes no check. Errors are returned
// only when the dataset folder or its manifest cannot be read; everything else goes
// into the report.
func Verify(ctx context.Context, dir string, o VerifyOptions) (*VerifyReport, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("verify %s: %w", dir, err)
	}
	defer root.Close()
	mb, err := readRegular(root, manifests.ManifestFile, maxManifest)
	if err != nil {
		return nil, fmt.Errorf("verify %s: %s: %w", dir, manifests.ManifestFile, err)
	}
	m, err := manifests.ParseManifest(mb)
	if err != nil {
		return nil, fmt.Errorf("manifests: %s: %w", filepath.Join(dir, manifests.ManifestFile), err)
	}
	v := &verifier{rep: &VerifyReport{Dir: dir, Checked: "sha256"}, data: root, out: m.Output}
	if m.Output != nil && len(m.Output.Shared) > 0 {
		// Shared containers sit in sibling dataset folders: they are opened through a
		// root of the parent folder, and only under the names the manifest shares.
		if real, err := filepath.EvalSymlinks(dir); err == nil {
			if v.parent, err = os.OpenRoot(filepath.Dir(real)); err == nil {
				v.parentBase = filepath.Base(real)
				defer v.parent.Close()
			}
		}
	}
	if o.Quick {
		v.rep.Checked = "size"
	}
	if o.Images != "" {
		if v.images, err = os.OpenRoot(o.Images); err != nil {
			return nil, fmt.Errorf("verify --images: %w", err)
		}
		defer v.images.Close()
		if v.dirReal, err = manifests.Resolve(dir); err == nil {
			v.imagesReal, err = manifests.Resolve(o.Images)
		}
		if err != nil {
			return nil, fmt.Errorf("verify: %w", err)
		}
	}
	rep := v.rep
	sum, err := rootSHA256(root, m.Records.Name)
	if err != nil {
		rep.Problems = append(rep.Problems, fmt.Sprintf("%s: %v", m.Records.Name, err))
		return rep, nil
	}
	if sum != m.Records.SHA256 {
		rep.Problems = append(rep.Problems, fmt.Sprintf("%s has SHA-256 %s but the manifest says %s", m.Records.Name, sum, m.Records.SHA256))
	}
	var recs []*manifests.Record
	f, err := root.Open(m.Records.Name)
	if err == nil {
		err = manifests.ReadRecords(ctx, f, filepath.Join(dir, m.Records.Name), manifests.ReadOptions{Workers: 1}, func(r *manifests.Record) error {
			recs = append(recs, r)
			return nil
		})
		f.Close()
	}
	if err != nil {
		rep.Problems = append(rep.Problems, err.Error())
		return rep, nil
	}
	rep.Records = len(recs)
	if len(recs) != m.Records.Count {
		rep.Problems = append(rep.Problems, fmt.Sprintf("%s holds %d records but the manifest says %d", m.Records.Name, len(recs), m.Records.Count))
	}
	counts := map[string][]int{}
	for _, c := range m.Counts {
		counts[c.Distribution+"/"+c.Split] = make([]int, len(m.Classes))
	}
	own := map[string]bool{manifests.ManifestFile: true, m.Records.Name: true, manifests.RunFile: true}
	listed := map[string]bool{} // the containers, own and shared
	if m.Output != nil {
		for _, c := range m.Output.Containers {
			listed[c.Path] = true
			if c.Own() {
				own[c.Path] = true
			}
		}
	}
	known := map[string]bool{}   // dataset-folder files the records name
	named := map[string]string{} // located file (and sample) -> the first record naming it
	targets := make([]target, len(recs))
	for i, r := range recs {
		key := r.Distribution + "/" + r.Split
		if _, ok := counts[key]; !ok {
			rep.Problems = append(rep.Problems, fmt.Sprintf("record %s is in %s, which the manifest does not count", r.Path, key))
			continue
		}
		if r.Label >= len(m.Classes) || m.Classes[r.Label].Name != r.Class {
			rep.Problems = append(rep.Problems, fmt.Sprintf("record %s has label %d and class %q, which the manifest's classes do not match", r.Path, r.Label, r.Class))
			continue
		}
		counts[key][r.Label]++
		t, problem := v.locate(r)
		switch {
		case problem != "":
		case t.root == root && (t.name == manifests.ManifestFile || t.name == m.Records.Name || t.name == manifests.RunFile || t.name == WorkDir || strings.HasPrefix(t.name, WorkDir+"/")):
			problem = "names one of the dataset's own files, not an image"
		case r.In == nil && m.Output != nil:
			problem = "names an image file, but the manifest says the images are in containers"
		case r.In == nil && own[t.name]:
			problem = "names one of the dataset's own files, not an image"
		case r.In != nil && !listed[r.Path]:
			problem = "names a container the manifest does not list"
		}
		if problem != "" {
			rep.Problems = append(rep.Problems, fmt.Sprintf("record %s/%s/%d: path %q %s; not opened", r.Distribution, r.Split, r.Index, r.Path, problem))
			continue
		}
		id := t.id()
		if r.In != nil {
			id += fmt.Sprintf("#%d", r.In.Sample)
		}
		if first, dup := named[id]; dup {
			what := "file"
			if r.In != nil {
				what = "container sample"
			}
			rep.Problems = append(rep.Problems, fmt.Sprintf("record %s/%s/%d names the same %s as record %s: %s", r.Distribution, r.Split, r.Index, what, first, r.Locator()))
			continue
		}
		named[id] = fmt.Sprintf("%s/%s/%d", r.Distribution, r.Split, r.Index)
		if t.root == root {
			known[t.name] = true
		}
		targets[i] = t
	}
	for _, c := range m.Counts {
		got := counts[c.Distribution+"/"+c.Split]
		for l, n := range c.PerClass {
			if got[l] != n {
				rep.Problems = append(rep.Problems, fmt.Sprintf("%s/%s class %s: %d records, manifest counts %d", c.Distribution, c.Split, m.Classes[l].Name, got[l], n))
			}
		}
	}
	// Files: existence, type, size and hash, on the ordered pool, results by record index.
	// Images inside containers are checked container by container (verifyContainers).
	status := make([]string, len(recs)) // "" ok, "m" missing, "c" changed, else a problem
	done := 0
	err = ordered(ctx, len(recs), manifests.WorkerCount(0),
		func(i int) (string, error) {
			if targets[i].root == nil || recs[i].In != nil {
				return "", nil
			}
			return v.check(targets[i], recs[i], o.Quick), nil
		},
		func(i int, st string) error {
			status[i] = st
			if done++; o.Progress != nil {
				o.Progress(done, len(recs))
			}
			return nil
		})
	if err != nil {
		return nil, err
	}
	if m.Output != nil {
		if err := v.verifyContainers(ctx, recs, targets, status, o); err != nil {
			return nil, err
		}
	}
	for i, s := range status {
		switch s {
		case "":
		case "m":
			rep.Missing = append(rep.Missing, recs[i].Path)
		case "c":
			rep.Changed = append(rep.Changed, recs[i].Locator())
		default:
			rep.Problems = append(rep.Problems, fmt.Sprintf("%s: %s; not opened", recs[i].Locator(), s))
		}
	}
	rep.Missing = uniqueSorted(rep.Missing)
	meta := newMetadataCheck(recs, m)
	// Extra files: anything in the dataset folder that no record names, besides the
	// dataset's own files. Links are listed, never followed. (The walk is on the folder's
	// real path rather than root.FS(), whose paths must be UTF-8.)
	top, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return nil, fmt.Errorf("verify %s: %w", dir, err)
	}
	err = filepath.WalkDir(top, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		p, _ = filepath.Rel(top, p)
		p = filepath.ToSlash(p)
		if p == "." {
			return nil
		}
		if d.IsDir() {
			if p == WorkDir {
				rep.Problems = append(rep.Problems, "an unfinished run's journals are still there ("+WorkDir+"/): resume or merge it")
				return fs.SkipDir
			}
			return nil
		}
		switch {
		case own[p] || known[p]:
		case meta.claims(p):
			if !meta.matches(root, p) {
				rep.Changed = append(rep.Changed, p)
			}
		default:
			rep.Extra = append(rep.Extra, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("verify %s: %w", dir, err)
	}
	rep.Missing = append(rep.Missing, meta.missing()...)
	sort.Strings(rep.Extra)
	sort.Strings(rep.Changed)
	sort.Strings(rep.Missing)
	return rep, nil
}

// verifier holds the roots Verify may open files in.
type verifier struct {
	rep  *VerifyReport
	data *os.Root
	// out is the manifest's output (nil: loose files); parent, when set, is the root
	// of the dataset folder's parent, in which shared containers are opened, and
	// parentBase the dataset folder's name there.
	out        *manifests.Output
	parent     *os.Root
	parentBase string
	mu         sync.Mutex // guards rep.Problems while containers are checked
	// images, when set, is the root of --images; dirReal and imagesReal are the dataset
	// folder's and its real absolute paths.
	images              *os.Root
	dirReal, imagesReal string
}

// target is a record's file: a name inside one of the roots.
type target struct {
	root *os.Root
	name string
}

func (t target) id() string { return fmt.Sprintf("%p\x00%s", t.root, t.name) }

// locate maps a record's path onto a root without touching the file system, or says
// why it will not be opened. A path into a sibling dataset's folder is followed only
// when the manifest shares the record's folder from that dataset.
func (v *verifier) locate(r *manifests.Record) (target, string) {
	p := r.Path
	if v.out != nil && r.In != nil {
		if rel := v.out.Shared[r.Distribution+"/"+r.Split]; rel != "" && strings.HasPrefix(p, rel+"/") {
			switch {
			case !validShare(rel):
				return target{}, "leads out of the dataset folder into " + rel + ", which is not a sibling dataset folder"
			case p != path.Clean(p) || strings.ContainsAny(p, "\\\x00"):
				return target{}, "is not a clean relative path"
			case v.parent == nil:
				return target{}, "leads into another dataset folder, which cannot be opened"
			case strings.TrimPrefix(rel, "../") == v.parentBase:
				return target{}, "leads back into this dataset folder"
			}
			return target{root: v.parent, name: strings.TrimPrefix(p, "../")}, ""
		}
	}
	switch {
	case path.IsAbs(p) || filepath.IsAbs(p):
		return target{}, "is absolute (records name files relative to the dataset folder)"
	case strings.IndexByte(p, 0) >= 0 || p != path.Clean(p) || strings.Contains(p, "\\"):
		return target{}, "is not a clean relative path"
	case p != ".." && !strings.HasPrefix(p, "../"):
		return target{root: v.data, name: p}, ""
	case v.images == nil:
		return target{}, "leads out of the dataset folder (an indexed dataset's records point into its source: pass --images with the folder given to index --in)"
	}
	rel, err := filepath.Rel(v.imagesReal, filepath.Join(v.dirReal, filepath.FromSlash(p)))
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return target{}, "leads out of the dataset folder and of --images"
	}
	return target{root: v.images, name: filepath.ToSlash(rel)}, ""
}

// check compares one record's file with the record: "" when it matches, "m" when it is
// missing, "c" when its size or hash differ, else a problem. A link in the dataset
// folder is never followed (the dataset holds regular files); one in --images is
// followed only as far as it stays inside --images.
func (v *verifier) check(t target, r *manifests.Record, quick bool) string {
	fi, err := t.root.Lstat(t.name)
	if errors.Is(err, fs.ErrNotExist) {
		return "m"
	}
	if err != nil {
		return "cannot be looked at inside its folder"
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		if t.root == v.data {
			return "is a symbolic link where the dataset holds a regular file"
		}
		if fi, err = t.root.Stat(t.name); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return "m"
			}
			return "is a symbolic link leading out of --images"
		}
	}
	if !fi.Mode().IsRegular() {
		return "is not a regular file"
	}
	if fi.Size() != r.Size {
		return "c"
	}
	if quick {
		return ""
	}
	if sum, err := rootSHA256(t.root, t.name); err != nil || sum != r.SHA256 {
		return "c"
	}
	return ""
}

// rootSHA256 hashes the regular file name inside root.
func rootSHA256(root *os.Root, name string) (string, error) {
	f, err := openRegularIn(root, name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// openRegularIn opens name inside root, refusing what is not a regular file.
func openRegularIn(root *os.Root, name string) (*os.File, error) {
	f, err := root.Open(name)
	if err != nil {
		return nil, err
	}
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		f.Close()
		return nil, errors.New("not a regular file")
	}
	return f, nil
}

// readRegular reads the regular file name inside root, up to max bytes.
func readRegular(root *os.Root, name string, max int64) ([]byte, error) {
	f, err := openRegularIn(root, name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var b bytes.Buffer
	if _, err := io.Copy(&b, io.LimitReader(f, max+1)); err != nil {
		return nil, err
	}
	if int64(b.Len()) > max {
		return nil, fmt.Errorf("larger than %d bytes; not a manifest", max)
	}
	return b.Bytes(), nil
}

// Summary renders the report for people, one finding a line.
func (r *VerifyReport) Summary() string {
	var b strings.Builder
	state := "OK"
	if !r.OK() {
		state = "FAILED"
	}
	fmt.Fprintf(&b, "%s: %s — %d records checked by %s; %d missing, %d changed, %d extra, %d other problems\n",
		r.Dir, state, r.Records, r.Checked, len(r.Missing), len(r.Changed), len(r.Extra), len(r.Problems))
	for _, p := range r.Missing {
		fmt.Fprintf(&b, "missing\t%s\n", p)
	}
	for _, p := range r.Changed {
		fmt.Fprintf(&b, "changed\t%s\n", p)
	}
	for _, p := range r.Extra {
		fmt.Fprintf(&b, "extra\t%s\n", p)
	}
	for _, p := range r.Problems {
		fmt.Fprintf(&b, "problem\t%s\n", p)
	}
	return b.String()
}
