package main

import (
	"fmt"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/shiftgen/shiftgen/pipeline"
)

func mergeCommand() *cli.Command {
	return &cli.Command{
		Name:      "merge",
		Usage:     "join the finished shards of a dataset into its manifest and records",
		UsageText: "shiftgen merge OUT/<shift> [OUT/<shift> ...]",
		Description: "After every `shiftgen generate --shard K/N` of a job has finished, writes the same\n" +
			"manifest.json and records.jsonl one process would have written. Refuses while shards\n" +
			"are missing or when they came from different options. Exit status 3: merged, but some inputs\n" +
			"were skipped (see the manifest).",
		Action: func(c *cli.Context) error {
			if c.NArg() == 0 {
				return usage(fmt.Errorf("merge needs a dataset folder, e.g. shiftgen merge out/spurious-tint"))
			}
			skipped := 0
			for _, dir := range c.Args().Slice() {
				res, err := pipeline.Merge(dir)
				if err != nil {
					return err
				}
				if res.Finished {
					fmt.Fprintf(os.Stderr, "shiftgen: %s: an earlier merge had written every file; removed what was left of its work folder\n", dir)
				}
				fmt.Fprintf(c.App.Writer, "%s\t%d shards\t%d images\t%s\n", res.Dir, res.Shards, res.Images, res.Manifest)
				for _, w := range res.Warnings {
					fmt.Fprintf(os.Stderr, "shiftgen: warning: %s: %s\n", res.Dir, w)
				}
				skipped += res.Skipped
			}
			// As after a run in one process: written, but with inputs skipped.
			return skippedExit(skipped, "each manifest.json")
		},
	}
}
