// Package imageio reads and writes the pixels of shiftgen's datasets: it recognises an
// image by its bytes (JPEG, PNG, GIF, BMP, TIFF, WebP, PPM/PGM, whatever the file name
// says), refuses oversized headers before decoding, converts every colour model to
// opaque RGBA as Pillow's convert("RGB") does, resizes and crops exactly as Pillow's
// antialiased bilinear filter does (Preprocess), and encodes JPEG or PNG.
//
// Two codecs implement the same Codec interface: GoCodec (pure Go) and, when built with
// `-tags turbojpeg` and cgo, a libjpeg-turbo codec that decodes JPEGs at a reduced DCT
// scale when the preprocessing allows it. DefaultCodec returns the one this build has.
//
// A Scratch is one worker's reusable memory for the per-image path (read, decode,
// preprocess, clone, encode), so a worker allocates almost nothing per image.
//
// imageio knows nothing of plans, manifests or shifts' sampling; it imports shifts only
// for the shared colour conversion.
package imageio
