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

// ShardFromEnv reads the shard from a cluster scheduler's variables; shards is the
// --shards value (0 when not given).
//
// Slurm job arrays: array task SLURM_ARRAY_TASK_ID writes shard ID+1. Without shards,
// the array must be the whole job, indices 0..N−1 with step 1, as `sbatch --array=0-31`
// gives (SLURM_ARRAY_TASK_MIN 0, SLURM_ARRAY_TASK_MAX N−1, SLURM_ARRAY_TASK_COUNT N,
// SLURM_ARRAY_TASK_STEP 1); an array from another index, with a step or with gaps is
// refused, since N cannot be known from it. With shards = N, the array index is the
// 0-based shard index of N and the array may be any part of 0..N−1 (e.g.
// `sbatch --array=5,7` to redo two shards).
//
// Kubernetes Indexed Jobs: JOB_COMPLETION_INDEX (0-based) writes shard index+1 of
// shards, which must be given (the Job's completions).
//
// Every inconsistency is an error that names the variables and says what to submit.
func ShardFromEnv(getenv func(string) string, shards int) (Shard, error) {
	if shards < 0 {
		return Shard{}, fmt.Errorf("--shards %d: want the number of shards (at least 1)", shards)
	}
	if id := getenv("SLURM_ARRAY_TASK_ID"); id != "" {
		return slurmShard(getenv, shards)
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
			return Shard{}, fmt.Errorf("--shard auto: JOB_COMPLETION_INDEX %d is not below --shards %d; make the Job's completions equal to --shards", i, shards)
		}
		return Shard{K: i + 1, N: shards}, nil
	}
	if getenv("SLURM_JOB_ID") != "" {
		return Shard{}, fmt.Errorf("--shard auto: Slurm job %s is not a job array (no SLURM_ARRAY_TASK_ID); submit it with sbatch --array=0-<N−1>, one task per shard", getenv("SLURM_JOB_ID"))
	}
	return Shard{}, fmt.Errorf("--shard auto: neither SLURM_ARRAY_TASK_ID nor JOB_COMPLETION_INDEX is set; pass --shard K/N")
}

// slurmShard is ShardFromEnv for a Slurm array task.
func slurmShard(getenv func(string) string, shards int) (Shard, error) {
	// num reads a variable; absent is -1 (Slurm sets them all for array tasks).
	num := func(name string) (int, error) {
		v := getenv(name)
		if v == "" {
			return -1, nil
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("--shard auto: %s %q is not a non-negative number", name, v)
		}
		return n, nil
	}
	var id, first, last, count, step int
	for _, f := range []struct {
		name string
		v    *int
	}{{"SLURM_ARRAY_TASK_ID", &id}, {"SLURM_ARRAY_TASK_MIN", &first}, {"SLURM_ARRAY_TASK_MAX", &last},
		{"SLURM_ARRAY_TASK_COUNT", &count}, {"SLURM_ARRAY_TASK_STEP", &step}} {
		n, err := num(f.name)
		if err != nil {
			return Shard{}, err
		}
		*f.v = n
	}
	bounds := fmt.Sprintf("SLURM_ARRAY_TASK_ID %d, MIN %d, MAX %d, COUNT %d", id, first, last, count)
	if first >= 0 && last >= 0 && (id < first || id > last) {
		return Shard{}, fmt.Errorf("--shard auto: array task %d is outside its array %d-%d (%s); the scheduler's variables are inconsistent", id, first, last, bounds)
	}
	if shards > 0 {
		// The array index is the shard index; the array may be any part of 0..N−1.
		if id >= shards || last >= shards {
			return Shard{}, fmt.Errorf("--shard auto: array index %d is out of range for --shards %d (%s); array indices must lie in 0-%d", max(id, last), shards, bounds, shards-1)
		}
		return Shard{K: id + 1, N: shards}, nil
	}
	redo := "or pass --shards N (the whole job's shard count) to use the array index as the 0-based shard index"
	switch {
	case first < 0 || last < 0 || count < 0:
		return Shard{}, fmt.Errorf("--shard auto: SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_MIN, _MAX or _COUNT is missing (%s); pass --shard K/N or --shards N", bounds)
	case step > 1:
		return Shard{}, fmt.Errorf("--shard auto: the array steps by %d (SLURM_ARRAY_TASK_STEP); submit one task per shard with --array=0-<N−1>, %s", step, redo)
	case count != last-first+1:
		return Shard{}, fmt.Errorf("--shard auto: the array %d-%d has gaps (%d tasks; %s); submit one task per shard with --array=0-<N−1>, %s", first, last, count, bounds, redo)
	case first != 0:
		return Shard{}, fmt.Errorf("--shard auto: the array starts at %d, not 0 (%s): part of an array cannot tell the shard count; submit the whole array, --array=0-<N−1>, %s", first, bounds, redo)
	}
	return Shard{K: id + 1, N: count}, nil
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
