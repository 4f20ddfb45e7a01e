package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/shiftgen/shiftgen/manifests/eval"
)

func reproduceCommand() *cli.Command {
	return &cli.Command{
		Name:      "reproduce",
		Usage:     "reproduce the paper's figures",
		UsageText: "shiftgen reproduce logreg [--plot FILE] [--format table|csv|json|markdown]",
		Action: func(c *cli.Context) error {
			if c.Args().Len() > 0 {
				return usage(fmt.Errorf("reproduce: unknown figure %q; available: logreg", c.Args().First()))
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
				&cli.StringFlag{Name: "format", Value: "table", Usage: "output `FORMAT`: table, csv, json or markdown"},
				&cli.StringFlag{Name: "plot", Usage: "draw both panels to `FILE` (.png, .svg or .pdf)"},
			},
			Action: func(c *cli.Context) error {
				if !slices.Contains(eval.Formats, c.String("format")) {
					return usage(fmt.Errorf("--format %q: use one of %s", c.String("format"), strings.Join(eval.Formats, ", ")))
				}
				scale, err := eval.ParseScale(c.String("scale"))
				if err != nil {
					return usage(fmt.Errorf("--scale: %w", err))
				}
				if c.Int("bootstrap") < 0 {
					return usage(fmt.Errorf("--bootstrap %d: want 0 or more resamples", c.Int("bootstrap")))
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
		}},
	}
}
