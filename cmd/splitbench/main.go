// Command splitbench measures shiftgen split at scale: it generates feature files of
// known support (by default the 150,000 × 768 float32: 100,000 reference and
// 50,000 shifted examples) with their manifests, runs supportsplit.Run on them as `shiftgen
// split` does, and reports the wall time, CPU time, peak memory (maximum resident set
// size) and how well the known out-of-support examples were recovered.
//
//	go run ./cmd/splitbench                 # 150,000 × 768, all cores
//	go run ./cmd/splitbench -n 30000 -workers 1
//	go run ./cmd/splitbench -dir /tmp/sb -keep   # keep the files
//	go run ./cmd/splitbench -lambdas 1e-5        # one weak λ: the slowest fit
//
// Features are correlated like real embeddings: x = A·z + noise + 1 with z ~ N(0, I_64)
// and a decaying spectrum; a fraction -far of the shifted examples have z moved away
// (z₀ += 5, z₅ −= 2.5), the rest are drawn like the reference. Generation streams rows
// to disk, so the peak memory reported is that of the split. Nothing is asserted: this
// is a measurement.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"flag"
	"fmt"
	"log"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/shiftgen/shiftgen/manifests"
	"github.com/shiftgen/shiftgen/manifests/supportsplit"
)

func main() {
	n := flag.Int("n", 150000, "examples in all")
	refFrac := flag.Float64("ref", 2.0/3, "fraction of reference examples")
	dim := flag.Int("dim", 768, "features per example")
	far := flag.Float64("far", 0.3, "fraction of shifted examples out of support")
	workers := flag.Int("workers", 0, "goroutines per pass (0: all cores)")
	dir := flag.String("dir", "", "folder for the generated files (default: a temporary folder)")
	keep := flag.Bool("keep", false, "keep the generated files")
	lambdas := flag.String("lambdas", "", "comma-separated L2 strengths to search (default: supportsplit.DefaultLambdas)")
	flag.Parse()
	var grid []float64
	for _, s := range strings.Split(*lambdas, ",") {
		if s == "" {
			continue
		}
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			log.Fatalf("-lambdas: %v", err)
		}
		grid = append(grid, v)
	}
	log.SetFlags(0)
	if *dir == "" {
		d, err := os.MkdirTemp("", "splitbench-*")
		if err != nil {
			log.Fatal(err)
		}
		*dir = d
	} else if err := os.MkdirAll(*dir, 0o755); err != nil {
		log.Fatal(err)
	}
	if !*keep {
		defer os.RemoveAll(*dir)
	}
	nRef := int(float64(*n) * *refFrac)
	nShift := *n - nRef
	start := time.Now()
	isFar, err := generate(*dir, nRef, nShift, *dim, *far)
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("generated %d reference + %d shifted examples × %d float32 features in %s (%s)", nRef, nShift, *dim, time.Since(start).Round(time.Millisecond), *dir)

	runtime.GC()
	var before syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &before)
	start = time.Now()
	res, err := supportsplit.Run(context.Background(), supportsplit.Config{
		Reference: filepath.Join(*dir, "ref", manifests.ManifestFile), ReferenceFeatures: filepath.Join(*dir, "ref.npy"),
		Shifted: filepath.Join(*dir, "shifted", manifests.ManifestFile), ShiftedFeatures: filepath.Join(*dir, "shifted.npy"),
		Out: filepath.Join(*dir, "split"), Force: true, Version: "splitbench",
		Fit: supportsplit.FitOptions{Workers: *workers, Lambdas: grid},
	})
	if err != nil {
		log.Fatal(err)
	}
	wall := time.Since(start)
	var after syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &after)
	cpu := tv(after.Utime) + tv(after.Stime) - tv(before.Utime) - tv(before.Stime)
	if err := res.Summary(os.Stdout); err != nil {
		log.Fatal(err)
	}
	iters := 0
	for _, f := range res.Folds {
		iters += f.Iterations
	}
	var tp, fp, fn int
	for i, f := range isFar {
		out := supportsplit.OutOfSupport(res.LogRatios[nRef+i], res.Epsilon)
		switch {
		case out && f:
			tp++
		case out:
			fp++
		case f:
			fn++
		}
	}
	w := manifests.WorkerCount(*workers)
	fmt.Printf("split of %d × %d float32 features, %d workers on %d cores:\n", *n, *dim, w, runtime.NumCPU())
	fmt.Printf("  wall time        %.1f s (reading, fitting, writing)\n", wall.Seconds())
	fmt.Printf("  CPU time         %.1f s\n", cpu)
	fmt.Printf("  peak memory      %.0f MB (maximum resident set size of the process)\n", float64(after.Maxrss)/1024)
	fmt.Printf("  passes           %d over the features, %d L-BFGS iterations over all folds\n", res.Passes, iters)
	fmt.Printf("  recovery         precision %.4f, recall %.4f of the generated out-of-support examples\n",
		float64(tp)/math.Max(1, float64(tp+fp)), float64(tp)/math.Max(1, float64(tp+fn)))
}

