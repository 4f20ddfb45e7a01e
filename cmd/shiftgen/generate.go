package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/shiftgen/shiftgen/manifests"
	"github.com/shiftgen/shiftgen/manifests/webdataset"
	"github.com/shiftgen/shiftgen/pipeline"
	"github.com/shiftgen/shiftgen/pipeline/imageio"
)

func generateCommand() *cli.Command {
	return &cli.Command{
		Name:      "generate",
		Usage:     "write shifted datasets (reference + shifted distribution) with manifests",
		UsageText: "shiftgen generate [--in ROOT] --out OUT --shift NAME[:key=value,...] [--shift ...]",
		Description: "Reads ROOT/<class>/<image> (or ROOT/{train,val}/<class>/<image>) in torchvision ImageFolder\n" +
			"order and writes OUT/<shift>/{reference,shifted}/<split>/<class>/<file> plus manifest.json,\n" +
			"records.jsonl and run.json. Without --in it uses the sample embedded in the binary.\n" +
			"--output ffcv writes OUT/<shift>/<distribution>/<split>.beton instead, --output webdataset\n" +
			"OUT/<shift>/<distribution>-<split>-NNNNNN.tar shards.\n" +
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
			&cli.StringFlag{Name: "output", Value: "folder", Usage: "`KIND` of output: folder (ImageFolder roots of image files, each with a Hugging Face metadata.jsonl), ffcv (one FFCV .beton per distribution × split) or webdataset (tar shards)"},
			&cli.StringFlag{Name: "ffcv-image", Value: "raw", Usage: "with --output ffcv: what the image field holds, `raw` pixels (the paper's write_imagenet_ffcv.py) or jpg (the JPEG --quality sets)"},
			&cli.IntFlag{Name: "shard-images", Value: webdataset.DefaultShardImages, Usage: "with --output webdataset: samples per tar shard"},
			&cli.BoolFlag{Name: "dedup", Value: true, Usage: "store images several datasets of the run share once: hard links (folder) or shared containers (ffcv, webdataset); --dedup=false writes every copy"},
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
				bound{flag: "tint-table-size", lo: 1, hi: 1 << 27}, bound{flag: "shards", lo: 1, hi: 1 << 20},
				bound{flag: "shard-images", lo: 1, hi: 1 << 30}); err != nil {
				return err
			}
			output, ffcvImage, shardImages, err := outputFlags(c)
			if err != nil {
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
			preprocess := "" // the layout's default
			if c.IsSet("preprocess") {
				preprocess = c.String("preprocess")
			}
			progress, finish := newProgress(c.Bool("quiet"), "generate")
			opt := pipeline.Options{
				In: root, SourceName: name, Out: c.String("out"), Shifts: c.StringSlice("shift"),
				Seed: c.Int64("seed"), TintTableSize: c.Int("tint-table-size"),
				Preprocess: imageio.Preprocess(preprocess), Format: imageio.Format(c.String("format")),
				Quality: c.Int("quality"), Layout: pipeline.Layout(c.String("layout")), Workers: c.Int("workers"),
				Output: output, FFCVImage: ffcvImage, ShardImages: shardImages, NoDedup: !c.Bool("dedup"),
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
			summarise(c.App.Writer, res)
			return skippedExit(res.Skipped, "each manifest.json")
		},
	}
}

// summarise tells what a generate run did: each dataset written (its spec, images and
// manifest) on w, then the shard's next step and the run's speed and savings on stderr.
func summarise(w io.Writer, res *pipeline.Result) {
	if res.AlreadyComplete {
		fmt.Fprintln(os.Stderr, "shiftgen: every dataset is already complete; nothing to resume")
		return
	}
	for _, d := range res.Datasets {
		fmt.Fprintf(w, "%s\t%d images\t%s\n", d.Spec, d.Images, d.Manifest)
	}
	if !res.Shard.IsZero() {
		fmt.Fprintf(os.Stderr, "shiftgen: shard %s done; once all %d shards are done, run `shiftgen merge` on each dataset folder\n", res.Shard, res.Shard.N)
	}
	fmt.Fprintf(os.Stderr, "shiftgen: wrote %d images in %.1fs (%.0f images/s, codec %s)%s\n",
		res.Images-res.Resumed, res.Elapsed.Seconds(), float64(res.Images-res.Resumed)/res.Elapsed.Seconds(), res.Codec, savedText(res.Shared))
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

// outputFlags reads --output and the flags that go with one kind of output, refusing
// (as usage errors) flags given for another kind.
func outputFlags(c *cli.Context) (pipeline.OutputKind, string, int, error) {
	kind := pipeline.OutputKind(c.String("output"))
	switch kind {
	case pipeline.FolderOutput, pipeline.FFCVOutput, pipeline.WebDatasetOutput:
	default:
		return "", "", 0, usage(fmt.Errorf("unknown --output %q; valid: folder, ffcv, webdataset", kind))
	}
	var ffcvImage string
	shardImages := 0
	switch {
	case c.IsSet("ffcv-image") && kind != pipeline.FFCVOutput:
		return "", "", 0, usage(fmt.Errorf("--ffcv-image goes with --output ffcv"))
	case c.IsSet("shard-images") && kind != pipeline.WebDatasetOutput:
		return "", "", 0, usage(fmt.Errorf("--shard-images goes with --output webdataset"))
	case kind == pipeline.FFCVOutput:
		ffcvImage = c.String("ffcv-image")
		if c.IsSet("format") {
			return "", "", 0, usage(fmt.Errorf("--output ffcv stores raw pixels or JPEG (--ffcv-image raw|jpg); --format does not apply"))
		}
		if ffcvImage == pipeline.FFCVRaw && c.IsSet("quality") {
			return "", "", 0, usage(fmt.Errorf("--ffcv-image raw stores pixels; --quality goes with --ffcv-image jpg"))
		}
	case kind == pipeline.WebDatasetOutput:
		shardImages = c.Int("shard-images")
	}
	return kind, ffcvImage, shardImages, nil
}

// savedText is the summary's note of what storing shared images once saved ("" when
// nothing was shared).
func savedText(s manifests.Sharing) string {
	var how []string
	if s.Linked > 0 {
		how = append(how, count(s.Linked, "hard link"))
	}
	if s.Referenced > 0 {
		how = append(how, fmt.Sprintf("%s in %s", count(s.Referenced, "image"), count(s.Containers, "shared container")))
	}
	text := ""
	if len(how) > 0 {
		text = fmt.Sprintf("; saved %s and %s by storing identical images once (%s)", count(s.Linked+s.Containers, "file"), byteSize(s.Bytes), strings.Join(how, ", "))
	}
	if s.Copied > 0 {
		text += fmt.Sprintf("; %s copied, not linked: %s", count(s.Copied, "identical image"), s.CopyReason)
	}
	return text
}

// byteSize renders n bytes for people: "1.9 MB".
func byteSize(n int64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.1f GB", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.1f kB", float64(n)/1e3)
	}
	return fmt.Sprintf("%d bytes", n)
}
