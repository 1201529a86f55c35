#!/usr/bin/env bash
# Alert/event encoding (CEF, JSON, OCSF) and TCP syslog output throughput, part of `make bench`.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-bench-out}
bash scripts/swift-release.sh --product sluice-sink-bench >/dev/null
echo
echo "Sink encoders and TCP syslog output (sluice-sink-bench 200000):"
.build/release/sluice-sink-bench 200000 | tee "$OUT/sink-bench.txt"
