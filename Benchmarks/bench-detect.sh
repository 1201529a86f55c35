#!/usr/bin/env bash
# Detection throughput (the pack plus 300 community-style rules on a mixed stream, one core),
# memory with 1,000,000 active group keys, snapshot/restore at that size. Part of `make bench`.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-bench-out}
bash scripts/swift-release.sh --product sluice-detect-bench >/dev/null
echo
echo "Detection (sluice-detect-bench):"
.build/release/sluice-detect-bench throughput 1000000 --repeat 3 | tee "$OUT/detect-bench.txt"
# The shipped rule pack (Pipelines/rules) instead of the bench's own pack.
.build/release/sluice-detect-bench throughput 1000000 --repeat 3 --pack Pipelines/rules | tee -a "$OUT/detect-bench.txt"
/usr/bin/time -v .build/release/sluice-detect-bench keys 1000000 2> "$OUT/detect-keys.time" | tee -a "$OUT/detect-bench.txt"
grep "Maximum resident" "$OUT/detect-keys.time" | tee -a "$OUT/detect-bench.txt"
