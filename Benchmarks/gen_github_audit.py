#!/usr/bin/env python3
"""Deterministic generator of realistic log workloads for the benchmarks.

usage:
  gen_github_audit.py COUNT [SEED] > audit.jsonl
      the `make bench` workload (unchanged shape since issue 2): GitHub Enterprise audit-log
      events, streamed JSON, one object per line (~550 bytes, 16-22 members).
  gen_github_audit.py --kind audit COUNT [SEED] > audit.jsonl
      the `make bench-peers` workload: GitHub Enterprise audit-log events with the full member
      set of the streamed export (git events: actor, actor_id, actor_ip, actor_is_bot,
      actor_location, business(_id), created_at, external_identity_nameid, hashed_token,
      operation_type, org(_id), programmatic_access_type, repo(_id), repository,
      repository_public, token_id, token_scopes, transport_protocol(_name), user_agent;
      web events add request_id, request_method, request_category, controller_action, url,
      and user for membership changes), members sorted by name as GitHub
      writes them,
      every line between 500 and 800 bytes.
  gen_github_audit.py --kind syslog COUNT [SEED] > audit.log
      the same events (same seed: byte-identical JSON) as the message of RFC 5424 syslog lines:
      `<134>1 2025-11-23T02:00:00.040Z ghe-01.acme.example github-audit 2143 - - {json}`.
  gen_github_audit.py --kind squid COUNT [SEED] > access.log
      Squid native access.log lines (`time elapsed client code/status bytes method URL user
      hierarchy/peer type`): CONNECTs to code hosts and package registries, plain HTTP
      requests, a few denials.
  gen_github_audit.py --kind intel COUNT [SEED] > intel.csv
      a threat-intelligence CSV (`indicator,category,feed,confidence`) of COUNT indicators:
      IPv4 addresses (some in the ranges the audit events' actor_ip come from, so that lookups
      hit), CIDRs, domains and `*.domain` wildcards (including paste and file-drop sites).
  gen_github_audit.py --kind context 0 > context.yaml
      the enrichment context for the audit actors: identities user0000-user1999 with their
      SAML NameID as alias, the bots as service accounts, and the sanctioned repositories.

Same arguments, same bytes: every choice comes from random.Random(SEED) (default 42) and a
fixed string hash (zlib.crc32), never Python's per-process randomized hash().
"""
import json
import random
import sys
import time
import zlib

args = sys.argv[1:]
kind = "legacy"
if args and args[0] == "--kind":
    if len(args) < 2 or args[1] not in ("audit", "syslog", "squid", "intel", "context"):
        sys.exit("usage: gen_github_audit.py [--kind audit|syslog|squid|intel|context] COUNT [SEED]")
    kind = args[1]
    args = args[2:]
if not args:
    sys.exit("usage: gen_github_audit.py [--kind audit|syslog|squid|intel|context] COUNT [SEED]")
count = int(args[0])
rng = random.Random(int(args[1]) if len(args) > 1 else 42)
out = sys.stdout


def stable_hash(s):
    return zlib.crc32(s.encode())


orgs = ["acme", "acme-labs", "acme-security"]
actors = [f"user{i:04d}" for i in range(2000)] + ["build-bot", "dependabot[bot]", "release-bot"]
repos = [f"{o}/{n}" for o in orgs for n in (
    "payments-api", "web-frontend", "infra-terraform", "mobile-app", "data-pipeline", "secrets-rotation",
    "ml-models", "docs", "auth-service", "billing", "search", "k8s-manifests", "sdk-python", "sdk-go")]
repos += [f"acme/service-{i:03d}" for i in range(300)]
actions = ["git.clone"] * 40 + ["git.fetch"] * 25 + ["git.push"] * 10 + ["repo.download_zip"] * 3 + [
    "repo.access", "org.update_member", "repo.create", "repo.add_member", "protected_branch.update",
    "personal_access_token.access_granted", "oauth_access.create", "repo.change_merge_setting"]
pats = ["Personal access token (classic)", "Fine-grained personal access token", "OAuth access token",
        "GitHub App server-to-server token", "GitHub App user-to-server token"]
