#!/usr/bin/env bash
# File and syslog TCP ingest throughput (events into a counting sink), part of `make bench`.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-bench-out}
N=${2:-1000000}
bash scripts/swift-release.sh --product sluice-ingest-bench >/dev/null
echo
echo "Ingest (sluice-ingest-bench file|tcp $N):"
for mode in file tcp; do
    .build/release/sluice-ingest-bench "$mode" "$N" | tee -a "$OUT/ingest.txt"
done
