package manifests

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// Files of a work folder.
const (
	jobFile   = "job.json"
	shardFile = "shard.json"
	skipsFile = "skipped.jsonl"
)

// streamFile is the journal of record stream i.
func streamFile(i int) string { return fmt.Sprintf("records-%d.jsonl", i) }

// State is what a Writer found in its dataset folder.
type State int

const (
	// Fresh means the run starts from nothing: the folder is absent or empty, or
	// WriterOptions.Force lets Begin empty it.
	Fresh State = iota
	// Resumed means the work folder holds the journal of an interrupted run, which
	// this one continues (WriterOptions.Resume).
	Resumed
	// Complete means the dataset is already finished (WriterOptions.Resume): there is
	// nothing to write.
	Complete
)

// WriterOptions configures Create. Zero values are documented per field.
type WriterOptions struct {
	// Dir is the dataset folder (required); it and its parents are created as needed.
	Dir string
	// Flag names the option Dir came from, in messages; empty means "--out".
	Flag string
	// Inputs are what the run reads: Dir may neither lie inside one nor hold one, once
	// every symbolic link is resolved.
	Inputs []Input
	// Force replaces a folder that is not empty (for a shard: restarts the shard).
	Force bool
	// Resume continues the interrupted run whose journal the work folder holds, or
	// finds the dataset Complete.
	Resume bool
	// Shard, if set, is the part of a sharded job this Writer writes: its journal lives
	// in .work/shard-K-of-N, and Finish leaves a shard file there for Merge instead of
	// the dataset's files. Nil writes the whole dataset.
	Shard *ShardOf
	// Job describes everything that decides the output bytes. With Journal it is kept
	// in the work folder, and Done records it in run.json; a resumed run compares it
	// with PreviousJob.
	Job []byte
	// Streams is the number of record streams; records.jsonl is their concatenation in
	// stream order. 0 means 1.
	Streams int
	// Journal keeps the streams and the skipped inputs in the work folder, flushed about
	// once a second, so that an interrupted run can resume. Without it (index, split)
	// the single stream goes straight to records.jsonl's temporary file and the run
	// cannot resume or be sharded.
	Journal bool
	// Command describes the run in the lock (and in a shard's file); empty means the
	// process's arguments.
	Command string
	// Images receives the dataset's images; nil when it has none of its own (indexes
	// and splits point at other datasets' files).
	Images Images
}

// Writer owns a dataset folder for the life of one run: it resolves and checks the
// folder, locks it against other runs, prepares it (absent, empty, Force, Resume),
// stores images through the Images' sink, streams records to journals or straight to
// records.jsonl, and finishes the dataset: records.jsonl, then manifest.json, then
// run.json, each atomic and durable, then the work folder is removed.
//
// The life of a Writer: Create; for a Resumed one ReadJournal and Rewind; Begin; Put
// (from any goroutine) and Add and Skip (from one goroutine, in record order); Finish;
// Done. Close may be deferred: after Done it does nothing, before it keeps the journal
// for a resumed run and releases the locks.
type Writer struct {
	o         WriterOptions
	dir       string
	work      string // this writer's work folder
	state     State
	prevJob   []byte
	lock      *heldLock // .work/lock
	shardLock *heldLock // .work/shard-K-of-N/lock
	madeWork  bool      // .work did not exist before Create
	owner     Owner
	sink      ImageSink
	streams   []*stream
	skips     *stream
	lastFlush time.Time
	sharing   Sharing
	begun     bool
	finished  bool
	done      bool
	closed    bool
}

// stream is one record stream: a journal file, or records.jsonl's temporary file.
type stream struct {
	path string
	f    *os.File
	af   *AtomicFile
	rw   *RecordWriter
	bw   *bufio.Writer // skipped.jsonl
}

// crashHook, when set (by tests), is called at each step of finishing and merging, so
// that a test process can kill itself exactly there.
var crashHook func(step string)

