package manifests

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"unicode/utf8"
)

func TestTempNames(t *testing.T) {
	dir := t.TempDir()
	for _, base := range []string{"x.jpg", strings.Repeat("a", 236) + ".jpg", strings.Repeat("b", 251) + ".png", strings.Repeat("é", 125) + ".jpg", strings.Repeat("c", 255)} {
		for _, n := range []uint32{0, 4294967295} {
			tmp := tempName(base, n)
			if len(tmp) > maxName || !IsTemp(tmp) || !strings.HasSuffix(tmp, tempMark+strconv.FormatUint(uint64(n), 10)) {
				t.Fatalf("temporary name %q (%d bytes) for %d-byte %q", tmp, len(tmp), len(base), base[:8])
			}
			if !strings.HasPrefix(tmp, ".") || strings.ContainsRune(tmp, '\uFFFD') || !utf8.ValidString(tmp) {
				t.Fatalf("temporary name %q is not the stem's prefix at a character boundary", tmp)
			}
		}
		// The file system takes the longest of them, and the final name after it.
		path := filepath.Join(dir, base)
		if err := writeFile(path, []byte(base), Deferred); err != nil {
			t.Fatalf("%d-byte name: %v", len(base), err)
		}
		if b, err := os.ReadFile(path); err != nil || string(b) != base {
			t.Fatalf("%d-byte name: %q %v", len(base), b, err)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 5 {
		t.Fatalf("%d files, want 5 (temporary files left?)", len(entries))
	}
	for name, want := range map[string]bool{
		".x.jpg.tmp-123": true, ".a.tmp-0": true, "x.jpg.tmp-1": false, ".x.tmp-": false, ".x.tmp-12a": false,
		".tmp-5": false, "x.jpg": false, ".work": false, "..tmp-1": true,
	} {
		if IsTemp(name) != want {
			t.Errorf("IsTemp(%q) = %v", name, !want)
		}
	}
}

func TestAtomicAbortAndPermissions(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f.json")
	f, err := CreateAtomic(p, Durable)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("half"))
	if _, err := os.Stat(p); !errors.Is(err, fs.ErrNotExist) {
		t.Fatal("the final name exists before Commit")
	}
	f.Abort()
	f.Abort()
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("Abort left %v", entries)
	}
	if err := WriteFileAtomic(p, []byte("x")); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o644 {
		t.Fatalf("mode %v, %v; want 0644", fi.Mode(), err)
	}
}

func TestCheckName(t *testing.T) {
	for name, ok := range map[string]bool{
		"reference/val/cat/x.jpg": true, "n01440764/x.jpg": true, ".hidden/x.jpg": true,
		".work/x.jpg": false, "manifest.json/x.jpg": false, "records.jsonl": false, "run.json/a": false,
		"a/../b.jpg": false, "a//b.jpg": false, "./a.jpg": false, `a\b.jpg`: false, "a/.x.jpg.tmp-42": false,
		"a/.work/x.jpg": true,
	} {
		if err := CheckName(name); (err == nil) != ok {
			t.Errorf("CheckName(%q) = %v", name, err)
		}
	}
}

func TestNesting(t *testing.T) {
	base := t.TempDir()
	in := filepath.Join(base, "in")
	os.MkdirAll(filepath.Join(in, "cls"), 0o755)
	os.MkdirAll(filepath.Join(base, "out"), 0o755)
	ins := []Input{{Flag: "--in", Path: in}}
	// OUT/<shift> a link into the input; OUT/<a>/<b> below a link; a dangling link
	// pointing into the input; the output holding the input.
	os.Symlink(filepath.Join(in, "cls"), filepath.Join(base, "out", "linked"))
	os.Symlink(in, filepath.Join(base, "out", "parent"))
	os.Symlink(filepath.Join(in, "new"), filepath.Join(base, "out", "dangling"))
	for dir, want := range map[string]string{
		filepath.Join(base, "out", "linked"):           "lies inside --in",
		filepath.Join(base, "out", "parent", "x", "3"): "lies inside --in",
		filepath.Join(base, "out", "dangling"):         "lies inside --in",
		filepath.Join(in, "x"):                         "lies inside --in",
		base:                                           "holds the input",
		filepath.Join(base, "out", "plain"):            "",
	} {
		err := CheckNesting(dir, "--out", ins)
		if (want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), want)) {
			t.Errorf("%s: %v; want %q", dir, err, want)
		}
	}
	// Create refuses before writing anything into the input.
	if _, err := Create(WriterOptions{Dir: filepath.Join(base, "out", "dangling"), Inputs: ins, Journal: true, Job: []byte("{}")}); err == nil {
		t.Fatal("Create wrote through a dangling link into the input")
	}
	if exists(filepath.Join(in, "new")) {
		t.Fatal("the dangling link's target was created")
	}
}

