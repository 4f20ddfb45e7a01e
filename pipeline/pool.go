package pipeline

import (
	"context"

	"golang.org/x/sync/errgroup"
)

// ordered is the one worker pool of pipeline, after errgroup's bounded pipeline: a
// feeder hands the items 0..n−1 to workers goroutines running work, and the calling
// goroutine hands each result to join in item order (for determinism: results are joined
// by input position, never by arrival). At most 4·workers items are in flight, so memory
// is bounded by the worker count, not by n.
//
// The first error of work or join stops the rest and is returned. When ctx is cancelled
// ordered stops promptly and returns ctx.Err() (checked after the group's Wait, which
// returns nil when only the parent context was cancelled).
func ordered[T any](ctx context.Context, n, workers int, work func(i int) (T, error), join func(i int, r T) error) error {
	workers = max(workers, 1)
	inner, cancel := context.WithCancel(ctx)
	defer cancel()
	g, gctx := errgroup.WithContext(inner)
	type slot struct {
		i   int
		out chan T // buffered: a worker never waits for the joiner
	}
	jobs := make(chan slot)
	queue := make(chan slot, 4*workers) // in item order; its capacity bounds the window
	g.Go(func() error {
		defer close(jobs)
		defer close(queue)
		for i := range n {
			s := slot{i: i, out: make(chan T, 1)}
			select {
			case queue <- s:
			case <-gctx.Done():
				return nil
			}
			select {
			case jobs <- s:
			case <-gctx.Done():
				return nil
			}
		}
		return nil
	})
	for range workers {
		g.Go(func() error {
			for s := range jobs {
				if gctx.Err() != nil {
					return nil
				}
				r, err := work(s.i)
				if err != nil {
					return err
				}
				s.out <- r
			}
			return nil
		})
	}
	var joinErr error
	for s := range queue {
		var r T
		select {
		case r = <-s.out:
		case <-gctx.Done():
			cancel()
			continue // drain the queue, so that the feeder is never left blocked
		}
		if joinErr == nil && gctx.Err() == nil {
			if joinErr = join(s.i, r); joinErr != nil {
				cancel()
			}
		}
	}
	werr := g.Wait() // workers and feeder return nil when cancelled: werr is work's own
	switch {
	case joinErr != nil:
		return joinErr
	case werr != nil:
		return werr
	}
	// Wait is nil when only the parent was cancelled: say so.
	return ctx.Err()
}
