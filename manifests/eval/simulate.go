package eval

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/shiftgen/shiftgen/manifests"
)

// SimulationNote labels every output of Simulate: the predictions are made up.
const SimulationNote = "SIMULATED predictions: made up by shiftgen reproduce predictions to preview the paper's figures, not made by any trained model"

// SimulationFile is the file, in Simulate's output folder, that records the simulation:
// its note, seed, groups and, per dataset, its line and every model's target and
// realised accuracies. Its presence marks a folder Simulate wrote.
const SimulationFile = "simulation.json"

// SimGroup is one group of simulated models.
type SimGroup struct {
	// Name is the group's name, as models.csv and every report show it.
	Name string `json:"group"`
	// Prefix starts the models' names: Prefix-1, Prefix-2, ….
	Prefix string `json:"prefix"`
	// Models is the number of models (at least 1; a baseline group needs 3 for a fit).
	Models int `json:"models"`
	// Baseline marks models trained from scratch: they sit on each dataset's line.
	Baseline bool `json:"baseline"`
	// RefLow and RefHigh bound the models' reference accuracies (fractions in (0, 1)):
	// model i of n is centred at RefLow + (RefHigh−RefLow)·i/(n−1).
	RefLow  float64 `json:"ref_low"`
	RefHigh float64 `json:"ref_high"`
	// Gain is the effective robustness (a fraction) the group's models have on
	// out-of-support shifts, by construction; on in-support shifts they sit on the line.
	Gain float64 `json:"out_of_support_gain"`
}

// SimGroups returns the groups Simulate uses by default: 8 baselines spread over
// reference accuracies of 35–85 %, and two groups of 5 "pre-trained" models with
// effective robustness +8 pp and +3 pp on out-of-support shifts.
func SimGroups() []SimGroup {
	return []SimGroup{
		{Name: "scratch (simulated)", Prefix: "sim-scratch", Models: 8, Baseline: true, RefLow: 0.35, RefHigh: 0.85},
		{Name: "pre-trained A (simulated)", Prefix: "sim-pretrained-a", Models: 5, RefLow: 0.55, RefHigh: 0.85, Gain: 0.08},
		{Name: "pre-trained B (simulated)", Prefix: "sim-pretrained-b", Models: 5, RefLow: 0.5, RefHigh: 0.8, Gain: 0.03},
	}
}

// SimConfig configures Simulate. The zero value of a field means its default.
type SimConfig struct {
	// Manifests are the generated datasets, as --manifest takes them (see
	// ExpandManifests).
	Manifests []string
	// Out is the folder written (required): OUT/NAME/MODEL.csv per dataset NAME (its
	// folder relative to the folder holding every dataset, as eval names it), with
	// distribution,split,index,prediction,simulated rows (the images' records name them
	// so whatever the output kind), plus OUT/models.csv and OUT/simulation.json.
	Out string
	// Split is the split simulated (default "val").
	Split string
	// Seed keys every random draw.
	Seed uint64
	// Groups are the simulated models (default SimGroups()).
	Groups []SimGroup
	// Force replaces an Out that a previous simulation wrote (one holding
	// SimulationFile); any other non-empty Out is refused.
	Force bool
	// Workers decode records (0: all cores).
	Workers int
}

// Simulation is what Simulate wrote; its JSON form is OUT/simulation.json.
type Simulation struct {
	Note     string       `json:"note"`
	Seed     uint64       `json:"seed"`
	Split    string       `json:"split"`
	Scale    Scale        `json:"scale"`
	Groups   []SimGroup   `json:"groups"`
	Datasets []SimDataset `json:"datasets"`
	// Out is the folder written and Files the number of prediction files in it.
	Out   string `json:"-"`
	Files int    `json:"-"`
}

