#!/usr/bin/env python3
"""Generate the Acme day: four days of logs of a 300-person company in native formats (GitHub
audit log, Squid access.log, BIND query log, Linux audit log), the enrichment context and threat
intelligence, six attacks planted on the last day, and manifest.json saying exactly what was
planted and which benign patterns must stay quiet.

usage: generate.py [--out DIR] [--seed SEED] [--squid-logformat acme|squid] [--update-samples]

Deterministic: the same seed gives byte-identical files (Python 3.8+, standard library only).
Default output: .build/dataset/ under the repository root. --update-samples also copies the
small files (context, intel, manifest, checksums) to Pipelines/samples/day/, where they are
committed; the test (scripts/test-dataset.sh) checks that they match a fresh generation.
"""
import argparse
import hashlib
import os
import shutil
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

from daygen import clock, enrichment, facts, manifest  # noqa: E402
from daygen.attacks import Attacks  # noqa: E402
from daygen.bait import Bait  # noqa: E402
from daygen.benign import Benign  # noqa: E402
from daygen.company import Company  # noqa: E402
from daygen.world import World  # noqa: E402

DEFAULT_SEED = "acme-2025-11-20"
SAMPLES = os.path.join(ROOT, "Pipelines", "samples", "day")
SMALL = ("context.yaml", "intel.csv", "intel.stix.json", "manifest.json", "SHA256SUMS")


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def generate(out, seed=DEFAULT_SEED, request_size=True, quiet=False):
    """Writes the dataset into `out`; returns the manifest dict."""
    os.makedirs(out, exist_ok=True)
    t0 = time.time()
    company = Company(seed)
    w = World(company, out, seed, request_size)
    benign = Benign(w)
    bait = Bait(w, benign)
    attacks = Attacks(w, benign)
    for d in range(clock.DAYS):
        benign.people_day(d)
        bait.day(d)
        attacks.day(d)
        benign.infra_day(d)
        w.flush()
        if not quiet:
            print("day %d: %s" % (d + 1, ", ".join("%s %d" % (s.filename, s.lines) for s in w.sinks.values())),
                  file=sys.stderr)
    w.close()
    files = {}
    for s in w.sinks.values():
        files[s.filename] = {"format": s.fmt, "lines": s.lines, "records": s.records}
    with open(os.path.join(out, "context.yaml"), "w", encoding="utf-8", newline="\n") as f:
        f.write(enrichment.context_yaml(company))
    with open(os.path.join(out, "intel.csv"), "w", encoding="utf-8", newline="\n") as f:
        f.write(enrichment.intel_csv())
    with open(os.path.join(out, "intel.stix.json"), "w", encoding="utf-8", newline="\n") as f:
        f.write(enrichment.intel_stix(seed))
    for name in files:
        files[name]["sha256"] = sha256(os.path.join(out, name))
        files[name]["bytes"] = os.path.getsize(os.path.join(out, name))
    fx = facts.measure(out, company, [s for s, _ in enrichment.SANCTIONED])
    m = manifest.build(seed, company, w, attacks, bait, files, request_size, fx)
    manifest.write(os.path.join(out, "manifest.json"), m)
    with open(os.path.join(out, "SHA256SUMS"), "w", encoding="utf-8", newline="\n") as f:
        for name in sorted(list(files) + ["context.yaml", "intel.csv", "intel.stix.json", "manifest.json"]):
            f.write("%s  %s\n" % (sha256(os.path.join(out, name)), name))
    if not quiet:
        total = sum(v["lines"] for v in files.values())
        size = sum(v["bytes"] for v in files.values())
        print("wrote %d lines, %.1f MB in %.1f s to %s" % (total, size / 1e6, time.time() - t0, out), file=sys.stderr)
    return m


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=os.path.join(ROOT, ".build", "dataset"))
    ap.add_argument("--seed", default=DEFAULT_SEED)
    ap.add_argument("--squid-logformat", choices=("acme", "squid"), default="acme",
                    help="acme: Squid's native layout plus the request size (%%>st) as a trailing column "
                         "(default); squid: Squid's default logformat without it")
    ap.add_argument("--update-samples", action="store_true",
                    help="copy %s to Pipelines/samples/day/" % ", ".join(SMALL))
    ap.add_argument("--quiet", action="store_true")
    a = ap.parse_args(argv)
    generate(a.out, a.seed, a.squid_logformat == "acme", a.quiet)
    if a.update_samples:
        os.makedirs(SAMPLES, exist_ok=True)
        for name in SMALL:
            shutil.copyfile(os.path.join(a.out, name), os.path.join(SAMPLES, name))
        print("updated %s" % SAMPLES, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
