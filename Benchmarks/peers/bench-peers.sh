#!/usr/bin/env bash
# `make bench-peers`: Sluice, rsyslog and syslog-ng side by side on this machine, same inputs,
# one invocation (Benchmarks/peers/bench_peers.py does the measuring). It is not one of the
# Benchmarks/bench-*.sh scripts on purpose: `make bench` does not run it.
#
#   make bench-peers                       # N=1,000,000 events, 3 rounds, workloads 1, 2, 3
#   N=200000 ROUNDS=3 make bench-peers     # a quick run
#   WORKLOADS=1 PROFILE=0 make bench-peers # workload 1 only, no perf profile
#
# Prepares what the measurement needs, without touching the system's services:
# - rsyslog (installed by `make deps`), perf (linux-perf), socat and nc for the sender check,
#   installed with apt-get under /tmp/sluice-apt.lock when missing (none of them starts a
#   service);
# - syslog-ng, whose Debian package conflicts with rsyslog and would register a system
#   service: fetched with `apt-get download` and unpacked with `dpkg-deb -x` into
#   bench-out/peers/syslog-ng-root (run from there with LD_LIBRARY_PATH and --module-path);
# - benchtool (Benchmarks/peers/benchtool.c: sender, sink, output watcher), compiled with cc;
# - release builds of sluice and sluice-bench.
# Results: bench-out/peers/results.md (also printed) and results.json (every run).
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${BENCH_PEERS_OUT:-$PWD/bench-out/peers}
export BENCH_PEERS_OUT=$OUT
mkdir -p "$OUT"
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive

need=()
command -v rsyslogd >/dev/null || [ -x /usr/sbin/rsyslogd ] || need+=(rsyslog)
command -v perf >/dev/null || need+=(linux-perf)
command -v socat >/dev/null || need+=(socat)
command -v nc >/dev/null || need+=(netcat-openbsd)
command -v taskset >/dev/null || need+=(util-linux)
command -v cc >/dev/null || need+=(gcc)
if [ ${#need[@]} -gt 0 ]; then
    echo "installing: ${need[*]}" >&2
    flock /tmp/sluice-apt.lock $SUDO apt-get install -y -qq "${need[@]}" >/dev/null \
        || { flock /tmp/sluice-apt.lock $SUDO apt-get update -qq && flock /tmp/sluice-apt.lock $SUDO apt-get install -y -qq "${need[@]}" >/dev/null; }
fi

SNG=$OUT/syslog-ng-root
if [ ! -x "$SNG/usr/sbin/syslog-ng" ]; then
    echo "fetching syslog-ng (apt-get download, unpacked into $SNG; not installed)" >&2
    debs=$OUT/debs
    rm -rf "$debs" "$SNG"
    mkdir -p "$debs" "$SNG"
    # syslog-ng-core and the libraries it needs that a build machine usually lacks (Debian 12).
    pkgs=(syslog-ng-core libivykis0 libnet1 libpcre3 libwrap0)
    (cd "$debs" && { flock /tmp/sluice-apt.lock apt-get download "${pkgs[@]}" >/dev/null 2>&1 \
        || { flock /tmp/sluice-apt.lock $SUDO apt-get update -qq && flock /tmp/sluice-apt.lock apt-get download "${pkgs[@]}" >/dev/null; }; })
    for d in "$debs"/*.deb; do dpkg-deb -x "$d" "$SNG"; done
fi
SNG_LIBS=$SNG/usr/lib/syslog-ng:$SNG/usr/lib/x86_64-linux-gnu:$SNG/lib/x86_64-linux-gnu
if LD_LIBRARY_PATH=$SNG_LIBS ldd "$SNG/usr/sbin/syslog-ng" | grep -q "not found"; then
    echo "syslog-ng in $SNG lacks libraries:" >&2
    LD_LIBRARY_PATH=$SNG_LIBS ldd "$SNG/usr/sbin/syslog-ng" | grep "not found" >&2
    exit 1
fi

cc -O2 -Wall -o "$OUT/benchtool" Benchmarks/peers/benchtool.c

echo "building sluice and sluice-bench (release)" >&2
bash scripts/swift-release.sh --product sluice >/dev/null
bash scripts/swift-release.sh --product sluice-bench >/dev/null

exec python3 Benchmarks/peers/bench_peers.py
