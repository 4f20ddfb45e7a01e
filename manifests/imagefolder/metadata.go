package imagefolder

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/shiftgen/shiftgen/manifests"
)

// FileName is the name of the metadata file, written in the folder it describes.
const FileName = "metadata.jsonl"

// Reserved names a sampled field may not take: the link column, and the columns the
// loader makes itself (the image, and the label inferred from folder names).
var reserved = []string{"file_name", "image", "label"}

// Metadata returns the metadata.jsonl content for the image folder root, a
// slash-separated path relative to the dataset folder (as records' paths are, e.g.
// "shifted/val"). It has one line per record, in the given order:
// {"file_name": the record's path relative to root, then the record's sampled fields
// sorted by name}. Every record must lie under root; root "" (or ".") is the dataset
// folder itself, as in the ImageNet-C layout. The result depends only on its arguments.
func Metadata(root string, records []*manifests.Record) ([]byte, error) {
	prefix := strings.TrimSuffix(path.Clean(root), "/") + "/"
	if prefix == "./" {
		prefix = ""
	}
	var b bytes.Buffer
	seen := map[string]bool{}
	for _, r := range records {
		rel, ok := strings.CutPrefix(r.Path, prefix)
		if !ok || rel == "" || path.Clean(rel) != rel || rel == ".." || strings.HasPrefix(rel, "../") || path.IsAbs(rel) || r.In != nil {
			return nil, fmt.Errorf("imagefolder: record %s/%s/%d: path %q is not inside %q", r.Distribution, r.Split, r.Index, r.Path, root)
		}
		if seen[rel] {
			return nil, fmt.Errorf("imagefolder: %q appears twice", r.Path)
		}
		seen[rel] = true
		keys := make([]string, 0, len(r.Fields))
		for k := range r.Fields {
			for _, x := range reserved {
				if k == x {
					return nil, fmt.Errorf("imagefolder: record %s: sampled field %q clashes with the loader's column of that name", r.Path, k)
				}
			}
			keys = append(keys, k)
		}
		sort.Strings(keys)
		// file_name in the JSON form of manifests.Name, as records.jsonl writes paths:
		// a name that is not UTF-8 keeps its bytes (\udcXX) instead of becoming U+FFFD.
		b.WriteString(`{"file_name":`)
		b.Write(manifests.AppendName(nil, rel))
		for _, k := range keys {
			b.WriteByte(',')
			put(&b, k)
			b.WriteByte(':')
			if err := put(&b, r.Fields[k]); err != nil {
				return nil, fmt.Errorf("imagefolder: record %s: field %s: %w", r.Path, k, err)
			}
		}
		b.WriteString("}\n")
	}
	return b.Bytes(), nil
}

// put writes v as JSON without HTML escaping, as records.jsonl does.
func put(b *bytes.Buffer, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	b.Write(bytes.TrimRight(buf.Bytes(), "\n"))
	return nil
}
