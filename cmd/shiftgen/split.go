package main

import (
	"fmt"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/shiftgen/shiftgen/manifests/supportsplit"
	"github.com/shiftgen/shiftgen/pipeline"
)

func splitCommand() *cli.Command {
	return &cli.Command{
		Name:  "split",
		Usage: "split a natural shift into in-support and out-of-support parts with a domain classifier",
		UsageText: "shiftgen split --reference MANIFEST --reference-features FILE --shifted MANIFEST --shifted-features FILE --out DIR\n" +
			"shiftgen split --reference MANIFEST --shifted MANIFEST --scores FILE --out DIR",
		Description: "Trains a K-fold cross-fitted, L2-regularised logistic regression (regularisation chosen by inner\n" +
			"validation AUC) to tell reference from shifted examples by their features (.npy N×D float32/float64,\n" +
			"or CSV; one row per record, in records.jsonl order), calibrates its out-of-fold logits with one\n" +
			"temperature, and marks each shifted example out of support when p_ref/p_shift <= --epsilon.\n" +
			"Writes DIR/manifest.json and DIR/records.jsonl (shifted records carry support, density_ratio,\n" +
			"log_density_ratio and score); `shiftgen eval --manifest DIR/manifest.json --by support` then\n" +
			"reports effective robustness on each part.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "reference", Usage: "reference dataset's `MANIFEST`", Required: true},
			&cli.StringFlag{Name: "shifted", Usage: "shifted dataset's `MANIFEST`", Required: true},
			&cli.StringFlag{Name: "reference-features", Usage: "reference features `FILE`: .npy (N×D) or .csv, one row per record"},
			&cli.StringFlag{Name: "shifted-features", Usage: "shifted features `FILE`: .npy (N×D) or .csv, one row per record"},
			&cli.StringFlag{Name: "scores", Usage: "`FILE` of precomputed out-of-fold logits of P(shifted|x), reference records then shifted (instead of features)"},
			&cli.StringFlag{Name: "out", Usage: "`DIR` for the split dataset's manifest.json and records.jsonl", Required: true},
			&cli.Float64Flag{Name: "epsilon", Value: supportsplit.DefaultEpsilon, Usage: "out of support when p_ref/p_shift <= epsilon (the paper's text: 0.2; its notebook: 0.1)"},
			&cli.IntFlag{Name: "folds", Value: 10, Usage: "cross-fitting folds K"},
			&cli.Int64Flag{Name: "seed", Value: 0, Usage: "seed of the fold shuffle"},
			&cli.Float64SliceFlag{Name: "lambda", Usage: "L2 strength to search; repeatable (default: 0.1, 0.01, 0.001, 1e-4, 1e-5)"},
			&cli.IntFlag{Name: "workers", Usage: "goroutines per pass over the features (default: all cores)"},
			&cli.StringFlag{Name: "plot", Usage: "write the histogram of log density ratios to `FILE` (.png, .svg or .pdf)"},
			&cli.BoolFlag{Name: "force", Usage: "replace an existing, non-empty DIR"},
		},
		Action: func(c *cli.Context) error {
			if err := checkBounds(c, workersBound, bound{flag: "folds", lo: 2, hi: 1000}); err != nil {
				return err
			}
			cfg := supportsplit.Config{
				Reference: c.String("reference"), Shifted: c.String("shifted"),
				ReferenceFeatures: c.String("reference-features"), ShiftedFeatures: c.String("shifted-features"),
				Scores: c.String("scores"), Out: c.String("out"), Force: c.Bool("force"), Plot: c.String("plot"),
				Epsilon: c.Float64("epsilon"), Version: pipeline.Version,
				Fit: supportsplit.FitOptions{Folds: c.Int("folds"), Seed: c.Int64("seed"), Lambdas: c.Float64Slice("lambda"), Workers: c.Int("workers")},
			}
			if c.IsSet("epsilon") && cfg.Epsilon == 0 {
				return usage(fmt.Errorf("--epsilon 0: it must lie in (0, 1)"))
			}
			if err := cfg.Validate(); err != nil {
				return usage(err)
			}
			fmt.Fprintln(os.Stderr, "shiftgen: split: reading inputs and fitting the domain classifier...")
			res, err := supportsplit.Run(c.Context, cfg)
			if err != nil {
				return err
			}
			if err := res.Summary(c.App.Writer); err != nil {
				return err
			}
			if cfg.Plot != "" {
				fmt.Fprintf(c.App.Writer, "plot                    %s\n", cfg.Plot)
			}
			fmt.Fprintf(c.App.Writer, "manifest                %s\n", res.Manifest)
			return nil
		},
	}
}
