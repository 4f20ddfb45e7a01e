package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/shiftgen/shiftgen/manifests"
	"github.com/shiftgen/shiftgen/pipeline/imageio"
)

// ffcvCheck is handed a spec naming datasets written with --output ffcv and what to
// compare them with. For every container the records name, it reads the .beton with
// ffcv.reader.Reader (sample count, labels, sizes and modes against the records) and
// loads it with ffcv.loader.Loader (CPU, SimpleRGBImageDecoder and IntDecoder, in
// sequential order, with both memory managers) when its images have one size; images of
// several sizes (train) are taken from the file at the reader's pointers. Expected pixels:
//
//   - "folder": the image file of the same distribution, split and index in a folder
//     output of the same run with --format png (raw) or jpeg (jpg: the payload must be
//     that very file, decoded as FFCV decodes it, libjpeg-turbo with TJFLAG_FASTDCT);
//   - "opencv": the source image decoded by Pillow and resized by FFCV's own resizer
//     (ffcv.fields.rgb_image.resizer, OpenCV INTER_AREA), as the paper's
//     write_imagenet_ffcv.py stores it.
//
// FFCV 0.0.3 on CPU serves one batch per epoch with os_cache=False (its epoch iterator
// advances only under CUDA), so that manager is driven with a single batch.
const ffcvCheck = `
import sys, os, json, ctypes
import numpy as np
from PIL import Image
from ffcv.reader import Reader
from ffcv.loader import Loader, OrderOption
from ffcv.fields.decoders import SimpleRGBImageDecoder, IntDecoder
from ffcv.fields.rgb_image import resizer

spec = json.load(open(sys.argv[1]))
tj = ctypes.CDLL('libturbojpeg.so.0')
tj.tjInitDecompress.restype = ctypes.c_void_p
tj.tjDecompress2.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_void_p,
                             ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_int]
tj.tjDestroy.argtypes = [ctypes.c_void_p]

def tjdecode(b, w, h):
    hd = tj.tjInitDecompress()
    out = np.zeros((h, w, 3), np.uint8)
    r = tj.tjDecompress2(hd, b, len(b), out.ctypes.data, w, 0, h, 0, 2048)  # TJPF_RGB, TJFLAG_FASTDCT
    tj.tjDestroy(hd)
    assert r == 0
    return out

def fail(msg):
    print('FAIL', msg)
    sys.exit(1)

def records(d):
    return [json.loads(l) for l in open(os.path.join(d, 'records.jsonl'))]

for ds in spec:
    recs = records(ds['dir'])
    folder = {}
    if ds['expect'] == 'folder':
        for r in records(ds['folder']):
            folder[(r['distribution'], r['split'], r['index'])] = os.path.join(ds['folder'], r['path'])
    by_file = {}
    for r in recs:
        by_file.setdefault(r['path'], []).append(r)
    for path, rs in by_file.items():
        f = os.path.normpath(os.path.join(ds['dir'], path))
        if [r['sample'] for r in rs] != list(range(len(rs))):
            fail('%s: the records of %s are not samples 0..%d in order' % (ds['dir'], path, len(rs) - 1))
        rd = Reader(f)
        if rd.num_samples != len(rs):
            fail('%s: %d samples, %d records' % (f, rd.num_samples, len(rs)))
        raw = np.fromfile(f, np.uint8)
        sizes = dict(zip(rd.alloc_table['ptr'].tolist(), rd.alloc_table['size'].tolist()))
        expected = []
        for i, r in enumerate(rs):
            img = rd.metadata[i]['f0']
            label = int(rd.metadata[i]['f1'])
            mode = {0: 'jpg', 1: 'raw'}[int(img['mode'])]
            w, h = int(img['width']), int(img['height'])
            if (label, mode, w, h) != (r['label'], ds['mode'], r['width'], r['height']):
                fail('%s sample %d: label %d mode %s %dx%d; record %r' % (f, i, label, mode, w, h, r))
            ptr = int(img['data_ptr'])
            payload = raw[ptr:ptr + sizes[ptr]].tobytes()
            if len(payload) != r['size']:
                fail('%s sample %d: %d payload bytes, record %d' % (f, i, len(payload), r['size']))
            if ds['expect'] == 'folder':
                src = folder[(r['distribution'], r['split'], r['index'])]
                if ds['mode'] == 'jpg':
                    if payload != open(src, 'rb').read():
                        fail('%s sample %d: the JPEG differs from the folder output %s' % (f, i, src))
                    want = tjdecode(payload, w, h)
                else:
                    want = np.array(Image.open(src).convert('RGB'))
            got = np.frombuffer(payload, np.uint8).reshape(h, w, 3) if mode == 'raw' else tjdecode(payload, w, h)
            if ds['expect'] == 'opencv':
                # Train images of the reference are the source through FFCV's resizer;
                # the other images of such a dataset are checked by the loader alone.
                want = got
                if r['split'] == 'train' and r['distribution'] == 'reference':
                    want = resizer(np.array(Image.open(os.path.join(ds['source'], r['source'])).convert('RGB')), 256)
            if got.shape != want.shape or not np.array_equal(got, want):
                d = int(np.abs(got.astype(int) - want.astype(int)).max()) if got.shape == want.shape else -1
                fail('%s sample %d (%s): pixels differ from %s (shape %s vs %s, max %d)' % (f, i, r['source'], ds['expect'], got.shape, want.shape, d))
            expected.append((r['label'], want))
        loaded = 0
        if len({e[1].shape for e in expected}) == 1:
            for os_cache, batch in ((True, 7), (False, len(expected) + 1)):
                loader = Loader(f, batch_size=batch, num_workers=2, os_cache=os_cache, order=OrderOption.SEQUENTIAL, drop_last=False,
                                pipelines={'image': [SimpleRGBImageDecoder()], 'label': [IntDecoder()]})
                got = []
                for images, labels in loader:
                    for k in range(len(labels)):
                        got.append((int(labels[k][0]), np.array(images[k])))
                if len(got) != len(expected):
                    fail('%s os_cache=%s: the loader gave %d samples, want %d' % (f, os_cache, len(got), len(expected)))
                for i, ((gl, gp), (el, ep)) in enumerate(zip(got, expected)):
                    if gl != el or not np.array_equal(gp, ep):
                        fail('%s os_cache=%s: sample %d: label %d (want %d) or pixels differ' % (f, os_cache, i, gl, el))
                loaded += len(got)
        print('ok', os.path.relpath(f, spec[0]['dir'] + '/..'), len(rs), 'samples', 'loader' if loaded else 'reader')
`