func tv(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }

// generate writes ref.npy, shifted.npy and two minimal manifests into dir and returns
// which shifted examples were moved out of the reference's support.
func generate(dir string, nRef, nShift, dim int, farFrac float64) ([]bool, error) {
	const k = 64
	r := rand.New(rand.NewPCG(1, 2))
	a := make([]float64, k*dim)
	for i := 0; i < k; i++ {
		s := 3 / math.Sqrt(float64(i+1)) * 8 / math.Sqrt(float64(dim))
		for j := 0; j < dim; j++ {
			a[i*dim+j] = s * r.NormFloat64()
		}
	}
	isFar := make([]bool, nShift)
	for _, part := range []struct {
		name string
		n    int
		dist string
	}{{"ref", nRef, "reference"}, {"shifted", nShift, "shifted"}} {
		f, err := manifests.CreateAtomic(filepath.Join(dir, part.name+".npy"), manifests.Durable)
		if err != nil {
			return nil, err
		}
		defer f.Abort()
		w := bufio.NewWriterSize(f, 1<<20)
		w.Write(npyHeader(part.n, dim))
		z := make([]float64, k)
		row := make([]float32, dim)
		for i := 0; i < part.n; i++ {
			for c := range z {
				z[c] = r.NormFloat64()
			}
			if part.dist == "shifted" && r.Float64() < farFrac {
				isFar[i] = true
				z[0] += 5
				z[5] -= 2.5
			}
			for j := range row {
				v := 1 + 0.3*r.NormFloat64()
				for c, zc := range z {
					v += zc * a[c*dim+j]
				}
				row[j] = float32(v)
			}
			if err := binary.Write(w, binary.LittleEndian, row); err != nil {
				return nil, err
			}
		}
		if err := w.Flush(); err != nil {
			return nil, err
		}
		if err := f.Commit(); err != nil {
			return nil, err
		}
		if err := writeManifest(filepath.Join(dir, part.name), part.dist, part.n); err != nil {
			return nil, err
		}
	}
	return isFar, nil
}

// npyHeader is a version 1.0 header of a C-order little-endian float32 n×d array.
func npyHeader(n, d int) []byte {
	h := fmt.Sprintf("{'descr': '<f4', 'fortran_order': False, 'shape': (%d, %d), }", n, d)
	for (10+len(h)+1)%64 != 0 {
		h += " "
	}
	h += "\n"
	var b bytes.Buffer
	b.WriteString("\x93NUMPY\x01\x00")
	binary.Write(&b, binary.LittleEndian, uint16(len(h)))
	b.WriteString(h)
	return b.Bytes()
}

// writeManifest writes a dataset of n records (one class) as shiftgen index would,
// through the same writer.
func writeManifest(dir, dist string, n int) error {
	w, err := manifests.Create(manifests.WriterOptions{Dir: dir, Force: true})
	if err != nil {
		return err
	}
	defer w.Close()
	if err := w.Begin(); err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		err := w.Add(0, &manifests.Record{Distribution: dist, Split: "val", Index: i, Label: 0, Class: "n00000000",
			Source: fmt.Sprintf("n00000000/%07d.jpeg", i), Path: fmt.Sprintf("../data/%s/n00000000/%07d.jpeg", dist, i),
			Width: 1, Height: 1, Size: 1, SHA256: "0"}, nil)
		if err != nil {
			return err
		}
	}
	m := &manifests.Manifest{
		Schema: manifests.SchemaVersion, Generator: manifests.Generator{Name: "splitbench"},
		Shift:      manifests.Shift{Name: "index", Spec: "index", Kind: "natural", Params: []byte("{}")},
		Preprocess: "none", Source: "generated",
		Classes: []manifests.Class{{Label: 0, Name: "n00000000"}},
		Counts:  []manifests.Count{{Distribution: dist, Split: "val", Images: n, PerClass: []int{n}}},
		Skipped: []manifests.Skip{},
	}
	if _, err := w.Finish(m); err != nil {
		return err
	}
	return w.Done(nil)
}
