// Package resample holds the SIMD inner loops of imageio's PIL-exact resampler: the
// horizontal and vertical passes of a separable filter in PIL's 22-bit fixed point, on
// RGBA bytes. It is its own package because Go assembly cannot live in a package that
// uses cgo, as imageio does when built with libjpeg-turbo.
//
// The functions trust their arguments (imageio checks them) and exist only where
// Available is true; elsewhere they panic. Results are bit-identical to imageio's
// pure-Go passes.
package resample