func reached(step string) {
	if crashHook != nil {
		crashHook(step)
	}
}

// Create checks and locks the dataset folder and finds its State. It changes nothing
// in the folder beyond creating the work folder's lock (Begin prepares it). When another
// run holds the folder the error is a *BusyError naming it.
func Create(o WriterOptions) (*Writer, error) {
	if o.Dir == "" {
		return nil, errors.New("no output folder given (--out)")
	}
	if o.Flag == "" {
		o.Flag = "--out"
	}
	if o.Streams <= 0 {
		o.Streams = 1
	}
	if !o.Journal && (o.Streams != 1 || o.Resume || o.Shard != nil) {
		return nil, errors.New("internal error: a writer without a journal has one stream and cannot resume or write a shard")
	}
	if err := CheckNesting(o.Dir, o.Flag, o.Inputs); err != nil {
		return nil, err
	}
	w := &Writer{o: o, dir: o.Dir, work: filepath.Join(o.Dir, WorkDir)}
	shard := ""
	if o.Shard != nil {
		w.work = filepath.Join(w.work, o.Shard.workName())
		shard = o.Shard.String()
	}
	w.owner = newOwner(o.Command, shard)
	root := filepath.Join(o.Dir, WorkDir)
	// Without a lock file yet, a refusal that needs no lock is made before anything is
	// created; with one, the lock comes first, so that a running run is named.
	if !exists(filepath.Join(root, LockFile)) || (o.Shard != nil && !exists(filepath.Join(w.work, LockFile))) {
		if err := w.classify(); err != nil {
			return nil, err
		}
	}
	w.madeWork = !exists(root)
	var err error
	if w.lock, err = acquire(filepath.Join(root, LockFile), o.Shard == nil); err != nil {
		if errors.Is(err, errLocked) {
			return nil, busy(o.Dir, false)
		}
		return nil, err
	}
	if o.Shard == nil {
		err = w.lock.describe(w.owner)
	} else if w.shardLock, err = acquire(filepath.Join(w.work, LockFile), true); errors.Is(err, errLocked) {
		err = busy(o.Dir, false)
	} else if err == nil {
		err = w.shardLock.describe(w.owner)
	}
	if err == nil {
		err = w.classify() // again, now that no other run can change the folder
	}
	if err == nil && w.state == Resumed {
		if w.prevJob, err = os.ReadFile(filepath.Join(w.work, jobFile)); err != nil {
			err = fmt.Errorf("resume %s: %w", w.dir, err)
		}
	}
	if err == nil && w.state == Complete {
		w.prevJob = finishedJob(w.dir)
	}
	if err == nil && w.state == Resumed {
		err = w.openSink() // Rewind needs it before Begin
	}
	if err != nil {
		if w.madeWork && o.Shard == nil {
			w.lock.remove()
			os.Remove(root)
		}
		w.release()
		return nil, err
	}
	return w, nil
}

// openSink opens the Images' sink, if any.
func (w *Writer) openSink() error {
	if w.o.Images == nil || w.sink != nil {
		return nil
	}
	var err error
	w.sink, err = w.o.Images.Sink(SinkOptions{Dir: w.dir, Work: w.work, Resume: w.state == Resumed, Shard: w.o.Shard != nil})
	return err
}