// image is a test image: its name in the dataset and its bytes.
type image struct {
	name string
	data []byte
}

func testImages(n int) []image {
	var im []image
	for i := range n {
		im = append(im, image{fmt.Sprintf("shifted/val/c%d/i%02d.jpg", i%2, i), bytes.Repeat([]byte{byte(i)}, 100+i)})
	}
	return im
}

// writeImages writes images with a journaled writer: Put in parallel, Add in order on
// stream i%streams, and finishes the dataset.
func writeImages(t *testing.T, o WriterOptions, ims []image) *Writer {
	t.Helper()
	w, err := Create(o)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Begin(); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"shifted/val/c0", "shifted/val/c1"} {
		os.MkdirAll(filepath.Join(o.Dir, d), 0o755)
	}
	staged := make([]Staged, len(ims))
	var wg sync.WaitGroup
	for i, im := range ims {
		wg.Go(func() {
			s, err := w.Put(i%o.Streams, Image{Name: im.name, Data: im.data})
			if err != nil {
				t.Error(err)
			}
			staged[i] = s
		})
	}
	wg.Wait()
	for i := range ims {
		if err := w.Add(i%o.Streams, testRecord(i), &staged[i]); err != nil {
			t.Fatal(err)
		}
	}
	return w
}

// testManifest is the manifest of n images written by testRecord.
func testManifest(n int) *Manifest {
	return &Manifest{
		Schema: SchemaVersion, Generator: Generator{Name: "test"}, Shift: Shift{Name: "t", Params: []byte("{}")},
		Classes: []Class{{0, "c0"}, {1, "c1"}},
		Counts: []Count{
			{Distribution: "shifted", Split: "s0", Images: (n + 1) / 2, PerClass: []int{(n + 1) / 2, 0}},
			{Distribution: "shifted", Split: "s1", Images: n / 2, PerClass: []int{0, n / 2}},
		},
		Skipped: []Skip{},
	}
}

// testRecord is image i's record before the Writer places the image: stream i%2 holds
// split "s0" or "s1", and the label is i%2 too.
func testRecord(i int) *Record {
	return &Record{Distribution: "shifted", Split: fmt.Sprintf("s%d", i%2), Index: i, Label: i % 2, Class: fmt.Sprintf("c%d", i%2), Source: "s", Width: 1, Height: 1}
}

// recordLine is the records.jsonl line of image i, written independently of the Writer.
func recordLine(i int, im image) string {
	sum := sha256.Sum256(im.data)
	return fmt.Sprintf(`{"distribution":"shifted","split":"s%d","index":%d,"label":%d,"class":"c%d","source":"s","path":"%s","width":1,"height":1,"size":%d,"sha256":"%s"}`+"\n",
		i%2, i, i%2, i%2, im.name, len(im.data), hex.EncodeToString(sum[:]))
}

// expectedRecords is records.jsonl for ims written on streams streams.
func expectedRecords(ims []image, streams int) []byte {
	var out bytes.Buffer
	for s := range streams {
		for i, im := range ims {
			if i%streams == s {
				out.WriteString(recordLine(i, im))
			}
		}
	}
	return out.Bytes()
}

