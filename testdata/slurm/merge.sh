#!/bin/bash
#SBATCH --job-name=shiftgen-merge
#SBATCH --cpus-per-task=1
#SBATCH --time=01:00:00
# Joins the shards of every dataset in OUT, then checks every file against its manifest.
# Submit it to start once the whole array has succeeded:
#   sbatch --dependency=afterok:<array job id> merge.sh
set -euo pipefail
OUT=${OUT:-/shared/shifted}
for d in "$OUT"/*/; do
  # A dataset merged by an earlier run of this job (manifest, no shards left) is done.
  if [ -e "$d/manifest.json" ] && [ ! -e "$d/.work" ]; then continue; fi
  shiftgen merge "$d"
done
shiftgen verify --quiet "$OUT"/*/
