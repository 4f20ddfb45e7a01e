package shifts

// corruptionTransforms lists the ImageNet-C common corruptions.
func corruptionTransforms() []TransformEntry { return nil }
