//go:build unix && !linux

package manifests

import "golang.org/x/sys/unix"

// syncFS makes every written file durable (sync(2); other systems have no per-file-system
// call).
func syncFS(dir string) error {
	unix.Sync()
	return nil
}
