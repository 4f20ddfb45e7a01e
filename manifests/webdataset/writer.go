package webdataset

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

// DefaultShardImages is the default number of samples per shard.
const DefaultShardImages = 10000

// Unlimited, as Options.ShardImages, puts every sample in one shard (the partial file of
// a sharded run, which Merge cuts into the final shards).
const Unlimited = -1

// Options configure a Writer.
type Options struct {
	// ShardImages is the number of samples per shard: every shard but the last holds
	// exactly this many. Zero means DefaultShardImages; Unlimited means one shard.
	ShardImages int
}

func (o Options) per() int64 {
	switch {
	case o.ShardImages == 0:
		return DefaultShardImages
	case o.ShardImages < 0:
		return 1 << 62
	}
	return int64(o.ShardImages)
}

// ShardName returns the file name of shard i of the given prefix (for a dataset,
// "<distribution>-<split>"): prefix-%06d.tar.
func ShardName(prefix string, i int) string { return fmt.Sprintf("%s-%06d.tar", prefix, i) }

// ShardOf returns the shard that holds sample i (counting from 0) under o.
func (o Options) ShardOf(i int64) int { return int(i / o.per()) }

// Sample is one image with its label and record.
type Sample struct {
	// Key names the sample's members: <key>.cls, <key>.json and <key>.<ImageExt>. It
	// is 1 to 90 bytes of ASCII letters, digits, '_' and '-', and keys must increase
	// (byte order) from sample to sample.
	Key string
	// Image holds the encoded image, ImageExt its extension: "jpg" or "png".
	Image    []byte
	ImageExt string
	// Label is stored in <key>.cls as decimal ASCII.
	Label int
	// JSON is stored as <key>.json, as given (the record).
	JSON []byte
}

func checkKey(k string) error {
	if len(k) < 1 || len(k) > 90 {
		return fmt.Errorf("key %q must be 1 to 90 bytes", k)
	}
	for _, c := range []byte(k) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return fmt.Errorf("key %q may hold only letters, digits, '_' and '-'", k)
		}
	}
	return nil
}

// encode returns the sample's bytes in a shard: its members sorted by name.
func (s *Sample) encode() ([]byte, error) {
	if err := checkKey(s.Key); err != nil {
		return nil, err
	}
	if s.ImageExt != "jpg" && s.ImageExt != "png" {
		return nil, fmt.Errorf("sample %q: image extension %q is neither jpg nor png", s.Key, s.ImageExt)
	}
	data := map[string][]byte{"cls": []byte(strconv.Itoa(s.Label)), "json": s.JSON, s.ImageExt: s.Image}
	var ms []member
	for _, ext := range sortedExts(s.ImageExt) {
		ms = append(ms, member{s.Key + "." + ext, data[ext]})
	}
	return encodeMembers(nil, ms), nil
}

// A Writer streams samples into tar shards of Options.ShardImages samples each,
// dir/ShardName(prefix, i). The shard being filled lives in the work folder (its name
// plus ".part") and is moved to dir, complete with the end-of-archive marker and synced,
// when the next sample needs a new shard or at Finish. A shard's bytes depend only on
// its samples, so shards are byte-identical across runs.
//
// Samples are appended in order by one goroutine: a Writer is not safe for concurrent
// use. Once Append returns the sample survives the process being killed (a shard is
// synced when it is finished, not before). A killed run reopens the writer with Reopen,
// cuts it back with Truncate to the count it journaled and appends again.
type Writer struct {
	dir, work, prefix string
	per               int64
	n                 int64
	cur               int      // shard being filled (or last finished)
	curN              int64    // samples in shard cur
	curBytes          int64    // bytes of shard cur's samples
	f                 *os.File // shard cur's work file; nil when cur is finished or none started
	lastKey           string
	readCache         struct {
		shard   int
		entries []Entry
		file    string
	}
}

// Create starts a writer of shards in dir (which must exist), using the folder work
// (created if missing) for the shard being filled.
func Create(dir, work, prefix string, o Options) (*Writer, error) {
	if err := os.MkdirAll(work, 0o755); err != nil {
		return nil, fmt.Errorf("webdataset: work folder: %w", err)
	}
	return &Writer{dir: dir, work: work, prefix: prefix, per: o.per(), cur: -1}, nil
}

func (w *Writer) final(i int) string { return filepath.Join(w.dir, ShardName(w.prefix, i)) }
func (w *Writer) temp(i int) string  { return filepath.Join(w.work, ShardName(w.prefix, i)+".part") }

// Len returns the number of samples written.
func (w *Writer) Len() int64 { return w.n }

