package shifts

// styleTransforms lists the out-of-support style family.
func styleTransforms() []TransformEntry { return nil }
