package pipeline

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

// TestOrderedJoinsInOrder: results are joined in item order whatever the order in which
// workers finish (later items finish first here), and at most the window is in flight.
func TestOrderedJoinsInOrder(t *testing.T) {
	for _, workers := range []int{1, 3, 8} {
		var started, joined, peak atomic.Int64
		var got []int
		err := ordered(context.Background(), 200, workers,
			func(i int) (int, error) {
				n := started.Add(1) - joined.Load()
				for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
				}
				time.Sleep(time.Duration(200-i) * time.Microsecond)
				return i * i, nil
			},
			func(i, r int) error {
				joined.Add(1)
				if r != i*i {
					t.Errorf("item %d joined with result %d", i, r)
				}
				got = append(got, i)
				return nil
			})
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range got {
			if v != i {
				t.Fatalf("%d workers: position %d joined item %d", workers, i, v)
			}
		}
		if len(got) != 200 || peak.Load() > int64(4*workers+1) {
			t.Fatalf("%d workers: %d joined, %d in flight at most (window %d)", workers, len(got), peak.Load(), 4*workers)
		}
	}
}

func TestOrderedErrors(t *testing.T) {
	boom := errors.New("boom")
	// A worker's error stops the pool; items after it are never joined.
	var joined atomic.Int64
	err := ordered(context.Background(), 1000, 4,
		func(i int) (int, error) {
			if i == 50 {
				return 0, boom
			}
			return i, nil
		},
		func(i, r int) error { joined.Add(1); return nil })
	if !errors.Is(err, boom) || joined.Load() > 50 {
		t.Fatalf("work error: %v after %d joins", err, joined.Load())
	}
	// A join error stops it too, and is returned as it is.
	var worked atomic.Int64
	err = ordered(context.Background(), 1000, 4,
		func(i int) (int, error) { worked.Add(1); return i, nil },
		func(i, r int) error {
			if i == 10 {
				return boom
			}
			return nil
		})
	if !errors.Is(err, boom) || worked.Load() > 10+4*4+4+1 {
		t.Fatalf("join error: %v after %d items worked", err, worked.Load())
	}
	// A cancelled parent is reported, although errgroup's Wait says nil then.
	ctx, cancel := context.WithCancel(context.Background())
	err = ordered(ctx, 1000, 2,
		func(i int) (int, error) { return i, nil },
		func(i, r int) error {
			if i == 5 {
				cancel()
			}
			return nil
		})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
	// Nothing to do is no error.
	if err := ordered(context.Background(), 0, 3, func(int) (int, error) { return 0, nil }, func(int, int) error { return nil }); err != nil {
		t.Fatal(err)
	}
}
