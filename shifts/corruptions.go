package shifts

import (
	"fmt"
	"image"

	"github.com/shiftgen/shiftgen/shifts/imagenetc"
)

// The ImageNet-C family: the 19 corruptions of Hendrycks & Dietterich (2019) as
// implemented by bethgelab/imagecorruptions (package imagenetc holds the kernels and
// their severity tables). Each is an out-of-support shift NAME with its in-support twin
// spurious-NAME; every parameter a user leaves unset comes from the severity row.

// Corruption adapts an imagenetc corruption to a Transform. Its JSON form, recorded in
// manifests, names the corruption and its severity and holds every parameter that ran.
type Corruption struct {
	// Name is the registry name, e.g. "gaussian-noise".
	Name string `json:"corruption"`
	// Severity is the table row the parameters started from (1..5).
	Severity int `json:"severity"`
	// Params is the corruption and its parameters.
	Params imagenetc.Corruption `json:"params"`
}

// Apply corrupts img (in place or into a new image of the same size). Random draws come
// from the stream of k with the corruption's name appended to its purpose, so they
// depend only on (seed, split, index) and the corruption: the same image gets the same
// draws at every severity (common random numbers), and different corruptions get
// independent ones.
func (c Corruption) Apply(img *image.RGBA, k Key) *image.RGBA {
	k.Purpose += "/" + c.Name
	return c.Params.Corrupt(img, k.Rand())
}

