package webdataset

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
)

// blockSize is the tar block: headers are one block, data is padded to whole blocks,
// and an archive ends with two zero blocks.
const blockSize = 512

// Fixed header fields (ustar): the same for every member, so an archive's bytes depend
// only on the member names and contents.
const (
	memberMode  = "0000644" // rw-r--r--
	memberID    = "0000000" // uid and gid 0, user and group names empty
	memberMTime = "00000000000"
)

func padded(n int64) int64 { return (n + blockSize - 1) / blockSize * blockSize }

// putHeader writes the ustar header of a regular file into b (one block).
func putHeader(b []byte, name string, size int64) {
	clear(b[:blockSize])
	copy(b[0:100], name)
	copy(b[100:108], memberMode)
	copy(b[108:116], memberID)
	copy(b[116:124], memberID)
	copy(b[124:136], fmt.Sprintf("%011o", size))
	copy(b[136:148], memberMTime)
	b[156] = '0'
	copy(b[257:263], "ustar\x00")
	copy(b[263:265], "00")
	copy(b[329:337], memberID) // devmajor
	copy(b[337:345], memberID) // devminor
	copy(b[148:156], "        ")
	sum := 0
	for _, c := range b[:blockSize] {
		sum += int(c)
	}
	copy(b[148:156], fmt.Sprintf("%06o\x00 ", sum))
}

// member is one file of a sample.
type member struct {
	name string
	data []byte
}

// encodeMembers appends the tar encoding of the members (header, data, zero padding).
func encodeMembers(out []byte, ms []member) []byte {
	for _, m := range ms {
		start := len(out)
		out = append(out, make([]byte, blockSize+padded(int64(len(m.data))))...)
		putHeader(out[start:], m.name, int64(len(m.data)))
		copy(out[start+blockSize:], m.data)
	}
	return out
}

// parseOctal reads a NUL- or space-terminated octal field.
func parseOctal(b []byte) (int64, error) {
	s := strings.TrimRight(strings.TrimLeft(string(b), " "), " \x00")
	if s == "" {
		return 0, fmt.Errorf("empty number")
	}
	return strconv.ParseInt(s, 8, 64)
}

// Member is one file inside a shard.
type Member struct {
	// Name is the member's name, <key>.<extension>.
	Name string
	// Offset is where its data starts in the shard file, Size its length.
	Offset, Size int64
}

// Entry is one sample of a shard: the members sharing a key.
type Entry struct {
	// Key is the members' name up to the first dot (WebDataset's grouping rule).
	Key string
	// Members are the sample's files in archive order.
	Members []Member
	// Start and End delimit the sample's bytes (headers, data, padding) in the file.
	Start, End int64
}

// Member returns the entry's member with the given extension.
func (e Entry) Member(ext string) (Member, bool) {
	for _, m := range e.Members {
		if m.Name == e.Key+"."+ext {
			return m, true
		}
	}
	return Member{}, false
}

// splitName applies WebDataset's rule: the key is the name up to the first dot of its
// base name, the extension what follows.
func splitName(name string) (key, ext string, ok bool) {
	dir := ""
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		dir, name = name[:i+1], name[i+1:]
	}
	i := strings.IndexByte(name, '.')
	if i <= 0 {
		return "", "", false
	}
	return dir + name[:i], name[i+1:], true
}

// checkSample reports whether a sample's extensions are the ones this package writes,
// in its order: cls, json and one image (jpg or png), sorted by name.
func checkSample(e *Entry) error {
	var exts []string
	for _, m := range e.Members {
		_, ext, _ := splitName(m.Name)
		exts = append(exts, ext)
	}
	if !sort.StringsAreSorted(exts) || len(exts) != 3 {
		return fmt.Errorf("sample %q has members %v; want cls, json and jpg or png, sorted", e.Key, exts)
	}
	img := exts[1]
	if exts[1] == "json" {
		img = exts[2]
	}
	want := sortedExts(img)
	if exts[0] != want[0] || exts[1] != want[1] || exts[2] != want[2] {
		return fmt.Errorf("sample %q has members %v; want %v", e.Key, exts, want)
	}
	return nil
}

// sortedExts returns a sample's member extensions in archive (name) order.
func sortedExts(image string) []string {
	exts := []string{"cls", "json", image}
	sort.Strings(exts)
	return exts
}