func TestWriterWholeDataset(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ds")
	ims := testImages(7)
	w := writeImages(t, WriterOptions{Dir: dir, Job: []byte(`{"job":1}`), Streams: 2, Journal: true, Images: LooseFiles{}}, ims)
	m := testManifest(7)
	mpath, err := w.Finish(m)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Done(&Run{Host: "h"}); err != nil {
		t.Fatal(err)
	}
	w.Close()
	got, _ := os.ReadFile(filepath.Join(dir, RecordsFile))
	want := expectedRecords(ims, 2)
	if !bytes.Equal(got, want) {
		t.Fatalf("records.jsonl\n%s\nwant\n%s", got, want)
	}
	sum := sha256.Sum256(want)
	read, err := ReadManifest(mpath)
	if err != nil || read.Records != (FileRef{Name: RecordsFile, Count: 7, SHA256: hex.EncodeToString(sum[:])}) {
		t.Fatalf("manifest records %+v, %v", read.Records, err)
	}
	for _, im := range ims {
		if b, err := os.ReadFile(filepath.Join(dir, im.name)); err != nil || !bytes.Equal(b, im.data) {
			t.Fatalf("%s: %v", im.name, err)
		}
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if strings.Join(names, " ") != "manifest.json records.jsonl run.json shifted" {
		t.Fatalf("dataset folder holds %v", names)
	}
	// run.json records the job; a resume finds the dataset Complete and gives it back.
	if b, _ := os.ReadFile(filepath.Join(dir, RunFile)); !bytes.Contains(b, []byte("\"host\": \"h\",\n  \"workers\": 0,")) || !bytes.HasSuffix(b, []byte("\"job\": {\n    \"job\": 1\n  }\n}\n")) {
		t.Fatalf("run.json:\n%s", b)
	}
	again, err := Create(WriterOptions{Dir: dir, Job: []byte(`{"job":2}`), Streams: 2, Journal: true, Resume: true, Images: LooseFiles{}})
	if err != nil || again.State() != Complete || string(again.PreviousJob()) != "{\n    \"job\": 1\n  }" {
		t.Fatalf("resume of the finished dataset: state %v, job %q, %v", again.State(), again.PreviousJob(), err)
	}
	again.Close()
	os.WriteFile(filepath.Join(dir, RunFile), []byte(`{"host": "h"}`), 0o644)
	if again, err = Create(WriterOptions{Dir: dir, Streams: 2, Journal: true, Resume: true}); err != nil || again.State() != Complete || again.PreviousJob() != nil {
		t.Fatalf("resume of a finished dataset whose run.json has no job: state %v, job %q, %v", again.State(), again.PreviousJob(), err)
	}
	again.Close()
	// ReadDataset checks the records against the manifest.
	if _, recs, err := ReadDataset(mpath); err != nil || len(recs) != 7 {
		t.Fatalf("ReadDataset: %d records, %v", len(recs), err)
	}
	lines := bytes.SplitAfter(want, []byte("\n"))
	os.WriteFile(filepath.Join(dir, RecordsFile), bytes.Join(append(lines[:3:3], lines[4:]...), nil), 0o644)
	if _, _, err := ReadDataset(mpath); err == nil || !strings.Contains(err.Error(), "holds 6 records but the manifest says 7") {
		t.Fatalf("a deleted line: %v", err)
	}
	os.WriteFile(filepath.Join(dir, RecordsFile), bytes.Replace(want, []byte(`"source":"s"`), []byte(`"source":"t"`), 1), 0o644)
	if _, _, err := ReadDataset(mpath); err == nil || !strings.Contains(err.Error(), "has SHA-256") {
		t.Fatalf("an edited line: %v", err)
	}
}

func TestWriterRefusesAndLocks(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ds")
	o := WriterOptions{Dir: dir, Job: []byte(`{}`), Journal: true, Images: LooseFiles{}, Command: "shiftgen generate --first"}
	w, err := Create(o)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Begin(); err != nil {
		t.Fatal(err)
	}
	// A second writer of any kind is refused, naming the first.
	host, _ := os.Hostname()
	for _, o2 := range []WriterOptions{o, {Dir: dir, Job: []byte(`{}`), Journal: true, Resume: true}, {Dir: dir, Job: []byte(`{}`), Journal: true, Force: true}, {Dir: dir, Job: []byte(`{}`), Journal: true, Shard: &ShardOf{1, 2}}} {
		_, err := Create(o2)
		var be *BusyError
		if !errors.As(err, &be) || len(be.Owners) != 1 || be.Owners[0].PID != os.Getpid() || be.Owners[0].Host != host || be.Owners[0].Command != "shiftgen generate --first" ||
			!strings.Contains(err.Error(), "shiftgen generate --first") || !strings.Contains(err.Error(), fmt.Sprint("pid ", os.Getpid())) {
			t.Fatalf("second writer %+v: %v", o2, err)
		}
	}
	if _, err := Merge(dir, MergeOptions{}); err == nil || !strings.Contains(err.Error(), "shiftgen generate --first") {
		t.Fatalf("merge while a run writes: %v", err)
	}
	w.Close()
	// Now the folder holds an interrupted run.
	if _, err := Create(o); err == nil || !strings.Contains(err.Error(), "holds an interrupted run; pass --resume") {
		t.Fatalf("interrupted run: %v", err)
	}
	r, err := Create(WriterOptions{Dir: dir, Job: []byte(`{}`), Journal: true, Resume: true})
	if err != nil || r.State() != Resumed || string(r.PreviousJob()) != "{}" {
		t.Fatalf("resume: %v", err)
	}
	r.Close()
	// Shards run side by side; a second copy of one, a whole run and a merge are refused.
	sdir := filepath.Join(t.TempDir(), "sharded")
	s1, err := Create(WriterOptions{Dir: sdir, Job: []byte(`{}`), Journal: true, Shard: &ShardOf{1, 2}, Command: "run one"})
	if err != nil {
		t.Fatal(err)
	}
	s2, err := Create(WriterOptions{Dir: sdir, Job: []byte(`{}`), Journal: true, Shard: &ShardOf{2, 2}, Command: "run two"})
	if err != nil {
		t.Fatal(err)
	}
	for _, o2 := range []WriterOptions{{Dir: sdir, Job: []byte(`{}`), Journal: true, Shard: &ShardOf{1, 2}}, {Dir: sdir, Job: []byte(`{}`), Journal: true, Force: true}} {
		if _, err := Create(o2); err == nil || !strings.Contains(err.Error(), "being written by another shiftgen run") {
			t.Fatalf("beside shards: %v", err)
		}
	}
	_, err = Merge(sdir, MergeOptions{})
	if err == nil || !strings.Contains(err.Error(), "shard 1/2, pid") || !strings.Contains(err.Error(), "run two") || !strings.Contains(err.Error(), "wait for the shards to finish") {
		t.Fatalf("merge beside shards: %v", err)
	}
	s1.Close()
	s2.Close()
	// A non-empty folder needs Force; a refused writer leaves nothing behind.
	other := t.TempDir()
	os.WriteFile(filepath.Join(other, "keep"), []byte("x"), 0o644)
	if _, err := Create(WriterOptions{Dir: other, Flag: "--out"}); err == nil || !strings.Contains(err.Error(), "not empty; pass --force") {
		t.Fatalf("non-empty: %v", err)
	}
	if entries, _ := os.ReadDir(other); len(entries) != 1 {
		t.Fatalf("a refused writer left %v", entries)
	}
	// --force empties a folder, but not the folder a link points to.
	link := filepath.Join(t.TempDir(), "link")
	os.Symlink(other, link)
	if _, err := Create(WriterOptions{Dir: link, Force: true}); err == nil || !strings.Contains(err.Error(), "is a symbolic link to") {
		t.Fatalf("--force through a link: %v", err)
	}
	if _, err := os.Stat(filepath.Join(other, "keep")); err != nil {
		t.Fatal("the link's target was emptied")
	}
}

func TestWriterResumeRewinds(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ds")
	ims := testImages(6)
	o := WriterOptions{Dir: dir, Job: []byte(`{}`), Streams: 2, Journal: true, Images: LooseFiles{}}
	w := writeImages(t, o, ims)
	w.Skip(9, Skip{Split: "val", Source: "bad.jpg", Reason: "corrupt"})
	w.Close() // interrupted
	// Damage image 3 and tear the last journal line.
	os.WriteFile(filepath.Join(dir, ims[3].name), []byte("changed"), 0o644)
	f, _ := os.OpenFile(filepath.Join(dir, WorkDir, streamFile(1)), os.O_WRONLY|os.O_APPEND, 0)
	f.WriteString(`{"distribution":"shifted"`)
	f.Close()
	o.Resume = true
	r, err := Create(o)
	if err != nil || r.State() != Resumed {
		t.Fatalf("%v", err)
	}
	j, err := r.ReadJournal()
	if err != nil {
		t.Fatal(err)
	}
	// Accept images while intact, as the pipeline does: 0, 1, 2 (3 is damaged).
	kept := 0
	for i := range ims {
		rec, ok := j.Record(i % 2)
		if !ok || rec.Index != i || !j.Check(i%2, rec) {
			break
		}
		j.Mark()
		kept++
	}
	if kept != 3 {
		t.Fatalf("kept %d images; want 3", kept)
	}
	if s, ok := j.PeekSkip(); !ok || s.Seq != 9 || s.Source != "bad.jpg" {
		t.Fatalf("skip %+v %v", s, ok)
	}
	if err := r.Rewind(j); err != nil {
		t.Fatal(err)
	}
	// Stream 0 keeps images 0 and 2, stream 1 image 1; the skip was not taken, so it is
	// cut too.
	g0, _ := os.ReadFile(filepath.Join(dir, WorkDir, streamFile(0)))
	g1, _ := os.ReadFile(filepath.Join(dir, WorkDir, streamFile(1)))
	gs, _ := os.ReadFile(filepath.Join(dir, WorkDir, skipsFile))
	if string(g0) != recordLine(0, ims[0])+recordLine(2, ims[2]) || string(g1) != recordLine(1, ims[1]) || len(gs) != 0 {
		t.Fatalf("rewound journals:\n%s\n%s\n%s", g0, g1, gs)
	}
	r.Close()
}

// mergeSetup writes a job of 9 images in 3 shards (2 streams each) into a new folder
// and returns it.
func mergeSetup(t *testing.T) (string, []image) {
	dir := filepath.Join(t.TempDir(), "ds")
	ims := testImages(9)
	for k := 1; k <= 3; k++ {
		part := ims[(k-1)*3 : k*3]
		o := WriterOptions{Dir: dir, Job: []byte(`{"same":true}`), Streams: 2, Journal: true, Images: LooseFiles{}, Shard: &ShardOf{k, 3}, Command: fmt.Sprintf("gen --shard %d/3", k)}
		w, err := Create(o)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Begin(); err != nil {
			t.Fatal(err)
		}
		for _, d := range []string{"shifted/val/c0", "shifted/val/c1"} {
			os.MkdirAll(filepath.Join(dir, d), 0o755)
		}
		m := testManifest(0)
		for i, im := range part {
			idx := (k-1)*3 + i
			st, err := w.Put(idx%2, Image{Name: im.name, Data: im.data})
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Add(idx%2, testRecord(idx), &st); err != nil {
				t.Fatal(err)
			}
			m.Counts[idx%2].Images++
			m.Counts[idx%2].PerClass[idx%2]++
		}
		if _, err := w.Finish(m); err != nil {
			t.Fatal(err)
		}
		if err := w.Done(nil); err != nil {
			t.Fatal(err)
		}
	}
	return dir, ims
}

// mergedRecords is what one writer with 2 streams writes for ims.
func mergedRecords(ims []image) []byte { return expectedRecords(ims, 2) }

// files reads every file below dir.
func files(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := os.ReadFile(p)
			rel, _ := filepath.Rel(dir, p)
			out[filepath.ToSlash(rel)] = string(b)
		}
		return nil
	})
	return out
}

