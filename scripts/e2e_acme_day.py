#!/usr/bin/env python3
"""End-to-end tests of the shipped rule pack on the Acme day (Benchmarks/dataset).

1. `sluice replay --config Pipelines/demo.yaml` over the generated days: the alerts are exactly
   the manifest's planted ones (`expected_alerts`: rule, group, severity), none on the benign
   traffic; the CEF file holds the same alerts; no credential from the logs reaches an output.
2. The same pipeline through `sluice run` (file sources, live mode) with a syslog sink (CEF over
   TCP, octet-counting) to a real rsyslogd on loopback: every alert arrives, and the CEF text
   rsyslog received equals what sluice wrote to its own CEF file, byte for byte.

Usage: e2e_acme_day.py --sluice BIN --data DIR   (DIR: the output of Benchmarks/dataset/generate.py)
Exit status 0 when both pass. Needs python3 and, for the second part, rsyslogd (.ci/apt-packages).
"""
import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SEVERITY = {"informational": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}
# What no output may contain: GitHub tokens as they appear in the Acme day's records.
SECRET = re.compile(r"gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}")


def read_alerts(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def check_alerts(alerts, manifest):
    """Problems (empty: none) comparing alerts with the manifest's expected ones. An expected
    alert matches alerts of its rule whose group holds its group values; its severity is the
    highest of them, and the others must be earlier alerts of the same episode that later ones
    escalate (DESIGN.md: a group escalates in place)."""
    problems = []
    expected = manifest["expected_alerts"]
    matched = {i: [] for i in range(len(expected))}
    for a in alerts:
        group = {k: str(v).lower() for k, v in (a.get("group") or {}).items()}
        hits = [i for i, e in enumerate(expected)
                if e["rule"] == a["rule"]["name"] and all(group.get(k) == str(v).lower() for k, v in e["group"].items())]
        if len(hits) != 1:
            problems.append("unexpected alert %s %s %s at %s" % (a["rule"]["name"], a["severity"], json.dumps(a.get("group")), a["@timestamp"]))
            continue
        matched[hits[0]].append(a)
    for i, e in enumerate(expected):
        got = sorted(matched[i], key=lambda a: (a["@timestamp"], SEVERITY[a["severity"]]))
        what = "%s %s %s" % (e.get("attack", "?"), e["rule"], json.dumps(e["group"]))
        if not got:
            problems.append("missing: %s (%s)" % (what, e["severity"]))
            continue
        final = got[-1]
        if final["severity"] != e["severity"]:
            problems.append("%s: severity %s, expected %s" % (what, final["severity"], e["severity"]))
        for prev, nxt in zip(got, got[1:]):
            if nxt.get("escalates") != prev["event"]["id"] or SEVERITY[nxt["severity"]] <= SEVERITY[prev["severity"]]:
                problems.append("%s: %d alerts that are not one escalating episode (%s)" % (
                    what, len(got), ", ".join(a["severity"] for a in got)))
                break
    return problems


def check_no_secrets(paths):
    problems = []
    for p in paths:
        with open(p, encoding="utf-8", errors="replace") as f:
            for n, line in enumerate(f, 1):
                m = SECRET.search(line)
                if m:
                    problems.append("%s:%d: a credential reached the output (%s...)" % (p, n, m.group(0)[:8]))
    return problems


def cef_lines(path):
    with open(path, encoding="utf-8") as f:
        return [line.rstrip("\n") for line in f if line.strip()]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(timeout, cond, interval=0.2):
    end = time.time() + timeout
    while time.time() < end:
        if cond():
            return True
        time.sleep(interval)
    return cond()


def count_lines(path):
    try:
        with open(path, "rb") as f:
            return sum(1 for line in f if line.strip())
    except FileNotFoundError:
        return 0


def replay(sluice, data, out):
    env = dict(os.environ, SLUICE_DEMO_DATA=data, SLUICE_DEMO_OUT=out)
    t0 = time.time()
    r = subprocess.run([sluice, "replay", "--config", "Pipelines/demo.yaml", "--log-level", "error"], cwd=ROOT, env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=900)
    if r.returncode != 0:
        raise SystemExit("replay failed (%d): %s" % (r.returncode, r.stderr[-2000:]))
    return time.time() - t0


def run_with_rsyslog(sluice, data, work, expected_count):
    """`sluice run` with the demo's stages and a syslog sink to rsyslogd; returns problems."""
    rsyslogd = shutil.which("rsyslogd") or ("/usr/sbin/rsyslogd" if os.path.exists("/usr/sbin/rsyslogd") else None)
    if not rsyslogd:
        return ["rsyslogd not found (rsyslog is in .ci/apt-packages: make deps)"]
    port = free_port()
    rdir = os.path.join(work, "rsyslog")
    os.makedirs(rdir)
    with open(os.path.join(rdir, "rsyslog.conf"), "w") as f:
        f.write("""global(workDirectory="%(d)s" maxMessageSize="128k")
module(load="imtcp")
template(name="msg" type="string" string="%%msg%%\\n")
ruleset(name="in") {
  action(type="omfile" file="%(d)s/received.log" template="msg")
}
input(type="imtcp" address="127.0.0.1" port="%(p)d" ruleset="in")
""" % {"d": rdir, "p": port})
    rs = subprocess.Popen([rsyslogd, "-n", "-f", os.path.join(rdir, "rsyslog.conf"), "-i", os.path.join(rdir, "rsyslogd.pid")],
                          stdout=subprocess.DEVNULL, stderr=open(os.path.join(rdir, "rsyslogd.err"), "w"))
    problems = []
    agent = None
    try:
        def listening():
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    return True
            except OSError:
                return False
        if not wait_until(15, listening):
            return ["rsyslogd did not listen on %d: %s" % (port, open(os.path.join(rdir, "rsyslogd.err")).read())]
        # The demo pipeline's stages, live: a data directory, a shorter lateness (alerts are
        # released once the inputs are quiet this long), a syslog sink and the agent's own CEF file.
        with open(os.path.join(ROOT, "Pipelines/demo.yaml"), encoding="utf-8") as f:
            demo = f.read()
        stages = demo[:demo.index("\nsinks:")]
        # An input counts as silent (and stops holding the others back in event time) after
        # source_idle_timeout: it must outlast the stalls of a loaded machine, or a fast input
        # (the GitHub log) runs hours ahead of the slow ones and the correlations see the
        # families hours apart.
        # Snapshot epochs are spaced out for the same reason: an input waiting at an epoch's
        # barrier does not hold the others back in event time (the runtime's choice, so that a
        # barrier never waits on events it holds back), and four files of very different density
        # read from their start would drift apart by hours within one epoch.
        stages = stages.replace("max_source_skew: 1m", "max_source_skew: 1m\ndata_dir: %s\nsource_idle_timeout: 30s\ncheckpoint_interval: 1h"
                                % os.path.join(work, "data"))
        stages = stages.replace("    forward_events: false", "    forward_events: false\n    allowed_lateness: 20s")
        out = os.path.join(work, "run")
        os.makedirs(out)
        config = stages + """
sinks:
  siem:
    type: syslog
    inputs: [detect]
    address: 127.0.0.1:%d
    mode: tcp
    encoding: cef
    header: rfc5424
    framing: octet_counting
  alerts_json:
    type: file
    inputs: [detect]
    path: %s/alerts.json
  alerts_cef:
    type: file
    inputs: [detect]
    path: %s/alerts.cef
    encoding: cef
""" % (port, out, out)
        cfg = os.path.join(work, "run.yaml")
        with open(cfg, "w") as f:
            f.write(config)
        env = dict(os.environ, SLUICE_DEMO_DATA=data)
        log = open(os.path.join(work, "run.log"), "w")
        t0 = time.time()
        agent = subprocess.Popen([sluice, "run", "--config", cfg, "--log-level", "warning"], cwd=ROOT, env=env,
                                 stdout=log, stderr=subprocess.STDOUT)
        received = os.path.join(rdir, "received.log")
        wait_until(300, lambda: count_lines(received) >= expected_count and count_lines(os.path.join(out, "alerts.cef")) >= expected_count, 0.5)
        # Nothing more may come: wait past the lateness for stragglers, then stop the agent.
        time.sleep(25)
        agent.send_signal(signal.SIGTERM)
        status = agent.wait(timeout=60)
        agent = None
        elapsed = time.time() - t0
        print("e2e: sluice run: %d alerts in %.1f s (including a 25 s wait for stragglers), exit %d" % (
            count_lines(os.path.join(out, "alerts.cef")), elapsed, status))
        if status != 0:
            problems.append("sluice run exited %d: %s" % (status, open(os.path.join(work, "run.log")).read()[-2000:]))
        wait_until(10, lambda: count_lines(received) >= count_lines(os.path.join(out, "alerts.cef")))
        sent = cef_lines(os.path.join(out, "alerts.cef"))
        got = cef_lines(received) if os.path.exists(received) else []
        got = [g[g.index("CEF:"):] if "CEF:" in g else g for g in got]
        if sorted(got) != sorted(sent):
            missing = [s[:160] for s in sent if s not in got]
            extra = [g[:160] for g in got if g not in sent]
            problems.append("rsyslog received %d CEF messages, sluice wrote %d; not received: %s; not written: %s" % (
                len(got), len(sent), missing[:3], extra[:3]))
        problems += ["run: " + p for p in check_alerts(read_alerts(os.path.join(out, "alerts.json")), MANIFEST)]
        problems += check_no_secrets([received])
    finally:
        if agent is not None:
            agent.kill()
            agent.wait()
        rs.terminate()
        rs.wait(timeout=30)
    return problems


MANIFEST = None


def main():
    global MANIFEST
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sluice", default=os.path.join(ROOT, ".build/release/sluice"))
    ap.add_argument("--data", default=os.path.join(ROOT, ".build/dataset"))
    ap.add_argument("--skip-run", action="store_true", help="only the replay part")
    args = ap.parse_args()
    sluice = os.path.abspath(args.sluice)
    data = os.path.abspath(args.data)
    with open(os.path.join(data, "manifest.json"), encoding="utf-8") as f:
        MANIFEST = json.load(f)
    work = tempfile.mkdtemp(prefix="sluice-e2e-")
    failed = False
    try:
        out = os.path.join(work, "replay")
        elapsed = replay(sluice, data, out)
        alerts = read_alerts(os.path.join(out, "alerts.json"))
        problems = check_alerts(alerts, MANIFEST)
        cef = cef_lines(os.path.join(out, "alerts.cef"))
        if len(cef) != len(alerts):
            problems.append("alerts.cef has %d records, alerts.json %d" % (len(cef), len(alerts)))
        problems += check_no_secrets([os.path.join(out, "alerts.json"), os.path.join(out, "alerts.cef")])
        if not any("****" in json.dumps(a) for a in alerts if a["rule"]["name"] == "repo_push_unsanctioned"):
            problems.append("repo_push_unsanctioned: the token in the remote URL is not shown masked (****)")
        print("e2e: sluice replay: %d alerts (%d expected, with escalations) in %.1f s" % (
            len(alerts), len(MANIFEST["expected_alerts"]), elapsed))
        for p in problems:
            print("e2e: FAIL replay: " + p)
        failed = failed or bool(problems)
        if not args.skip_run:
            problems = run_with_rsyslog(sluice, data, work, len(alerts))
            for p in problems:
                print("e2e: FAIL run: " + p)
            failed = failed or bool(problems)
    finally:
        if failed:
            print("e2e: outputs kept in " + work)
        else:
            shutil.rmtree(work, ignore_errors=True)
    print("e2e: %s" % ("FAILED" if failed else "passed"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
