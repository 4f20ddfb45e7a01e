package resample

// Expand returns k with every weight repeated four times, the layout Horizontal reads.
func Expand(k []int32) []int32 {
	kx := make([]int32, 4*len(k))
	for i, w := range k {
		kx[4*i], kx[4*i+1], kx[4*i+2], kx[4*i+3] = w, w, w, w
	}
	return kx
}
