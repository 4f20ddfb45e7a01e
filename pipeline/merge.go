package pipeline

import (
	"encoding/json"

	"github.com/shiftgen/shiftgen/manifests"
)

// MergeResult describes a merged dataset.
type MergeResult struct {
	Dir      string
	Shards   int
	Images   int
	Skipped  int
	Manifest string
	// Finished is set when an earlier merge had written every file and was stopped while
	// removing the shards' journals: this one only finished that.
	Finished bool
	// Warnings are the merged manifest's warnings (class folders left empty).
	Warnings []string
}

// Merge joins the finished shards of OUT/<shift> into the manifest.json and
// records.jsonl one process would have written, byte for byte, then removes the shards'
// journals (see manifests.Merge). It refuses while shards are missing, unfinished or
// running, when they came from different options or input, and when a shard's journal
// changed after it finished. A merge killed at any point finishes when run again.
func Merge(dir string) (*MergeResult, error) {
	res, err := manifests.Merge(dir, manifests.MergeOptions{Images: packedFor, SameJob: sameJob, Finish: writeMetadata})
	if err != nil {
		return nil, err
	}
	m := res.Manifest
	out := &MergeResult{Dir: dir, Shards: res.Shards, Skipped: len(m.Skipped), Manifest: res.Path, Finished: res.Finished, Warnings: m.Warnings}
	for _, c := range m.Counts {
		out.Images += c.Images
	}
	return out, nil
}

// sameJob lists how two shards' job descriptions differ, the shard itself aside.
func sameJob(a, b []byte) []string {
	var x, y jobSpec
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return []string{"a shard's job description is damaged"}
	}
	x.Shard, y.Shard = "", ""
	return x.diff(&y)
}
