#!/usr/bin/env bash
# Tests of the Acme day dataset (Benchmarks/dataset): generates it (make dataset, .build/dataset),
# runs the generator's unit tests on it (determinism against the committed checksums,
# native formats, manifest references, facts against the rule thresholds), then checks that
# sluice's own parsers read a sample of every file (every 20th record and every record the
# manifest cites; DATASET_FULL_PARSE=1 for all of them) with zero failures.
# Needs python3 and a built sluice (SLUICE, default .build/debug/sluice: `swift build`).
set -euo pipefail
cd "$(dirname "$0")/.."
SLUICE=${SLUICE:-.build/debug/sluice}
if [ ! -x "$SLUICE" ]; then
    echo "test-dataset: $SLUICE not found (swift build --product sluice)" >&2
    exit 1
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

start=$(date +%s)
# The same directory `make dataset` fills (and `make test-e2e` and `make demo` read): generated
# once per generator change, so CI generates the four days once.
day=$(pwd)/.build/dataset
make --no-print-directory -s dataset
(cd Benchmarks/dataset && DAYGEN_OUT="$day" python3 -m unittest -q test_daygen)

if [ "${DATASET_FULL_PARSE:-0}" = 1 ]; then
    python3 Benchmarks/dataset/sample.py "$day" "$out/sample" 1 > "$out/plan"
else
    python3 Benchmarks/dataset/sample.py "$day" "$out/sample" 20 > "$out/plan"
fi
failed=0
while read -r file format lines records; do
    "$SLUICE" parse --format "$format" "$out/sample/$file" > "$out/events" 2> "$out/err" || true
    summary=$(tail -n 1 "$out/err")
    events=$(wc -l < "$out/events")
    if [ "$summary" != "$lines records, $records events, 0 failed" ] || [ "$events" != "$records" ]; then
        echo "test-dataset: $format $file: expected '$lines records, $records events, 0 failed', got '$summary' ($events events)" >&2
        head -n 5 "$out/err" >&2
        failed=1
    else
        echo "test-dataset: sluice parse --format $format: $lines lines, $records events, 0 failed"
    fi
done < "$out/plan"
echo "test-dataset: done in $(( $(date +%s) - start )) s"
exit "$failed"
