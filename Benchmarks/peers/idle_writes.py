#!/usr/bin/env python3
"""What a quiet collector writes: workload 3's pipeline (Benchmarks/peers/sluice-detect.yaml)
under `sluice run` (snapshot epochs every 5 s) on the first N GitHub audit lines, then left
idle: the bytes the process writes (/proc/PID/io write_bytes) and the CPU it uses during the
idle seconds, and the detect stage's snapshot files at the end.

usage: python3 Benchmarks/peers/idle_writes.py SLUICE_BINARY [N=300000] [IDLE_SECONDS=30]
Needs the inputs of a `make bench-peers` run with N=1000000 (bench-out/peers/inputs/).
"""
import glob, os, shutil, subprocess, sys, time

root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
binary = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 300_000
idle = float(sys.argv[3]) if len(sys.argv) > 3 else 30
inputs = f"{root}/bench-out/peers/inputs"
audit = f"{inputs}/github-audit-1000000.jsonl"
if not os.path.exists(audit):
    sys.exit(f"idle_writes: {audit} not found: run `make bench-peers` once (N=1000000) to generate the inputs")
work = f"{root}/bench-out/peers/run/idle-{os.getpid()}"
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work + "/data")
with open(audit, "rb") as src, open(work + "/audit.jsonl", "wb") as dst:
    for i, line in enumerate(src):
        if i == n:
            break
        dst.write(line)
config = open(f"{root}/Benchmarks/peers/sluice-detect.yaml").read()
for key, value in [("@INPUT@", work + "/audit.jsonl"), ("@SQUID@", f"{inputs}/squid-1000000.log"),
                   ("@INTEL@", f"{inputs}/intel-100000.csv"), ("@CONTEXT@", f"{inputs}/context.yaml"),
                   ("@RULES@", f"{root}/Pipelines/rules"), ("@OUTPUT@", work + "/out.json"),
                   ("@ALERTS@", work + "/alerts.json"), ("@WORKDIR@", work)]:
    config = config.replace(key, value)
open(work + "/c.yaml", "w").write(config)
agent = subprocess.Popen([binary, "run", "--config", work + "/c.yaml"],
                         stdout=subprocess.DEVNULL, stderr=open(work + "/stderr", "wb"))


def lines(path):
    try:
        with open(path, "rb") as f:
            return sum(1 for _ in f)
    except FileNotFoundError:
        return 0


def sample():
    io = dict(line.split(":") for line in open(f"/proc/{agent.pid}/io"))
    stat = open(f"/proc/{agent.pid}/stat").read()
    fields = stat[stat.rindex(")") + 2:].split()
    return int(io["write_bytes"]), (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


try:
    deadline = time.monotonic() + 600
    while lines(work + "/out.json") < n:
        if agent.poll() is not None or time.monotonic() > deadline:
            sys.exit(f"idle_writes: the agent stopped or stalled before writing {n} events: see {work}/stderr")
        time.sleep(0.5)
    time.sleep(12)   # the last windows settle; an epoch or two commit
    written0, cpu0 = sample()
    time.sleep(idle)
    written1, cpu1 = sample()
    snaps = sorted(glob.glob(work + "/data/state/stages/*/*.snap"))
    files = ", ".join(f"{os.path.basename(os.path.dirname(s))}/{os.path.basename(s)} {os.stat(s).st_size:,} bytes" for s in snaps)
    print(f"N={n:,}, idle {idle:.0f} s: written {(written1 - written0) / 1e6:.1f} MB, "
          f"CPU {cpu1 - cpu0:.2f} s ({(cpu1 - cpu0) / idle * 100:.1f}% of a core); snapshots: {files}")
finally:
    agent.terminate()
    agent.wait()
    shutil.rmtree(work, ignore_errors=True)
