#!/usr/bin/env bash
# Old against new binary on make bench's end-to-end workload (file → json → file, 1,000,000
# GitHub audit events, event.original kept and dropped), rounds interleaved so both see the
# same machine. Usage: Benchmarks/compare-binaries.sh OLD_SLUICE NEW_SLUICE [ROUNDS]
# Build an old binary with: git worktree add /tmp/old REV && (cd /tmp/old && swift build -c release)
set -euo pipefail
cd "$(dirname "$0")/.."
OLD=$1 NEW=$2 ROUNDS=${3:-3}
IN=$PWD/bench-out/github-audit-1000000.jsonl
[ -f "$IN" ] || { mkdir -p bench-out; python3 Benchmarks/gen_github_audit.py 1000000 > "$IN"; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
for drop in false true; do
  cat > "$tmp/p-$drop.yaml" <<YAML
sources:
  audit: {type: file, include: ["$IN"]}
transforms:
  parse: {type: parse, inputs: [audit], format: json, drop_original: $drop}
sinks:
  out: {type: file, inputs: [parse], path: $tmp/out.ndjson}
YAML
done
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq "$ROUNDS"); do
  for drop in false true; do
    for bin in old new; do
      b=$OLD; [ $bin = new ] && b=$NEW
      rm -f "$tmp/out.ndjson"
      /usr/bin/time -f "%e %U %S %M" -o "$tmp/time" "$b" replay --quiet --config "$tmp/p-$drop.yaml" > /dev/null 2> "$tmp/err"
      n=$(wc -l < "$tmp/out.ndjson")
      [ "$n" = 1000000 ] || { echo "$bin drop=$drop wrote $n lines, not 1000000" >&2; exit 1; }
      read -r wall user sys rss < "$tmp/time"
      echo "round=$round drop_original=$drop bin=$bin wall_s=$wall cpu_s=$(echo "$user + $sys" | bc) rss_mib=$((rss / 1024)) events_per_s=$(echo "1000000 / $wall" | bc)"
    done
  done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
