package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

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
	// Problems are inconsistencies of the manifest, records or counts.
	Problems []string
}

// OK reports whether nothing is missing, changed, extra or inconsistent.
func (r *VerifyReport) OK() bool {
	return len(r.Missing)+len(r.Changed)+len(r.Extra)+len(r.Problems) == 0
}

// Verify checks a dataset folder against its manifest: the records file's SHA-256 and
// count, the schema of every record, the per-split and per-class counts, that every
// record's file exists with its recorded size and SHA-256 (size only when quick), and
// that no other file is there. progress, if set, is called from one goroutine as files
// are checked. Errors are returned only when the manifest itself cannot be read;
// everything else goes into the report.
func Verify(ctx context.Context, dir string, quick bool, progress func(done, total int)) (*VerifyReport, error) {
	m, err := manifests.ReadManifest(filepath.Join(dir, manifests.ManifestFile))
	if err != nil {
		return nil, err
	}
	rep := &VerifyReport{Dir: dir, Checked: "sha256"}
	if quick {
		rep.Checked = "size"
	}
	recPath := filepath.Join(dir, m.Records.Name)
	if sum, err := fileSHA256(recPath); err != nil {
		rep.Problems = append(rep.Problems, fmt.Sprintf("%s: %v", m.Records.Name, err))
		return rep, nil
	} else if sum != m.Records.SHA256 {
		rep.Problems = append(rep.Problems, fmt.Sprintf("%s has SHA-256 %s but the manifest says %s", m.Records.Name, sum, m.Records.SHA256))
	}
	recs, err := manifests.ReadRecordsFile(recPath)
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
	known := map[string]bool{}
	for _, r := range recs {
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
		known[filepath.ToSlash(filepath.Clean(r.Path))] = true
	}
	for _, c := range m.Counts {
		got := counts[c.Distribution+"/"+c.Split]
		for l, n := range c.PerClass {
			if got[l] != n {
				rep.Problems = append(rep.Problems, fmt.Sprintf("%s/%s class %s: %d records, manifest counts %d", c.Distribution, c.Split, m.Classes[l].Name, got[l], n))
			}
		}
	}
	// Files: existence, size and hash, on the ordered pool, results by record index.
	status := make([]byte, len(recs)) // 0 ok, 'm' missing, 'c' changed
	done := 0
	err = ordered(ctx, len(recs), manifests.WorkerCount(0),
		func(i int) (byte, error) {
			r := recs[i]
			p := filepath.Join(dir, filepath.FromSlash(r.Path))
			fi, err := os.Stat(p)
			switch {
			case err != nil:
				return 'm', nil
			case fi.Size() != r.Size:
				return 'c', nil
			case !quick:
				if sum, err := fileSHA256(p); err != nil || sum != r.SHA256 {
					return 'c', nil
				}
			}
			return 0, nil
		},
		func(i int, s byte) error {
			status[i] = s
			if done++; progress != nil {
				progress(done, len(recs))
			}
			return nil
		})
	if err != nil {
		return nil, err
	}
	for i, s := range status {
		switch s {
		case 'm':
			rep.Missing = append(rep.Missing, recs[i].Path)
		case 'c':
			rep.Changed = append(rep.Changed, recs[i].Path)
		}
	}
	if m.Shift.Kind == "natural" {
		return rep, nil // indexed datasets point at files that live elsewhere
	}
	// Extra files: anything below dir that no record names, besides the dataset files.
	own := map[string]bool{manifests.ManifestFile: true, m.Records.Name: true, manifests.RunFile: true}
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if rel == WorkDir {
				rep.Problems = append(rep.Problems, "an unfinished run's journals are still there ("+WorkDir+"/): resume or merge it")
				return fs.SkipDir
			}
			return nil
		}
		if !own[rel] && !known[rel] {
			rep.Extra = append(rep.Extra, rel)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(rep.Extra)
	return rep, nil
}

func fileSHA256(p string) (string, error) {
	f, err := os.Open(p)
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
