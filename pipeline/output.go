package pipeline

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/shiftgen/shiftgen/manifests"
	"github.com/shiftgen/shiftgen/manifests/ffcv"
	"github.com/shiftgen/shiftgen/manifests/webdataset"
	"github.com/shiftgen/shiftgen/shifts"
)

// OutputKind says how a dataset's images are stored.
type OutputKind string

// The output kinds.
const (
	// FolderOutput writes one image file per image, in ImageFolder roots
	// (reference/val/<class>/<file>, ...), each with a Hugging Face metadata.jsonl.
	FolderOutput OutputKind = "folder"
	// FFCVOutput writes one FFCV .beton file per distribution × split
	// (reference/val.beton, ...), with an image (RGBImageField) and a label (IntField).
	FFCVOutput OutputKind = "ffcv"
	// WebDatasetOutput writes tar shards <distribution>-<split>-%06d.tar of at most
	// Options.ShardImages samples, each sample <key>.cls, <key>.jpg|png and <key>.json.
	WebDatasetOutput OutputKind = "webdataset"
)

// What an FFCV sample's image field holds (Options.FFCVImage).
const (
	// FFCVRaw stores the pixels, as the paper's write_imagenet_ffcv.py does
	// (RGBImageField(max_resolution=256), write_mode raw).
	FFCVRaw = "raw"
	// FFCVJPEG stores the encoded JPEG (--quality).
	FFCVJPEG = "jpg"
)

// ffcvMaxResolution is the paper's RGBImageField(max_resolution=256).
const ffcvMaxResolution = 256

// keyDigits is the width of a WebDataset key: the image's index, zero-padded so that
// keys sort as numbers.
const keyDigits = 9

// sampleKey is the WebDataset key of the image with ImageFolder index i in its split.
func sampleKey(i int) string { return fmt.Sprintf("%0*d", keyDigits, i) }

// folderPrefix is the WebDataset shard prefix of a folder: "reference/val" →
// "reference-val".
func folderPrefix(folder string) string { return strings.ReplaceAll(folder, "/", "-") }

// packed is the manifests.Images of the container outputs: one sequence of containers
// per record stream (one folder, distribution/split), none for a folder whose images
// another dataset of the run holds (Output.Shared), whose placements are computed in
// the other dataset's containers.
type packed struct {
	out     manifests.Output
	folders []string // stream i's folder
}

// newPacked returns the Images of a dataset with the given output and folders.
func newPacked(out manifests.Output, folders []string) (*packed, error) {
	if out.Kind != string(FFCVOutput) && out.Kind != string(WebDatasetOutput) {
		return nil, fmt.Errorf("output kind %q is not ffcv or webdataset", out.Kind)
	}
	if out.Kind == string(FFCVOutput) && out.Image != FFCVRaw && out.Image != FFCVJPEG {
		return nil, fmt.Errorf("FFCV image %q is not raw or jpg", out.Image)
	}
	if out.Kind == string(WebDatasetOutput) && out.ShardImages < 1 {
		return nil, fmt.Errorf("WebDataset shards of %d images", out.ShardImages)
	}
	for f, rel := range out.Shared {
		if !validShare(rel) {
			return nil, fmt.Errorf("folder %s is shared from %q, which is not a sibling dataset folder", f, rel)
		}
	}
	return &packed{out: out, folders: folders}, nil
}

// validShare reports whether rel names a sibling dataset folder: "../NAME".
func validShare(rel string) bool {
	name, ok := strings.CutPrefix(rel, "../")
	return ok && name != "" && name != "." && name != ".." && !strings.ContainsAny(name, "/\\\x00")
}

// packedFor returns the Images a finished shard's manifest describes (nil output: loose
// files).
func packedFor(m *manifests.Manifest) (manifests.Images, error) {
	if m.Output == nil {
		return manifests.LooseFiles{}, nil
	}
	var folders []string
	for _, c := range m.Counts {
		folders = append(folders, c.Distribution+"/"+c.Split)
	}
	return newPacked(*m.Output, folders)
}