// SimDataset is one dataset's simulation: the probit line its baselines follow,
// probit(shift) = Slope·probit(ref) + Intercept, and every model's accuracies.
type SimDataset struct {
	Dataset   string     `json:"dataset"`
	Manifest  string     `json:"manifest"`
	Shift     string     `json:"shift"`
	Kind      string     `json:"kind"`
	Slope     float64    `json:"slope"`
	Intercept float64    `json:"intercept"`
	Ref       int        `json:"ref_images"`
	Shifted   int        `json:"shift_images"`
	Models    []SimModel `json:"models"`
}

// SimModel is one model's accuracies on one dataset. RefCorrect = round(TargetRef·n)
// of the n reference images are predicted right; TargetShift is the line's value at
// the realised reference accuracy RefCorrect/n, plus the group's gain on an
// out-of-support shift (clamped to [0, 1]), and ShiftCorrect = round(TargetShift·m) of
// the m shifted images are predicted right.
type SimModel struct {
	Model        string  `json:"model"`
	Group        string  `json:"group"`
	Baseline     bool    `json:"baseline"`
	TargetRef    float64 `json:"target_ref_acc"`
	RefCorrect   int     `json:"ref_correct"`
	TargetShift  float64 `json:"target_shift_acc"`
	ShiftCorrect int     `json:"shift_correct"`
}

// simModel is a model of a group, with its centre reference accuracy.
type simModel struct {
	name, group string
	baseline    bool
	centre      float64
	gain        float64
}

