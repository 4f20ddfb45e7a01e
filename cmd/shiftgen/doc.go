// Command shiftgen generates shifted benchmark datasets from ImageNet-style folders and
// measures the effective robustness of models on them.
//
// Subcommands: generate, list, preview, eval, reproduce, index, split, verify, regenerate,
// merge and version; `shiftgen help` lists them with their flags. This package only parses flags,
// wires the library packages together, shows progress and maps errors to exit codes:
//
//	0   success
//	1   error (bad input refused, output-side failure)
//	2   usage error (unknown flag, bad value)
//	3   generate, index or merge finished but skipped inputs (listed in the manifest)
//	4   verify found missing, changed or extra files; regenerate made other bytes than
//	    the record's
//	130 interrupted (Ctrl-C or SIGTERM)
package main
