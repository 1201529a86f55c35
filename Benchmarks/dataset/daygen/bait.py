"""Benign patterns that look like the attacks: each is tagged "bait:<name>" so the manifest can
cite its events, and each names the rules it must NOT trigger (manifest.BAIT)."""
import random

from . import clock
from . import company as co



class Bait:
    def __init__(self, w, benign):
        self.w = w
        self.c = w.c
        self.b = benign

    def day(self, d):
        rng = random.Random("%s:bait:%d" % (self.w.seed, d))
        self.onboarding(d, rng)
        self.release_bot(d, rng)
        self.ci_release_upload(d, rng)
        if d in (1, 3):
            self.release_engineers(d, rng)
            self.personal_project(d, rng)
        if d == 1:
            self.visibility_private(d, rng, "cmorgan", "acme-oss/old-website", "public")
        self.contractors(d, rng)
        if d == 3:
            self.pat_below_threshold(rng)
            self.repeated_clones(rng)
            self.token_grant_small(rng)
            self.new_public_repo_ssh_later(rng)
            self.web_created_repo_push(rng)
            self.visibility_private(d, rng, "slee", "acme/security-playbooks", "internal")

    # ------------------------------------------------------------------------------------------
    def onboarding(self, d, rng):
        """New hires clone ~40 repositories over SSH on their first day, in bursts of at most 12
        distinct repositories per 10 minutes (the SSH key is theirs; no token is involved).
        Their org membership is added the day before."""
        w, c = self.w, self.c
        admin = c.by_user["cmorgan"]
        for p in (c.by_user["mokafor"], c.by_user["sbergstrom"]):
            if d == p.start_day - 1:
                t = clock.at(d, 15, 5) + rng.uniform(0, 3000)
                for action, extra in (("org.add_member", {"permission": "read"}),
                                      ("team.add_member", {"team": "acme/%s" % p.team})):
                    f = {"operation_type": "create" if action == "org.add_member" else "modify",
                         "user": p.gh_login, "user_id": p.gh_id, "user_agent": co.BROWSER_UA[admin.os],
                         "request_category": "other"}
                    f.update(extra)
                    w.gh(t, action, admin.gh_login, admin.gh_id, co.PROXY_EGRESS, "US", "acme", f, person=admin,
                         rng=rng, tag="bait:onboarding")
                    t += 40
            if d == p.start_day:
                repos = (c.team_repos[p.team] + c.shared)[:40]
                starts = [(10, 15), (11, 5), (14, 10), (15, 40)]
                sizes = [12, 12, 8, 8]
                i = 0
                for (hh, mm), n in zip(starts, sizes):
                    t = clock.at(d, int(hh - p.tz), mm)
                    for _ in range(n):
                        self.b.git_op(p, d, t, "git.clone", repos[i], rng=rng, tag="bait:onboarding")
                        i += 1
                        t += rng.uniform(25, 45)
            if d == p.start_day + 1 and d < clock.DAYS:
                repos = (c.team_repos[p.team] + c.shared)[40:50] or c.shared
                t = clock.at(d, int(10 - p.tz), 20)
                for r in repos:
                    self.b.git_op(p, d, t, "git.clone", r, rng=rng, tag="bait:onboarding")
                    t += rng.uniform(60, 200)

    def release_bot(self, d, rng):
        """acme-release-bot, a machine user with a classic PAT, cuts the nightly release train on
        ci-runner-02: clones 45 repositories in ~8 minutes, tags and pushes each. Its actor, token
        and address are meant to be allowlisted by explicit configuration."""
        w, c = self.w, self.c
        h = c.by_host["ci-runner-02"]
        cred = c.release_bot_cred
        repos = c.repos[10:55]
        t = clock.at(d, 23, 0, rng.uniform(0, 30))
        version = "2025.11.%d" % (17 + d)
        for repo in repos:
            w.execve(h, t, ["git", "clone", "--quiet", "https://github.com/%s.git" % repo], "/usr/bin/git",
                     "/home/runner/_work/release-train", "runner", 1001, rng=rng, tag="bait:release-bot")
            w.proxy_git(t + 0.05, h.ip, None, repo, "upload", rng.randrange(200_000, 9_000_000), rng.randrange(1_000, 4_000),
                        rng, tag="bait:release-bot", tunnel=True)
            w.git_event(t + 0.8, "git.clone", c.release_bot, c.release_bot_id, co.CI_EGRESS, "US", repo, "http", cred,
                        "git/2.43.0", rng=rng, tag="bait:release-bot")
            t += rng.uniform(9, 12)
        for repo in repos:
            name = repo.split("/")[1]
            wd = "/home/runner/_work/release-train/" + name
            w.execve(h, t, ["git", "tag", "-a", "v" + version, "-m", "release " + version], "/usr/bin/git", wd,
                     "runner", 1001, rng=rng, tag="bait:release-bot")
            w.execve(h, t + 0.2, ["git", "push", "origin", "v" + version], "/usr/bin/git", wd, "runner", 1001,
                     rng=rng, tag="bait:release-bot")
            w.proxy_git(t + 0.3, h.ip, None, repo, "receive", rng.randrange(600, 2_000), 0, rng,
                        tag="bait:release-bot", tunnel=True)
            w.git_event(t + 1.0, "git.push", c.release_bot, c.release_bot_id, co.CI_EGRESS, "US", repo, "http", cred,
                        "git/2.43.0", rng=rng, tag="bait:release-bot")
            t += rng.uniform(3, 6)

    def ci_release_upload(self, d, rng):
        """The nightly CLI release on ci-runner-03: build outputs archived with tar (-C build/out),
        then uploaded as release assets with `gh release upload` (a service, no login session)."""
        w, c = self.w, self.c
        h = c.by_host["ci-runner-03"]
        t = clock.at(d, 23, 20, rng.uniform(0, 60))
        ver = "v2.%d.0-nightly.202511%02d" % (14, 17 + d)
        wd = "/home/runner/_work/cli/cli"
        tag = "bait:ci-release-upload"
        for arch in ("linux-amd64", "linux-arm64", "darwin-arm64"):
            w.execve(h, t, ["tar", "-czf", "dist/acme-cli-%s-%s.tar.gz" % (ver, arch), "-C", "build/out/%s" % arch, "."],
                     "/usr/bin/tar", wd, "runner", 1001, rng=rng, tag=tag)
            t += rng.uniform(2, 5)
        w.execve(h, t, ["gh", "release", "upload", ver, "dist/acme-cli-%s-linux-amd64.tar.gz" % ver,
                        "dist/acme-cli-%s-linux-arm64.tar.gz" % ver, "dist/acme-cli-%s-darwin-arm64.tar.gz" % ver,
                        "--repo", "acme-oss/cli", "--clobber"], "/usr/bin/gh", wd, "runner", 1001, rng=rng, tag=tag)
        w.tunnel(t + 0.5, h.ip, None, "api.github.com", rng.randrange(4_000, 9_000), rng.randrange(2_000, 5_000),
                 rng.randrange(800, 3_000), rng.choice(co.GITHUB_IPS["api.github.com"]), tag=tag)
        w.tunnel(t + 2, h.ip, None, "uploads.github.com", rng.randrange(6_000, 12_000),
                 rng.randrange(88_000_000, 98_000_000), rng.randrange(60_000, 140_000),
                 rng.choice(co.GITHUB_IPS["uploads.github.com"]), tag=tag)

    def release_engineers(self, d, rng):
        """Release engineers fetch and push a version bump to ~30 repositories each, over HTTPS
        with their gh OAuth tokens: many pushes, a few fetches, no clones."""
        c = self.c
        for i, u in enumerate(("ahansen", "kwong", "bdiaz")):
            p = c.by_user[u]
            repos = c.repos[60 + i * 30: 90 + i * 30]
            t = clock.at(d, int(14 - p.tz) if p.tz < 0 else int(14 - p.tz), 30) + i * 300
            for repo in repos:
                self.b.git_op(p, d, t, "git.fetch", repo, rng=rng, tag="bait:release-engineers")
                t += rng.uniform(8, 20)
                self.b.git_op(p, d, t, "git.push", repo, rng=rng, tag="bait:release-engineers",
                              pack=rng.randrange(800, 4_000))
                t += rng.uniform(15, 40)

    def personal_project(self, d, rng):
        """Dana pushes her open-source side project to github.com/danaw from her laptop. Policy
        OSS-7 allows it: the namespace is listed as sanctioned in context.yaml."""
        w, c = self.w, self.c
        p = c.by_user["dwhitfield"]
        repo = "danaw/terraform-provider-acmedns"
        t = clock.at(d, 22, 10, rng.uniform(0, 600))
        cwd = "/home/dwhitfield/src/terraform-provider-acmedns"
        w.git_exec(p, p.host, d, t - 30, ["git", "commit", "-am", "release 0.%d.0" % (4 + d)], cwd, None, rng,
                   tag="bait:personal-project")
        self.b.git_op(p, d, t, "git.push", repo, rng=rng, tag="bait:personal-project", pack=rng.randrange(20_000, 300_000))

    def visibility_private(self, d, rng, who, repo, previous):
        """Visibility changes that expose nothing: public->private, internal->private."""
        w, c = self.w, self.c
        p = c.by_user[who]
        t = clock.at(d, 16, 12) + rng.uniform(0, 1200)
        w.gh(t, "repo.access", p.gh_login, p.gh_id, co.PROXY_EGRESS, "US", repo.split("/")[0],
             {"operation_type": "modify", "previous_visibility": previous, "public_repo": False, "repo": repo,
              "repo_id": c.repo_ids.get(repo, 309_112_007), "request_category": "other",
              "user_agent": co.BROWSER_UA[p.os], "visibility": "private"}, person=p, rng=rng,
             tag="bait:visibility-not-exposure")

    def contractors(self, d, rng):
        """Two contractors clone with their tokens from addresses that threat intelligence knows:
        pmehta's home address was a residential proxy (indicator expired on 2025-10-31), lfischer
        works through a commercial VPN (category vpn, which raises nothing). On the last day each
        clones a handful of repositories in 10 minutes: 7 and 6, below 10."""
        c = self.c
        for u, n_last in (("pmehta", 7), ("lfischer", 6)):
            p = c.by_user[u]
            tag = "bait:contractor-intel-%s" % u
            if d < 3:
                for t in clock.work_times(rng, d, p.tz, rng.randrange(1, 4)):
                    self.b.git_op(p, d, t, "git.clone", rng.choice(p.repos), rng=rng, tag=tag)
            else:
                t = clock.at(d, int(11 - p.tz), 5)
                for repo in rng.sample(c.team_repos[p.team], n_last):
                    self.b.git_op(p, d, t, "git.clone", repo, rng=rng, tag=tag)
                    t += rng.uniform(50, 80)

    def pat_below_threshold(self, rng):
        """epark clones 8 distinct repositories in 9 minutes with her classic PAT: busy, not bulk."""
        c = self.c
        p = c.by_user["epark"]
        t = clock.at(3, 15, 40)
        for repo in rng.sample(c.team_repos["web"], 8):
            self.b.git_op(p, 3, t, "git.clone", repo, rng=rng, tag="bait:pat-below-threshold")
            t += rng.uniform(55, 70)

    def repeated_clones(self, rng):
        """gnovak re-clones the same 3 repositories 15 times in 10 minutes while debugging a
        submodule problem: many clones, 3 distinct repositories."""
        c = self.c
        p = c.by_user["gnovak"]
        repos = c.team_repos["platform"][:3]
        t = clock.at(3, 9, 30)
        for i in range(15):
            self.b.git_op(p, 3, t, "git.clone", repos[i % 3], rng=rng, tag="bait:repeated-clones")
            t += rng.uniform(30, 40)

    def token_grant_small(self, rng):
        """akumar is granted a new fine-grained PAT and clones 3 repositories with it within 20
        minutes (at most 5: below github_token_then_bulk_clone). The token has no history, so
        github_token_new_origin has nothing to compare it with."""
        w, c = self.w, self.c
        p = c.by_user["akumar"]
        cred = co.new_credential(rng, "pat_fine", created_day=3)
        t = clock.at(3, 15, 2)
        ua = co.BROWSER_UA[p.os]
        for action in ("personal_access_token.request_created", "personal_access_token.access_granted"):
            w.gh(t, action, p.gh_login, p.gh_id, co.PROXY_EGRESS, "US", "acme",
                 {"operation_type": "create" if action.endswith("created") else "access", "token_id": cred.token_id,
                  "user": p.gh_login, "user_id": p.gh_id, "user_agent": ua, "request_category": "other",
                  "permissions": {"contents": "read", "metadata": "read"}, "repository_selection": "selected"},
                 person=p, rng=rng, tag="bait:token-grant-small")
            t += 1.2
        t += 240
        for repo in c.team_repos["data"][10:13]:
            self.b.git_op(p, 3, t, "git.clone", repo, rng=rng, tag="bait:token-grant-small", cred=cred)
            t += rng.uniform(200, 400)
        self.akumar_token = cred

    def new_public_repo_ssh_later(self, rng):
        """hsato creates a public repository in acme-oss in the browser (no token) and pushes the
        first commit over SSH three hours later."""
        w, c = self.w, self.c
        p = c.by_user["hsato"]
        repo = "acme-oss/kube-lint-action"
        t = clock.at(3, 10, 5)
        w.gh(t, "repo.create", p.gh_login, p.gh_id, co.PROXY_EGRESS, "DE", "acme-oss",
             {"operation_type": "create", "public_repo": True, "repo": repo, "repo_id": 1_093_551_207,
              "request_category": "other", "user_agent": co.BROWSER_UA[p.os], "visibility": "public"},
             person=p, rng=rng, tag="bait:new-public-repo-ssh-later")
        self.b.git_op(p, 3, clock.at(3, 13, 20), "git.push", repo, rng=rng, tag="bait:new-public-repo-ssh-later")

    def web_created_repo_push(self, rng):
        """fmartin creates a private repository in the browser and pushes to it six minutes later
        with his gh OAuth token: the creation carries no token, so it is not a token creating a
        repository and pushing at once."""
        w, c = self.w, self.c
        p = c.by_user["fmartin"]
        repo = "acme/payments-reconciler"
        t = clock.at(3, 14, 0, rng.uniform(0, 30))
        w.gh(t, "repo.create", p.gh_login, p.gh_id, co.PROXY_EGRESS, "DE", "acme",
             {"operation_type": "create", "public_repo": False, "repo": repo, "repo_id": 1_093_580_441,
              "request_category": "other", "user_agent": co.BROWSER_UA[p.os], "visibility": "private"},
             person=p, rng=rng, tag="bait:web-created-repo-push")
        self.b.git_op(p, 3, t + 360, "git.push", repo, rng=rng, tag="bait:web-created-repo-push",
                      pack=rng.randrange(30_000, 200_000))
