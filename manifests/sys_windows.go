package manifests

import (
	"errors"
	"os"

	"golang.org/x/sys/windows"
)

// tryLock takes a lock on f's first byte without waiting: exclusive, or shared. It
// returns errLocked when another open file holds a conflicting lock.
func tryLock(f *os.File, exclusive bool) error {
	flags := uint32(windows.LOCKFILE_FAIL_IMMEDIATELY)
	if exclusive {
		flags |= windows.LOCKFILE_EXCLUSIVE_LOCK
	}
	err := windows.LockFileEx(windows.Handle(f.Fd()), flags, 0, 1, 0, new(windows.Overlapped))
	if errors.Is(err, windows.ERROR_LOCK_VIOLATION) {
		return errLocked
	}
	return err
}

// unlock releases f's lock (closing f releases it too).
func unlock(f *os.File) {
	windows.UnlockFileEx(windows.Handle(f.Fd()), 0, 1, 0, new(windows.Overlapped))
}

// syncDir does nothing: Windows cannot sync a folder, and its renames are journaled.
func syncDir(string) error { return nil }

// syncFS does nothing on Windows, which has no call that flushes a whole volume
// without administrator rights; images stay as durable as the system's cache makes them.
func syncFS(string) error { return nil }