func (p *packed) ffcvOptions() ffcv.Options { return ffcv.Options{PageSize: p.out.PageSize} }

// container is the file that holds sample n of stream i, relative to the dataset
// folder: the stream's .beton, or the tar shard of n.
func (p *packed) container(i int, n int64) string {
	f := p.folders[i]
	name := f + ".beton"
	if p.out.Kind == string(WebDatasetOutput) {
		name = webdataset.ShardName(folderPrefix(f), int(n/int64(p.out.ShardImages)))
	}
	if rel := p.out.Shared[f]; rel != "" {
		return rel + "/" + name
	}
	return name
}

// member is the tar member of an image with the given record and name.
func member(rec *manifests.Record, name string) (key, ext string) {
	return sampleKey(rec.Index), strings.TrimPrefix(path.Ext(name), ".")
}

// Sink opens the containers of one writer: every stream's for a whole dataset (in its
// work folder until Close), or a shard's partial ones.
func (p *packed) Sink(o manifests.SinkOptions) (manifests.ImageSink, error) {
	s := &packedSink{p: p, o: o, ffcvW: make([]*ffcv.Writer, len(p.folders)), tarW: make([]*webdataset.Writer, len(p.folders)), shared: make([]int64, len(p.folders))}
	for i, f := range p.folders {
		if p.out.Shared[f] != "" {
			continue
		}
		var err error
		switch p.out.Kind {
		case string(FFCVOutput):
			work := s.ffcvWork(i)
			if o.Resume && exists(work) {
				s.ffcvW[i], err = ffcv.Reopen(work, p.ffcvOptions())
			} else {
				s.ffcvW[i], err = ffcv.Create(work, p.ffcvOptions())
			}
		case string(WebDatasetOutput):
			dir, opt := o.Dir, webdataset.Options{ShardImages: p.out.ShardImages}
			if o.Shard {
				dir, opt = filepath.Join(o.Work, "tar-parts"), webdataset.Options{ShardImages: webdataset.Unlimited}
				err = os.MkdirAll(dir, 0o755)
			}
			if err == nil && o.Resume {
				s.tarW[i], err = webdataset.Reopen(dir, filepath.Join(o.Work, "tar"), folderPrefix(f), opt)
			} else if err == nil {
				s.tarW[i], err = webdataset.Create(dir, filepath.Join(o.Work, "tar"), folderPrefix(f), opt)
			}
		}
		if err != nil {
			s.closeAll()
			return nil, fmt.Errorf("output %s: %w", o.Dir, err)
		}
	}
	return s, nil
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

// packedSink writes the containers of one writer.
type packedSink struct {
	p      *packed
	o      manifests.SinkOptions
	ffcvW  []*ffcv.Writer
	tarW   []*webdataset.Writer
	shared []int64 // images committed to each shared stream
}

func (s *packedSink) ffcvWork(i int) string {
	return filepath.Join(s.o.Work, "ffcv", folderPrefix(s.p.folders[i]))
}

func (s *packedSink) closeAll() {
	for _, w := range s.ffcvW {
		if w != nil {
			w.Close()
		}
	}
	for _, w := range s.tarW {
		if w != nil {
			w.Close()
		}
	}
}

// Put keeps a copy of the bytes and hashes them; the image is stored by Commit.
func (s *packedSink) Put(stream int, img manifests.Image) (manifests.Staged, error) {
	sum := sha256.Sum256(img.Data)
	st := manifests.Staged{Stream: stream, Name: img.Name, Sum: hex.EncodeToString(sum[:]), Record: img.Record}
	if s.p.out.Shared[s.p.folders[stream]] != "" {
		st.Shared = manifests.SharedReferenced
		st.Placed = &manifests.Placement{Size: int64(len(img.Data)), SHA256: st.Sum}
		return st, nil
	}
	st.Data = append([]byte(nil), img.Data...)
	return st, nil
}

// Commit appends the image to its stream's container; an image of a shared stream is
// placed where the other dataset's containers hold it, the next sample of the stream.
func (s *packedSink) Commit(st manifests.Staged) (manifests.Placement, error) {
	i, rec := st.Stream, st.Record
	if rec == nil {
		return manifests.Placement{}, fmt.Errorf("internal error: image %s has no record", st.Name)
	}
	var n int64
	switch {
	case st.Shared == manifests.SharedReferenced:
		n = s.shared[i]
		s.shared[i]++
		pl := *st.Placed
		pl.Path, pl.In = s.p.container(i, n), &manifests.Position{Sample: n}
		if s.p.out.Kind == string(WebDatasetOutput) {
			key, ext := member(rec, st.Name)
			pl.In.Member = key + "." + ext
		}
		return pl, nil
	case s.ffcvW[i] != nil:
		mode := ffcv.Raw
		if s.p.out.Image == FFCVJPEG {
			mode = ffcv.JPG
		}
		var err error
		n, err = s.ffcvW[i].Append(ffcv.Sample{Label: int64(rec.Label), Mode: mode, Width: rec.Width, Height: rec.Height, Payload: st.Data})
		if err != nil {
			return manifests.Placement{}, fmt.Errorf("output %s: %s: %w", s.o.Dir, st.Name, err)
		}
		return manifests.Placement{Path: s.p.container(i, n), In: &manifests.Position{Sample: n}, Size: int64(len(st.Data)), SHA256: st.Sum}, nil
	case s.tarW[i] != nil:
		content := *rec
		content.Size, content.SHA256 = int64(len(st.Data)), st.Sum
		js, err := content.MarshalContent()
		if err != nil {
			return manifests.Placement{}, fmt.Errorf("output %s: %s: %w", s.o.Dir, st.Name, err)
		}
		key, ext := member(rec, st.Name)
		n = s.tarW[i].Len()
		if _, err := s.tarW[i].Append(webdataset.Sample{Key: key, Image: st.Data, ImageExt: ext, Label: rec.Label, JSON: js}); err != nil {
			return manifests.Placement{}, fmt.Errorf("output %s: %s: %w", s.o.Dir, st.Name, err)
		}
		// In a shard, the sample's tar and position are the partial file's until Join.
		return manifests.Placement{Path: s.p.container(i, n), In: &manifests.Position{Sample: n, Member: key + "." + ext}, Size: int64(len(st.Data)), SHA256: st.Sum}, nil
	}
	return manifests.Placement{}, fmt.Errorf("internal error: stream %d of %s has no container", i, s.o.Dir)
}

// Abandon closes the containers' files, keeping them for a resumed run.
func (s *packedSink) Abandon() { s.closeAll() }

// Flush has nothing to do: Commit writes every byte to the file system.
func (s *packedSink) Flush() error { return nil }

// Check compares a journaled image with the bytes its container holds. An image of a
// shared stream is checked by the dataset that holds it; here only its place is.
func (s *packedSink) Check(i int, p manifests.Placement) bool {
	if p.In == nil || i < 0 || i >= len(s.p.folders) {
		return false
	}
	n := p.In.Sample
	if p.Path != s.p.container(i, n) {
		return false
	}
	var b []byte
	var err error
	switch {
	case s.p.out.Shared[s.p.folders[i]] != "":
		return true
	case s.ffcvW[i] != nil:
		if n >= s.ffcvW[i].Len() {
			return false
		}
		b, err = s.ffcvW[i].Payload(n)
	case s.tarW[i] != nil:
		if n >= s.tarW[i].Len() {
			return false
		}
		var smp webdataset.Sample
		smp, err = s.tarW[i].Read(n)
		if smp.Key+"."+smp.ImageExt != p.In.Member {
			return false
		}
		b = smp.Image
	default:
		return false
	}
	if err != nil || int64(len(b)) != p.Size {
		return false
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]) == p.SHA256
}

