// Package shifts defines the distribution shifts shiftgen can generate: the pixel
// transforms, the per-image sampling of their parameters, and the registry that maps a
// `--shift` spec such as "spurious-tint:p=0.7" or "night:severity=4" onto a Shift.
//
// A Shift decides, for every image of the reference and the shifted distribution, which
// Transform to apply and what to record about it (a Sample). The decision is a pure
// function of the image's (split, index, label) and the seed, so a plan made from the same
// inputs is the same whatever the worker count or the order in which images are processed.
//
// Images are *image.RGBA values whose alpha is always 255 (so premultiplied and straight
// colour agree). Transforms work on the Pix slice directly and may reuse the image they
// are given.
//
// The paper's random draws (tint colours, random classes, spurious flags, label-shift
// subsets) use NumPy's legacy RandomState, re-implemented bit for bit in rng.go.
//
// This package imports nothing of shiftgen but its own imagenetc package (the ImageNet-C
// corruptions it registers).
package shifts
