#!/usr/bin/env bash
# Enrichment with big feeds loaded, part of `make bench`: 1,000,000 threat-intel indicators and
# 100,000 assets (20,000 identities) generated once into bench-out/enrich/, then loaded and
# run over 400,000 proxy and DNS events by sluice-enrich-bench in its own process, under
# /usr/bin/time for the peak resident memory.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-bench-out}
bash scripts/swift-release.sh --product sluice-enrich-bench >/dev/null
BIN=.build/release/sluice-enrich-bench
mkdir -p "$OUT/enrich"
[ -s "$OUT/enrich/intel.csv" ] || "$BIN" gen "$OUT/enrich" 1000000 100000 >&2
echo
echo "Enrichment (sluice-enrich-bench run, 1,000,000 indicators, 100,000 assets):"
/usr/bin/time -v "$BIN" run "$OUT/enrich" 400000 2> "$OUT/enrich-bench.time" | tee "$OUT/enrich-bench.txt"
echo "| peak resident memory of the process (/usr/bin/time) | $(awk '/Maximum resident/ {printf "%.1f MiB", $NF/1024}' "$OUT/enrich-bench.time") |" | tee -a "$OUT/enrich-bench.txt"
