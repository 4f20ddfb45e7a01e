package manifests

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"sort"
	"strconv"
)

// Record describes one image of a dataset. Fields holds what the shift sampled for it
// (for tints: tint_class, spurious, tint_color); in JSON those sit beside the fixed
// fields, in sorted order.
type Record struct {
	// Distribution is "reference" or "shifted".
	Distribution string
	// Split is "train" or "val".
	Split string
	// Index is the image's ImageFolder index in its source split.
	Index int
	// Label is the class label, Class its name.
	Label int
	Class string
	// Source is the input file, relative to the source root.
	Source string
	// Path is the written file, relative to the dataset folder: the image file, or the
	// container file that holds the image (In says where).
	Path string
	// In, when set, places the image inside the container file Path (an FFCV .beton, a
	// WebDataset shard); nil for an image file of its own, as every folder output has.
	In *Position
	// Width and Height are the written image's size in pixels.
	Width, Height int
	// Size is the written image's length in bytes (inside a container: its payload's).
	Size int64
	// SHA256 is the hex SHA-256 of those bytes.
	SHA256 string
	// Fields are the shift's sampled values for this image.
	Fields map[string]any
}

// Position is where an image sits inside a container file.
type Position struct {
	// Sample is the image's position in its distribution × split's container order,
	// from 0: its sample index in the .beton, or its rank over the WebDataset shards read
	// in order (the order a loader loop yields, and the order of its records).
	Sample int64
	// Member is the image's member name in a WebDataset shard ("000000017.jpg"); empty
	// in an FFCV .beton.
	Member string
}

// fixed lists the record's fixed JSON keys in output order; sample and member are
// written only for images inside containers.
var fixed = []string{"distribution", "split", "index", "label", "class", "source", "path", "sample", "member", "width", "height", "size", "sha256"}

func isFixed(k string) bool {
	for _, f := range fixed {
		if f == k {
			return true
		}
	}
	return false
}

// MarshalJSON writes the fixed fields in a fixed order, then Fields sorted by key.
func (r Record) MarshalJSON() ([]byte, error) { return r.marshal(true) }

// MarshalContent writes the record without the fields that say where the image is
// stored (path, sample, member): what the image is, as a WebDataset sample's .json
// member holds it, whose own place in the shard says where it is.
func (r Record) MarshalContent() ([]byte, error) { return r.marshal(false) }

