// Package npy reads NumPy .npy files: one hardened header reader, and the values of
// numeric arrays as float64. eval reads predictions and logits with it, supportsplit
// features and scores. Nothing in a file can make it panic or allocate more than the
// header's bounded length before the caller has checked the shape.
package npy
