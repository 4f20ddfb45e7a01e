package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/shiftgen/shiftgen/manifests/eval"
)

func reproduceCommand() *cli.Command {
	return &cli.Command{
		Name:  "reproduce",
		Usage: "reproduce the paper's figures, or preview them with simulated predictions",
		UsageText: "shiftgen reproduce logreg [--plot FILE] [--format table|csv|json|markdown]\n" +
			"shiftgen reproduce predictions --manifest 'OUT/*' --out PREDS [--seed N] [--force]",
		Action: func(c *cli.Context) error {
			if c.Args().Len() > 0 {
				return usage(fmt.Errorf("reproduce: unknown subcommand %q; available: logreg, predictions", c.Args().First()))
			}
			return cli.ShowSubcommandHelp(c)
		},
		Subcommands: []*cli.Command{{
			Name:  "logreg",
			Usage: "the logistic-regression picture: initialisation matters out of support only",
			Description: "Trains logistic regressions by gradient descent on reference data confined to a subspace W,\n" +
				"from scratch (baselines: varying training size and steps) and from several pre-trained\n" +
				"initialisations, then measures their effective robustness with the eval code on an in-support\n" +
				"shift (class mix changes) and an out-of-support shift (a new informative coordinate).",
			Flags: []cli.Flag{
				&cli.Uint64Flag{Name: "seed", Usage: "seed of the training sets and initialisations"},
				&cli.StringFlag{Name: "scale", Value: "probit", Usage: "`SCALE`: probit or logit"},
				&cli.IntFlag{Name: "bootstrap", Usage: "`N` bootstrap resamples of the baselines"},
				formatFlag,
				&cli.StringFlag{Name: "plot", Usage: "draw both panels to `FILE` (.png, .svg or .pdf)"},
			},
			Action: func(c *cli.Context) error {
				if err := checkBounds(c, bootstrapBound); err != nil {
					return err
				}
				if err := checkFormat(c); err != nil {
					return err
				}
				scale, err := eval.ParseScale(c.String("scale"))
				if err != nil {
					return usage(fmt.Errorf("--scale: %w", err))
				}
				res, err := eval.Logreg(eval.LogregConfig{Seed: c.Uint64("seed"), Scale: scale, Bootstrap: c.Int("bootstrap")})
				if err != nil {
					return err
				}
				if err := res.Write(c.App.Writer, c.String("format")); err != nil {
					return err
				}
				return plotTo(c.String("plot"), func(f string) ([]string, error) { return []string{f}, res.Plot(f) })
			},
		}, predictionsCommand()},
	}
}

func predictionsCommand() *cli.Command {
	return &cli.Command{
		Name:      "predictions",
		Usage:     "SIMULATED predictions for generated datasets, to preview the paper's figures before training",
		UsageText: "shiftgen reproduce predictions --manifest 'OUT/*' [--manifest ...] --out PREDS [--seed N] [--split SPLIT] [--force]",
		Description: "Writes made-up predictions, one file per model and dataset (PREDS/<dataset>/<model>.csv, the layout\n" +
			"eval reads), with PREDS/models.csv (model,group,baseline) and PREDS/simulation.json. Scratch models\n" +
			"(the baselines) lie on a probit line drawn per dataset; \"pre-trained\" models lie on it for in-support\n" +
			"shifts and above it by their group's effective robustness for out-of-support shifts, by construction,\n" +
			"as reproduce logreg shows in theory. Exactly round(accuracy x images) predictions are right on each\n" +
			"side; the others are wrong labels. Seeded and deterministic. No model made these predictions.",
		Flags: []cli.Flag{
			&cli.StringSliceFlag{Name: "manifest", Usage: "a dataset's `MANIFEST`, its folder, a folder of datasets or a quoted glob; repeatable"},
			&cli.StringFlag{Name: "out", Usage: "output folder `PREDS`"},
			&cli.StringFlag{Name: "split", Value: "val", Usage: "`SPLIT` to simulate"},
			&cli.Uint64Flag{Name: "seed", Usage: "seed of every draw"},
			&cli.BoolFlag{Name: "force", Usage: "replace a PREDS folder this command wrote before"},
			&cli.IntFlag{Name: "workers", Usage: "records decoded at once (default: all cores)"},
		},
		Action: func(c *cli.Context) error {
			if err := checkBounds(c, workersBound); err != nil {
				return err
			}
			if c.Args().Len() > 0 {
				return usage(fmt.Errorf("reproduce predictions takes no arguments (got %s): quote a glob given to --manifest ('OUT/*') so that the shell leaves it to shiftgen", c.Args().First()))
			}
			if len(c.StringSlice("manifest")) == 0 || c.String("out") == "" {
				return usage(fmt.Errorf("reproduce predictions needs --manifest and --out"))
			}
			sim, err := eval.Simulate(c.Context, eval.SimConfig{Manifests: c.StringSlice("manifest"), Out: c.String("out"),
				Split: c.String("split"), Seed: c.Uint64("seed"), Force: c.Bool("force"), Workers: c.Int("workers")})
			if err != nil {
				return err
			}
			return sim.Write(c.App.Writer)
		},
	}
}
