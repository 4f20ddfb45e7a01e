package manifests

import (
	"encoding/hex"
	"encoding/json"
	"math/rand/v2"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// awkwardNames are names a Linux file system can hold: valid UTF-8 (ASCII, two-, three-
// and four-byte sequences, U+FFFD itself, characters JSON escapes), and bytes that are
// not UTF-8 (lone continuation and lead bytes, an overlong form, an encoded surrogate).
func awkwardNames() []string {
	names := []string{
		"a", "b", "\u00e9", "\xc3", "\xc3.png", "\u00e9.png", "\xff", "\xfe", "\ufffd", "\U0001F600",
		"\uac00", "\ued00", "\xed\xb2\x80", "\xc0\xaf", "x\"y", "tab\there", "<&>", "\u2028", "a b", "a/b",
		"\xe2\x82", "\xe2\x82a", "\xf0\x9f\x98", "\x7f", "\x01",
	}
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"a", "Z", ".", " ", "\u00e9", "\ufffd", "\U0001F600", "\xff", "\x80", "\xc3", "\xed", "\xe2\x82"}
	for range 200 {
		var b strings.Builder
		for range 1 + r.IntN(6) {
			b.WriteString(alphabet[r.IntN(len(alphabet))])
		}
		names = append(names, b.String())
	}
	return names
}

// TestNameRoundTrip: every name comes back byte for byte, valid UTF-8 is written as
// encoding/json writes it, and two different names never share a JSON form.
func TestNameRoundTrip(t *testing.T) {
	seen := map[string]string{}
	for _, n := range awkwardNames() {
		j := AppendName(nil, n)
		back, err := ParseName(j)
		if err != nil || back != n {
			t.Fatalf("%q -> %s -> %q, %v", n, j, back, err)
		}
		if prev, dup := seen[string(j)]; dup && prev != n {
			t.Fatalf("%q and %q share the JSON form %s", prev, n, j)
		}
		seen[string(j)] = n
		if !json.Valid(j) {
			t.Fatalf("%s is not valid JSON", j)
		}
	}
	for _, bad := range []string{`"\ud800"`, `"\udc00"`, `"\ud800\u0041"`, `"abc`, `abc`, `"a"b"`, `"\x"`} {
		if _, err := ParseName([]byte(bad)); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
	// A surrogate pair is one code point.
	if s, err := ParseName([]byte(`"\ud83d\ude00"`)); err != nil || s != "\U0001F600" {
		t.Errorf("pair: %q %v", s, err)
	}
}

// TestNamesAsPython checks, with Python itself, that json.loads of the JSON form is
// os.fsdecode(name), that ParseName reads json.dumps(os.fsdecode(name)) back as the
// name, and that CompareNames orders names as sorted() orders the decoded names.
func TestNamesAsPython(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: no Python")
	}
	const py = "/usr/bin/python3"
	if exec.Command(py, "-c", "import os").Run() != nil {
		t.Skip(py + " is absent")
	}
	names := awkwardNames()
	var in strings.Builder
	for _, n := range names {
		// The name as hex (so that no encoding stands in between), then its JSON form.
		in.WriteString(hex.EncodeToString([]byte(n)))
		in.WriteByte('\t')
		in.Write(AppendName(nil, n))
		in.WriteByte('\n')
	}
	script := `
import json, os, sys
names = []
for line in sys.stdin.buffer.read().decode("utf-8").split("\n")[:-1]:
    h, ours = line.split("\t", 1)
    n = os.fsdecode(bytes.fromhex(h))
    names.append(n)
    print(json.dumps(n) + "\t" + ("same" if json.loads(ours) == n else "differs"))
print("--")
for i in sorted(range(len(names)), key=lambda i: names[i]):
    print(i)
`
	cmd := exec.Command(py, "-c", script)
	cmd.Stdin = strings.NewReader(in.String())
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.SplitN(string(out), "--\n", 2)
	lines := strings.Split(strings.TrimSuffix(parts[0], "\n"), "\n")
	if len(lines) != len(names) {
		t.Fatalf("Python gave %d forms for %d names", len(lines), len(names))
	}
	for i, n := range names {
		dump, verdict, _ := strings.Cut(lines[i], "\t")
		if verdict != "same" {
			t.Errorf("%q: Python reads shiftgen's form %s as another name", n, AppendName(nil, n))
		}
		if back, err := ParseName([]byte(dump)); err != nil || back != n {
			t.Errorf("%q: Python's form %s reads back as %q (%v)", n, dump, back, err)
		}
	}
	var order []int
	for _, f := range strings.Fields(parts[1]) {
		var i int
		json.Unmarshal([]byte(f), &i)
		order = append(order, i)
	}
	ids := make([]int, len(names))
	for i := range ids {
		ids[i] = i
	}
	slices.SortStableFunc(ids, func(a, b int) int { return CompareNames(names[a], names[b]) })
	for k := range ids {
		if names[ids[k]] != names[order[k]] {
			t.Fatalf("position %d: shiftgen sorts %q there, Python %q", k, names[ids[k]], names[order[k]])
		}
	}
}

// FuzzName: any bytes survive the JSON form, and the order is a total order that agrees
// with equality.
func FuzzName(f *testing.F) {
	for _, n := range awkwardNames()[:25] {
		f.Add(n, "\xff")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		back, err := ParseName(AppendName(nil, a))
		if err != nil || back != a {
			t.Fatalf("%q -> %q, %v", a, back, err)
		}
		c, d := CompareNames(a, b), CompareNames(b, a)
		if c != -d || (c == 0) != (a == b) {
			t.Fatalf("CompareNames(%q, %q) = %d, reversed %d", a, b, c, d)
		}
		ParseName([]byte(a)) // arbitrary input never panics
	})
}