// classify finds the folder's State or refuses it.
func (w *Writer) classify() error {
	o := w.o
	root := filepath.Join(w.dir, WorkDir)
	finished := exists(filepath.Join(root, finishedFile))
	hasManifest := exists(filepath.Join(w.dir, ManifestFile))
	hasJob := exists(filepath.Join(w.work, jobFile)) && (o.Shard != nil || !finished)
	if o.Shard != nil {
		if err := checkSiblings(root, *o.Shard, o.Force); err != nil {
			return err
		}
		switch {
		case o.Resume && hasJob:
			w.state = Resumed
		case hasManifest && !o.Force:
			return fmt.Errorf("output %s is already a complete dataset; pass --force to replace it", w.dir)
		case hasJob && !o.Force:
			return fmt.Errorf("shard %s of %s was already started; rerun with --resume to continue it, or --force to restart it", o.Shard, w.dir)
		default:
			w.state = Fresh
		}
		return nil
	}
	others, err := entriesBut(w.dir)
	if err != nil {
		return err
	}
	work, err := entriesBut(root)
	if err != nil {
		return err
	}
	for _, e := range work {
		if e != LockFile && e != finishedFile && e != jobFile {
			others = append(others, WorkDir+"/"+e) // another job's shards, say
		}
	}
	if fi, err := os.Lstat(w.dir); err == nil && fi.Mode()&os.ModeSymlink != 0 && o.Force && len(others) > 0 && !(o.Resume && (hasJob || hasManifest)) {
		target, _ := Resolve(w.dir)
		return fmt.Errorf("output %s is a symbolic link to %s, which is not empty: --force would empty the folder it points to; remove the link, or choose another %s", w.dir, target, o.Flag)
	}
	switch {
	case o.Resume && hasJob:
		w.state = Resumed
	case o.Resume && hasManifest:
		w.state = Complete
	case len(others) == 0 && !hasJob, o.Force:
		w.state = Fresh
	case hasJob:
		return fmt.Errorf("output %s holds an interrupted run; pass --resume to continue it, --force to replace it, or choose another %s", w.dir, o.Flag)
	default:
		return fmt.Errorf("output %s already exists and is not empty; pass --force to replace it, or choose another %s", w.dir, o.Flag)
	}
	return nil
}

// State is what Create found.
func (w *Writer) State() State { return w.state }

// Dir is the dataset folder, as given.
func (w *Writer) Dir() string { return w.dir }

// PreviousJob is the Job description the interrupted run recorded (Resumed), or the
// one the finished dataset's run.json records (Complete; nil when it has none, as for a
// merged dataset, or when run.json is missing or unreadable: the manifest is then all
// there is to compare).
func (w *Writer) PreviousJob() []byte { return w.prevJob }

// finishedJob is the Job recorded in the run.json of the finished dataset in dir, or nil.
func finishedJob(dir string) []byte {
	b, err := os.ReadFile(filepath.Join(dir, RunFile))
	if err != nil {
		return nil
	}
	var run struct {
		Job json.RawMessage `json:"job"`
	}
	if json.Unmarshal(b, &run) != nil || len(run.Job) == 0 || string(run.Job) == "null" {
		return nil
	}
	return run.Job
}

// Begin prepares the folder and opens the record streams and the image sink. A Fresh
// writer empties the folder (keeping the lock) or, for a shard, its own work folder,
// and records the Job; a Resumed one (whose sink Create opened, for Rewind) removes the
// temporary files a killed run left (for a shard only in its own work folder: the other
// shards may be writing theirs).
func (w *Writer) Begin() error {
	if w.begun || w.state == Complete {
		return errors.New("internal error: Begin twice, or on a complete dataset")
	}
	w.begun = true
	root := filepath.Join(w.dir, WorkDir)
	switch {
	case w.state == Fresh && w.o.Shard == nil:
		if err := clearBut(w.dir, WorkDir); err != nil {
			return err
		}
		if err := clearBut(root, LockFile); err != nil {
			return err
		}
	case w.state == Fresh:
		if err := clearBut(w.work, LockFile); err != nil {
			return err
		}
	case w.o.Shard == nil:
		if err := RemoveTemps(w.dir); err != nil {
			return fmt.Errorf("resume %s: %w", w.dir, err)
		}
	default:
		if err := RemoveTemps(w.work); err != nil {
			return fmt.Errorf("resume %s: %w", w.dir, err)
		}
	}
	// A fresh sink opens in the folder just emptied.
	if err := w.openSink(); err != nil {
		return err
	}
	if !w.o.Journal {
		af, err := CreateAtomic(filepath.Join(w.dir, RecordsFile), Durable)
		if err != nil {
			return fmt.Errorf("output %w", err)
		}
		w.streams = []*stream{{path: af.Path(), af: af, rw: NewRecordWriter(af)}}
		w.lastFlush = time.Now()
		return nil
	}
	if w.state == Fresh {
		if err := WriteFileAtomic(filepath.Join(w.work, jobFile), w.o.Job); err != nil {
			return err
		}
	}
	for i := range w.o.Streams {
		s, err := openStream(filepath.Join(w.work, streamFile(i)))
		if err != nil {
			return err
		}
		s.rw = NewRecordWriter(s.f)
		w.streams = append(w.streams, s)
	}
	s, err := openStream(filepath.Join(w.work, skipsFile))
	if err != nil {
		return err
	}
	s.bw = bufio.NewWriter(s.f)
	w.skips = s
	w.lastFlush = time.Now()
	return nil
}

