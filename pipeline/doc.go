// Package pipeline turns an ImageNet-style folder into shifted datasets: it scans the
// source exactly as torchvision's ImageFolder does, plans every output (which image goes
// where, with which sampled shift parameters), then executes the plan with a bounded pool
// of workers that decode, preprocess, transform, encode and write each image. The
// pixels themselves (codecs, decoding, resizing) are the business of pipeline/imageio.
//
// Planning is pure and deterministic; workers only execute it, and results are joined
// in plan order, so the files, records.jsonl and manifest.json written are byte-identical
// whatever the worker count. Every file is written to a temporary name and renamed.
//
// pipeline imports shifts, manifests and its own imageio; it never imports cmd, urfave/cli or
// progressbar: progress is reported through a callback.
package pipeline
