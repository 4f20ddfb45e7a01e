// Package rgba holds the small *image.RGBA helpers that the shifts, the ImageNet-C
// corruptions and the pipeline share. It imports nothing of shiftgen, so every package
// can use it.
package rgba
