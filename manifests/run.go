package manifests

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
