"""manifest.json: what was planted, where every planted record is (GitHub `_document_id`s,
file and line numbers, audit event ids), which alerts of issue 13's rule pack each attack must
raise and at which severity, which benign patterns must raise none, and the facts measured on
the files that justify both."""
import json

from . import clock
from . import company as co
from . import enrichment, facts

LEARNING_HOURS = 72


def _ref(r):
    out = {"file": r["file"], "line": r["line"]}
    if r["last_line"] != r["line"]:
        out["last_line"] = r["last_line"]
    if r["file"] == "github-audit.jsonl":
        out["_document_id"] = r["id"]
    elif r["file"] == "audit.log":
        out["audit_event"] = r["id"]
    return out


def _refs(w, prefix):
    """Refs of every tag starting with prefix, grouped by the tag's step."""
    steps = {}
    for tag in sorted(w.registry.refs):
        if tag.startswith(prefix):
            step = tag.split(":", 1)[1]
            steps[step] = [_ref(r) for r in sorted(w.registry.refs[tag], key=lambda r: (r["file"], r["line"]))]
    return steps


def _time(w, prefix):
    ts = [r["ts"] for tag, refs in w.registry.refs.items() if tag.startswith(prefix) for r in refs]
    return {"from": clock.iso(min(ts)), "to": clock.iso(max(ts))}


def _alert(rule, severity, group, why, steps):
    """An expected alert; `steps` names the steps of the story's `events` it rests on."""
    return {"rule": rule, "severity": severity, "group": group, "why": why, "evidence_steps": steps.split(",")}


