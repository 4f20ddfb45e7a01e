// Package manifests defines the files that describe a generated (or indexed) dataset and
// reads and writes them: OUT/<shift>/manifest.json, OUT/<shift>/records.jsonl and
// OUT/<shift>/run.json.
//
// manifest.json and records.jsonl depend only on the inputs, the options and the seed:
// never on time, host or worker count, so two runs of the same job give byte-identical
// files. run.json holds what does vary (start and end time, host, workers, speed).
//
// The readers validate what they read (schema version, required fields, consistent
// counts) and return errors that name the file and line. This package imports nothing
// else of shiftgen.
package manifests
