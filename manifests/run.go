package manifests

import "encoding/json"

// Run is run.json: what varies from one run of the same job to the next and so is kept
// out of manifest.json.
type Run struct {
	Started  string  `json:"started"`
	Finished string  `json:"finished"`
	Host     string  `json:"host"`
	Workers  int     `json:"workers"`
	Seconds  float64 `json:"seconds"`
	Images   int     `json:"images"`
	PerSec   float64 `json:"images_per_second"`
	Codec    string  `json:"codec"`
	Command  string  `json:"command,omitempty"`
	// Job is the description of the job that wrote the dataset (WriterOptions.Job),
	// recorded by Writer.Done, so that a later run asked to resume the finished dataset
	// can tell whether it is the one that run would write. Absent for datasets written
	// without one (index, split) and for merged ones.
	Job json.RawMessage `json:"job,omitempty"`
	// Shared, when the run found images of this dataset identical to ones it had
	// already written, says how it stored them.
	Shared *Sharing `json:"shared,omitempty"`
}

// Sharing counts the images of one dataset that a run did not write again because an
// earlier copy of the same bytes existed.
type Sharing struct {
	// Linked images are hard links to the earlier copy.
	Linked int `json:"linked,omitempty"`
	// Copied images are copies, written where the file system refused the link;
	// CopyReason is the first refusal.
	Copied     int    `json:"copied,omitempty"`
	CopyReason string `json:"copy_reason,omitempty"`
	// Referenced images sit in another dataset's container files, which this
	// dataset's records name (Containers of them).
	Referenced int `json:"referenced,omitempty"`
	Containers int `json:"containers,omitempty"`
	// Bytes is the size of the images linked or referenced: what was not written again.
	Bytes int64 `json:"bytes"`
}
