package supportsplit

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"

	"github.com/shiftgen/shiftgen/manifests"
)

// DefaultLambdas is the L2 regularisation grid CrossFit searches when FitOptions.Lambdas
// is nil: strengths λ of the penalty (λ/2)·‖w‖² added to the mean cross-entropy, on
// standardised features.
var DefaultLambdas = []float64{1e-1, 1e-2, 1e-3, 1e-4, 1e-5}

// MaxFolds is the largest number of folds CrossFit accepts.
const MaxFolds = 64

// FitOptions configures CrossFit. The zero value is the paper's design: 10 folds
// shuffled with seed 0, regularisation chosen from DefaultLambdas.
type FitOptions struct {
	// Folds is the number of cross-fitting folds K, 2..MaxFolds (3 or more when more than
	// one λ is searched); 0 means 10.
	Folds int
	// Seed keys the shuffle that assigns examples to folds.
	Seed int64
	// Lambdas is the grid of L2 strengths searched, strongest first; nil means
	// DefaultLambdas. With one value no inner validation is done.
	Lambdas []float64
	// MaxIter bounds the L-BFGS iterations of each fit; 0 means 200.
	MaxIter int
	// Tolerance stops a fit when no component of the gradient of the mean loss exceeds
	// it; 0 means 1e-5.
	Tolerance float64
	// Workers is the number of goroutines sharing each pass over the features (0: all
	// cores, see manifests.WorkerCount). Results do not depend on it.
	Workers int
}

// PathPoint is one regularisation strength tried by the inner validation.
type PathPoint struct {
	Lambda float64 `json:"lambda"`
	// AUC is the inner validation AUC, pooled over the folds.
	AUC float64 `json:"auc"`
}

// FoldFit describes the model that scored one fold.
type FoldFit struct {
	// Iterations counts the L-BFGS iterations of all of the fold's fits.
	Iterations int `json:"iterations"`
	// Examples is the number of examples the fold scored.
	Examples int `json:"examples"`
}

// Fit is the outcome of CrossFit.
type Fit struct {
	// Scores[i] is example i's out-of-fold logit of P(shifted | x).
	Scores []float64
	// Fold[i] is the fold example i was scored in.
	Fold []int
	// Folds describes each fold's model.
	Folds []FoldFit
	// Lambda is the regularisation strength chosen by inner validation AUC, used by
	// every fold.
	Lambda float64
	// Path lists the strengths tried, strongest first, with their inner validation AUC
	// (empty when only one λ was given).
	Path []PathPoint
	// AUC is the area under the ROC curve of the out-of-fold scores.
	AUC float64
	// Passes counts the passes over the features.
	Passes int
}