func TestMerge(t *testing.T) {
	dir, ims := mergeSetup(t)
	res, err := Merge(dir, MergeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := files(t, dir)
	if got[RecordsFile] != string(mergedRecords(ims)) {
		t.Fatalf("merged records\n%s\nwant\n%s", got[RecordsFile], mergedRecords(ims))
	}
	if res.Shards != 3 || res.Manifest.Counts[0].Images != 5 || res.Manifest.Counts[1].PerClass[1] != 4 || len(got) != 11 {
		t.Fatalf("merge %+v; %d files", res, len(got))
	}
	if _, err := Merge(dir, MergeOptions{}); err == nil || !strings.Contains(err.Error(), "already merged") {
		t.Fatalf("second merge: %v", err)
	}
	// Records that go through a placement function (as containers' do) and keep their
	// placement come out as the byte-for-byte join.
	dir, ims = mergeSetup(t)
	if _, err := Merge(dir, MergeOptions{Images: keptInPlace}); err != nil {
		t.Fatal(err)
	}
	if got := files(t, dir)[RecordsFile]; got != string(mergedRecords(ims)) {
		t.Fatalf("merged records through a placement function\n%s\nwant\n%s", got, mergedRecords(ims))
	}
}

// inPlace stores loose files but makes Merge rewrite every record through a placement
// function that keeps the placement, the path containers take.
type inPlace struct{ LooseFiles }

func (inPlace) Join(string, []ShardPart, *Manifest) (func(int, int, Placement) Placement, error) {
	return func(_, _ int, p Placement) Placement { return p }, nil
}

func keptInPlace(*Manifest) (Images, error) { return inPlace{}, nil }

func TestMergeRefusesDamagedShards(t *testing.T) {
	for name, damage := range map[string]func(dir string){
		"truncated journal": func(dir string) {
			p := filepath.Join(dir, WorkDir, "shard-2-of-3", streamFile(1))
			b, _ := os.ReadFile(p)
			os.WriteFile(p, b[:bytes.IndexByte(b, '\n')+1], 0o644)
		},
		"edited journal": func(dir string) {
			p := filepath.Join(dir, WorkDir, "shard-2-of-3", streamFile(1))
			b, _ := os.ReadFile(p)
			os.WriteFile(p, bytes.Replace(b, []byte(`"width":1`), []byte(`"width":2`), 1), 0o644)
		},
		"removed journal": func(dir string) { os.Remove(filepath.Join(dir, WorkDir, "shard-2-of-3", streamFile(0))) },
		"damaged shard file": func(dir string) {
			os.WriteFile(filepath.Join(dir, WorkDir, "shard-2-of-3", shardFile), []byte(`{"complete":true,"shard":"2/3","command":"gen --shard 2/3"}`), 0o644)
		},
	} {
		for how, o := range map[string]MergeOptions{"joined": {}, "placed": {Images: keptInPlace}} {
			t.Run(name+"/"+how, func(t *testing.T) {
				dir, _ := mergeSetup(t)
				damage(dir)
				_, err := Merge(dir, o)
				if err == nil || !strings.Contains(err.Error(), "shard 2/3 cannot be merged") || !strings.Contains(err.Error(), "run `gen --shard 2/3 --force`") {
					t.Fatalf("%v", err)
				}
				for rel := range files(t, dir) {
					if rel == RecordsFile || rel == ManifestFile || IsTemp(filepath.Base(rel)) {
						t.Fatalf("a refused merge left %s", rel)
					}
				}
			})
		}
	}
}

// The steps at which TestMergeKilled kills a merge, in order.
var mergeSteps = []string{"merge locked", "join part", "records written", "manifest written", "marked finished", "work cleared", "mark removed", "lock removed"}

// TestMergeKilled kills real merge processes (this test binary) with SIGKILL at every
// step, including the renames and the removal of the work folder, reruns the merge and
// compares the result with an uninterrupted merge: it must finish, byte for byte, with
// no temporary file left.
func TestMergeKilled(t *testing.T) {
	ref, ims := mergeSetup(t)
	if _, err := Merge(ref, MergeOptions{}); err != nil {
		t.Fatal(err)
	}
	want := files(t, ref)
	for _, step := range mergeSteps {
		for hit := 1; hit <= 2; hit++ {
			if hit == 2 && step != "join part" {
				continue
			}
			dir, _ := mergeSetup(t)
			killAt(t, "MANIFESTS_MERGE_DIR", dir, step, hit)
			res, err := Merge(dir, MergeOptions{})
			if err != nil {
				t.Fatalf("rerun after a kill at %s #%d: %v", step, hit, err)
			}
			if res.Finished != (step != "merge locked" && step != "join part" && step != "records written" && step != "manifest written") {
				t.Errorf("%s: Finished = %v", step, res.Finished)
			}
			got := files(t, dir)
			if len(got) != len(want) {
				t.Fatalf("%s #%d: %d files, want %d: %v", step, hit, len(got), len(want), keys(got))
			}
			for k, v := range want {
				if got[k] != v {
					t.Fatalf("%s #%d: %s differs from an uninterrupted merge", step, hit, k)
				}
			}
			if got[RecordsFile] != string(mergedRecords(ims)) {
				t.Fatalf("%s: records differ", step)
			}
		}
	}
}

func keys(m map[string]string) []string {
	var k []string
	for n := range m {
		k = append(k, n)
	}
	return k
}

// finishSetup leaves the journal of a run of 7 images that was killed just before it
// finished, and returns its folder.
func finishSetup(t *testing.T) string {
	dir := filepath.Join(t.TempDir(), "ds")
	writeImages(t, WriterOptions{Dir: dir, Job: []byte(`{}`), Streams: 2, Journal: true, Images: LooseFiles{}}, testImages(7)).Close()
	return dir
}

// finishRun does what a resumed run does with a journal whose work is all done: keep
// it, and finish the dataset. A dataset found Complete is only closed.
func finishRun(dir string) (State, error) {
	w, err := Create(WriterOptions{Dir: dir, Job: []byte(`{}`), Streams: 2, Journal: true, Images: LooseFiles{}, Resume: true})
	if err != nil {
		return 0, err
	}
	defer w.Close()
	if w.State() == Complete {
		return Complete, nil
	}
	j, err := w.ReadJournal()
	if err != nil {
		return 0, err
	}
	for i := range 7 {
		if r, ok := j.Record(i % 2); !ok || !j.Check(i%2, r) {
			return 0, fmt.Errorf("image %d is not journaled intact", i)
		}
		j.Mark()
	}
	if err := w.Rewind(j); err != nil {
		return 0, err
	}
	if err := w.Begin(); err != nil {
		return 0, err
	}
	if _, err := w.Finish(testManifest(7)); err != nil {
		return 0, err
	}
	return w.State(), w.Done(&Run{Host: "h", Images: 7})
}

// TestFinishKilled kills real processes finishing a dataset at every step (records,
// manifest and run.json written, the work folder marked, emptied and removed) and
// resumes: the dataset must come out as an uninterrupted run writes it.
func TestFinishKilled(t *testing.T) {
	ref := finishSetup(t)
	if _, err := finishRun(ref); err != nil {
		t.Fatal(err)
	}
	want := files(t, ref)
	for _, step := range []string{"join part", "records written", "manifest written", "run written", "marked finished", "work cleared", "mark removed", "lock removed"} {
		dir := finishSetup(t)
		killAt(t, "MANIFESTS_FINISH_DIR", dir, step, 1)
		state, err := finishRun(dir)
		if err != nil {
			t.Fatalf("rerun after a kill at %s: %v", step, err)
		}
		if finished := step == "marked finished" || step == "work cleared" || step == "mark removed" || step == "lock removed"; finished != (state == Complete) {
			t.Errorf("%s: the rerun found the dataset %v", step, state)
		}
		got := files(t, dir)
		if len(got) != len(want) {
			t.Fatalf("%s: %d files, want %d: %v", step, len(got), len(want), keys(got))
		}
		for k, v := range want {
			if got[k] != v {
				t.Fatalf("%s: %s differs from an uninterrupted run", step, k)
			}
		}
	}
}

// killAt runs this test binary as a helper process (see TestMain) on dir, which kills
// itself with SIGKILL at the hit-th passage of step, and checks that it did.
func killAt(t *testing.T, env, dir, step string, hit int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), env+"="+dir, "MANIFESTS_KILL_AT="+step, "MANIFESTS_KILL_HIT="+strconv.Itoa(hit))
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("%s #%d: the process was not killed there: %v\n%s", step, hit, err, out)
	}
}