// Simulate writes made-up predictions for generated datasets, in the layout eval
// reads, so that the paper's figures can be previewed before any model is trained:
//
//   - each dataset gets a probit line, probit(shift) = a·probit(ref) + b, with a and b
//     drawn from the seed and the dataset's name;
//   - each model gets a reference accuracy (its group's spread, nudged per dataset);
//     baselines' shifted accuracies lie on the line, other groups' on the line plus
//     their Gain on out-of-support shifts and on the line on in-support ones, as the
//     paper's logistic-regression picture has it (Logreg);
//   - exactly round(acc·n) images of each side are predicted right, the first of a
//     seeded permutation of the side's images in index order; the others get a wrong
//     label drawn uniformly from the other classes.
//
// Every draw comes from a generator keyed by the seed, the dataset's name, the model
// and the side, so the output depends on nothing else (not on Workers). The output
// folder is written under a temporary name and renamed into place when complete.
func Simulate(ctx context.Context, cfg SimConfig) (*Simulation, error) {
	if cfg.Out == "" {
		return nil, errors.New("no output folder given; pass --out")
	}
	if cfg.Split == "" {
		cfg.Split = "val"
	}
	if cfg.Groups == nil {
		cfg.Groups = SimGroups()
	}
	models, err := simModels(cfg.Groups)
	if err != nil {
		return nil, err
	}
	paths, err := ExpandManifests(cfg.Manifests)
	if err != nil {
		return nil, err
	}
	dirs := make([]string, len(paths))
	inputs := make([]manifests.Input, len(paths))
	for i, p := range paths {
		if dirs[i], err = filepath.Abs(filepath.Dir(p)); err != nil {
			return nil, err
		}
		inputs[i] = manifests.Input{Flag: "--manifest", Path: filepath.Dir(p)}
	}
	names := datasetNames(dirs)
	if err := manifests.CheckNesting(cfg.Out, "--out", inputs); err != nil {
		return nil, err
	}
	tmp, err := startOutput(cfg.Out, cfg.Force)
	if err != nil {
		return nil, err
	}
	done := false
	defer func() {
		if !done {
			os.RemoveAll(tmp)
		}
	}()
	sim := &Simulation{Note: SimulationNote, Seed: cfg.Seed, Split: cfg.Split, Scale: Probit, Groups: cfg.Groups, Out: cfg.Out}
	for k, p := range paths {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		d, err := loadSimDataset(ctx, p, cfg)
		if err != nil {
			return nil, err
		}
		sd, err := simulateDataset(d, names[k], p, models, cfg.Seed, filepath.Join(tmp, filepath.FromSlash(names[k])))
		if err != nil {
			return nil, err
		}
		sim.Datasets = append(sim.Datasets, sd)
		sim.Files += len(models)
	}
	var table bytes.Buffer
	cw := csv.NewWriter(&table)
	cw.Write([]string{"model", "group", "baseline", "simulated"})
	for _, m := range models {
		cw.Write([]string{m.name, m.group, strconv.FormatBool(m.baseline), "yes"})
	}
	cw.Flush()
	if err := manifests.WriteFileAtomic(filepath.Join(tmp, "models.csv"), table.Bytes()); err != nil {
		return nil, err
	}
	js, err := json.MarshalIndent(sim, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := manifests.WriteFileAtomic(filepath.Join(tmp, SimulationFile), append(js, '\n')); err != nil {
		return nil, err
	}
	if err := finishOutput(tmp, cfg.Out); err != nil {
		return nil, err
	}
	done = true
	return sim, nil
}

// simModels lists the groups' models, checking the groups.
func simModels(groups []SimGroup) ([]simModel, error) {
	var out []simModel
	seen := map[string]bool{}
	baselines := 0
	for _, g := range groups {
		switch {
		case g.Name == "" || g.Prefix == "":
			return nil, fmt.Errorf("simulated group %+v: name and prefix are required", g)
		case g.Models < 1:
			return nil, fmt.Errorf("simulated group %s: %d models; want at least 1", g.Name, g.Models)
		case !(g.RefLow > 0 && g.RefLow <= g.RefHigh && g.RefHigh < 1):
			return nil, fmt.Errorf("simulated group %s: reference accuracies %v to %v; want 0 < low <= high < 1", g.Name, g.RefLow, g.RefHigh)
		case g.Baseline && g.Gain != 0:
			return nil, fmt.Errorf("simulated group %s: baselines sit on the line; their gain must be 0", g.Name)
		}
		for i := range g.Models {
			c := g.RefLow
			if g.Models > 1 {
				c += (g.RefHigh - g.RefLow) * float64(i) / float64(g.Models-1)
			}
			name := fmt.Sprintf("%s-%d", g.Prefix, i+1)
			if seen[name] {
				return nil, fmt.Errorf("simulated model %s is named twice; give the groups distinct prefixes", name)
			}
			seen[name] = true
			out = append(out, simModel{name: name, group: g.Name, baseline: g.Baseline, centre: c, gain: g.Gain})
			if g.Baseline {
				baselines++
			}
		}
	}
	if baselines < 3 {
		return nil, fmt.Errorf("the simulated groups hold %d baselines; the fit needs at least 3", baselines)
	}
	return out, nil
}

// loadSimDataset reads a dataset to simulate: a generated dataset with reference and
// shifted images of the split, at least two classes and an in-support or
// out-of-support shift.
func loadSimDataset(ctx context.Context, path string, cfg SimConfig) (*Dataset, error) {
	m, err := manifests.ReadManifest(path)
	if err != nil {
		return nil, err
	}
	if m.Shift.Kind != "in-support" && m.Shift.Kind != "out-of-support" {
		return nil, fmt.Errorf("%s: a shift of kind %q; the simulation knows in-support and out-of-support shifts only", path, m.Shift.Kind)
	}
	if len(m.Classes) < 2 {
		return nil, fmt.Errorf("%s: %d class; a wrong prediction needs at least 2", path, len(m.Classes))
	}
	for _, dist := range distNames {
		if !hasImages(m, dist, cfg.Split) {
			return nil, fmt.Errorf("%s: no %s image of split %s; the simulation needs both distributions of the split (pass --split with one they share)", path, dist, cfg.Split)
		}
	}
	return loadDataset(ctx, path, loadOptions{split: cfg.Split, workers: cfg.Workers})
}

// simulateDataset draws dataset d's line and every model's predictions, writes them as
// DIR/MODEL.csv and returns the record of what it drew.
func simulateDataset(d *Dataset, name, manifest string, models []simModel, seed uint64, dir string) (SimDataset, error) {
	m := d.Manifest
	var sides [2][]int32
	for i, im := range d.images {
		sides[im.dist] = append(sides[im.dist], int32(i))
	}
	for _, s := range sides {
		sort.Slice(s, func(a, b int) bool { return d.images[s[a]].index < d.images[s[b]].index })
	}
	line := newSimRand(seed, "line", name)
	sd := SimDataset{Dataset: name, Manifest: manifest, Shift: specOf(&ShiftInfo{Name: m.Shift.Name, Spec: m.Shift.Spec}), Kind: m.Shift.Kind,
		Slope: 0.85 + 0.3*line.float(), Intercept: -0.3 - 0.6*line.float(), Ref: len(sides[distRef]), Shifted: len(sides[distShift])}
	out := m.Shift.Kind == "out-of-support"
	k := len(m.Classes)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return sd, err
	}
	for _, md := range models {
		r := newSimRand(seed, "reference accuracy", name+"/"+md.name)
		ref := Probit.Inv(Probit.T(md.centre) + 0.1*r.normal())
		sm := SimModel{Model: md.name, Group: md.group, Baseline: md.baseline, TargetRef: ref}
		sm.RefCorrect = int(math.Round(ref * float64(sd.Ref)))
		realised := float64(sm.RefCorrect) / float64(sd.Ref)
		shift := Probit.Inv(sd.Slope*Probit.T(realised) + sd.Intercept)
		if out {
			shift += md.gain
		}
		sm.TargetShift = math.Min(math.Max(shift, 0), 1)
		sm.ShiftCorrect = int(math.Round(sm.TargetShift * float64(sd.Shifted)))
		pred := make([]int32, len(d.images))
		for side, ids := range sides {
			right := sm.RefCorrect
			if side == distShift {
				right = sm.ShiftCorrect
			}
			g := newSimRand(seed, "images", name+"/"+md.name+"/"+distNames[side])
			for j, pos := range g.perm(len(ids)) {
				im := d.images[ids[pos]]
				if j < right {
					pred[ids[pos]] = im.label
					continue
				}
				pred[ids[pos]] = int32((int(im.label) + 1 + g.intn(k-1)) % k)
			}
		}
		var b bytes.Buffer
		cw := csv.NewWriter(&b)
		cw.Write([]string{"distribution", "split", "index", "prediction", "simulated"})
		for side, ids := range sides {
			for _, id := range ids {
				cw.Write([]string{distNames[side], d.Split, strconv.Itoa(d.images[id].index), strconv.Itoa(int(pred[id])), "yes"})
			}
		}
		cw.Flush()
		if err := manifests.WriteFileAtomic(filepath.Join(dir, md.name+".csv"), b.Bytes()); err != nil {
			return sd, err
		}
		sd.Models = append(sd.Models, sm)
	}
	return sd, nil
}