// Rewind cuts every stream back to the sample after its last kept placement.
func (s *packedSink) Rewind(last []*manifests.Placement) error {
	for i := range s.p.folders {
		n := int64(0)
		if i < len(last) && last[i] != nil && last[i].In != nil {
			n = last[i].In.Sample + 1
		}
		var err error
		switch {
		case s.p.out.Shared[s.p.folders[i]] != "":
			s.shared[i] = n
		case s.ffcvW[i] != nil:
			err = s.ffcvW[i].Truncate(n)
		case s.tarW[i] != nil:
			err = s.tarW[i].Truncate(n)
		}
		if err != nil {
			return fmt.Errorf("resume %s: %w", s.o.Dir, err)
		}
	}
	return nil
}

// Close finishes the containers: for a whole dataset, each .beton is assembled and
// put in place (durably) and the last tar shard of each stream finished; every
// container is listed in m.Output with its size and SHA-256. A shard leaves its partial
// files: the FFCV writers' work folders, one partial tar per stream.
func (s *packedSink) Close(m *manifests.Manifest) error {
	defer s.closeAll()
	var own [][]manifests.Container // per stream
	for i := range s.p.folders {
		var cs []manifests.Container
		var err error
		switch {
		case s.ffcvW[i] != nil && !s.o.Shard:
			cs, err = s.finishFFCV(i)
		case s.tarW[i] != nil:
			var names []string
			if names, err = s.tarW[i].Finish(); err == nil && !s.o.Shard {
				cs, err = s.p.tarContainers(s.o.Dir, i, names, s.tarW[i].Len())
			}
		}
		if err != nil {
			return fmt.Errorf("output %s: %w", s.o.Dir, err)
		}
		own = append(own, cs)
	}
	if s.o.Shard {
		return nil
	}
	return s.p.list(m, own)
}

