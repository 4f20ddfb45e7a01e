package pipeline

import (
	"encoding/json"
	"fmt"
	"path"
	"strings"

	"github.com/shiftgen/shiftgen/manifests"
	"github.com/shiftgen/shiftgen/manifests/imagefolder"
	"github.com/shiftgen/shiftgen/pipeline/imageio"
	"github.com/shiftgen/shiftgen/shifts"
)

// Output is one image file the plan writes.
type Output struct {
	// Shift is the index of the shift in Plan.Shifts.
	Shift int
	// Distribution is "reference" or "shifted".
	Distribution shifts.Distribution
	// Path is the file's path relative to the shift's folder.
	Path   string
	Sample shifts.Sample
}

// Job is one source image. Jobs are ordered by split, then index; Seq is the position.
type Job struct {
	Seq    int
	Split  string
	Source Source
	// Abs is the source file's path on disk.
	Abs string
}

// folderPlan is one distribution × split of one shift.
type folderPlan struct {
	dist  shifts.Distribution
	split string
	// prefix is prepended to the source path ("reference/val/").
	prefix string
	// keep[index] says whether the image is written; nil keeps all.
	keep []bool
	// renamed maps a source path to its output path where names collide.
	renamed map[string]string
}

// PlannedShift is one shift of the plan with its folder.
type PlannedShift struct {
	Spec  string
	Dir   string
	Shift shifts.Shift
	// Rates[dist/split] are per-class keep rates of a Selector shift.
	Rates   map[string][]float64
	folders []folderPlan
}

// Folders lists the shift's output folders, "<distribution>/<split>", in record order.
func (ps *PlannedShift) Folders() []string {
	var f []string
	for _, fp := range ps.folders {
		f = append(f, string(fp.dist)+"/"+fp.split)
	}
	return f
}

// Plan is everything Run will do, decided before any image is read. It stores per
// folder only which images are kept; each job's outputs and sampled parameters are
// derived on demand by Outputs, so the plan's size does not grow with the number of
// shifts' samples.
type Plan struct {
	Dataset *Dataset
	Shifts  []*PlannedShift
	Jobs    []Job
	// Total is the number of output images.
	Total  int
	format imageio.Format
}

// outputSplits returns the splits each distribution covers: reference all, shifted val.
func outputSplits(ds *Dataset, d shifts.Distribution) []string {
	var s []string
	for _, sp := range ds.Splits {
		if d == shifts.Reference || sp.Name == "val" {
			s = append(s, sp.Name)
		}
	}
	return s
}

// MakePlan decides every output of every shift. It is pure: the same dataset, shifts
// and options give the same plan.
func MakePlan(ds *Dataset, specs []string, built []shifts.Shift, o *Options) (*Plan, error) {
	p := &Plan{Dataset: ds, format: o.Format}
	if ds.Split("val") == nil {
		return nil, fmt.Errorf("the shifted distribution is written for the val split, but %s has no val split (only %s); add a val/ folder or point --in at a folder of class folders", ds.Root, ds.Splits[0].Name)
	}
	needed := map[string][]bool{} // split -> index -> some output reads it
	for _, sp := range ds.Splits {
		needed[sp.Name] = make([]bool, len(sp.Sources))
	}
	for si, sh := range built {
		dir, err := DirName(specs[si])
		if err != nil {
			return nil, err
		}
		if o.Layout == ImageNetCLayout {
			dir = imagenetCDir(specs[si])
		}
		ps := &PlannedShift{Spec: specs[si], Dir: dir, Shift: sh, Rates: map[string][]float64{}}
		if b, ok := sh.(shifts.Bounded); ok {
			for _, sp := range ds.Splits {
				if len(sp.Sources) > b.MaxItems() {
					return nil, fmt.Errorf("shift %s: split %s has %d images but the tint table has %d entries; raise --tint-table-size", specs[si], sp.Name, len(sp.Sources), b.MaxItems())
				}
			}
		}
		for _, d := range []shifts.Distribution{shifts.Reference, shifts.Shifted} {
			if o.Layout == ImageNetCLayout && d == shifts.Reference {
				continue
			}
			for _, split := range outputSplits(ds, d) {
				sp := ds.Split(split)
				fp := folderPlan{dist: d, split: split, prefix: string(d) + "/" + split + "/"}
				if o.Layout == ImageNetCLayout {
					fp.prefix = ""
				}
				if sel, ok := sh.(shifts.Selector); ok {
					items := make([]shifts.Item, len(sp.Sources))
					for i, src := range sp.Sources {
						items[i] = shifts.Item{Split: split, Index: src.Index, Label: src.Label}
					}
					var rates []float64
					fp.keep, rates = sel.Keep(d, split, items)
					ps.Rates[string(d)+"/"+split] = rates
				}
				if err := checkClassNames(ds, fp.prefix, dir, o.Layout); err != nil {
					return nil, err
				}
				fp.renamed = renames(sp.Sources, fp.keep, o.Format)
				for i := range sp.Sources {
					if fp.keep == nil || fp.keep[i] {
						needed[split][i] = true
						p.Total++
					}
				}
				ps.folders = append(ps.folders, fp)
			}
		}
		p.Shifts = append(p.Shifts, ps)
	}
	// Jobs no output reads (dropped by every selector) are not read at all.
	for _, sp := range ds.Splits {
		for i, src := range sp.Sources {
			if needed[sp.Name][i] {
				p.Jobs = append(p.Jobs, Job{Seq: len(p.Jobs), Split: sp.Name, Source: src, Abs: joinSource(sp.Dir, src.Path)})
			}
		}
	}
	return p, nil
}

