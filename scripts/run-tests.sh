#!/usr/bin/env bash
# Runs the XCTest suite (already built) and ends with a plain "N passed, N failed" line.
set -uo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp)
swift test --skip-build --disable-swift-testing 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
summary=$(grep -E "Executed [0-9]+ tests?, with [0-9]+ failures?" "$log" | tail -1)
total=$(echo "$summary" | sed -E 's/.*Executed ([0-9]+) tests?.*/\1/')
failed=$(echo "$summary" | sed -E 's/.*with ([0-9]+) failures?.*/\1/')
rm -f "$log"
if [ -z "$summary" ]; then
    echo "no XCTest summary found" >&2
    exit 1
fi
echo "tests: $((total - failed)) passed, $failed failed"
exit "$status"
