package pipeline

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"sort"

	"github.com/shiftgen/shiftgen/manifests"
	"github.com/shiftgen/shiftgen/manifests/ffcv"
	"github.com/shiftgen/shiftgen/manifests/imagefolder"
	"github.com/shiftgen/shiftgen/manifests/webdataset"
)

func uniqueSorted(s []string) []string {
	sort.Strings(s)
	out := s[:0]
	for i, x := range s {
		if i == 0 || x != s[i-1] {
			out = append(out, x)
		}
	}
	return out
}

// containerGroup is one container file and the records that name it.
type containerGroup struct {
	t    target
	path string // as the records and the manifest name it
	recs []int
	// want is the manifest's entry (own containers: size and SHA-256 of the whole).
	want manifests.Container
}

// verifyContainers checks the images of a container dataset: each own container file
// whole against the manifest (size, and SHA-256 unless quick), and each record's sample
// inside its container: present, in its place, with the record's label and size (and
// width and height for FFCV), its bytes' size and SHA-256, and for WebDataset the
// sample's .cls and .json as the record gives them. Every sample of an own container
// must be named by exactly one record. Results go into status (by record) and v.rep.
func (v *verifier) verifyContainers(ctx context.Context, recs []*manifests.Record, targets []target, status []string, o VerifyOptions) error {
	byID := map[string]*containerGroup{}
	var groups []*containerGroup
	for _, c := range v.out.Containers {
		g := &containerGroup{path: c.Path, want: c}
		byID[c.Path] = g
		groups = append(groups, g)
	}
	for i, r := range recs {
		if targets[i].root == nil || r.In == nil {
			continue
		}
		g := byID[r.Path]
		if g == nil {
			continue // refused by the record checks
		}
		g.t = targets[i]
		g.recs = append(g.recs, i)
	}
	for _, g := range groups {
		if g.t.root == nil && g.want.Own() {
			g.t = target{root: v.data, name: g.path}
		}
	}
	results := make([][]string, len(groups))
	err := ordered(ctx, len(groups), manifests.WorkerCount(0),
		func(k int) ([]string, error) { return v.checkContainer(groups[k], recs, o.Quick), nil },
		func(k int, res []string) error {
			results[k] = res
			return nil
		})
	if err != nil {
		return err
	}
	for k, g := range groups {
		res := results[k]
		// res[0] is the whole file's state, then one state per record of g.
		switch res[0] {
		case "":
		case "m":
			v.rep.Missing = append(v.rep.Missing, g.path)
		case "c":
			v.rep.Changed = append(v.rep.Changed, g.path)
		default:
			v.rep.Problems = append(v.rep.Problems, fmt.Sprintf("%s: %s", g.path, res[0]))
		}
		for j, i := range g.recs {
			status[i] = res[1+j]
		}
	}
	return nil
}

// checkContainer checks one container and the samples its records name. It returns the
// file's state, then each record's ("" ok, "m" missing, "c" changed, else a problem).
func (v *verifier) checkContainer(g *containerGroup, recs []*manifests.Record, quick bool) []string {
	res := make([]string, 1+len(g.recs))
	all := func(st string) []string {
		for j := range g.recs {
			res[1+j] = st
		}
		return res
	}
	if g.t.root == nil {
		// A shared container no record names: nothing of this dataset is in it.
		return res
	}
	fi, err := g.t.root.Lstat(g.t.name)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		res[0] = "m"
		return all("m")
	case err != nil:
		res[0] = "cannot be looked at inside its folder"
		return all("c")
	case fi.Mode()&fs.ModeSymlink != 0:
		res[0] = "is a symbolic link where the dataset holds a regular file"
		return all("c")
	case !fi.Mode().IsRegular():
		res[0] = "is not a regular file"
		return all("c")
	}
	if g.want.Own() {
		switch {
		case fi.Size() != g.want.Size:
			res[0] = "c"
		case !quick:
			if sum, err := rootSHA256(g.t.root, g.t.name); err != nil || sum != g.want.SHA256 {
				res[0] = "c"
			}
		}
	}
	f, err := openRegularIn(g.t.root, g.t.name)
	if err != nil {
		res[0] = "cannot be opened: " + err.Error()
		return all("c")
	}
	defer f.Close()
	var samples sampleReader
	if v.out.Kind == string(FFCVOutput) {
		samples, err = newFFCVSamples(f, g.path, v.out)
	} else {
		samples, err = newTarSamples(f, g.path, v.out)
	}
	if err != nil {
		if res[0] == "" {
			res[0] = "c"
		}
		v.notef("%s: %v", g.path, err)
		return all("c")
	}
	if g.want.Own() && (samples.Len() != len(g.recs) || samples.Len() != g.want.Images) {
		v.notef("%s holds %d samples; the manifest counts %d and %d records name them (every sample is named by one record)", g.path, samples.Len(), g.want.Images, len(g.recs))
	}
	for j, i := range g.recs {
		res[1+j] = samples.check(recs[i], quick)
	}
	return res
}

// notef adds a problem to the report; checkContainer runs on the pool, so it locks.
func (v *verifier) notef(format string, a ...any) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.rep.Problems = append(v.rep.Problems, fmt.Sprintf(format, a...))
}