// simRand is a generator keyed by the seed, a purpose and a name. Its draws are ours
// (not math/rand's methods, whose algorithms may change between Go releases), so the
// simulation's output stays the same.
type simRand struct{ src *rand.PCG }

func newSimRand(seed uint64, purpose, name string) *simRand {
	return &simRand{rand.NewPCG(seed, keyStream("simulate/"+purpose+"/"+name))}
}

// float returns a uniform value in [0, 1) with 53 random bits.
func (r *simRand) float() float64 { return float64(r.src.Uint64()>>11) / (1 << 53) }

// normal returns a standard normal value (Box–Muller).
func (r *simRand) normal() float64 {
	u := 1 - r.float() // in (0, 1]
	return math.Sqrt(-2*math.Log(u)) * math.Cos(2*math.Pi*r.float())
}

// intn returns a uniform integer in [0, n), n > 0, by rejection: no modulo bias.
func (r *simRand) intn(n int) int {
	m := uint64(n)
	limit := -m % m // 2^64 mod m: values below it would favour small results
	for {
		if v := r.src.Uint64(); v >= limit {
			return int(v % m)
		}
	}
}

// perm returns a uniform permutation of 0..n-1 (Fisher–Yates).
func (r *simRand) perm(n int) []int {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	for i := n - 1; i > 0; i-- {
		j := r.intn(i + 1)
		p[i], p[j] = p[j], p[i]
	}
	return p
}

