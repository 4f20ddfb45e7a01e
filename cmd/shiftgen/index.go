package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/shiftgen/shiftgen/pipeline"
	"github.com/shiftgen/shiftgen/pipeline/imageio"
)

func indexCommand() *cli.Command {
	return &cli.Command{
		Name:      "index",
		Usage:     "describe an existing ImageFolder dataset (a natural shift) with a manifest, without rewriting images",
		UsageText: "shiftgen index --in ROOT --out DIR [--distribution shifted|reference] [--classes FILE]",
		Description: "Scans ROOT/<class>/<image> (or ROOT/{train,val}/<class>/<image>) in torchvision ImageFolder\n" +
			"order and writes DIR/manifest.json, DIR/records.jsonl and DIR/run.json. Records keep each image's\n" +
			"split, index and label; their path is the original file's path relative to DIR (images are not\n" +
			"copied), with its size, SHA-256 and header width and height. --classes maps folder names onto a\n" +
			"reference class list (a text file with one wnid per line, or the reference dataset's\n" +
			"manifest.json): wnid folders map by name (ImageNet-R, -Sketch), numbered folders 0..999 by number\n" +
			"(ImageNet-V2), so labels agree with the reference dataset's.\n" +
			"Exit status 3 means the manifest was written but some images were unreadable (listed in it).",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "in", Usage: "ImageFolder `ROOT` to index", Required: true},
			&cli.StringFlag{Name: "out", Usage: "`DIR` for manifest.json, records.jsonl and run.json", Required: true},
			&cli.StringFlag{Name: "distribution", Value: "shifted", Usage: "records' `DISTRIBUTION`: shifted or reference"},
			&cli.StringFlag{Name: "classes", Usage: "reference class list `FILE`: text (one wnid per line) or a manifest.json"},
			&cli.IntFlag{Name: "workers", Usage: "files hashed concurrently (default: all cores)"},
			&cli.Int64Flag{Name: "max-file-bytes", Value: imageio.DefaultMaxFileBytes, Usage: "refuse, before reading, files larger than this many bytes"},
			&cli.BoolFlag{Name: "force", Usage: "replace an existing, non-empty DIR"},
			&cli.BoolFlag{Name: "follow-symlinks", Usage: "follow symbolic links in the source"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "no progress bar"},
		},
		Action: func(c *cli.Context) error {
			if err := checkBounds(c, workersBound, bound{flag: "max-file-bytes", lo: 1, hi: 1 << 50}); err != nil {
				return err
			}
			opt := pipeline.IndexOptions{
				In: c.String("in"), Out: c.String("out"), Distribution: c.String("distribution"),
				Workers: c.Int("workers"), MaxFileBytes: c.Int64("max-file-bytes"), Force: c.Bool("force"), FollowSymlinks: c.Bool("follow-symlinks"),
				Command: strings.Join(os.Args, " "), Warn: warner(false),
			}
			if f := c.String("classes"); f != "" {
				classes, err := pipeline.ReadClassList(f)
				if err != nil {
					return usage(err)
				}
				opt.Classes, opt.ClassesFrom = classes, f
			}
			progress, finish := newProgress(c.Bool("quiet"), "index")
			opt.Progress = progress
			res, err := pipeline.Index(c.Context, opt)
			finish()
			if err != nil {
				return err
			}
			fmt.Fprintf(c.App.Writer, "%d images\t%s\n", res.Images, res.Manifest)
			return skippedExit(res.Skipped, res.Manifest)
		},
	}
}