// TestMain runs the helper processes of TestMergeKilled and TestFinishKilled: with
// MANIFESTS_MERGE_DIR it merges that folder, with MANIFESTS_FINISH_DIR it finishes the
// run journaled there, killing itself at the MANIFESTS_KILL_HIT-th passage of step
// MANIFESTS_KILL_AT.
func TestMain(m *testing.M) {
	mdir, fdir := os.Getenv("MANIFESTS_MERGE_DIR"), os.Getenv("MANIFESTS_FINISH_DIR")
	if mdir == "" && fdir == "" {
		os.Exit(m.Run())
	}
	step, hit := os.Getenv("MANIFESTS_KILL_AT"), 0
	want, _ := strconv.Atoi(os.Getenv("MANIFESTS_KILL_HIT"))
	crashHook = func(s string) {
		if s == step {
			if hit++; hit == want {
				syscall.Kill(os.Getpid(), syscall.SIGKILL)
			}
		}
	}
	var err error
	if mdir != "" {
		_, err = Merge(mdir, MergeOptions{})
	} else {
		_, err = finishRun(fdir)
	}
	fmt.Println("finished without being killed:", err)
	os.Exit(0)
}

func TestReadRecordsCancel(t *testing.T) {
	var buf bytes.Buffer
	w := NewRecordWriter(&buf)
	for i := range 5000 {
		w.Write(rec("reference", "val", i))
	}
	w.Close()
	for _, workers := range []int{1, 4} {
		ctx, cancel := context.WithCancel(context.Background())
		n := 0
		err := ReadRecords(ctx, bytes.NewReader(buf.Bytes()), "r", ReadOptions{Workers: workers}, func(*Record) error {
			if n++; n == 10 {
				cancel()
			}
			return nil
		})
		if !errors.Is(err, context.Canceled) || n == 5000 {
			t.Errorf("%d workers: %v after %d records", workers, err, n)
		}
	}
}

