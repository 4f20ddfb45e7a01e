package shifts

var tintAlpha = Param{Name: "alpha", Type: Float, Default: 0.25, Min: 0, Max: 1,
	Doc: "blend weight of the tint colour: x' = (1-alpha)·x + alpha·colour"}

var tintTableSize = Param{Name: "tint_table_size", Type: Int, Default: DefaultTintTableSize, Min: 1, Max: 1 << 30,
	Doc: "length N of the paper's random-class and spurious tables (ImageNet train size); set by --tint-table-size"}

// paperEntries lists the paper's shifts that are not plain transforms.
func paperEntries() []Entry {
	return []Entry{
		{
			Name:        "spurious-tint",
			Kind:        InSupport,
			Description: "the paper's spurious tint: the reference tint matches the label with probability p, the shifted tint never does on purpose",
			Params: []Param{
				{Name: "p", Type: Float, Default: 0.5, Min: 0, Max: 1,
					Doc: "probability that a reference image is tinted with its own class's colour"},
				tintAlpha, tintTableSize,
			},
			New: func(v Values, env Env) (Shift, error) {
				if env.TintTableSize == 0 {
					env.TintTableSize = int(v.Get("tint_table_size"))
				}
				return NewTintShift(true, TintParams{P: v.Get("p"), Alpha: v.Get("alpha"), TableSize: env.TintTableSize}, env)
			},
		},
		{
			Name:        "unseen-tint",
			Kind:        OutOfSupport,
			Description: "the paper's unseen tint: untinted reference, every shifted image tinted with a random class's colour",
			Params:      []Param{tintAlpha, tintTableSize},
			New: func(v Values, env Env) (Shift, error) {
				if env.TintTableSize == 0 {
					env.TintTableSize = int(v.Get("tint_table_size"))
				}
				return NewTintShift(false, TintParams{Alpha: v.Get("alpha"), TableSize: env.TintTableSize}, env)
			},
		},
	}
}

// paperTransforms lists the paper's plain out-of-support transforms.
func paperTransforms() []TransformEntry {
	return []TransformEntry{
		{
			Name:        "vflip",
			Description: "the paper's vertical flip: every shifted image upside down",
			New:         func(Values, Env) (Transform, error) { return VFlip{}, nil },
		},
	}
}
