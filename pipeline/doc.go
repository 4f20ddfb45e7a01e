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
// one from its journal, finish.go writes its manifests (and the folder output's Hugging
// Face metadata), merge.go joins shards, index.go describes existing datasets and
// verify.go checks them. output.go holds the output kinds: the FFCV and WebDataset
// containers the images are packed into (an image sink of manifests.Writer) and the plan
// of which folders several datasets share; verifycontainers.go checks containers.
//
// pipeline imports shifts, manifests (with its format packages ffcv, webdataset and
// imagefolder) and its own imageio; it never imports cmd, urfave/cli or
// progressbar: progress is reported through a callback.
package pipeline
