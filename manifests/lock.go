package manifests

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// LockFile is the advisory lock file in a work folder. A run that writes a whole dataset
// (or merges one) holds the lock of OUT/<dataset>/.work exclusively; a run writing one
// shard holds that lock shared and the lock of its own .work/shard-K-of-N exclusively,
// so shards run side by side but never beside a whole run, a merge or a second copy of
// themselves.
const LockFile = "lock"

// errLocked is tryLock's answer when another open file holds the lock.
var errLocked = errors.New("locked by another process")

// Owner describes the run holding a lock; it is written into the lock file so that a
// refused run can name it.
type Owner struct {
	PID     int    `json:"pid"`
	Host    string `json:"host"`
	Command string `json:"command"`
	Started string `json:"started"`
	// Shard is "K/N" for a run writing one shard.
	Shard string `json:"shard,omitempty"`
}

// newOwner describes this process.
func newOwner(command, shard string) Owner {
	host, _ := os.Hostname()
	if command == "" {
		command = strings.Join(os.Args, " ")
	}
	return Owner{PID: os.Getpid(), Host: host, Command: command, Started: time.Now().UTC().Format(time.RFC3339), Shard: shard}
}

// String describes the run for messages: its shard, process, host, start and command.
func (o Owner) String() string {
	s := fmt.Sprintf("pid %d on %s, started %s", o.PID, o.Host, o.Started)
	if o.Shard != "" {
		s = "shard " + o.Shard + ", " + s
	}
	return s + ": " + o.Command
}

// BusyError says that another run holds a dataset folder.
type BusyError struct {
	// Dir is the dataset folder.
	Dir string
	// Owners are the runs holding it, as far as their lock files tell.
	Owners []Owner
	// Merge is set when the refused run is a merge.
	Merge bool
}

// Error names the folder and the runs holding it, and says what to do.
func (e *BusyError) Error() string {
	var who []string
	for _, o := range e.Owners {
		who = append(who, o.String())
	}
	if len(who) == 0 {
		who = append(who, "a run whose details cannot be read")
	}
	what := "wait for it to finish (or stop it, then rerun with --resume); two runs must never write one dataset folder"
	if e.Merge {
		what = "wait for the shards to finish, then merge"
	}
	return fmt.Sprintf("%s is being written by another shiftgen run (%s); %s", e.Dir, strings.Join(who, "; "), what)
}

// heldLock is a lock file this process holds.
type heldLock struct {
	f    *os.File
	path string
}

// acquire opens (creating it and its folder if needed) the lock file at path and locks
// it without waiting, exclusively or shared. errLocked means another run holds it.
func acquire(path string, exclusive bool) (*heldLock, error) {
	for range 50 {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, fmt.Errorf("output %s: %w", filepath.Dir(path), err)
		}
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
		if errors.Is(err, fs.ErrNotExist) {
			continue // a finishing run removed the folder meanwhile
		}
		if err != nil {
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		if err := tryLock(f, exclusive); err != nil {
			f.Close()
			if errors.Is(err, errLocked) {
				return nil, err
			}
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		// A finishing holder unlinks its lock file before it lets go: when it did so
		// after we opened ours, our lock guards a file no one else will open.
		a, err1 := f.Stat()
		b, err2 := os.Stat(path)
		if err1 == nil && err2 == nil && os.SameFile(a, b) {
			return &heldLock{f: f, path: path}, nil
		}
		f.Close()
	}
	return nil, fmt.Errorf("lock %s: the lock file keeps being replaced; is another run starting and finishing over and over?", path)
}

// describe writes the owner into the lock file (exclusive holders only).
func (l *heldLock) describe(o Owner) error {
	b, _ := json.Marshal(o)
	if err := l.f.Truncate(0); err != nil {
		return fmt.Errorf("lock %s: %w", l.path, err)
	}
	if _, err := l.f.WriteAt(append(b, '\n'), 0); err != nil {
		return fmt.Errorf("lock %s: %w", l.path, err)
	}
	return nil
}

// release lets go of the lock and leaves the file.
func (l *heldLock) release() {
	if l != nil && l.f != nil {
		unlock(l.f)
		l.f.Close()
		l.f = nil
	}
}

// remove deletes the lock file while still holding it, then lets go (see acquire).
func (l *heldLock) remove() {
	if l != nil && l.f != nil {
		os.Remove(l.path)
		l.release()
	}
}

// heldBy returns the owner written in the lock file at path when another process holds
// it exclusively and the owner can be read.
func heldBy(path string) (Owner, bool) {
	f, err := os.Open(path)
	if err != nil {
		return Owner{}, false
	}
	defer f.Close()
	if tryLock(f, false) == nil {
		unlock(f)
		return Owner{}, false
	}
	var o Owner
	b, _ := os.ReadFile(path)
	if json.Unmarshal(b, &o) != nil {
		return Owner{}, false
	}
	return o, true
}

// busy builds the error for a lock of dir's work folder that could not be taken: it
// names the whole-dataset run holding the folder's lock and every shard run holding its
// own.
func busy(dir string, merge bool) *BusyError {
	e := &BusyError{Dir: dir, Merge: merge}
	work := filepath.Join(dir, WorkDir)
	paths := []string{filepath.Join(work, LockFile)}
	entries, _ := os.ReadDir(work)
	for _, d := range entries {
		if d.IsDir() {
			paths = append(paths, filepath.Join(work, d.Name(), LockFile))
		}
	}
	for _, p := range paths {
		if o, ok := heldBy(p); ok {
			e.Owners = append(e.Owners, o)
		}
	}
	sort.SliceStable(e.Owners, func(a, b int) bool { return e.Owners[a].Shard < e.Owners[b].Shard })
	return e
}
