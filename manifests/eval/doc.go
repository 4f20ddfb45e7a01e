// Package eval measures effective robustness: given each model's accuracy on a
// reference and a shifted distribution, it fits the line that baseline models (trained
// from scratch) follow on a probit or logit scale and reports how far every model lies
// above it, with the paper's t-band interval and an optional seeded bootstrap.
//
// Accuracies come from one of two places:
//
//   - a generated dataset's manifest.json and records.jsonl plus one predictions file per
//     model (CSV, JSONL or NumPy .npy; see ReadPredictions), scored image by image,
//     class-matched when the shift covers a subset of classes (not for label shifts, whose
//     class proportions are the shift: see KeepRates), optionally per value of any record
//     field (Config.By);
//   - a table of published accuracies (ReadTable), such as the ImageNet testbed's.
//
// Run ties these together for the shiftgen eval command; Report.Write renders the result
// as a table, CSV, Markdown or JSON (a stable contract), and Plot draws the figure a paper
// would show. RunShifts scores many datasets in one run, each prediction file read once
// (one folder per dataset, or files covering several), with reference images from
// another dataset where a dataset has none (Config.Reference); its ShiftsReport
// summarises each group's ER per shift and per kind of shift, draws small multiples, the
// mean ER per shift by kind and, for parameter sweeps, the mean ER over the parameter,
// and, for ImageNet-C corruptions, gives the corruption errors, mCE and relative mCE
// normalised by AlexNet's published errors (ImageNetC). Evaluate picks Run or RunShifts.
// Logreg reproduces the paper's logistic-regression picture through the same code, and
// Simulate writes made-up predictions whose ER follows that picture by construction, to
// preview the paper's figures before training.
//
// Everything is deterministic for a given seed: every random draw comes from a generator
// local to the call, keyed by the seed and the subset being evaluated, and results are
// stored by input index, never by order of arrival. The package imports manifests (with
// its internal npy reader and plot saver) and third-party libraries only.
package eval