func openStream(path string) (*stream, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("output %s: %w", path, err)
	}
	return &stream{path: path, f: f}, nil
}

// Put stores one image of stream i through the sink (its name is checked with
// CheckName) and returns what Add needs to commit it. It is safe to call from several
// goroutines; img.Data is not kept after Put returns.
func (w *Writer) Put(i int, img Image) (Staged, error) {
	if w.sink == nil {
		return Staged{}, fmt.Errorf("internal error: %s has no image sink", w.dir)
	}
	if err := CheckName(img.Name); err != nil {
		return Staged{}, fmt.Errorf("output %s: image %w", w.dir, err)
	}
	return w.sink.Put(i, img)
}

// Add appends a record to stream i. With img it first commits the image and sets the
// record's path, position, size and sha256 from where the image was placed. Add is
// called from one goroutine, in record order.
func (w *Writer) Add(i int, rec *Record, img *Staged) error {
	if img != nil {
		p, err := w.sink.Commit(*img)
		if err != nil {
			return err
		}
		rec.Path, rec.In, rec.Size, rec.SHA256 = p.Path, p.In, p.Size, p.SHA256
		switch img.Shared {
		case SharedLinked:
			w.sharing.Linked++
			w.sharing.Bytes += p.Size
		case SharedCopied:
			w.sharing.Copied++
			if w.sharing.CopyReason == "" {
				w.sharing.CopyReason = img.Reason
			}
		case SharedReferenced:
			w.sharing.Referenced++
			w.sharing.Bytes += p.Size
		}
	}
	s := w.streams[i]
	if err := s.rw.Write(rec); err != nil {
		return fmt.Errorf("output %s: %w", s.path, err)
	}
	return w.maybeFlush()
}

// Sharing returns what this process stored by hard link, copy or reference rather than
// by writing the bytes again (see Sharing); after Finish it also counts the shared
// containers.
func (w *Writer) Sharing() Sharing { return w.sharing }

// JournalSkip is one line of a run's skipped-inputs journal: the job numbered Seq was
// skipped.
type JournalSkip struct {
	Seq int `json:"seq"`
	Skip
}

// journalSkipJSON is JournalSkip's JSON form, with the source in the JSON form of Name.
type journalSkipJSON struct {
	Seq    int    `json:"seq"`
	Split  string `json:"split"`
	Source Name   `json:"source"`
	Reason string `json:"reason"`
}

// MarshalJSON writes the entry with its sequence number (Skip's own MarshalJSON would
// otherwise be promoted and drop it).
func (e JournalSkip) MarshalJSON() ([]byte, error) {
	return marshalNoEscape(journalSkipJSON{e.Seq, e.Split, Name(e.Source), e.Reason})
}

// UnmarshalJSON reads an entry written by MarshalJSON, refusing unknown fields.
func (e *JournalSkip) UnmarshalJSON(data []byte) error {
	var v journalSkipJSON
	if err := strictUnmarshal(data, &v); err != nil {
		return err
	}
	*e = JournalSkip{Seq: v.Seq, Skip: Skip{Split: v.Split, Source: string(v.Source), Reason: v.Reason}}
	return nil
}