func (r Record) marshal(place bool) ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	put := func(k string, v any) error {
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		b.Write(kb)
		b.WriteByte(':')
		if n, ok := v.(Name); ok {
			b.Write(AppendName(nil, string(n)))
			return nil
		}
		vb, err := marshalNoEscape(v)
		if err != nil {
			return fmt.Errorf("field %s: %w", k, err)
		}
		b.Write(vb)
		return nil
	}
	var path, sample, member any
	if place {
		path = Name(r.Path)
		if r.In != nil {
			sample = r.In.Sample
			if r.In.Member != "" {
				member = Name(r.In.Member)
			}
		}
	}
	vals := []any{r.Distribution, r.Split, r.Index, r.Label, Name(r.Class), Name(r.Source), path, sample, member, r.Width, r.Height, r.Size, r.SHA256}
	for i, k := range fixed {
		if vals[i] == nil {
			continue // the place of an image file of its own, or of any image (content)
		}
		if err := put(k, vals[i]); err != nil {
			return nil, err
		}
	}
	keys := make([]string, 0, len(r.Fields))
	for k := range r.Fields {
		if isFixed(k) {
			return nil, fmt.Errorf("field %q clashes with a fixed record field", k)
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if err := put(k, r.Fields[k]); err != nil {
			return nil, err
		}
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func marshalNoEscape(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// UnmarshalJSON reads a record and checks that every fixed field is present and typed
// right; other keys go to Fields.
func (r *Record) UnmarshalJSON(data []byte) error {
	var m map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		return err
	}
	if m == nil {
		return fmt.Errorf("record is not a JSON object")
	}
	str := func(k string, dst *string) error {
		raw, ok := m[k]
		if !ok {
			return fmt.Errorf("missing field %q", k)
		}
		v, err := ParseName(raw)
		if err != nil {
			return fmt.Errorf("field %q must be a string: %w", k, err)
		}
		*dst = v
		return nil
	}
	num := func(k string, dst *int64) error {
		raw, ok := m[k]
		if !ok {
			return fmt.Errorf("missing field %q", k)
		}
		if err := json.Unmarshal(raw, dst); err != nil || *dst < 0 {
			return fmt.Errorf("field %q must be a non-negative integer", k)
		}
		return nil
	}
	var out Record
	for _, s := range []struct {
		k string
		p *string
	}{{"distribution", &out.Distribution}, {"split", &out.Split}, {"class", &out.Class}, {"source", &out.Source}, {"path", &out.Path}, {"sha256", &out.SHA256}} {
		if err := str(s.k, s.p); err != nil {
			return err
		}
	}
	var idx, label, w, h, size int64
	for _, n := range []struct {
		k string
		p *int64
	}{{"index", &idx}, {"label", &label}, {"width", &w}, {"height", &h}, {"size", &size}} {
		if err := num(n.k, n.p); err != nil {
			return err
		}
	}
	if out.Distribution != "reference" && out.Distribution != "shifted" {
		return fmt.Errorf("field \"distribution\" is %q; want reference or shifted", out.Distribution)
	}
	if out.Split == "" || out.Path == "" {
		return fmt.Errorf("fields \"split\" and \"path\" must not be empty")
	}
	out.Index, out.Label, out.Width, out.Height, out.Size = int(idx), int(label), int(w), int(h), size
	in, err := decodePosition(m["sample"], m["member"])
	if err != nil {
		return err
	}
	out.In = in
	for k, raw := range m {
		if isFixed(k) {
			continue
		}
		var v any
		d := json.NewDecoder(bytes.NewReader(raw))
		d.UseNumber()
		if err := d.Decode(&v); err != nil {
			return fmt.Errorf("field %q: %w", k, err)
		}
		if out.Fields == nil {
			out.Fields = map[string]any{}
		}
		out.Fields[k] = v
	}
	*r = out
	return nil
}

// Locator names the record's image uniquely within its dataset: its file, or its
// container and place there, "reference/val.beton#17" (an FFCV sample) or
// "reference-val-000000.tar#000000017.jpg" (a WebDataset member).
func (r *Record) Locator() string {
	switch {
	case r.In == nil:
		return r.Path
	case r.In.Member != "":
		return r.Path + "#" + r.In.Member
	}
	return r.Path + "#" + strconv.FormatInt(r.In.Sample, 10)
}

// decodePosition reads the optional sample and member fields (raw JSON, nil when
// absent): both absent is an image file of its own; a member needs a sample.
func decodePosition(sample, member json.RawMessage) (*Position, error) {
	if sample == nil {
		if member != nil {
			return nil, fmt.Errorf("field \"member\" needs a \"sample\" (the image's position in its container)")
		}
		return nil, nil
	}
	var p Position
	if string(bytes.TrimSpace(sample)) == "null" || json.Unmarshal(sample, &p.Sample) != nil || p.Sample < 0 {
		return nil, fmt.Errorf("field \"sample\" must be a non-negative integer")
	}
	if member != nil {
		v, err := ParseName(member)
		if err != nil || v == "" {
			return nil, fmt.Errorf("field \"member\" must be a non-empty string")
		}
		p.Member = v
	}
	return &p, nil
}

// Field returns the record's value of any field, fixed or sampled, as a string for
// grouping ("" and false when absent). Numbers keep their JSON spelling.
func (r *Record) Field(name string) (string, bool) {
	switch name {
	case "distribution":
		return r.Distribution, true
	case "split":
		return r.Split, true
	case "index":
		return strconv.Itoa(r.Index), true
	case "label":
		return strconv.Itoa(r.Label), true
	case "class":
		return r.Class, true
	case "source":
		return r.Source, true
	case "path":
		return r.Path, true
	}
	v, ok := r.Fields[name]
	if !ok {
		return "", false
	}
	switch x := v.(type) {
	case string:
		return x, true
	case json.Number:
		return x.String(), true
	default:
		b, _ := marshalNoEscape(x)
		return string(b), true
	}
}

// RecordWriter streams records as JSON lines and hashes what it writes.
type RecordWriter struct {
	w     *bufio.Writer
	h     hash.Hash
	count int
}

// NewRecordWriter writes records to w.
func NewRecordWriter(w io.Writer) *RecordWriter {
	h := sha256.New()
	return &RecordWriter{w: bufio.NewWriterSize(io.MultiWriter(w, h), 1<<16), h: h}
}

// Write appends one record.
func (rw *RecordWriter) Write(r *Record) error {
	b, err := r.MarshalJSON()
	if err != nil {
		return fmt.Errorf("manifests: record %s/%s/%d: %w", r.Distribution, r.Split, r.Index, err)
	}
	b = append(b, '\n')
	if _, err := rw.w.Write(b); err != nil {
		return err
	}
	rw.count++
	return nil
}

// Flush writes buffered records to the underlying writer.
func (rw *RecordWriter) Flush() error { return rw.w.Flush() }

// Close flushes the writer and returns the number of records and the hex SHA-256 of all
// bytes written. It does not close the underlying writer.
func (rw *RecordWriter) Close() (int, string, error) {
	if err := rw.w.Flush(); err != nil {
		return 0, "", err
	}
	return rw.count, hex.EncodeToString(rw.h.Sum(nil)), nil
}