// corruptionTransforms lists the 19 ImageNet-C corruptions in imagecorruptions' order.
func corruptionTransforms() []TransformEntry {
	wrap := func(name string, v Values, p imagenetc.Corruption) (Transform, error) {
		return Corruption{Name: name, Severity: severityIndex(v) + 1, Params: p}, nil
	}
	return []TransformEntry{
		{
			Name:        "gaussian-noise",
			Description: "ImageNet-C gaussian noise: x + N(0, sigma²) per channel, clipped",
			Params: []Param{Severity,
				severityParam("sigma", Float, 0, 2, "noise standard deviation on the [0, 1] scale", func(i int) float64 { return imagenetc.GaussianNoiseSeverities[i].Sigma }),
				seedParam("noise_seed", "the noise")},
			New: func(v Values, _ Env) (Transform, error) {
				t := imagenetc.GaussianNoiseSeverities[severityIndex(v)]
				setFloat(v, "sigma", &t.Sigma)
				setSeed(v, "noise_seed", &t.Seed)
				return wrap("gaussian-noise", v, t)
			},
		},
		{
			Name:        "shot-noise",
			Description: "ImageNet-C shot noise: Poisson photon counts, Poisson(photons·x)/photons",
			Params: []Param{Severity,
				severityParam("photons", Float, 0.01, 1e6, "expected photon count at full scale; fewer is noisier", func(i int) float64 { return imagenetc.ShotNoiseSeverities[i].Photons }),
				seedParam("noise_seed", "the noise")},
			New: func(v Values, _ Env) (Transform, error) {
				t := imagenetc.ShotNoiseSeverities[severityIndex(v)]
				setFloat(v, "photons", &t.Photons)
				setSeed(v, "noise_seed", &t.Seed)
				return wrap("shot-noise", v, t)
			},
		},
		{
			Name:        "impulse-noise",
			Description: "ImageNet-C impulse noise: salt and pepper on each channel value",
			Params: []Param{Severity,
				severityParam("amount", Float, 0, 1, "probability that a channel value becomes 0 or 255", func(i int) float64 { return imagenetc.ImpulseNoiseSeverities[i].Amount }),
				seedParam("noise_seed", "the noise")},
			New: func(v Values, _ Env) (Transform, error) {
				t := imagenetc.ImpulseNoiseSeverities[severityIndex(v)]
				setFloat(v, "amount", &t.Amount)
				setSeed(v, "noise_seed", &t.Seed)
				return wrap("impulse-noise", v, t)
			},
		},
		{
			Name:        "defocus-blur",
			Description: "ImageNet-C defocus blur: an anti-aliased disk kernel",
			Params: []Param{Severity,
				severityParam("radius", Int, 0, 32, "disk radius in pixels", func(i int) float64 { return float64(imagenetc.DefocusBlurSeverities[i].Radius) }),
				severityParam("alias_blur", Float, 0.01, 5, "sigma of the Gaussian that anti-aliases the disk", func(i int) float64 { return imagenetc.DefocusBlurSeverities[i].AliasBlur })},
			New: func(v Values, _ Env) (Transform, error) {
				t := imagenetc.DefocusBlurSeverities[severityIndex(v)]
				setInt(v, "radius", &t.Radius)
				setFloat(v, "alias_blur", &t.AliasBlur)
				return wrap("defocus-blur", v, t)
			},
		},
		{
			Name:        "glass-blur",
			Description: "ImageNet-C glass blur: blur, local pixel shuffling, blur",
			Params: []Param{Severity,
				severityParam("sigma", Float, 0, 10, "standard deviation of both Gaussian blurs in pixels", func(i int) float64 { return imagenetc.GlassBlurSeverities[i].Sigma }),
				severityParam("max_delta", Int, 0, 16, "largest pixel displacement of the shuffle", func(i int) float64 { return float64(imagenetc.GlassBlurSeverities[i].MaxDelta) }),
				severityParam("iterations", Int, 0, 10, "number of shuffling sweeps", func(i int) float64 { return float64(imagenetc.GlassBlurSeverities[i].Iterations) }),
				seedParam("shuffle_seed", "the pixel shuffle")},
			New: func(v Values, _ Env) (Transform, error) {
				t := imagenetc.GlassBlurSeverities[severityIndex(v)]
				setFloat(v, "sigma", &t.Sigma)
				setInt(v, "max_delta", &t.MaxDelta)
				setInt(v, "iterations", &t.Iterations)
				setSeed(v, "shuffle_seed", &t.Seed)
				return wrap("glass-blur", v, t)
			},
		},
		{
			Name:        "motion-blur",
			Description: "ImageNet-C motion blur: a half-Gaussian line kernel at a random angle",
			Params: []Param{Severity,
				severityParam("radius", Int, 0, 64, "kernel half-width: 2·radius+1 taps", func(i int) float64 { return float64(imagenetc.MotionBlurSeverities[i].Radius) }),
				severityParam("sigma", Float, 0.1, 64, "standard deviation of the half Gaussian, in taps", func(i int) float64 { return imagenetc.MotionBlurSeverities[i].Sigma }),
				{Name: "angle", Type: Float, Min: -180, Max: 180, Drawn: true,
					Doc: "direction in degrees (0 is to the right, positive is down); unset draws it per image uniformly from [-45, 45) and records it"}},
			New: func(v Values, _ Env) (Transform, error) {
				t := imagenetc.MotionBlurSeverities[severityIndex(v)]
				setInt(v, "radius", &t.Radius)
				setFloat(v, "sigma", &t.Sigma)
				if a, ok := v["angle"]; ok {
					t.Angle = &a
				}
				return wrap("motion-blur", v, t)
			},
		},
		{
			Name:        "zoom-blur",
			Description: "ImageNet-C zoom blur: the mean of the image zoomed by 1, 1+step, ... below stop",
			Params: []Param{Severity,
				severityParam("stop", Float, 1, 3, "exclusive upper end of the zoom factors", func(i int) float64 { return imagenetc.ZoomBlurSeverities[i].Stop }),
				severityParam("step", Float, 0.001, 1, "spacing of the zoom factors", func(i int) float64 { return imagenetc.ZoomBlurSeverities[i].Step })},
			New: func(v Values, _ Env) (Transform, error) {
				t := imagenetc.ZoomBlurSeverities[severityIndex(v)]
				setFloat(v, "stop", &t.Stop)
				setFloat(v, "step", &t.Step)
				if len(t.Factors()) > 200 {
					return nil, fmt.Errorf("zoom-blur: stop=%v and step=%v give %d zoom factors; at most 200 are allowed", t.Stop, t.Step, len(t.Factors()))
				}
				return wrap("zoom-blur", v, t)
			},
		},
		{
			Name:        "snow",
			Description: "ImageNet-C snow: a zoomed, thresholded, motion-blurred noise layer over a brightened image",
			Params: []Param{Severity,
				{Name: "angle", Type: Float, Min: -180, Max: 180, Drawn: true,
					Doc: "direction of the flakes' streaks in degrees (0 is to the right, positive is down); unset draws it per image uniformly from [-135, -45) and records it"},
				seedParam("flake_seed", "the snow layer's noise")},
			New: func(v Values, _ Env) (Transform, error) {
				t := imagenetc.SnowSeverities[severityIndex(v)]
				setDrawnFloat(v, "angle", &t.Angle)
				setSeed(v, "flake_seed", &t.Seed)
				return wrap("snow", v, t)
			},
		},
		{
			Name:        "frost",
			Description: "ImageNet-C frost: a random crop of a frost texture blended over the image (procedural textures, or --frost-textures DIR)",
			Params: []Param{Severity,
				severityParam("image_weight", Float, 0, 2, "weight of the image", func(i int) float64 { return imagenetc.FrostSeverities[i].ImageWeight }),
				severityParam("frost_weight", Float, 0, 2, "weight of the frost texture", func(i int) float64 { return imagenetc.FrostSeverities[i].FrostWeight }),
				{Name: "texture", Type: Int, Min: 0, Max: 99, Drawn: true,
					Doc: "index of the frost texture (0-4 for the procedural ones, else in --frost-textures name order); unset draws it per image and records it"},
				{Name: "crop_y", Type: Float, Min: 0, Max: 1, Drawn: true,
					Doc: "crop position in the enlarged texture as a fraction of the free rows, in [0, 1); unset draws it per image and records it"},
				{Name: "crop_x", Type: Float, Min: 0, Max: 1, Drawn: true,
					Doc: "crop position in the enlarged texture as a fraction of the free columns, in [0, 1); unset draws it per image and records it"}},
			New: func(v Values, env Env) (Transform, error) {
				t := imagenetc.FrostSeverities[severityIndex(v)]
				setFloat(v, "image_weight", &t.ImageWeight)
				setFloat(v, "frost_weight", &t.FrostWeight)
				t.TextureSeed = env.Seed
				if env.FrostTextures != "" {
					tex, err := imagenetc.LoadFrostTextures(env.FrostTextures, env.LoadImage)
					if err != nil {
						return nil, fmt.Errorf("frost: %w (set --frost-textures to a folder of PNG or JPEG frost images, or leave it unset for procedural textures)", err)
					}
					t.Textures = tex
				}
				if x, ok := v["texture"]; ok {
					i := int(x)
					if n := t.TextureCount(); i >= n {
						return nil, fmt.Errorf("frost: texture=%d does not exist: there are %d textures (0-%d)", i, n, n-1)
					}
					t.Texture = &i
				}
				setDrawnFloat(v, "crop_y", &t.CropY)
				setDrawnFloat(v, "crop_x", &t.CropX)
				return wrap("frost", v, t)
			},
		},
		{
			Name:        "fog",
			Description: "ImageNet-C fog: a grey plasma-fractal haze",
			Params: []Param{Severity,
				severityParam("strength", Float, 0, 10, "strength of the haze", func(i int) float64 { return imagenetc.FogSeverities[i].Strength }),
				severityParam("decay", Float, 0.5, 10, "how fast the fractal's detail fades per level; larger is smoother", func(i int) float64 { return imagenetc.FogSeverities[i].Decay }),
				seedParam("haze_seed", "the plasma-fractal haze")},
			New: func(v Values, _ Env) (Transform, error) {
				t := imagenetc.FogSeverities[severityIndex(v)]
				setFloat(v, "strength", &t.Strength)
				setFloat(v, "decay", &t.Decay)
				setSeed(v, "haze_seed", &t.Seed)
				return wrap("fog", v, t)
			},
		},
		{
			Name:        "brightness",
			Description: "ImageNet-C brightness: HSV value raised by delta",
			Params: []Param{Severity,
				severityParam("delta", Float, -1, 1, "added to the HSV value on [0, 1]; 0 is the identity", func(i int) float64 { return imagenetc.BrightnessSeverities[i].Delta })},
			New: func(v Values, _ Env) (Transform, error) {
				t := imagenetc.BrightnessSeverities[severityIndex(v)]
				setFloat(v, "delta", &t.Delta)
				return wrap("brightness", v, t)
			},
		},
		{
			Name:        "contrast",
			Description: "ImageNet-C contrast: every channel pulled toward its mean over the image",
			Params: []Param{Severity,
				severityParam("factor", Float, 0, 2, "deviation from the channel mean kept; 1 is the identity", func(i int) float64 { return imagenetc.ContrastSeverities[i].Factor })},
			New: func(v Values, _ Env) (Transform, error) {
				t := imagenetc.ContrastSeverities[severityIndex(v)]
				setFloat(v, "factor", &t.Factor)
				return wrap("contrast", v, t)
			},
		},
		{
			Name:        "elastic-transform",
			Description: "ImageNet-C elastic transform (imagecorruptions' version): a smooth random displacement field",
			Params: []Param{Severity,
				severityParam("alpha", Float, 0, 200, "scale of the smoothed displacement field", func(i int) float64 { return imagenetc.ElasticTransformSeverities[i].Alpha }),
				seedParam("field_seed", "the displacement field")},
			New: func(v Values, _ Env) (Transform, error) {
				t := imagenetc.ElasticTransformSeverities[severityIndex(v)]
				setFloat(v, "alpha", &t.Alpha)
				setSeed(v, "field_seed", &t.Seed)
				return wrap("elastic-transform", v, t)
			},
		},
		{
			Name:        "pixelate",
			Description: "ImageNet-C pixelate: box-filtered down by factor, nearest-neighbour back up",
			Params: []Param{Severity,
				severityParam("factor", Float, 0.01, 1, "size of the small image relative to the original; 1 is the identity", func(i int) float64 { return imagenetc.PixelateSeverities[i].Factor })},
			New: func(v Values, _ Env) (Transform, error) {
				t := imagenetc.PixelateSeverities[severityIndex(v)]
				setFloat(v, "factor", &t.Factor)
				return wrap("pixelate", v, t)
			},
		},
		{
			Name:        "jpeg-compression",
			Description: "ImageNet-C JPEG compression: libjpeg at a low quality, 4:2:0",
			Params: []Param{Severity,
				severityParam("quality", Int, 1, 100, "JPEG quality", func(i int) float64 { return float64(imagenetc.JPEGSeverities[i].Quality) })},
			New: func(v Values, _ Env) (Transform, error) {
				t := imagenetc.JPEGSeverities[severityIndex(v)]
				setInt(v, "quality", &t.Quality)
				return wrap("jpeg-compression", v, t)
			},
		},
		{
			Name:        "speckle-noise",
			Description: "ImageNet-C speckle noise (validation set): x + x·N(0, sigma²) per channel",
			Params: []Param{Severity,
				severityParam("sigma", Float, 0, 5, "standard deviation of the relative noise", func(i int) float64 { return imagenetc.SpeckleNoiseSeverities[i].Sigma }),
				seedParam("noise_seed", "the noise")},
			New: func(v Values, _ Env) (Transform, error) {
				t := imagenetc.SpeckleNoiseSeverities[severityIndex(v)]
				setFloat(v, "sigma", &t.Sigma)
				setSeed(v, "noise_seed", &t.Seed)
				return wrap("speckle-noise", v, t)
			},
		},
		{
			Name:        "gaussian-blur",
			Description: "ImageNet-C gaussian blur (validation set)",
			Params: []Param{Severity,
				severityParam("sigma", Float, 0, 50, "standard deviation in pixels", func(i int) float64 { return imagenetc.GaussianBlurSeverities[i].Sigma })},
			New: func(v Values, _ Env) (Transform, error) {
				t := imagenetc.GaussianBlurSeverities[severityIndex(v)]
				setFloat(v, "sigma", &t.Sigma)
				return wrap("gaussian-blur", v, t)
			},
		},
		{
			Name:        "spatter",
			Description: "ImageNet-C spatter (validation set): water drops (severity 1-3) or mud (4-5)",
			Params:      []Param{Severity, seedParam("liquid_seed", "the liquid field")},
			New: func(v Values, _ Env) (Transform, error) {
				t := imagenetc.SpatterSeverities[severityIndex(v)]
				setSeed(v, "liquid_seed", &t.Seed)
				return wrap("spatter", v, t)
			},
		},
		{
			Name:        "saturate",
			Description: "ImageNet-C saturate (validation set): HSV saturation scaled and offset",
			Params: []Param{Severity,
				severityParam("scale", Float, 0, 100, "multiplies the HSV saturation", func(i int) float64 { return imagenetc.SaturateSeverities[i].Scale }),
				severityParam("offset", Float, -1, 1, "added to the saturation after scaling", func(i int) float64 { return imagenetc.SaturateSeverities[i].Offset })},
			New: func(v Values, _ Env) (Transform, error) {
				t := imagenetc.SaturateSeverities[severityIndex(v)]
				setFloat(v, "scale", &t.Scale)
				setFloat(v, "offset", &t.Offset)
				return wrap("saturate", v, t)
			},
		},
	}
}