// TestFFCVOutputWithFFCV writes .beton files with the binary (raw and jpg, two shifts
// sharing the reference) and has FFCV's own Reader and Loader read them: every sample,
// labels equal to the records, pixels equal to the folder output of the same run (raw:
// PNG) or to the decode of the very JPEG the folder output holds (jpg). Train images
// are checked against FFCV's max_resolution=256 resizer (OpenCV) applied to the source:
// PNGs of several sizes always, and real ImageNet JPEGs from ../shared with the
// libjpeg-turbo codec, whose full decode is Pillow's.
func TestFFCVOutputWithFFCV(t *testing.T) {
	py := pythonWith(t, "ffcv.loader", "cv2", "numpy", "PIL", "torch", "numba")
	shifts := []string{"--shift", "vflip", "--shift", "unseen-tint"}
	gen := func(in string, flags ...string) string {
		t.Helper()
		out := t.TempDir()
		args := append([]string{"generate", "--out", out, "--quiet"}, shifts...)
		if in != "" {
			args = append(args, "--in", in, "--tint-table-size", "1000")
		}
		if code, stderr := runQuiet(t, append(args, flags...)...); code != 0 {
			t.Fatalf("generate %v: exit %d: %s", flags, code, stderr)
		}
		return out
	}
	type check struct {
		Dir    string `json:"dir"`
		Mode   string `json:"mode"`
		Expect string `json:"expect"`
		Folder string `json:"folder,omitempty"`
		Source string `json:"source,omitempty"`
	}
	var spec []check
	raw, png := gen("", "--output", "ffcv"), gen("", "--format", "png")
	jpg, jpeg := gen("", "--output", "ffcv", "--ffcv-image", "jpg"), gen("")
	for _, d := range []string{"vflip", "unseen-tint"} {
		spec = append(spec, check{Dir: filepath.Join(raw, d), Mode: "raw", Expect: "folder", Folder: filepath.Join(png, d)},
			check{Dir: filepath.Join(jpg, d), Mode: "jpg", Expect: "folder", Folder: filepath.Join(jpeg, d)})
	}
	train := splitTree(t, 2, 4)
	spec = append(spec, check{Dir: filepath.Join(gen(train, "--output", "ffcv"), "vflip"), Mode: "raw", Expect: "opencv", Source: train})
	if strings.HasPrefix(imageio.DefaultCodec().Name(), "libjpeg-turbo") {
		if real := sharedSample(t, 16); real != "" {
			spec = append(spec, check{Dir: filepath.Join(gen(real, "--output", "ffcv"), "vflip"), Mode: "raw", Expect: "opencv", Source: real})
		}
	}
	out := pythonCheck(t, "FFCV check", py, ffcvCheck, spec)
	t.Logf("%s", out)
	// Every container of every dataset was read, own and shared: 2 per dataset of the
	// sample, 3 (with reference/train) per dataset of a split tree.
	if n, want := okLines(out), 2*2*2+3*(len(spec)-4); n != want {
		t.Fatalf("the check read %d containers, want %d:\n%s", n, want, out)
	}
}

