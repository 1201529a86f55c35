#!/usr/bin/env bash
# Differential test input: installs pinned pySigma and its SQLite backend from PyPI into a
# private venv (.build/pysigma-venv, reused), then writes OUTDIR/rules.yml, events.jsonl and
# pysigma.json (see Tests/Differential/pysigma_diff.py). Usage: pysigma-diff.sh OUTDIR
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:?usage: pysigma-diff.sh OUTDIR}
VENV=${PYSIGMA_VENV:-.build/pysigma-venv}
PYSIGMA=2.0.1
BACKEND=2.1.1
if ! "$VENV/bin/python" -c "import sigma.backends.sqlite" 2>/dev/null; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q --disable-pip-version-check "pysigma==$PYSIGMA" "pysigma-backend-sqlite==$BACKEND"
fi
mkdir -p "$OUT"
"$VENV/bin/python" Tests/Differential/pysigma_diff.py "$OUT" Tests/Fixtures/sigma-community/lnx_process_creation.yml
