#!/usr/bin/env bash
# Runs the XCTest suite (already built) and ends with a plain "N passed, N failed" line.
#
# Without arguments the suite runs in four shards at once, straight from the test bundle
# (`swift test` holds a lock on .build, so two cannot run side by side): most of the suite's
# time is waiting (on the `sluice` processes the process-level tests start, a 30-second sink
# outage, SIGKILL loops), so four shards on two cores end sooner than one. Test classes are
# spread over the shards by their measured durations (the table below). Each shard's output
# is printed whole once it ends. With arguments, they go to one `swift test` run (make test-tsan passes --sanitize,
# --scratch-path and --filter).
#
# CI shows only the tail of a failed run, so on failure this ends with a digest of what went
# wrong: the test that was running when the process died, every failed assertion, and the first
# lines of any crash (Swift fatal error) or ThreadSanitizer report.
set -uo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
# Every temporary file the tests and the processes they start write goes under one directory
# per run (tests keep their directories so a failure can be read): removed when the run
# passes, kept and named when it fails. A full suite leaves over 1 GiB there; CI machines
# have little disk.
export TMPDIR
TMPDIR=$(mktemp -d /tmp/sluice-tests.XXXXXX)
finish() {
    local status=$?
    rm -rf "$work"
    if [ "$status" -eq 0 ]; then
        rm -rf "$TMPDIR"
    else
        echo "run-tests: the tests' temporary files are kept in $TMPDIR" >&2
    fi
}
trap finish EXIT

# Prints the digest of one failed log.
digest() {
    local log=$1 status=$2
    echo
    echo "==== digest of the failed run ($(basename "$log" .log), exit $status) ===="
    local started finished fatal tsan
    started=$(grep -E "^Test Case '.*' started" "$log" | tail -1)
    finished=$(grep -E "^Test Case '.*' (passed|failed|skipped)" "$log" | tail -1)
    echo "last test started:  ${started:-none}"
    echo "last test finished: ${finished:-none}"
    grep -E "error: -\[|: error: " "$log" | head -40
    grep -n -E "Fatal error|Precondition failed|Assertion failed|Segmentation fault|signal [0-9]+" "$log" | head -10
    fatal=$(grep -n -m1 -E "Fatal error|Precondition failed|Assertion failed" "$log" | cut -d: -f1)
    if [ -n "$fatal" ]; then sed -n "${fatal},$((fatal + 30))p" "$log"; fi
    tsan=$(grep -n -m1 "WARNING: ThreadSanitizer" "$log" | cut -d: -f1)
    if [ -n "$tsan" ]; then sed -n "${tsan},$((tsan + 60))p" "$log"; fi
    echo "==== end of digest ===="
}

# "total failed" from a log's last XCTest summary, or nothing when the process died.
counts() {
    grep -E "Executed [0-9]+ tests?, with [0-9]+ failures?" "$1" | tail -1 |
        sed -E 's/.*Executed ([0-9]+) tests?, with ([0-9]+) failures?.*/\1 \2/'
}

if [ $# -gt 0 ]; then
    log="$work/suite.log"
    swift test --skip-build --disable-swift-testing "$@" 2>&1 | tee "$log"
    status=${PIPESTATUS[0]}
    read -r total failed <<< "$(counts "$log")"
    if [ "$status" -ne 0 ] || [ -z "${total:-}" ]; then digest "$log" "$status"; fi
    if [ -z "${total:-}" ]; then
        echo "no XCTest summary found (the test process died: see the digest above)" >&2
        exit 1
    fi
    echo "tests: $((total - failed)) passed, $failed failed"
    exit "$status"
fi

bundle="$(swift build --show-bin-path)/sluicePackageTests.xctest"
if [ ! -x "$bundle" ]; then
    echo "run-tests: $bundle not found (swift build --build-tests first)" >&2
    exit 1
fi
"$bundle" --list-tests | grep / | sed 's|/.*||' | sort -u > "$work/classes"
# Seconds the longest test classes took in a sharded run of a clean clone (2-core machine);
# any other class counts half a second. Only used to balance the shards: longest first, each
# class to the shard with the least so far. A class missing here still runs.
weights='SinkOutageTests 39
StatefulRuntimeTests 18
GitHubAuditAPISourceTests 13
ShippedPipelinesTests 12
IngestCrashTests 9
SyslogSourceTests 8
FileSourceTests 8
RunCommandTests 7
SyslogShutdownTests 7
SyslogSinkTests 6
PySigmaDifferentialTests 6
RulePackTests 6
HTTPSinkTests 5
ServiceNotifierTests 4
HTTPSinkRedirectAndTLSTests 2
FileSourceLinkTests 2
SplunkHECSourceTests 2
JournaldSourceTests 2'
awk -v table="$weights" 'BEGIN { n = split(table, rows, "\n"); for (i = 1; i <= n; i++) { split(rows[i], f, " "); w[f[1]] = f[2] } }
    { c = $0; sub(/^[^.]*\./, "", c); print ((c in w) ? w[c] : 0.5), $0 }' "$work/classes" |
    sort -k1,1 -rn -k2,2 |
    awk '{ best = 1; for (s = 2; s <= 4; s++) if (load[s] < load[best]) best = s; load[best] += $1; print best, $2 }' > "$work/assigned"
for n in 1 2 3 4; do awk -v n="$n" '$1 == n { print $2 }' "$work/assigned" | paste -sd, - > "$work/shard$n"; done
start=$(date +%s)
pids=()
for n in 1 2 3 4; do
    "$bundle" "$(cat "$work/shard$n")" > "$work/shard$n.log" 2>&1 &
    pids+=($!)
done
echo "tests: $(wc -l < "$work/classes") test classes in 4 shards"
status=0
all=0
bad=0
for n in 1 2 3 4; do
    wait "${pids[$((n - 1))]}"
    s=$?
    cat "$work/shard$n.log"
    read -r total failed <<< "$(counts "$work/shard$n.log")"
    if [ "$s" -ne 0 ] || [ -z "${total:-}" ]; then
        status=1
        digest "$work/shard$n.log" "$s"
        [ -z "${total:-}" ] && echo "shard $n: no XCTest summary found (the test process died: see the digest above)" >&2
    fi
    all=$((all + ${total:-0}))
    bad=$((bad + ${failed:-0}))
    echo "tests: shard $n: ${total:-?} run, ${failed:-?} failed ($(( $(date +%s) - start )) s)"
    total=; failed=
done
echo "tests: $((all - bad)) passed, $bad failed"
exit "$status"
