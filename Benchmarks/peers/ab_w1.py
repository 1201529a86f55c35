#!/usr/bin/env python3
"""Interleaved A/B of Sluice binaries on workload 1 of `make bench-peers` (file -> json parse ->
JSON lines file), the way BENCHMARKS.md's "The file sink's write path" was measured.

usage: ab_w1.py ROUNDS BINARY [BINARY...]
Each round runs every binary with drop_original true and false, on 2 cores and on 1 core
(`taskset -c 0`), through the harness's `benchtool run` (rusage of the agent alone), from launch
until `benchtool watch` sees all N lines. Prints every run, then per setting the median wall
time, CPU-µs per event (min/median) and events/s at the median wall. Needs the inputs and
benchtool of a `make bench-peers` run (bench-out/peers/); N is that input's line count.
"""
import os, statistics, subprocess, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.environ.get("BENCH_PEERS_OUT", os.path.join(ROOT, "bench-out", "peers"))
N = int(os.environ.get("N", "1000000"))
INPUT = os.path.join(OUT, "inputs", f"github-audit-{N}.jsonl")
BENCHTOOL = os.path.join(OUT, "benchtool")
CONFIG = """data_dir: {work}/data
sources:
  audit:
    type: file
    include: ["{input}"]
transforms:
  parse:
    type: parse
    inputs: [audit]
    format: json
    drop_original: {drop}
sinks:
  out:
    type: file
    inputs: [parse]
    path: "{work}/out.json"
"""


def run(binary, drop, one_core):
    work = os.path.join(OUT, "run", "ab-w1")
    subprocess.run(["rm", "-rf", work])
    os.makedirs(os.path.join(work, "data"))
    conf = os.path.join(work, "c.yaml")
    with open(conf, "w") as f:
        f.write(CONFIG.format(work=work, input=INPUT, drop="true" if drop else "false"))
    subprocess.run(["cat", INPUT], stdout=subprocess.DEVNULL)   # in the page cache, as for the peers
    env = dict(os.environ)
    rusage = os.path.join(work, "rusage")
    cmd = [BENCHTOOL, "run", rusage] + (["taskset", "-c", "0"] if one_core else []) + [binary, "run", "--config", conf]
    t0 = time.monotonic()
    with open(os.path.join(work, "stderr"), "wb") as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, env=env)
    watch = subprocess.run([BENCHTOOL, "watch", os.path.join(work, "out.json"), str(N), "300"], capture_output=True, text=True).stdout.split()
    wall = time.monotonic() - t0
    proc.terminate()
    proc.wait()
    user, sys_, rss = open(rusage).read().split()[:3]
    return wall, float(user) + float(sys_), len(watch) > 1 and watch[1] == str(N), float(rss) / 1024


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    rounds, binaries = int(sys.argv[1]), sys.argv[2:]
    res = {}
    for r in range(rounds):
        for b in binaries:
            for drop in (True, False):
                for one in (False, True):
                    wall, cpu, ok, rss = run(b, drop, one)
                    key = (b, "drop" if drop else "kept", "1 core" if one else "2 cores")
                    res.setdefault(key, []).append((wall, cpu, rss))
                    print(f"round {r + 1}: {key[0]} {key[1]} {key[2]}: wall {wall:.2f} s, CPU {cpu:.2f} s" + ("" if ok else "  FAILED (not N lines)"), flush=True)
    print("\nsetting: median wall s; CPU-µs/event min/median; events/s at the median wall; peak RSS median")
    for k in sorted(res):
        w = statistics.median(x[0] for x in res[k])
        c = [x[1] / N * 1e6 for x in res[k]]
        rss = statistics.median(x[2] for x in res[k])
        print(f"{k[0]} {k[1]} {k[2]}: {w:.2f} s; {min(c):.2f}/{statistics.median(c):.2f} µs; {N / w:,.0f} ev/s; {rss:.1f} MiB")


if __name__ == "__main__":
    main()