// finishFFCV assembles stream i's .beton into place and describes it.
func (s *packedSink) finishFFCV(i int) ([]manifests.Container, error) {
	w := s.ffcvW[i]
	name := s.p.container(i, 0)
	return writeContainer(s.o.Dir, name, s.p.folders[i], int(w.Len()), w.Finish)
}

// writeContainer writes the container name (relative to dir) with write, atomically and
// durably, and describes it: folder, images, size and SHA-256.
func writeContainer(dir, name, folder string, images int, write func(io.Writer) error) ([]manifests.Container, error) {
	p := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return nil, err
	}
	af, err := manifests.CreateAtomic(p, manifests.Durable)
	if err != nil {
		return nil, err
	}
	defer af.Abort()
	h := sha256.New()
	cw := &countWriter{w: io.MultiWriter(af, h)}
	if err := write(cw); err != nil {
		return nil, err
	}
	if err := af.Commit(); err != nil {
		return nil, err
	}
	return []manifests.Container{{Path: name, Folder: folder, Images: images, Size: cw.n, SHA256: hex.EncodeToString(h.Sum(nil))}}, nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n += int64(n)
	return n, err
}

// tarContainers describes the finished shards names of stream i in dir, which hold its
// n samples: ShardImages in each shard, the rest in the last.
func (p *packed) tarContainers(dir string, i int, names []string, n int64) ([]manifests.Container, error) {
	per := int64(p.out.ShardImages)
	var cs []manifests.Container
	for k, name := range names {
		c, err := hashFile(filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		c.Images = int(min(per, n-int64(k)*per))
		c.Path, c.Folder = name, p.folders[i]
		cs = append(cs, c)
	}
	return cs, nil
}

// hashFile gives a file's size and SHA-256.
func hashFile(p string) (manifests.Container, error) {
	f, err := os.Open(p)
	if err != nil {
		return manifests.Container{}, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return manifests.Container{}, err
	}
	return manifests.Container{Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// list sets m.Output.Containers, stream by stream: the own containers given, and for a
// shared folder the other dataset's, named from the folder's count.
func (p *packed) list(m *manifests.Manifest, own [][]manifests.Container) error {
	if m.Output == nil {
		return errors.New("internal error: a packed dataset's manifest has no output")
	}
	cs := []manifests.Container{}
	for i, f := range p.folders {
		if p.out.Shared[f] == "" {
			cs = append(cs, own[i]...)
			continue
		}
		n := int64(m.Counts[i].Images)
		switch p.out.Kind {
		case string(FFCVOutput):
			cs = append(cs, manifests.Container{Path: p.container(i, 0), Folder: f, Images: int(n)})
		default:
			per := int64(p.out.ShardImages)
			for k := int64(0); k < n; k += per {
				cs = append(cs, manifests.Container{Path: p.container(i, k), Folder: f, Images: int(min(per, n-k))})
			}
		}
	}
	m.Output.Containers = cs
	return nil
}

// Join merges the shards' partial containers of every own stream into the dataset's
// containers, lists them in m, and returns how placements move: a sample's position
// in its stream grows by the samples of the earlier shards, and a tar sample's shard
// follows from the new position.
func (p *packed) Join(dir string, parts []manifests.ShardPart, m *manifests.Manifest) (func(int, int, manifests.Placement) manifests.Placement, error) {
	base := make([][]int64, len(parts)) // base[k][i]: stream i's samples before shard k
	for k := range parts {
		base[k] = make([]int64, len(p.folders))
		if len(parts[k].Counts) != len(p.folders) {
			return nil, fmt.Errorf("shard %d has %d record streams, not %d", k+1, len(parts[k].Counts), len(p.folders))
		}
		if k > 0 {
			for i := range p.folders {
				base[k][i] = base[k-1][i] + int64(parts[k-1].Counts[i])
			}
		}
	}
	var own [][]manifests.Container
	for i, f := range p.folders {
		var cs []manifests.Container
		var err error
		switch {
		case p.out.Shared[f] != "":
		case p.out.Kind == string(FFCVOutput):
			cs, err = p.joinFFCV(dir, i, parts)
		default:
			cs, err = p.joinTar(dir, i, parts)
		}
		if err != nil {
			return nil, err
		}
		own = append(own, cs)
	}
	if err := p.list(m, own); err != nil {
		return nil, err
	}
	return func(k, i int, pl manifests.Placement) manifests.Placement {
		if pl.In == nil || k < 0 || k >= len(base) || i < 0 || i >= len(p.folders) {
			return pl // refused by verify; never written by a sink
		}
		in := *pl.In
		in.Sample += base[k][i]
		pl.In, pl.Path = &in, p.container(i, in.Sample)
		return pl
	}, nil
}

// joinFFCV merges stream i's partial FFCV writers into the dataset's .beton.
func (p *packed) joinFFCV(dir string, i int, parts []manifests.ShardPart) ([]manifests.Container, error) {
	var readers []*ffcv.Reader
	defer func() {
		for _, r := range readers {
			r.Close()
		}
	}()
	total := 0
	for k, part := range parts {
		work := filepath.Join(part.Work, "ffcv", folderPrefix(p.folders[i]))
		if part.Counts[i] == 0 && !exists(work) {
			continue
		}
		r, err := ffcv.OpenWork(work, p.ffcvOptions())
		if err != nil {
			return nil, fmt.Errorf("shard %d: %w", k+1, err)
		}
		readers = append(readers, r)
		if r.Len() != part.Counts[i] {
			return nil, fmt.Errorf("shard %d: %s holds %d images of %s, its records %d; write the shard again with --force", k+1, work, r.Len(), p.folders[i], part.Counts[i])
		}
		total += part.Counts[i]
	}
	return writeContainer(dir, p.container(i, 0), p.folders[i], total, func(w io.Writer) error {
		return ffcv.Merge(w, p.ffcvOptions(), readers...)
	})
}

// joinTar copies stream i's partial tars, in shard order, into the dataset's shards.
func (p *packed) joinTar(dir string, i int, parts []manifests.ShardPart) ([]manifests.Container, error) {
	prefix := folderPrefix(p.folders[i])
	work := filepath.Join(dir, manifests.WorkDir, "merge-tar")
	if err := os.RemoveAll(work); err != nil {
		return nil, err
	}
	dst, err := webdataset.Create(dir, work, prefix, webdataset.Options{ShardImages: p.out.ShardImages})
	if err != nil {
		return nil, err
	}
	defer dst.Close()
	for k, part := range parts {
		if part.Counts[i] == 0 {
			continue
		}
		src := filepath.Join(part.Work, "tar-parts", webdataset.ShardName(prefix, 0))
		before := dst.Len()
		if err := webdataset.Merge(dst, src); err != nil {
			return nil, fmt.Errorf("shard %d: %w", k+1, err)
		}
		if got := dst.Len() - before; got != int64(part.Counts[i]) {
			return nil, fmt.Errorf("shard %d: %s holds %d images, its records %d; write the shard again with --force", k+1, src, got, part.Counts[i])
		}
	}
	names, err := dst.Finish()
	if err != nil {
		return nil, err
	}
	return p.tarContainers(dir, i, names, dst.Len())
}

// planShares decides, before anything is written, which folders of which shifts are
// stored once for the run: for container outputs, a folder (distribution × split) that
// several shifts leave untouched (shifts.Untouched) and keep whole is written by the
// first of them in --shift order, and the others' records name its containers. For
// WebDataset the sampled fields must agree too, since each sample's .json holds them.
// The choice depends only on the plan. It sets ex.shared[si] (folder → "../OWNER") and
// ex.owner[si][fi] (the owning shift, or -1).
func (ex *execution) planShares() {
	n := len(ex.plan.Shifts)
	ex.shared = make([]map[string]string, n)
	ex.owner = make([][]int, n)
	type candidate struct {
		si     int
		fields string
	}
	owners := map[string][]candidate{} // folder → the owners so far
	for si, ps := range ex.plan.Shifts {
		ex.owner[si] = make([]int, len(ps.folders))
		for fi, fp := range ps.folders {
			ex.owner[si][fi] = -1
			if ex.o.Output == FolderOutput || ex.o.NoDedup || fp.keep != nil || strings.Contains(ps.Dir, "/") {
				continue
			}
			u, ok := ps.Shift.(shifts.Untouched)
			if !ok {
				continue
			}
			fields, ok := u.Untouched(fp.dist)
			if !ok {
				continue
			}
			key := ""
			if ex.o.Output == WebDatasetOutput {
				b, err := json.Marshal(fields)
				if err != nil {
					continue
				}
				key = string(b)
			}
			folder := string(fp.dist) + "/" + fp.split
			found := false
			for _, c := range owners[folder] {
				if c.fields == key {
					if ex.shared[si] == nil {
						ex.shared[si] = map[string]string{}
					}
					ex.shared[si][folder] = "../" + ex.plan.Shifts[c.si].Dir
					ex.owner[si][fi] = c.si
					found = true
					break
				}
			}
			if !found {
				owners[folder] = append(owners[folder], candidate{si, key})
			}
		}
	}
}

// images returns how shift si's dataset stores its images.
func (ex *execution) images(si int) (manifests.Images, error) {
	if ex.o.Output == FolderOutput {
		return manifests.LooseFiles{}, nil
	}
	return newPacked(*ex.outputOf(si), ex.plan.Shifts[si].Folders())
}

// outputOf is the manifest's output of shift si (nil for the folder output), without its
// containers.
func (ex *execution) outputOf(si int) *manifests.Output {
	switch ex.o.Output {
	case FFCVOutput:
		return &manifests.Output{Kind: string(FFCVOutput), Image: ex.o.FFCVImage, PageSize: ffcv.DefaultPageSize, Shared: ex.shared[si]}
	case WebDatasetOutput:
		return &manifests.Output{Kind: string(WebDatasetOutput), ShardImages: ex.o.ShardImages, Shared: ex.shared[si]}
	}
	return nil
}
