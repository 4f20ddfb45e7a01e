package shifts

// lightingTransforms lists the out-of-support lighting family.
func lightingTransforms() []TransformEntry { return nil }
