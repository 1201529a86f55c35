#!/usr/bin/env python3
"""Write a sample of a generated dataset for a quick parse check: every Nth record of each log
plus every record the manifest cites (audit events whole), in the same native formats.

usage: sample.py DATASET_DIR SAMPLE_DIR [N]   (N defaults to 20)

Prints one line per file: `FILE FORMAT LINES RECORDS`, where RECORDS counts the events a parser
should emit (audit events are several lines each)."""
import json
import os
import sys


def cited(manifest):
    out = {}
    for story in manifest["attacks"]:
        for refs in story["events"].values():
            for r in refs:
                out.setdefault(r["file"], set()).update(range(r["line"], r.get("last_line", r["line"]) + 1))
    return out


def main(argv):
    src, dst = argv[1], argv[2]
    every = int(argv[3]) if len(argv) > 3 else 20
    os.makedirs(dst, exist_ok=True)
    with open(os.path.join(src, "manifest.json"), encoding="utf-8") as f:
        m = json.load(f)
    want = cited(m)
    for name, meta in sorted(m["files"].items()):
        keep = want.get(name, set())
        lines = records = 0
        with open(os.path.join(src, name), encoding="utf-8") as fin, \
                open(os.path.join(dst, name), "w", encoding="utf-8", newline="\n") as fout:
            if meta["format"] == "auditd":
                event, nums, n = [], [], 0
                for i, line in enumerate(fin, 1):
                    event.append(line)
                    nums.append(i)
                    if " type=SYSCALL " in line or " type=EXECVE " in line or " type=CWD " in line or \
                            " type=PATH " in line or " type=PROCTITLE " in line:
                        continue
                    n += 1  # an EOE or a one-line user record ends a record group
                    if (n - 1) % every == 0 or keep.intersection(nums):
                        fout.writelines(event)
                        lines += len(event)
                        records += 1
                    event, nums = [], []
            else:
                for i, line in enumerate(fin, 1):
                    if (i - 1) % every == 0 or i in keep:
                        fout.write(line)
                        lines += 1
                        records += 1
        print(name, meta["format"], lines, records)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
