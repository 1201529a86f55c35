#!/usr/bin/env bash
# Instructions per event of Sluice binaries (callgrind), for A/B comparisons that the shared
# build machine's noise cannot blur: time varies ±20-30% from run to run there, instruction
# counts by up to 0.5% (the batches the threads hand each other differ with the load; compare
# binaries within one run). Counts instructions, not time: cache misses, cross-core traffic
# and the kernel's page-cache copy are not in it, so the figures of `make bench-peers` stay
# the measure of record; this one says whether a change removed work.
#
#   Benchmarks/peers/instructions.sh BINARY [BINARY...]
#
# For each binary: `sluice replay` of workload 1 (json parse -> file; drop_original true and
# false) and of workload 3 (Benchmarks/peers/sluice-detect.yaml), on $LINES lines (default
# 50,000) of the audit input of a `make bench-peers` run from line $FROM (default 1), under
# `valgrind --tool=callgrind`; the same pipeline over an empty file is counted too and taken
# off, so the figure is instructions per event of the event path alone. Needs valgrind
# (`apt-get install valgrind`) and the inputs in bench-out/peers/inputs (N=1000000 by default).
# Valgrind 3.19 cannot read the DWARF of Swift 6 binaries, so each binary is copied without
# debug sections (`strip -g`) first; symbols stay, for callgrind_annotate.
# Note: a 50,000-line slice alerts about eight times as often per event as the whole
# 1,000,000-line run (each group's first episode alerts; the generated file's first 30,000
# lines also hold nearly all of its attacks), so workload 3's figure weighs the alert path
# more than the full run does; a slice from the middle (FROM=200001) weighs it less.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ $# -ge 1 ] || { sed -n 2,20p "$0"; exit 2; }
command -v valgrind >/dev/null || { echo "instructions.sh: needs valgrind (apt-get install valgrind)" >&2; exit 1; }
OUT=${BENCH_PEERS_OUT:-$PWD/bench-out/peers}
N=${N:-1000000}
LINES=${LINES:-50000}
FROM=${FROM:-1}
IN=$OUT/inputs
[ -s "$IN/github-audit-$N.jsonl" ] || { echo "instructions.sh: no $IN/github-audit-$N.jsonl (run make bench-peers, or N=... of an existing input)" >&2; exit 1; }
W=$OUT/run/instructions
rm -rf "$W"; mkdir -p "$W"
sed -n "$FROM,$((FROM + LINES - 1))p;$((FROM + LINES - 1))q" "$IN/github-audit-$N.jsonl" > "$W/audit.jsonl"
: > "$W/empty.jsonl"

w1() {  # input drop -> pipeline file
    cat > "$W/w1.yaml" <<YAML
data_dir: $W/work/data
sources:
  audit: {type: file, include: ["$1"]}
transforms:
  parse: {type: parse, inputs: [audit], format: json, drop_original: $2}
sinks:
  out: {type: file, inputs: [parse], path: "$W/work/out.json"}
YAML
    echo "$W/w1.yaml"
}
w3() {  # input -> pipeline file
    sed -e "s|@INPUT@|$1|; s|@SQUID@|$IN/squid-$N.log|; s|@INTEL@|$IN/intel-100000.csv|; s|@CONTEXT@|$IN/context.yaml|" \
        -e "s|@OUTPUT@|$W/work/out.json|; s|@ALERTS@|$W/work/alerts.json|; s|@WORKDIR@|$W/work|; s|@RULES@|$PWD/Pipelines/rules|" \
        Benchmarks/peers/sluice-detect.yaml > "$W/w3.yaml"
    echo "$W/w3.yaml"
}
count() {  # binary config -> instructions
    rm -rf "$W/work"; mkdir -p "$W/work/data"
    valgrind --tool=callgrind --callgrind-out-file="$W/callgrind.out" "$1" replay --config "$2" > "$W/valgrind.txt" 2>&1 \
        || { echo "instructions.sh: $1 replay failed under valgrind:" >&2; tail -5 "$W/valgrind.txt" >&2; exit 1; }
    sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$W/valgrind.txt"
}

printf '%-40s %-22s %14s %14s\n' binary workload instructions per-event
for bin in "$@"; do
    s="$W/$(basename "$bin").stripped"
    strip -g -o "$s" "$bin"
    for job in "w1 true" "w1 false" "w3"; do
        set -- $job
        if [ "$1" = w1 ]; then full=$(count "$s" "$(w1 "$W/audit.jsonl" "$2")"); base=$(count "$s" "$(w1 "$W/empty.jsonl" "$2")"); name="1, drop_original $2"
        else full=$(count "$s" "$(w3 "$W/audit.jsonl")"); base=$(count "$s" "$(w3 "$W/empty.jsonl")"); name="3 (detect)"; fi
        printf '%-40s %-22s %14s %14s\n' "$(basename "$bin")" "$name" "$full" "$(( (full - base) / LINES ))"
    done
done