// Skip journals a skipped input (job seq of the plan); without a journal it does
// nothing (the caller lists skips in the manifest).
func (w *Writer) Skip(seq int, s Skip) error {
	if w.skips == nil {
		return nil
	}
	b, err := json.Marshal(JournalSkip{Seq: seq, Skip: s})
	if err != nil {
		return err
	}
	if _, err := w.skips.bw.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("output %s: %w", w.skips.path, err)
	}
	return w.maybeFlush()
}

func (w *Writer) maybeFlush() error {
	if time.Since(w.lastFlush) < time.Second {
		return nil
	}
	w.lastFlush = time.Now()
	return w.flush()
}

// flush writes the committed images' bytes, then the buffered journal lines, to the
// file system (journal lines never get ahead of the images they name).
func (w *Writer) flush() error {
	if w.sink != nil {
		if err := w.sink.Flush(); err != nil {
			return err
		}
	}
	for _, s := range w.streams {
		if err := s.rw.Flush(); err != nil {
			return fmt.Errorf("output %s: %w", s.path, err)
		}
	}
	if w.skips != nil {
		if err := w.skips.bw.Flush(); err != nil {
			return fmt.Errorf("output %s: %w", w.skips.path, err)
		}
	}
	return nil
}

// closeJournals closes the journal files (not records.jsonl's temporary file).
func (w *Writer) closeJournals() {
	for _, s := range append(w.streams, w.skips) {
		if s != nil && s.f != nil {
			s.f.Close()
			s.f = nil
		}
	}
}

// checkAlive makes sure the folder and the journals are still the ones this run opened:
// an output folder removed mid-run must not pass silently.
func (w *Writer) checkAlive() error {
	vanished := fmt.Errorf("output %s was removed or replaced during the run; restore the output folder (or free the disk) and rerun with --resume", w.dir)
	if _, err := os.Stat(w.dir); err != nil {
		return vanished
	}
	for _, s := range w.streams {
		if s.f == nil {
			continue
		}
		a, err1 := s.f.Stat()
		b, err2 := os.Stat(s.path)
		if err1 != nil || err2 != nil || !os.SameFile(a, b) {
			return vanished
		}
	}
	return nil
}

// Finish completes the dataset's files and returns the path of the manifest written.
// For the whole dataset: the images are made durable, records.jsonl is written (the
// streams joined, or the single stream's temporary file renamed), m.Records is set, m
// is validated and written as manifest.json. For a shard: the shard file (m, the Job,
// and each stream's count and SHA-256) is written into the shard's work folder.
func (w *Writer) Finish(m *Manifest) (string, error) {
	if !w.begun || w.finished {
		return "", errors.New("internal error: Finish before Begin or twice")
	}
	if err := w.flush(); err != nil {
		return "", err
	}
	if err := w.checkAlive(); err != nil {
		return "", err
	}
	w.closeJournals()
	if w.sink != nil {
		if err := w.sink.Close(m); err != nil {
			return "", err
		}
		w.sink = nil
	}
	if m.Output != nil {
		for _, c := range m.Output.Containers {
			if !c.Own() {
				w.sharing.Containers++
			}
		}
	}
	if w.o.Shard != nil {
		return w.finishShard(m)
	}
	path := filepath.Join(w.dir, RecordsFile)
	var ref FileRef
	var err error
	if w.o.Journal {
		var parts []string
		for _, s := range w.streams {
			parts = append(parts, s.path)
		}
		ref, err = joinFiles(path, parts, nil, nil)
	} else {
		s := w.streams[0]
		ref.Count, ref.SHA256, err = s.rw.Close()
		if err == nil {
			err = s.af.Commit()
		} else {
			s.af.Abort()
		}
		if err != nil {
			err = fmt.Errorf("output %s: %w", path, err)
		}
	}
	if err != nil {
		return "", err
	}
	reached("records written")
	ref.Name = RecordsFile
	m.Records = ref
	if w.o.Images != nil {
		// The dataset's own class folders: say which a shift left empty.
		m.Warnings = m.EmptyClassWarnings()
	}
	if err := m.Validate(); err != nil {
		return "", fmt.Errorf("internal error: manifest for %s: %w", w.dir, err)
	}
	b, err := m.Marshal()
	if err != nil {
		return "", err
	}
	mpath := filepath.Join(w.dir, ManifestFile)
	if err := WriteFileAtomic(mpath, b); err != nil {
		return "", err
	}
	reached("manifest written")
	w.finished = true
	return mpath, nil
}

