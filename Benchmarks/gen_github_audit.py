#!/usr/bin/env python3
"""Deterministic generator of realistic GitHub Enterprise audit-log events (streamed JSON,
one object per line), with the fields GitHub documents for git and repo events.

usage: gen_github_audit.py COUNT [SEED] > audit.jsonl
"""
import json
import random
import sys

count = int(sys.argv[1])
rng = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 42)
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
countries = ["US", "US", "US", "DE", "GB", "IN", "NL", "BR", "RO", "JP"]
alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
b64 = alnum + "+/"
t = 1763863200000
out = sys.stdout
buf = []
for i in range(count):
    t += rng.randint(0, 40)
    action = rng.choice(actions)
    actor = rng.choice(actors)
    ev = {
        "@timestamp": t,
        "_document_id": "".join(rng.choice(alnum) for _ in range(22)),
        "action": action,
        "actor": actor,
        "actor_id": 10_000 + actors.index(actor) if actor in actors[:50] else 10_000 + (hash(actor) & 0xFFFF),
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
    buf.append(json.dumps(ev, separators=(",", ":")))
    if len(buf) >= 10000:
        out.write("\n".join(buf) + "\n")
        buf = []
if buf:
    out.write("\n".join(buf) + "\n")
