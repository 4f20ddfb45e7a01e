// Package turbo runs images through libjpeg-turbo's TurboJPEG API for the ImageNet-C
// JPEG corruption (shifts/imagenetc): a compression and a decompression in one call,
// with pooled TurboJPEG instances. Builds without the turbojpeg tag (or without cgo)
// get a stub that reports it is not available. It is a package of its own because a
// package using cgo cannot hold Go assembly.
package turbo
