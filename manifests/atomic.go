package manifests

import (
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Durability is when a file's bytes reach the disk (the fsync policy of package doc.go).
type Durability int

const (
	// Durable files are synced before they are renamed into place, and their folder
	// after: records.jsonl, manifest.json, run.json, the work folder's job and shard files,
	// reports and plots.
	Durable Durability = iota
	// Deferred files are renamed into place without a sync of their own: a dataset's
	// images. A Writer makes all of them durable at once, with one sync of their file
	// system, before it writes records.jsonl.
	Deferred
)

// maxName is the longest file name (in bytes) the temporary names must fit: the limit
// of Linux's common file systems (NAME_MAX), of macOS and of Windows.
const maxName = 255

// tempMark separates a temporary file's stem from its random number.
const tempMark = ".tmp-"

// AtomicFile is a file being written under a temporary name in its final folder. Commit
// gives it its final name; until then (and for ever, after Abort) no reader sees it
// under that name. It is not safe for concurrent use.
type AtomicFile struct {
	*os.File
	path string
	dur  Durability
	done bool
}

// CreateAtomic starts writing the file at path. The temporary file is
// "."+STEM+".tmp-"+NUMBER in path's folder, where STEM is path's base name shortened
// (at a character boundary) so that the temporary name never exceeds 255 bytes, whatever
// the final name's length.
func CreateAtomic(path string, dur Durability) (*AtomicFile, error) {
	var f *os.File
	_, err := withTempName(path, func(tmp string) (err error) {
		f, err = os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	return &AtomicFile{File: f, path: path, dur: dur}, nil
}

// withTempName calls create with temporary names for path (tempName in path's folder)
// until one is not taken, and returns that name and create's answer for it.
func withTempName(path string, create func(tmp string) error) (string, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	for range 10000 {
		tmp := filepath.Join(dir, tempName(base, rand.Uint32()))
		if err := create(tmp); !errors.Is(err, fs.ErrExist) {
			return tmp, err
		}
	}
	return "", fmt.Errorf("cannot find an unused temporary name in %s", dir)
}

// tempName is the temporary name of the file base with the random number n.
func tempName(base string, n uint32) string {
	num := strconv.FormatUint(uint64(n), 10)
	stem := base
	if room := maxName - 1 - len(tempMark) - len(num); len(stem) > room {
		stem = stem[:room]
		for len(stem) > 0 && !utf8.RuneStart(base[len(stem)]) {
			stem = stem[:len(stem)-1]
		}
	}
	return "." + stem + tempMark + num
}

// IsTemp reports whether name (a base name) is one of CreateAtomic's temporary names.
// No name shiftgen gives a finished file has this form: image files end in their format's
// extension, and the dataset's own files are named by the constants of this package.
func IsTemp(name string) bool {
	i := strings.LastIndex(name, tempMark)
	if len(name) < 2 || name[0] != '.' || i < 1 {
		return false
	}
	num := name[i+len(tempMark):]
	if num == "" {
		return false
	}
	for _, c := range num {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// Path is the final path the file will have.
func (f *AtomicFile) Path() string { return f.path }

// Commit syncs the file (when Durable), closes it, makes it readable by everyone
// (mode 0644) and renames it to its final path, replacing any file there; a Durable file's
// folder is synced after the rename. On error the temporary file is removed.
func (f *AtomicFile) Commit() error {
	if f.done {
		return fmt.Errorf("write %s: already committed or aborted", f.path)
	}
	f.done = true
	tmp := f.Name()
	fail := func(err error) error {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", f.path, err)
	}
	if f.dur == Durable {
		if err := f.Sync(); err != nil {
			f.File.Close()
			return fail(err)
		}
	}
	if err := f.Chmod(0o644); err != nil {
		f.File.Close()
		return fail(err)
	}
	if err := f.File.Close(); err != nil {
		return fail(err)
	}
	if err := os.Rename(tmp, f.path); err != nil {
		return fail(err)
	}
	if f.dur == Durable {
		if err := syncDir(filepath.Dir(f.path)); err != nil {
			return fmt.Errorf("write %s: %w", f.path, err)
		}
	}
	return nil
}

// Abort closes and removes the temporary file. It does nothing after Commit, so it can
// be deferred.
func (f *AtomicFile) Abort() {
	if f.done {
		return
	}
	f.done = true
	f.File.Close()
	os.Remove(f.Name())
}

// WriteFileAtomic writes data to path as a Durable file: through a temporary file in
// the same folder that is synced and then renamed, so path never holds a partial file.
func WriteFileAtomic(path string, data []byte) error {
	return writeFile(path, data, Durable)
}

// writeFile writes data to path atomically with the given durability.
func writeFile(path string, data []byte, dur Durability) error {
	f, err := CreateAtomic(path, dur)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Abort()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Commit()
}

// RemoveTemps deletes the temporary files a killed process left below dir (they never
// carry a final name, but must not stay behind as extra files). Folders named skip are
// not entered.
func RemoveTemps(dir string, skip ...string) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if d.IsDir() {
			for _, s := range skip {
				if p != dir && d.Name() == s {
					return fs.SkipDir
				}
			}
			return nil
		}
		if IsTemp(d.Name()) {
			if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("remove the temporary file %s: %w", p, err)
			}
		}
		return nil
	})
}
