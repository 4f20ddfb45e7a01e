package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
)

// isTerminal reports whether f is a terminal (a character device), where a progress
// bar can redraw itself; a log file or a pipe gets none.
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// newProgress returns a progress callback drawing a bar on stderr (images done, rate,
// time left), or nil when quiet or when stderr is not a terminal.
func newProgress(quiet bool, what string) (func(done, total int), func()) {
	if quiet || !isTerminal(os.Stderr) {
		return nil, func() {}
	}
	return progressTo(os.Stderr, what, time.Now)
}

// progressTo draws the bar on w, timing with now.
func progressTo(w io.Writer, what string, now func() time.Time) (func(done, total int), func()) {
	var bar *progressbar.ProgressBar
	var r rate
	update := func(done, total int) {
		if bar == nil {
			bar = progressbar.NewOptions(total,
				progressbar.OptionSetWriter(w),
				progressbar.OptionSetDescription(what),
				progressbar.OptionShowCount(),
				progressbar.OptionSetWidth(30),
				progressbar.OptionThrottle(100*time.Millisecond),
				progressbar.OptionClearOnFinish(),
			)
		}
		bar.Describe(what + r.text(done, total, now()))
		bar.Set(done)
	}
	finish := func() {
		if bar != nil {
			bar.Finish()
		}
	}
	return update, finish
}

// rate measures images per second from the first report on: a resumed run starts with
// its earlier work done, which this process did not do in no time.
type rate struct {
	started bool
	start   time.Time
	base    int
}

// text is rateText for done of total images at time t.
func (r *rate) text(done, total int, t time.Time) string {
	if !r.started {
		r.started, r.start, r.base = true, t, done
	}
	return rateText(done-r.base, total-done, t.Sub(r.start))
}

// rateText says how fast n images went in elapsed and how long the left ones will take:
// " (120 img/s, 2m10s left)", or "" before a second has passed, so that the rate shown is
// a measured one, never one guessed from a single image.
func rateText(n, left int, elapsed time.Duration) string {
	if elapsed < time.Second || n <= 0 {
		return ""
	}
	rate := float64(n) / elapsed.Seconds()
	eta := time.Duration(float64(left) / rate * float64(time.Second)).Round(time.Second)
	return fmt.Sprintf(" (%.0f img/s, %s left)", rate, eta)
}
