// Package ffcv writes and reads FFCV .beton files with an "image" field (FFCV's
// RGBImageField) and a "label" field (IntField), in the format that FFCV 0.0.3's
// ffcv.reader.Reader and ffcv.loader.Loader read, with either memory manager.
//
// A Writer appends samples in order and assembles the file when the number of samples
// is known; its state after each sample is its sample count, which a run journals: a
// killed run reopens the work folder, truncates it to the journaled count and goes on,
// and the result is byte-identical. The page layout depends only on the sequence of
// samples, so files written in parts (one per process) and joined by Merge are
// byte-identical to the file one Writer would have written. A Reader checks a file's
// structure and locates each sample's payload, for verification.
//
// README.md in this folder describes the on-disk format and where its rules come from.
// This package imports nothing else of shiftgen.
package ffcv
