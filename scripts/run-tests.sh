#!/usr/bin/env bash
# Runs the XCTest suite (already built) and ends with a plain "N passed, N failed" line.
# Extra arguments go to `swift test` (make test-tsan passes --sanitize, --scratch-path, --filter).
#
# CI shows only the tail of a failed run, so on failure this ends with a digest of what went
# wrong: the test that was running when the process died, every failed assertion, and the first
# lines of any crash (Swift fatal error) or ThreadSanitizer report.
set -uo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp)
swift test --skip-build --disable-swift-testing "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
summary=$(grep -E "Executed [0-9]+ tests?, with [0-9]+ failures?" "$log" | tail -1)
if [ "$status" -ne 0 ] || [ -z "$summary" ]; then
    echo
    echo "==== digest of the failed run (exit $status) ===="
    started=$(grep -E "^Test Case '.*' started" "$log" | tail -1)
    finished=$(grep -E "^Test Case '.*' (passed|failed|skipped)" "$log" | tail -1)
    echo "last test started:  ${started:-none}"
    echo "last test finished: ${finished:-none}"
    grep -E "error: -\[|: error: " "$log" | head -40
    # A crash: the runtime's message and the frames after it.
    grep -n -E "^(Fatal error|Precondition failed|Assertion failed)|^.*: Fatal error:|Crash|signal [0-9]+|Segmentation fault" "$log" | head -10
    fatal=$(grep -n -m1 -E "Fatal error|Precondition failed|Assertion failed" "$log" | cut -d: -f1)
    if [ -n "$fatal" ]; then sed -n "$((fatal)),$((fatal + 30))p" "$log"; fi
    tsan=$(grep -n -m1 "WARNING: ThreadSanitizer" "$log" | cut -d: -f1)
    if [ -n "$tsan" ]; then sed -n "$((tsan)),$((tsan + 60))p" "$log"; fi
    echo "==== end of digest ===="
fi
rm -f "$log"
if [ -z "$summary" ]; then
    echo "no XCTest summary found (the test process died: see the digest above)" >&2
    exit 1
fi
total=$(echo "$summary" | sed -E 's/.*Executed ([0-9]+) tests?.*/\1/')
failed=$(echo "$summary" | sed -E 's/.*with ([0-9]+) failures?.*/\1/')
echo "tests: $((total - failed)) passed, $failed failed"
exit "$status"
