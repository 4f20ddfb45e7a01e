package manifests

import (
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// The per-file costs of a loose-file dataset, one step at a time, on the file system
// of the temporary folder: run with TMPDIR=/dev/shm for tmpfs, or TMPDIR on the disk the
// datasets go to, e.g.
//
//	TMPDIR=/dev/shm go test -run XXX -bench PerFile ./manifests/
//
// Every file is new (as in a run), in folders of perFolder files; the bytes are a
// typical 256×256 JPEG's size.
const (
	benchBytes = 26 << 10
	perFolder  = 50
)

// benchFolders makes the folders b.N files need below a fresh temporary folder and
// returns the path of file i.
func benchFolders(b *testing.B) func(i int) string {
	root := b.TempDir()
	for d := 0; d*perFolder < b.N; d++ {
		if err := os.Mkdir(filepath.Join(root, fmt.Sprint(d)), 0o755); err != nil {
			b.Fatal(err)
		}
	}
	return func(i int) string { return filepath.Join(root, fmt.Sprint(i/perFolder), fmt.Sprintf("%08d.jpg", i)) }
}

func BenchmarkPerFile(b *testing.B) {
	data := make([]byte, benchBytes)
	for i := range data {
		data[i] = byte(i * 7)
	}
	b.Run("put", func(b *testing.B) { // what a worker does per image: all of the below
		path := benchFolders(b)
		s := &looseSink{dir: "/"}
		b.SetBytes(benchBytes)
		b.ReportAllocs()
		b.ResetTimer()
		for i := range b.N {
			if _, err := s.Put(0, Image{Name: path(i)[1:], Data: data}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("atomic", func(b *testing.B) { // temporary name, create, write, chmod, close, rename
		path := benchFolders(b)
		b.ReportAllocs()
		b.ResetTimer()
		for i := range b.N {
			if err := writeFile(path(i), data, Deferred); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("plain", func(b *testing.B) { // create and write under the final name: the floor
		path := benchFolders(b)
		b.ReportAllocs()
		b.ResetTimer()
		for i := range b.N {
			if err := os.WriteFile(path(i), data, 0o644); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("sha256", func(b *testing.B) {
		b.SetBytes(benchBytes)
		for range b.N {
			sha256.Sum256(data)
		}
	})
	b.Run("mkdir", func(b *testing.B) {
		root := b.TempDir()
		b.ResetTimer()
		for i := range b.N {
			if err := os.Mkdir(filepath.Join(root, fmt.Sprint(i)), 0o755); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("evalsymlinks", func(b *testing.B) { // the real-folder check of each output folder
		root := b.TempDir()
		p := filepath.Join(root, "reference", "val", "n01440764")
		if err := os.MkdirAll(p, 0o755); err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		for range b.N {
			if _, err := filepath.EvalSymlinks(p); err != nil {
				b.Fatal(err)
			}
		}
	})
}
