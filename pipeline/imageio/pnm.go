package imageio

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"strconv"
)

// isPNM reports a binary or ASCII PGM/PPM signature (P2, P3, P5, P6).
func isPNM(b []byte) bool {
	return len(b) >= 3 && b[0] == 'P' && (b[1] == '2' || b[1] == '3' || b[1] == '5' || b[1] == '6') &&
		(b[2] == ' ' || b[2] == '\n' || b[2] == '\r' || b[2] == '\t' || b[2] == '#')
}

type pnmHeader struct {
	kind         byte
	w, h, maxval int
	dataStart    int
}

func parsePNMHeader(b []byte) (pnmHeader, error) {
	h := pnmHeader{kind: b[1]}
	pos := 2
	var vals [3]int
	for i := 0; i < 3; i++ {
		for pos < len(b) {
			c := b[pos]
			if c == '#' {
				for pos < len(b) && b[pos] != '\n' {
					pos++
				}
				continue
			}
			if c == ' ' || c == '\n' || c == '\r' || c == '\t' {
				pos++
				continue
			}
			break
		}
		start := pos
		for pos < len(b) && b[pos] >= '0' && b[pos] <= '9' {
			pos++
		}
		if start == pos {
			return h, errors.New("malformed PNM header")
		}
		v, err := strconv.Atoi(string(b[start:pos]))
		if err != nil || v <= 0 {
			return h, errors.New("malformed PNM header")
		}
		vals[i] = v
	}
	if pos >= len(b) {
		return h, errors.New("PNM header has no pixel data")
	}
	h.w, h.h, h.maxval, h.dataStart = vals[0], vals[1], vals[2], pos+1
	if h.maxval > 65535 {
		return h, fmt.Errorf("PNM maxval %d over 65535", h.maxval)
	}
	return h, nil
}

func configPNM(b []byte) (image.Config, error) {
	h, err := parsePNMHeader(b)
	if err != nil {
		return image.Config{}, err
	}
	return image.Config{Width: h.w, Height: h.h}, nil
}

func decodePNM(b []byte) (image.Image, error) {
	h, err := parsePNMHeader(b)
	if err != nil {
		return nil, err
	}
	ch := 1
	if h.kind == '3' || h.kind == '6' {
		ch = 3
	}
	n := h.w * h.h * ch
	samples := make([]int, 0, n)
	data := b[h.dataStart:]
	if h.kind == '5' || h.kind == '6' {
		bps := 1
		if h.maxval > 255 {
			bps = 2
		}
		if len(data) < n*bps {
			return nil, errors.New("PNM pixel data is truncated")
		}
		for i := 0; i < n; i++ {
			if bps == 1 {
				samples = append(samples, int(data[i]))
			} else {
				samples = append(samples, int(data[2*i])<<8|int(data[2*i+1]))
			}
		}
	} else {
		for _, f := range bytes.Fields(data) {
			if len(samples) == n {
				break
			}
			v, err := strconv.Atoi(string(f))
			if err != nil {
				return nil, errors.New("malformed ASCII PNM data")
			}
			samples = append(samples, v)
		}
		if len(samples) < n {
			return nil, errors.New("PNM pixel data is truncated")
		}
	}
	img := image.NewRGBA(image.Rect(0, 0, h.w, h.h))
	scale := func(v int) uint8 {
		if v > h.maxval {
			v = h.maxval
		}
		return uint8((v*255 + h.maxval/2) / h.maxval)
	}
	for i := 0; i < h.w*h.h; i++ {
		p := img.Pix[4*i : 4*i+4]
		if ch == 1 {
			v := scale(samples[i])
			p[0], p[1], p[2] = v, v, v
		} else {
			p[0], p[1], p[2] = scale(samples[3*i]), scale(samples[3*i+1]), scale(samples[3*i+2])
		}
		p[3] = 255
	}
	return img, nil
}
