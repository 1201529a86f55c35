#!/usr/bin/env python3
"""`make bench-peers`: Sluice, rsyslog and syslog-ng side by side, same machine, same inputs.

Run through Benchmarks/peers/bench-peers.sh (which builds Sluice in release mode, unpacks syslog-ng
into a private directory and compiles benchtool.c); this script does the measuring:

  workload 1  file -> full JSON parse -> JSON lines file              (all three systems)
  workload 2  syslog over TCP (RFC 5424, loopback) -> header + JSON parse -> JSON lines file
  workload 3  file -> parse -> enrich -> detect -> alerts + events     (Sluice only; skipped
              with a message while the pipeline's component types are not in the binary)

Each system runs in the foreground with its own config (Benchmarks/peers/*, placeholders
filled in here) and private state, pid and socket paths under bench-out/peers/run/. Rounds
alternate between systems (the order rotates each round). A run's time counts only if its
output holds exactly N records, each with a distinct input _document_id (sampled records are
also checked to be JSON objects with the nested actor_location); otherwise the run is reported
as failed.

Environment: N (events, default 1000000), ROUNDS (default 3), WORKLOADS (default 1,2,3),
PROFILE (1, the default: perf profiles of Sluice on workloads 1 and 2), WARMUP (1, the
default: after a sync, each two-core system of the first workload runs once, uncounted, before
round 1), W3_PIPELINE (a Sluice pipeline file for workload 3, default
Benchmarks/peers/sluice-detect.yaml), PEERS_1CORE (1: peers on one core too), SYSTEMS (comma-separated parts of row keys: run only those, e.g.
rsyslog), SLUICE_MALLOC_CONF (jemalloc options for Sluice; default none, as its unit), the peer settings
RS_BATCH, RS_IOBUF, RS_WORKERS, SNG_FETCH, SNG_IW, SNG_FIFO, SNG_FLUSH, and the paths
SLUICE_BIN, SLUICE_BENCH_BIN, SYSLOG_NG_ROOT, BENCHTOOL, BENCH_PEERS_OUT.
"""
import glob
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
N = int(os.environ.get("N", os.environ.get("BENCH_EVENTS", "1000000")))
ROUNDS = int(os.environ.get("ROUNDS", "3"))
WORKLOADS = [int(w) for w in os.environ.get("WORKLOADS", "1,2,3").split(",") if w.strip()]
PROFILE = os.environ.get("PROFILE", "1") == "1"
WARMUP = os.environ.get("WARMUP", "1") == "1"
PEERS_1CORE = os.environ.get("PEERS_1CORE", "0") == "1"
OUT = os.environ.get("BENCH_PEERS_OUT", os.path.join(ROOT, "bench-out", "peers"))
SLUICE = os.environ.get("SLUICE_BIN", os.path.join(ROOT, ".build", "release", "sluice"))
SLUICE_BENCH = os.environ.get("SLUICE_BENCH_BIN", os.path.join(ROOT, ".build", "release", "sluice-bench"))
SNG_ROOT = os.environ.get("SYSLOG_NG_ROOT", os.path.join(OUT, "syslog-ng-root"))
BENCHTOOL = os.environ.get("BENCHTOOL", os.path.join(OUT, "benchtool"))
W3_PIPELINE = os.environ.get("W3_PIPELINE", os.path.join(HERE, "sluice-detect.yaml"))
# A workload-3 pipeline says how many events its events file holds per generated event
# with a line `# bench-peers-expect: K` (K = 2 when it reads the audit and the squid file).
W3_EXPECT = 1
if os.path.exists(W3_PIPELINE):
    _m = re.search(r"^# bench-peers-expect: (\d+)", open(W3_PIPELINE).read(), re.M)
    W3_EXPECT = int(_m.group(1)) if _m else 1
GEN = os.path.join(ROOT, "Benchmarks", "gen_github_audit.py")
# Sluice runs as its packaged systemd unit runs it (packaging/sluice.service): linked with
# jemalloc, default options; SLUICE_MALLOC_CONF sets jemalloc's MALLOC_CONF for an experiment.
SLUICE_MALLOC_CONF = os.environ.get("SLUICE_MALLOC_CONF", "")
TIMEOUT = max(120.0, N / 4000)     # a run slower than 4,000 events/s is a failure


def sluice_allocator():
    """The allocator line of `sluice version` (which checks jemalloc serves malloc)."""
    try:
        out = subprocess.run([SLUICE, "version"], capture_output=True, text=True, timeout=30).stdout
    except OSError:
        return "allocator unknown"
    return next((l for l in out.splitlines() if l.startswith("allocator:")), "allocator unknown")


# Peer settings (documented in BENCHMARKS.md): the throughput settings their manuals suggest,
# the same in every run. rsyslog: dequeue batch of the main queue, omfile's write buffer.
# syslog-ng: messages fetched per poll and the source window (flow control), the destination
# queue and lines per write.
PEER_PARAMS = {
    "RS_BATCH": os.environ.get("RS_BATCH", "1024"),
    "RS_IOBUF": os.environ.get("RS_IOBUF", "256k"),
    "RS_WORKERS": os.environ.get("RS_WORKERS", "1"),
    "SNG_FETCH": os.environ.get("SNG_FETCH", "1000"),
    "SNG_IW": os.environ.get("SNG_IW", "10000"),
    "SNG_FIFO": os.environ.get("SNG_FIFO", "100000"),
    "SNG_FLUSH": os.environ.get("SNG_FLUSH", "1000"),
}


