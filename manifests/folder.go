package manifests

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// WorkDir is the hidden folder inside a dataset folder that holds a run's lock and
// journals until the dataset is finished.
const WorkDir = ".work"

// finishedFile marks, inside the work folder, a dataset whose files are all written: what
// is left of the work folder is only to be removed.
const finishedFile = "finished"

// Input is something a run reads, named by the option that gave it. A dataset folder
// may neither lie inside an input nor hold one.
type Input struct {
	// Flag is the option, such as "--in".
	Flag string
	// Path is the file or folder as given.
	Path string
}

// Resolve returns p as an absolute path with every symbolic link resolved, including
// links among its parts that do not exist yet or point at nothing (a dangling link is
// followed to where it points, since writing through it would create its target).
func Resolve(p string) (string, error) {
	a, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	return resolve(a, 0)
}

func resolve(a string, links int) (string, error) {
	if links > 255 {
		return "", fmt.Errorf("%s: too many levels of symbolic links", a)
	}
	if r, err := filepath.EvalSymlinks(a); err == nil {
		return r, nil
	}
	parent, base := filepath.Dir(a), filepath.Base(a)
	if parent == a {
		return a, nil
	}
	rp, err := resolve(parent, links)
	if err != nil {
		return "", err
	}
	full := filepath.Join(rp, base)
	if fi, err := os.Lstat(full); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		target, err := os.Readlink(full)
		if err != nil {
			return "", err
		}
		if !filepath.IsAbs(target) {
			target = filepath.Join(rp, target)
		}
		return resolve(filepath.Clean(target), links+1)
	}
	return full, nil
}

// within reports whether path child is parent or lies below it (both resolved).
func within(child, parent string) bool {
	rel, err := filepath.Rel(parent, child)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// CheckNesting refuses a dataset folder dir (given by option flag) that lies inside one
// of the inputs or holds one, comparing fully resolved paths: a dir that is, or sits
// below, a symbolic link into an input is refused too.
func CheckNesting(dir, flag string, inputs []Input) error {
	out, err := Resolve(dir)
	if err != nil {
		return fmt.Errorf("%s %s: %w", flag, dir, err)
	}
	for _, in := range inputs {
		if in.Path == "" {
			continue
		}
		ri, err := Resolve(in.Path)
		if err != nil {
			return fmt.Errorf("%s %s: %w", in.Flag, in.Path, err)
		}
		where := dir
		if r, _ := filepath.Abs(dir); r != out {
			where = fmt.Sprintf("%s (that is %s, through a symbolic link)", dir, out)
		}
		switch {
		case within(out, ri):
			return fmt.Errorf("%s: the output folder %s lies inside %s %s; the output would be scanned as input next time — choose an output folder outside the input", flag, where, in.Flag, in.Path)
		case within(ri, out):
			return fmt.Errorf("%s: the output folder %s holds the input %s (%s), which --force would delete; choose an output folder of its own", flag, where, in.Path, in.Flag)
		}
	}
	return nil
}

// CheckName refuses a path (slash-separated, relative to a dataset folder) that a
// dataset's images or folders may not have, because it would collide with the dataset's
// own files or leave the folder: its first element may not be the work folder,
// manifest.json, records.jsonl or run.json, and no element may be empty, "." or "..",
// hold a backslash, or have the form of a temporary file.
func CheckName(name string) error {
	elems := strings.Split(name, "/")
	switch elems[0] {
	case WorkDir, ManifestFile, RecordsFile, RunFile:
		return fmt.Errorf("%q would collide with the dataset's own %s", name, elems[0])
	}
	for _, e := range elems {
		switch {
		case e == "" || e == "." || e == "..":
			return fmt.Errorf("%q has an empty, \".\" or \"..\" element", name)
		case strings.ContainsRune(e, '\\'):
			return fmt.Errorf("%q holds a backslash", name)
		case IsTemp(e):
			return fmt.Errorf("%q has the form of a temporary file (%s), which a resumed run would delete", name, e)
		}
	}
	return nil
}

// entriesBut lists dir's entries other than the work folder and temporary files
// (leftovers of a killed run). A missing dir has none.
func entriesBut(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("output %s: %w", dir, err)
	}
	var names []string
	for _, e := range entries {
		if e.Name() != WorkDir && !IsTemp(e.Name()) {
			names = append(names, e.Name())
		}
	}
	return names, nil
}

// clearBut removes every entry of dir except those named in keep.
func clearBut(dir string, keep ...string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("output %s: %w", dir, err)
	}
next:
	for _, e := range entries {
		for _, k := range keep {
			if e.Name() == k {
				continue next
			}
		}
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			return fmt.Errorf("output %s: cannot remove for --force: %w", dir, err)
		}
	}
	return nil
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}
