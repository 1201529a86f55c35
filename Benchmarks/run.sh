#!/usr/bin/env bash
# `make bench`: throughput and memory of Sluice on generated, realistic input.
# Builds the release binary, generates the workload once (bench-out/), runs each benchmark
# under /usr/bin/time, and prints Markdown rows for BENCHMARKS.md (also saved in bench-out/).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${BENCH_EVENTS:-1000000}
OUT=bench-out
mkdir -p "$OUT"
bash scripts/swift-release.sh --product sluice >/dev/null
BIN=.build/release/sluice

if [ ! -s "$OUT/github-audit-$N.jsonl" ]; then
    echo "generating $N GitHub audit events..." >&2
    python3 Benchmarks/gen_github_audit.py "$N" > "$OUT/github-audit-$N.jsonl"
fi
INPUT="$OUT/github-audit-$N.jsonl"
BYTES=$(stat -c %s "$INPUT")

# measure NAME COMMAND... : runs under /usr/bin/time -v, prints a Markdown row.
measure() {
    local name=$1; shift
    /usr/bin/time -v "$@" 2> "$OUT/$name.time" >/dev/null
    local wall user sys rss
    wall=$(grep "Elapsed (wall clock)" "$OUT/$name.time" | awk '{print $NF}' | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
    user=$(grep "User time" "$OUT/$name.time" | awk '{print $NF}')
    sys=$(grep "System time" "$OUT/$name.time" | awk '{print $NF}')
    rss=$(grep "Maximum resident" "$OUT/$name.time" | awk '{print $NF}')
    python3 - "$name" "$N" "$BYTES" "$wall" "$user" "$sys" "$rss" <<'PY'
import sys
name, n, b, wall, user, sys_, rss = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6]), int(sys.argv[7])
print(f"| {name} | {n:,} | {b/2**20:,.0f} | {wall:.2f} | {n/wall:,.0f} | {b/2**20/wall:,.1f} | {user+sys_:.2f} | {rss/1024:,.1f} |")
PY
}

# passthrough DROP_ORIGINAL: file source -> json parse -> file sink (JSON lines).
passthrough() {
    cat > "$OUT/passthrough.yaml" <<YAML
sources:
  audit:
    type: file
    include: ["$PWD/$INPUT"]
transforms:
  parse:
    type: parse
    inputs: [audit]
    format: json
    drop_original: $1
sinks:
  out:
    type: file
    inputs: [parse]
    path: $PWD/$OUT/passthrough-out.ndjson
YAML
}

echo "| benchmark | events | input MiB | wall s | events/s | MiB/s (input) | CPU s | peak RSS MiB |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
for drop in false true; do
    passthrough $drop
    rm -f "$OUT/passthrough-out.ndjson"
    label="file → json → file, event.original kept"
    [ "$drop" = true ] && label="file → json → file, drop_original: true"
    measure "$label" "$BIN" replay --quiet --config "$OUT/passthrough.yaml" | tee -a "$OUT/passthrough.md"
    got=$(wc -l < "$OUT/passthrough-out.ndjson")
    [ "$got" -eq "$N" ] || { echo "passthrough wrote $got events, expected $N" >&2; exit 1; }
done
rm -f "$OUT/passthrough-out.ndjson"

# Further benchmarks contributed per area (parsers, ingest, sinks).
for extra in Benchmarks/bench-*.sh; do
    [ -e "$extra" ] || continue
    bash "$extra" "$OUT" "$N"
done
