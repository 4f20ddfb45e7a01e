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
}
