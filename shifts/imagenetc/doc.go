// Package imagenetc implements the 19 ImageNet-C corruptions (Hendrycks & Dietterich,
// 2019) as pure functions over *image.RGBA: the 15 common ones (gaussian, shot and
// impulse noise; defocus, glass, motion and zoom blur; snow, frost, fog, brightness,
// contrast, elastic transform, pixelate and JPEG compression) and the 4 extra
// "validation" ones (speckle noise, gaussian blur, spatter, saturate).
//
// Each corruption is a value type whose exported, JSON-tagged fields are its
// parameters, with a table of the five published severities (GaussianNoiseSeverities
// and so on); Catalogue lists them all. Corrupt takes an image whose alpha is 255
// everywhere and a *rand.Rand that supplies every random draw, so the same image,
// parameters and generator state always give the same bytes, whatever the number of
// concurrent callers.
//
// # Reference
//
// The maths follows bethgelab/imagecorruptions (commit c959e65, its arbitrary-size
// generalisation of the original hendrycks/robustness code), operation for operation
// where it matters, including its truncation of the final floating-point image to 8
// bits. The deterministic corruptions reproduce it byte for byte on almost every pixel
// (brightness, contrast, saturate, pixelate, JPEG, zoom blur exactly; the blurs up to
// rare one-level rounding ties); the random ones follow its draws in distribution.
// Library conventions that change pixels are reproduced: SciPy's edge modes and
// kernel radii, corner-aligned bilinear zoom, OpenCV's reflected kernel borders and
// float32 disk kernel, Pillow's BOX and NEAREST index rules, scikit-image's HSV
// conversion, libjpeg's fixed-point colour conversion, downsampling, integer DCTs and
// fancy upsampling.
//
// Where imagecorruptions and the published ImageNet-C (hendrycks/robustness, 224 px)
// differ, this package follows imagecorruptions:
//
//   - ElasticTransform is imagecorruptions' version: a smoothed random displacement
//     field with α and σ relative to the image size, without the published dataset's
//     random affine warp.
//   - Frost enlarges its texture by at least 10 % before the random crop (the
//     published script crops the raw texture).
//   - Pixelate enlarges back with nearest-neighbour sampling (the published script uses
//     Pillow's BOX filter, which differs only at exact half-pixel ties).
//   - MotionBlur and Snow use imagecorruptions' NumPy re-implementation of ImageMagick's
//     motion blur (same kernel and offsets, no 16-bit quantisation; the published data
//     went through ImageMagick).
//
// The published ImageNet-C files were also re-encoded as JPEG quality 85; that is the
// caller's concern (shiftgen's --layout imagenet-c).
//
// # Randomness
//
// Draws come only from the caller's generator, in a documented order per corruption,
// not from NumPy's streams, so random corruptions match the reference in distribution
// rather than pixel for pixel. Every random corruption is a Random: it makes its
// per-image choices first, before looking at the image (an angle, a texture and crop,
// or the seed of a field too large to list), and each is a parameter Corrupt draws
// only when it is unset, so a set of recorded draws rebuilds the corruption that made
// an image. The noises sample the exact distribution of each truncated output byte
// directly (one alias-table lookup per channel value) instead of drawing a float per
// channel and truncating; the fields of glass blur, elastic transform, fog, snow and
// spatter come from a SplitMix64 stream started by their seed, the noises' from the
// cheaper wyrand generator (as Go's runtime uses) started by theirs. Frost
// ships no photographs: it uses five procedural textures generated from a seed (sizes
// and channel statistics of the five textures imagecorruptions can pick), or a user's
// own folder (LoadFrostTextures).
//
// # Speed and determinism
//
// The kernels work on raw Pix buffers; the expensive ones use precomputed per-(size,
// severity) plans (kernels, index tables, alias tables) held in caches that are safe
// for concurrent use and bounded in size. The linear filters, the conversions between
// RGBA bytes and floats with the final truncation, the HSV round trip, the elastic
// sampler, zoom blur's interpolation, snow's blend and the chamfer distance run on AVX2
// (amd64, in assembly) with pure-Go fallbacks that perform the same IEEE operations in
// the same order, and float expressions are written so that no fused multiply-add can
// change them, so outputs are identical on every platform (up to last-bit differences
// in the standard library's math functions when tables are built). The purego build
// tag disables the assembly. With the turbojpeg build tag, JPEG hands its round trip
// to libjpeg-turbo (internal/turbo), which gives the bytes of the Go pipeline faster.
// This package imports nothing else of shiftgen.
package imagenetc
