//go:build unix

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/shiftgen/shiftgen/pipeline/imageio"

	"github.com/shiftgen/shiftgen/pipeline"
)

// stat is one measured subprocess run.
type stat struct {
	wall   time.Duration
	cpu    time.Duration // user + system, the process and its waited-for children
	maxRSS int64         // bytes; for a process tree, its largest process
}

// measure runs cmd and returns its wall time, CPU time and peak RSS. Exit status 3 is
// shiftgen's "finished, some inputs skipped" and counts as success.
func measure(cmd *exec.Cmd) (stat, error) {
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = io.Discard, &stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	var ee *exec.ExitError
	if err != nil && !(errors.As(err, &ee) && ee.ExitCode() == 3) {
		msg := stderr.String()
		if len(msg) > 2000 {
			msg = msg[len(msg)-2000:]
		}
		return stat{}, fmt.Errorf("%s: %w\n%s", strings.Join(cmd.Args, " "), err, msg)
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		return stat{wall: wall}, nil
	}
	rss := int64(ru.Maxrss)
	if runtime.GOOS != "darwin" { // Linux and the BSDs count kilobytes, macOS bytes
		rss *= 1024
	}
	return stat{
		wall:   wall,
		cpu:    time.Duration(syscall.TimevalToNsec(ru.Utime) + syscall.TimevalToNsec(ru.Stime)),
		maxRSS: rss,
	}, nil
}

// selfMaxRSS returns this process's peak RSS in bytes.
func selfMaxRSS() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	if runtime.GOOS == "darwin" {
		return int64(ru.Maxrss)
	}
	return int64(ru.Maxrss) * 1024
}

// source is one input image.
type source struct {
	path, split string
}

// sourceFiles lists the images under root in ImageFolder order, as shiftgen sees them.
func sourceFiles(root string) ([]source, error) {
	ds, err := pipeline.Scan(root, pipeline.ScanOptions{})
	if err != nil {
		return nil, err
	}
	var out []source
	for _, sp := range ds.Splits {
		for _, s := range sp.Sources {
			out = append(out, source{filepath.Join(sp.Dir, filepath.FromSlash(s.Path)), sp.Name})
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no images under %s", root)
	}
	return out, nil
}

// floorStat is the codec floor per image.
type floorStat struct {
	decode, encode time.Duration // wall
	cpu            time.Duration // this thread's CPU time for the decode and one encode
	encodeCPU      time.Duration // this thread's CPU time for one encode
}

// floorer measures the codec floor: decoding each whole image at the best DCT scale for
// the paper's preprocessing and encoding the 256×256 result twice as JPEG quality 95
// (spurious-tint's two written images), on one locked thread; encode times are per
// encode. Files are read and preprocessed outside the timed spans. (shiftgen's
// own decode leaves out the columns the crop discards, so it can beat this floor's
// decode.)
type floorer struct {
	codec imageio.Codec
	files []source
	data  [][]byte
	s     imageio.Scratch
}

func newFloorer(c imageio.Codec, files []source) (*floorer, error) {
	f := &floorer{codec: c, files: files, data: make([][]byte, len(files))}
	for i, src := range files {
		b, err := os.ReadFile(src.path)
		if err != nil {
			return nil, err
		}
		f.data[i] = b
	}
	return f, nil
}

// pass times one pass over every image and returns the mean per image.
func (f *floorer) pass() (floorStat, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var st floorStat
	n := 0
	for i, src := range f.files {
		hint := imageio.PaperPreprocess.Hint(src.split)
		c0, t0 := threadCPU(), time.Now()
		img, full, err := f.s.Decode(f.codec, f.data[i], hint, 0)
		t1, c1 := time.Now(), threadCPU()
		if err != nil {
			continue // shiftgen skips it too
		}
		pre := f.s.Preprocess(imageio.PaperPreprocess, src.split, img, full)
		c2, t2 := threadCPU(), time.Now()
		for range 2 { // spurious-tint writes two images per source image
			if _, err := f.s.Encode(f.codec, pre, imageio.JPEG, 95); err != nil {
				return floorStat{}, fmt.Errorf("encode %s: %w", src.path, err)
			}
		}
		t3, c3 := time.Now(), threadCPU()
		f.s.Reset()
		st.decode += t1.Sub(t0)
		st.encode += t3.Sub(t2) / 2
		st.cpu += c1 - c0 + (c3-c2)/2
		st.encodeCPU += (c3 - c2) / 2
		n++
	}
	if n == 0 {
		return floorStat{}, errors.New("no image could be decoded")
	}
	d := time.Duration(n)
	return floorStat{st.decode / d, st.encode / d, st.cpu / d, st.encodeCPU / d}, nil
}

// threadCPU returns the calling thread's CPU time (RUSAGE_THREAD, Linux), or the
// process's where that is not available.
func threadCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(1, &ru); err != nil { // 1: RUSAGE_THREAD on Linux
		syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	}
	return time.Duration(syscall.TimevalToNsec(ru.Utime) + syscall.TimevalToNsec(ru.Stime))
}

