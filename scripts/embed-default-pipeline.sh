#!/bin/sh
# Regenerates Sources/sluice/EmbeddedPipeline.swift from Pipelines/default.yaml.
# With --check, fails if the generated file is out of date instead of writing it.
set -e
cd "$(dirname "$0")/.."
out=Sources/sluice/EmbeddedPipeline.swift
tmp=$(mktemp)
{
  echo '// Generated from Pipelines/default.yaml by `make embed`; `make test` checks they match.'
  echo '/// The embedded default pipeline (Pipelines/default.yaml).'
  echo 'enum EmbeddedPipeline {'
  echo '    static let defaultYAML = #"""'
  cat Pipelines/default.yaml
  echo '"""#'
  echo '}'
} > "$tmp"
if [ "$1" = "--check" ]; then
  if ! cmp -s "$tmp" "$out"; then
    echo "$out is out of date with Pipelines/default.yaml: run 'make embed'" >&2
    rm -f "$tmp"; exit 1
  fi
  rm -f "$tmp"; exit 0
fi
mv "$tmp" "$out"
