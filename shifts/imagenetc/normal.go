package imagenetc

import "math"

// Standard normal draws by Marsaglia and Tsang's ziggurat (128 layers, 32-bit
// variates), on a stream: the fields of snow and spatter take tens of thousands per
// image. The tables are computed once, as in the paper's setup.

const zigR = 3.442619855899 // the rightmost layer's edge

var zigK, zigW, zigF = zigTables()

func zigTables() (k [128]uint32, w, f [128]float64) {
	const m1 = 1 << 31
	const vn = 9.91256303526217e-3
	dn, tn := zigR, zigR
	q := vn / math.Exp(-0.5*dn*dn)
	k[0] = uint32(dn / q * m1)
	k[1] = 0
	w[0] = q / m1
	w[127] = dn / m1
	f[0] = 1
	f[127] = math.Exp(-0.5 * dn * dn)
	for i := 126; i >= 1; i-- {
		dn = math.Sqrt(-2 * math.Log(vn/dn+math.Exp(-0.5*dn*dn)))
		k[i+1] = uint32(dn / tn * m1)
		tn = dn
		f[i] = math.Exp(-0.5 * dn * dn)
		w[i] = dn / m1
	}
	return
}

// normals draws standard normal variates from a stream, 32 bits per try.
type normals struct {
	st   stream
	bits uint64
	have bool
}

// u32 returns the next 32 random bits.
func (n *normals) u32() uint32 {
	if n.have {
		n.have = false
		return uint32(n.bits >> 32)
	}
	n.bits = n.st.next()
	n.have = true
	return uint32(n.bits)
}

// next returns one N(0, 1) draw.
func (n *normals) next() float64 {
	for {
		j := int32(n.u32())
		i := j & 0x7f
		x := float64(j) * zigW[i]
		if uint32(absInt32(j)) < zigK[i] {
			return x // the rectangle's inside: about 99 % of draws
		}
		if i == 0 { // the tail beyond zigR
			for {
				x = -math.Log(n.st.float64Open()) / zigR
				y := -math.Log(n.st.float64Open())
				if y+y >= x*x {
					break
				}
			}
			if j > 0 {
				return zigR + x
			}
			return -zigR - x
		}
		if zigF[i]+n.st.float64()*(zigF[i-1]-zigF[i]) < math.Exp(-0.5*x*x) {
			return x
		}
	}
}

func absInt32(j int32) int32 {
	if j < 0 {
		return -j
	}
	return j
}

// float64Open returns a uniform draw in (0, 1).
func (s *stream) float64Open() float64 { return (float64(s.next()>>11) + 0.5) * 0x1p-53 }