agents = ["git/2.43.0", "git/2.39.2 (Apple Git-143)", "git/2.45.1.windows.1", "GitHub CLI 2.40.1",
          "JGit/6.7.0", "python-requests/2.31.0", "Go-http-client/2.0", "curl/8.4.0"]
browsers = [
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_1) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15"]
controllers = {
    "repo.download_zip": ("GET", "repository", "Repositories::ArchivesController#show", "/archive/refs/heads/main.zip"),
    "repo.access": ("GET", "repository", "RepositoriesController#show", ""),
    "org.update_member": ("PUT", "organization", "Orgs::PeopleController#update_role", "/people"),
    "repo.create": ("POST", "repository", "RepositoriesController#create", ""),
    "repo.add_member": ("PUT", "repository", "Repositories::CollaboratorsController#create", "/settings/access"),
    "protected_branch.update": ("PUT", "repository", "Repositories::BranchesController#update", "/settings/branches"),
    "personal_access_token.access_granted": ("POST", "account", "Settings::PersonalAccessTokensController#create", "/settings/tokens"),
    "oauth_access.create": ("POST", "account", "Oauth::AuthorizationsController#create", "/login/oauth/authorize"),
    "repo.change_merge_setting": ("PUT", "repository", "RepositoriesController#update_merge_settings", "/settings"),
}
countries = ["US", "US", "US", "DE", "GB", "IN", "NL", "BR", "RO", "JP"]
alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
b64 = alnum + "+/"
hexdigits = "0123456789ABCDEF"


def actor_id(actor):
    return 10_000 + actors.index(actor) if actor in actors[:50] else 10_000 + (stable_hash(actor) & 0xFFFF)


def write_lines(lines):
    buf = []
    for line in lines:
        buf.append(line)
        if len(buf) >= 10000:
            out.write("\n".join(buf) + "\n")
            buf = []
    if buf:
        out.write("\n".join(buf) + "\n")


def legacy_events():
    """The `make bench` workload of issue 2 (kept as it was so that its rows stay comparable)."""
    t = 1763863200000
    for _ in range(count):
        t += rng.randint(0, 40)
        action = rng.choice(actions)
        actor = rng.choice(actors)
        ev = {
            "@timestamp": t,
            "_document_id": "".join(rng.choice(alnum) for _ in range(22)),
            "action": action,
            "actor": actor,
            "actor_id": actor_id(actor),
            "actor_ip": f"{rng.choice([203, 198, 192, 185, 20, 40])}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
            "actor_location": {"country_code": rng.choice(countries)},
            "business": "acme-corp",
            "business_id": 1337,
            "org": rng.choice(orgs),
            "org_id": 4242,
            "repo": rng.choice(repos),
            "repository_public": rng.random() < 0.1,
            "user_agent": rng.choice(agents),
            "operation_type": "access" if action.startswith("git.") else "modify",
            "created_at": t,
        }
        if action.startswith("git."):
            ev["transport_protocol_name"] = rng.choice(["http", "http", "ssh"])
            ev["transport_protocol"] = 1 if ev["transport_protocol_name"] == "http" else 2
            if ev["transport_protocol_name"] == "http":
                ev["programmatic_access_type"] = rng.choice(pats)
                ev["hashed_token"] = "".join(rng.choice(b64) for _ in range(43)) + "="
                ev["token_id"] = rng.randint(100000, 9999999)
                ev["token_scopes"] = rng.choice(["repo", "repo,read:org", "repo,workflow", "read:packages,repo"])
        yield t, json.dumps(ev, separators=(",", ":"))


