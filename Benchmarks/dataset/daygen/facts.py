"""Facts measured on the generated files, read back from disk in their native formats: what a
rule pack will see (distinct clones per actor per 10 minutes, bytes uploaded to code-repository
services per host per hour, first-seen repository domains, archive-then-upload sequences, pushes
to unsanctioned namespaces, tokens seen from a new origin...). The manifest publishes them; the
tests assert that the planted attacks stand out and the benign traffic stays under the issue's
thresholds. This module does not look at how the data was generated, only at the files and the
context (assets, identities, sanctioned namespaces)."""
import calendar
import json
import os

from . import clock

REPO_DOMAINS = ("github.com", "githubusercontent.com", "gitlab.com", "bitbucket.org")
PAT_LIKE = ("Personal access token (classic)", "Fine-grained personal access token", "OAuth access token")
TOKEN_GRANTS = ("personal_access_token.access_granted", "personal_access_token.request_created",
                "oauth_authorization.create", "oauth_access.create")


def repo_domain(host):
    host = host.lower()
    return any(host == d or host.endswith("." + d) for d in REPO_DOMAINS)


def day_of(ts):
    return int((ts - clock.DAY0) // clock.DAY)


def hour_of(ts):
    return int((ts - clock.DAY0) // 3600)


def p95(values):
    """Nearest-rank 95th percentile."""
    if not values:
        return 0
    v = sorted(values)
    k = max(0, int(-(-95 * len(v) // 100)) - 1)
    return v[k]


def max_distinct(events, window):
    """events: sorted (ts, value); the largest number of distinct values in any window of
    `window` seconds, and the window's start."""
    best, best_at = 0, None
    j = 0
    counts = {}
    for i, (t, v) in enumerate(events):
        counts[v] = counts.get(v, 0) + 1
        while events[j][0] < t - window:
            u = events[j][1]
            counts[u] -= 1
            if counts[u] == 0:
                del counts[u]
            j += 1
        if len(counts) > best:
            best, best_at = len(counts), events[j][0]
    return best, best_at


class Context:
    """What the facts need from the company: assets by address, identities, sanctioned
    namespaces, bots."""

    def __init__(self, company, sanctioned):
        self.by_ip = {}
        self.hosts = {}
        for h in company.hosts:
            self.hosts[h.name] = h
            for ip in h.ips:
                self.by_ip[ip] = h
        self.people = {p.username: p for p in company.people}
        self.developer_user = {p.username: p.developer for p in company.people}
        self.sanctioned = sanctioned
        self.bots = set(company.bots) | {company.release_bot}

    def is_sanctioned(self, host, owner):
        return ("%s/%s" % (host, owner)).lower() in {s.lower() for s in self.sanctioned}


def namespace(host, path):
    """(repository host, owner) named by a code-repository URL, or None."""
    parts = [x for x in path.split("?")[0].split("/") if x]
    if host == "github.com" and parts and parts[0] not in ("settings", "orgs", "notifications", "_graphql", "login"):
        return ("github.com", parts[0])
    if host in ("api.github.com", "uploads.github.com") and len(parts) >= 2 and parts[0] == "repos":
        return ("github.com", parts[1])
    if host == "codeload.github.com" and parts:
        return ("github.com", parts[0])
    return None


def operation(method, host, path):
    """The code-repository operation a proxied request performs: push, upload, archive_download,
    clone, or None."""
    p = path.split("?")[0]
    if method in ("POST", "PUT", "PATCH"):
        if p.endswith("/git-receive-pack"):
            return "push"
        if host == "uploads.github.com":
            return "upload"
        if host == "api.github.com" and p.startswith("/repos/") and "/contents/" in p:
            return "upload"
    if host == "codeload.github.com" or p.endswith(("/zipball", "/tarball")) or "/archive/" in p:
        return "archive_download"
    if p.endswith("/git-upload-pack") or "service=git-upload-pack" in path:
        return "clone"
    return None


# ------------------------------------------------------------------------------------------------
# Readers


def read_github(path):
    out = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            e = json.loads(line)
            e["_line"] = n
            out.append(e)
    return out


def _repo_line(line):
    return "github" in line or "gitlab" in line or "bitbucket" in line


def read_squid(path):
    """Requests to code-repository services: (ts, client, code, status, down, method, url,
    user, up, line)"""
    out = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not _repo_line(line):
                continue
            c = line.split()
            up = int(c[10]) if len(c) > 10 else 0
            out.append((float(c[0]), c[2], c[3].split("/")[0], int(c[3].split("/")[1]), int(c[4]), c[5], c[6],
                        c[7], up, n))
    return out


def read_dns(path):
    """Queries for code-repository names: (ts, client_ip, name, type, line)"""
    out = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not _repo_line(line):
                continue
            c = line.split()
            day, mon, rest = c[0].split("-")
            h, m, s = c[1].split(":")
            ts = calendar.timegm((int(rest), clock.MONTHS.index(mon) + 1, int(day), int(h), int(m), 0)) + float(s)
            ip = c[6].rsplit("#", 1)[0]
            i = c.index("query:")
            out.append((ts, ip, c[i + 1], c[i + 3], n))
    return out


def _audit_value(v):
    if v.startswith('"'):
        return v[1:-1]
    try:
        return bytes.fromhex(v).decode("utf-8", "replace")
    except ValueError:
        return v


WATCHED = ("git", "gh", "curl", "wget") + ("tar", "zip", "7z", "7za", "rar", "split", "gzip")


def read_audit(path):
    """execve events of archivers and repository clients (git, gh, curl, wget): dicts with
    node, ts, serial, auid, uid_name, argv, cwd, line, last_line."""
    events = {}
    order = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if " type=PATH " in line or " type=PROCTITLE " in line:
                continue
            line = line.rstrip("\n")
            a = line.index("msg=audit(")
            b = line.index(")", a)
            parts = line[:a].split(" ")
            node = parts[0][5:]
            rtype = parts[1][5:]
            ts_s, serial = line[a + 10:b].split(":")
            body = line[b + 3:]
            key = (node, int(serial))
            if rtype == "SYSCALL":
                e = {"node": node, "ts": float(ts_s), "serial": int(serial), "line": n, "argv": []}
                main, _, enriched = body.partition("\x1d")
                for kv in main.split(" "):
                    k, _, v = kv.partition("=")
                    if k in ("auid", "uid", "pid", "ppid"):
                        e[k] = int(v)
                    elif k in ("exe", "tty"):
                        e[k] = _audit_value(v) if k == "exe" else v
                for kv in enriched.split(" "):
                    k, _, v = kv.partition("=")
                    if k in ("UID", "AUID"):
                        e[k.lower() + "_name"] = v.strip('"')
                events[key] = e
                order.append(key)
            elif rtype == "EXECVE" and key in events:
                args = []
                for kv in body.split(" ")[1:]:
                    k, _, v = kv.partition("=")
                    if k.startswith("a") and k[1:].isdigit():
                        args.append(_audit_value(v))
                if args and args[0].rsplit("/", 1)[-1] in WATCHED:
                    events[key]["argv"] = args
                else:
                    del events[key]
            elif rtype == "CWD" and key in events:
                events[key]["cwd"] = _audit_value(body[4:])
            elif rtype == "EOE" and key in events:
                events[key]["last_line"] = n
    return [events[k] for k in order if k in events]


# ------------------------------------------------------------------------------------------------
# Measures


def clone_windows(gh, window=600):
    """Largest number of distinct repositories cloned (git.clone) per actor (hashed token
    when the actor is empty) in `window` seconds, by credential class."""
    by = {"pat_like": {}, "any": {}}
    for e in gh:
        if e["action"] != "git.clone":
            continue
        actor = e.get("actor") or e.get("hashed_token") or "?"
        ts = e["@timestamp"] / 1000.0
        by["any"].setdefault(actor, []).append((ts, e["repo"]))
        if e.get("programmatic_access_type") in PAT_LIKE:
            by["pat_like"].setdefault(actor, []).append((ts, e["repo"]))
    out = {}
    for cls, actors in by.items():
        res = {}
        for actor, evs in actors.items():
            evs.sort()
            n, at = max_distinct(evs, window)
            res[actor] = (n, at)
        out[cls] = res
    return out


def archive_downloads(gh, squid, ctx, window=1800):
    per = {}
    for e in gh:
        if e["action"] == "repo.download_zip" and not e.get("repository_public", e.get("public_repo", False)):
            per.setdefault(("actor", e["actor"]), []).append((e["@timestamp"] / 1000.0, e["repo"]))
    for r in squid:
        url = r[6]
        if not url.startswith("https://"):
            continue
        host, _, rest = url[8:].partition("/")
        if operation(r[5], host, "/" + rest) == "archive_download":
            ns = namespace(host, "/" + rest)
            if ns and ctx.is_sanctioned(*ns):
                parts = rest.split("/")
                repo = "%s/%s" % (parts[0], parts[1]) if host == "codeload.github.com" else "/".join(parts[:2])
                per.setdefault(("host", r[1]), []).append((r[0], repo))
    return {k: max_distinct(sorted(v), window) for k, v in per.items()}


def upload_hours(squid, ctx):
    """Bytes sent (request size) to code-repository services per host and hour."""
    per = {}
    for r in squid:
        url = r[6]
        host = url.split(":")[0] if r[5] == "CONNECT" else (url.split("/")[2] if "://" in url else "")
        if not host or not repo_domain(host):
            continue
        h = ctx.by_ip.get(r[1])
        name = h.name if h else r[1]
        hr = hour_of(r[0])
        d = per.setdefault(name, {})
        d[hr] = d.get(hr, 0) + r[8]
    return per


def unsanctioned_uploads(squid, ctx):
    out = []
    for r in squid:
        url = r[6]
        if not url.startswith("https://"):
            continue
        host, _, rest = url[8:].partition("/")
        op = operation(r[5], host, "/" + rest)
        if op in ("push", "upload"):
            ns = namespace(host, "/" + rest)
            if ns and not ctx.is_sanctioned(*ns):
                h = ctx.by_ip.get(r[1])
                out.append({"line": r[9], "ts": r[0], "host": h.name if h else r[1], "namespace": "%s/%s" % ns,
                            "operation": op, "bytes": r[8]})
    return out


def first_seen_repo_domains(squid, dns, ctx, learn_until):
    """Code-repository domains a host with repo_egress: false (or used by a non-developer)
    contacts after the learning period without having contacted them before."""
    seen = {}
    out = []

    def watch(ip, user):
        h = ctx.by_ip.get(ip)
        if h is None:
            return None
        if not h.repo_egress:
            return h.name
        if user and user != "-" and not ctx.developer_user.get(user, True):
            return h.name
        owner = ctx.people.get(h.owner)
        if owner is not None and not owner.developer:
            return h.name
        return None

    items = [(r[0], r[1], r[6].split(":")[0] if r[5] == "CONNECT" else r[6].split("/")[2], r[7], "squid-access.log", r[9])
             for r in squid if r[5] == "CONNECT" or "://" in r[6]]
    items += [(q[0], q[1], q[2], None, "bind-queries.log", q[4]) for q in dns]
    items.sort(key=lambda x: x[0])
    for ts, ip, host, user, fname, line in items:
        if not repo_domain(host):
            continue
        name = watch(ip, user)
        if name is None:
            continue
        key = (name, host)
        if ts < learn_until:
            seen[key] = True
        elif key not in seen:
            seen[key] = True
            out.append({"host": name, "domain": host, "file": fname, "line": line, "ts": ts})
    return out


ARCHIVERS = ("tar", "zip", "7z", "7za", "rar", "split", "gzip")


def is_archive(argv):
    if not argv:
        return False
    prog = argv[0].rsplit("/", 1)[-1]
    if prog == "tar":
        first = [a for a in argv[1:] if a.startswith("-") or a[:1].isalpha()][:2]
        return any(("c" in a.lstrip("-") and not a.startswith("--")) or a == "--create" for a in first)
    if prog == "zip":
        return len(argv) > 2
    if prog in ("7z", "7za", "rar"):
        return len(argv) > 1 and argv[1] == "a"
    if prog == "split":
        return "-b" in argv
    if prog == "gzip":
        return "-k" in argv
    return False


def is_upload_cmd(argv):
    if not argv:
        return False
    prog = argv[0].rsplit("/", 1)[-1]
    if prog == "git":
        return "push" in argv
    if prog == "gh":
        return argv[1:3] in (["repo", "create"], ["release", "upload"], ["gist", "create"])
    if prog in ("curl", "wget"):
        joined = " ".join(argv)
        uploads = any(a in argv for a in ("-T", "--upload-file", "-d", "--data", "--data-binary", "-F", "--post-file"))
        return uploads and any(d in joined for d in ("api.github.com", "uploads.github.com", "gitlab.com/api", "api.bitbucket.org"))
    return False


def archive_then_upload(audit, squid, ctx, window=1800):
    """Per host: an archive staging command followed within `window` seconds by an upload
    command on that host or a proxied push/upload from its address."""
    uploads = {}
    for e in audit:
        if is_upload_cmd(e["argv"]):
            uploads.setdefault(e["node"], []).append((e["ts"], "exec", " ".join(e["argv"][:4])))
    for r in squid:
        url = r[6]
        if url.startswith("https://"):
            host, _, rest = url[8:].partition("/")
            if operation(r[5], host, "/" + rest) in ("push", "upload"):
                h = ctx.by_ip.get(r[1])
                if h is not None:
                    uploads.setdefault(h.name, []).append((r[0], "proxy", "%s %s" % (r[5], url[:80])))
        elif r[5] == "CONNECT" and url.split(":")[0] == "uploads.github.com":
            h = ctx.by_ip.get(r[1])
            if h is not None:
                uploads.setdefault(h.name, []).append((r[0], "proxy", "CONNECT uploads.github.com:443"))
    out = []
    for e in audit:
        if not is_archive(e["argv"]):
            continue
        for t, kind, what in uploads.get(e["node"], []):
            if e["ts"] <= t <= e["ts"] + window:
                h = ctx.hosts.get(e["node"])
                out.append({"host": e["node"], "role": h.role if h else None, "archive_line": e["line"],
                            "archive": " ".join(e["argv"][:4]), "interactive": e.get("auid", 4294967295) != 4294967295,
                            "user": e.get("uid_name"), "upload": what, "upload_kind": kind, "ts": e["ts"],
                            "delay_s": round(t - e["ts"], 1)})
                break
    return out


def unsanctioned_git(audit, ctx):
    """`git push` / `git remote add|set-url` naming a repository URL outside the sanctioned
    namespaces, or any push from a host with repo_egress: false."""
    out = []
    for e in audit:
        a = e["argv"]
        if not a or a[0].rsplit("/", 1)[-1] != "git":
            continue
        is_push = "push" in a
        is_remote = "remote" in a and any(x in a for x in ("add", "set-url"))
        if not (is_push or is_remote):
            continue
        h = ctx.hosts.get(e["node"])
        urls = [x for x in a if "github.com" in x or "gitlab.com" in x or "bitbucket.org" in x]
        bad = []
        for u in urls:
            rest = u.split("@")[-1] if "@" in u.split("/")[2 if "://" in u else 0] else u.split("://")[-1]
            rest = rest.replace(":", "/", 1) if not u.startswith("http") else rest
            parts = rest.split("/")
            if len(parts) >= 2 and not ctx.is_sanctioned(parts[0], parts[1]):
                bad.append("%s/%s" % (parts[0], parts[1]))
        if bad or (is_push and h is not None and not h.repo_egress):
            out.append({"host": e["node"], "line": e["line"], "argv0": " ".join(a[:3]), "namespaces": bad,
                        "credentials_in_url": any("@" in x and "://" in x for x in a), "ts": e["ts"]})
    return out


def new_repo_push(gh, window=900):
    creates = {}
    out = []
    for e in gh:
        ts = e["@timestamp"] / 1000.0
        if e["action"] == "repo.create":
            creates[e["repo"]] = (ts, e)
        elif e["action"] == "git.push" and e["repo"] in creates:
            t0, c = creates[e["repo"]]
            if ts - t0 <= window:
                out.append({"repo": e["repo"], "actor": e["actor"], "created_with_token": "hashed_token" in c,
                            "push_with_token": "hashed_token" in e, "public": c.get("visibility") == "public",
                            "delay_s": round(ts - t0, 1), "create_line": c["_line"], "push_line": e["_line"]})
                del creates[e["repo"]]
    return out


def token_grants_then_clones(gh, window=1800):
    out = []
    grants = [e for e in gh if e["action"] in TOKEN_GRANTS]
    clones = [e for e in gh if e["action"] == "git.clone" and not e.get("repository_public")]
    for g in grants:
        t0 = g["@timestamp"] / 1000.0
        repos = {c["repo"] for c in clones if c["actor"] == g["actor"] and t0 <= c["@timestamp"] / 1000.0 <= t0 + window}
        out.append({"actor": g["actor"], "action": g["action"], "line": g["_line"], "distinct_private_clones_30m": len(repos),
                    "ts": t0})
    return out


def exposures(gh):
    out = []
    for e in gh:
        a = e["action"]
        if a == "repo.access" or a in ("repo.transfer", "migration.create", "org.transfer") or a.startswith("private_repository_forking."):
            out.append({"action": a, "repo": e.get("repo"), "actor": e["actor"], "visibility": e.get("visibility"),
                        "previous_visibility": e.get("previous_visibility"), "line": e["_line"],
                        "ts": e["@timestamp"] / 1000.0})
    return out


def product(ua):
    return (ua or "").split("/")[0].split(" ")[0]


def token_new_origins(gh, learn_until):
    hist = {}
    out = []
    without_history = set()
    for e in gh:
        tok = e.get("hashed_token")
        if not tok or e["actor"].endswith("[bot]"):
            continue
        ts = e["@timestamp"] / 1000.0
        ua = product(e.get("user_agent"))
        h = hist.setdefault(tok, {"ua": set(), "ip": set(), "learned": ts < learn_until})
        if ts < learn_until:
            if ua:
                h["ua"].add(ua)
            h["ip"].add(e.get("actor_ip"))
            continue
        if not h["learned"]:
            without_history.add(tok)
            continue
        new = []
        if ua and ua not in h["ua"]:
            new.append("user_agent_product:" + ua)
        if e.get("actor_ip") not in h["ip"]:
            new.append("ip:%s" % e.get("actor_ip"))
        if new:
            out.append({"hashed_token": tok, "actor": e["actor"], "line": e["_line"], "new": new, "ts": ts})
            h["ua"].add(ua)
            h["ip"].add(e.get("actor_ip"))
    return out, sorted(without_history)


def measure(out_dir, company, sanctioned):
    """All the facts, computed from the files in out_dir."""
    ctx = Context(company, sanctioned)
    gh = read_github(os.path.join(out_dir, "github-audit.jsonl"))
    squid = read_squid(os.path.join(out_dir, "squid-access.log"))
    dns = read_dns(os.path.join(out_dir, "bind-queries.log"))
    audit = read_audit(os.path.join(out_dir, "audit.log"))
    learn_until = clock.DAY0 + 3 * clock.DAY
    return {"ctx": ctx, "github": gh, "squid": squid, "dns": dns, "audit": audit,
            "clones": clone_windows(gh), "archive_downloads": archive_downloads(gh, squid, ctx),
            "upload_hours": upload_hours(squid, ctx), "unsanctioned_uploads": unsanctioned_uploads(squid, ctx),
            "first_seen": first_seen_repo_domains(squid, dns, ctx, learn_until),
            "archive_then_upload": archive_then_upload(audit, squid, ctx),
            "unsanctioned_git": unsanctioned_git(audit, ctx), "new_repo_push": new_repo_push(gh),
            "token_grants": token_grants_then_clones(gh), "exposures": exposures(gh),
            "token_new_origins": token_new_origins(gh, learn_until), "learn_until": learn_until}