// pythonCheck runs script with py on a JSON file holding spec and returns its output,
// failing the test (saying what the check was) when the script fails.
func pythonCheck(t *testing.T, what, py, script string, spec any) []byte {
	t.Helper()
	b, err := json.Marshal(spec)
	if err != nil {
		t.Fatal(err)
	}
	specPath := filepath.Join(t.TempDir(), "spec.json")
	if err := os.WriteFile(specPath, b, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(py, "-c", script, specPath).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", what, err, out)
	}
	return out
}

// okLines counts the lines of a check's output that start with "ok ".
func okLines(out []byte) int {
	n := 0
	for _, l := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(l, "ok ") {
			n++
		}
	}
	return n
}

// sharedSample returns a folder with train/ and val/ holding the first n classes of
// ../shared/imagenet-sample (one real ImageNet JPEG each, as links), or "" when it is
// absent.
func sharedSample(t *testing.T, n int) string {
	t.Helper()
	src := filepath.Join("..", "..", "..", "shared", "imagenet-sample")
	entries, err := os.ReadDir(src)
	if err != nil {
		return ""
	}
	var classes []string
	for _, e := range entries {
		if e.IsDir() {
			classes = append(classes, e.Name())
		}
	}
	sort.Strings(classes)
	root := t.TempDir()
	for _, c := range classes[:min(n, len(classes))] {
		files, _ := filepath.Glob(filepath.Join(src, c, "*"))
		for _, split := range []string{"train", "val"} {
			os.MkdirAll(filepath.Join(root, split, c), 0o755)
			for _, f := range files {
				b, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				os.WriteFile(filepath.Join(root, split, c, filepath.Base(f)), b, 0o644)
			}
		}
	}
	return root
}

