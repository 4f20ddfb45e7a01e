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

// usage wraps err as a usage error (nil stays nil).
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
	return exit(fmt.Sprintf("shiftgen: skipped %s; the reasons are listed under \"skipped\" in %s", count(n, "input"), where), exitSkipped)
}

// bound is the range [lo, hi] a numeric flag's value must lie in when it is given.
type bound struct {
	flag   string
	lo, hi int64
	// why, if set, is said after the range (what the value means).
	why string
}

// checkBounds refuses, as usage errors, values given for the flags of bs that lie
// outside their range: a value that cannot be meant is an error, never silently
// replaced by a default.
func checkBounds(c *cli.Context, bs ...bound) error {
	for _, b := range bs {
		if !c.IsSet(b.flag) {
			continue
		}
		if v := c.Int64(b.flag); v < b.lo || v > b.hi {
			msg := fmt.Sprintf("--%s %d is out of range: give a value from %d to %d", b.flag, v, b.lo, b.hi)
			if b.why != "" {
				msg += " (" + b.why + ")"
			}
			return usage(errors.New(msg))
		}
	}
	return nil
}

// workersBound is the range of every --workers flag (0: all cores).
var workersBound = bound{flag: "workers", lo: 0, hi: 4096, why: "0 means all cores"}

// bootstrapBound is the range of every --bootstrap flag (0: no bootstrap).
var bootstrapBound = bound{flag: "bootstrap", lo: 0, hi: 1_000_000}
