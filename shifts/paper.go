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
			Name:        "label-shift",
			Kind:        InSupport,
			Description: "the paper's label shift: half the classes are rare in the reference (keep p/(1-p) of their images), the other half rare when shifted",
			Params: []Param{
				{Name: "p", Type: Float, Default: 0.2, Min: 0, Max: 0.5, Open: true,
					Doc: "minority classes keep a fraction p/(1-p) of their images in the reference; the majority classes keep it in the shifted distribution"},
			},
			New: func(v Values, env Env) (Shift, error) {
				return NewLabelShift(v.Get("p"), env)
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
		{
			Name:        "pad",
			Description: "the paper's pad (CIFAR-10 variant): a black border on every side, optionally after a random-class tint",
			Params: []Param{
				{Name: "pixels", Type: Int, Default: 6, Min: 0, Max: 1024,
					Doc: "border width in pixels on every side (w×h becomes (w+2·pixels)×(h+2·pixels))"},
				{Name: "tint", Type: Bool, Default: false, Min: 0, Max: 1,
					Doc: "also tint the image (not the border) with the colour of its random class from the paper's tint table"},
				tintAlpha,
			},
			New: func(v Values, env Env) (Transform, error) {
				return NewPad(int(v.Get("pixels")), v.Get("tint") != 0, v.Get("alpha"), env)
			},
		},
	}
}