def peer_version(cmd, pattern, env=None):
    try:
        out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env).stdout
    except OSError:
        return "?"
    m = re.search(pattern, out)
    return m.group(1) if m else "?"


def sng_env():
    env = dict(os.environ)
    libs = [os.path.join(SNG_ROOT, p) for p in ("usr/lib/syslog-ng", "usr/lib/x86_64-linux-gnu", "lib/x86_64-linux-gnu")]
    env["LD_LIBRARY_PATH"] = ":".join(libs + [env.get("LD_LIBRARY_PATH", "")])
    return env


RS_LABEL = "rsyslog " + peer_version([shutil.which("rsyslogd") or "/usr/sbin/rsyslogd", "-v"], r"rsyslogd\s+(\S+)")
SNG_LABEL = "syslog-ng " + peer_version([os.path.join(SNG_ROOT, "usr/sbin/syslog-ng"), "--version"], r"syslog-ng \d+ \(([^)]+)\)", sng_env())


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- inputs

def generate(kind, path, count):
    if os.path.exists(path) and os.path.getsize(path) > 0:
        return path
    log(f"generating {path} ({kind}, {count:,})")
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        subprocess.run([sys.executable, GEN, "--kind", kind, str(count)], stdout=f, check=True)
    os.replace(tmp, path)
    return path


def warm(path):
    """Reads a file once so that every system finds it in the page cache."""
    with open(path, "rb", buffering=0) as f:
        while f.read(16 << 20):
            pass


def document_ids(path):
    """Every _document_id of an input file (for checking that outputs carry real events)."""
    pat = re.compile(rb'"_document_id":"([A-Za-z0-9]{22})"')
    ids = set()
    with open(path, "rb") as f:
        rest = b""
        while True:
            chunk = f.read(64 << 20)
            if not chunk:
                break
            chunk = rest + chunk
            cut = chunk.rfind(b"\n") + 1
            ids.update(pat.findall(chunk, 0, cut))
            rest = chunk[cut:]
    return ids


# ---------------------------------------------------------------- systems

class System:
    def __init__(self, label, kind, workload, template, params=None, cpus=None, key=None):
        self.label, self.kind, self.workload, self.template = label, kind, workload, template
        self.params = params or {}
        self.cpus = cpus
        self.key = key or re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")

    def command(self, conf, workdir):
        if self.kind == "sluice":
            # Workload 3 runs twice: as `sluice replay` (read to the end, then exit; no snapshot
            # epochs) and, with params live, as `sluice run` (epochs every checkpoint_interval,
            # the detection state snapshotted to the work directory, as a collector runs it).
            replay = self.workload == 3 and not self.params.get("live")
            cmd = [SLUICE, "replay" if replay else "run", "--config", conf]
        elif self.kind == "rsyslog":
            cmd = [shutil.which("rsyslogd") or "/usr/sbin/rsyslogd", "-n", "-f", conf, "-i", os.path.join(workdir, "rsyslogd.pid")]
        else:
            modules = sorted(glob.glob(os.path.join(SNG_ROOT, "usr/lib/syslog-ng/[0-9]*")))
            cmd = [os.path.join(SNG_ROOT, "usr/sbin/syslog-ng"), "-F", "--no-caps",
                   "--module-path=" + (modules[-1] if modules else os.path.join(SNG_ROOT, "usr/lib/syslog-ng")),
                   "-f", conf, "-R", os.path.join(workdir, "syslog-ng.persist"),
                   "-p", os.path.join(workdir, "syslog-ng.pid"), "-c", os.path.join(workdir, "syslog-ng.ctl")]
        return (["taskset", "-c", self.cpus] if self.cpus else []) + cmd

    def environment(self):
        env = sng_env() if self.kind == "syslog-ng" else dict(os.environ)
        if self.kind == "sluice" and SLUICE_MALLOC_CONF:
            env["MALLOC_CONF"] = SLUICE_MALLOC_CONF
        return env


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def listening(port):
    """True when a socket listens on 127.0.0.1:port (read from /proc: no probe connection)."""
    want = f"0100007F:{port:04X}"
    with open("/proc/net/tcp") as f:
        for line in f.readlines()[1:]:
            parts = line.split()
            if parts[1] == want and parts[3] == "0A":
                return True
    return False


def fill(template, values):
    with open(os.path.join(HERE, template)) as f:
        text = f.read()
    for k, v in values.items():
        text = text.replace(f"@{k}@", str(v))
    left = re.findall(r"@[A-Z0-9_]+@", text)
    if left:
        raise SystemExit(f"{template}: placeholders not filled: {sorted(set(left))}")
    return text


