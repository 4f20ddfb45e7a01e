// Package webdataset writes and reads WebDataset tar shards: POSIX (ustar) archives in
// which each sample is a group of members sharing a key, <key>.cls (the label in
// decimal ASCII), <key>.json (the sample's record) and <key>.jpg or <key>.png (the
// image), as the webdataset library and Hugging Face datasets group them.
//
// Shards hold a fixed number of samples (the last one fewer), samples appear in
// increasing key order and every tar header is fixed but for the name and size, so a
// shard's bytes depend only on its samples: the same across runs, worker counts,
// resumed runs and sharded runs joined by Merge. A Writer's state after each sample is
// its sample count; a killed run reopens the writer, truncates it to the count it
// journaled and goes on. A Reader checks a shard's structure and locates each member,
// for verification.
//
// README.md in this folder describes the on-disk format and where its rules come from.
// This package imports nothing else of shiftgen.
package webdataset
