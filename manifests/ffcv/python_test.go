package ffcv

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// ffcvPython returns Debian's python3 when it has FFCV (python3-ffcv) and OpenCV, or
// skips the test.
func ffcvPython(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: skipping the comparison with FFCV")
	}
	const py = "/usr/bin/python3"
	if out, err := exec.Command(py, "-c", "import ffcv.loader, ffcv.writer, cv2, numpy").CombinedOutput(); err != nil {
		t.Skipf("no %s with FFCV and OpenCV (Debian python3-ffcv, python3-opencv): %v %s", py, err, bytes.TrimSpace(out))
	}
	return py
}

// The script below is handed a spec (JSON) naming .beton files and what each sample
// must hold. It reads every file with ffcv.reader.Reader, loads the constant-size ones
// with ffcv.loader.Loader (simple CPU decoders, sequential order, a batch size that does
// not divide the count, both memory managers; see the script for FFCV 0.0.3's CPU limit
// with the process cache), and asserts labels and exact pixels: raw
// payloads must give the pixels we stored, JPEG payloads the decode by libjpeg-turbo
// with TJFLAG_FASTDCT into RGB, which is how FFCV's libffcv decodes them (called here
// through ctypes, independently of FFCV). It then writes the files the spec asks of
// FFCV's own DatasetWriter.
const ffcvScript = `
import sys, os, json, ctypes
import numpy as np
from ffcv.reader import Reader
from ffcv.loader import Loader, OrderOption
from ffcv.fields import RGBImageField, IntField
from ffcv.fields.decoders import SimpleRGBImageDecoder, IntDecoder
from ffcv.writer import DatasetWriter
from ffcv.memory_managers import ProcessCacheManager

spec_path = sys.argv[1]
d = os.path.dirname(spec_path)
spec = json.load(open(spec_path))

tj = ctypes.CDLL('libturbojpeg.so.0')
tj.tjInitDecompress.restype = ctypes.c_void_p
tj.tjDecompress2.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_void_p,
                             ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_int]
tj.tjDestroy.argtypes = [ctypes.c_void_p]
TJPF_RGB, TJFLAG_FASTDCT = 0, 2048

def tjdecode(b, w, h):
    hd = tj.tjInitDecompress()
    out = np.zeros((h, w, 3), np.uint8)
    r = tj.tjDecompress2(hd, b, len(b), out.ctypes.data, w, 0, h, TJPF_RGB, TJFLAG_FASTDCT)
    tj.tjDestroy(hd)
    assert r == 0, 'libjpeg-turbo failed'
    return out

def fail(msg):
    print('FAIL', msg)
    sys.exit(1)

def expected(s):
    payload = open(os.path.join(d, s['payload']), 'rb').read()
    if s['mode'] == 'raw':
        return payload, np.frombuffer(payload, np.uint8).reshape(s['h'], s['w'], 3)
    return payload, tjdecode(payload, s['w'], s['h'])

for ds in spec['read']:
    path = os.path.join(d, ds['file'])
    samples = ds['samples']
    r = Reader(path)
    if r.num_samples != len(samples):
        fail('%s: Reader sees %d samples, want %d' % (ds['file'], r.num_samples, len(samples)))
    if r.field_names != ['image', 'label']:
        fail('%s: fields %r' % (ds['file'], r.field_names))
    raw = np.fromfile(path, np.uint8)
    # Payload sizes as FFCV's memory managers find them: the allocation at the pointer.
    sizes = dict(zip(r.alloc_table['ptr'].tolist(), r.alloc_table['size'].tolist()))
    page = int(r.page_size)
    exp = []
    for i, s in enumerate(samples):
        img, label = r.metadata[i]['f0'], int(r.metadata[i]['f1'])
        mode = {0: 'jpg', 1: 'raw'}[int(img['mode'])]
        ptr = int(img['data_ptr'])
        size = sizes[ptr]
        if (label, mode, int(img['width']), int(img['height'])) != (s['label'], s['mode'], s['w'], s['h']):
            fail('%s: sample %d metadata %r' % (ds['file'], i, (label, mode, int(img['width']), int(img['height']))))
        if ptr // page != (ptr + size - 1) // page:
            fail('%s: sample %d straddles a page' % (ds['file'], i))
        payload, pixels = expected(s)
        if raw[ptr:ptr + size].tobytes() != payload:
            fail('%s: sample %d payload differs' % (ds['file'], i))
        exp.append((s['label'], pixels))
    print('reader ok', ds['file'], len(samples))
    if not ds['loader']:
        continue
    # os_cache=True: OSCacheManager (memory map). os_cache=False: ProcessCacheManager,
    # which reads whole pages; FFCV 0.0.3's epoch iterator advances its batch counter
    # only under CUDA, so on CPU the loader can serve a single batch with it: one batch
    # of everything here, and the manager driven batch by batch below.
    for os_cache, batch in ((True, ds['batch']), (False, len(exp) + 3)):
        loader = Loader(path, batch_size=batch, num_workers=2, os_cache=os_cache,
                        order=OrderOption.SEQUENTIAL, drop_last=False,
                        pipelines={'image': [SimpleRGBImageDecoder()], 'label': [IntDecoder()]})
        got = []
        for images, labels in loader:
            for k in range(len(labels)):
                got.append((int(labels[k][0]), np.array(images[k])))
        if len(got) != len(exp):
            fail('%s os_cache=%s: loader gave %d samples, want %d' % (ds['file'], os_cache, len(got), len(exp)))
        for i, ((gl, gp), (el, ep)) in enumerate(zip(got, exp)):
            if gl != el:
                fail('%s os_cache=%s: sample %d label %d, want %d' % (ds['file'], os_cache, i, gl, el))
            if gp.shape != ep.shape or not np.array_equal(gp, ep):
                diff = int(np.abs(gp.astype(int) - ep.astype(int)).max()) if gp.shape == ep.shape else -1
                fail('%s os_cache=%s: sample %d pixels differ (max %d)' % (ds['file'], os_cache, i, diff))
        print('loader ok', ds['file'], 'os_cache=%s' % os_cache, 'batch', batch, len(got))

    # ProcessCacheManager batch by batch, as the loader would use it: its page schedule,
    # its page reads and its reader, which slices a payload out of one cached page.
    mm = ProcessCacheManager(r)
    read = mm.compile_reader()
    batches = [list(range(k, min(k + ds['batch'], len(samples)))) for k in range(0, len(samples), ds['batch'])]
    ctx = mm.schedule_epoch([np.array(b, dtype=np.uint64) for b in batches])
    ctx.__enter__()
    try:
        for b, batch in enumerate(batches):
            ctx.start_batch(b)
            for i in batch:
                ptr = np.uint64(r.metadata[i]['f0']['data_ptr'])
                payload, _ = expected(samples[i])
                if read(ptr, ctx.state).tobytes() != payload:
                    fail('%s: process cache read of sample %d differs' % (ds['file'], i))
    finally:
        ctx.__exit__(None, None, None)
    print('process cache ok', ds['file'], len(batches), 'batches')

class Pixels:
    def __init__(self, samples):
        self.samples = samples
    def __len__(self):
        return len(self.samples)
    def __getitem__(self, i):
        s = self.samples[i]
        a = np.fromfile(os.path.join(d, s['pixels']), np.uint8).reshape(s['h'], s['w'], 3)
        return a, s['label']

for job in spec['write']:
    fields = {'image': RGBImageField(write_mode=job['mode'], jpeg_quality=90), 'label': IntField()}
    w = DatasetWriter(os.path.join(d, job['out']), fields, page_size=job['page_size'], num_workers=1)
    w.from_indexed_dataset(Pixels(job['samples']), chunksize=7)
    print('ffcv wrote', job['out'])
`