// TestLooseFilesSameBytes: an image whose bytes an earlier file holds is stored as a
// hard link to it (atomically, over an older file too), the Writer counts it, and where
// the file system refuses the link (another file system here) it is written as a copy,
// with the reason.
func TestLooseFilesSameBytes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ds")
	w, err := Create(WriterOptions{Dir: dir, Job: []byte(`{}`), Journal: true, Images: LooseFiles{}})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := w.Begin(); err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(dir, "a"), 0o755)
	data := []byte("the same bytes")
	first, err := w.Put(0, Image{Name: "a/1.jpg", Data: data})
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "a", "2.jpg"), []byte("an older file"), 0o644)
	second, err := w.Put(0, Image{Name: "a/2.jpg", Data: data, Same: filepath.Join(dir, "a", "1.jpg")})
	if err != nil {
		t.Fatal(err)
	}
	// Linking a file to what it already is changes nothing and leaves no temporary file.
	third, err := w.Put(0, Image{Name: "a/2.jpg", Data: data, Same: filepath.Join(dir, "a", "1.jpg")})
	if err != nil {
		t.Fatal(err)
	}
	a, _ := os.Stat(filepath.Join(dir, "a", "1.jpg"))
	b, _ := os.Stat(filepath.Join(dir, "a", "2.jpg"))
	entries, _ := os.ReadDir(filepath.Join(dir, "a"))
	if first.Shared != SharedNone || second.Shared != SharedLinked || third.Shared != SharedLinked || !os.SameFile(a, b) || len(entries) != 2 {
		t.Fatalf("shared %v %v %v, same file %v, %d entries", first.Shared, second.Shared, third.Shared, os.SameFile(a, b), len(entries))
	}
	for i, st := range []Staged{first, second} {
		if err := w.Add(0, testRecord(2*i), &st); err != nil {
			t.Fatal(err)
		}
	}
	if sh := w.Sharing(); sh.Linked != 1 || sh.Bytes != int64(len(data)) || sh.Copied != 0 {
		t.Fatalf("sharing %+v", sh)
	}

	elsewhere, err := os.MkdirTemp("/dev/shm", "shiftgen-test-")
	if err != nil {
		t.Skip("no /dev/shm, a second file system to refuse the hard link")
	}
	defer os.RemoveAll(elsewhere)
	os.WriteFile(filepath.Join(elsewhere, "x"), data, 0o644)
	if os.Link(filepath.Join(elsewhere, "x"), filepath.Join(dir, "probe")) == nil {
		t.Skip("/dev/shm is on the test folder's file system")
	}
	copied, err := w.Put(0, Image{Name: "a/3.jpg", Data: data, Same: filepath.Join(elsewhere, "x")})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(filepath.Join(dir, "a", "3.jpg"))
	if copied.Shared != SharedCopied || !strings.Contains(copied.Reason, "cross-device") || !bytes.Equal(got, data) {
		t.Fatalf("across file systems: %v %q, %q", copied.Shared, copied.Reason, got)
	}
	if err := w.Add(0, testRecord(4), &copied); err != nil {
		t.Fatal(err)
	}
	if sh := w.Sharing(); sh.Copied != 1 || sh.CopyReason != copied.Reason {
		t.Fatalf("sharing %+v", sh)
	}
}
