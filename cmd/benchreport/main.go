//go:build unix

package main

import (
	"bufio"
	"cmp"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/shiftgen/shiftgen/pipeline/imageio"
)

// config is the command line.
type config struct {
	in, bin, python, ref, tmp string
	workers, rounds, copies   int
}

func main() {
	var c config
	flag.StringVar(&c.in, "in", "../shared/imagenet-sample", "ImageNet-style folder to measure on")
	flag.StringVar(&c.bin, "bin", "bin/shiftgen", "shiftgen binary (make build)")
	flag.StringVar(&c.python, "python", "/usr/bin/python3", "python with Pillow and NumPy for the reference")
	flag.StringVar(&c.ref, "ref", "../shared/bench/reference_tint.py", "the PIL + NumPy reference script")
	flag.StringVar(&c.tmp, "tmp", "", "folder for outputs (default: the system temporary folder)")
	flag.IntVar(&c.workers, "workers", 2, "workers for shiftgen and processes for the reference")
	flag.IntVar(&c.rounds, "rounds", 3, "repetitions of each timed run (best and median are reported)")
	flag.IntVar(&c.copies, "copies", 10, "times the sample is repeated for the second memory measurement")
	flag.Parse()
	if *icChild {
		if err := icChildMain(os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "benchreport:", err)
			os.Exit(1)
		}
		return
	}
	if !*icOnly {
		if err := run(c, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "benchreport:", err)
			os.Exit(1)
		}
	}
	if err := imagenetcReport(os.Stdout, c.python); err != nil {
		fmt.Fprintln(os.Stderr, "benchreport:", err)
		os.Exit(1)
	}
}

