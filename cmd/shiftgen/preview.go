package main

import (
	"bytes"
	"fmt"
	"image/png"

	"github.com/urfave/cli/v2"

	"github.com/shiftgen/shiftgen/manifests"
	"github.com/shiftgen/shiftgen/pipeline"
)

func previewCommand() *cli.Command {
	return &cli.Command{
		Name:      "preview",
		Usage:     "write a PNG contact sheet of shifts on sample images",
		UsageText: "shiftgen preview [--in ROOT] --shift S [--shift S ...] --out FILE.png",
		Description: "Rows are sample images (from --in, or the embedded sample); columns are the original\n" +
			"and each shift's shifted look. With one shift whose severity is left unset, the columns\n" +
			"are severities 1 to 5. Columns are marked in-support (blue) or out-of-support (orange).",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "in", Usage: "source ImageFolder `ROOT` (default: the embedded sample)"},
			&cli.StringSliceFlag{Name: "shift", Usage: "shift `SPEC` shown as a column; repeatable", Required: true},
			&cli.StringFlag{Name: "out", Usage: "PNG `FILE` to write", Required: true},
			&cli.IntFlag{Name: "rows", Value: 3, Usage: "number of sample images, 1 to 64"},
			&cli.IntFlag{Name: "cell", Value: 160, Usage: "cell size in pixels, 16 to 1024"},
			&cli.Int64Flag{Name: "seed", Usage: "seed of random choices"},
			&cli.BoolFlag{Name: "force", Usage: "overwrite an existing --out file"},
			styleImagesFlag,
		},
		Action: func(c *cli.Context) error {
			if err := checkBounds(c, bound{flag: "rows", lo: 1, hi: 64}, bound{flag: "cell", lo: 16, hi: 1024, why: "pixels"}); err != nil {
				return err
			}
			if err := refuseExisting(c.String("out"), c.Bool("force")); err != nil {
				return err
			}
			root, _, cleanup, err := inputRoot(c.String("in"))
			if err != nil {
				return err
			}
			defer cleanup()
			sheet, err := pipeline.Preview(pipeline.PreviewOptions{In: root, Shifts: c.StringSlice("shift"),
				Rows: c.Int("rows"), Cell: c.Int("cell"), Seed: c.Int64("seed"), StyleImages: styleImages(c)})
			if err != nil {
				return err
			}
			var buf bytes.Buffer
			if err := png.Encode(&buf, sheet); err != nil {
				return err
			}
			if err := manifests.WriteFileAtomic(c.String("out"), buf.Bytes()); err != nil {
				return err
			}
			fmt.Fprintln(c.App.Writer, c.String("out"))
			return nil
		},
	}
}