def audit_events():
    """GitHub Enterprise streamed audit-log events with the export's full member set, 500-800 bytes."""
    t = 1763863200000
    for _ in range(count):
        t += rng.randint(0, 40)
        action = rng.choice(actions)
        actor = rng.choice(actors)
        org = rng.choice(orgs)
        repo = rng.choice(repos)
        repo_id = 700_000_000 + (stable_hash(repo) & 0xFFFFFF)
        uid = actor_id(actor)
        ev = {
            "@timestamp": t,
            "_document_id": "".join(rng.choice(alnum) for _ in range(22)),
            "action": action,
            "actor": actor,
            "actor_id": uid,
            "actor_ip": f"{rng.choice([203, 198, 192, 185, 20, 40])}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
            "actor_is_bot": actor.endswith("[bot]") or actor.endswith("-bot"),
            "actor_location": {"country_code": rng.choice(countries)},
            "business": "acme-corp",
            "business_id": 1337,
            "created_at": t,
            "operation_type": "access" if action.startswith("git.") or action in ("repo.access", "repo.download_zip") else (
                "create" if action.endswith("create") or action.endswith("access_granted") else "modify"),
            "org": org,
            "org_id": 4242 + orgs.index(org),
        }
        category = controllers[action][1] if action in controllers else "repository"
        if category == "repository":
            ev["repo"] = repo
            ev["repo_id"] = repo_id
            public = rng.random() < 0.1
            if action.startswith("git."):
                ev["repository_public"] = public
        if not ev["actor_is_bot"]:
            ev["external_identity_nameid"] = f"{actor}@acme.example"
        if action in ("org.update_member", "repo.add_member"):
            member = rng.choice(actors[:2000])
            ev["user"] = member
        if action.startswith("git."):
            ev["repository"] = repo
            ev["transport_protocol_name"] = rng.choice(["http", "http", "ssh"])
            ev["transport_protocol"] = 1 if ev["transport_protocol_name"] == "http" else 2
            if ev["transport_protocol_name"] == "http":
                ev["programmatic_access_type"] = rng.choice(pats)
                ev["hashed_token"] = "".join(rng.choice(b64) for _ in range(43)) + "="
                ev["token_id"] = rng.randint(100000, 9999999)
                ev["token_scopes"] = rng.choice(["repo", "repo,read:org", "repo,workflow", "read:packages,repo"])
            else:
                ev["programmatic_access_type"] = "SSH key"
        else:
            method, category, controller, path = controllers[action]
            ev["request_id"] = "".join(rng.choice(hexdigits) for _ in range(4)) + ":" + \
                ":".join("".join(rng.choice(hexdigits) for _ in range(n)) for n in (5, 6, 7, 8))
            ev["request_method"] = method
            ev["request_category"] = category
            ev["controller_action"] = controller
            ev["url"] = "https://github.com" + (f"/{repo}" if category == "repository" else
                                                f"/orgs/{org}" if category == "organization" else "") + path
        # A git client or a browser, among those that keep the line within 800 bytes (else the
        # shortest API client).
        room = 800 - len(json.dumps(ev, separators=(",", ":"))) - len(',"user_agent":""')
        pool = agents if action.startswith("git.") else browsers
        ev["user_agent"] = rng.choice([a for a in pool if len(a) <= room] or [min(agents, key=len)])
        line = json.dumps(dict(sorted(ev.items())), separators=(",", ":"))
        if not 500 <= len(line) <= 800:
            raise SystemExit(f"generator bug: a {len(line)}-byte line: {line}")
        yield t, line


