#!/bin/bash
#SBATCH --job-name=shiftgen
#SBATCH --array=0-31
#SBATCH --cpus-per-task=8
#SBATCH --mem=4G
#SBATCH --time=04:00:00
#SBATCH --requeue
#SBATCH --open-mode=append
# One shard per array task, written into OUT on shared storage; a requeued task resumes
# where it stopped. Set IN, OUT, SHIFTS or SHIFTGEN_OPTS (more generate options) when
# submitting to change the defaults below; IN= (empty) uses the sample built into shiftgen.
set -euo pipefail
IN=${IN-/shared/imagenet}
OUT=${OUT:-/shared/shifted}
SHIFTS=${SHIFTS:-spurious-tint vflip night:severity=3}
shift_args=()
for s in $SHIFTS; do shift_args+=(--shift "$s"); done
exec shiftgen generate ${IN:+--in "$IN"} --out "$OUT" "${shift_args[@]}" \
  --workers "$SLURM_CPUS_PER_TASK" --shard auto --resume --quiet ${SHIFTGEN_OPTS:-}
