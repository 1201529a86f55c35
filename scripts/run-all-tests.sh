#!/usr/bin/env bash
# What `make test` runs once `swift build --build-tests` has built everything: the XCTest suite
# (scripts/run-tests.sh) and, beside it, the dataset tests then the Acme day end to end
# (scripts/test-dataset.sh, scripts/test-e2e.sh), all on that one debug build. The suite
# mostly waits on the processes its tests start and the end-to-end test waits 25 s for
# stragglers, so running them side by side ends sooner than one after the other. The suite's
# output comes first, then the other's; the exit status is non-zero when either failed.
set -uo pipefail
cd "$(dirname "$0")/.."
bin=$("${SWIFT:-swift}" build --show-bin-path)
log=$(mktemp)
trap 'rm -f "$log"' EXIT
start=$(date +%s)
( SLUICE="$bin/sluice" bash scripts/test-dataset.sh && SLUICE="$bin/sluice" bash scripts/test-e2e.sh ) > "$log" 2>&1 &
other=$!
bash scripts/run-tests.sh
suite=$?
wait "$other"
rest=$?
cat "$log"
echo "make test: suite exit $suite, dataset and end-to-end exit $rest ($(( $(date +%s) - start )) s after the build)"
[ "$suite" -eq 0 ] && [ "$rest" -eq 0 ]
