package supportsplit

import (
	"context"
	"errors"
	"math"
	"sync"
	"sync/atomic"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/blas/gonum"
	"gonum.org/v1/gonum/mat"
)

// blas is gonum's pure-Go BLAS; its float32 dot and axpy have SIMD kernels on amd64.
var blas32 gonum.Implementation

// Rows per block of a pass. Blocks are the unit of work handed to workers and of
// summation: every block's partial sums are kept and added up in block order, so the
// results do not depend on the number of workers (for determinism).
const (
	blockRows = 2048
	// flushRows rows are accumulated in float32 before being added to the block's float64
	// partial sums, which bounds the float32 rounding error.
	flushRows = 128
)

// engine evaluates many logistic-regression models over the pooled examples in one pass:
// the cost of a pass is dominated by reading the feature rows from memory, so every
// model that is waiting for an evaluation is served by the same read of each row.
//
// Models are parameterised on standardised features, x̃ = (x − mean)·invStd, but the
// rows are never modified: a model's standardised weights w and bias b act on raw rows
// as v = w·invStd and c = b − mean·v.
type engine struct {
	rows    [][]float32
	y       []bool
	fold    []uint8
	dim     int
	mean    []float64
	invStd  []float64
	workers int
	blocks  int
	// cov is the standardised features' covariance (upper triangle), estimated on a
	// subsample, for the optimiser's preconditioner.
	cov blas64.Symmetric
	// part holds each block's partial sums for each request: dim gradient sums, then the
	// residual sum and the loss sum.
	part []float64
}

// request is one model's evaluation within a pass.
type request struct {
	// train is the bit mask of folds whose rows enter the loss and gradient; 0 for a
	// scoring request.
	train uint64
	// score is the bit mask of folds whose rows are scored into out.
	score uint64
	out   []float64
	// v and c are the model's raw-feature weights and offset.
	v []float32
	c float64
	// Results of a training request: per-feature sums Σ r·x, Σ r and Σ loss, where
	// r = sigmoid(z) − y.
	g    []float64
	r    float64
	loss float64
}

func newEngine(rows [][]float32, y []bool, fold []uint8, workers int) *engine {
	dim := len(rows[0])
	e := &engine{rows: rows, y: y, fold: fold, dim: dim, workers: workers}
	e.blocks = (len(rows) + blockRows - 1) / blockRows
	e.mean = make([]float64, dim)
	e.invStd = make([]float64, dim)
	// Column means and standard deviations in two passes of float64 sums (row order
	// fixed: deterministic).
	for _, x := range rows {
		for j, v := range x {
			e.mean[j] += float64(v)
		}
	}
	n := float64(len(rows))
	for j := range e.mean {
		e.mean[j] /= n
	}
	for _, x := range rows {
		for j, v := range x {
			d := float64(v) - e.mean[j]
			e.invStd[j] += d * d
		}
	}
	for j, s := range e.invStd {
		sd := math.Sqrt(s / n)
		if sd > 1e-12*math.Max(1, math.Abs(e.mean[j])) {
			e.invStd[j] = 1 / sd
		} else {
			e.invStd[j] = 0 // a constant feature carries nothing
		}
	}
	return e
}

// setModel fills r.v and r.c from standardised parameters theta = (w, b).
func (e *engine) setModel(r *request, theta []float64) {
	if r.v == nil {
		r.v = make([]float32, e.dim)
	}
	c := theta[e.dim]
	for j := 0; j < e.dim; j++ {
		v := theta[j] * e.invStd[j]
		r.v[j] = float32(v)
		c -= e.mean[j] * v
	}
	r.c = c
}

