package shifts

// corruptionTransforms lists the ImageNet-C common corruptions.
func corruptionTransforms() []TransformEntry { return nil }

// presets lists named groups of shifts (e.g. "imagenet-c": 15 corruptions × 5 severities).
func presets() []Preset { return nil }