// ShardFile is what a shard leaves in its work folder when it finishes
// (.work/shard-K-of-N/shard.json): everything Merge needs to join it with the others.
type ShardFile struct {
	Complete bool `json:"complete"`
	// Shard is "K/N".
	Shard string `json:"shard"`
	// Job is the writer's Job description.
	Job json.RawMessage `json:"job"`
	// Manifest is the shard's part of the manifest: its counts and skips, no records.
	Manifest *Manifest `json:"manifest"`
	// Parts is the number of record streams; Streams gives each one's count and SHA-256,
	// so that Merge refuses a journal changed after the shard finished.
	Parts   int       `json:"parts"`
	Streams []FileRef `json:"streams"`
	// Command is the command that wrote the shard, to say how to write it again.
	Command string `json:"command"`
}

func (w *Writer) finishShard(m *Manifest) (string, error) {
	sf := ShardFile{Complete: true, Shard: w.o.Shard.String(), Job: json.RawMessage(w.o.Job), Manifest: m, Parts: len(w.streams), Command: w.owner.Command}
	for i, s := range w.streams {
		ref, err := hashFile(s.path)
		if err != nil {
			return "", fmt.Errorf("output %s: %w", s.path, err)
		}
		ref.Name = streamFile(i)
		sf.Streams = append(sf.Streams, ref)
	}
	b, err := marshalIndent(sf)
	if err != nil {
		return "", err
	}
	path := filepath.Join(w.work, shardFile)
	if err := WriteFileAtomic(path, b); err != nil {
		return "", err
	}
	w.finished = true
	return path, nil
}

// Done ends a finished writer. For the whole dataset it writes run (if not nil) as
// run.json, with the Job recorded in it, then marks the work folder finished and removes it (a run killed during the
// removal leaves a dataset that Create finds Complete and cleans up); for a shard it
// only lets go of the locks, leaving the shard's work for Merge.
func (w *Writer) Done(run *Run) error {
	if !w.finished || w.done {
		return errors.New("internal error: Done before Finish or twice")
	}
	w.done = true
	defer w.release()
	if w.o.Shard != nil {
		return nil
	}
	if run != nil {
		if len(w.o.Job) > 0 {
			r := *run
			r.Job = json.RawMessage(w.o.Job)
			run = &r
		}
		b, err := marshalIndent(run)
		if err != nil {
			return err
		}
		if err := WriteFileAtomic(filepath.Join(w.dir, RunFile), b); err != nil {
			return err
		}
		reached("run written")
	}
	return w.removeWork()
}

// removeWork marks the work folder finished, empties it, and removes the lock last.
func (w *Writer) removeWork() error {
	root := filepath.Join(w.dir, WorkDir)
	if err := WriteFileAtomic(filepath.Join(root, finishedFile), nil); err != nil {
		return err
	}
	reached("marked finished")
	if err := clearBut(root, LockFile, finishedFile); err != nil {
		return err
	}
	reached("work cleared")
	if err := os.Remove(filepath.Join(root, finishedFile)); err != nil {
		return fmt.Errorf("output %s: %w", root, err)
	}
	reached("mark removed")
	w.lock.remove()
	reached("lock removed")
	os.Remove(root) // fails harmlessly when a new run already locked the folder again
	return nil
}

