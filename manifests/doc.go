// Package manifests defines the files that describe a generated (or indexed) dataset,
// reads them, and owns the writing of a dataset folder: OUT/<shift>/manifest.json,
// OUT/<shift>/records.jsonl, OUT/<shift>/run.json, the images' placement and the work
// folder OUT/<shift>/.work that holds a run's lock and journals.
//
// manifest.json and records.jsonl depend only on the inputs, the options and the seed:
// never on time, host or worker count, so two runs of the same job give byte-identical
// files. run.json holds what does vary (start and end time, host, workers, speed) and
// the job description a resume of the finished dataset compares with its own.
//
// # Reading
//
// The readers validate what they read (schema version, required fields, consistent
// counts) and return errors that name the file and line. ReadRecords is the one reader
// of records.jsonl: serial or parallel, full or light decoding, and, given the manifest's
// FileRef, a check of the file's record count and SHA-256.
//
// # Writing
//
// A Writer owns a dataset folder for one run (generate, index, split, or one shard of
// a generate); Merge joins shards. Both take an advisory lock in the work folder, so a
// second run on the same folder is refused at once with a message naming the first.
// Images go through an ImageSink (LooseFiles: one file per image, written by the
// workers; container formats commit in record order from the joining goroutine).
//
// Every file is written under a temporary name in its final folder and renamed
// (CreateAtomic), so nothing half-written ever carries a final name. The fsync policy:
//
//   - Durable files (records.jsonl, manifest.json, run.json, the work folder's job,
//     shard and finished files, reports and plots) are synced before the rename, and
//     their folder after it.
//   - Images (Deferred) are renamed without a sync of their own; the Writer makes all of
//     them durable with one sync of their file system (syncfs on Linux) before it writes
//     records.jsonl, so a manifest never names an image a power cut could lose.
//   - Journals (the record streams and skipped inputs of .work) are appended and flushed
//     about once a second, never synced; a resumed run re-hashes every image its journal
//     names and ignores a torn last line, so a journal that outlived its images costs
//     only redone work.
//
// Every Workers setting of shiftgen means the same (WorkerCount): 0 is all cores. This
// package imports nothing else of shiftgen; its internal packages (npy, plotfile) serve
// eval and supportsplit.
package manifests
