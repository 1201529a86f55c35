#!/usr/bin/env bash
# `make demo`: the Acme day (make dataset) through the shipped pipeline (Pipelines/demo.yaml:
# parsers, context, code-repository services, threat intel, the built-in rule pack), then the
# alerts as a table with the evidence of the top ones, where the full outputs are, and the
# pipeline's summary. Needs the release binary (make release) and the dataset (make dataset).
set -euo pipefail
cd "$(dirname "$0")/.."
SLUICE=${SLUICE:-.build/release/sluice}
export SLUICE_DEMO_DATA=${SLUICE_DEMO_DATA:-.build/dataset}
export SLUICE_DEMO_OUT=${SLUICE_DEMO_OUT:-.build/demo}
rm -rf "$SLUICE_DEMO_OUT"
mkdir -p "$SLUICE_DEMO_OUT"

bold() { if [ -t 1 ]; then printf '\033[1m%s\033[0m\n' "$*"; else printf '%s\n' "$*"; fi; }
bold "== Acme Corp, 2025-11-17 to 2025-11-20: four days of GitHub audit, Squid, BIND and auditd logs"
lines=$(cat "$SLUICE_DEMO_DATA"/github-audit.jsonl "$SLUICE_DEMO_DATA"/squid-access.log "$SLUICE_DEMO_DATA"/bind-queries.log "$SLUICE_DEMO_DATA"/audit.log | wc -l)
echo "   $(echo "$lines" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta') log lines of a 300-person company; six attacks planted on the last day (see README, The Acme day)"
bold "== sluice replay --config Pipelines/demo.yaml   (parse, enrich, detect with the built-in rule pack)"
echo
"$SLUICE" replay --config Pipelines/demo.yaml --log-level error 2> "$SLUICE_DEMO_OUT/summary.txt" || { cat "$SLUICE_DEMO_OUT/summary.txt" >&2; exit 1; }
"$SLUICE" alerts "$SLUICE_DEMO_OUT/alerts.json" --top 6
echo
bold "== Full outputs"
echo "   $SLUICE_DEMO_OUT/alerts.json  $(wc -l < "$SLUICE_DEMO_OUT/alerts.json") alerts as JSON lines (ECS; with evidence, enrichment, details)"
echo "   $SLUICE_DEMO_OUT/alerts.cef   $(wc -l < "$SLUICE_DEMO_OUT/alerts.cef") alerts as CEF (what a SIEM receives over syslog)"
echo "   again: $SLUICE alerts $SLUICE_DEMO_OUT/alerts.json"
echo
bold "== Summary"
cat "$SLUICE_DEMO_OUT/summary.txt"
