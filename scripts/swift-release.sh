#!/usr/bin/env bash
# `swift build -c release --static-swift-stdlib` plus the given arguments (`--product NAME`,
# `--show-bin-path`): the one set of release flags that every make target and script uses, so
# the release build is compiled once. SwiftPM recompiles every module when the flags differ:
# with the .deb's static Swift runtime on one side and plain release builds on the other, CI
# compiled the release three times. The static runtime is what the .deb ships (no Swift
# libraries needed on the collector), so the tests and benchmarks run that binary too.
set -euo pipefail
exec "${SWIFT:-swift}" build -c release --static-swift-stdlib "$@"