// sampleReader checks records against the samples of one container.
type sampleReader interface {
	Len() int
	check(r *manifests.Record, quick bool) string
}

// ffcvSamples checks records against a .beton file.
type ffcvSamples struct {
	r    *ffcv.Reader
	mode ffcv.Mode
}

func newFFCVSamples(f *os.File, name string, out *manifests.Output) (sampleReader, error) {
	r, err := ffcv.NewReader(f, name)
	if err != nil {
		return nil, err
	}
	mode := ffcv.Raw
	if out.Image == FFCVJPEG {
		mode = ffcv.JPG
	}
	return &ffcvSamples{r: r, mode: mode}, nil
}

func (s *ffcvSamples) Len() int { return s.r.Len() }

func (s *ffcvSamples) check(rec *manifests.Record, quick bool) string {
	n := rec.In.Sample
	if n >= int64(s.r.Len()) || rec.In.Member != "" {
		return "m"
	}
	e := s.r.Entry(int(n))
	if e.Label != int64(rec.Label) || e.Mode != s.mode || e.Width != rec.Width || e.Height != rec.Height || e.Size != rec.Size {
		return "c"
	}
	if quick {
		return ""
	}
	b, err := s.r.Payload(int(n))
	return sumState(b, err, rec)
}

// tarSamples checks records against one WebDataset shard.
type tarSamples struct {
	r     *webdataset.Reader
	per   int64
	index map[string]int // key → sample in the shard
}

func newTarSamples(f *os.File, name string, out *manifests.Output) (sampleReader, error) {
	r, err := webdataset.NewReader(f, name)
	if err != nil {
		return nil, err
	}
	t := &tarSamples{r: r, per: int64(max(out.ShardImages, 1)), index: map[string]int{}}
	for i := 0; i < r.Len(); i++ {
		t.index[r.Entry(i).Key] = i
	}
	return t, nil
}

func (s *tarSamples) Len() int { return s.r.Len() }

func (s *tarSamples) check(rec *manifests.Record, quick bool) string {
	key, ext := member(rec, rec.In.Member)
	i, ok := s.index[key]
	if !ok || rec.In.Member != key+"."+ext {
		return "m"
	}
	// The sample's place: rank n of its split sits at n mod ShardImages of its shard.
	if int64(i) != rec.In.Sample%s.per {
		return "c"
	}
	e := s.r.Entry(i)
	img, ok := e.Member(ext)
	if !ok || img.Size != rec.Size {
		return "c"
	}
	if quick {
		return ""
	}
	smp, err := s.r.Sample(i)
	if err != nil {
		return "c"
	}
	want, err := rec.MarshalContent()
	if err != nil || smp.Label != rec.Label || !bytes.Equal(smp.JSON, want) {
		return "c"
	}
	return sumState(smp.Image, nil, rec)
}

// sumState compares bytes read (or the error reading them) with a record.
func sumState(b []byte, err error, rec *manifests.Record) string {
	if err != nil || int64(len(b)) != rec.Size {
		return "c"
	}
	sum := sha256.Sum256(b)
	if hex.EncodeToString(sum[:]) != rec.SHA256 {
		return "c"
	}
	return ""
}

// metadataCheck knows the metadata.jsonl files a folder dataset's ImageFolder roots
// may hold: each must be exactly what its records give (imagefolder.Metadata). They are
// optional (datasets written before shiftgen wrote them have none), but once one is
// there every root with images must have its own.
type metadataCheck struct {
	roots map[string][]*manifests.Record
	found map[string]bool
}

func newMetadataCheck(recs []*manifests.Record, m *manifests.Manifest) *metadataCheck {
	c := &metadataCheck{found: map[string]bool{}}
	if m.Output != nil {
		return c
	}
	for _, r := range recs {
		if r.In != nil {
			return &metadataCheck{found: map[string]bool{}}
		}
	}
	_, c.roots = metadataRoots(recs)
	return c
}

// claims reports whether p (slash-separated, relative to the dataset folder) is the
// metadata file of a root with images.
func (c *metadataCheck) claims(p string) bool {
	dir, file := path.Split(p)
	if file != imagefolder.FileName {
		return false
	}
	_, ok := c.roots[path.Clean("/" + dir)[1:]]
	return ok
}

// matches reports whether the metadata file p, read through root, is what its root's
// records give.
func (c *metadataCheck) matches(root *os.Root, p string) bool {
	dir, _ := path.Split(p)
	rt := path.Clean("/" + dir)[1:]
	c.found[rt] = true
	want, err := imagefolder.Metadata(rt, c.roots[rt])
	if err != nil {
		return false
	}
	f, err := openRegularIn(root, p)
	if err != nil {
		return false
	}
	defer f.Close()
	got, err := io.ReadAll(io.LimitReader(f, int64(len(want))+1))
	return err == nil && bytes.Equal(got, want)
}

// missing lists the metadata files missing once any was found.
func (c *metadataCheck) missing() []string {
	if len(c.found) == 0 {
		return nil
	}
	var out []string
	for rt := range c.roots {
		if !c.found[rt] {
			out = append(out, path.Join(rt, imagefolder.FileName))
		}
	}
	return out
}
