//go:build unix

// Command benchreport measures shiftgen against the PIL + NumPy reference script and
// against the codec's own cost, on the same images and cores, per source image and for
// the same work, and prints a Markdown report (`make bench` runs it after the Go
// micro-benchmarks):
//
//   - end-to-end `shiftgen generate --shift spurious-tint` (a reference and a shifted JPEG
//     per source image, from one decode) at -workers, and ../shared/bench/reference_tint.py
//     --both, which writes the same two images per source image, with as many processes;
//     with -gobin also the pure-Go build. The programs run in turn within each of -rounds
//     rounds, and each ratio is the median of the rounds' ratios, reported with their
//     range;
//   - the codec floor for the same work: decode of the whole image at the best DCT scale
//     plus two JPEG encodes of the 256×256 result, on one thread, per source image; and
//     shiftgen's --workers 1 time per source image, whole process, as a multiple of it,
//     each single-worker run next to a floor pass. Per-written-image figures follow,
//     labelled as such;
//   - shiftgen's peak RSS (from the process's rusage) on the sample and on the sample
//     repeated -copies times (hard links, or copies where links fail);
//   - whether two runs wrote the same bytes, and how far the fast codec's output is from
//     the pure-Go codec's;
//   - the 19 ImageNet-C corruptions at severities 1–5 against bethgelab/imagecorruptions
//     (-imagecorruptions DIR, a checkout, or the python's installed package; the section
//     is skipped when neither imports): both pinned to one core (taskset, GOMAXPROCS=1,
//     every Python thread pool at 1), alternating for -imagenetc-rounds rounds, on the
//     committed 224-px test images; ms per image and the ratio per corruption and
//     severity (median of the rounds' ratios, with their range) and for all 19 × 5.
//     shiftgen's side runs in a child process of this command (-imagenetc-child) and uses
//     the corruptions as built with benchreport's tags (libjpeg-turbo for JPEG with
//     turbojpeg).
//
// The shiftgen binary (-bin) runs as a subprocess, so its RSS and CPU time are its own.
// Build benchreport with the same tags as the binary: its in-process codec (for the
// floor) must be the binary's, and the report warns when it is not. Outputs go to a
// folder under -tmp and are deleted at the end; on a machine where other work deletes
// many files, -tmp /dev/shm avoids the file system's slow inode allocation right after
// deletions, which otherwise makes the figures vary from run to run.
//
// Usage:
//
//	go run -tags turbojpeg ./cmd/benchreport -bin bin/shiftgen [-gobin bin/shiftgen-go] [-in ../shared/imagenet-sample] [-workers 2] [-rounds 5] [-tmp /dev/shm]
//	go run -tags turbojpeg ./cmd/benchreport -imagenetc-only -imagecorruptions ~/imagecorruptions [-imagenetc-rounds 5] [-imagenetc-cpu 0]
package main
