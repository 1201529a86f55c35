#!/bin/sh
# Regenerates Sources/sluice/EmbeddedPipeline.swift from Pipelines/default.yaml.
set -e
out=Sources/sluice/EmbeddedPipeline.swift
{
  echo '// Generated from Pipelines/default.yaml by `make embed`; a test checks they match.'
  echo '/// The embedded default pipeline (Pipelines/default.yaml).'
  echo 'enum EmbeddedPipeline {'
  echo '    static let defaultYAML = #"""'
  cat Pipelines/default.yaml
  echo '"""#'
  echo '}'
} > $out
