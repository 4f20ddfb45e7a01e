package imagenetc

// Info describes one corruption of the catalogue.
type Info struct {
	// Name is the corruption's name in shiftgen, e.g. "gaussian-noise".
	Name string
	// Reference is imagecorruptions' function name, e.g. "gaussian_noise".
	Reference string
	// Common is true for the 15 corruptions of ImageNet-C proper and false for the 4
	// validation ones (speckle noise, gaussian blur, spatter, saturate).
	Common bool
	// Random is true when the corruption draws random numbers.
	Random bool
	// Severities holds the corruption at severities 1..5 (index 0 is severity 1).
	Severities [5]Corruption
}

// Catalogue returns the 19 corruptions in imagecorruptions' order: the 15 common ones,
// then the 4 validation ones.
func Catalogue() []Info {
	return []Info{
		{"gaussian-noise", "gaussian_noise", true, true, severities(GaussianNoiseSeverities)},
		{"shot-noise", "shot_noise", true, true, severities(ShotNoiseSeverities)},
		{"impulse-noise", "impulse_noise", true, true, severities(ImpulseNoiseSeverities)},
		{"defocus-blur", "defocus_blur", true, false, severities(DefocusBlurSeverities)},
		{"glass-blur", "glass_blur", true, true, severities(GlassBlurSeverities)},
		{"motion-blur", "motion_blur", true, true, severities(MotionBlurSeverities)},
		{"zoom-blur", "zoom_blur", true, false, severities(ZoomBlurSeverities)},
		{"snow", "snow", true, true, severities(SnowSeverities)},
		{"frost", "frost", true, true, severities(FrostSeverities)},
		{"fog", "fog", true, true, severities(FogSeverities)},
		{"brightness", "brightness", true, false, severities(BrightnessSeverities)},
		{"contrast", "contrast", true, false, severities(ContrastSeverities)},
		{"elastic-transform", "elastic_transform", true, true, severities(ElasticTransformSeverities)},
		{"pixelate", "pixelate", true, false, severities(PixelateSeverities)},
		{"jpeg-compression", "jpeg_compression", true, false, severities(JPEGSeverities)},
		{"speckle-noise", "speckle_noise", false, true, severities(SpeckleNoiseSeverities)},
		{"gaussian-blur", "gaussian_blur", false, false, severities(GaussianBlurSeverities)},
		{"spatter", "spatter", false, true, severities(SpatterSeverities)},
		{"saturate", "saturate", false, false, severities(SaturateSeverities)},
	}
}

func severities[T Corruption](s [5]T) (out [5]Corruption) {
	for i, c := range s {
		out[i] = c
	}
	return out
}
