package manifests

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// File and folder names are kept byte-exact: a Go string holds the bytes the file system
// gave, valid UTF-8 or not. This file gives such names one JSON form and one order, both
// those of Python on Linux, so that torchvision users and shiftgen agree on every name:
//
//   - JSON: a valid UTF-8 name is an ordinary JSON string. In a name that is not, each
//     byte of an invalid sequence is written as the escape \udcXX (XX the byte's value),
//     which is what json.dumps(os.fsdecode(name)) writes; os.fsencode(json.loads(s))
//     gives the bytes back, and ParseName does the same here.
//   - Order: CompareNames orders names as Python's sorted(os.listdir()) does: by code
//     point, each invalid byte counting as the code point U+DC00 + byte (the
//     "surrogateescape" decoding). For valid UTF-8 this is plain byte order.

// Name is a file or folder name (or a path of them) kept byte-exact, with the JSON form
// described above. The zero value is the empty name.
type Name string

// MarshalJSON writes n in the JSON form above.
func (n Name) MarshalJSON() ([]byte, error) { return AppendName(nil, string(n)), nil }

// UnmarshalJSON reads a JSON string written by MarshalJSON or by Python's json.dumps of
// a name decoded with os.fsdecode.
func (n *Name) UnmarshalJSON(data []byte) error {
	s, err := ParseName(data)
	if err != nil {
		return err
	}
	*n = Name(s)
	return nil
}

// AppendName appends s as a JSON string to dst: for valid UTF-8 exactly what
// encoding/json writes with HTML escaping off, and each byte of an invalid sequence as
// \udcXX.
func AppendName(dst []byte, s string) []byte {
	if utf8.ValidString(s) {
		b, _ := marshalNoEscape(s)
		return append(dst, b...)
	}
	dst = append(dst, '"')
	for len(s) > 0 {
		n := 0
		for n < len(s) {
			r, w := utf8.DecodeRuneInString(s[n:])
			if r == utf8.RuneError && w == 1 {
				break
			}
			n += w
		}
		if n > 0 {
			b, _ := marshalNoEscape(s[:n])
			dst = append(dst, b[1:len(b)-1]...)
			s = s[n:]
			continue
		}
		dst = fmt.Appendf(dst, `\udc%02x`, s[0])
		s = s[1:]
	}
	return append(dst, '"')
}

var errNotString = errors.New("not a JSON string")

// ParseName decodes the JSON string data (surrounding white space allowed) into the
// name's bytes: escapes \udc80 to \udcff that stand alone (not in a surrogate pair)
// become the bytes 0x80 to 0xff, and bytes that are not UTF-8 are kept as they are.
// Other lone surrogates name no bytes and are refused.
func ParseName(data []byte) (string, error) {
	data = bytes.TrimSpace(data)
	if len(data) < 2 || data[0] != '"' || data[len(data)-1] != '"' {
		return "", errNotString
	}
	in := data[1 : len(data)-1]
	if bytes.IndexByte(in, '\\') < 0 {
		for _, c := range in {
			if c == '"' || c < 0x20 {
				return "", errNotString
			}
		}
		return string(in), nil
	}
	out := make([]byte, 0, len(in))
	for i := 0; i < len(in); {
		c := in[i]
		switch {
		case c == '"' || c < 0x20:
			return "", errNotString
		case c != '\\':
			out = append(out, c)
			i++
			continue
		}
		if i+1 >= len(in) {
			return "", errNotString
		}
		switch e := in[i+1]; e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := hex4(in[i+2:])
			if !ok {
				return "", errNotString
			}
			i += 6
			switch {
			case utf16.IsSurrogate(r) && r < 0xdc00:
				if i+6 <= len(in) && in[i] == '\\' && in[i+1] == 'u' {
					if r2, ok := hex4(in[i+2:]); ok && r2 >= 0xdc00 && r2 < 0xe000 {
						out = utf8.AppendRune(out, utf16.DecodeRune(r, r2))
						i += 6
						continue
					}
				}
				return "", fmt.Errorf("lone surrogate \\u%04x names no bytes", r)
			case r >= 0xdc80 && r <= 0xdcff:
				out = append(out, byte(r-0xdc00))
			case utf16.IsSurrogate(r):
				return "", fmt.Errorf("lone surrogate \\u%04x names no bytes", r)
			default:
				out = utf8.AppendRune(out, r)
			}
			continue
		default:
			return "", errNotString
		}
		i += 2
	}
	return string(out), nil
}

// hex4 reads four hex digits.
func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

// CompareNames returns -1, 0 or +1 as a sorts before, equal to or after b in Python's
// order of os.fsdecode'd names (see above).
func CompareNames(a, b string) int {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] && a[i] < utf8.RuneSelf {
		i++
	}
	a, b = a[i:], b[i:]
	for len(a) > 0 && len(b) > 0 {
		ra, wa := nameRune(a)
		rb, wb := nameRune(b)
		if ra != rb {
			if ra < rb {
				return -1
			}
			return 1
		}
		a, b = a[wa:], b[wb:]
	}
	return strings.Compare(a, b) // one is empty: the shorter comes first
}

// nameRune decodes the first code point of s, an invalid byte as U+DC00 + byte.
func nameRune(s string) (rune, int) {
	r, w := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError && w == 1 {
		return 0xdc00 + rune(s[0]), 1
	}
	return r, w
}

// NameLess reports whether a sorts before b in CompareNames' order.
func NameLess(a, b string) bool { return CompareNames(a, b) < 0 }
