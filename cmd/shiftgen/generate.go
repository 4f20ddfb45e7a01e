package main

import (
	"fmt"
	"os"
	"runtime"
	"strings"

	"github.com/shiftgen/shiftgen/pipeline/imageio"

	"github.com/urfave/cli/v2"

	"github.com/shiftgen/shiftgen/manifests"
	"github.com/shiftgen/shiftgen/pipeline"
)

func generateCommand() *cli.Command {
	return &cli.Command{
		Name:      "generate",
		Usage:     "write shifted datasets (reference + shifted distribution) with manifests",
		UsageText: "shiftgen generate [--in ROOT] --out OUT --shift NAME[:key=value,...] [--shift ...]",
		Description: "Reads ROOT/<class>/<image> (or ROOT/{train,val}/<class>/<image>) in torchvision ImageFolder\n" +
			"order and writes OUT/<shift>/{reference,shifted}/<split>/<class>/<file> plus manifest.json,\n" +
			"records.jsonl and run.json. Without --in it uses the sample embedded in the binary.\n" +
			"Exit status 3 means the datasets were written but some inputs were skipped (see the manifest).",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "in", Usage: "source ImageFolder `ROOT` (default: the embedded sample)"},
			&cli.StringFlag{Name: "out", Usage: "output root `OUT`; each shift writes OUT/<shift>/", Required: true},
			&cli.StringSliceFlag{Name: "shift", Usage: "shift `SPEC`: NAME or NAME:key=value,...; repeatable (names: shiftgen list)", Required: true},
			&cli.Int64Flag{Name: "seed", Value: 0, Usage: "seed of every random choice (0, the default, is the paper's)"},
			&cli.IntFlag{Name: "tint-table-size", Value: 1281167, Usage: "length of the paper's tint tables (default: ImageNet's train size, 1281167)"},
			&cli.StringFlag{Name: "preprocess", Value: "paper", Usage: "preprocessing `P`: paper (val: short side 256, centre crop 256; train: long side at most 256), imagenet-c (short side 256, centre crop 224) or none"},
			&cli.StringFlag{Name: "format", Value: "jpeg", Usage: "output `FORMAT`: jpeg or png"},
			&cli.IntFlag{Name: "quality", Usage: "JPEG quality, 1 to 100 (default: 95; 85 with --layout imagenet-c)"},
			&cli.StringFlag{Name: "layout", Value: "default", Usage: "`LAYOUT`: default, or imagenet-c (<corruption>/<severity>/<wnid>/<file>, shifted val only; implies --preprocess imagenet-c)"},
			&cli.IntFlag{Name: "workers", Usage: "concurrent workers (default: all cores)"},
			&cli.Int64Flag{Name: "max-pixels", Value: imageio.DefaultMaxPixels, Usage: "refuse images whose header declares more pixels"},
			&cli.Int64Flag{Name: "max-file-bytes", Value: imageio.DefaultMaxFileBytes, Usage: "refuse, before reading, input files larger than this many bytes"},
			&cli.BoolFlag{Name: "force", Usage: "replace existing, non-empty OUT/<shift> folders"},
			&cli.BoolFlag{Name: "resume", Usage: "continue an interrupted run of the same command (verified work is kept)"},
			&cli.StringFlag{Name: "shard", Usage: "write only part `K/N` of the job (auto: from Slurm or Kubernetes variables); join the parts with shiftgen merge"},
			&cli.IntFlag{Name: "shards", Usage: "with --shard auto on Kubernetes: the Indexed Job's completions"},
			&cli.BoolFlag{Name: "follow-symlinks", Usage: "follow symbolic links in the source"},
			&cli.StringFlag{Name: "frost-textures", Usage: "`DIR` of your own frost images for the frost corruption (default: procedural textures)"},
			styleImagesFlag,
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "no progress bar"},
		},
		Action: func(c *cli.Context) error {
			if err := checkBounds(c, bound{flag: "quality", lo: 1, hi: 100}, workersBound,
				bound{flag: "max-pixels", lo: 1, hi: 1 << 40}, bound{flag: "max-file-bytes", lo: 1, hi: 1 << 50},
				bound{flag: "tint-table-size", lo: 1, hi: 1 << 27}, bound{flag: "shards", lo: 1, hi: 1 << 20}); err != nil {
				return err
			}
			root, name, cleanup, err := inputRoot(c.String("in"))
			if err != nil {
				return err
			}
			defer cleanup()
			shard, err := shardFlag(c.String("shard"), c.Int("shards"))
			if err != nil {
				return usage(err)
			}
			preprocess := c.String("preprocess")
			if c.String("layout") == "imagenet-c" && !c.IsSet("preprocess") {
				preprocess = "imagenet-c" // the published dataset's 224 px crops
			}
			progress, finish := newProgress(c.Bool("quiet"), "generate")
			opt := pipeline.Options{
				In: root, SourceName: name, Out: c.String("out"), Shifts: c.StringSlice("shift"),
				Seed: c.Int64("seed"), TintTableSize: c.Int("tint-table-size"),
				Preprocess: imageio.Preprocess(preprocess), Format: imageio.Format(c.String("format")),
				Quality: c.Int("quality"), Layout: pipeline.Layout(c.String("layout")), Workers: c.Int("workers"),
				MaxPixels: c.Int64("max-pixels"), MaxFileBytes: c.Int64("max-file-bytes"), Force: c.Bool("force"), FollowSymlinks: c.Bool("follow-symlinks"),
				FrostTextures: c.String("frost-textures"), StyleImages: styleImages(c), Resume: c.Bool("resume"), Shard: shard, Progress: progress, Command: strings.Join(os.Args, " "),
				Warn: warner(false),
			}
			spareProcessor(opt.Workers)
			res, err := pipeline.Run(c.Context, opt)
			finish()
			if err != nil {
				return err
			}
			if res.AlreadyComplete {
				fmt.Fprintln(os.Stderr, "shiftgen: every dataset is already complete; nothing to resume")
				return skippedExit(res.Skipped, "each manifest.json")
			}
			for _, d := range res.Datasets {
				fmt.Fprintf(c.App.Writer, "%s\t%d images\t%s\n", d.Spec, d.Images, d.Manifest)
			}
			if !res.Shard.IsZero() {
				fmt.Fprintf(os.Stderr, "shiftgen: shard %s done; once all %d shards are done, run `shiftgen merge` on each dataset folder\n", res.Shard, res.Shard.N)
			}
			fmt.Fprintf(os.Stderr, "shiftgen: wrote %d images in %.1fs (%.0f images/s, codec %s)\n",
				res.Images-res.Resumed, res.Elapsed.Seconds(), float64(res.Images-res.Resumed)/res.Elapsed.Seconds(), res.Codec)
			return skippedExit(res.Skipped, "each manifest.json")
		},
	}
}

