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
	in, bin, gobin, python, ref, tmp string
	workers, rounds, copies          int
}

func main() {
	var c config
	flag.StringVar(&c.in, "in", "../shared/imagenet-sample", "ImageNet-style folder to measure on")
	flag.StringVar(&c.bin, "bin", "bin/shiftgen", "shiftgen binary (make build)")
	flag.StringVar(&c.gobin, "gobin", "", "shiftgen binary built with the pure-Go codec, for its same-work ratio (empty: not measured)")
	flag.StringVar(&c.python, "python", "/usr/bin/python3", "python with Pillow and NumPy for the reference")
	flag.StringVar(&c.ref, "ref", "../shared/bench/reference_tint.py", "the PIL + NumPy reference script (run with --both)")
	flag.StringVar(&c.tmp, "tmp", "", "folder for outputs (default: the system temporary folder)")
	flag.IntVar(&c.workers, "workers", 2, "workers for shiftgen and processes for the reference")
	flag.IntVar(&c.rounds, "rounds", 5, "rounds of the paired runs; ratios are the median of the rounds' ratios")
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
	gobin := ""
	if c.gobin != "" {
		if gobin, err = filepath.Abs(c.gobin); err != nil {
			return err
		}
		if _, err := os.Stat(gobin); err != nil {
			return err
		}
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
	generate := func(bin, in, out string, workers int) *exec.Cmd {
		return exec.Command(bin, "generate", "--in", in, "--out", out, "--shift", "spurious-tint", "--workers", fmt.Sprint(workers))
	}

	// The runs whose peak RSS is reported go first, before this process reads images or
	// runs the pipeline itself: Go starts children with vfork, and Linux counts the
	// parent's peak RSS at that moment in the child's (ru_maxrss survives exec), so the
	// parent must stay smaller than the child. The programs run in turn within each
	// round, and ratios are taken within each round, so that load from elsewhere on the
	// machine hits them alike.
	pyErr := exec.Command(c.python, "-c", "import PIL, numpy").Run()
	var ours, theirs, pure, single []stat
	var keep []string // two output folders of ours, for the determinism check
	for r := 0; r < c.rounds; r++ {
		out := filepath.Join(tmp, fmt.Sprintf("ours-%d", r))
		s, err := measure(generate(bin, c.in, out, c.workers))
		if err != nil {
			return fmt.Errorf("shiftgen generate: %w", err)
		}
		ours = append(ours, s)
		if len(keep) < 2 {
			keep = append(keep, out)
		}
		if pyErr == nil {
			out := filepath.Join(tmp, fmt.Sprintf("ref-%d", r))
			s, err := measure(exec.Command(c.python, c.ref, c.in, out, "--workers", fmt.Sprint(c.workers), "--both"))
			if err != nil {
				return fmt.Errorf("reference script: %w", err)
			}
			theirs = append(theirs, s)
		}
		if gobin != "" {
			s, err := measure(generate(gobin, c.in, filepath.Join(tmp, fmt.Sprintf("pure-%d", r)), c.workers))
			if err != nil {
				return fmt.Errorf("pure-Go shiftgen generate: %w", err)
			}
			pure = append(pure, s)
		}
	}
	big := filepath.Join(tmp, "repeated")
	how, err := repeatTree(c.in, big, files, c.copies)
	if err != nil {
		return err
	}
	bigStat, err := measure(generate(bin, big, filepath.Join(tmp, "repeated-out"), c.workers))
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
		s, err := measure(generate(bin, c.in, out, 1))
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
	fmt.Fprintf(w, "- work: `generate --shift spurious-tint` on %d source images in %s, which writes 2 JPEGs per source image (reference + shifted) from one decode; the reference script runs with --both and writes the same 2\n", n, c.in)
	fmt.Fprintf(w, "- %d rounds, the programs in turn within each round; ratios are the median of the rounds' ratios, with their range; wall-clock times unless marked CPU; outputs under %s\n\n", c.rounds, filepath.Dir(tmp))

	fmt.Fprintf(w, "## Same work, per source image, %d workers / processes\n\n", c.workers)
	fmt.Fprintln(w, "| | median wall | ms per source image (median) | source images/s (median) | CPU ms per source image (median) | peak RSS |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|")
	row := func(name string, s []stat) {
		m := median(s)
		fmt.Fprintf(w, "| %s | %.2f s | %.2f | %.0f | %.2f | %s |\n", name, m.wall.Seconds(), ms(m.wall)/float64(n),
			float64(n)/m.wall.Seconds(), ms(medianCPU(s))/float64(n), mb(maxRSS(s)))
	}
	row("shiftgen ("+codec.Name()+")", ours)
	if gobin != "" {
		row("shiftgen (pure-Go build)", pure)
	}
	if pyErr == nil {
		row("reference_tint.py --both (PIL + NumPy)", theirs)
		ratio := func(a, b []stat, cpu bool) []float64 {
			var x []float64
			for r := range a {
				if cpu {
					x = append(x, b[r].cpu.Seconds()/a[r].cpu.Seconds())
				} else {
					x = append(x, b[r].wall.Seconds()/a[r].wall.Seconds())
				}
			}
			return x
		}
		wallR, cpuR := ratio(ours, theirs, false), ratio(ours, theirs, true)
		fmt.Fprintf(w, "\nSame work, shiftgen / reference, per source image: **%.2f×** (median of %d paired rounds; range %s; rounds %s; target ≥ 2.5×). CPU time per source image: %.2f× less (median; range %s).\n",
			medianOf(wallR), len(wallR), spread(wallR), list(wallR), medianOf(cpuR), spread(cpuR))
		if gobin != "" {
			pureR := ratio(pure, theirs, false)
			fmt.Fprintf(w, "Pure-Go build, same work: **%.2f×** the reference (median; range %s).\n", medianOf(pureR), spread(pureR))
		}
		fmt.Fprintln(w, "The reference's peak RSS is its largest single process (it runs one per worker plus a parent).")
	} else {
		fmt.Fprintf(w, "\nReference not run: %s cannot import PIL and numpy (Debian python3-pil, python3-numpy).\n", c.python)
	}

	var ratios, cpuRatios, oneEnc []float64
	for r := range single {
		f := floors[r]
		per := float64(single[r].wall) / float64(n)
		ratios = append(ratios, per/float64(f.decode+2*f.encode))
		oneEnc = append(oneEnc, per/float64(f.decode+f.encode))
		cpuRatios = append(cpuRatios, float64(single[r].cpu)/float64(n)/float64(f.cpu+f.encodeCPU))
	}
	fm := slices.MinFunc(floors, func(a, b floorStat) int { return cmp.Compare(a.decode+2*a.encode, b.decode+2*b.encode) })
	fmt.Fprintf(w, "\n## Codec floor for the same work, one thread (%s)\n\n", codec.Name())
	fmt.Fprintf(w, "- decode of the whole image at the best power-of-two DCT scale for a 256 shorter side: %.2f ms per source image (best pass)\n", ms(fm.decode))
	fmt.Fprintf(w, "- JPEG encode (quality 95, 4:2:0) of the 256×256 result: %.2f ms per written image\n", ms(fm.encode))
	fmt.Fprintf(w, "- floor for the same work, one decode + 2 encodes: **%.2f ms** per source image (CPU: %.2f ms)\n", ms(fm.decode+2*fm.encode), ms(fm.cpu+fm.encodeCPU))
	fmt.Fprintf(w, "- shiftgen --workers 1, whole process (start-up, scan, reading, preprocessing, two tints, two encodes, writing files and manifests): %.2f ms per source image (median) = **%.2f×** the floor (median of the rounds' ratios, each run next to a floor pass; range %s; target ≤ 1.3×); in CPU time %.2f× (range %s)\n",
		ms(median(single).wall)/float64(n), medianOf(ratios), spread(ratios), medianOf(cpuRatios), spread(cpuRatios))
	fmt.Fprintf(w, "\nPer written image (spurious-tint writes 2 per source image): shiftgen %.2f ms with --workers 1 (%.2f× one decode + one encode, the floor of a shift that writes one image per source); %d workers: %.0f written images/s",
		ms(median(single).wall)/float64(2*n), medianOf(oneEnc), c.workers, float64(2*n)/median(ours).wall.Seconds())
	if pyErr == nil {
		fmt.Fprintf(w, ", the reference %.0f", float64(2*n)/median(theirs).wall.Seconds())
	}
	fmt.Fprintln(w, ".")

	fmt.Fprintf(w, "\n## Memory (peak RSS of the shiftgen process, %d workers)\n\n", c.workers)
	fmt.Fprintf(w, "- %d images: **%s**\n", n, mb(maxRSS(ours)))
	fmt.Fprintf(w, "- %d images (the sample %d times, %s): **%s**, %.0f source images/s\n", c.copies*n, c.copies, how, mb(bigStat.maxRSS), float64(c.copies*n)/bigStat.wall.Seconds())
	fmt.Fprintf(w, "- target: no growth with the number of images, and no more than before (about 50 MB at both sizes) (benchreport's own peak while starting them, which the kernel would count in: %s)\n", mb(parentRSS))

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

// spread is the range of x, "lo–hi".
func spread(x []float64) string {
	return fmt.Sprintf("%.2f–%.2f", slices.Min(x), slices.Max(x))
}

func medianCPU(s []stat) time.Duration {
	var c []float64
	for _, x := range s {
		c = append(c, float64(x.cpu))
	}
	return time.Duration(medianOf(c))
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