// webdatasetCheck reads the shards of datasets written with --output webdataset with
// Python's tarfile and groups members into samples by WebDataset's documented rule (the
// key is the member name up to the first dot of its base name). Per distribution and
// split, over its shards in order: keys unique and increasing, each sample exactly
// cls, json and one image; the n-th sample is the record with sample n: its key and
// member, its label (.cls), its record without the storage fields (.json), its image
// bytes (size and SHA-256 of the record, and the very file the folder output of the same
// run holds for that image).
const webdatasetCheck = `
import sys, os, json, tarfile, hashlib, re
spec = json.load(open(sys.argv[1]))

def fail(msg):
    print('FAIL', msg)
    sys.exit(1)

def records(d):
    return [json.loads(l) for l in open(os.path.join(d, 'records.jsonl'))]

for ds in spec:
    recs = records(ds['dir'])
    folder = {(r['distribution'], r['split'], r['index']): os.path.join(ds['folder'], r['path']) for r in records(ds['folder'])}
    manifest = json.load(open(os.path.join(ds['dir'], 'manifest.json')))
    streams = {}
    for c in manifest['output']['containers']:
        streams.setdefault(c['folder'], []).append(c)
    for fold, cs in streams.items():
        dist, split = fold.split('/')
        rs = [r for r in recs if r['distribution'] == dist and r['split'] == split]
        samples = []
        for c in cs:
            name = os.path.basename(c['path'])
            if not re.fullmatch(re.escape(dist + '-' + split) + r'-\d{6}\.tar', name):
                fail('shard name %s' % name)
            with tarfile.open(os.path.normpath(os.path.join(ds['dir'], c['path']))) as tf:
                group, key = None, None
                n = 0
                for m in tf.getmembers():
                    if not m.isfile() or m.mtime != 0 or m.uid != 0 or m.gid != 0 or m.mode != 0o644:
                        fail('%s: member %s is not a regular file with fixed mtime, owner and mode' % (name, m.name))
                    base = os.path.basename(m.name)
                    k, ext = m.name[:len(m.name) - len(base)] + base.split('.', 1)[0], base.split('.', 1)[1]
                    if k != key:
                        if group is not None:
                            samples.append((key, group, c['path']))
                            n += 1
                        group, key = {}, k
                    if ext in group:
                        fail('%s: %s twice' % (name, m.name))
                    group[ext] = tf.extractfile(m).read()
                if group is not None:
                    samples.append((key, group, c['path']))
                    n += 1
                if n != c['images']:
                    fail('%s holds %d samples; the manifest says %d' % (name, n, c['images']))
        if len(samples) != len(rs):
            fail('%s: %d samples, %d records' % (fold, len(samples), len(rs)))
        keys = [s[0] for s in samples]
        if keys != sorted(set(keys)):
            fail('%s: keys are not unique and increasing' % fold)
        for i, ((key, g, path), r) in enumerate(zip(samples, rs)):
            img = [e for e in g if e not in ('cls', 'json')]
            if sorted(g) != sorted(['cls', 'json'] + img) or len(img) != 1 or img[0] not in ('jpg', 'png'):
                fail('%s sample %s: members %s' % (fold, key, sorted(g)))
            meta = json.loads(g['json'])
            want = {k: v for k, v in r.items() if k not in ('path', 'sample', 'member')}
            if r['sample'] != i or r['path'] != path or r['member'] != key + '.' + img[0]:
                fail('%s sample %d: record says %s %s sample %d' % (fold, i, r['path'], r['member'], r['sample']))
            if int(g['cls'].decode('ascii')) != r['label'] or meta != want:
                fail('%s sample %s: cls %r json %r, record %r' % (fold, key, g['cls'], meta, r))
            data = g[img[0]]
            if len(data) != r['size'] or hashlib.sha256(data).hexdigest() != r['sha256']:
                fail('%s sample %s: image bytes differ from the record' % (fold, key))
            if data != open(folder[(r['distribution'], r['split'], r['index'])], 'rb').read():
                fail('%s sample %s: image differs from the folder output' % (fold, key))
        print('ok', ds['dir'], fold, len(samples), 'samples in', len(cs), 'shards')
`

// TestWebDatasetOutputWithTarfile writes shards of 10 with the binary (JPEG and PNG,
// two shifts, one sharing its reference) and reads them with Python's tarfile under
// WebDataset's grouping rule, checking keys, members, labels, records and image bytes.
func TestWebDatasetOutputWithTarfile(t *testing.T) {
	py := pythonWith(t, "tarfile")
	shifts := []string{"--shift", "vflip", "--shift", "night"}
	type check struct {
		Dir    string `json:"dir"`
		Folder string `json:"folder"`
	}
	var spec []check
	for _, format := range []string{"jpeg", "png"} {
		wds, folder := t.TempDir(), t.TempDir()
		for _, o := range [][]string{{"--out", wds, "--output", "webdataset", "--shard-images", "10"}, {"--out", folder}} {
			if code, stderr := runQuiet(t, append(append([]string{"generate", "--format", format, "--quiet"}, shifts...), o...)...); code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
		}
		for _, d := range []string{"vflip", "night"} {
			spec = append(spec, check{filepath.Join(wds, d), filepath.Join(folder, d)})
		}
	}
	out := pythonCheck(t, "tarfile check", py, webdatasetCheck, spec)
	if n := okLines(out); n != 2*2*2 {
		t.Fatalf("checked %d folders, want 8:\n%s", n, out)
	}
	t.Logf("%s", out)
}

