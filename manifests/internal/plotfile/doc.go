// Package plotfile saves gonum plots to files whose extension picks the format: the one
// plot saver of eval and supportsplit. Files are written atomically.
package plotfile