type pySample struct {
	Label   int64  `json:"label"`
	Mode    string `json:"mode"`
	W       int    `json:"w"`
	H       int    `json:"h"`
	Payload string `json:"payload,omitempty"`
	Pixels  string `json:"pixels,omitempty"`
}

type pyRead struct {
	File    string     `json:"file"`
	Loader  bool       `json:"loader"`
	Batch   int        `json:"batch"`
	Samples []pySample `json:"samples"`
}

type pyWrite struct {
	Out      string     `json:"out"`
	Mode     string     `json:"mode"`
	PageSize int64      `json:"page_size"`
	Samples  []pySample `json:"samples"`
}

// writeDataset writes samples to dir/name with one Writer and describes them for the
// script, saving each payload (and, for raw, the pixels) beside it.
func writeDataset(t *testing.T, dir, name string, samples []Sample, o Options) []pySample {
	t.Helper()
	f, err := os.Create(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := Create(filepath.Join(dir, name+".work"), o)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Remove()
	var out []pySample
	for i, s := range samples {
		if _, err := w.Append(s); err != nil {
			t.Fatal(err)
		}
		p := fmt.Sprintf("%s.%d.bin", name, i)
		if err := os.WriteFile(filepath.Join(dir, p), s.Payload, 0o644); err != nil {
			t.Fatal(err)
		}
		ps := pySample{Label: s.Label, Mode: s.Mode.String(), W: s.Width, H: s.Height, Payload: p}
		if s.Mode == Raw {
			ps.Pixels = p
		}
		out = append(out, ps)
	}
	if err := w.Finish(f); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestWithFFCV(t *testing.T) {
	py := ffcvPython(t)
	dir := t.TempDir()
	o := Options{PageSize: MinPageSize}

	// Constant-size images (SimpleRGBImageDecoder wants them): raw over several pages,
	// and JPEG. Labels include negative and large values.
	const n, w, h = 47, 200, 150
	var rawS, jpgS []Sample
	for i := 0; i < n; i++ {
		pix := testImage(w, h, 40, uint64(100+i))
		label := int64(i*37%1000) - 5
		if i == 3 {
			label = 1 << 40
		}
		rawS = append(rawS, Sample{Label: label, Mode: Raw, Width: w, Height: h, Payload: pix})
		jpgS = append(jpgS, Sample{Label: label, Mode: JPG, Width: w, Height: h, Payload: encodeJPEG(t, pix, w, h, 92)})
	}
	mixed := mixedSamples(t, 20)
	var rawVar []Sample
	for _, s := range mixedSamples(t, 24) {
		if s.Mode == Raw {
			rawVar = append(rawVar, s)
		}
	}

	spec := struct {
		Read  []pyRead  `json:"read"`
		Write []pyWrite `json:"write"`
	}{
		Read: []pyRead{
			{File: "raw.beton", Loader: true, Batch: 10, Samples: writeDataset(t, dir, "raw.beton", rawS, o)},
			{File: "jpg.beton", Loader: true, Batch: 9, Samples: writeDataset(t, dir, "jpg.beton", jpgS, o)},
			{File: "mixed.beton", Samples: writeDataset(t, dir, "mixed.beton", mixed, o)},
		},
	}
	rawVarSpec := writeDataset(t, dir, "rawvar.beton", rawVar, o)
	spec.Write = []pyWrite{
		{Out: "ffcv-raw.beton", Mode: "raw", PageSize: MinPageSize, Samples: rawVarSpec},
		{Out: "ffcv-jpg.beton", Mode: "jpg", PageSize: MinPageSize, Samples: rawVarSpec},
	}
	b, _ := json.Marshal(spec)
	specPath := filepath.Join(dir, "spec.json")
	os.WriteFile(specPath, b, 0o644)
	out, err := exec.Command(py, "-c", ffcvScript, specPath).CombinedOutput()
	if err != nil {
		t.Fatalf("FFCV check failed: %v\n%s", err, out)
	}
	t.Logf("%s", out)

	// FFCV's own writer (one worker) lays out the same raw pixels byte for byte as we do.
	ours, _ := os.ReadFile(filepath.Join(dir, "rawvar.beton"))
	theirs, _ := os.ReadFile(filepath.Join(dir, "ffcv-raw.beton"))
	if !bytes.Equal(ours, theirs) {
		t.Fatalf("our raw .beton (%d bytes) differs from FFCV's DatasetWriter's (%d bytes) for the same pixels", len(ours), len(theirs))
	}
	// FFCV's JPEG file (encoded by OpenCV): reading it and writing its samples again
	// with our writer gives FFCV's bytes.
	r, err := Open(filepath.Join(dir, "ffcv-jpg.beton"))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var again []Sample
	for i := 0; i < r.Len(); i++ {
		s, err := r.Sample(i)
		if err != nil {
			t.Fatal(err)
		}
		if s.Mode != JPG || s.Label != rawVar[i].Label || s.Width != rawVar[i].Width {
			t.Fatalf("FFCV's sample %d: %v label %d width %d", i, s.Mode, s.Label, s.Width)
		}
		again = append(again, s)
	}
	theirs, _ = os.ReadFile(filepath.Join(dir, "ffcv-jpg.beton"))
	if ours := writeFile(t, again, o); !bytes.Equal(ours, theirs) {
		t.Fatalf("rewriting FFCV's JPEG .beton with our writer changed it (%d vs %d bytes)", len(ours), len(theirs))
	}
}
