package supportsplit

import (
	"context"
	"math"
)

// lbfgsOptions controls minimise.
type lbfgsOptions struct {
	// maxIter bounds the iterations.
	maxIter int
	// gradTol stops when the gradient's largest component is at most gradTol.
	gradTol float64
	// funcTol stops when an iteration lowers the objective by at most
	// funcTol·max(1, |f|).
	funcTol float64
	// memory is the number of correction pairs kept.
	memory int
	// precond, if set, applies the initial inverse Hessian: dst = H0·g (dst and g do
	// not overlap). Nil means the usual scaled identity.
	precond func(dst, g []float64)
}

// objective evaluates f at x and writes its gradient into g.
type objective func(x, g []float64) (float64, error)

// minimise minimises a smooth convex function from x (updated in place) with L-BFGS and
// a backtracking Armijo line search. It returns the number of iterations. A line search
// that cannot decrease f any more ends the minimisation without error: at that point
// the iterate is as good as float64 can tell.
func minimise(f objective, x []float64, o lbfgsOptions) (int, error) {
	n := len(x)
	g := make([]float64, n)
	fx, err := f(x, g)
	if err != nil {
		return 0, err
	}
	var (
		s, y  [][]float64
		rho   []float64
		alpha = make([]float64, o.memory)
		d     = make([]float64, n)
		xNew  = make([]float64, n)
		gNew  = make([]float64, n)
		tmp   = make([]float64, n)
	)
	for it := 1; it <= o.maxIter; it++ {
		if normInf(g) <= o.gradTol {
			return it - 1, nil
		}
		// d = −H·g by the two-loop recursion.
		copy(d, g)
		for i := len(s) - 1; i >= 0; i-- {
			alpha[i] = rho[i] * dot(s[i], d)
			axpy(-alpha[i], y[i], d)
		}
		if o.precond != nil {
			copy(tmp, d)
			o.precond(d, tmp)
		} else if k := len(s); k > 0 {
			gamma := dot(s[k-1], y[k-1]) / dot(y[k-1], y[k-1])
			for i := range d {
				d[i] *= gamma
			}
		}
		for i := range s {
			beta := rho[i] * dot(y[i], d)
			axpy(alpha[i]-beta, s[i], d)
		}
		for i := range d {
			d[i] = -d[i]
		}
		gd := dot(g, d)
		if gd >= 0 || math.IsNaN(gd) {
			// Not a descent direction (rounding): restart from steepest descent.
			s, y, rho = s[:0], y[:0], rho[:0]
			for i := range d {
				d[i] = -g[i]
			}
			gd = -dot(g, g)
		}
		step := 1.0
		if len(s) == 0 && o.precond == nil {
			step = math.Min(1, 1/math.Sqrt(-gd))
		}
		var fNew float64
		accepted := false
		for try := 0; try < 40; try++ {
			for i := range x {
				xNew[i] = x[i] + step*d[i]
			}
			if fNew, err = f(xNew, gNew); err != nil {
				return it, err
			}
			if fNew <= fx+1e-4*step*gd {
				accepted = true
				break
			}
			// Minimum of the quadratic through f(x), f'(x; d) and f(x + step·d),
			// kept within [0.1, 0.5]·step.
			q := -gd * step * step / (2 * (fNew - fx - gd*step))
			if math.IsNaN(q) || q < 0.1*step {
				q = 0.1 * step
			} else if q > 0.5*step {
				q = 0.5 * step
			}
			step = q
		}
		if !accepted {
			return it, nil
		}
		// Curvature pair, kept only when positive (always, up to rounding, for a convex f).
		var sk, yk []float64
		if len(s) == o.memory {
			sk, yk = s[0], y[0]
			s, y, rho = s[1:], y[1:], rho[1:]
		} else {
			sk, yk = make([]float64, n), make([]float64, n)
		}
		for i := range x {
			sk[i] = xNew[i] - x[i]
			yk[i] = gNew[i] - g[i]
		}
		if sy := dot(sk, yk); sy > 1e-12*math.Sqrt(dot(sk, sk)*dot(yk, yk)) {
			s, y, rho = append(s, sk), append(y, yk), append(rho, 1/sy)
		}
		decrease := fx - fNew
		copy(x, xNew)
		copy(g, gNew)
		fx = fNew
		if decrease <= o.funcTol*math.Max(1, math.Abs(fx)) {
			return it, nil
		}
	}
	return o.maxIter, nil
}

func dot(a, b []float64) float64 {
	s := 0.0
	for i, v := range a {
		s += v * b[i]
	}
	return s
}

func axpy(a float64, x, y []float64) {
	for i, v := range x {
		y[i] += a * v
	}
}

func normInf(v []float64) float64 {
	m := 0.0
	for _, x := range v {
		m = math.Max(m, math.Abs(x))
	}
	return m
}

// batcher gathers the evaluation requests of models that are being fitted concurrently
// and serves them together, in one pass of the engine, once every active model is
// waiting. A model's results depend only on its own requests, never on which others
// share its pass.
type batcher struct {
	eng    *engine
	submit chan *pending
	leave  chan struct{}
	// onPass, if set, is called after each pass.
	onPass func()
}

type pending struct {
	req  *request
	done chan error
}

func newBatcher(eng *engine) *batcher {
	return &batcher{eng: eng, submit: make(chan *pending), leave: make(chan struct{})}
}

// loop serves requests until active models have left.
func (b *batcher) loop(ctx context.Context, active int) {
	var waiting []*pending
	for active > 0 {
		select {
		case p := <-b.submit:
			waiting = append(waiting, p)
		case <-b.leave:
			active--
		}
		if len(waiting) > 0 && len(waiting) == active {
			reqs := make([]*request, len(waiting))
			for i, p := range waiting {
				reqs[i] = p.req
			}
			err := b.eng.pass(ctx, reqs)
			if b.onPass != nil {
				b.onPass()
			}
			for _, p := range waiting {
				p.done <- err
			}
			waiting = waiting[:0]
		}
	}
}

// eval submits r and waits for its pass.
func (b *batcher) eval(r *request) error {
	p := &pending{req: r, done: make(chan error, 1)}
	b.submit <- p
	return <-p.done
}

// done tells the batcher that one model has finished.
func (b *batcher) done() { b.leave <- struct{}{} }
