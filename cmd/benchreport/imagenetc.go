//go:build unix

package main

import (
	_ "embed"
	"encoding/json"
	"flag"
	"fmt"
	"image"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/shiftgen/shiftgen/pipeline/imageio"
	"github.com/shiftgen/shiftgen/shifts/imagenetc"
)

// The ImageNet-C section: every corruption at every severity timed on one core, side
// by side with bethgelab/imagecorruptions, in alternating rounds.
var (
	icRef    = flag.String("imagecorruptions", "", "a checkout of bethgelab/imagecorruptions for the ImageNet-C comparison (default: the python's installed package; skipped when neither imports)")
	icImages = flag.String("imagenetc-images", "testdata/imagenetc", "folder of 224-px PNGs the ImageNet-C corruptions are timed on")
	icRounds = flag.Int("imagenetc-rounds", 5, "alternating rounds (shiftgen, reference) of the ImageNet-C timing")
	icReps   = flag.Int("imagenetc-reps", 5, "calls per image per round; the minimum counts")
	icCPU    = flag.Int("imagenetc-cpu", 0, "core both sides are pinned to (taskset)")
	icOnly   = flag.Bool("imagenetc-only", false, "run only the ImageNet-C section")
	icChild  = flag.Bool("imagenetc-child", false, "internal: time shiftgen's corruptions and print JSON")
)

//go:embed imagenetc_reference.py
var icScript []byte

// icTimes maps "<reference name>/<severity>" to milliseconds per 224-px image.
type icTimes map[string]float64

// icChildMain times every corruption in this process (the parent pins it to one core
// with GOMAXPROCS=1) as the reference script times imagecorruptions: a warm-up call,
// then per image the minimum over reps calls, averaged over the images.
func icChildMain(w io.Writer) error {
	imgs, err := icLoad(*icImages)
	if err != nil {
		return err
	}
	work := image.NewRGBA(imgs[0].Rect)
	out := icTimes{}
	r := rand.New(rand.NewPCG(1, 2))
	for _, info := range imagenetc.Catalogue() {
		for s, c := range info.Severities {
			copy(work.Pix, imgs[0].Pix)
			c.Corrupt(work, r)
			total := 0.0
			for _, img := range imgs {
				best := time.Duration(math.MaxInt64)
				for range *icReps {
					copy(work.Pix, img.Pix)
					t0 := time.Now()
					c.Corrupt(work, r)
					best = min(best, time.Since(t0))
				}
				total += best.Seconds()
			}
			out[fmt.Sprintf("%s/%d", info.Reference, s+1)] = 1000 * total / float64(len(imgs))
		}
	}
	return json.NewEncoder(w).Encode(out)
}

// icLoad reads the PNGs of dir, sorted by name.
func icLoad(dir string) ([]*image.RGBA, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.png"))
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("no PNG images in %s (-imagenetc-images)", dir)
	}
	slices.Sort(files)
	var out []*image.RGBA
	for _, f := range files {
		img, err := imageio.Load(f, 0, 0)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		out = append(out, img)
	}
	return out, nil
}

// pinned returns a command running name args on core cpu (taskset), or unpinned when
// taskset is missing, with every thread pool of the Python stack at one thread.
func pinned(cpu int, name string, args ...string) (*exec.Cmd, bool) {
	ts, err := exec.LookPath("taskset")
	var cmd *exec.Cmd
	if err == nil {
		cmd = exec.Command(ts, append([]string{"-c", fmt.Sprint(cpu), name}, args...)...)
	} else {
		cmd = exec.Command(name, args...)
	}
	cmd.Env = append(os.Environ(), "GOMAXPROCS=1", "OMP_NUM_THREADS=1", "OPENBLAS_NUM_THREADS=1",
		"MKL_NUM_THREADS=1", "NUMBA_NUM_THREADS=1")
	return cmd, err == nil
}

// icRun runs cmd and decodes the JSON it prints.
func icRun(cmd *exec.Cmd) (icTimes, error) {
	var stderr strings.Builder
	cmd.Stderr = &stderr
	b, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%s: %w\n%s", strings.Join(cmd.Args, " "), err, stderr.String())
	}
	var t icTimes
	if err := json.Unmarshal(b, &t); err != nil {
		return nil, fmt.Errorf("%s: %w", strings.Join(cmd.Args, " "), err)
	}
	return t, nil
}

