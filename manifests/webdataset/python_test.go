package webdataset

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"image"
	"image/jpeg"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// tarScript reads shards with Python's tarfile, groups members into samples with
// WebDataset's documented rule (the key is the member name up to the first dot of its
// base name; consecutive members with the same key form a sample), and checks keys,
// labels, records, image bytes and pixels, and the fixed header fields.
const tarScript = `
import sys, os, json, re, tarfile, hashlib
import numpy as np
from PIL import Image
spec = json.load(open(sys.argv[1]))
samples = []
for shard in spec['shards']:
    with tarfile.open(shard) as tf:
        members = tf.getmembers()
        names = [m.name for m in members]
        if names != sorted(names):
            print('FAIL members are not in name order in', shard); sys.exit(1)
        cur = None
        for m in members:
            if (m.type, m.mode, m.uid, m.gid, m.uname, m.gname, m.mtime) != (tarfile.REGTYPE, 0o644, 0, 0, '', '', 0):
                print('FAIL header fields of', m.name, (m.type, oct(m.mode), m.uid, m.gid, m.uname, m.gname, m.mtime)); sys.exit(1)
            mm = re.match(r'^((?:.*/|)[^.]+)[.]([^/]*)$', m.name)
            key, ext = mm.group(1), mm.group(2)
            if cur is None or cur['__key__'] != key:
                cur = {'__key__': key, '__shard__': os.path.basename(shard)}
                samples.append(cur)
            if ext in cur:
                print('FAIL duplicate', m.name); sys.exit(1)
            cur[ext] = tf.extractfile(m).read()
want = spec['samples']
if len(samples) != len(want):
    print('FAIL', len(samples), 'samples, want', len(want)); sys.exit(1)
for got, w in zip(samples, want):
    if got['__key__'] != w['key'] or got['__shard__'] != w['shard']:
        print('FAIL key', got['__key__'], got['__shard__'], 'want', w['key'], w['shard']); sys.exit(1)
    if int(got['cls'].decode('ascii')) != w['label']:
        print('FAIL label of', w['key']); sys.exit(1)
    if json.loads(got['json'].decode('utf-8')) != w['record']:
        print('FAIL record of', w['key']); sys.exit(1)
    img = got[w['ext']]
    if hashlib.sha256(img).hexdigest() != w['sha256']:
        print('FAIL image bytes of', w['key']); sys.exit(1)
    pix = np.asarray(Image.open(__import__('io').BytesIO(img)).convert('RGB'))
    exp = np.fromfile(w['pixels'], np.uint8).reshape(pix.shape)
    if w['ext'] == 'png' and not np.array_equal(pix, exp):
        print('FAIL pixels of', w['key']); sys.exit(1)
    if pix.shape[:2] != (w['h'], w['w']):
        print('FAIL size of', w['key']); sys.exit(1)
print('ok', len(samples), 'samples in', len(spec['shards']), 'shards')
`

func TestWithPythonTarfile(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the comparison with Python's tarfile")
	}
	const py = "/usr/bin/python3"
	if out, err := exec.Command(py, "-c", "import tarfile, numpy, PIL").CombinedOutput(); err != nil {
		t.Skipf("no %s with NumPy and Pillow: %v %s", py, err, bytes.TrimSpace(out))
	}
	samples := makeSamples(t, 23)
	dir, _ := writeAll(t, samples, Options{ShardImages: 5})
	type want struct {
		Key    string         `json:"key"`
		Shard  string         `json:"shard"`
		Label  int            `json:"label"`
		Record map[string]any `json:"record"`
		Ext    string         `json:"ext"`
		SHA256 string         `json:"sha256"`
		Pixels string         `json:"pixels"`
		W      int            `json:"w"`
		H      int            `json:"h"`
	}
	var spec struct {
		Shards  []string `json:"shards"`
		Samples []want   `json:"samples"`
	}
	o := Options{ShardImages: 5}
	for i := 0; i <= o.ShardOf(int64(len(samples)-1)); i++ {
		spec.Shards = append(spec.Shards, filepath.Join(dir, ShardName("reference-val", i)))
	}
	pixDir := t.TempDir()
	for i, s := range samples {
		var rec map[string]any
		if err := json.Unmarshal(s.JSON, &rec); err != nil {
			t.Fatal(err)
		}
		var img image.Image
		var err error
		if s.ImageExt == "png" {
			img, err = png.Decode(bytes.NewReader(s.Image))
		} else {
			img, err = jpeg.Decode(bytes.NewReader(s.Image))
		}
		if err != nil {
			t.Fatal(err)
		}
		b := img.Bounds()
		var pix []byte
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				r, g, bl, _ := img.At(x, y).RGBA()
				pix = append(pix, byte(r>>8), byte(g>>8), byte(bl>>8))
			}
		}
		pp := filepath.Join(pixDir, s.Key+".rgb")
		os.WriteFile(pp, pix, 0o644)
		sum := sha256.Sum256(s.Image)
		spec.Samples = append(spec.Samples, want{
			Key: s.Key, Shard: ShardName("reference-val", o.ShardOf(int64(i))), Label: s.Label, Record: rec,
			Ext: s.ImageExt, SHA256: hex.EncodeToString(sum[:]), Pixels: pp, W: b.Dx(), H: b.Dy(),
		})
	}
	b, _ := json.Marshal(spec)
	sp := filepath.Join(pixDir, "spec.json")
	os.WriteFile(sp, b, 0o644)
	out, err := exec.Command(py, "-c", tarScript, sp).CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	t.Logf("%s", bytes.TrimSpace(out))
}
