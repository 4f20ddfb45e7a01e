package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/shiftgen/shiftgen/manifests"
	"github.com/shiftgen/shiftgen/manifests/eval"
)

func evalCommand() *cli.Command {
	return &cli.Command{
		Name:  "eval",
		Usage: "effective robustness from manifests and predictions (or a table of accuracies)",
		UsageText: "shiftgen eval --manifest OUT/SHIFT/manifest.json [--models models.csv | --baseline GLOB...] --predictions PATH [PATH...]\n" +
			"shiftgen eval --manifest 'OUT/*' [--manifest ...] [--reference MANIFEST] [--ce-baseline MODEL] --predictions PATH ...\n" +
			"shiftgen eval --accuracies TABLE.csv --ref-col COL --shift-col COL --baseline COL=VALUE [--group-col COL]",
		Description: "Scores each model (one prediction file per model, named after it: CSV or JSONL with a path or\n" +
			"distribution,split,index column and a prediction column, or .npy labels/logits in ImageFolder order),\n" +
			"fits the baselines' line on a probit or logit scale and reports every model's effective robustness\n" +
			"(ER = shifted accuracy minus the line's prediction) with the paper's 95% t-band, Clopper-Pearson\n" +
			"intervals on accuracies and an optional seeded bootstrap. --format json is a stable contract.\n" +
			"With several datasets (--manifest repeated, a folder of datasets or a quoted glob) it scores each and\n" +
			"summarises each group's mean ER per shift and per kind of shift, and for ImageNet-C corruptions the\n" +
			"corruption errors, mCE and relative mCE; predictions sit in one folder per dataset, named like the\n" +
			"dataset's folder (PREDS/vflip/MODEL.csv for OUT/vflip), or in files covering several datasets.",
		Flags: []cli.Flag{
			&cli.StringSliceFlag{Name: "manifest", Usage: "a dataset's `MANIFEST` (OUT/SHIFT/manifest.json), its folder, a folder of datasets or a quoted glob; repeatable"},
			&cli.StringFlag{Name: "reference", Usage: "`MANIFEST` whose reference images (or, for an index, all images) serve datasets without their own, such as --layout imagenet-c"},
			&cli.StringSliceFlag{Name: "predictions", Aliases: []string{"p"}, Usage: "prediction files or folders (`PATH`: .csv, .jsonl, .npy; model = file stem), repeatable"},
			&cli.StringSliceFlag{Name: "npy-root", Usage: "`DIST/SPLIT` (or DIR=DIST/SPLIT) whose ImageFolder order .npy rows follow, e.g. reference/val"},
			&cli.StringFlag{Name: "split", Value: "val", Usage: "`SPLIT` to score"},
			&cli.StringFlag{Name: "models", Usage: "`models.csv` with columns model,group[,baseline,...]"},
			&cli.StringSliceFlag{Name: "baseline", Usage: "baselines: a `GLOB` on model names or COL=VALUE of --models/--accuracies, repeatable"},
			&cli.StringFlag{Name: "accuracies", Usage: "`TABLE.csv` of accuracies, one row per model"},
			&cli.StringFlag{Name: "model-col", Value: "model", Usage: "--accuracies `COLUMN` naming the models"},
			&cli.StringFlag{Name: "ref-col", Usage: "--accuracies `COLUMN` of reference accuracies"},
			&cli.StringFlag{Name: "shift-col", Usage: "--accuracies `COLUMN` of shifted accuracies"},
			&cli.StringFlag{Name: "group-col", Usage: "--accuracies `COLUMN` of model groups"},
			&cli.StringFlag{Name: "units", Usage: "--accuracies `UNITS`: percent or fraction (default: auto-detected and stated)"},
			&cli.StringSliceFlag{Name: "by", Usage: "repeat everything per value of record `FIELD` (e.g. spurious, tint_class, support), or per equal-width bin of a numeric field with FIELD:bins=K (e.g. angle:bins=6)"},
			&cli.StringFlag{Name: "scale", Value: "probit", Usage: "`SCALE`: probit (the paper's) or logit (the ImageNet testbed's)"},
			&cli.StringFlag{Name: "ce-baseline", Usage: "`MODEL` whose ImageNet-C errors normalise the corruption errors (default: AlexNet's published errors)"},
			&cli.IntFlag{Name: "bootstrap", Usage: "`N` bootstrap resamples of the baselines (the testbed uses 1000; 0: none)"},
			&cli.Uint64Flag{Name: "seed", Usage: "seed of the bootstrap"},
			formatFlag,
			&cli.StringFlag{Name: "plot", Usage: "also draw the figure to `FILE` (.png, .svg or .pdf); several datasets: small multiples in FILE, mean ER per shift by kind in FILE-STEM.kinds.EXT"},
			&cli.StringFlag{Name: "title", Usage: "`TITLE` of the report and plot (default: the shift and its kind)"},
			&cli.IntFlag{Name: "workers", Usage: "prediction files read at once (default: all cores)"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "no notes or warnings on stderr"},
		},
		Action: func(c *cli.Context) error {
			if err := checkBounds(c, workersBound, bootstrapBound); err != nil {
				return err
			}
			if err := checkFormat(c); err != nil {
				return err
			}
			// Arguments after the flags are more prediction paths (as a shell glob gives
			// them); flags are not parsed after the first of them.
			for _, a := range c.Args().Slice() {
				if strings.HasPrefix(a, "-") {
					return usage(fmt.Errorf("%s comes after prediction paths, where flags are not read: put every flag before the paths", a))
				}
				if filepath.Base(a) == manifests.ManifestFile {
					return usage(fmt.Errorf("%s is a manifest among the prediction paths: quote a glob given to --manifest ('OUT/*/manifest.json') so that the shell leaves it to shiftgen, or repeat --manifest", a))
				}
			}
			cfg := eval.Config{
				Manifests: c.StringSlice("manifest"), Reference: c.String("reference"), CEBaseline: c.String("ce-baseline"), Predictions: append(c.StringSlice("predictions"), c.Args().Slice()...), NPYRoots: c.StringSlice("npy-root"),
				Split: c.String("split"), Models: c.String("models"), Baselines: c.StringSlice("baseline"),
				Accuracies: c.String("accuracies"), RefCol: c.String("ref-col"), ShiftCol: c.String("shift-col"), GroupCol: c.String("group-col"), Units: c.String("units"),
				By: c.StringSlice("by"), Scale: eval.Scale(c.String("scale")), Bootstrap: c.Int("bootstrap"), Seed: c.Uint64("seed"),
				Title: c.String("title"), Workers: c.Int("workers"), Warn: warner(c.Bool("quiet")),
			}
			if cfg.Accuracies != "" {
				cfg.ModelCol = c.String("model-col")
			}
			if err := cfg.Validate(); err != nil {
				return usage(err)
			}
			rep, err := eval.Evaluate(c.Context, cfg)
			if err != nil {
				return err
			}
			if err := rep.Write(c.App.Writer, c.String("format")); err != nil {
				return err
			}
			return plotTo(c.String("plot"), rep.Plot)
		},
	}
}

// formatFlag is --format of the reports eval and reproduce logreg write.
var formatFlag = &cli.StringFlag{Name: "format", Value: "table", Usage: "output `FORMAT`: table, csv, json or markdown"}

// checkFormat refuses, as a usage error, a --format the reports are not written in.
func checkFormat(c *cli.Context) error {
	if f := c.String("format"); !slices.Contains(eval.Formats, f) {
		return usage(fmt.Errorf("--format %q: use one of %s", f, strings.Join(eval.Formats, ", ")))
	}
	return nil
}

// warner prints the library's notes and warnings on stderr unless quiet.
func warner(quiet bool) func(string) {
	return func(msg string) {
		if !quiet {
			fmt.Fprintln(os.Stderr, "shiftgen:", msg)
		}
	}
}

// plotTo draws to file (if set) and says which files it wrote.
func plotTo(file string, draw func(string) ([]string, error)) error {
	if file == "" {
		return nil
	}
	files, err := draw(file)
	if err != nil {
		return err
	}
	fmt.Fprintln(os.Stderr, "shiftgen: wrote", strings.Join(files, ", "))
	return nil
}