// Append adds s as the next sample and returns the name of the shard file that holds
// it.
func (w *Writer) Append(s Sample) (string, error) {
	b, err := s.encode()
	if err != nil {
		return "", fmt.Errorf("webdataset: sample %d: %w", w.n, err)
	}
	return w.appendBlob(s.Key, b)
}

func (w *Writer) appendBlob(key string, b []byte) (string, error) {
	if w.n > 0 && key <= w.lastKey {
		return "", fmt.Errorf("webdataset: sample %d: key %q does not follow %q; keys must increase", w.n, key, w.lastKey)
	}
	if w.cur < 0 || w.curN == w.per {
		if err := w.finishShard(); err != nil {
			return "", err
		}
		f, err := os.Create(w.temp(w.cur + 1))
		if err != nil {
			return "", fmt.Errorf("webdataset: %w", err)
		}
		w.cur, w.curN, w.curBytes, w.f = w.cur+1, 0, 0, f
	}
	if w.readCache.shard == w.cur {
		w.readCache.entries = nil
	}
	if _, err := w.f.WriteAt(b, w.curBytes); err != nil {
		return "", fmt.Errorf("webdataset: %s: %w", w.temp(w.cur), err)
	}
	w.curBytes += int64(len(b))
	w.curN++
	w.n++
	w.lastKey = key
	return ShardName(w.prefix, w.cur), nil
}

// finishShard completes the shard being filled: end marker, sync, move into dir.
func (w *Writer) finishShard() error {
	if w.f == nil {
		return nil
	}
	tmp := w.temp(w.cur)
	if _, err := w.f.WriteAt(make([]byte, 2*blockSize), w.curBytes); err != nil {
		return fmt.Errorf("webdataset: %s: %w", tmp, err)
	}
	if err := w.f.Truncate(w.curBytes + 2*blockSize); err != nil {
		return fmt.Errorf("webdataset: %s: %w", tmp, err)
	}
	if err := w.f.Sync(); err != nil {
		return fmt.Errorf("webdataset: %s: %w", tmp, err)
	}
	if err := w.f.Close(); err != nil {
		return fmt.Errorf("webdataset: %s: %w", tmp, err)
	}
	w.f = nil
	if err := os.Rename(tmp, w.final(w.cur)); err != nil {
		return fmt.Errorf("webdataset: %w", err)
	}
	return nil
}

// Finish completes the last shard and returns the names of all shards, in order. No
// samples means no shards. Append must not be called after Finish.
func (w *Writer) Finish() ([]string, error) {
	if err := w.finishShard(); err != nil {
		return nil, err
	}
	var names []string
	for i := 0; i <= w.cur; i++ {
		names = append(names, ShardName(w.prefix, i))
	}
	return names, nil
}