def child_of(pid, timeout=2.0):
    """The pid of the process that `benchtool run` (pid) started."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/task/{pid}/children") as f:
                kids = f.read().split()
            if kids:
                return int(kids[0])
        except OSError:
            return None
        time.sleep(0.001)
    return None


def stop(proc, timeout=30.0):
    """SIGTERM to `benchtool run`, which forwards it to the system; SIGKILL to both after
    timeout. Returns the exit status."""
    kid = child_of(proc.pid, 0)
    try:
        proc.send_signal(signal.SIGTERM)
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        if kid:
            try:
                os.kill(kid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        proc.kill()
        return proc.wait()


def read_rusage(path):
    """(user s, sys s, peak RSS MiB) that `benchtool run` wrote for its child."""
    try:
        user, sys_, maxrss, _ = open(path).read().split()
        return float(user), float(sys_), int(maxrss) / 1024
    except (OSError, ValueError):
        return None


LIVE = []   # processes of the run in progress, ended if the harness is interrupted


def end_live(*_):
    for p in LIVE:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in LIVE:
        try:
            p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            p.kill()
    raise SystemExit("interrupted")


DOC_ID = re.compile(rb'"_document_id":"([A-Za-z0-9]{22})"')


def validate(path, n, ids):
    """Exactly n complete lines; every (n/1000)th is a JSON object. With ids (the input's
    _document_ids): every line carries one of them, each exactly once (nothing lost, nothing
    duplicated), and the sampled ones have actor_location as a nested object."""
    if not os.path.exists(path):
        return "no output file"
    step = max(1, n // 1000)
    count = 0
    seen = set()
    last = b""
    with open(path, "rb", buffering=16 << 20) as f:
        for line in f:
            if ids is not None:
                m = DOC_ID.search(line)
                if not m or m.group(1) not in ids:
                    return f"line {count + 1} carries no input _document_id"
                if m.group(1) in seen:
                    return f"line {count + 1}: _document_id {m.group(1).decode()} written twice"
                seen.add(m.group(1))
            if count % step == 0:
                try:
                    obj = json.loads(line)
                except ValueError as e:
                    return f"line {count + 1} is not JSON: {e}"
                if not isinstance(obj, dict):
                    return f"line {count + 1} is not a JSON object"
                if ids is None:
                    count += 1
                    last = line
                    continue
                loc = obj.get("actor_location") or (obj.get("github") or {}).get("actor_location")
                if not isinstance(loc, dict) or "country_code" not in loc:
                    return f"line {count + 1}: actor_location not parsed into an object"
            count += 1
            last = line
    if count != n:
        return f"{count:,} records written, expected {n:,}"
    if not last.endswith(b"\n"):
        return "last record incomplete"
    return None


def run_once(system, input_path, ids, expected=None, extra=None, perf_out=None):
    """One timed run. Returns a result dict (ok=False with a reason when it does not count)."""
    expected = expected or N
    workdir = os.path.join(OUT, "run", system.key)
    shutil.rmtree(workdir, ignore_errors=True)
    os.makedirs(os.path.join(workdir, "data"))
    output = os.path.join(workdir, "out.json")
    values = dict(PEER_PARAMS, INPUT=input_path, OUTPUT=output, WORKDIR=workdir,
                  DROP="true" if system.params.get("drop", True) else "false")
    values.update(extra or {})
    port = None
    if system.workload == 2:
        port = free_port()
        values["PORT"] = port
    conf = os.path.join(workdir, os.path.basename(system.template))
    with open(conf, "w") as f:
        f.write(fill(system.template, values))
    res = {"system": system.label, "key": system.key, "workload": system.workload, "ok": False}
    out_f = open(os.path.join(workdir, "stdout"), "wb")
    err_f = open(os.path.join(workdir, "stderr"), "wb")
    rusage = os.path.join(workdir, "rusage")
    cmd = [BENCHTOOL, "run", rusage] + system.command(conf, workdir)
    sender = None
    perf = None
    LIVE.clear()
    if port is not None:
        proc = subprocess.Popen(cmd, stdout=out_f, stderr=err_f, env=system.environment())
        LIVE.append(proc)
        deadline = time.monotonic() + 30
        while not listening(port):
            if proc.poll() is not None or time.monotonic() > deadline:
                if proc.poll() is None:
                    stop(proc, 5)
                res["reason"] = f"did not listen on {port}: " + open(os.path.join(workdir, "stderr"), "rb").read()[-500:].decode(errors="replace")
                return res
            time.sleep(0.01)
        t0 = time.monotonic()
        watcher = subprocess.Popen([BENCHTOOL, "watch", output, str(expected), str(TIMEOUT)], stdout=subprocess.PIPE, text=True)
        sender = subprocess.Popen([BENCHTOOL, "send", "127.0.0.1", str(port), input_path], stdout=subprocess.PIPE, text=True)
        LIVE.extend([watcher, sender])
    else:
        t0 = time.monotonic()
        proc = subprocess.Popen(cmd, stdout=out_f, stderr=err_f, env=system.environment())
        watcher = subprocess.Popen([BENCHTOOL, "watch", output, str(expected), str(TIMEOUT)], stdout=subprocess.PIPE, text=True)
        LIVE.extend([proc, watcher])
    if perf_out:
        # System-wide (-a), read back for the system's pid: `-p` does not follow the threads a
        # process starts after perf attached (Dispatch's worker threads come and go).
        with open(perf_out + ".pid", "w") as f:
            f.write(str(child_of(proc.pid)))
        perf = subprocess.Popen(["perf", "record", "-a", "-e", "cpu-clock", "-F", "1999", "-g", "-o", perf_out],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    early_exit = False
    while watcher.poll() is None:
        if proc.poll() is not None:
            early_exit = True
            try:
                watcher.wait(timeout=2)     # the last write may land just before the exit
            except subprocess.TimeoutExpired:
                watcher.kill()
                watcher.wait()
            break
        time.sleep(0.02)
    wout = (watcher.stdout.read() or "").split()
    if perf:
        perf.send_signal(signal.SIGINT)
        perf.wait()
    if not early_exit:
        stop(proc)
    out_f.close()
    err_f.close()
    if sender:
        try:
            sout, _ = sender.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            sender.kill()
            sout, _ = sender.communicate()
        res["sender"] = sout.strip()
    LIVE.clear()
    ru = read_rusage(rusage)
    if ru is None:
        res["reason"] = "no resource usage recorded (benchtool run)"
        return res
    res.update(cpu_user=ru[0], cpu_sys=ru[1], cpu=ru[0] + ru[1], rss_mib=ru[2])
    if not wout or wout[0] == "timeout" or watcher.returncode != 0:
        seen = wout[1] if len(wout) > 1 else "?"
        tail = open(os.path.join(workdir, "stderr"), "rb").read()[-400:].decode(errors="replace").strip()
        res["reason"] = f"{seen} of {expected:,} records before {'exit' if early_exit else 'timeout'}" + (f" ({tail})" if tail else "")
        return res
    wall = float(wout[0]) - t0
    # Workload 3's events file holds each audit event once (its ids checked like the others'),
    # unless its pipeline also forwards the squid events.
    bad = validate(output, expected, ids if system.workload != 3 or W3_EXPECT == 1 else None)
    if bad:
        res["reason"] = bad
        return res
    if system.workload == 3 and values.get("ALERTS") and os.path.exists(values["ALERTS"]):
        with open(values["ALERTS"], "rb") as f:
            res["alerts"] = sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))
    size = os.path.getsize(input_path)
    res.update(ok=True, wall=wall, events_s=expected / wall, mib_s=size / wall / 2**20,
               us_per_event=res["cpu"] / expected * 1e6, output_mib=os.path.getsize(output) / 2**20)
    os.remove(output)
    return res


# ---------------------------------------------------------------- reference figures

def median_time(cmd, rounds=3):
    times = []
    for _ in range(rounds):
        t0 = time.monotonic()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True)
        times.append(time.monotonic() - t0)
    return statistics.median(times)


def sender_check(path):
    """The sender alone, and socat and nc, into a discarding sink (benchtool sink)."""
    rows = []
    size = os.path.getsize(path)
    senders = [("benchtool send (the harness's sender)", lambda p: [BENCHTOOL, "send", "127.0.0.1", str(p), path])]
    if shutil.which("socat"):
        senders.append(("socat -u FILE TCP", lambda p: ["socat", "-u", f"OPEN:{path},rdonly", f"TCP:127.0.0.1:{p}"]))
    if shutil.which("nc"):
        senders.append(("nc -N < FILE", lambda p: ["sh", "-c", f"exec nc -N 127.0.0.1 {p} < '{path}'"]))
    for name, make in senders:
        secs = []
        for _ in range(3):
            port = free_port()
            sink = subprocess.Popen([BENCHTOOL, "sink", str(port)], stdout=subprocess.PIPE, text=True)
            deadline = time.monotonic() + 10
            while not listening(port) and time.monotonic() < deadline:
                time.sleep(0.005)
            t0 = time.monotonic()
            subprocess.run(make(port), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
            got = sink.communicate()[0].split()
            secs.append(time.monotonic() - t0)
            if int(got[0]) != size:
                raise SystemExit(f"sender check: {name} delivered {got[0]} of {size} bytes")
        rows.append((name, size / statistics.median(secs) / 2**20))
    return rows


def parse_only(path):
    """Sluice's parser alone on the same file: sluice-bench --file (MiB/s of thread CPU time)."""
    if not os.access(SLUICE_BENCH, os.X_OK):
        return None
    r = subprocess.run([SLUICE_BENCH, "--file", path, "--format", "json"], stdout=subprocess.PIPE, text=True)
    for line in r.stdout.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) >= 6 and cells[0].startswith("file:"):
            return float(cells[4])
    return None