// imagenetcReport times shiftgen's corruptions and imagecorruptions' on one core, in
// alternating rounds, and writes the per-corruption, per-severity ratios (medians of
// the rounds' ratios, with their range) and the 19 × 5 total. Without the reference it
// says so and returns nil.
func imagenetcReport(w io.Writer, python string) error {
	fmt.Fprintf(w, "\n## ImageNet-C corruptions, one core, against bethgelab/imagecorruptions\n\n")
	env := os.Environ()
	if *icRef != "" {
		abs, err := filepath.Abs(*icRef)
		if err != nil {
			return err
		}
		env = append(env, "PYTHONPATH="+abs)
	}
	check := exec.Command(python, "-c", "import imagecorruptions, skimage, scipy, cv2")
	check.Env = env
	if err := check.Run(); err != nil {
		fmt.Fprintf(w, "Skipped: %s cannot import imagecorruptions with scikit-image, SciPy and OpenCV. Fetch github.com/bethgelab/imagecorruptions and pass -imagecorruptions DIR (Debian: python3-skimage, python3-scipy, python3-opencv, python3-numba).\n", python)
		return nil
	}
	imgs, err := filepath.Glob(filepath.Join(*icImages, "*.png"))
	if err != nil || len(imgs) == 0 {
		return fmt.Errorf("no PNG images in %s (-imagenetc-images)", *icImages)
	}
	slices.Sort(imgs)
	script := filepath.Join(os.TempDir(), fmt.Sprintf("shiftgen-imagenetc-reference-%d.py", os.Getpid()))
	if err := os.WriteFile(script, icScript, 0o644); err != nil {
		return err
	}
	defer os.Remove(script)
	self, err := os.Executable()
	if err != nil {
		return err
	}
	load := loadAvg()
	var ours, theirs []icTimes
	isPinned := false
	for range *icRounds {
		cmd, ok := pinned(*icCPU, self, "-imagenetc-child", "-imagenetc-images", *icImages, "-imagenetc-reps", fmt.Sprint(*icReps))
		isPinned = ok
		o, err := icRun(cmd)
		if err != nil {
			return err
		}
		cmd, _ = pinned(*icCPU, python, append([]string{script, fmt.Sprint(*icReps)}, imgs...)...)
		cmd.Env = append(cmd.Env, env[len(os.Environ()):]...)
		t, err := icRun(cmd)
		if err != nil {
			return err
		}
		ours, theirs = append(ours, o), append(theirs, t)
	}
	pin := fmt.Sprintf("both pinned to core %d (taskset), GOMAXPROCS=1 and every BLAS/OpenMP/numba/OpenCV pool at 1 thread", *icCPU)
	if !isPinned {
		pin = "taskset not found: not pinned"
	}
	fmt.Fprintf(w, "- %d images of %s, 224×224; per image the minimum of %d calls, averaged over the images; %d rounds alternating shiftgen and the reference; %s\n",
		len(imgs), *icImages, *icReps, *icRounds, pin)
	fmt.Fprintf(w, "- load average at start: %s; at end: %s; machine: %s, %d CPUs, %s\n", load, loadAvg(), cpuModel(), runtime.NumCPU(), runtime.Version())
	fmt.Fprintf(w, "- ms per image are medians over the rounds; ratio = reference ms / shiftgen ms, the median of the rounds' ratios [lowest–highest]\n\n")
	fmt.Fprintln(w, "| corruption | sev | reference ms | shiftgen ms | ratio [range] |")
	fmt.Fprintln(w, "|---|---|---|---|---|")
	worst, worstKey := math.Inf(1), ""
	var totOurs, totRef []float64
	for r := range ours {
		var a, b float64
		for k, v := range ours[r] {
			a += v
			b += theirs[r][k]
		}
		totOurs, totRef = append(totOurs, a), append(totRef, b)
	}
	for _, info := range imagenetc.Catalogue() {
		for s := 1; s <= 5; s++ {
			k := fmt.Sprintf("%s/%d", info.Reference, s)
			var o, t, ratio []float64
			for r := range ours {
				o, t = append(o, ours[r][k]), append(t, theirs[r][k])
				ratio = append(ratio, theirs[r][k]/ours[r][k])
			}
			m := medianOf(ratio)
			if m < worst {
				worst, worstKey = m, k
			}
			fmt.Fprintf(w, "| %s | %d | %.3f | %.3f | %.1f× [%.1f–%.1f] |\n", info.Name, s, medianOf(t), medianOf(o), m, slices.Min(ratio), slices.Max(ratio))
		}
	}
	var totRatio []float64
	for r := range totOurs {
		totRatio = append(totRatio, totRef[r]/totOurs[r])
	}
	fmt.Fprintf(w, "| **all 19 × 5** | | **%.1f** | **%.1f** | **%.1f×** [%.1f–%.1f] |\n\n", medianOf(totRef), medianOf(totOurs), medianOf(totRatio), slices.Min(totRatio), slices.Max(totRatio))
	fmt.Fprintf(w, "Targets: no corruption at any severity slower than the reference (lowest median ratio: %.2f×, %s); 19 × 5 at least 20× (%.1f×).\n", worst, worstKey, medianOf(totRatio))
	return nil
}
