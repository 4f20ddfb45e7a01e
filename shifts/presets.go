package shifts

import (
	"fmt"

	"github.com/shiftgen/shiftgen/shifts/imagenetc"
)

// The paper's parameter sweeps (appendix C): spurious tint with p_spurious in
// {0.5, …, 0.9}, label shift with p_minority in {0.1, …, 0.3}. Figure 4 uses the first
// value of the tint sweep and the middle one of the label-shift sweep.
var (
	paperSpuriousP = []string{"0.5", "0.6", "0.7", "0.8", "0.9"}
	paperMinorityP = []string{"0.1", "0.15", "0.2", "0.25", "0.3"}
)

// paperMain is Figure 4's suite: one in-support and one out-of-support shift of each
// family (spurious tint p = 0.5, label shift p = 0.2, unseen tint, vertical flip).
var paperMain = []string{"spurious-tint:p=0.5", "label-shift:p=0.2", "unseen-tint", "vflip"}

// presets lists named groups of shifts, sorted by Presets.
func presets() []Preset {
	var common, extra []string
	for _, c := range imagenetc.Catalogue() {
		for s := 1; s <= 5; s++ {
			spec := fmt.Sprintf("%s:severity=%d", c.Name, s)
			if c.Common {
				common = append(common, spec)
			} else {
				extra = append(extra, spec)
			}
		}
	}
	var paper []string
	for _, p := range paperSpuriousP {
		paper = append(paper, "spurious-tint:p="+p)
	}
	for _, p := range paperMinorityP {
		paper = append(paper, "label-shift:p="+p)
	}
	paper = append(paper, "unseen-tint", "vflip")
	return []Preset{
		{Name: "imagenet-c", Description: "the 15 ImageNet-C corruptions at severities 1-5", Specs: common},
		{Name: "imagenet-c-extra", Description: "the 4 ImageNet-C validation corruptions (speckle-noise, gaussian-blur, spatter, saturate) at severities 1-5", Specs: extra},
		{Name: "paper", Description: "the paper's ImageNet synthetic suite (appendix C): the in-support sweeps spurious tint p = 0.5 to 0.9 and label shift p = 0.1 to 0.3, and the out-of-support unseen tint and vertical flip", Specs: paper},
		{Name: "paper-main", Description: "the four shifts of the paper's Figure 4: spurious tint (p = 0.5) and label shift (p = 0.2), in-support; unseen tint and vertical flip, out-of-support", Specs: append([]string(nil), paperMain...)},
		{Name: "paper-cifar", Description: "the paper's CIFAR-10 variant (appendix C.3.1), out-of-support: untouched 32×32 reference images; every shifted image tinted with its random class's colour and framed by 6 black pixels on every side (44×44); run it on CIFAR-10 folders with --preprocess none", Specs: []string{"pad:pixels=6,tint=true"}},
	}
}