STAGES = [  # (area, regex on a demangled frame); the frame nearest the sampled one decides
    ("parse: JSON parser, scanner, key interner, parse transform",
     r"JSONParser|JSONScanner|FieldKeyInterner|ParseTransform|TimestampExtractor|SyslogParser"),
    ("event teardown: freeing fields and events after the sink",
     r"FieldStorage\.__deallocating_deinit|destroy for Event|destroy of Event|destroy of Field|destroy for Field"),
    ("encode: EventJSONEncoder, JSONWriter", r"EventJSONEncoder|JSONWriter|JSONLineEncoder"),
    ("file sink: write(2) and the page cache", r"FileSink|WriteBehind|FileDescriptorWriter|DeliverySink"),
    ("source: file read(2) and line split, or syslog TCP receive and framing", r"FileSource|LineSplitter|FileCheckpoint|FileTail|SyslogStream|SyslogHandoff|NIO"),
    ("queues, batches, topology, dispatch", r"Topology|BoundedQueue|EventBatch|_dispatch|Stage"),
]


def attribute(perf_data):
    """Reads the samples of Sluice's pid (perf script, demangled). Returns: the share of each
    stage (a sample goes to the stage of the nearest frame that names one, so a swift_release
    or a kernel copy counts where it was called from); for the runtime/libc/kernel functions
    with the most self time, the nearest Sluice functions on their stacks; the top functions
    by self time. All shares are of the same samples."""
    pid = open(perf_data + ".pid").read().strip()
    # Read twice at most: one run's report (12:33 UTC on 2026-12-06) came out empty although
    # the same data read afterwards attributes normally; the second reading, and what perf
    # said, show whether that was perf or the data.
    for attempt in (1, 2):
        r = subprocess.run(["perf", "script", "-i", perf_data, "--pid", pid, "-F", "tid,ip,sym,dso"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        script = r.stdout
        if script.strip():
            break
        log(f"profile: perf script -i {perf_data} --pid {pid} gave no samples (exit {r.returncode}"
            + (f": {r.stderr.strip()[:300]}" if r.stderr.strip() else "") + ")"
            + ("; reading it again" if attempt == 1 else ""))
        time.sleep(2)
    demangle = shutil.which("swift-demangle")
    if demangle:
        script = subprocess.run([demangle, "--simplified"], input=script, stdout=subprocess.PIPE, text=True).stdout
    totals, total = {}, 0
    frames = []
    callers = {}   # runtime leaf symbol -> {nearest Sluice function: samples}
    leaves = {}    # (dso, leaf symbol) -> samples

    def flush():
        nonlocal total
        if not frames:
            return
        total += 1
        area = None
        for sym, dso in frames:
            area = next((a for a, rx in STAGES if re.search(rx, sym)), None)
            if area:
                break
        if area is None:
            leaf_sym, leaf_dso = frames[0]
            if "libc.so" in leaf_dso and re.search(r"malloc|free|_int_|chunk|tcache|consolidate", leaf_sym):
                area = "malloc/free, caller not recorded (glibc keeps no frame pointers)"
            elif leaf_dso.startswith("[kernel"):
                area = "kernel, no Sluice frame (scheduling, syscalls)"
            else:
                area = "other (runtime, unattributed)"
        totals[area] = totals.get(area, 0) + 1
        leaf_sym, leaf_dso = frames[0]
        key = (os.path.basename(leaf_dso), leaf_sym)
        leaves[key] = leaves.get(key, 0) + 1
        if not leaf_dso.endswith("/sluice"):
            near = next((sym for sym, dso in frames if dso.endswith("/sluice")), "(no Sluice frame)")
            c = callers.setdefault(leaf_sym, {})
            c[near] = c.get(near, 0) + 1
        frames.clear()

    for line in script.splitlines():
        m = re.match(r"\s+[0-9a-f]+ (.*) \(([^()]*)\)$", line)
        if m:
            frames.append((m.group(1), m.group(2)))
        else:
            flush()
    flush()
    if not total:
        return [], [], []
    areas = [(a, n * 100.0 / total) for a, n in sorted(totals.items(), key=lambda kv: -kv[1])]
    top = sorted(callers.items(), key=lambda kv: -sum(kv[1].values()))[:6]
    calls = [(leaf, sum(c.values()) * 100.0 / total,
              [(f, n * 100.0 / total) for f, n in sorted(c.items(), key=lambda kv: -kv[1])[:4]]) for leaf, c in top]
    selfs = [(n * 100.0 / total, dso, sym) for (dso, sym), n in sorted(leaves.items(), key=lambda kv: -kv[1])[:30]]
    return areas, calls, selfs


# ---------------------------------------------------------------- workload 3 hook

def workload3_available(audit, squid, intel, context):
    """Checks the workload-3 pipeline against the built binary (`sluice validate`)."""
    if not os.path.exists(W3_PIPELINE):
        return False, f"no pipeline file {W3_PIPELINE}"
    values = w3_values(audit, squid, intel, context, os.path.join(OUT, "run", "w3-validate"))
    values["OUTPUT"] = os.path.join(values["WORKDIR"], "out.json")
    os.makedirs(values["WORKDIR"], exist_ok=True)
    with open(W3_PIPELINE) as f:
        text = f.read()
    for k, v in values.items():
        text = text.replace(f"@{k}@", str(v))
    conf = os.path.join(values["WORKDIR"], "pipeline.yaml")
    with open(conf, "w") as f:
        f.write(text)
    r = subprocess.run([SLUICE, "validate", "--config", conf], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0:
        return False, r.stdout.strip()
    return True, ""


def w3_values(audit, squid, intel, context, workdir):
    return {"INPUT": audit, "SQUID": squid, "INTEL": intel, "CONTEXT": context, "WORKDIR": workdir,
            "ALERTS": os.path.join(workdir, "alerts.json"), "RULES": os.path.join(ROOT, "Pipelines", "rules")}


# ---------------------------------------------------------------- report

def fmt_int(x):
    return f"{x:,.0f}"


def summarize(results):
    by = {}
    for r in results:
        by.setdefault((r["workload"], r["system"]), []).append(r)
    return by


def stats(runs, key):
    vals = [r[key] for r in runs if r["ok"]]
    if not vals:
        return None
    return statistics.median(vals), min(vals), max(vals)


def table(by, workload, input_bytes):
    lines = ["| system | ok runs | events/s median (min–max) | MiB/s median | wall s | CPU s (user+sys) | CPU-µs/event | peak RSS MiB | output MiB | load after run |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for (w, name), runs in by.items():
        if w != workload:
            continue
        ok = [r for r in runs if r["ok"]]
        failed = [r for r in runs if not r["ok"]]
        if not ok:
            lines.append(f"| {name} | 0/{len(runs)} | failed: {failed[0].get('reason', '?')[:120]} | | | | | | | |")
            continue
        ev = stats(runs, "events_s")
        loads = " ".join(f"{r['load']:.1f}" for r in runs if "load" in r)
        lines.append(f"| {name} | {len(ok)}/{len(runs)} | {fmt_int(ev[0])} ({fmt_int(ev[1])}–{fmt_int(ev[2])}) | "
                     f"{stats(runs, 'mib_s')[0]:,.1f} | {stats(runs, 'wall')[0]:.2f} | "
                     f"{stats(runs, 'cpu')[0]:.2f} ({statistics.median(r['cpu_user'] for r in ok):.2f}+{statistics.median(r['cpu_sys'] for r in ok):.2f}) | "
                     f"{stats(runs, 'us_per_event')[0]:.2f} | {stats(runs, 'rss_mib')[0]:.1f} (max {stats(runs, 'rss_mib')[2]:.1f}) | "
                     f"{stats(runs, 'output_mib')[0]:,.0f} | {loads} |")
        for r in failed:
            lines.append(f"| {name} (failed run) | | {r.get('reason', '?')[:160]} | | | | | | | |")
    return "\n".join(lines)


def ratios(by, workload, sluice_names, peer_names):
    out = []
    peers = [(p, stats(by.get((workload, p), []), "events_s"), stats(by.get((workload, p), []), "us_per_event")) for p in peer_names]
    peers = [p for p in peers if p[1]]
    if not peers:
        return ["no peer finished: no ratio"]
    best = max(peers, key=lambda p: p[1][0])
    for s in sluice_names:
        ev = stats(by.get((workload, s), []), "events_s")
        us = stats(by.get((workload, s), []), "us_per_event")
        rss = stats(by.get((workload, s), []), "rss_mib")
        if not ev:
            out.append(f"{s}: no successful run")
            continue
        out.append(f"{s} / {best[0]} (the faster peer): events/s ×{ev[0] / best[1][0]:.2f}, "
                   f"CPU per event {us[0] / best[2][0]:.2f}× the peer's ({us[0]:.2f} vs {best[2][0]:.2f} µs), "
                   f"peak RSS {rss[2]:.1f} MiB")
        for p in peers:
            if p is not best:
                out.append(f"{s} / {p[0]}: events/s ×{ev[0] / p[1][0]:.2f}, CPU per event {us[0] / p[2][0]:.2f}×")
    return out


def main():
    os.makedirs(OUT, exist_ok=True)
    signal.signal(signal.SIGTERM, end_live)
    signal.signal(signal.SIGINT, end_live)
    for tool in (SLUICE, BENCHTOOL):
        if not os.access(tool, os.X_OK):
            raise SystemExit(f"{tool} missing: run through Benchmarks/peers/bench-peers.sh")
    load = os.getloadavg()
    log(f"bench-peers: N={N:,}, {ROUNDS} rounds, workloads {WORKLOADS}, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    inputs = os.path.join(OUT, "inputs")
    os.makedirs(inputs, exist_ok=True)
    audit = generate("audit", os.path.join(inputs, f"github-audit-{N}.jsonl"), N)
    syslog = generate("syslog", os.path.join(inputs, f"github-audit-{N}.rfc5424"), N) if 2 in WORKLOADS else None
    squid = generate("squid", os.path.join(inputs, f"squid-{N}.log"), N)
    intel = generate("intel", os.path.join(inputs, "intel-100000.csv"), 100_000)
    context = generate("context", os.path.join(inputs, "context.yaml"), 0)
    ids = document_ids(audit)
    if len(ids) != N:
        raise SystemExit(f"{audit}: {len(ids):,} distinct _document_id, expected {N:,}")

    systems = []
    if 1 in WORKLOADS:
        systems += [
            System("Sluice, drop_original", "sluice", 1, "sluice-file.yaml", {"drop": True}),
            System("Sluice, original kept", "sluice", 1, "sluice-file.yaml", {"drop": False}),
            System(RS_LABEL, "rsyslog", 1, "rsyslog-file.conf"),
            System(SNG_LABEL, "syslog-ng", 1, "syslog-ng-file.conf"),
            System("Sluice, drop_original, 1 core", "sluice", 1, "sluice-file.yaml", {"drop": True}, cpus="0"),
            System("Sluice, original kept, 1 core", "sluice", 1, "sluice-file.yaml", {"drop": False}, cpus="0"),
        ]
        if PEERS_1CORE:
            systems += [System(RS_LABEL + ", 1 core", "rsyslog", 1, "rsyslog-file.conf", cpus="0"),
                        System(SNG_LABEL + ", 1 core", "syslog-ng", 1, "syslog-ng-file.conf", cpus="0")]
    if 2 in WORKLOADS:
        systems += [
            System("Sluice, drop_original", "sluice", 2, "sluice-tcp.yaml", {"drop": True}, key="w2-sluice-drop"),
            System("Sluice, original kept", "sluice", 2, "sluice-tcp.yaml", {"drop": False}, key="w2-sluice-kept"),
            System(RS_LABEL, "rsyslog", 2, "rsyslog-tcp.conf", key="w2-rsyslog"),
            System(SNG_LABEL, "syslog-ng", 2, "syslog-ng-tcp.conf", key="w2-syslog-ng"),
        ]
    w3_note = None
    w3 = w3_live = None
    if 3 in WORKLOADS:
        ok, why = workload3_available(audit, squid, intel, context)
        if ok:
            w3 = System("Sluice, parse + enrich + detect", "sluice", 3, os.path.relpath(W3_PIPELINE, HERE), key="w3-sluice")
            w3_live = System("Sluice, parse + enrich + detect, live (`sluice run`)", "sluice", 3,
                             os.path.relpath(W3_PIPELINE, HERE), {"live": True}, key="w3-sluice-live")
            systems += [w3, w3_live]
        else:
            w3_note = f"workload 3 skipped: {W3_PIPELINE} does not validate against this binary:\n" + \
                      "\n".join("    " + l for l in why.splitlines()[:12])
            log(w3_note)

    only = [x.strip() for x in os.environ.get("SYSTEMS", "").split(",") if x.strip()]
    if only:
        systems = [s for s in systems if any(o in s.key for o in only)]
    for path in (audit, syslog):
        if path:
            warm(path)

    def run_system(s):
        """One timed run of `s` on its workload's input, checked against its expected count."""
        w = s.workload
        extra = w3_values(audit, squid, intel, context, os.path.join(OUT, "run", s.key)) if w == 3 else None
        if extra:
            extra.pop("WORKDIR")
        return run_once(s, syslog if w == 2 else audit, ids, expected=N * W3_EXPECT if w == 3 else N, extra=extra)

    if WARMUP and systems:
        # The first runs after bench-peers.sh rebuilt Sluice were about twice as slow
        # (2026-12-06: 3.8-4.4 s against 1.5-2.2 s; normal when nothing was rebuilt). Flush
        # what the build wrote, then run each system of the first workload once uncounted.
        os.sync()
        w = min(s.workload for s in systems)
        for s in [s for s in systems if s.workload == w and s.cpus is None]:
            r = run_system(s)
            state = f"{r['wall']:6.2f} s (not counted)" if r["ok"] else f"FAILED: {r.get('reason')}"
            log(f"warm-up w{w} {s.label:34s} {state}")
        os.sync()
    results = []
    for rnd in range(ROUNDS):
        for w in sorted(set(s.workload for s in systems)):
            group = [s for s in systems if s.workload == w]
            k = rnd % len(group)
            for s in group[k:] + group[:k]:
                r = run_system(s)
                r["round"] = rnd + 1
                r["load"] = os.getloadavg()[0]
                results.append(r)
                if r["ok"]:
                    log(f"round {rnd + 1}/{ROUNDS} w{w} {s.label:34s} {r['wall']:6.2f} s {r['events_s']:>10,.0f} ev/s "
                        f"{r['mib_s']:7.1f} MiB/s cpu {r['cpu']:6.2f} s ({r['us_per_event']:.2f} µs/ev) rss {r['rss_mib']:6.1f} MiB")
                else:
                    log(f"round {rnd + 1}/{ROUNDS} w{w} {s.label:34s} FAILED: {r.get('reason')}")
    with open(os.path.join(OUT, "results.json"), "w") as f:
        json.dump(results, f, indent=1)

    # Reference figures.
    ref = {}
    if 1 in WORKLOADS:
        warm(audit)
        wc = median_time(["wc", "-l", audit])
        ref["wc"] = os.path.getsize(audit) / wc / 2**20
        ref["parse"] = parse_only(audit)
    if 2 in WORKLOADS:
        ref["senders"] = sender_check(syslog)
    profiles = []   # (title, areas, callers, self rows, seconds under perf)
    if PROFILE and shutil.which("perf"):
        for w, template, inp in ((1, "sluice-file.yaml", audit), (2, "sluice-tcp.yaml", syslog)):
            if w not in WORKLOADS:
                continue
            perf_data = os.path.join(OUT, f"perf-w{w}.data")
            r = run_once(System("Sluice, drop_original (perf)", "sluice", w, template, {"drop": True}, key=f"perf-w{w}"),
                         inp, ids, perf_out=perf_data)
            if r["ok"]:
                profiles.append((f"workload {w}, drop_original", *attribute(perf_data), r["wall"]))
                log(f"profile: {perf_data} ({r['wall']:.2f} s under perf)")
            else:
                log(f"profile run of workload {w} failed: {r.get('reason')}")

    # Report.
    by = summarize(results)
    load2 = os.getloadavg()
    rep = []
    uname = os.uname()
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    rep.append(f"Machine: {os.cpu_count()} vCPUs ({cpu}), {uname.sysname} {uname.release}; "
               f"load average {load[0]:.2f} at the start, {load2[0]:.2f} at the end.")
    rep.append(f"N = {N:,} events, {ROUNDS} rounds, systems alternating; input {os.path.getsize(audit) / 2**20:,.0f} MiB (JSON lines)"
               + (f", {os.path.getsize(syslog) / 2**20:,.0f} MiB (RFC 5424)" if syslog else "") + "; "
               + ("each two-core system of the first workload ran once, uncounted, after a sync, before round 1." if WARMUP
                  else "no warm-up run (WARMUP=0)."))
    rep.append("Peer settings: " + ", ".join(f"{k}={v}" for k, v in PEER_PARAMS.items()) + "; Sluice: "
               + sluice_allocator() + (f", MALLOC_CONF={SLUICE_MALLOC_CONF}" if SLUICE_MALLOC_CONF else "") + ".")
    for w, title in ((1, "Workload 1: file → full JSON parse → JSON lines file"),
                     (2, "Workload 2: syslog TCP (RFC 5424, one loopback connection) → header + JSON parse → JSON lines file"),
                     (3, "Workload 3: file → parse → enrich → detect → alerts + events file")):
        if w not in WORKLOADS:
            continue
        rep.append(f"\n### {title}\n")
        if w == 3 and w3_note:
            rep.append(w3_note)
            continue
        rep.append(table(by, w, None))
    if ref:
        rep.append("\n### Reference figures\n")
        if "wc" in ref:
            rep.append(f"- `wc -l` on the workload-1 file (page cache): {ref['wc']:,.0f} MiB/s")
            if ref.get("parse"):
                rep.append(f"- Sluice's json parser alone on the same file (`sluice-bench --file`, one thread, CPU time): "
                           f"{ref['parse']:,.1f} MiB/s = {ref['parse'] / ref['wc'] * 100:.1f}% of `wc -l`")
        for name, mib in ref.get("senders", []):
            rep.append(f"- sender check, {name} → discarding sink: {mib:,.0f} MiB/s")
    for title, prof_areas, prof_calls, prof_rows, secs in profiles:
        rep.append(f"\n### Profile: Sluice, {title} (perf record -a -e cpu-clock -g, Sluice's samples; {secs:.2f} s under perf)\n")
        if not prof_areas:
            rep.append("perf script gave no samples of Sluice's process (twice; what perf said is in the log).")
            continue
        rep.append("Where the CPU goes (each sample charged to the nearest frame naming a stage):\n")
        rep.append("| share | area |\n|---:|---|")
        for area, pct in prof_areas:
            rep.append(f"| {pct:.1f}% | {area} |")
        rep.append("\nRuntime, libc and kernel functions by self time, with the nearest Sluice function on their stacks:\n")
        rep.append("| self | function | called from (share of all samples) |\n|---:|---|---|")
        for leaf, pct, near in prof_calls:
            rep.append(f"| {pct:.1f}% | `{leaf[:60]}` | " + "; ".join(f"`{f[:70]}` {p:.1f}%" for f, p in near) + " |")
        rep.append("\nTop functions by self time:")
        rep.append("\n| self | DSO | symbol |\n|---:|---|---|")
        for pct, dso, sym in prof_rows[:25]:
            rep.append(f"| {pct:.2f}% | {dso} | `{sym[:110]}` |")
    rep.append("\n### Ratios (Sluice / faster peer, medians)\n")
    if 1 in WORKLOADS:
        rep.append("Workload 1 (targets: ≥ 3× events/s, ≤ 0.25× CPU per event, RSS < 100 MiB):")
        rep += ["- " + l for l in ratios(by, 1, ["Sluice, drop_original", "Sluice, original kept"], [RS_LABEL, SNG_LABEL])]
        for v in ("drop_original", "original kept"):
            two = stats(by.get((1, f"Sluice, {v}"), []), "events_s")
            one = stats(by.get((1, f"Sluice, {v}, 1 core"), []), "events_s")
            if two and one:
                rep.append(f"- scaling, {v}: 2 cores / 1 core = ×{two[0] / one[0]:.2f} (target ≥ 1.7)")
    if 2 in WORKLOADS:
        rep.append("Workload 2 (target: ≥ 3× events/s):")
        rep += ["- " + l for l in ratios(by, 2, ["Sluice, drop_original", "Sluice, original kept"], [RS_LABEL, SNG_LABEL])]
    if 3 in WORKLOADS and not w3_note:
        rep.append("Workload 3 (target: ≥ 250,000 events/s, RSS < 300 MiB):")
        for system, how in ((w3, "`sluice replay`"), (w3_live, "`sluice run`, snapshot epochs")):
            ev = stats(by.get((3, system.label), []), "events_s")
            rss = stats(by.get((3, system.label), []), "rss_mib")
            alerts = sorted(set(r.get("alerts", 0) for r in by.get((3, system.label), []) if r["ok"]))
            rep.append(f"- {how}: "
                       + (f"{ev[0]:,.0f} events/s, peak RSS {rss[2]:.1f} MiB, alerts written per run: "
                          f"{', '.join(f'{a:,}' for a in alerts)}" if ev else "no successful run"))
    text = "\n".join(rep) + "\n"
    with open(os.path.join(OUT, "results.md"), "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