// repeatTree makes dst hold every file copies times in its class folder, under the
// names r<k>_<name>: hard links where the file system allows, copies otherwise. It
// says which it made.
func repeatTree(root, dst string, files []source, copies int) (string, error) {
	how := "hard links"
	for _, f := range files {
		rel, err := filepath.Rel(root, f.path)
		if err != nil {
			return "", err
		}
		dir := filepath.Join(dst, filepath.Dir(rel))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return "", err
		}
		for k := 0; k < copies; k++ {
			p := filepath.Join(dir, fmt.Sprintf("r%d_%s", k, filepath.Base(rel)))
			if os.Link(f.path, p) == nil {
				continue
			}
			how = "copies"
			if err := copyFile(f.path, p); err != nil {
				return "", err
			}
		}
	}
	return how, nil
}

// copyFile copies src to dst in the kernel where it can (copy_file_range, sendfile), so
// that this process's peak RSS, which the memory figures of later child processes
// include (see run), stays small.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// tree returns the regular files under dir by relative path, without run.json (which
// holds times).
func tree(dir string) (map[string]string, error) {
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() || d.Name() == "run.json" {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		out[rel] = p
		return err
	})
	return out, err
}

// sameTrees reports whether two output folders hold the same files with the same bytes.
func sameTrees(a, b string) (bool, error) {
	ta, err := tree(a)
	if err != nil {
		return false, err
	}
	tb, err := tree(b)
	if err != nil {
		return false, err
	}
	if len(ta) != len(tb) {
		return false, nil
	}
	for rel, pa := range ta {
		pb, ok := tb[rel]
		if !ok {
			return false, nil
		}
		ba, err := os.ReadFile(pa)
		if err != nil {
			return false, err
		}
		bb, err := os.ReadFile(pb)
		if err != nil {
			return false, err
		}
		if !bytes.Equal(ba, bb) {
			return false, nil
		}
	}
	return true, nil
}

// diff summarises how two sets of output JPEGs differ.
type diff struct {
	files, sizeDiffs int
	mean, worst      float64 // mean absolute difference per channel: all pixels, worst file
}

// compareWithGo generates spurious-tint over in with the pure-Go codec (in this
// process) into goOut and compares every JPEG with the same file under fastOut, both
// decoded with image/jpeg.
func compareWithGo(in, fastOut, goOut string, workers int) (diff, error) {
	if _, err := pipeline.Run(context.Background(), pipeline.Options{In: in, Out: goOut, Workers: workers,
		Shifts: []string{"spurious-tint"}, Codec: imageio.GoCodec{}}); err != nil {
		return diff{}, fmt.Errorf("pure-Go run: %w", err)
	}
	slow, err := tree(goOut)
	if err != nil {
		return diff{}, err
	}
	var d diff
	var sum, count int64
	for rel, p := range slow {
		if !strings.HasSuffix(rel, ".jpg") {
			continue
		}
		a, err := decodeFile(p)
		if err != nil {
			return diff{}, err
		}
		b, err := decodeFile(filepath.Join(fastOut, rel))
		if err != nil {
			return diff{}, err
		}
		d.files++
		if a.Rect != b.Rect {
			d.sizeDiffs++
			continue
		}
		var s int64
		for i := range a.Pix {
			if i%4 != 3 {
				v := int64(a.Pix[i]) - int64(b.Pix[i])
				s += max(v, -v)
			}
		}
		c := int64(len(a.Pix)) / 4 * 3
		sum, count = sum+s, count+c
		d.worst = max(d.worst, float64(s)/float64(c))
	}
	if count > 0 {
		d.mean = float64(sum) / float64(count)
	}
	return d, nil
}

func decodeFile(path string) (*image.RGBA, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	img, err := imageio.GoCodec{}.Decode(b, imageio.Hint{}, 0)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return img, nil
}