// Close closes the shard being filled and keeps it, so that the run can be resumed.
func (w *Writer) Close() error {
	if w.f == nil {
		return nil
	}
	err := w.f.Close()
	w.f = nil
	return err
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

// scanFile scans the shard file at p.
func scanFile(p string, strict bool) ([]Entry, int64, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, 0, fmt.Errorf("webdataset: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, 0, fmt.Errorf("webdataset: %w", err)
	}
	return scan(f, fi.Size(), p, strict)
}

// Reopen opens the shards of a writer that was interrupted: finished shards in dir and
// the one being filled in work. It keeps the complete samples (cutting off whatever a
// crash left half-written); Len says how many.
func Reopen(dir, work, prefix string, o Options) (*Writer, error) {
	w, err := Create(dir, work, prefix, o)
	if err != nil {
		return nil, err
	}
	last := -1
	for exists(w.final(last+1)) || exists(w.temp(last+1)) {
		last++
	}
	if last < 0 {
		return w, nil
	}
	fail := func(err error) (*Writer, error) {
		w.Close()
		return nil, fmt.Errorf("webdataset: reopen %s: %w; start over without resuming", dir, err)
	}
	// Shards before the last are full; one whose move into dir was cut short is
	// finished now.
	for i := 0; i < last; i++ {
		if !exists(w.temp(i)) {
			continue
		}
		entries, _, err := scanFile(w.temp(i), false)
		if err != nil {
			return fail(err)
		}
		if int64(len(entries)) < w.per {
			return fail(fmt.Errorf("%s holds %d samples, want %d", w.temp(i), len(entries), w.per))
		}
		f, err := os.OpenFile(w.temp(i), os.O_RDWR, 0)
		if err != nil {
			return fail(err)
		}
		w.cur, w.curBytes, w.f = i, entries[w.per-1].End, f
		if err := w.finishShard(); err != nil {
			return fail(err)
		}
	}
	w.cur = last
	if err := w.openLast(); err != nil {
		return fail(err)
	}
	return w, nil
}

// openLast sets the writer's state from shard w.cur, the last one present: a work file
// is cut to its complete samples and reopened; a finished shard that is full stays as
// it is, one that is not (a Finish was interrupted or undone) goes back to work.
func (w *Writer) openLast() error {
	var entries []Entry
	var end int64
	var err error
	if exists(w.temp(w.cur)) {
		entries, end, err = scanFile(w.temp(w.cur), false)
	} else {
		entries, end, err = scanFile(w.final(w.cur), true)
		if err == nil && int64(len(entries)) < w.per {
			err = os.Rename(w.final(w.cur), w.temp(w.cur))
		}
	}
	if err != nil {
		return err
	}
	w.curN, w.curBytes = int64(len(entries)), end
	w.n = int64(w.cur)*w.per + w.curN
	w.lastKey = ""
	if len(entries) > 0 {
		w.lastKey = entries[len(entries)-1].Key
	} else if w.cur > 0 {
		prev, _, err := scanFile(w.final(w.cur-1), true)
		if err != nil {
			return err
		}
		w.lastKey = prev[len(prev)-1].Key
	}
	if exists(w.temp(w.cur)) {
		f, err := os.OpenFile(w.temp(w.cur), os.O_RDWR, 0)
		if err != nil {
			return err
		}
		if err := f.Truncate(end); err != nil {
			f.Close()
			return err
		}
		w.f = f
	}
	return nil
}

// Truncate cuts the writer back to its first n samples (n ≤ Len), as a resumed run
// does to return to the state it last journaled.
func (w *Writer) Truncate(n int64) error {
	if n < 0 || n > w.n {
		return fmt.Errorf("webdataset: truncate to %d samples: the writer holds %d", n, w.n)
	}
	if n == w.n {
		return nil
	}
	w.Close()
	keep := 0 // the shard that will hold sample n-1
	if n > 0 {
		keep = int((n - 1) / w.per)
	}
	for i := keep + 1; i <= w.cur; i++ {
		for _, p := range []string{w.final(i), w.temp(i)} {
			if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("webdataset: %w", err)
			}
		}
	}
	w.readCache.entries = nil
	if n == 0 {
		for _, p := range []string{w.final(0), w.temp(0)} {
			os.Remove(p)
		}
		w.cur, w.curN, w.curBytes, w.n, w.lastKey = -1, 0, 0, 0, ""
		return nil
	}
	r := n - int64(keep)*w.per // samples to keep in shard keep
	if !exists(w.temp(keep)) && r < w.per {
		if err := os.Rename(w.final(keep), w.temp(keep)); err != nil {
			return fmt.Errorf("webdataset: %w", err)
		}
	}
	if exists(w.temp(keep)) {
		entries, _, err := scanFile(w.temp(keep), false)
		if err != nil {
			return err
		}
		if int64(len(entries)) < r {
			return fmt.Errorf("webdataset: truncate: %s holds %d samples, fewer than %d", w.temp(keep), len(entries), r)
		}
		if err := os.Truncate(w.temp(keep), entries[r-1].End); err != nil {
			return fmt.Errorf("webdataset: %w", err)
		}
	}
	w.cur = keep
	if err := w.openLast(); err != nil {
		return fmt.Errorf("webdataset: truncate: %w", err)
	}
	return nil
}

// Read returns sample i (i < Len) as stored, from its finished shard or the work file,
// so that a resumed run can check it against its journal. Reading samples in order
// scans each shard once.
func (w *Writer) Read(i int64) (Sample, error) {
	if i < 0 || i >= w.n {
		return Sample{}, fmt.Errorf("webdataset: no sample %d (the writer holds %d)", i, w.n)
	}
	shard := int(i / w.per)
	c := &w.readCache
	if c.entries == nil || c.shard != shard {
		p, strict := w.final(shard), true
		if exists(w.temp(shard)) {
			p, strict = w.temp(shard), false
		}
		entries, _, err := scanFile(p, strict)
		if err != nil {
			return Sample{}, err
		}
		c.shard, c.entries, c.file = shard, entries, p
	}
	k := i - int64(shard)*w.per
	if k >= int64(len(c.entries)) {
		return Sample{}, fmt.Errorf("webdataset: %s: no sample %d", c.file, k)
	}
	f, err := os.Open(c.file)
	if err != nil {
		return Sample{}, fmt.Errorf("webdataset: %w", err)
	}
	defer f.Close()
	return decodeSample(f, c.file, &c.entries[k])
}