def stories(c, w, attacks):
    jliu, rg, tv, ore, nk = (c.by_user[u] for u in ("jliu", "rgordon", "tvoss", "oreyes", "nkowalski"))
    f = attacks.facts
    return [
        {"id": "A1", "name": "Stolen classic PAT mass-clones from a Tor exit",
         "story": "Jun Liu's classic personal access token leaked in a CI log. At 03:12 UTC (night in Boston) "
                  "a go-git based tool uses it from the Tor exit 192.0.2.23 (in intel.csv and intel.stix.json as "
                  "tor_exit) to clone 120 private repositories of github.com/acme in 15 minutes, payments and "
                  "security first, then downloads 8 more as zip archives through the API with python-requests. "
                  "The token's learning period only knows git from Apple Git on the office proxy's address. "
                  "GitHub audit log only: the attacker never touches the company network.",
         "entities": {"identity": jliu.username, "github_login": jliu.gh_login, "saml_nameid": jliu.email,
                      "token": {"kind": co.PROG["pat_classic"], "hashed_token": jliu.cred.hashed,
                                "token_id": jliu.cred.token_id, "token_scopes": jliu.cred.scopes},
                      "actor_ip": "192.0.2.23", "intel": "tor_exit (tor-exit-list)",
                      "user_agents": ["go-git/5.x", "python-requests/2.32.3"],
                      "usual_origin": {"actor_ip": co.PROXY_EGRESS, "user_agent": jliu.ua()}},
         "families": ["github"],
         "expected_alerts": [
             _alert("github_pat_mass_clone", "critical", {"actor": jliu.gh_login},
                    "%d distinct repositories cloned with a classic PAT in 10 minutes (>= 50); the actor IP is a "
                    "Tor exit" % f["A1"]["max10"], "clone"),
             _alert("github_bulk_clone", "high", {"actor": jliu.gh_login},
                    "%d distinct repositories in 10 minutes by a human actor (>= 60)" % f["A1"]["max10"], "clone"),
             _alert("github_token_new_origin", "low", {"hashed_token": jliu.cred.hashed},
                    "user-agent product go-git (then python-requests) and a Tor address never seen for this token "
                    "in its learning period", "clone"),
             _alert("repo_archive_mass_download", "medium", {"actor": jliu.gh_login},
                    "8 distinct private repositories of github.com/acme downloaded as archives (repo.download_zip) "
                    "within 30 minutes (> 5)", "download_zip"),
         ]},
        {"id": "A2", "name": "Insider archives source trees on a build server and pushes them to a personal namespace",
         "story": "Ryan Gordon (platform) logs into build-03 from his laptop at 20:58 UTC, clones 14 repositories "
                  "he does not work on with his classic PAT (git 2.39 on Debian, through the proxy), archives them "
                  "with tar czf, splits the archive into 90 MB parts (under GitHub's 100 MB file limit), creates the "
                  "private repository github.com/%s/build-cache with curl and his token in a header, adds it as a "
                  "remote with the token in the URL and pushes ~%d MB to it, then deletes the staging directory. "
                  "build-03's proxy traffic is TLS-inspected, unauthenticated (address ACL): the network alerts "
                  "name the host, not the person." % (rg.gh_login, f["A2"]["push_bytes"] // 1_000_000),
         "entities": {"identity": rg.username, "github_login": rg.gh_login, "saml_nameid": rg.email,
                      "token": {"kind": co.PROG["pat_classic"], "hashed_token": rg.cred.hashed,
                                "token_id": rg.cred.token_id},
                      "hosts": {"build-03": c.by_host["build-03"].ip, rg.host.name: rg.host.ip},
                      "actor_ip": co.PROXY_EGRESS, "destination_namespace": "github.com/%s" % rg.gh_login,
                      "push_bytes": f["A2"]["push_bytes"]},
         "families": ["github", "endpoint", "network"],
         "expected_alerts": [
             _alert("github_pat_mass_clone", "medium", {"actor": rg.gh_login},
                    "14 distinct repositories cloned with a classic PAT in 10 minutes (>= 10, < 25); actor IP "
                    "not in intel", "clone"),
             _alert("archive_staging_then_upload", "high", {"host.name": "build-03"},
                    "tar -czf of source trees and split -b at 21:12-21:16, then curl to api.github.com and git push "
                    "at 21:17-21:19 on a host whose role is server", "archive,push"),
             _alert("repo_push_unsanctioned", "medium", {"host.name": "build-03", "namespace": "github.com/%s" % rg.gh_login},
                    "git remote add / git push to github.com/%s, outside the sanctioned namespaces; the token in the "
                    "URL must be masked in the alert" % rg.gh_login, "push"),
             _alert("repo_upload_unsanctioned", "high", {"host.name": "build-03", "namespace": "github.com/%s" % rg.gh_login},
                    "POST .../git-receive-pack of %d bytes to a namespace that is not sanctioned, from a server"
                    % f["A2"]["push_bytes"], "push"),
             _alert("repo_upload_volume", "high", {"host.name": "build-03"},
                    "%d bytes sent to github.com in one hour by a server whose learned hourly p95 is %d bytes"
                    % (f["A2"]["push_bytes"], f.get("A2_p95", 0)), "push"),
             _alert("repo_exfil_chain", "high", {"identity": rg.username},
                    "GitHub (github_pat_mass_clone as %s) and endpoint (archive_staging_then_upload, "
                    "repo_push_unsanctioned as rgordon) within 2 hours for one identity, joined through the "
                    "context's aliases; the network alerts on build-03 carry no user" % rg.gh_login,
                    "clone,archive,push"),
         ]},
        {"id": "A3", "name": "A server that never talked to GitHub uploads ~460 MB through the contents API",
         "story": "fin-report-01 (finance reporting server, repo_egress: false) runs a dropped Python script as "
                  "svc-reports at 06:00 UTC. It resolves api.github.com (never before from this host), its direct "
                  "connection is dropped at the firewall, it retries through the proxy, checks its token, creates "
                  "the repository %s/sync-cache and PUTs 36 chunks of ~12.6 MB of report exports through the "
                  "contents API in 45 minutes." % "xk-backup-7741",
         "entities": {"host": "fin-report-01", "host_ip": c.by_host["fin-report-01"].ip, "user": "svc-reports",
                      "destination_namespace": "github.com/xk-backup-7741", "upload_bytes": f["A3"]["upload_bytes"],
                      "requests": f["A3"]["puts"]},
         "families": ["network"],
         "expected_alerts": [
             _alert("repo_domain_first_seen", "low", {"host.name": "fin-report-01", "domain": "api.github.com"},
                    "api.github.com never seen for fin-report-01 (repo_egress: false) in its learning period; "
                    "first in the DNS log at 06:02:03, then in the proxy log", "dns"),
             _alert("repo_upload_volume", "high", {"host.name": "fin-report-01"},
                    "%d bytes to api.github.com within an hour from a repo_egress: false server that sent none "
                    "before" % f["A3"]["upload_bytes"], "upload"),
             _alert("repo_upload_unsanctioned", "high", {"host.name": "fin-report-01", "namespace": "github.com/xk-backup-7741"},
                    "contents API uploads (PUT /repos/xk-backup-7741/sync-cache/contents/...) to a namespace that "
                    "is not sanctioned, from a server", "upload"),
         ]},
        {"id": "A4", "name": "A worm's token creates a public repository and pushes to it at once (Shai-Hulud)",
         "story": "Tobias Voss runs npm install in web-checkout; a trojanized @ctrl/tinycolor runs bundle.js, "
                  "downloads TruffleHog from GitHub releases, scans his home directory, posts what it finds to "
                  "webhook.site (in intel as malicious, feed shai-hulud-iocs), then uses his classic PAT from his "
                  "laptop (through the proxy) to create the public repository acme/Shai-Hulud with Node's fetch and "
                  "pushes data.json to it %.0f seconds later." % f["A4"]["create_to_push_seconds"],
         "entities": {"identity": tv.username, "github_login": tv.gh_login, "saml_nameid": tv.email,
                      "host": tv.host.name, "host_ip": c.client_ip(tv, clock.LAST),
                      "token": {"kind": co.PROG["pat_classic"], "hashed_token": tv.cred.hashed,
                                "token_id": tv.cred.token_id},
                      "repository": "acme/Shai-Hulud", "user_agents": ["node", tv.ua()]},
         "families": ["github"],
         "expected_alerts": [
             _alert("github_new_repo_push", "high", {"repo": "acme/Shai-Hulud"},
                    "repo.create with a token then git.push with the same token %.0f s later (< 15 min); the "
                    "repository is public and named like the Shai-Hulud campaign" % f["A4"]["create_to_push_seconds"],
                    "create,push"),
             _alert("github_token_new_origin", "low", {"hashed_token": tv.cred.hashed},
                    "user-agent product node never seen for this token in its learning period (only git)", "create"),
         ]},
        {"id": "A5", "name": "A private repository made public",
         "story": "Olivia Reyes, admin of acme/ml-feature-store (models and customer feature definitions), switches "
                  "it from private to public in the repository settings at 17:46 UTC.",
         "entities": {"identity": ore.username, "github_login": ore.gh_login, "repository": "acme/ml-feature-store",
                      "host": ore.host.name},
         "families": ["github"],
         "expected_alerts": [
             _alert("github_repo_exposure", "high", {"repo": "acme/ml-feature-store"},
                    "repo.access: visibility private -> public", "visibility"),
         ]},
        {"id": "A6", "name": "One person clones with a new token, archives on her laptop and uploads (the chain)",
         "story": "Nina Kowalski (data, leaving the company) creates a fine-grained PAT with read access to all "
                  "repositories at 12:40 UTC (request_created, access_granted), clones 32 repositories outside her "
                  "team with it in 9 minutes on her Linux laptop, archives them at 13:20, creates the private "
                  "repository github.com/ninak/ws-archive with gh and uploads the archive (~%d MB) as a release "
                  "asset at 13:41-13:48. The three families join on one identity through the context's aliases: "
                  "ninak (GitHub), nina.kowalski@acme.example (SAML NameID), nkowalski (proxy user and auditd "
                  "user)." % (f["A6"]["upload_bytes"] // 1_000_000),
         "entities": {"identity": nk.username, "github_login": nk.gh_login, "saml_nameid": nk.email,
                      "host": nk.host.name, "host_ip": c.client_ip(nk, clock.LAST),
                      "token": {"kind": co.PROG["pat_fine"], "hashed_token": attacks.a6_token.hashed,
                                "token_id": attacks.a6_token.token_id, "created": "on the last day (no history)"},
                      "actor_ip": co.PROXY_EGRESS, "destination_namespace": "github.com/ninak",
                      "upload_bytes": f["A6"]["upload_bytes"]},
         "families": ["github", "network", "endpoint"],
         "expected_alerts": [
             _alert("github_token_then_bulk_clone", "high", {"actor": nk.gh_login},
                    "personal_access_token.access_granted at 12:40 then 32 distinct private repositories cloned by "
                    "the same actor within 30 minutes (> 5), from the same address as the grant", "token,clone"),
             _alert("github_pat_mass_clone", "high", {"actor": nk.gh_login},
                    "32 distinct repositories cloned with a fine-grained PAT in 10 minutes (>= 25, < 50)", "clone"),
             _alert("github_bulk_clone", "medium", {"actor": nk.gh_login},
                    "32 distinct repositories in 10 minutes by a human actor (>= 25, < 60)", "clone"),
             _alert("archive_staging_then_upload", "medium", {"host.name": nk.host.name},
                    "tar -czf at 13:20:05 then gh repo create / gh release upload at 13:38-13:41 (< 30 min) on a "
                    "dev_workstation; the archive holds no credentials", "archive,upload"),
             _alert("repo_upload_unsanctioned", "medium", {"host.name": nk.host.name, "namespace": "github.com/ninak"},
                    "release asset upload to uploads.github.com/repos/ninak/... (not sanctioned) from a "
                    "dev_workstation", "upload"),
             _alert("repo_upload_volume", "medium", {"host.name": nk.host.name},
                    "%d bytes to uploads.github.com in one hour; the laptop's learned hourly p95 is %d bytes"
                    % (f["A6"]["upload_bytes"], f.get("A6_p95", 0)), "upload"),
             _alert("repo_exfil_chain", "critical", {"identity": nk.username},
                    "GitHub (token then bulk clone, mass clone), network (unsanctioned upload, volume) and endpoint "
                    "(archive then upload) for one identity within 2 hours (12:40-13:48)", "token,clone,archive,upload"),
         ]},
    ]


BAIT = [
    ("ci-dependency-audit", "acme-ci[bot] (GitHub App, installation token renewed hourly) clones every acme repository "
     "on ci-runner-01 each night 01:00-02:00 UTC, about 75 distinct repositories per 10 minutes, the same every night.",
     ["github_bulk_clone", "github_pat_mass_clone", "github_token_new_origin"],
     "an app actor below the bot threshold (>= 100) and at its learned p95; an app token is not a PAT"),
    ("dependabot", "dependabot[bot] clones, fetches, pushes branches and opens pull requests through the day.",
     ["github_bulk_clone", "github_new_repo_push", "github_pat_mass_clone"], "an app actor, few repositories"),
    ("release-bot", "acme-release-bot, a machine user with a classic PAT, clones 45 repositories in ~8 minutes from "
     "the CI egress address and pushes a tag to each, every night at 23:00 UTC.",
     ["github_pat_mass_clone", "github_bulk_clone"],
     "automation is allowlisted only by explicit configuration (Datadog's guidance): the pipeline must allowlist "
     "actor acme-release-bot (or its hashed token, or 198.51.100.13/32); without that entry this is a true "
     "positive of the rule as written"),
    ("onboarding", "Two new hires (mokafor from day 3, sbergstrom on day 4) clone ~40 repositories over SSH on their "
     "first day in bursts of at most 12 per 10 minutes; their org membership is added the day before.",
     ["github_pat_mass_clone", "github_bulk_clone", "github_token_then_bulk_clone", "repo_domain_first_seen"],
     "SSH keys, not tokens; 12 < 25 per 10 minutes; developer workstations are not watched for first-seen domains"),
    ("release-engineers", "Three release engineers fetch and push a version bump to 30 repositories each within ~30 "
     "minutes on days 2 and 4, over HTTPS with their gh OAuth tokens.",
     ["github_pat_mass_clone", "github_bulk_clone", "github_new_repo_push", "repo_upload_unsanctioned",
      "repo_upload_volume"], "fetches and pushes, no clones; sanctioned namespaces; small packs"),
    ("personal-project", "Dana Whitfield pushes her open-source side project to github.com/danaw from her Linux "
     "laptop (days 2 and 4); policy OSS-7 allows it and context.yaml lists github.com/danaw as sanctioned.",
     ["repo_push_unsanctioned", "repo_upload_unsanctioned", "archive_staging_then_upload"],
     "the namespace is sanctioned by explicit, reviewed configuration"),
    ("pat-below-threshold", "epark clones 8 distinct repositories in 9 minutes with her classic PAT.",
     ["github_pat_mass_clone"], "8 < 10"),
    ("repeated-clones", "gnovak re-clones the same 3 repositories 15 times in 10 minutes.", ["github_pat_mass_clone"],
     "3 distinct repositories: the rule counts distinct repositories, not clones"),
    ("token-grant-small", "akumar is granted a new fine-grained PAT and clones 3 repositories with it within 20 minutes.",
     ["github_token_then_bulk_clone", "github_token_new_origin"],
     "3 <= 5 distinct repositories; a token created on the last day has no learning history to differ from"),
    ("contractor-intel-pmehta", "Contractor pmehta clones from her home line 198.51.100.150, listed in intel.csv as a "
     "residential proxy whose indicator expired on 2025-10-31; on the last day 7 repositories in 10 minutes.",
     ["github_pat_mass_clone"], "7 < 10, and the expired indicator must not make >= 5 enough for high"),
    ("contractor-intel-lfischer", "Contractor lfischer works through a commercial VPN exit (192.0.2.131, intel "
     "category vpn); on the last day 6 repositories in 10 minutes.", ["github_pat_mass_clone"],
     "6 < 10, and vpn is not a category that raises the severity"),
    ("new-public-repo-ssh-later", "hsato creates acme-oss/kube-lint-action (public) in the browser at 10:05 and "
     "pushes the first commit over SSH at 13:20.", ["github_new_repo_push", "github_repo_exposure"],
     "no token; the push comes 3 hours later; created public, not made public"),
    ("web-created-repo-push", "fmartin creates acme/payments-reconciler (private) in the browser at 14:00 and pushes "
     "to it with his gh OAuth token 6 minutes later.", ["github_new_repo_push"],
     "repo.create carries no token (no programmatic_access_type/hashed_token): a person, not a token, created it"),
    ("visibility-not-exposure", "cmorgan makes acme-oss/old-website private (day 2); slee makes "
     "acme/security-playbooks private from internal (day 4).", ["github_repo_exposure"],
     "visibility reduced, not exposed"),
    ("admin-settings", "Org owners' ordinary settings changes every day (branch protection, merge settings, team "
     "repositories, collaborators).", ["github_repo_exposure"], "no exposure"),
    ("ci-release-upload", "The nightly CLI release on ci-runner-03 (23:20 UTC): tar -czf of build outputs "
     "(-C build/out/...), then gh release upload of ~90 MB to acme-oss/cli, as the runner service.",
     ["archive_staging_then_upload", "repo_upload_volume", "repo_upload_unsanctioned"],
     "a service without a login session (auid unset) on a ci_runner archiving build outputs, every night, to a "
     "sanctioned namespace; within the host's learned upload volume"),
    ("actions-cache", "actions/cache on the self-hosted runners: tar --posix -cf cache.tzst, uploaded to the Actions "
     "cache service (results-receiver.actions.githubusercontent.com, spliced), 1-300 MB.",
     ["archive_staging_then_upload", "repo_upload_volume"],
     "the Actions cache is not a repository upload; the runners' hourly volume is learned (see facts)"),
    ("build-artifacts", "Jenkins on the build servers: tar -czf of build outputs then curl -T to the internal "
     "Artifactory.", ["archive_staging_then_upload"], "the upload goes to an internal host, not a code repository"),
    ("backups", "Nightly backups: tar -czf of the file shares on backup-01 and pg_dump/tar on db-01..03, shipped to "
     "S3 (hundreds of MB).", ["archive_staging_then_upload", "repo_upload_volume"], "S3 is not a code repository"),
    ("mon-01-releases", "mon-01 (server, repo_egress: false) downloads the node_exporter release from github.com "
     "(redirected to objects.githubusercontent.com) every morning at 04:10 UTC.",
     ["repo_domain_first_seen", "repo_upload_volume", "repo_push_unsanctioned"],
     "both domains are in its learned set; downloads, not uploads"),
    ("pm-github-browsing", "Product managers (developer: false, repo_egress: false laptops) read issues and projects "
     "on github.com every day.", ["repo_domain_first_seen"], "the domains are in their hosts' learned sets"),
    ("upstream-clones", "Developers clone and fetch public upstream repositories (kubernetes/kubernetes, "
     "golang/go...): git-upload-pack POSTs to namespaces that are not sanctioned.",
     ["repo_upload_unsanctioned", "repo_push_unsanctioned"], "upload-pack is a download; no push, no remote add"),
    ("api-star-upstream", "gh/IDE calls that star upstream repositories (PUT api.github.com/user/starred/owner/repo).",
     ["repo_upload_unsanctioned"], "not a push or contents upload"),
    ("private-npm-codeload", "npm installs of the 3 private acme packages from codeload.github.com (github: "
     "dependencies), at most 3 distinct repositories per host per 30 minutes.", ["repo_archive_mass_download"],
     "3 <= 5"),
    ("web-download-zip", "Developers occasionally download one repository as a ZIP from its page (repo.download_zip "
     "without a token, and the codeload request in the proxy log).", ["repo_archive_mass_download"], "one archive"),
    ("tar-extract", "Developers unpack downloads (tar -xzf) on their laptops, some shortly before a git push.",
     ["archive_staging_then_upload"], "extraction is not archive creation"),
]


def bait(w, c):
    out = []
    for name, desc, rules, why in BAIT:
        refs = []
        for tag in sorted(w.registry.refs):
            if tag == "bait:" + name:
                refs = sorted(w.registry.refs[tag], key=lambda r: (r["file"], r["line"]))
        per_file = {}
        per_day = {}
        for r in refs:
            per_file[r["file"]] = per_file.get(r["file"], 0) + 1
            d = facts.day_of(r["ts"]) + 1
            per_day[str(d)] = per_day.get(str(d), 0) + 1
        entry = {"id": "bait:" + name, "description": desc, "must_not_trigger": rules, "why": why,
                 "records": per_file, "records_per_day": dict(sorted(per_day.items()))}
        if name == "release-bot":
            entry["requires_config"] = {"allowlist": {"actor": [c.release_bot],
                                                      "hashed_token": [c.release_bot_cred.hashed],
                                                      "cidr": [co.CI_EGRESS + "/32"]}}
        last = [r for r in refs if facts.day_of(r["ts"]) == clock.LAST]
        if len(refs) <= 120:
            entry["events"] = [_ref(r) for r in refs]
        else:
            entry["events_last_day_sample"] = [_ref(r) for r in last[:40]]
        out.append(entry)
    return out


def measured(fx, attacks):
    """The published facts (a subset of facts.measure's output, made JSON-friendly)."""
    clones = fx["clones"]
    top = lambda cls, n: [{"actor": a, "max_distinct_10min": v[0], "window_start": clock.iso(v[1])}  # noqa: E731
                          for a, v in sorted(clones[cls].items(), key=lambda kv: (-kv[1][0], kv[0]))[:n]]
    learn_h = int((fx["learn_until"] - clock.DAY0) // 3600)
    vols = []
    ctx = fx["ctx"]
    for host, hours in sorted(fx["upload_hours"].items()):
        learned = [hours.get(h, 0) for h in range(learn_h)]
        last = [hours.get(h, 0) for h in range(learn_h, learn_h + 24)]
        h = ctx.hosts.get(host)
        vols.append({"host": host, "role": h.role if h else None, "repo_egress": h.repo_egress if h else None,
                     "learned_p95_hourly": facts.p95(learned), "learned_max_hourly": max(learned),
                     "last_day_max_hourly": max(last)})
    vols.sort(key=lambda v: -v["last_day_max_hourly"])
    planted_hosts = {"build-03", "fin-report-01", "lt-nkowalski"}
    benign_vol = {"max_last_day_hourly_by_role": {}, "max_ratio_to_learned_p95_when_above_20MB": 0.0}
    for v in vols:
        if v["host"] in planted_hosts:
            continue
        r = benign_vol["max_last_day_hourly_by_role"]
        r[v["role"]] = max(r.get(v["role"], 0), v["last_day_max_hourly"])
        if v["last_day_max_hourly"] > 20_000_000:
            ratio = round(v["last_day_max_hourly"] / max(1, v["learned_p95_hourly"]), 2)
            benign_vol["max_ratio_to_learned_p95_when_above_20MB"] = max(
                benign_vol["max_ratio_to_learned_p95_when_above_20MB"], ratio)
    new_origin, without_history = fx["token_new_origins"]
    return {
        "note": "Measured on the generated files by daygen/facts.py (an independent reading of the four logs and "
                "the context). Windows slide over event time.",
        "distinct_clones_per_actor_10min": {"pat_or_oauth": top("pat_like", 12), "any_credential": top("any", 12)},
        "archive_downloads_per_actor_or_host_30min": [
            {"key": "%s:%s" % k, "max_distinct_private_sanctioned": v[0]}
            for k, v in sorted(fx["archive_downloads"].items(), key=lambda kv: (-kv[1][0], str(kv[0])))[:6]],
        "upload_bytes_to_repo_services_per_host_hour_top": vols[:20],
        "upload_bytes_benign_summary": benign_vol,
        "unsanctioned_uploads": _group_uploads(fx["unsanctioned_uploads"]),
        "repo_domains_first_seen_after_learning": [
            {k: (clock.iso(v) if k == "ts" else v) for k, v in x.items()} for x in fx["first_seen"]],
        "archive_then_upload_within_30min": [
            {k: (clock.iso(v) if k == "ts" else v) for k, v in x.items()} for x in fx["archive_then_upload"]],
        "unsanctioned_git_push_or_remote": [
            {k: (clock.iso(v) if k == "ts" else v) for k, v in x.items()} for x in fx["unsanctioned_git"]],
        "repo_create_then_push_15min": fx["new_repo_push"],
        "token_grants_then_private_clones_30min": [
            {k: (clock.iso(v) if k == "ts" else v) for k, v in x.items()} for x in fx["token_grants"]],
        "visibility_and_exposure_events": [
            {k: (clock.iso(v) if k == "ts" else v) for k, v in x.items()} for x in fx["exposures"]],
        "tokens_with_new_origin_after_learning": [
            {k: (clock.iso(v) if k == "ts" else v) for k, v in x.items()} for x in new_origin],
        "tokens_without_history_used_after_learning": without_history,
    }


def _group_uploads(ups):
    g = {}
    for u in ups:
        k = (u["host"], u["namespace"], u["operation"])
        e = g.setdefault(k, {"host": u["host"], "namespace": u["namespace"], "operation": u["operation"],
                             "requests": 0, "bytes": 0, "first_line": u["line"], "first": clock.iso(u["ts"])})
        e["requests"] += 1
        e["bytes"] += u["bytes"]
    return list(g.values())


def build(seed, c, w, attacks, bait_gen, files, request_size, fx):
    learn_h = int((fx["learn_until"] - clock.DAY0) // 3600)
    for sid, host in (("A2", "build-03"), ("A6", c.by_user["nkowalski"].host.name)):
        hours = fx["upload_hours"].get(host, {})
        attacks.facts[sid + "_p95"] = facts.p95([hours.get(h, 0) for h in range(learn_h)])
    attacks.facts["A1"]["max10"] = fx["clones"]["pat_like"][c.by_user["jliu"].gh_login][0]
    st = stories(c, w, attacks)
    for s in st:
        s["time"] = _time(w, s["id"] + ":")
        s["events"] = _refs(w, s["id"] + ":")
    expected = []
    for s in st:
        for a in s["expected_alerts"]:
            expected.append({"attack": s["id"], "rule": a["rule"], "severity": a["severity"], "group": a["group"]})
    descriptions = {
        "github-audit.jsonl": "GitHub Enterprise Cloud audit log (org acme and acme-oss, enterprise acme-corp) as the "
                              "audit-log stream writes it: one JSON object per line, members sorted; git events "
                              "(git.clone, git.fetch, git.push: two events per push, the second without user agent, "
                              "as GitHub writes them), repository, token and membership events.",
        "squid-access.log": "Squid 6 access.log of the company proxy (proxy-01, 10.0.0.80), native layout%s. Code-"
                            "repository domains (github.com, *.github.com, *.githubusercontent.com, gitlab.com, "
                            "bitbucket.org) are TLS-inspected (ssl_bump bump: a NONE_NONE/200 CONNECT then the "
                            "requests) for every client but the CI runners; everything else is spliced (one "
                            "TCP_TUNNEL CONNECT line per tunnel with the bytes both ways). Laptops authenticate "
                            "(Kerberos, realm stripped: the corporate user name); servers and runners do not (-)."
                            % (" with the request size appended by `logformat acme %ts.%03tu %6tr %>a %Ss/%03>Hs "
                               "%<st %rm %ru %[un %Sh/%<a %mt %>st`" if request_size else " (default logformat)"),
        "bind-queries.log": "BIND 9.18 query log of the internal resolver ns1 (10.0.0.53; channel file with print-time, "
                            "print-category, print-severity; the server runs in UTC). Browsers resolve every host "
                            "they visit (the PAC file calls dnsResolve), command-line tools go through the proxy "
                            "without resolving, SSH git resolves github.com.",
        "audit.log": "Linux audit log (auditd 3, log_format = ENRICHED, name_format = hostname, forwarded to one "
                     "collector) with `-a always,exit -F arch=b64 -S execve -k exec` on Linux laptops, CI runners, "
                     "build, deploy, jump hosts and servers: SYSCALL, EXECVE, CWD, PATH, PROCTITLE, EOE per exec "
                     "(arguments hex-encoded where auditd encodes them), and sshd/PAM records for logins.",
    }
    for name in files:
        files[name]["description"] = descriptions[name]
    return {
        "dataset": "Acme Corp: four days (2025-11-17 to 2025-11-20, UTC) of a 300-person company, with six attacks "
                   "planted on the last day",
        "generator": "Benchmarks/dataset/generate.py",
        "seed": seed,
        "days": [{"day": d + 1, "date": clock.iso(clock.day_start(d))[:10],
                  "role": "history (learning)" if d < clock.LAST else "day of interest"} for d in range(clock.DAYS)],
        "learning": {"hours": LEARNING_HOURS, "from": clock.iso(clock.DAY0),
                     "until": clock.iso(clock.DAY0 + LEARNING_HOURS * 3600),
                     "note": "Every planted event is after the learning period of rules that learn (72 hours from the "
                             "first event, DESIGN.md); the first events of every file are in the first minutes of day 1."},
        "files": files,
        "replay": {"formats": {name: v["format"] for name, v in files.items()},
                   "context": "context.yaml", "intel": ["intel.csv", "intel.stix.json"]},
        "environment": {
            "github": {"enterprise": co.BUSINESS, "orgs": co.ORGS, "sanctioned": [s for s, _ in enrichment.SANCTIONED]},
            "addresses": {"office_nat_boston": co.OFFICE_NAT["bos"], "office_nat_berlin": co.OFFICE_NAT["ber"],
                          "proxy_egress": co.PROXY_EGRESS, "ci_egress": co.CI_EGRESS, "vpn_egress": co.VPN_EGRESS,
                          "github_hosted_runners_and_codespaces": "203.0.113.128/26 (intel: hosting)",
                          "contractors_home": "198.51.100.100-199", "tor_exits": "192.0.2.10-45 (intel: tor_exit)",
                          "resolver": co.RESOLVER, "proxy": co.PROXY_IP},
            "people": len(c.people), "developers": len(c.developers()), "hosts": len(c.hosts),
            "repositories": {"acme": len(c.repos), "acme-oss": len(c.oss)},
        },
        "attacks": st,
        "expected_alerts": expected,
        "expected_alert_notes": [
            "One alert per rule and group at the severity given; a rule whose severity tiers are crossed one after "
            "another may first raise lower-severity alerts for the same group that this one escalates (DESIGN.md "
            "Alerts).",
            "No other alert is expected, on any day: every pattern under 'bait' is benign.",
            "repo_push_unsanctioned: `git push -u origin main` on build-03 names no URL; the remote is in the "
            "preceding `git remote add` and in git-remote-https's arguments (pid/ppid link them).",
            "archive_staging_then_upload on build-03: Jenkins keeps building during A2 (tar -czf of build outputs as "
            "jenkins, no login session); a sequence keyed by host alone also pairs those archives with rgordon's "
            "upload. The expected alert is the one group on build-03; its evidence should be rgordon's session "
            "(auid 10001, ses) - the tar/split of source trees.",
        ],
        "bait": bait(w, c),
        "facts": measured(fx, attacks),
    }


def write(path, m):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        json.dump(m, f, indent=1, ensure_ascii=False)
        f.write("\n")