// TestHuggingFaceMetadata: a folder output has a metadata.jsonl in each ImageFolder
// root that follows the datasets library's documented rule (one line per image, in
// records order; file_name the image's path relative to the root, naming the file;
// the other keys the record's sampled fields); torchvision's ImageFolder still loads
// every root with the records' paths and labels (metadata.jsonl is neither a class
// folder nor an image); verify counts the files as the dataset's own and catches one
// changed or removed.
func TestHuggingFaceMetadata(t *testing.T) {
	out := t.TempDir()
	in := splitTree(t, 2, 2)
	if code, stderr := runQuiet(t, "generate", "--in", in, "--out", out, "--shift", "spurious-tint", "--shift", "night", "--tint-table-size", "100", "--quiet"); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	type root struct {
		Dir   string   `json:"dir"`
		Paths []string `json:"paths"`
		Label []int    `json:"labels"`
	}
	var roots []root
	for _, d := range []string{"spurious-tint", "night"} {
		_, recs := readDataset(t, filepath.Join(out, d))
		for _, rt := range []string{"reference/train", "reference/val", "shifted/val"} {
			var mine []*manifests.Record
			for _, r := range recs {
				if strings.HasPrefix(r.Path, rt+"/") {
					mine = append(mine, r)
				}
			}
			b, err := os.ReadFile(filepath.Join(out, d, rt, "metadata.jsonl"))
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
			if len(lines) != len(mine) || len(mine) == 0 {
				t.Fatalf("%s/%s: %d lines for %d images", d, rt, len(lines), len(mine))
			}
			r := root{Dir: filepath.Join(out, d, rt)}
			for i, l := range lines {
				var row map[string]any
				if err := json.Unmarshal([]byte(l), &row); err != nil {
					t.Fatal(err)
				}
				fn, _ := row["file_name"].(string)
				if fn != strings.TrimPrefix(mine[i].Path, rt+"/") {
					t.Fatalf("%s/%s line %d: file_name %q for %s", d, rt, i+1, fn, mine[i].Path)
				}
				if _, err := os.Stat(filepath.Join(r.Dir, filepath.FromSlash(fn))); err != nil {
					t.Fatal(err)
				}
				delete(row, "file_name")
				want := map[string]any{}
				fb, _ := json.Marshal(mine[i].Fields)
				json.Unmarshal(fb, &want)
				if fmt.Sprint(row) != fmt.Sprint(want) || len(row) == 0 {
					t.Fatalf("%s/%s line %d: columns %v, want the sampled fields %v", d, rt, i+1, row, want)
				}
				r.Paths = append(r.Paths, filepath.Join(out, d, filepath.FromSlash(mine[i].Path)))
				r.Label = append(r.Label, mine[i].Label)
			}
			roots = append(roots, r)
		}
	}
	// A subtest: without torchvision it skips, and the checks below still run.
	t.Run("torchvision", func(t *testing.T) {
		py := pythonWith(t, "torchvision")
		pythonCheck(t, "torchvision ImageFolder", py, `
import sys, json
from torchvision.datasets import ImageFolder
for r in json.load(open(sys.argv[1])):
    ds = ImageFolder(r['dir'])
    got = [(p, l) for p, l in ds.samples]
    if got != list(zip(r['paths'], r['labels'])):
        print('FAIL', r['dir'], got[:3], len(got), len(r['paths']))
        sys.exit(1)
    print('ok', r['dir'], len(ds), 'images', ds.classes)
`, roots)
	})
	ds := filepath.Join(out, "night")
	if code, _ := runQuiet(t, "verify", ds); code != 0 {
		t.Fatalf("verify: exit %d", code)
	}
	meta := filepath.Join(ds, "shifted", "val", "metadata.jsonl")
	os.WriteFile(meta, []byte("{}\n"), 0o644)
	code, stdout, _ := evalRun(t, "verify", ds)
	if code != exitVerify || !strings.Contains(stdout, "changed\tshifted/val/metadata.jsonl") {
		t.Fatalf("changed metadata: exit %d\n%s", code, stdout)
	}
	os.Remove(meta)
	code, stdout, _ = evalRun(t, "verify", ds)
	if code != exitVerify || !strings.Contains(stdout, "missing\tshifted/val/metadata.jsonl") {
		t.Fatalf("removed metadata: exit %d\n%s", code, stdout)
	}
}