// Outputs returns every output made from job j, shift by shift, in record order, with
// the shifts' samples.
func (p *Plan) Outputs(j *Job) []Output {
	var outs []Output
	for si, ps := range p.Shifts {
		for _, fp := range ps.folders {
			if fp.split != j.Split || (fp.keep != nil && !fp.keep[j.Source.Index]) {
				continue
			}
			rel, ok := fp.renamed[j.Source.Path]
			if !ok {
				rel = stemPath(j.Source.Path, p.format)
			}
			it := shifts.Item{Split: j.Split, Index: j.Source.Index, Label: j.Source.Label}
			outs = append(outs, Output{Shift: si, Distribution: fp.dist, Path: fp.prefix + rel, Sample: ps.Shift.Sample(fp.dist, it)})
		}
	}
	return outs
}

// stemPath maps "class/sub/x.JPEG" to "class/sub/x.jpg".
func stemPath(src string, f imageio.Format) string {
	return strings.TrimSuffix(src, path.Ext(src)) + f.Ext()
}

// renames finds kept sources whose output names collide ("x.JPEG" and "x.png" both
// become "x.jpg") and gives the later ones the source extension: "x_png.jpg".
func renames(srcs []Source, keep []bool, f imageio.Format) map[string]string {
	used := map[string]bool{}
	var out map[string]string
	for i, s := range srcs {
		if keep != nil && !keep[i] {
			continue
		}
		rel := stemPath(s.Path, f)
		if !used[rel] {
			used[rel] = true
			continue
		}
		ext := path.Ext(s.Path)
		stem := strings.TrimSuffix(s.Path, ext)
		alt := stem + "_" + strings.ToLower(strings.TrimPrefix(ext, ".")) + f.Ext()
		for n := 2; used[alt]; n++ {
			alt = fmt.Sprintf("%s_%d%s", stem, n, f.Ext())
		}
		used[alt] = true
		if out == nil {
			out = map[string]string{}
		}
		out[s.Path] = alt
	}
	return out
}

// checkClassNames refuses class folders whose output folder, prefix+class inside the
// dataset folder dir, would collide with the dataset's own files (a class named ".work"
// in the ImageNet-C layout would write into the journal folder).
func checkClassNames(ds *Dataset, prefix, dir string, layout Layout) error {
	for _, c := range ds.Classes {
		err := manifests.CheckName(prefix + c)
		if err == nil && c == imagefolder.FileName {
			err = fmt.Errorf("%q would collide with the Hugging Face metadata file of the folder", prefix+c)
		}
		if err != nil {
			hint := "rename the class folder"
			if layout == ImageNetCLayout {
				hint += ", or use --layout default (which writes classes below reference/ and shifted/)"
			}
			return fmt.Errorf("class folder %q of %s cannot be written to OUT/%s: the name %v; %s", c, ds.Root, dir, err, hint)
		}
	}
	return nil
}

func joinSource(dir, rel string) string {
	return dir + "/" + rel
}

// imagenetCDir is "<name>/<severity>" for the ImageNet-C layout.
func imagenetCDir(spec string) string {
	name, settings, _ := shifts.ParseSpec(spec)
	sev := settings["severity"]
	if sev == "" {
		sev = "3"
	}
	return name + "/" + sev
}

// paramsJSON renders a shift's parameters for the manifest.
func paramsJSON(sh shifts.Shift) (json.RawMessage, error) {
	b, err := json.Marshal(sh.Params())
	if err != nil {
		return nil, fmt.Errorf("shift %s: parameters: %w", sh.Name(), err)
	}
	if string(b) == "null" {
		b = []byte("{}")
	}
	return b, nil
}
