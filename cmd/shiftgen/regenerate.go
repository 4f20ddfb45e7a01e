package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/shiftgen/shiftgen/manifests"
	"github.com/shiftgen/shiftgen/pipeline"
)

func regenerateCommand() *cli.Command {
	return &cli.Command{
		Name:      "regenerate",
		Usage:     "make one image of a generated dataset again from its manifest and record",
		UsageText: "shiftgen regenerate --manifest OUT/<shift>/manifest.json --index N [--distribution shifted] [--split val] [--in ROOT] --out FILE",
		Description: "Finds the image's record, rebuilds the shift with the record's per-image draws (angles,\n" +
			"textures, crops, seeds) as explicit parameters, and runs the source image through the same\n" +
			"decode, preprocessing, transform and encoding as generate, with the manifest's seed,\n" +
			"preprocessing, format and quality. Prints the spec used and whether the file's SHA-256 is\n" +
			"the record's; exits 4 when it is not.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "manifest", Usage: "the dataset's manifest.json", Required: true},
			&cli.IntFlag{Name: "index", Usage: "the image's index in its source split (the record's \"index\")", Required: true},
			&cli.StringFlag{Name: "distribution", Value: "shifted", Usage: "reference or shifted"},
			&cli.StringFlag{Name: "split", Value: "val", Usage: "the source split"},
			&cli.StringFlag{Name: "in", Usage: "source ImageFolder root (default: the manifest's source; the embedded sample for datasets made from it)"},
			&cli.StringFlag{Name: "out", Usage: "file to write", Required: true},
			&cli.BoolFlag{Name: "force", Usage: "replace an existing --out file"},
			&cli.IntFlag{Name: "tint-table-size", Usage: "the generate run's --tint-table-size (default: its default)"},
			&cli.StringFlag{Name: "frost-textures", Usage: "the generate run's --frost-textures"},
			&cli.StringFlag{Name: "style-images", Usage: "the generate run's --style-images `DIR` (default: the folder, or the generated styles, the manifest records)"},
		},
		Action: func(c *cli.Context) error {
			in := c.String("in")
			if in == "" {
				src, err := manifestSource(c.String("manifest"))
				if err != nil {
					return err
				}
				root, _, cleanup, err := inputRoot(src)
				if err != nil {
					return err
				}
				defer cleanup()
				in = root
			}
			res, err := pipeline.Regenerate(pipeline.RegenerateOptions{
				Manifest: c.String("manifest"), Index: c.Int("index"), Distribution: c.String("distribution"),
				Split: c.String("split"), In: in, Out: c.String("out"), Force: c.Bool("force"),
				TintTableSize: c.Int("tint-table-size"), FrostTextures: c.String("frost-textures"),
				StyleImages: c.String("style-images"),
			})
			if err != nil {
				return err
			}
			w := c.App.Writer
			fmt.Fprintf(w, "record\t%s %s index %d: %s\n", res.Record.Distribution, res.Record.Split, res.Record.Index, res.Record.Path)
			fmt.Fprintf(w, "spec\t%s\n", res.Spec)
			fmt.Fprintf(w, "wrote\t%s (sha256 %s)\n", c.String("out"), res.SHA256)
			if !res.Match {
				msg := fmt.Sprintf("shiftgen regenerate: mismatch: the record's sha256 is %s", res.Record.SHA256)
				if res.CodecNote != "" {
					msg += " (" + res.CodecNote + ")"
				}
				return exit(msg, exitVerify)
			}
			fmt.Fprintln(w, "match\tthe file is byte for byte the one the record describes")
			return nil
		},
	}
}

// manifestSource returns the source root a dataset's manifest names, or "" for the
// embedded sample.
func manifestSource(path string) (string, error) {
	m, err := manifests.ReadManifest(path)
	if err != nil {
		return "", err
	}
	if m.Source == sampleName {
		return "", nil
	}
	return string(m.Source), nil
}
