package webdataset

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzOpen hands Open damaged shards: it must fail cleanly or return samples whose
// members lie inside the file (reading them may still fail, cleanly).
func FuzzOpen(f *testing.F) {
	_, files := writeAll(f, makeSamples(f, 3), Options{})
	for _, b := range files {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(t.TempDir(), "s.tar")
		os.WriteFile(p, b, 0o644)
		r, err := Open(p)
		if err != nil {
			return
		}
		defer r.Close()
		for i := 0; i < r.Len(); i++ {
			for _, m := range r.Entry(i).Members {
				if m.Offset < 0 || m.Size < 0 || m.Offset+m.Size > int64(len(b)) {
					t.Fatalf("member %s at %d+%d in a file of %d bytes", m.Name, m.Offset, m.Size, len(b))
				}
			}
			r.Sample(i) // may refuse a label that is not decimal, must not panic
		}
	})
}