// startOutput checks out and makes the temporary folder the simulation is written into,
// beside out. An existing, non-empty out is refused unless force is set and it holds a
// previous simulation.
func startOutput(out string, force bool) (string, error) {
	entries, err := os.ReadDir(out)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return "", fmt.Errorf("--out %s: %w", out, err)
	case len(entries) > 0 && !force:
		return "", fmt.Errorf("--out %s exists and is not empty; pass --force to replace a folder this command wrote, or choose another --out", out)
	case len(entries) > 0:
		if _, err := os.Stat(filepath.Join(out, SimulationFile)); err != nil {
			return "", fmt.Errorf("--out %s holds no %s, so this command did not write it; --force replaces only a simulation's folder: choose another --out", out, SimulationFile)
		}
	}
	parent := filepath.Dir(filepath.Clean(out))
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return "", fmt.Errorf("--out %s: %w", out, err)
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(filepath.Clean(out))+".tmp-*")
	if err != nil {
		return "", fmt.Errorf("--out %s: %w", out, err)
	}
	return tmp, nil
}

// finishOutput puts the complete folder tmp in out's place, and removes what out held.
func finishOutput(tmp, out string) error {
	old := ""
	if _, err := os.Lstat(out); err == nil {
		o, err := os.MkdirTemp(filepath.Dir(tmp), "."+filepath.Base(filepath.Clean(out))+".tmp-*")
		if err != nil {
			return fmt.Errorf("--out %s: %w", out, err)
		}
		// An empty folder may be replaced by a rename on every system.
		if err := os.Remove(o); err != nil {
			return err
		}
		if err := os.Rename(out, o); err != nil {
			return fmt.Errorf("--out %s: cannot replace it: %w", out, err)
		}
		old = o
	}
	if err := os.Rename(tmp, out); err != nil {
		if old != "" {
			os.Rename(old, out)
		}
		return fmt.Errorf("--out %s: %w", out, err)
	}
	if old != "" {
		return os.RemoveAll(old)
	}
	return nil
}

// Write prints what the simulation wrote, led by its note.
func (s *Simulation) Write(w io.Writer) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s\n\n", SimulationNote)
	rows := [][]string{{"group", "models", "shifted accuracy"}}
	for _, g := range s.Groups {
		where := fmt.Sprintf("on the line for in-support shifts, ER %s pp for out-of-support ones", pp(g.Gain))
		if g.Baseline {
			where = "on the line (the baselines)"
		}
		rows = append(rows, []string{g.Name, strconv.Itoa(g.Models), where})
	}
	writeRows(&b, rows, false, 1)
	kinds := map[string]int{}
	for _, d := range s.Datasets {
		kinds[d.Kind]++
	}
	var ks []string
	for _, k := range sortedKeys(kinds) {
		ks = append(ks, fmt.Sprintf("%d %s", kinds[k], k))
	}
	fmt.Fprintf(&b, "\n%d datasets (%s), split %s, seed %d; each has its own probit line\n", len(s.Datasets), strings.Join(ks, ", "), s.Split, s.Seed)
	fmt.Fprintf(&b, "wrote %d prediction files into %s (one folder per dataset), %s and %s\n", s.Files, s.Out,
		filepath.Join(s.Out, "models.csv"), filepath.Join(s.Out, SimulationFile))
	_, err := w.Write(b.Bytes())
	return err
}
