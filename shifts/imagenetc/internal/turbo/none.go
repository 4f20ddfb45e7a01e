//go:build !turbojpeg || !cgo

package turbo

// Available reports whether this build has libjpeg-turbo.
const Available = false

// RoundTrip needs libjpeg-turbo (the turbojpeg build tag); here it does nothing and
// returns false.
func RoundTrip(pix []byte, w, h, stride, quality int) bool { return false }