// release lets go of the locks.
func (w *Writer) release() {
	w.shardLock.release()
	w.lock.release()
}

// Close ends the writer. After Done it does nothing. Before, it flushes and closes the
// journal and the image sink's files, so that a resumed run continues from everything
// recorded; drops a
// records.jsonl still being written and, without a journal, the work folder; removes
// what a killed run left of a Complete dataset's work folder; and lets go of the locks.
func (w *Writer) Close() {
	if w.closed {
		return
	}
	w.closed = true
	if w.done {
		return
	}
	if w.begun && !w.finished {
		w.flush()
	}
	if w.sink != nil {
		w.sink.Abandon()
		w.sink = nil
	}
	w.closeJournals()
	root := filepath.Join(w.dir, WorkDir)
	switch {
	case !w.o.Journal: // never a shard (Create refuses one)
		if w.begun && !w.finished {
			w.streams[0].af.Abort()
		}
		clearBut(root, LockFile)
		w.lock.remove()
		os.Remove(root)
	case w.state == Complete:
		// What a run killed while removing its work folder left: the finished mark, or
		// the lock alone.
		rest, _ := entriesBut(root)
		if exists(filepath.Join(root, finishedFile)) || (len(rest) == 1 && rest[0] == LockFile) {
			clearBut(root, LockFile)
			w.lock.remove()
			os.Remove(root)
		}
	}
	w.release()
}

// joinFiles concatenates parts into a Durable file at path. want, if set, gives each
// part's expected count and SHA-256 (named by what[i] in errors); a part that differs is
// refused before path is touched. It returns the joined file's line count and SHA-256.
func joinFiles(path string, parts []string, want []FileRef, what func(i int) error) (FileRef, error) {
	af, err := CreateAtomic(path, Durable)
	if err != nil {
		return FileRef{}, err
	}
	defer af.Abort()
	h := sha256.New()
	lines := &lineCounter{}
	out := io.MultiWriter(af, h, lines)
	for i, p := range parts {
		in, err := os.Open(p)
		if err != nil {
			if want != nil {
				return FileRef{}, what(i)
			}
			return FileRef{}, fmt.Errorf("write %s: %w", path, err)
		}
		ph := sha256.New()
		pl := &lineCounter{}
		_, err = io.Copy(io.MultiWriter(out, ph, pl), in)
		in.Close()
		if err != nil {
			return FileRef{}, fmt.Errorf("write %s: %w", path, err)
		}
		if want != nil && (pl.n != want[i].Count || hex.EncodeToString(ph.Sum(nil)) != want[i].SHA256 || !pl.whole()) {
			return FileRef{}, what(i)
		}
		reached("join part")
	}
	if err := af.Commit(); err != nil {
		return FileRef{}, err
	}
	return FileRef{Count: lines.n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// hashFile counts a file's lines and hashes it.
func hashFile(path string) (FileRef, error) {
	f, err := os.Open(path)
	if err != nil {
		return FileRef{}, err
	}
	defer f.Close()
	h := sha256.New()
	lines := &lineCounter{}
	if _, err := io.Copy(io.MultiWriter(h, lines), f); err != nil {
		return FileRef{}, err
	}
	return FileRef{Count: lines.n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// lineCounter counts newlines and remembers whether the last byte was one.
type lineCounter struct {
	n    int
	last byte
	any  bool
}

func (l *lineCounter) Write(p []byte) (int, error) {
	l.n += bytes.Count(p, []byte{'\n'})
	if len(p) > 0 {
		l.last, l.any = p[len(p)-1], true
	}
	return len(p), nil
}

// whole reports whether the data ended with a newline (or was empty).
func (l *lineCounter) whole() bool { return !l.any || l.last == '\n' }

// marshalIndent renders v as indented JSON with a final newline, HTML characters
// unescaped.
func marshalIndent(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
