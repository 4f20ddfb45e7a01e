// Package supportsplit splits a natural distribution shift into an in-support and an
// out-of-support part, as the paper describes: a domain classifier learns to tell
// reference examples from shifted ones, each example is scored by a model that never
// saw it (K-fold cross-fitting), the scores are calibrated by one temperature, and the
// calibrated probabilities give each shifted example's density ratio
// p_shift(x)/p_ref(x). A shifted example whose ratio p_ref/p_shift is at most ε is out
// of support: the reference distribution (almost) never produces anything like it.
//
// The classifier is an L2-regularised logistic regression on features from the user's
// own extractor (ReadFeatures: NumPy .npy or CSV, one row per record), or the user
// brings out-of-fold logits of their own classifier (ReadScores). CrossFit fits the
// folds' models concurrently with a preconditioned L-BFGS; every pass over the features
// serves all models waiting for an evaluation, because a pass costs mostly the reading
// of the rows from memory. The features are held once, as float32: a 150,000 × 768
// split takes about 15 s of CPU time and 0.7 GB (measure it with
// cmd/splitbench). Calibrate, AUC, LogDensityRatio and OutOfSupport are the
// remaining steps.
//
// Run ties everything to manifests. It reads a reference and a shifted dataset (as
// written by shiftgen index or generate) and writes a dataset whose records carry
// "score", "density_ratio" and "log_density_ratio", the shifted ones also "support"
// ("in" or "out"); record paths are rebased so that they still open the original
// images. Result.Plot draws the histogram of log density ratios with the threshold
// marked; shiftgen eval --by support then reports effective robustness on each part.
//
// Everything is deterministic: folds come from a seeded shuffle and every pass sums
// fixed blocks of rows in a fixed order, so the same inputs and seed give
// byte-identical outputs whatever the number of workers. The package imports manifests
// (with its internal npy reader and plot saver) and third-party libraries only.
package supportsplit
