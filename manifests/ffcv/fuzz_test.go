package ffcv

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzOpen hands Open damaged files: it must fail cleanly or return a reader whose
// every payload lies inside the file and within one page.
func FuzzOpen(f *testing.F) {
	f.Add(writeFile(f, mixedSamples(f, 3), Options{PageSize: MinPageSize}))
	f.Add(writeFile(f, nil, Options{}))
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(t.TempDir(), "f.beton")
		os.WriteFile(p, b, 0o644)
		r, err := Open(p)
		if err != nil {
			return
		}
		defer r.Close()
		for i := 0; i < r.Len(); i++ {
			e := r.Entry(i)
			if e.Offset < 0 || e.Size < 1 || e.Offset+e.Size > int64(len(b)) || e.Offset/r.PageSize() != (e.Offset+e.Size-1)/r.PageSize() {
				t.Fatalf("sample %d at %d+%d in a file of %d bytes", i, e.Offset, e.Size, len(b))
			}
			if _, err := r.Payload(i); err != nil {
				t.Fatal(err)
			}
		}
	})
}