// spareProcessor gives the Go scheduler one processor more than there are workers,
// unless the environment sets GOMAXPROCS. Workers spend most of their time in C
// (libjpeg-turbo decodes and encodes). While a goroutine is in a long C call the runtime
// hands its processor on, and when no processor is idle it wakes a thread to spin for
// work, which takes a core from the other workers. With one processor to spare none
// spins: on 2 cores with 2 workers, 5 % less CPU time and half the context switches.
func spareProcessor(workers int) {
	if os.Getenv("GOMAXPROCS") != "" {
		return
	}
	if n := manifests.WorkerCount(workers) + 1; n > runtime.GOMAXPROCS(0) {
		runtime.GOMAXPROCS(n)
	}
}

// shardFlag reads --shard: "", "K/N" or "auto" (Slurm or Kubernetes variables).
func shardFlag(s string, shards int) (pipeline.Shard, error) {
	if shards != 0 && s != "auto" {
		return pipeline.Shard{}, fmt.Errorf("--shards %d goes with --shard auto (with --shard K/N, N is the shard count)", shards)
	}
	switch s {
	case "":
		return pipeline.Shard{}, nil
	case "auto":
		return pipeline.ShardFromEnv(os.Getenv, shards)
	}
	return pipeline.ParseShard(s)
}
