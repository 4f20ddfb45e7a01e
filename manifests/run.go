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
}
