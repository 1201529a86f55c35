#!/usr/bin/env python3
"""Where each thread of a command spends its time: on a CPU, runnable but waiting for one, or
blocked (sleeping on a lock, a condition, I/O). For finding what holds a pipeline back on two
cores: a stage thread that is the ceiling runs nearly all the time; one that waits for a CPU is
preempted (by whom: its involuntary switches); one that is blocked waits for another stage.

usage: thread_times.py COMMAND [ARG...]
  e.g. Benchmarks/peers/thread_times.py .build/release/sluice replay --config w1.yaml

Reads /proc/PID/task/TID/schedstat (nanoseconds on CPU and waiting on a run queue) and the
context-switch counts of /proc/PID/task/TID/status every 10 ms while the command runs, and
prints the five busiest threads when it exits: blocked = wall time - on CPU - runnable. A
thread shows the last `sluice:STAGE` name it carried (Sluice names a stage's thread while the
stage runs). The wall time is the command's, start-up and exit included, so a thread's
blocked time includes them too. Linux only; no privileges needed (the command is this
script's child).
"""
import os
import subprocess
import sys
import time


def sample(pid, last):
    """Updates `last` (tid -> (on-cpu ns, run-queue ns, slices, voluntary, involuntary))."""
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                on, queued, slices = (int(x) for x in f.read().split()[:3])
            with open(f"/proc/{pid}/task/{tid}/status") as f:
                status = f.read()
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                name = f.read().strip()
        except (OSError, ValueError):
            continue   # the thread ended between listing and reading
        vol = int(status.split("\nvoluntary_ctxt_switches:")[1].split()[0])
        inv = int(status.split("\nnonvoluntary_ctxt_switches:")[1].split()[0])
        # A stage thread is named after its stage while the stage runs and gets its
        # Dispatch name back when it ends: keep the stage's name once seen.
        if tid in last and last[tid][0].startswith("sluice:") and not name.startswith("sluice:"):
            name = last[tid][0]
        last[tid] = (name, on, queued, slices, vol, inv)


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    t0 = time.monotonic()
    proc = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
    last = {}
    while proc.poll() is None:
        sample(proc.pid, last)
        time.sleep(0.01)
    wall = time.monotonic() - t0
    print(f"wall {wall:.2f} s, exit status {proc.returncode}")
    print(f"{'thread':>24} {'on CPU s':>9} {'runnable s':>11} {'blocked s':>10} {'voluntary':>10} {'involuntary':>12}")
    for tid, (name, on, queued, _, vol, inv) in sorted(last.items(), key=lambda x: -x[1][1])[:5]:
        blocked = max(0.0, wall - on / 1e9 - queued / 1e9)
        print(f"{name[-16:] + ':' + tid:>24} {on / 1e9:9.2f} {queued / 1e9:11.2f} {blocked:10.2f} {vol:10d} {inv:12d}")


if __name__ == "__main__":
    main()
