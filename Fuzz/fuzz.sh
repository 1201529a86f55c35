#!/usr/bin/env bash
# Runs the libFuzzer target of each parser for a while; any crash is saved under
# Fuzz/crashes/ and makes this script exit non-zero.
#
#   bash Fuzz/fuzz.sh [seconds-per-parser] [parser...]
#   parsers: syslog github-audit cef auto json squid w3c-proxy bind-query dnsmasq zeek-dns
#            auditd sysmon-linux osquery (default: all)
#
# Built with `swift build -c release -Xswiftc -sanitize=fuzzer` (libFuzzer, coverage
# guided) in Fuzz/.build. Corpora grow in Fuzz/corpus-<parser>/ (git-ignored), seeded from
# Fuzz/seeds/<parser>/ (realistic samples from the tests).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
secs="${1:-60}"
shift || true
parsers=("$@")
[ ${#parsers[@]} -eq 0 ] && parsers=(syslog github-audit cef auto json squid w3c-proxy bind-query dnsmasq zeek-dns auditd sysmon-linux osquery)

cd "$here"
swift build -c release -Xswiftc -sanitize=fuzzer 2>&1 | tail -n 3
bin="$(swift build -c release -Xswiftc -sanitize=fuzzer --show-bin-path)"
mkdir -p crashes
status=0
for p in "${parsers[@]}"; do
  corpus="corpus-$p"
  mkdir -p "$corpus"
  cp -n seeds/"$p"/* "$corpus"/ 2>/dev/null || true
  echo "== fuzz-$p for ${secs}s"
  # SWIFT_BACKTRACE=enable=no: let libFuzzer (not Swift's backtracer) catch traps and save the input.
  if ! SWIFT_BACKTRACE=enable=no "$bin/fuzz-$p" "$corpus" -max_total_time="$secs" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
       -artifact_prefix="crashes/$p-" -print_final_stats=1 2> "fuzz-$p.log"; then
    echo "!! fuzz-$p found a problem; see Fuzz/fuzz-$p.log and Fuzz/crashes/"
    status=1
  fi
  grep -E "^(stat::number_of_executed_units|stat::peak_rss_mb|Done|INFO: Seed)" "fuzz-$p.log" | tr '\n' ' '; echo
done
exit $status
