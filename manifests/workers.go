package manifests

import "runtime"

// WorkerCount is what every Workers setting of shiftgen means (the options of generate,
// index, verify, eval and split, and this package's readers): n goroutines when n > 0,
// and one per core, runtime.NumCPU(), when n is 0 (or negative). Outputs never depend on
// it.
func WorkerCount(n int) int {
	if n > 0 {
		return n
	}
	return runtime.NumCPU()
}
