// Package pipeline turns an ImageNet-style folder into shifted datasets: it scans the
// source exactly as torchvision's ImageFolder does, plans every output (which image goes
// where, with which sampled shift parameters), then executes the plan on one ordered
// worker pool (pool.go) whose workers decode, preprocess, transform, encode and store
// each image. The pixels themselves (codecs, decoding, resizing) are the business of
// pipeline/imageio; the dataset folders (lock, journals, records, manifests, atomic
// writes) of manifests.Writer.
//
// Planning is pure and deterministic; workers only execute it, and results are joined
// in plan order, so the files, records.jsonl and manifest.json written are byte-identical
// whatever the worker count. run.go executes a run, resume.go continues an interrupted
// one from its journal, finish.go writes its manifests, merge.go joins shards, index.go
// describes existing datasets and verify.go checks them.
//
// pipeline imports shifts, manifests and its own imageio; it never imports cmd, urfave/cli or
// progressbar: progress is reported through a callback.
package pipeline
