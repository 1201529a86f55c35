// Generated from Pipelines/collector.yaml by `make embed`; `make test` checks they match.
/// The embedded default pipeline (Pipelines/collector.yaml).
enum EmbeddedPipeline {
    static let defaultYAML = #"""
# Sluice's collector pipeline: the embedded default (`sluice run` without --config) and the
# packaged /etc/sluice/sluice.yaml. It reads what a log-collector host receives, normalizes it,
# enriches it with the operator's context and threat intelligence, runs the built-in rule pack,
# and writes alerts (JSON file, and CEF to a syslog SIEM when switched on) and the normalized
# events (JSON lines). Every path and address has an environment variable; the unit sets none of
# them, so the defaults below are what a packaged install runs.
#
#   SLUICE_DATA_DIR       checkpoints, detection state, disk buffers  (/var/lib/sluice)
#   SLUICE_CONFIG_DIR     context.yaml, intel/ and tls/                (/etc/sluice)
#   SLUICE_OUTPUT_DIR     alerts.json, events.json, dead-letter.json   (/var/log/sluice)
#   SLUICE_LISTEN         address the syslog listeners bind            (127.0.0.1: loopback only;
#                         0.0.0.0 to receive from the network)
#   SLUICE_SYSLOG_PORT    syslog over UDP and TCP                       (514)
#   SLUICE_SYSLOG_TLS     syslog over TLS on SLUICE_SYSLOG_TLS_PORT (6514) with
#                         $SLUICE_CONFIG_DIR/tls/server.{pem,key}      (false: off until certificates exist)
#   SLUICE_JOURNALD       read the local journal                        (true)
#   SLUICE_SIEM_CEF       send alerts as CEF over syslog/TCP to SLUICE_SIEM_ADDRESS (false)
#   SLUICE_API_ADDRESS    /metrics and /health (`sluice top` reads them) (127.0.0.1:9598)
#   SLUICE_*_LOG          the log files below
#
# A component with `enabled: false` is left out (and so is what only it fed); `sluice validate`
# names them. Check after editing: sluice validate --config /etc/sluice/sluice.yaml
data_dir: ${SLUICE_DATA_DIR:-/var/lib/sluice}
api:
  address: ${SLUICE_API_ADDRESS:-127.0.0.1:9598}

sources:
  journal:
    type: journald
    enabled: ${SLUICE_JOURNALD:-true}
    since: tail                      # first start: new entries only; then the checkpoint
  syslog_udp:
    type: syslog
    mode: udp
    address: ${SLUICE_LISTEN:-127.0.0.1}:${SLUICE_SYSLOG_PORT:-514}
  syslog_tcp:
    type: syslog
    mode: tcp
    address: ${SLUICE_LISTEN:-127.0.0.1}:${SLUICE_SYSLOG_PORT:-514}
  syslog_tls:
    type: syslog
    mode: tls
    enabled: ${SLUICE_SYSLOG_TLS:-false}
    address: ${SLUICE_LISTEN:-127.0.0.1}:${SLUICE_SYSLOG_TLS_PORT:-6514}
    tls:
      cert_file: ${SLUICE_CONFIG_DIR:-/etc/sluice}/tls/server.pem
      key_file: ${SLUICE_CONFIG_DIR:-/etc/sluice}/tls/server.key
  github_audit:                      # an audit-log forwarder's file, or exported JSON lines
    type: file
    include: ["${SLUICE_GITHUB_AUDIT_LOG:-/var/log/github/audit.log}"]
  squid:
    type: file
    include: ["${SLUICE_SQUID_LOG:-/var/log/squid/access.log}"]
  bind:
    type: file
    include: ["${SLUICE_BIND_QUERY_LOG:-/var/log/named/query.log}"]
  dnsmasq:
    type: file
    include: ["${SLUICE_DNSMASQ_LOG:-/var/log/dnsmasq.log}"]
  auditd:
    type: file
    include: ["${SLUICE_AUDIT_LOG:-/var/log/audit/audit.log}"]

transforms:
  # Syslog senders mix formats (plain syslog, CEF from proxies, GitHub Enterprise Server's
  # audit log, auditd via audisp, dnsmasq, named): `auto` recognizes each record.
  parse_syslog:
    type: parse
    inputs: [syslog_udp, syslog_tcp, syslog_tls]
    format: auto
  parse_github:
    type: parse
    inputs: [github_audit]
    format: github-audit
  parse_squid:
    type: parse
    inputs: [squid]
    format: squid
  parse_bind:
    type: parse
    inputs: [bind]
    format: bind-query
  parse_dnsmasq:
    type: parse
    inputs: [dnsmasq]
    format: dnsmasq
  parse_auditd:
    type: parse
    inputs: [auditd]
    format: auditd

  # Who and what: assets, identities (GitHub logins joined to people), sanctioned
  # namespaces; credentials in URLs and command lines masked. The files are the operator's
  # (examples in /usr/share/sluice/enrichment); missing ones load as empty and are picked up
  # on reload (SIGHUP or when they appear).
  context:
    type: context
    inputs: [journal, parse_syslog, parse_github, parse_squid, parse_bind, parse_dnsmasq, parse_auditd]
    files:
      - {path: "${SLUICE_CONFIG_DIR:-/etc/sluice}/context.yaml", optional: true}
  repo_services:
    type: repo_services
    inputs: [context]
  intel:
    type: threat_intel
    inputs: [repo_services]
    files:
      - {path: "${SLUICE_CONFIG_DIR:-/etc/sluice}/intel/intel.csv", optional: true}
      - {path: "${SLUICE_CONFIG_DIR:-/etc/sluice}/intel/intel.stix.json", optional: true}
      - {path: "${SLUICE_CONFIG_DIR:-/etc/sluice}/intel/tor-exits.txt", optional: true, feed: tor-project, category: tor_exit}

  detect:
    type: detect
    inputs: [intel]
    rules: [builtin]                 # the code-repository exfiltration pack (README "The rule pack")
    forward_events: false            # alerts only; the events go out from `intel` below
    # placeholders:
    #   github_clone_allowlist_actors: [acme-release-bot]   # reviewed automation

sinks:
  alerts_json:
    type: file
    inputs: [detect]
    path: ${SLUICE_OUTPUT_DIR:-/var/log/sluice}/alerts.json
    encoding: json
    rotate: {max_bytes: 100MiB, keep: 10}
  siem_cef:                          # Sentinel / QRadar / ArcSight CEF collector
    type: syslog
    enabled: ${SLUICE_SIEM_CEF:-false}
    inputs: [detect]
    address: ${SLUICE_SIEM_ADDRESS:-siem.example.com:514}
    mode: tcp
    encoding: cef
    buffer: {type: disk, max_bytes: 1GiB, when_full: block}
  events_json:                       # normalized, enriched events for the SIEM's forwarder
    type: file
    inputs: [intel]
    path: ${SLUICE_OUTPUT_DIR:-/var/log/sluice}/events.json
    encoding: json
    rotate: {max_bytes: 1GiB, keep: 5}
  dead_letter:                       # every record a stage set aside, with the reason
    type: dead_letter
    path: ${SLUICE_OUTPUT_DIR:-/var/log/sluice}/dead-letter.json
"""#
}
