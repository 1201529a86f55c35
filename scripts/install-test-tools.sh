#!/usr/bin/env bash
# Installs the Python tools the tests use (pinned), when missing: mmdb-writer builds the small
# MaxMind DB files the GeoIP tests read. Called by scripts/install-deps.sh (`make deps`) and,
# if still missing, by the tests themselves.
set -euo pipefail
PY=${PYTHON:-python3}
if ! "$PY" -c 'import mmdb_writer, netaddr' >/dev/null 2>&1; then
    echo "installing mmdb-writer 0.2.7 (test tool)"
    "$PY" -m pip install --quiet --disable-pip-version-check "mmdb-writer==0.2.7" "netaddr==1.3.0"
fi
