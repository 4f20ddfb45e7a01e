package pipeline

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/shiftgen/shiftgen/manifests"
	"github.com/shiftgen/shiftgen/manifests/imagefolder"
	"github.com/shiftgen/shiftgen/pipeline/imageio"
)

// template is shift si's manifest without its counts, records and skips.
func (ex *execution) template(si int) (*manifests.Manifest, error) {
	ps := ex.plan.Shifts[si]
	params, err := paramsJSON(ps.Shift)
	if err != nil {
		return nil, err
	}
	m := &manifests.Manifest{
		Schema:     manifests.SchemaVersion,
		Generator:  manifests.Generator{Name: "shiftgen", Version: Version},
		Shift:      manifests.Shift{Name: ps.Shift.Name(), Spec: ps.Spec, Kind: string(ps.Shift.Kind()), Params: params},
		Seed:       ex.o.Seed,
		Preprocess: string(ex.o.Preprocess),
		Format:     string(ex.o.Format),
		Codec:      ex.o.Codec.Name(),
		Source:     manifests.Name(ex.o.SourceName),
	}
	if ex.o.Format == imageio.JPEG {
		m.Quality = ex.o.Quality
	}
	if m.Output = ex.outputOf(si); m.Output != nil && ex.o.FFCVImage == FFCVRaw {
		m.Format, m.Quality = FFCVRaw, 0 // pixels, not an encoding
	}
	for i, c := range ex.plan.Dataset.Classes {
		m.Classes = append(m.Classes, manifests.Class{Label: i, Name: c})
	}
	return m, nil
}

// finish writes each shift's dataset through its writer: records.jsonl, manifest.json
// and, once every dataset is written, run.json, after which the work folders are removed
// (a crash before that point resumes and writes the same files again). A shard writes its
// shard file instead and keeps its work folder for Merge.
func (ex *execution) finish(start time.Time) (*Result, error) {
	res := &Result{Codec: ex.o.Codec.Name(), Shard: ex.o.Shard, Resumed: ex.resumed}
	skips := skipSet{}
	for si, ps := range ex.plan.Shifts {
		w := ex.writers[si]
		if w == nil {
			// A previous run finished this dataset; its skips still count.
			if err := skips.addFrom(filepath.Join(ex.o.Out, filepath.FromSlash(ps.Dir))); err != nil {
				return nil, err
			}
			continue
		}
		m, err := ex.template(si)
		if err != nil {
			return nil, err
		}
		st := ex.stats[si]
		m.Counts = st.counts
		m.Skipped = manifests.SortSkips(st.skipped)
		skips.add(m.Skipped)
		d := DatasetResult{Spec: ps.Spec, Dir: w.Dir(), Skipped: len(m.Skipped)}
		if d.Manifest, err = w.Finish(m); err != nil {
			return nil, err
		}
		if ex.o.Shard.IsZero() {
			// Derived from records.jsonl; a run stopped before Done writes it again.
			if err := writeMetadata(w.Dir(), m); err != nil {
				return nil, err
			}
		}
		if ex.o.Warn != nil {
			for _, msg := range m.Warnings {
				ex.o.Warn(fmt.Sprintf("warning: %s: %s", w.Dir(), msg))
			}
		}
		for _, c := range m.Counts {
			d.Images += c.Images
		}
		res.Datasets = append(res.Datasets, d)
		res.Images += d.Images
	}
	res.Skipped = len(skips)
	res.Elapsed = time.Since(start)
	host, _ := os.Hostname()
	for _, w := range ex.writers {
		if w == nil {
			continue
		}
		sh := w.Sharing()
		res.Shared.Linked += sh.Linked
		res.Shared.Copied += sh.Copied
		res.Shared.Referenced += sh.Referenced
		res.Shared.Containers += sh.Containers
		res.Shared.Bytes += sh.Bytes
		if res.Shared.CopyReason == "" {
			res.Shared.CopyReason = sh.CopyReason
		}
		var run *manifests.Run
		if ex.o.Shard.IsZero() {
			run = &manifests.Run{
				Started: start.UTC().Format(time.RFC3339), Finished: time.Now().UTC().Format(time.RFC3339),
				Host: host, Workers: ex.o.Workers, Seconds: res.Elapsed.Seconds(), Images: res.Images,
				PerSec: float64(res.Images-res.Resumed) / res.Elapsed.Seconds(), Codec: res.Codec, Command: ex.o.Command,
			}
			if sh != (manifests.Sharing{}) {
				run.Shared = &sh
			}
		}
		if err := w.Done(run); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// skipSet holds distinct skipped inputs (split and source) over several datasets.
type skipSet map[[2]string]bool

func (s skipSet) add(skips []manifests.Skip) {
	for _, k := range skips {
		s[[2]string{k.Split, k.Source}] = true
	}
}

// addFrom adds the skips of the finished dataset in dir.
func (s skipSet) addFrom(dir string) error {
	m, err := manifests.ReadManifest(filepath.Join(dir, manifests.ManifestFile))
	if err != nil {
		return err
	}
	s.add(m.Skipped)
	return nil
}

// writeMetadata writes, for a folder output, the metadata.jsonl of each ImageFolder root
// of the dataset in dir (see metadataRoot) from its records, so that Hugging Face's
// imagefolder loader exposes the sampled fields as columns. Container outputs have none.
func writeMetadata(dir string, m *manifests.Manifest) error {
	if m.Output != nil {
		return nil
	}
	recs, err := manifests.ReadRecordsFile(filepath.Join(dir, m.Records.Name))
	if err != nil {
		return err
	}
	roots, byRoot := metadataRoots(recs)
	for _, root := range roots {
		b, err := imagefolder.Metadata(root, byRoot[root])
		if err != nil {
			return fmt.Errorf("output %s: %w", dir, err)
		}
		if err := manifests.WriteFileAtomic(filepath.Join(dir, filepath.FromSlash(path.Join(root, imagefolder.FileName))), b); err != nil {
			return err
		}
	}
	return nil
}

// metadataRoot is the ImageFolder root a record's image lies in: its distribution/split
// folder, or the dataset folder itself ("") in the ImageNet-C layout.
func metadataRoot(r *manifests.Record) string {
	if root := r.Distribution + "/" + r.Split; strings.HasPrefix(r.Path, root+"/") {
		return root
	}
	return ""
}

// metadataRoots groups records by metadataRoot, keeping their order; roots are listed
// in the order of their first record.
func metadataRoots(recs []*manifests.Record) ([]string, map[string][]*manifests.Record) {
	var roots []string
	by := map[string][]*manifests.Record{}
	for _, r := range recs {
		root := metadataRoot(r)
		if _, ok := by[root]; !ok {
			roots = append(roots, root)
		}
		by[root] = append(by[root], r)
	}
	return roots, by
}
