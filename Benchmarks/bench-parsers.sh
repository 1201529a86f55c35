#!/usr/bin/env bash
# Per-parser throughput (1,000,000 generated records per format, one thread), part of `make bench`.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-bench-out}
N=${2:-1000000}
bash scripts/swift-release.sh --product sluice-bench >/dev/null
echo
echo "Per-parser throughput (sluice-bench --records $N):"
.build/release/sluice-bench --records "$N" | tee "$OUT/parsers.md"
