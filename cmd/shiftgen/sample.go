package main

import (
	"embed"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// sampleFS holds the embedded sample: 48 ImageNet classes, one real image each,
// downscaled to at most 160 px. generate and preview use it when --in is not given.
//
//go:embed sample
var sampleFS embed.FS

// sampleName is how manifests name the embedded sample as their source.
const sampleName = "embedded:sample"

// sampleTime is the modification time of every extracted sample file.
var sampleTime = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// extractSample writes the embedded sample into a new temporary folder and returns it
// with a function that removes it.
func extractSample() (string, func(), error) {
	dir, err := os.MkdirTemp("", "shiftgen-sample-")
	if err != nil {
		return "", nil, err
	}
	cleanup := func() { os.RemoveAll(dir) }
	err = fs.WalkDir(sampleFS, "sample", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel("sample", filepath.FromSlash(p))
		dst := filepath.Join(dir, rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		b, err := sampleFS.ReadFile(p)
		if err != nil {
			return err
		}
		if err := os.WriteFile(dst, b, 0o644); err != nil {
			return err
		}
		// A fixed modification time: runs on the sample must see the same input (resume
		// and the shards of one job compare the input's sizes and times).
		return os.Chtimes(dst, sampleTime, sampleTime)
	})
	if err != nil {
		cleanup()
		return "", nil, err
	}
	return dir, cleanup, nil
}

// inputRoot returns the folder to read: --in, or the extracted embedded sample.
func inputRoot(in string) (root, name string, cleanup func(), err error) {
	if in != "" {
		return in, in, func() {}, nil
	}
	root, cleanup, err = extractSample()
	return root, sampleName, cleanup, err
}