def squid_lines():
    hosts = [("github.com", 443), ("codeload.github.com", 443), ("api.github.com", 443),
             ("objects.githubusercontent.com", 443), ("gitlab.com", 443), ("bitbucket.org", 443),
             ("pypi.org", 443), ("files.pythonhosted.org", 443), ("registry.npmjs.org", 443),
             ("proxy.golang.org", 443), ("www.google.com", 443), ("login.microsoftonline.com", 443),
             ("pastebin.com", 443), ("transfer.sh", 443), ("mega.nz", 443)]
    plain = ["http://deb.debian.org/debian/dists/bookworm/InRelease",
             "http://security.debian.org/debian-security/dists/bookworm-security/main/binary-amd64/Packages.xz",
             "http://ocsp.digicert.com/MFEwTzBNMEswSTAJBgUrDgMCGgUABBQ", "http://detectportal.firefox.com/success.txt",
             "http://archive.ubuntu.com/ubuntu/pool/main/o/openssl/libssl3_3.0.2-0ubuntu1.12_amd64.deb"]
    users = [f"user{i:04d}" for i in range(500)]
    t = 1763863200.0
    for _ in range(count):
        t += rng.randint(0, 40) / 1000
        client = f"10.{rng.randint(0, 31)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
        user = rng.choice(users) if rng.random() < 0.8 else "-"
        r = rng.random()
        if r < 0.7:
            host, port = rng.choice(hosts)
            status = "TCP_TUNNEL/200" if rng.random() < 0.97 else "TCP_DENIED/403"
            size = rng.randint(3_000, 80_000_000) if status.endswith("200") else 3_912
            peer = f"HIER_DIRECT/{140 + (stable_hash(host) % 60)}.{stable_hash(host) % 256}.{rng.randint(0, 255)}.{rng.randint(1, 254)}" \
                if status.endswith("200") else "HIER_NONE/-"
            line = f"{t:.3f} {rng.randint(50, 600000):6d} {client} {status} {size} CONNECT {host}:{port} {user} {peer} -"
        else:
            url = rng.choice(plain)
            status = rng.choice(["TCP_MISS/200", "TCP_MISS/200", "TCP_REFRESH_UNMODIFIED/304", "TCP_HIT/200", "TCP_MISS/404"])
            ctype = rng.choice(["text/html", "application/octet-stream", "application/ocsp-response", "text/plain"])
            peer = "HIER_NONE/-" if "HIT" in status else f"HIER_DIRECT/151.101.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
            size = rng.randint(300, 9_000_000) if status.endswith("/200") else rng.randint(300, 900)
            line = f"{t:.3f} {rng.randint(1, 9000):6d} {client} {status} {size} GET {url} {user} {peer} {ctype}"
        yield line


def intel_lines():
    yield "indicator,category,feed,confidence"
    categories = ["tor_exit", "malicious", "residential_proxy", "vpn", "hosting", "scanner"]
    feeds = ["abuse-ch", "spamhaus-drop", "tor-project", "internal-ir", "vendor-x"]
    drop_sites = ["pastebin.com", "transfer.sh", "mega.nz", "anonfiles.com", "file.io", "gofile.io"]
    seen = set()
    while len(seen) < count:
        r = rng.random()
        if r < 0.80:
            # a fifth of them in the first octets the audit generator draws actor_ip from
            first = rng.choice([203, 198, 192, 185, 20, 40]) if rng.random() < 0.2 else rng.randint(1, 223)
            ind = f"{first}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
        elif r < 0.85:
            ind = f"{rng.randint(1, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.0/24"
        elif r < 0.99:
            ind = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(6, 14))) + \
                rng.choice([".com", ".net", ".xyz", ".top", ".ru", ".io"])
        else:
            ind = rng.choice(["*.", ""]) + rng.choice(drop_sites)
        if ind in seen:
            continue
        seen.add(ind)
        yield f"{ind},{rng.choice(categories)},{rng.choice(feeds)},{rng.choice([50, 70, 80, 90, 100])}"


def context_lines():
    yield "# Enrichment context for the generated GitHub audit actors (gen_github_audit.py --kind context)."
    yield "identities:"
    for i, a in enumerate(actors):
        bot = not a.startswith("user")
        yield f"  - name: {a}"
        if not bot:
            yield f"    aliases: [{a}@acme.example]"
        yield f"    department: {'engineering' if i % 5 else 'finance'}"
        yield f"    developer: {'true' if (i % 5 and not bot) else 'false'}"
        yield f"    service_account: {'true' if bot else 'false'}"
    yield "repositories:"
    yield "  sanctioned: [github.com/acme, github.com/acme-labs, github.com/acme-security]"


if kind == "legacy":
    write_lines(line for _, line in legacy_events())
elif kind == "audit":
    write_lines(line for _, line in audit_events())
elif kind == "syslog":
    def wrap(t, line):
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t // 1000)) + f".{t % 1000:03d}Z"
        return f"<134>1 {stamp} ghe-01.acme.example github-audit 2143 - - {line}"
    write_lines(wrap(t, line) for t, line in audit_events())
elif kind == "squid":
    write_lines(squid_lines())
elif kind == "intel":
    write_lines(intel_lines())
else:
    write_lines(context_lines())