func run(c config, w io.Writer) error {
	if c.workers < 1 || c.rounds < 1 || c.copies < 1 {
		return fmt.Errorf("-workers, -rounds and -copies must be at least 1")
	}
	bin, err := filepath.Abs(c.bin)
	if err != nil {
		return err
	}
	if _, err := os.Stat(bin); err != nil {
		return fmt.Errorf("%w (run make build first)", err)
	}
	files, err := sourceFiles(c.in)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(c.tmp, "benchreport-")
	if err != nil {
		return err
	}
	// Outputs are deleted only at the end: ext4 skips recently deleted inodes when it
	// creates files, which makes creating files right after deleting many slow, and
	// would penalise whichever run came next.
	defer os.RemoveAll(tmp)
	version, _ := exec.Command(bin, "version").Output()
	codec := imageio.DefaultCodec()
	n := len(files)
	load := loadAvg()
	generate := func(in, out string, workers int) *exec.Cmd {
		return exec.Command(bin, "generate", "--in", in, "--out", out, "--shift", "spurious-tint", "--workers", fmt.Sprint(workers))
	}

	// The runs whose peak RSS is reported go first, before this process reads images or
	// runs the pipeline itself: Go starts children with vfork, and Linux counts the
	// parent's peak RSS at that moment in the child's (ru_maxrss survives exec), so the
	// parent must stay smaller than the child. Timed runs of the two programs alternate,
	// and ratios are taken within each round, so that load from elsewhere on the
	// machine hits both alike.
	pyErr := exec.Command(c.python, "-c", "import PIL, numpy").Run()
	var ours, theirs, single []stat
	var keep []string // two output folders of ours, for the determinism check
	for r := 0; r < c.rounds; r++ {
		out := filepath.Join(tmp, fmt.Sprintf("ours-%d", r))
		s, err := measure(generate(c.in, out, c.workers))
		if err != nil {
			return fmt.Errorf("shiftgen generate: %w", err)
		}
		ours = append(ours, s)
		if len(keep) < 2 {
			keep = append(keep, out)
		}
		if pyErr == nil {
			out := filepath.Join(tmp, fmt.Sprintf("ref-%d", r))
			s, err := measure(exec.Command(c.python, c.ref, c.in, out, "--workers", fmt.Sprint(c.workers)))
			if err != nil {
				return fmt.Errorf("reference script: %w", err)
			}
			theirs = append(theirs, s)
		}
	}
	big := filepath.Join(tmp, "repeated")
	how, err := repeatTree(c.in, big, files, c.copies)
	if err != nil {
		return err
	}
	bigStat, err := measure(generate(big, filepath.Join(tmp, "repeated-out"), c.workers))
	if err != nil {
		return fmt.Errorf("shiftgen generate on %d images: %w", c.copies*n, err)
	}
	parentRSS := selfMaxRSS()

	// The codec floor, in this process, alternating with single-worker runs.
	fl, err := newFloorer(codec, files)
	if err != nil {
		return err
	}
	var floors []floorStat
	for r := 0; r < c.rounds; r++ {
		f, err := fl.pass()
		if err != nil {
			return err
		}
		floors = append(floors, f)
		out := filepath.Join(tmp, fmt.Sprintf("single-%d", r))
		s, err := measure(generate(c.in, out, 1))
		if err != nil {
			return fmt.Errorf("shiftgen generate --workers 1: %w", err)
		}
		single = append(single, s)
	}
	same, err := sameTrees(keep[0], keep[len(keep)-1])
	if err != nil {
		return err
	}
	var d diff
	if codec.Name() != (imageio.GoCodec{}).Name() {
		if d, err = compareWithGo(c.in, keep[0], filepath.Join(tmp, "go-codec"), c.workers); err != nil {
			return err
		}
	}

	fmt.Fprintf(w, "# shiftgen performance — %s\n\n", time.Now().UTC().Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(w, "- machine: %s, %d CPUs, %s/%s, %s\n", cpuModel(), runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version())
	fmt.Fprintf(w, "- load average at start: %s; at end: %s\n", load, loadAvg())
	fmt.Fprintf(w, "- binary: %s (%s)\n", c.bin, strings.TrimSpace(string(version)))
	if bc := codecOf(string(version)); bc != codec.Name() {
		fmt.Fprintf(w, "- WARNING: the binary's codec is %q but benchreport's is %q; build both with the same tags\n", bc, codec.Name())
	}
	fmt.Fprintf(w, "- images: %d source images in %s; spurious-tint writes 2 per source (reference + shifted), the reference script 1\n", n, c.in)
	fmt.Fprintf(w, "- %d rounds, the two programs alternating; wall-clock times unless marked CPU; outputs under %s\n\n", c.rounds, filepath.Dir(tmp))

	fmt.Fprintf(w, "## End to end, %d workers / processes\n\n", c.workers)
	fmt.Fprintln(w, "| | best wall | median wall | source images/s (best) | output images/s (best) | CPU s (median) | peak RSS |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|")
	row := func(name string, s []stat, outs int) {
		b, m := best(s), median(s)
		fmt.Fprintf(w, "| %s | %.2f s | %.2f s | %.0f | %.0f | %.2f | %s |\n", name, b.wall.Seconds(), m.wall.Seconds(),
			float64(n)/b.wall.Seconds(), float64(outs)/b.wall.Seconds(), m.cpu.Seconds(), mb(maxRSS(s)))
	}
	row("shiftgen ("+codec.Name()+")", ours, 2*n)
	if pyErr == nil {
		row("reference_tint.py (PIL + NumPy)", theirs, n)
		var wallR, cpuR []float64
		for r := range ours {
			wallR = append(wallR, theirs[r].wall.Seconds()/ours[r].wall.Seconds())
			cpuR = append(cpuR, theirs[r].cpu.Seconds()/ours[r].cpu.Seconds())
		}
		fmt.Fprintf(w, "\nRatio of source images per second, shiftgen / reference: **%.2f×** (median of the rounds' ratios; rounds %s; best vs best %.2f×; target ≥ 2.0×). CPU time per source image: %.2f× less (median).",
			medianOf(wallR), list(wallR), best(theirs).wall.Seconds()/best(ours).wall.Seconds(), medianOf(cpuR))
		fmt.Fprintf(w, " Per output image (shiftgen writes twice as many): %.2f×.\n", 2*medianOf(wallR))
		fmt.Fprintln(w, "The reference's peak RSS is its largest single process (it runs one per worker plus a parent).")
	} else {
		fmt.Fprintf(w, "\nReference not run: %s cannot import PIL and numpy (Debian python3-pil, python3-numpy).\n", c.python)
	}

	var ratios, cpuRatios, twoEnc []float64
	for r := range single {
		f := floors[r]
		per := float64(single[r].wall) / float64(n)
		ratios = append(ratios, per/float64(f.decode+f.encode))
		twoEnc = append(twoEnc, per/float64(f.decode+2*f.encode))
		cpuRatios = append(cpuRatios, float64(single[r].cpu)/float64(n)/float64(f.cpu))
	}
	fb := slices.MinFunc(floors, func(a, b floorStat) int { return cmp.Compare(a.decode+a.encode, b.decode+b.encode) })
	fmt.Fprintf(w, "\n## Codec floor, one thread (%s)\n\n", codec.Name())
	fmt.Fprintf(w, "- decode at the best power-of-two scale for a 256 shorter side: %.2f ms per image (best pass)\n", ms(fb.decode))
	fmt.Fprintf(w, "- JPEG encode (quality 95, 4:2:0) of the 256×256 result: %.2f ms per image\n", ms(fb.encode))
	fmt.Fprintf(w, "- codec floor: **%.2f ms** per image (CPU: %.2f ms)\n", ms(fb.decode+fb.encode), ms(fb.cpu))
	fmt.Fprintf(w, "- shiftgen --workers 1, whole process (start-up, scan, reading, two tints, two encodes, writing files and manifests): %.2f ms per source image at best = **%.2f×** the floor (median of the rounds' ratios, each run next to a floor pass; rounds %s; target ≤ 1.5×); in CPU time %.2f×\n",
		ms(best(single).wall/time.Duration(n)), medianOf(ratios), list(ratios), medianOf(cpuRatios))
	fmt.Fprintf(w, "- spurious-tint encodes twice per source image: against decode + two encodes it is %.2f×\n", medianOf(twoEnc))

	fmt.Fprintf(w, "\n## Memory (peak RSS of the shiftgen process, %d workers)\n\n", c.workers)
	fmt.Fprintf(w, "- %d images: **%s**\n", n, mb(maxRSS(ours)))
	fmt.Fprintf(w, "- %d images (the sample %d times, %s): **%s**, %.0f source images/s\n", c.copies*n, c.copies, how, mb(bigStat.maxRSS), float64(c.copies*n)/bigStat.wall.Seconds())
	fmt.Fprintf(w, "- target: under 150 MB and not growing with the number of images (benchreport's own peak while starting them, which the kernel would count in: %s)\n", mb(parentRSS))

	fmt.Fprintf(w, "\n## Output\n\n")
	if len(keep) > 1 {
		fmt.Fprintf(w, "- two runs of the binary wrote identical bytes: %v\n", same)
	}
	if codec.Name() == (imageio.GoCodec{}).Name() {
		fmt.Fprintln(w, "- this build has only the pure-Go codec: no fast path to compare")
	} else {
		fmt.Fprintf(w, "- fast path vs pure-Go path over the %d output JPEGs (both decoded with image/jpeg): mean absolute difference **%.2f** per channel, largest per-file mean %.2f, %d files of different size (target ≤ 3)\n",
			d.files, d.mean, d.worst, d.sizeDiffs)
	}
	return nil
}

// codecOf extracts the codec from `shiftgen version` output: "... (codec NAME, ...".
func codecOf(version string) string {
	_, after, ok := strings.Cut(version, "(codec ")
	if !ok {
		return ""
	}
	name, _, _ := strings.Cut(after, ",")
	return name
}

func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func mb(b int64) string { return fmt.Sprintf("%.1f MB", float64(b)/(1<<20)) }

func best(s []stat) stat {
	return slices.MinFunc(s, func(a, b stat) int { return cmp.Compare(a.wall, b.wall) })
}

func median(s []stat) stat {
	c := slices.Clone(s)
	slices.SortFunc(c, func(a, b stat) int { return cmp.Compare(a.wall, b.wall) })
	return c[len(c)/2]
}

func medianOf(x []float64) float64 {
	c := slices.Clone(x)
	slices.Sort(c)
	return c[len(c)/2]
}

func list(x []float64) string {
	var s []string
	for _, v := range x {
		s = append(s, fmt.Sprintf("%.2f", v))
	}
	return strings.Join(s, ", ")
}

func maxRSS(s []stat) int64 {
	var m int64
	for _, x := range s {
		m = max(m, x.maxRSS)
	}
	return m
}