// scan reads the members of the tar file f (size bytes) and groups them into samples.
// Strict: the file must be a complete archive of whole samples ending with the end
// marker. Otherwise (a shard being written) scanning stops at the first incomplete or
// invalid block and returns the complete samples before it. end is the offset after the
// last returned sample.
func scan(f *os.File, size int64, name string, strict bool) (entries []Entry, end int64, err error) {
	bad := func(off int64, format string, a ...any) error {
		return fmt.Errorf("webdataset: %s: at byte %d: %s; the shard is damaged", name, off, fmt.Sprintf(format, a...))
	}
	var h [blockSize]byte
	off := int64(0)
	var cur *Entry
	closeEntry := func() error {
		if cur == nil {
			return nil
		}
		if err := checkSample(cur); err != nil {
			return err
		}
		if n := len(entries); n > 0 && entries[n-1].Key >= cur.Key {
			return fmt.Errorf("sample %q follows %q: keys must increase", cur.Key, entries[n-1].Key)
		}
		entries = append(entries, *cur)
		end = cur.End
		cur = nil
		return nil
	}
	for {
		if off+blockSize > size {
			if strict {
				return nil, 0, bad(off, "archive ends without its end marker")
			}
			break
		}
		if _, err := f.ReadAt(h[:], off); err != nil && err != io.EOF {
			return nil, 0, fmt.Errorf("webdataset: %s: %w", name, err)
		}
		if h == [blockSize]byte{} {
			if !strict {
				break
			}
			if err := closeEntry(); err != nil {
				return nil, 0, bad(off, "%v", err)
			}
			// The end marker: zero blocks to the end of the file, at least two.
			rest := make([]byte, size-off)
			f.ReadAt(rest, off)
			if len(rest) < 2*blockSize || len(rest)%blockSize != 0 || !bytes.Equal(rest, make([]byte, len(rest))) {
				return nil, 0, bad(off, "data after the end marker")
			}
			return entries, end, nil
		}
		mname, msize, err := parseHeader(h[:])
		if err != nil {
			if strict {
				return nil, 0, bad(off, "%v", err)
			}
			break
		}
		next := off + blockSize + padded(msize)
		if next > size {
			if strict {
				return nil, 0, bad(off, "member %s runs past the end of the file", mname)
			}
			break
		}
		key, _, ok := splitName(mname)
		if !ok {
			if strict {
				return nil, 0, bad(off, "member %q has no key.extension name", mname)
			}
			break
		}
		if cur != nil && cur.Key != key {
			if err := closeEntry(); err != nil {
				if strict {
					return nil, 0, bad(off, "%v", err)
				}
				cur = nil
				break
			}
		}
		if cur == nil {
			cur = &Entry{Key: key, Start: off}
		}
		cur.Members = append(cur.Members, Member{Name: mname, Offset: off + blockSize, Size: msize})
		cur.End = next
		off = next
	}
	// Lenient end: keep the last sample only if it is complete.
	if cur != nil && checkSample(cur) == nil && (len(entries) == 0 || entries[len(entries)-1].Key < cur.Key) {
		entries = append(entries, *cur)
		end = cur.End
	}
	return entries, end, nil
}

// parseHeader checks a ustar header of a regular file and returns its name and size.
func parseHeader(h []byte) (string, int64, error) {
	want, err := parseOctal(h[148:156])
	if err != nil {
		return "", 0, fmt.Errorf("header checksum: %v", err)
	}
	sum := int64(0)
	for i, c := range h[:blockSize] {
		if i >= 148 && i < 156 {
			c = ' '
		}
		sum += int64(c)
	}
	if sum != want {
		return "", 0, fmt.Errorf("header checksum %o, computed %o", want, sum)
	}
	if string(h[257:263]) != "ustar\x00" || string(h[263:265]) != "00" {
		return "", 0, fmt.Errorf("not a POSIX ustar header")
	}
	if h[156] != '0' && h[156] != 0 {
		return "", 0, fmt.Errorf("member type %q is not a regular file", h[156])
	}
	name := string(h[0:100])
	if i := strings.IndexByte(name, 0); i >= 0 {
		name = name[:i]
	}
	if h[345] != 0 {
		return "", 0, fmt.Errorf("member names with a ustar prefix are not used here")
	}
	size, err := parseOctal(h[124:136])
	if err != nil || size < 0 {
		return "", 0, fmt.Errorf("member size: %v", err)
	}
	return name, size, nil
}
