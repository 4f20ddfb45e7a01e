package pipeline

import (
	"fmt"
	"strconv"
	"strings"
)

// Shard selects part K (1-based) of N of a plan's jobs: the contiguous range
// [(K−1)·T/N, K·T/N) of the T jobs in plan order, so concatenating shards 1..N in order
// gives the single-process order. The zero Shard is the whole plan.
type Shard struct {
	K, N int
}

// ParseShard reads "K/N" (1 ≤ K ≤ N).
func ParseShard(s string) (Shard, error) {
	a, b, ok := strings.Cut(s, "/")
	k, err1 := strconv.Atoi(strings.TrimSpace(a))
	n, err2 := strconv.Atoi(strings.TrimSpace(b))
	if !ok || err1 != nil || err2 != nil || n < 1 || k < 1 || k > n {
		return Shard{}, fmt.Errorf("--shard %q: want K/N with 1 ≤ K ≤ N, e.g. 2/8", s)
	}
	return Shard{K: k, N: n}, nil
}

// ShardFromEnv reads the shard from a cluster scheduler's variables: Slurm job arrays
// (SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_MIN, SLURM_ARRAY_TASK_COUNT) or a Kubernetes
// Indexed Job (JOB_COMPLETION_INDEX, 0-based, with shards = the job's completions).
func ShardFromEnv(getenv func(string) string, shards int) (Shard, error) {
	if id := getenv("SLURM_ARRAY_TASK_ID"); id != "" {
		n, err := strconv.Atoi(getenv("SLURM_ARRAY_TASK_COUNT"))
		if err != nil || n < 1 {
			return Shard{}, fmt.Errorf("--shard auto: SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is %q", getenv("SLURM_ARRAY_TASK_COUNT"))
		}
		i, err := strconv.Atoi(id)
		if err != nil {
			return Shard{}, fmt.Errorf("--shard auto: SLURM_ARRAY_TASK_ID %q is not a number", id)
		}
		min := 0
		if m := getenv("SLURM_ARRAY_TASK_MIN"); m != "" {
			if min, err = strconv.Atoi(m); err != nil {
				return Shard{}, fmt.Errorf("--shard auto: SLURM_ARRAY_TASK_MIN %q is not a number", m)
			}
		}
		s := Shard{K: i - min + 1, N: n}
		if s.K < 1 || s.K > n {
			return Shard{}, fmt.Errorf("--shard auto: array task %d is outside %d..%d; use a contiguous --array range", i, min, min+n-1)
		}
		return s, nil
	}
	if idx := getenv("JOB_COMPLETION_INDEX"); idx != "" {
		i, err := strconv.Atoi(idx)
		if err != nil || i < 0 {
			return Shard{}, fmt.Errorf("--shard auto: JOB_COMPLETION_INDEX %q is not a non-negative number", idx)
		}
		if shards < 1 {
			return Shard{}, fmt.Errorf("--shard auto with JOB_COMPLETION_INDEX needs --shards N (the Job's completions)")
		}
		if i >= shards {
			return Shard{}, fmt.Errorf("--shard auto: JOB_COMPLETION_INDEX %d is not below --shards %d", i, shards)
		}
		return Shard{K: i + 1, N: shards}, nil
	}
	return Shard{}, fmt.Errorf("--shard auto: neither SLURM_ARRAY_TASK_ID nor JOB_COMPLETION_INDEX is set; pass --shard K/N")
}

// IsZero reports whether s is the whole plan.
func (s Shard) IsZero() bool { return s.N == 0 }

// String renders "K/N" ("" for the whole plan).
func (s Shard) String() string {
	if s.IsZero() {
		return ""
	}
	return fmt.Sprintf("%d/%d", s.K, s.N)
}

// bounds returns the shard's job range for total jobs.
func (s Shard) bounds(total int) (lo, hi int) {
	if s.IsZero() {
		return 0, total
	}
	return (s.K - 1) * total / s.N, s.K * total / s.N
}

// workName is the shard's work folder name under OUT/<shift>/.work.
func (s Shard) workName() string {
	return fmt.Sprintf("shard-%d-of-%d", s.K, s.N)
}