func (o *FitOptions) defaults() error {
	if o.Folds == 0 {
		o.Folds = 10
	}
	if o.Lambdas == nil {
		o.Lambdas = DefaultLambdas
	}
	if len(o.Lambdas) == 0 {
		return errors.New("no regularisation strength given; pass at least one λ")
	}
	for _, l := range o.Lambdas {
		if !(l >= 0) || math.IsInf(l, 0) {
			return fmt.Errorf("regularisation strength %v must be finite and ≥ 0", l)
		}
	}
	o.Lambdas = slices.Clone(o.Lambdas)
	slices.SortFunc(o.Lambdas, func(a, b float64) int { return -cmpFloat(a, b) })
	min := 2
	if len(o.Lambdas) > 1 {
		min = 3
	}
	if o.Folds < min || o.Folds > MaxFolds {
		return fmt.Errorf("--folds %d is out of range: use %d..%d (inner validation needs a fold besides the held-out one)", o.Folds, min, MaxFolds)
	}
	if o.MaxIter <= 0 {
		o.MaxIter = 200
	}
	if o.Tolerance <= 0 {
		o.Tolerance = 1e-5
	}
	o.Workers = manifests.WorkerCount(o.Workers)
	return nil
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// CrossFit trains the domain classifier of the paper with K-fold cross-fitting: examples
// (rows, all of one length and finite; shifted[i] is example i's domain) are split into
// K folds, stratified by domain and shuffled with o.Seed, and each fold is scored by an
// L2-regularised logistic regression trained on the other folds. The regularisation is
// chosen by inner validation AUC: along o.Lambdas, strongest first, with warm starts,
// each fold's model is fitted on all folds but its own and the next and scores the
// next; the AUC of these scores, pooled over the folds, rates λ, and the search stops
// when it falls. The λ of highest AUC (the weakest, on ties) is used by every fold, so
// that all out-of-fold scores share one scale for the calibration; each fold's model is
// then refitted on all folds but its own. Features are standardised with the pooled means
// and standard deviations (no labels involved); rows are never modified.
//
// Each fit is an L-BFGS minimisation whose initial inverse Hessian is (c·Σ + λI)⁻¹, with
// Σ the standardised features' covariance estimated on a subsample: correlated features,
// such as a network's embeddings, then converge in tens of iterations instead of
// hundreds (the optimum is unchanged). The folds' models are fitted concurrently and
// every pass over the features serves all of them (see engine), split over o.Workers goroutines in fixed blocks summed in fixed
// order: the scores are byte-identical whatever the worker count.
func CrossFit(ctx context.Context, rows [][]float32, shifted []bool, o FitOptions) (*Fit, error) {
	if err := o.defaults(); err != nil {
		return nil, err
	}
	if len(rows) != len(shifted) {
		return nil, fmt.Errorf("%d feature rows for %d examples", len(rows), len(shifted))
	}
	if len(rows) == 0 || len(rows[0]) == 0 {
		return nil, errors.New("no features: the domain classifier needs at least one feature per example")
	}
	var nClass [2]int
	for i, s := range shifted {
		if len(rows[i]) != len(rows[0]) {
			return nil, fmt.Errorf("feature row %d has %d values, row 0 has %d; every row needs the same dimension", i, len(rows[i]), len(rows[0]))
		}
		nClass[b2i(s)]++
	}
	for c, n := range nClass {
		if n < o.Folds {
			return nil, fmt.Errorf("only %d %s examples for %d folds: the domain classifier needs both reference and shifted examples, at least one of each per fold; lower --folds or add examples", n, domainName[c], o.Folds)
		}
	}
	fold := assignFolds(shifted, o.Folds, o.Seed)
	eng := newEngine(rows, shifted, fold, o.Workers)
	eng.covariance()
	prior := float64(nClass[1]) / float64(len(rows))
	// One preconditioner per λ, shared by the folds.
	var pmu sync.Mutex
	pcache := map[float64]func(dst, g []float64){}
	precond := func(lam float64) (func(dst, g []float64), error) {
		pmu.Lock()
		defer pmu.Unlock()
		if p, ok := pcache[lam]; ok {
			return p, nil
		}
		p, err := eng.precondition(prior*(1-prior), lam)
		pcache[lam] = p
		return p, err
	}
	k := o.Folds
	byFold := make([][]int, k)
	for i, f := range fold {
		byFold[f] = append(byFold[f], i)
	}
	all := uint64(1)<<k - 1
	count := func(mask uint64) int {
		n := 0
		for f := 0; f < k; f++ {
			if mask&(1<<f) != 0 {
				n += len(byFold[f])
			}
		}
		return n
	}
	fit := &Fit{Scores: make([]float64, len(rows)), Fold: make([]int, len(rows)), Folds: make([]FoldFit, k)}
	for i, f := range fold {
		fit.Fold[i] = int(f)
	}
	valScores := make([]float64, len(rows))
	bat := newBatcher(eng)
	passes := 0
	bat.onPass = func() { passes++ }
	lopt := lbfgsOptions{maxIter: o.MaxIter, gradTol: o.Tolerance, funcTol: 1e-10, memory: 10}

	// train fits the model theta (updated in place) on the folds of mask with strength lam.
	train := func(mask uint64, lam float64, theta []float64) (int, error) {
		req := &request{train: mask}
		n := float64(count(mask))
		dim := eng.dim
		obj := func(x, g []float64) (float64, error) {
			eng.setModel(req, x)
			if err := bat.eval(req); err != nil {
				return 0, err
			}
			f := req.loss / n
			for j := 0; j < dim; j++ {
				g[j] = (req.g[j]-eng.mean[j]*req.r)*eng.invStd[j]/n + lam*x[j]
				f += 0.5 * lam * x[j] * x[j]
			}
			g[dim] = req.r / n
			return f, nil
		}
		lo := lopt
		var err error
		if lo.precond, err = precond(lam); err != nil {
			return 0, err
		}
		return minimise(obj, theta, lo)
	}
	score := func(f int, theta []float64, out []float64) error {
		req := &request{score: 1 << f, out: out}
		eng.setModel(req, theta)
		return bat.eval(req)
	}
	// allFolds runs step(f) for every fold concurrently, its passes shared by the batcher,
	// and returns the first error in fold order.
	allFolds := func(step func(f int) error) error {
		errs := make([]error, k)
		var wg sync.WaitGroup
		wg.Go(func() { bat.loop(ctx, k) })
		for f := 0; f < k; f++ {
			wg.Go(func() {
				defer bat.done()
				errs[f] = step(f)
			})
		}
		wg.Wait()
		if err := ctx.Err(); err != nil {
			return err
		}
		for _, err := range errs {
			if err != nil {
				return err
			}
		}
		return nil
	}
	thetas := make([][]float64, k)
	for f := range thetas {
		thetas[f] = make([]float64, eng.dim+1)
		// Start from the log prior odds, the optimum of a model without features.
		thetas[f][eng.dim] = math.Log(float64(nClass[1]) / float64(nClass[0]))
		fit.Folds[f].Examples = len(byFold[f])
	}
	fit.Lambda = o.Lambdas[0]
	if len(o.Lambdas) > 1 {
		// Inner validation: fold f's model trains on all folds but f and f+1 and scores
		// fold f+1, so every example is scored once; the AUC of these scores pooled over
		// the folds rates λ. One λ serves all folds, so that their scores share a scale
		// for the calibration.
		var best [][]float64
		bestAUC := math.Inf(-1)
		for _, lam := range o.Lambdas {
			err := allFolds(func(f int) error {
				val := (f + 1) % k
				it, err := train(all&^(1<<f|1<<val), lam, thetas[f])
				fit.Folds[f].Iterations += it
				if err != nil {
					return err
				}
				return score(val, thetas[f], valScores)
			})
			if err != nil {
				return nil, err
			}
			auc := AUC(valScores, shifted)
			fit.Path = append(fit.Path, PathPoint{Lambda: lam, AUC: auc})
			if !(auc >= bestAUC) {
				break // the AUC fell: weaker regularisation overfits
			}
			bestAUC, fit.Lambda = auc, lam
			best = make([][]float64, k)
			for f := range thetas {
				best[f] = slices.Clone(thetas[f])
			}
		}
		thetas = best
	}
	err := allFolds(func(f int) error {
		it, err := train(all&^(1<<f), fit.Lambda, thetas[f])
		fit.Folds[f].Iterations += it
		if err != nil {
			return err
		}
		return score(f, thetas[f], fit.Scores)
	})
	if err != nil {
		return nil, err
	}
	fit.Passes = passes
	fit.AUC = AUC(fit.Scores, shifted)
	return fit, nil
}

var domainName = [2]string{"reference", "shifted"}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// assignFolds deals each domain's examples, shuffled with seed, round-robin into k
// folds, so every fold holds both domains in their overall proportion.
func assignFolds(shifted []bool, k int, seed int64) []uint8 {
	rng := rand.NewPCG(uint64(seed), 0x73706c6974) // stream "split"
	fold := make([]uint8, len(shifted))
	for _, dom := range []bool{false, true} {
		var idx []int
		for i, s := range shifted {
			if s == dom {
				idx = append(idx, i)
			}
		}
		// Fisher–Yates with unbiased bounded draws (our own, so that the folds never
		// change with the Go release).
		for i := len(idx) - 1; i > 0; i-- {
			j := bounded(rng, uint64(i)+1)
			idx[i], idx[j] = idx[j], idx[i]
		}
		for p, i := range idx {
			fold[i] = uint8(p % k)
		}
	}
	return fold
}

// bounded returns a uniform integer in [0, n) by rejection sampling.
func bounded(rng *rand.PCG, n uint64) uint64 {
	limit := -n % n // 2^64 mod n
	for {
		v := rng.Uint64()
		if v >= limit {
			return v % n
		}
	}
}
