package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/shiftgen/shiftgen/pipeline"
)

func verifyCommand() *cli.Command {
	return &cli.Command{
		Name:      "verify",
		Usage:     "check that a dataset on disk is exactly what its manifest says",
		UsageText: "shiftgen verify [--quick] [--images DIR] OUT/<shift> [OUT/<shift> ...]",
		Description: "Re-hashes every file, checks the records file, counts and schema, and that nothing is\n" +
			"missing or extra. Prints a summary and exits 4 listing missing, changed and extra files.\n" +
			"Nothing outside the dataset folder (and --images) is opened: record paths that are absolute\n" +
			"or lead out of it, and files replaced by symbolic links, are reported, not followed.",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "quick", Usage: "compare sizes only, do not re-hash"},
			&cli.StringFlag{Name: "images", Usage: "for an indexed dataset: the folder its records point into (the `DIR` given to index --in)"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "no progress bar"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() == 0 {
				return usage(fmt.Errorf("verify needs a dataset folder, e.g. shiftgen verify out/spurious-tint"))
			}
			failed := 0
			for _, dir := range c.Args().Slice() {
				progress, finish := newProgress(c.Bool("quiet"), "verify")
				rep, err := pipeline.Verify(c.Context, dir, pipeline.VerifyOptions{Quick: c.Bool("quick"), Images: c.String("images"), Progress: progress})
				finish()
				if err != nil {
					return err
				}
				fmt.Fprint(c.App.Writer, rep.Summary())
				if !rep.OK() {
					failed++
				}
			}
			if failed > 0 {
				return exit(fmt.Sprintf("shiftgen verify: %d dataset(s) differ from their manifests", failed), exitVerify)
			}
			return nil
		},
	}
}
