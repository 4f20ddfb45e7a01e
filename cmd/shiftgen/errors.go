package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/urfave/cli/v2"
)

// usageError marks an error caused by how the command was called (exit status 2).
type usageError struct{ error }

func (e usageError) Unwrap() error { return e.error }

// usagef wraps err as a usage error.
func usage(err error) error {
	if err == nil {
		return nil
	}
	return usageError{err}
}

func isUsage(err error) bool {
	var u usageError
	return errors.As(err, &u)
}

// exit returns an error that makes shiftgen exit with code after printing msg.
func exit(msg string, code int) error { return cli.Exit(msg, code) }

// refuseExisting refuses to overwrite an existing output file unless force is set.
func refuseExisting(path string, force bool) error {
	if _, err := os.Stat(path); err == nil && !force {
		return fmt.Errorf("%s already exists; pass --force to overwrite it", path)
	}
	return nil
}

// skippedExit returns nil when nothing was skipped, else the exit-status-3 error saying
// how many inputs were skipped and where the reasons are listed.
func skippedExit(n int, where string) error {
	if n == 0 {
		return nil
	}
	what := "inputs"
	if n == 1 {
		what = "input"
	}
	return exit(fmt.Sprintf("shiftgen: skipped %d %s; the reasons are listed under \"skipped\" in %s", n, what, where), exitSkipped)
}
