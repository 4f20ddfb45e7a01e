//go:build !turbojpeg || !cgo

package imageio

// DefaultCodec returns the codec this build uses: the pure-Go one (build with
// `-tags turbojpeg` and cgo for libjpeg-turbo).
func DefaultCodec() Codec { return GoCodec{} }
