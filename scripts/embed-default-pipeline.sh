#!/bin/sh
# Regenerates what the sluice binary embeds:
#   Sources/sluice/EmbeddedPipeline.swift  from Pipelines/collector.yaml
#   Sources/sluice/EmbeddedRules.swift     from Pipelines/rules/*.yml (the shipped rule pack, `builtin`)
# With --check, fails if a generated file is out of date instead of writing it.
set -e
cd "$(dirname "$0")/.."

gen_pipeline() {
  echo '// Generated from Pipelines/collector.yaml by `make embed`; `make test` checks they match.'
  echo '/// The embedded default pipeline (Pipelines/collector.yaml).'
  echo 'enum EmbeddedPipeline {'
  echo '    static let defaultYAML = #"""'
  cat Pipelines/collector.yaml
  echo '"""#'
  echo '}'
}

gen_rules() {
  echo '// Generated from Pipelines/rules/*.yml by `make embed`; `make test` checks they match.'
  echo '/// The shipped rule pack (Pipelines/rules/), built into the binary: the rule path `builtin`.'
  echo 'enum EmbeddedRules {'
  echo '    static let files: [(file: String, yaml: String)] = ['
  for f in $(ls Pipelines/rules/*.yml | LC_ALL=C sort); do
    if grep -q '"""##' "$f"; then echo "$f contains the raw-string terminator \"\"\"##" >&2; exit 1; fi
    echo "        (\"$(basename "$f")\", ##\"\"\""
    cat "$f"
    echo '"""##),'
  done
  echo '    ]'
  echo '}'
}

check_or_write() {  # generator, output file
  tmp=$(mktemp)
  "$1" > "$tmp"
  if [ "$mode" = "--check" ]; then
    if ! cmp -s "$tmp" "$2"; then
      echo "$2 is out of date with its sources under Pipelines/: run 'make embed'" >&2
      rm -f "$tmp"; exit 1
    fi
    rm -f "$tmp"
  elif cmp -s "$tmp" "$2"; then
    rm -f "$tmp"    # unchanged: leave the file (and the build) alone
  else
    mv "$tmp" "$2"
  fi
}

mode="$1"
check_or_write gen_pipeline Sources/sluice/EmbeddedPipeline.swift
check_or_write gen_rules Sources/sluice/EmbeddedRules.swift
