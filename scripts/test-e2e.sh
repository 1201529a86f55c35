#!/usr/bin/env bash
# End-to-end tests of the shipped rule pack on the Acme day (scripts/e2e_acme_day.py): the
# generated days through `sluice replay --config Pipelines/demo.yaml` give exactly the manifest's
# planted alerts, and the same stages through `sluice run` deliver them intact as CEF to a real
# rsyslogd. The four days are 1.15 million lines: this uses the debug build `make test` made
# (`swift build`; Package.swift compiles Sluice's own modules with -O in debug builds, so it reads
# them in seconds, not minutes) or SLUICE (a binary to test, e.g. .build/release/sluice), and
# `make dataset` (.build/dataset, regenerated only when the generator changed; deterministic).
set -euo pipefail
cd "$(dirname "$0")/.."
export SWIFT=${SWIFT:-swift}
start=$(date +%s)
sh scripts/embed-default-pipeline.sh --check
if [ -z "${SLUICE:-}" ]; then
    "$SWIFT" build --product sluice 2>&1 | tail -n 1
    SLUICE=$("$SWIFT" build --show-bin-path)/sluice
fi
make --no-print-directory -s dataset
python3 scripts/e2e_acme_day.py --sluice "$SLUICE" --data .build/dataset
echo "test-e2e: done in $(( $(date +%s) - start )) s"
