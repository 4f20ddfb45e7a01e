package main

import (
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
)

// newProgress returns a progress callback drawing a bar on stderr (images, images/s,
// ETA), or nil when quiet.
func newProgress(quiet bool, what string) (func(done, total int), func()) {
	if quiet {
		return nil, func() {}
	}
	var bar *progressbar.ProgressBar
	update := func(done, total int) {
		if bar == nil {
			bar = progressbar.NewOptions(total,
				progressbar.OptionSetWriter(os.Stderr),
				progressbar.OptionSetDescription(what),
				progressbar.OptionShowCount(),
				progressbar.OptionShowIts(),
				progressbar.OptionSetItsString("img"),
				progressbar.OptionSetPredictTime(true),
				progressbar.OptionThrottle(100*time.Millisecond),
				progressbar.OptionClearOnFinish(),
			)
		}
		bar.Set(done)
	}
	finish := func() {
		if bar != nil {
			bar.Finish()
		}
	}
	return update, finish
}
