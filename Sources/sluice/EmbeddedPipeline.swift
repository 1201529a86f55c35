// Generated from Pipelines/default.yaml by `make embed`; `make test` checks they match.
/// The embedded default pipeline (Pipelines/default.yaml).
enum EmbeddedPipeline {
    static let defaultYAML = #"""
# Sluice's embedded default pipeline: what `sluice run` uses when neither --config nor
# /etc/sluice/sluice.yaml is given. It reads the GitHub audit log stream that an
# audit-log forwarder writes to disk, normalizes each event, and prints JSON lines.
# Environment variables pick the input and the state directory.
data_dir: ${SLUICE_DATA_DIR:-/var/lib/sluice}

sources:
  github_audit:
    type: file
    include:
      - ${SLUICE_GITHUB_AUDIT_LOG:-/var/log/github/audit.log}

transforms:
  parse_github:
    type: parse
    inputs: [github_audit]
    format: github-audit

sinks:
  console:
    type: stdout
    inputs: [parse_github]
    encoding: json
"""#
}