// pass evaluates every request with one read of the rows, spread over e.workers
// goroutines. It returns ctx.Err() if cancelled, leaving the results unspecified.
func (e *engine) pass(ctx context.Context, reqs []*request) error {
	nTrain := 0
	for _, r := range reqs {
		if r.train != 0 {
			nTrain++
			if r.g == nil {
				r.g = make([]float64, e.dim)
			}
		}
	}
	stride := e.dim + 2
	if need := e.blocks * nTrain * stride; cap(e.part) < need {
		e.part = make([]float64, need)
	} else {
		e.part = e.part[:need]
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < min(e.workers, e.blocks); w++ {
		wg.Go(func() {
			acc := make([][]float32, len(reqs))
			for k, r := range reqs {
				if r.train != 0 {
					acc[k] = make([]float32, e.dim)
				}
			}
			for {
				b := int(next.Add(1)) - 1
				if b >= e.blocks || ctx.Err() != nil {
					return
				}
				e.block(b, reqs, acc, e.part[b*nTrain*stride:(b+1)*nTrain*stride])
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	// Sum the blocks' partial sums in block order (for determinism).
	t := 0
	for _, r := range reqs {
		if r.train == 0 {
			continue
		}
		clear(r.g)
		r.r, r.loss = 0, 0
		for b := 0; b < e.blocks; b++ {
			p := e.part[(b*nTrain+t)*stride:]
			for j := range r.g {
				r.g[j] += p[j]
			}
			r.r += p[e.dim]
			r.loss += p[e.dim+1]
		}
		t++
	}
	return nil
}

// block evaluates the requests on rows of block b; part receives the block's partial
// sums of the training requests, in request order.
func (e *engine) block(b int, reqs []*request, acc [][]float32, part []float64) {
	lo, hi := b*blockRows, min((b+1)*blockRows, len(e.rows))
	stride := e.dim + 2
	clear(part)
	n := e.dim
	flush := func() {
		t := 0
		for k, r := range reqs {
			if r.train == 0 {
				continue
			}
			p := part[t*stride : t*stride+n]
			for j, v := range acc[k] {
				p[j] += float64(v)
			}
			clear(acc[k])
			t++
		}
	}
	for _, a := range acc {
		clear(a)
	}
	for i := lo; i < hi; i++ {
		x := e.rows[i]
		bit := uint64(1) << e.fold[i]
		t := 0
		for k, r := range reqs {
			if r.train == 0 {
				if r.score&bit != 0 {
					r.out[i] = float64(blas32.Sdot(n, x, 1, r.v, 1)) + r.c
				}
				continue
			}
			if r.train&bit != 0 {
				z := float64(blas32.Sdot(n, x, 1, r.v, 1)) + r.c
				res, loss := residual(z, e.y[i])
				blas32.Saxpy(n, float32(res), x, 1, acc[k], 1)
				p := part[t*stride:]
				p[n] += res
				p[n+1] += loss
			}
			if r.score&bit != 0 {
				r.out[i] = float64(blas32.Sdot(n, x, 1, r.v, 1)) + r.c
			}
			t++
		}
		if (i-lo+1)%flushRows == 0 {
			flush()
		}
	}
	flush()
}

// residual returns sigmoid(z) − y and the binary cross-entropy of logit z for label y,
// computed without overflow.
func residual(z float64, y bool) (res, loss float64) {
	e := math.Exp(-math.Abs(z))
	var p float64
	if z >= 0 {
		p = 1 / (1 + e)
	} else {
		p = e / (1 + e)
	}
	// softplus(t) = max(t, 0) + log1p(exp(−|t|)); the loss is softplus(−z) for y = 1
	// and softplus(z) for y = 0.
	l := math.Log1p(e)
	if y {
		if z < 0 {
			l -= z
		}
		return p - 1, l
	}
	if z > 0 {
		l += z
	}
	return p, l
}

// covRows is the least number of rows, spread evenly over the pool, from which the
// covariance of the preconditioner is estimated (4·dim when that is more).
const covRows = 4096

// covariance estimates the covariance of the standardised features on a subsample of
// rows. It only serves to precondition the optimiser, so the estimate need not be
// exact; it does not change the optimum.
func (e *engine) covariance() {
	d := e.dim
	step := max(1, len(e.rows)/max(covRows, 4*d))
	var picked []int
	for i := 0; i < len(e.rows); i += step {
		picked = append(picked, i)
	}
	const chunk = 512
	cov := blas64.Symmetric{N: d, Stride: d, Uplo: blas.Upper, Data: make([]float64, d*d)}
	buf := make([]float64, chunk*d)
	for lo := 0; lo < len(picked); lo += chunk {
		hi := min(lo+chunk, len(picked))
		a := blas64.General{Rows: hi - lo, Cols: d, Stride: d, Data: buf[:(hi-lo)*d]}
		for k, i := range picked[lo:hi] {
			row := a.Data[k*d : (k+1)*d]
			for j, v := range e.rows[i] {
				row[j] = (float64(v) - e.mean[j]) * e.invStd[j]
			}
		}
		blas64.Syrk(blas.Trans, 1, a, 1, cov)
	}
	n := float64(len(picked))
	for i := range cov.Data {
		cov.Data[i] /= n
	}
	e.cov = cov
}

// precondition returns a function that applies (c·Σ + λ·I)⁻¹ to a gradient (and 1/c to
// the bias component): the inverse Hessian of the logistic loss at a model whose
// probabilities are all near p, with c = p(1 − p), used as the optimiser's initial
// inverse Hessian. A small ridge keeps the factorisation defined when Σ is singular.
func (e *engine) precondition(c, lambda float64) (func(dst, g []float64), error) {
	d := e.dim
	m := mat.NewSymDense(d, nil)
	trace := 0.0
	for i := 0; i < d; i++ {
		trace += e.cov.Data[i*d+i]
	}
	ridge := lambda + 1e-6*c*max(trace/float64(d), 1e-12)
	for i := 0; i < d; i++ {
		for j := i; j < d; j++ {
			v := c * e.cov.Data[i*d+j]
			if i == j {
				v += ridge
			}
			m.SetSym(i, j, v)
		}
	}
	var ch mat.Cholesky
	if !ch.Factorize(m) {
		return nil, errors.New("internal error: the preconditioner's Cholesky factorisation failed")
	}
	return func(dst, g []float64) {
		x := mat.NewVecDense(d, dst[:d])
		_ = ch.SolveVecTo(x, mat.NewVecDense(d, g[:d]))
		dst[d] = g[d] / c
	}, nil
}
