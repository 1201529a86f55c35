"""Benign traffic of one day: people at work (web, GitHub, shells), CI, bots, servers' cron jobs,
admins. The false-positive bait that the manifest names lives in bait.py; this module is the
ordinary background, shaped so that it stays clear of every rule's threshold."""
import zlib

from . import clock
from . import company as co
from .bait_people import QUIET
from .world import lognorm

SAAS = [("www.google.com", 30), ("mail.google.com", 10), ("docs.google.com", 14), ("drive.google.com", 6),
        ("calendar.google.com", 8), ("slack.com", 8), ("wss-primary.slack.com", 6), ("edgeapi.slack.com", 6),
        ("files.slack.com", 4), ("zoom.us", 6), ("acme.zoom.us", 4), ("acme.okta.com", 8),
        ("acme.atlassian.net", 12), ("www.linkedin.com", 3), ("login.microsoftonline.com", 3),
        ("outlook.office365.com", 5), ("www.notion.so", 5), ("www.figma.com", 3), ("update.googleapis.com", 3),
        ("clients4.google.com", 4), ("www.youtube.com", 3), ("www.nytimes.com", 2), ("www.bbc.co.uk", 2),
        ("www.spiegel.de", 1), ("en.wikipedia.org", 3), ("fonts.gstatic.com", 4), ("www.gstatic.com", 4),
        ("api.segment.io", 2), ("sentry.io", 2)]
SAAS_DEV = [("registry.npmjs.org", 6), ("pypi.org", 3), ("files.pythonhosted.org", 3), ("proxy.golang.org", 3),
            ("sum.golang.org", 1), ("pkg.go.dev", 2), ("stackoverflow.com", 8), ("developer.mozilla.org", 3),
            ("docs.python.org", 2), ("registry-1.docker.io", 3), ("auth.docker.io", 1),
            ("production.cloudflare.docker.com", 2), ("ghcr.io", 2), ("github.githubassets.com", 6),
            ("app.datadoghq.com", 3), ("sonarcloud.io", 1), ("plugins.jetbrains.com", 1),
            ("api.business.githubcopilot.com", 5), ("marketplace.visualstudio.com", 1)]
SAAS_BIZ = [("acme.my.salesforce.com", 10), ("acme.lightning.force.com", 8), ("app.hubspot.com", 6),
            ("wd5.myworkday.com", 3), ("app.docusign.com", 2), ("www.canva.com", 2), ("app.gong.io", 3)]
DENIED = ["www.dropbox.com", "wetransfer.com", "mega.nz", "pastebin.com"]
INTERNAL = ["wiki.acme.internal", "jira.acme.internal", "artifactory.acme.internal", "grafana.acme.internal",
            "vault.acme.internal", "ldap.acme.internal", "mail.acme.internal", "proxy.acme.internal"]
PUBLIC_TARBALLS = [("psf/requests", "v2.32.3"), ("pallets/flask", "3.1.0"), ("sindresorhus/got", "v14.4.5"),
                   ("lodash/lodash", "4.17.21"), ("spf13/cobra", "v1.8.1"), ("stretchr/testify", "v1.10.0"),
                   ("axios/axios", "v1.7.9"), ("urllib3/urllib3", "2.2.3")]
# The three private packages web developers install from GitHub (npm "github:" dependencies).
PRIVATE_NPM = ["acme/design-system-lib", "acme/eslint-config", "acme/ui-icons"]


def peer_for(domain):
    h = zlib.crc32(domain.encode())
    if h % 2:
        return "192.0.2.%d" % (160 + h % 90)
    return "203.0.113.%d" % (10 + h % 110)


def weighted(rng, table):
    total = sum(w for _, w in table)
    x = rng.uniform(0, total)
    for v, w in table:
        x -= w
        if x <= 0:
            return v
    return table[-1][0]


def dns_flags(os_):
    return {"macos": "+E(0)", "windows": "+", "fedora": "+E(0)K"}.get(os_, "+E(0)")


def dns_types(os_):
    """What the client asks for a name: macOS browsers ask for the HTTPS record too."""
    return ("A", "AAAA", "HTTPS") if os_ == "macos" else ("A", "AAAA")


class Benign:
    """Generates the ordinary traffic of day d into world w."""

    def __init__(self, w):
        self.w = w
        self.c = w.c
        self.rng = w.rng
        self.pushes = []      # (ts, person, repo) that trigger CI

    # ------------------------------------------------------------------------------------------
    def people_day(self, d):
        """People at work: the web, GitHub, their shells."""
        c = self.c
        self.pushes = []
        for p in c.people:
            if not c.present(p, d):
                continue
            if p.host is not None:
                self.browse(p, d)
            if p.developer:
                self.developer(p, d)
            elif p.github_web:
                self.github_web(p, d, self.rng.randrange(4, 12))

    def infra_day(self, d):
        """Machines: CI for the day's pushes, bots, servers, jump hosts, admins."""
        self.ci(d)
        self.bots(d)
        self.servers(d)
        self.jump_hosts(d)
        self.admins(d)

    # ------------------------------------------------------------------------------------------
    # The web, through the proxy (PAC file: the browser resolves every host it visits)

    def browse(self, p, d):
        rng, w = self.rng, self.w
        ip = self.c.client_ip(p, d)
        n = rng.randrange(90, 220) if p.developer else rng.randrange(110, 240)
        table = SAAS + (SAAS_DEV if p.developer else []) + (SAAS_BIZ if p.dept in ("sales", "marketing", "finance", "exec") else [])
        times = clock.work_times(rng, d, p.tz, n)
        w.dns(times[0] - 2.0, ip, "wpad.acme.internal", rng, ("A",), dns_flags(p.os), ttl=1e9)
        for t in times:
            if rng.random() < 0.08:
                host = rng.choice(INTERNAL)
                w.dns(t, ip, host, rng, ("A",), dns_flags(p.os), ttl=600)
                continue
            if rng.random() < 0.03:
                w.squid(t + 0.08, ip, "TCP_MISS", 200, rng.randrange(1300, 1800), "GET",
                        "http://ocsp.digicert.com/MFEwTzBNMEswSTAJBgUrDgMCGgUABBQ" + "%08x" % rng.getrandbits(32),
                        p.username, peer_for("ocsp.digicert.com"), "application/ocsp-response",
                        rng.randrange(380, 460), rng.randrange(20, 90))
                continue
            if rng.random() < 0.004:
                dom = rng.choice(DENIED)
                w.dns(t, ip, dom, rng, dns_types(p.os), dns_flags(p.os))
                w.squid(t + 0.001, ip, "TCP_DENIED", 403, 3900 + rng.randrange(0, 80), "CONNECT", dom + ":443",
                        p.username, None, "text/html", rng.randrange(180, 240), 0)
                continue
            dom = weighted(rng, table)
            w.dns(t - 0.02, ip, dom, rng, dns_types(p.os), dns_flags(p.os), ttl=900)
            if dom.startswith("wss-") or dom == "slack.com" and rng.random() < 0.3:
                el = rng.randrange(600_000, 2_400_000)
                down, up = rng.randrange(200_000, 3_000_000), rng.randrange(30_000, 300_000)
            else:
                el = lognorm(rng, 6000, 1.4, 40, 900_000)
                down = lognorm(rng, 45_000, 1.5, 800, 8_000_000)
                up = lognorm(rng, 3_000, 1.0, 400, 250_000)
            w.tunnel(t, ip, p.username, dom, down, up, el, peer_for(dom))

    # ------------------------------------------------------------------------------------------
    # A developer's GitHub day

    def developer(self, p, d):
        rng, w, c = self.rng, self.w, self.c
        on_net = p.host is not None
        linux = on_net and p.host.auditd
        n_fetch = rng.randrange(5, 26)
        n_clone = rng.choices([0, 1, 2, 3], [50, 30, 15, 5])[0]
        if (p.username, d) in QUIET:
            n_clone = 0
        n_push = rng.randrange(0, 6)
        ops = [("git.fetch", t) for t in clock.work_times(rng, d, p.tz, n_fetch)]
        ops += [("git.clone", t) for t in clock.work_times(rng, d, p.tz, n_clone)]
        ops += [("git.push", t) for t in clock.work_times(rng, d, p.tz, n_push)]
        ops.sort(key=lambda o: o[1])
        for action, t in ops:
            if action == "git.clone" and rng.random() < 0.25:
                repo = rng.choice(c.upstream)
            elif rng.random() < 0.05:
                repo = rng.choice(c.oss)
            else:
                repo = rng.choice(p.repos)
            if action == "git.push" and repo in c.upstream:
                repo = p.repos[0]
            self.git_op(p, d, t, action, repo, tag="bait:upstream-clones" if repo in c.upstream else None)
        if on_net:
            self.github_web(p, d, rng.randrange(6, 40))
            if p.cred is not None and p.cred.kind == "oauth":
                self.gh_cli(p, d)
            if p.team in ("web", "mobile") and rng.random() < 0.5:
                self.npm_install(p, d)
            if p.team in ("data", "ml", "qa") and rng.random() < 0.4:
                self.pip_install(p, d)
        if linux:
            self.shell(p, d)
        if on_net and rng.random() < 0.02:
            self.download_zip(p, d)
        # web activity GitHub records for the org
        for t in clock.work_times(rng, d, p.tz, rng.randrange(0, 4)):
            repo = rng.choice(p.repos)
            action = rng.choice(["pull_request.create", "pull_request_review.submit", "pull_request.merge",
                                 "pull_request_review.submit"])
            ua = co.BROWSER_UA[p.os or "macos"]
            ip = p.home_ip if p.contractor else co.PROXY_EGRESS
            num = 100 + zlib.crc32(repo.encode()) % 3000 + d * 7
            w.gh(t, action, p.gh_login, p.gh_id, ip, c.country(p), repo.split("/")[0],
                 {"operation_type": "create" if action.endswith("create") else "modify", "repo": repo,
                  "pull_request_id": 2_100_000_000 + rng.randrange(0, 90_000_000),
                  "pull_request_url": "https://github.com/%s/pull/%d" % (repo, num), "user_agent": ua,
                  "request_category": "other"}, person=p)

    def git_op(self, p, d, t, action, repo, rng=None, tag=None, cred=None, pack=None, workdir=None):
        """One git operation by person p in every log it touches."""
        rng = rng or self.rng
        w = self.w
        cred = cred if cred is not None else p.cred
        ssh = p.ssh or cred is None
        on_net = p.host is not None
        ip = self.c.client_ip(p, d)
        name = repo.split("/")[1]
        if pack is None:
            pack = lognorm(rng, 2_500_000 if action == "git.clone" else 40_000, 1.3, 2_000,
                           350_000_000 if action == "git.clone" else 20_000_000)
        if p.host is not None and p.host.auditd and cred is not None and cred.kind == "app_user":
            pass  # a Codespace: git runs in the cloud, not on the laptop
        elif p.host is not None and p.host.auditd:
            url = ("git@github.com:%s.git" % repo) if ssh else ("https://github.com/%s.git" % repo)
            home = "/home/%s/src" % p.username
            if action == "git.clone":
                argv, cwd = ["git", "clone", url], workdir or home
            elif action == "git.fetch":
                argv, cwd = rng.choice([["git", "fetch", "origin"], ["git", "pull", "--rebase"],
                                        ["git", "fetch", "--all", "--prune"], ["git", "pull"]]), "%s/%s" % (home, name)
            else:
                argv, cwd = rng.choice([["git", "push"], ["git", "push", "origin", "HEAD"],
                                        ["git", "push", "-u", "origin", "feature/%s-%d" % (p.username, rng.randrange(100, 999))]]), "%s/%s" % (home, name)
            w.git_exec(p, p.host, d, t, argv, cwd, url, rng, tag)
        ts = t + rng.uniform(0.2, 1.5)
        if ssh:
            if on_net:
                w.dns(t + 0.003, ip, "github.com", rng, ("A", "AAAA"), dns_flags(p.os), ttl=60)
        elif on_net and cred.kind != "app_user":
            service = "receive" if action == "git.push" else "upload"
            req = rng.randrange(1_500, 60_000) if service == "upload" else pack
            ts = w.proxy_git(t + 0.05, ip, p.username, repo, service, pack, req, rng, tag)
        ev = w.person_git(p, d, ts, action, repo, rng, tag, cred=cred,
                          transport="ssh" if ssh else "http")
        if action == "git.push" and repo.startswith(("acme/", "acme-oss/")) and (tag is None or tag.startswith("bait:")):
            self.pushes.append((ts, p, repo))
        return ev

    def github_web(self, p, d, n):
        """Sessions of github.com pages in the browser (bumped by the proxy): one connection per
        session, pages, avatars, the static assets (spliced) and telemetry."""
        rng, w = self.rng, self.w
        ip = self.c.client_ip(p, d)
        sessions = max(1, n // 4)
        tag = "bait:pm-github-browsing" if p.dept == "product" else None
        for k, t in enumerate(clock.work_times(rng, d, p.tz, sessions)):
            w.dns(t - 0.05, ip, "github.com", rng, dns_types(p.os), dns_flags(p.os), ttl=900, tag=tag)
            w.bump_connect(t - 0.03, ip, p.username, "github.com", rng, tag=tag)
            w.dns(t, ip, "avatars.githubusercontent.com", rng, dns_types(p.os), dns_flags(p.os), ttl=900, tag=tag)
            w.bump_connect(t, ip, p.username, "avatars.githubusercontent.com", rng, tag=tag)
            w.tunnel(t, ip, p.username, "github.githubassets.com", lognorm(rng, 400_000, 1.0, 3_000, 6_000_000),
                     rng.randrange(3_000, 12_000), rng.randrange(20_000, 600_000), peer_for("github.githubassets.com"))
            for _ in range(rng.randrange(2, 7)):
                repo = rng.choice(p.repos) if p.repos else rng.choice(self.c.repos)
                kind = rng.random()
                if p.dept == "product":
                    path = rng.choice(["/%s/issues" % repo, "/%s/issues/%d" % (repo, rng.randrange(10, 900)),
                                       "/orgs/acme/projects/%d" % rng.randrange(3, 30), "/%s/milestones" % repo])
                elif kind < 0.5:
                    path = "/%s/pull/%d" % (repo, rng.randrange(100, 3000))
                elif kind < 0.7:
                    path = "/%s/actions/runs/%d" % (repo, rng.randrange(11_000_000_000, 12_000_000_000))
                elif kind < 0.85:
                    path = "/%s" % repo
                else:
                    path = "/notifications"
                t = w.https(t + rng.uniform(5, 120), ip, p.username, "GET", "https://github.com" + path, 200,
                            lognorm(rng, 180_000, 0.5, 30_000, 900_000), rng.randrange(900, 2600), "text/html", rng,
                            tag=tag)
                if rng.random() < 0.5:
                    t = w.https(t + 0.05, ip, p.username, "GET", "https://avatars.githubusercontent.com/u/%d?s=40&v=4"
                                % rng.randrange(1_000_000, 200_000_000), 200, rng.randrange(900, 6000),
                                rng.randrange(500, 900), "image/png", rng, tag=tag)
            # page telemetry: always in a day's first session, so its domain is part of what a
            # host is seen to use every day
            if k == 0 or rng.random() < 0.6:
                w.dns(t, ip, "collector.github.com", rng, dns_types(p.os), dns_flags(p.os), ttl=900, tag=tag)
                w.https(t + 0.2, ip, p.username, "POST", "https://collector.github.com/github/collect", 200,
                        rng.randrange(300, 600), rng.randrange(1200, 4200), "text/plain", rng, tag=tag)

    def download_zip(self, p, d):
        """"Download ZIP" on a repository page: one archive, in the browser, no token."""
        rng, w, c = self.rng, self.w, self.c
        ip = c.client_ip(p, d)
        repo = rng.choice(p.repos)
        t = clock.work_times(rng, d, p.tz, 1)[0]
        w.bump_connect(t, ip, p.username, "github.com", rng, tag="bait:web-download-zip")
        t2 = w.https(t + 0.01, ip, p.username, "GET", "https://github.com/%s/archive/refs/heads/main.zip" % repo, 302,
                     rng.randrange(700, 900), rng.randrange(1_500, 2_500), "text/html", rng, tag="bait:web-download-zip")
        w.gh(t2, "repo.download_zip", p.gh_login, p.gh_id, co.PROXY_EGRESS, c.country(p), repo.split("/")[0],
             {"operation_type": "access", "repo": repo, "repo_id": c.repo_ids.get(repo, 0), "repository_public": False,
              "request_category": "other", "user_agent": co.BROWSER_UA[p.os or "macos"]}, person=p,
             tag="bait:web-download-zip")
        w.bump_connect(t2, ip, p.username, "codeload.github.com", rng, tag="bait:web-download-zip")
        w.https(t2 + 0.01, ip, p.username, "GET", "https://codeload.github.com/%s/zip/refs/heads/main" % repo, 200,
                lognorm(rng, 3_000_000, 1.0, 50_000, 90_000_000), rng.randrange(1_500, 2_500), "application/zip", rng,
                tag="bait:web-download-zip")

    def gh_cli(self, p, d):
        """GitHub CLI / IDE calls to the REST and GraphQL APIs (bumped; proxy via https_proxy)."""
        rng, w = self.rng, self.w
        ip = self.c.client_ip(p, d)
        for t in clock.work_times(rng, d, p.tz, rng.randrange(2, 14)):
            repo = rng.choice(p.repos)
            w.bump_connect(t - 0.01, ip, p.username, "api.github.com", rng)
            if rng.random() < 0.5:
                w.https(t, ip, p.username, "POST", "https://api.github.com/graphql", 200,
                        rng.randrange(2_000, 60_000), rng.randrange(600, 4_000), "application/json", rng)
            elif rng.random() < 0.1:
                up = rng.choice(self.c.upstream)
                w.https(t, ip, p.username, "PUT", "https://api.github.com/user/starred/%s" % up, 204, 0,
                        rng.randrange(200, 400), None, rng, tag="bait:api-star-upstream")
            else:
                w.https(t, ip, p.username, "GET", "https://api.github.com/repos/%s/pulls?per_page=30" % repo,
                        200, rng.randrange(4_000, 90_000), rng.randrange(300, 700), "application/json", rng)

    def npm_install(self, p, d):
        rng, w = self.rng, self.w
        ip = self.c.client_ip(p, d)
        t = clock.work_times(rng, d, p.tz, 1)[0]
        if p.host.auditd:
            w.user_exec(p, p.host, d, t, ["npm", "install"], "/usr/bin/npm",
                        "/home/%s/src/%s" % (p.username, p.repos[0].split("/")[1]), rng,
                        interpreter="/usr/bin/node")
        w.tunnel(t + 0.2, ip, p.username, "registry.npmjs.org", lognorm(rng, 9_000_000, 0.8, 200_000, 90_000_000),
                 rng.randrange(20_000, 200_000), rng.randrange(4000, 60000), peer_for("registry.npmjs.org"))
        t += 3.0
        w.bump_connect(t, ip, p.username, "codeload.github.com", rng)
        for repo in rng.sample(PRIVATE_NPM, rng.randrange(1, 4)):
            t = w.https(t + 0.05, ip, p.username, "GET", "https://codeload.github.com/%s/tar.gz/%040x"
                        % (repo, rng.getrandbits(160)), 200, rng.randrange(40_000, 900_000),
                        rng.randrange(400, 700), "application/x-gzip", rng, tag="bait:private-npm-codeload")
        if rng.random() < 0.5:
            repo, tag = rng.choice(PUBLIC_TARBALLS)
            w.https(t + 0.05, ip, p.username, "GET", "https://codeload.github.com/%s/tar.gz/refs/tags/%s"
                    % (repo, tag), 200, rng.randrange(100_000, 3_000_000), rng.randrange(400, 700),
                    "application/x-gzip", rng)

    def pip_install(self, p, d):
        rng, w = self.rng, self.w
        ip = self.c.client_ip(p, d)
        t = clock.work_times(rng, d, p.tz, 1)[0]
        if p.host.auditd:
            w.user_exec(p, p.host, d, t, ["pip", "install", "-r", "requirements.txt"],
                        "/home/%s/.venv/bin/pip" % p.username,
                        "/home/%s/src/%s" % (p.username, p.repos[0].split("/")[1]), rng,
                        interpreter="/usr/bin/python3.12")
        w.tunnel(t + 0.1, ip, p.username, "pypi.org", rng.randrange(40_000, 400_000), rng.randrange(2_000, 20_000),
                 rng.randrange(800, 9000), peer_for("pypi.org"))
        w.tunnel(t + 0.5, ip, p.username, "files.pythonhosted.org", lognorm(rng, 20_000_000, 0.9, 300_000, 300_000_000),
                 rng.randrange(4_000, 40_000), rng.randrange(3000, 90000), peer_for("files.pythonhosted.org"))
        repo, tag = rng.choice(PUBLIC_TARBALLS)
        w.bump_connect(t + 2, ip, p.username, "github.com", rng)
        t2 = w.https(t + 2.01, ip, p.username, "GET", "https://github.com/%s/archive/refs/tags/%s.tar.gz" % (repo, tag),
                     302, rng.randrange(600, 900), rng.randrange(400, 600), "text/html", rng)
        w.bump_connect(t2, ip, p.username, "codeload.github.com", rng)
        w.https(t2 + 0.01, ip, p.username, "GET", "https://codeload.github.com/%s/tar.gz/refs/tags/%s" % (repo, tag),
                200, rng.randrange(100_000, 3_000_000), rng.randrange(400, 700), "application/x-gzip", rng)

    SHELL = [
        (["ls", "-la"], "/usr/bin/ls"), (["git", "status"], "/usr/bin/git"), (["git", "diff"], "/usr/bin/git"),
        (["git", "log", "--oneline", "-20"], "/usr/bin/git"), (["make", "test"], "/usr/bin/make"),
        (["go", "test", "./..."], "/usr/local/go/bin/go"), (["go", "build", "./cmd/server"], "/usr/local/go/bin/go"),
        (["vim", "README.md"], "/usr/bin/vim.basic"), (["cat", "Makefile"], "/usr/bin/cat"),
        (["grep", "-rn", "TODO", "."], "/usr/bin/grep"), (["docker", "compose", "up", "-d"], "/usr/bin/docker"),
        (["kubectl", "get", "pods", "-n", "staging"], "/usr/local/bin/kubectl"), (["jq", ".items[0]"], "/usr/bin/jq"),
        (["python3", "-m", "pytest", "-q"], "/usr/bin/python3.12"), (["code", "."], "/usr/share/code/code"),
        (["ssh", "jump-01"], "/usr/bin/ssh"), (["terraform", "plan"], "/usr/local/bin/terraform"),
        (["git", "checkout", "main"], "/usr/bin/git"), (["less", "server.log"], "/usr/bin/less"),
        (["npm", "run", "build"], "/usr/bin/npm"), (["curl", "-s", "http://localhost:8080/healthz"], "/usr/bin/curl"),
    ]
    MESSAGES = ["fix flaky test", "bump dependencies", "add retry on 503", "refactor config loading",
                "update docs", "handle empty response", "wip", "address review comments", "add metrics"]

    def shell(self, p, d):
        """Commands typed on a Linux laptop (auditd execve rule)."""
        rng, w = self.rng, self.w
        h = p.host
        repo = p.repos[0].split("/")[1]
        cwd = "/home/%s/src/%s" % (p.username, repo)
        w.user_exec(p, h, d, clock.work_times(rng, d, p.tz, 1)[0] - 600, ["/bin/bash"], "/usr/bin/bash",
                    "/home/" + p.username, rng)
        for t in clock.work_times(rng, d, p.tz, rng.randrange(25, 90)):
            r = rng.random()
            if r < 0.06:
                msg = rng.choice(self.MESSAGES)
                w.git_exec(p, h, d, t, ["git", "commit", "-m", msg], cwd, None, rng)
            elif r < 0.09:
                # unpacking a download is not staging an archive (tar -x)
                w.user_exec(p, h, d, t, ["tar", "-xzf", "/home/%s/Downloads/%s.tar.gz"
                                         % (p.username, rng.choice(["node_exporter-1.10.2.linux-amd64", "go1.25.4.linux-amd64", "dataset-sample"]))],
                            "/usr/bin/tar", "/home/%s/Downloads" % p.username, rng, tag="bait:tar-extract")
            else:
                argv, exe = rng.choice(self.SHELL)
                if exe == "/usr/bin/npm":
                    w.user_exec(p, h, d, t, argv, exe, cwd, rng, interpreter="/usr/bin/node")
                elif exe == "/usr/bin/git":
                    w.git_exec(p, h, d, t, argv, cwd, None, rng)
                else:
                    w.user_exec(p, h, d, t, argv, exe, cwd, rng)

    # ------------------------------------------------------------------------------------------
    # CI: GitHub Actions runs for the pushes, on GitHub-hosted or self-hosted runners

    def ci(self, d):
        rng, w, c = self.rng, self.w, self.c
        runners = [h for h in c.hosts if h.kind == "ci"]
        free = {h.name: clock.day_start(d) for h in runners}   # the queue hands a job to the runner idle longest
        for ts, p, repo in sorted(self.pushes, key=lambda x: x[0]):
            for _ in range(rng.choices([1, 2], [75, 25])[0]):
                start = ts + rng.uniform(6, 60)
                if start > clock.day_start(d + 1) - 1200:
                    continue
                self_hosted = rng.random() < 0.6
                cred = co.new_credential(rng, "app_server")
                ip = co.CI_EGRESS if self_hosted else "203.0.113.%d" % rng.randrange(128, 192)
                runner = min(runners, key=lambda h: (free[h.name], h.name)) if self_hosted else None
                t = start + rng.uniform(3, 20)
                if runner is not None:
                    t = max(t, free[runner.name] + 2)
                    t = self.runner_job(runner, t, repo, d)
                    free[runner.name] = t
                w.git_event(start + rng.uniform(3, 20), "git.clone", "github-actions[bot]",
                            c.bots["github-actions[bot]"], ip, "US", repo, "http", cred, "git/2.51.2")
                w.gh(t, "workflows.completed_workflow_run", p.gh_login, p.gh_id, ip, c.country(p),
                     repo.split("/")[0], {"conclusion": rng.choices(["success", "failure"], [88, 12])[0],
                                          "event": "push", "head_branch": "main", "repo": repo,
                                          "run_attempt": 1, "workflow_id": 80_000_000 + zlib.crc32(repo.encode()) % 9_000_000,
                                          "workflow_run_id": 11_500_000_000 + rng.randrange(0, 400_000_000),
                                          "started_at": clock.iso(start), "completed_at": clock.iso(t)},
                     person=p)
        for h in runners:
            # the runner's listener long-polls the Actions broker
            for t in clock.window(clock.day_start(d), clock.day_start(d + 1) - 900, rng, rng.randrange(90, 120)):
                w.tunnel(t, h.ip, None, "broker.actions.githubusercontent.com", rng.randrange(8_000, 40_000),
                         rng.randrange(3_000, 9_000), rng.randrange(300_000, 700_000), "140.82.112.40")
        self.nightly_dependency_audit(d, runners[0])

    def runner_job(self, h, t, repo, d, rng=None, tag=None):
        """A workflow job on a self-hosted runner: checkout, build, cache save, logs upload.
        Returns the end time."""
        rng = rng or self.rng
        w = self.w
        name = repo.split("/")[1]
        work = "/home/runner/_work/%s/%s" % (name, name)
        run = lambda ts, argv, exe, cwd=work, interp=None: w.execve(  # noqa: E731
            h, ts, argv, exe, cwd, "runner", 1001, interpreter=interp, rng=rng, tag=tag)
        worker = run(t, ["/home/runner/actions-runner/bin/Runner.Worker", "spawnclient", "108", "111"],
                     "/home/runner/actions-runner/bin/Runner.Worker", "/home/runner/actions-runner")
        sha = "%040x" % rng.getrandbits(160)
        t += 1.5
        run(t, ["/usr/bin/git", "init", work], "/usr/bin/git")
        run(t + 0.3, ["/usr/bin/git", "-c", "protocol.version=2", "fetch", "--no-tags", "--prune",
                      "--no-recurse-submodules", "--depth=1", "origin", "+%s:refs/remotes/origin/main" % sha],
            "/usr/bin/git")
        run(t + 0.32, ["/usr/lib/git-core/git-remote-https", "origin", "https://github.com/%s" % repo],
            "/usr/lib/git-core/git-remote-https")
        w.proxy_git(t + 0.4, h.ip, None, repo, "upload", lognorm(rng, 3_000_000, 1.2, 20_000, 200_000_000),
                    rng.randrange(2_000, 9_000), rng, tag, tunnel=True)
        run(t + 4, ["/usr/bin/git", "checkout", "--progress", "--force", "-B", "main", "refs/remotes/origin/main"],
            "/usr/bin/git")
        t += 6
        script = "/home/runner/_work/_temp/%08x-%04x-%04x-%04x-%012x.sh" % (
            rng.getrandbits(32), rng.getrandbits(16), rng.getrandbits(16), rng.getrandbits(16), rng.getrandbits(48))
        run(t, ["/usr/bin/bash", "-e", script], "/usr/bin/bash")
        step = rng.choice([(["make", "test"], "/usr/bin/make"), (["go", "test", "./..."], "/usr/local/go/bin/go"),
                           (["npm", "ci"], "/usr/bin/npm"), (["python3", "-m", "pytest", "-q"], "/usr/bin/python3.12")])
        run(t + 0.5, step[0], step[1])
        t += rng.uniform(60, 600)
        if rng.random() < 0.35:
            # actions/cache save: tar of the dependency cache, uploaded to the Actions cache service
            w.execve(h, t, ["/usr/bin/tar", "--posix", "-cf", "cache.tzst", "--exclude", "cache.tzst", "-P", "-C", work,
                            "--files-from", "manifest.txt", "--use-compress-program", "zstdmt"], "/usr/bin/tar", work,
                     "runner", 1001, rng=rng, tag=tag or "bait:actions-cache")
            cache = 4_000_000 + zlib.crc32(repo.encode()) % 48_000_000   # each repository's cache has its size
            w.tunnel(t + 2, h.ip, None, "results-receiver.actions.githubusercontent.com", rng.randrange(3_000, 9_000),
                     cache + rng.randrange(0, 2_000_000), rng.randrange(2_000, 40_000),
                     "140.82.112.33", tag=tag or "bait:actions-cache")
            t += 20
        w.tunnel(t + 1, h.ip, None, "results-receiver.actions.githubusercontent.com", rng.randrange(2_000, 6_000),
                 lognorm(rng, 300_000, 1.0, 20_000, 30_000_000), rng.randrange(500, 6_000), "140.82.112.33", tag=tag)
        return t + 5

    def nightly_dependency_audit(self, d, h):
        """acme-ci[bot] (a GitHub App, installation token renewed hourly) clones every acme
        repository at night on ci-runner-01 for the dependency audit: ~75 repositories per
        10 minutes, every night."""
        rng, w, c = self.rng, self.w, self.c
        repos = list(c.repos)
        t = clock.at(d, 1, 0, rng.uniform(0, 30))
        cred = co.new_credential(rng, "app_server")
        hour = 1
        for repo in repos:
            if int((t - clock.day_start(d)) // 3600) != hour:
                hour = int((t - clock.day_start(d)) // 3600)
                cred = co.new_credential(rng, "app_server")
            w.execve(h, t, ["/usr/bin/git", "clone", "--depth=1", "--quiet", "https://github.com/%s.git" % repo,
                            "/srv/audit/%s" % repo.split("/")[1]], "/usr/bin/git", "/srv/audit", "runner", 1001, rng=rng,
                     tag="bait:ci-dependency-audit")
            w.proxy_git(t + 0.05, h.ip, None, repo, "upload", lognorm(rng, 2_000_000, 1.2, 20_000, 90_000_000),
                        rng.randrange(1_000, 4_000), rng, tag="bait:ci-dependency-audit", tunnel=True)
            w.git_event(t + rng.uniform(0.3, 1.0), "git.clone", "acme-ci[bot]", c.bots["acme-ci[bot]"], co.CI_EGRESS,
                        "US", repo, "http", cred, "git/2.43.0", tag="bait:ci-dependency-audit")
            t += rng.uniform(6.5, 9.5)

    # ------------------------------------------------------------------------------------------
    def bots(self, d):
        rng, w, c = self.rng, self.w, self.c
        # Dependabot: update checks through the day, a few branch pushes and pull requests
        for t in clock.window(clock.day_start(d) + 3600, clock.day_start(d + 1) - 3600, rng, rng.randrange(90, 140)):
            repo = rng.choice(c.repos)
            cred = co.new_credential(rng, "app_server")
            w.git_event(t, rng.choice(["git.clone", "git.fetch"]), "dependabot[bot]", c.bots["dependabot[bot]"],
                        "203.0.113.%d" % rng.randrange(200, 211), "US", repo, "http", cred, "git/2.34.1",
                        tag="bait:dependabot")
            if rng.random() < 0.15:
                w.git_event(t + 40, "git.push", "dependabot[bot]", c.bots["dependabot[bot]"],
                            "203.0.113.%d" % rng.randrange(200, 211), "US", repo, "http", cred, "git/2.34.1",
                            tag="bait:dependabot")
                w.gh(t + 45, "pull_request.create", "dependabot[bot]", c.bots["dependabot[bot]"],
                     "203.0.113.%d" % rng.randrange(200, 211), "US", "acme",
                     {"operation_type": "create", "repo": repo,
                      "pull_request_id": 2_100_000_000 + rng.randrange(0, 90_000_000)}, tag="bait:dependabot")
        # Argo CD on deploy-01 polls k8s-manifests every 3 minutes, fetches when main moved
        h = c.by_host["deploy-01"]
        t = clock.day_start(d) + rng.uniform(0, 20)
        cred = co.new_credential(rng, "app_server")
        first = True
        while t < clock.day_start(d + 1) - 5:
            base = "https://github.com/acme/k8s-manifests.git"
            w.bump_connect(t, h.ip, None, "github.com", rng)
            w.https(t + 0.01, h.ip, None, "GET", base + "/info/refs?service=git-upload-pack", 200,
                    rng.randrange(2_000, 4_000), rng.randrange(280, 340), "application/x-git-upload-pack-advertisement", rng)
            # a fetch when main moved, and at the first poll of the day (the repo cache expires daily)
            if first or rng.random() < 0.05:
                first = False
                w.execve(h, t, ["git", "fetch", "origin", "--tags", "--force", "--prune"], "/usr/bin/git",
                         "/tmp/_argocd-repo/b3b4c1e2", "argocd", 999, rng=rng)
                w.https(t + 0.3, h.ip, None, "POST", base + "/git-upload-pack", 200, rng.randrange(5_000, 90_000),
                        rng.randrange(1_000, 3_000), "application/x-git-upload-pack-result", rng)
                w.git_event(t + 0.5, "git.fetch", "acme-argocd[bot]", c.bots["acme-argocd[bot]"], co.PROXY_EGRESS, "US",
                            "acme/k8s-manifests", "http", cred, "git/2.45.2")
            t += 180 + rng.uniform(-2, 2)
        # Jenkins agents on the build servers: builds from the main branches
        for h in [x for x in c.hosts if x.kind == "build"]:
            for t in clock.window(clock.at(d, 6), clock.at(d, 23), rng, rng.randrange(14, 30)):
                repo = rng.choice(c.repos)
                name = repo.split("/")[1]
                ws = "/var/lib/jenkins/workspace/%s" % name
                run = lambda ts, argv, exe, cwd=ws: w.execve(h, ts, argv, exe, cwd, "jenkins", 110, rng=rng)  # noqa: E731
                run(t, ["git", "fetch", "--tags", "--force", "--progress", "--", "https://github.com/%s.git" % repo,
                        "+refs/heads/*:refs/remotes/origin/*"], "/usr/bin/git")
                run(t + 0.02, ["/usr/lib/git-core/git-remote-https", "https://github.com/%s.git" % repo,
                               "https://github.com/%s.git" % repo], "/usr/lib/git-core/git-remote-https")
                te = w.proxy_git(t + 0.05, h.ip, None, repo, "upload", lognorm(rng, 200_000, 1.2, 5_000, 30_000_000),
                                 rng.randrange(2_000, 20_000), rng)
                w.git_event(te, "git.fetch", "acme-ci[bot]", c.bots["acme-ci[bot]"], co.PROXY_EGRESS, "US", repo,
                            "http", co.new_credential(rng, "app_server"), "git/2.39.5")
                run(t + 3, ["make", "release"], "/usr/bin/make")
                t2 = t + rng.uniform(120, 900)
                art = "/srv/artifacts/%s-%s.tar.gz" % (name, "%07x" % rng.getrandbits(28))
                w.execve(h, t2, ["tar", "-czf", art, "-C", "out", "."], "/usr/bin/tar", ws, "jenkins", 110, rng=rng,
                         tag="bait:build-artifacts")
                w.execve(h, t2 + rng.uniform(5, 40), ["curl", "-sf", "--netrc", "-T", art,
                                                      "https://artifactory.acme.internal/artifactory/builds/%s/" % name],
                         "/usr/bin/curl", ws, "jenkins", 110, rng=rng, tag="bait:build-artifacts")

    # ------------------------------------------------------------------------------------------
    def servers(self, d):
        rng, w, c = self.rng, self.w, self.c
        for h in c.hosts:
            if h.kind not in ("server", "build", "deploy", "jump", "ci"):
                continue
            # internal name lookups
            names = ["ldap.acme.internal", "vault.acme.internal", "ntp.acme.internal", "proxy.acme.internal",
                     "_ldap._tcp.acme.internal"]
            for t in clock.window(clock.day_start(d), clock.day_start(d + 1) - 1, rng, rng.randrange(30, 70)):
                name = rng.choice(names)
                w.dns(t, h.ip, name, rng, ("SRV",) if name.startswith("_") else ("A",), "+E(0)K", ttl=300)
            if h.kind == "server" and rng.random() < 0.9:
                t = clock.at(d, 6, 25) + rng.uniform(0, 1800)
                w.execve(h, t, ["/usr/lib/apt/methods/http"], "/usr/lib/apt/methods/http", "/", "_apt", 42, rng=rng)
                for suite in ("bookworm-updates", "bookworm-security"):
                    host = "deb.debian.org" if suite == "bookworm-updates" else "security.debian.org"
                    path = "debian" if suite == "bookworm-updates" else "debian-security"
                    w.squid(t + 0.3, h.ip, "TCP_REFRESH_UNMODIFIED", 304, 310, "GET",
                            "http://%s/%s/dists/%s/InRelease" % (host, path, suite),
                            None, peer_for(host), None, rng.randrange(260, 320), rng.randrange(30, 200))
            for t in clock.window(clock.day_start(d), clock.day_start(d + 1) - 1, rng, rng.randrange(8, 20)):
                argv, exe = rng.choice([(["/usr/sbin/logrotate", "/etc/logrotate.conf"], "/usr/sbin/logrotate"),
                                        (["/usr/bin/systemctl", "is-active", "--quiet", "node_exporter"], "/usr/bin/systemctl"),
                                        (["run-parts", "--report", "/etc/cron.hourly"], "/usr/bin/run-parts"),
                                        (["/usr/bin/df", "-P"], "/usr/bin/df"),
                                        (["/usr/sbin/needrestart", "-b"], "/usr/sbin/needrestart")])
                w.execve(h, t, argv, exe, "/", "root", 0, rng=rng)
        self.backups(d)
        self.fin_report(d)
        self.monitoring_updates(d)

    def backups(self, d):
        """Nightly backups: tar of file shares and pg_dump, shipped to S3 (not a code
        repository)."""
        rng, w, c = self.rng, self.w, self.c
        h = c.by_host["backup-01"]
        stamp = "202511%02d" % (17 + d)
        t = clock.at(d, 1, 30, rng.uniform(0, 60))
        run = lambda ts, argv, exe, cwd="/backup": w.execve(h, ts, argv, exe, cwd, "svc-backup", 996, rng=rng,  # noqa: E731
                                                            tag="bait:backups")
        run(t, ["/bin/sh", "-c", "/usr/local/sbin/nightly-backup.sh"], "/usr/bin/dash")
        for share in ("engineering", "finance", "hr"):
            run(t + 1, ["tar", "-czf", "/backup/staging/files-01-%s-%s.tar.gz" % (share, stamp),
                        "/mnt/files-01/%s" % share], "/usr/bin/tar")
            t += rng.uniform(300, 900)
        run(t, ["restic", "-r", "s3:https://s3.eu-central-1.amazonaws.com/acme-backups", "backup", "/backup/staging"],
            "/usr/local/bin/restic")
        w.tunnel(t + 0.5, h.ip, None, "s3.eu-central-1.amazonaws.com", rng.randrange(200_000, 900_000),
                 lognorm(rng, 600_000_000, 0.3, 200_000_000, 2_000_000_000), rng.randrange(300_000, 900_000),
                 peer_for("s3.eu-central-1.amazonaws.com"), tag="bait:backups")
        for db in ("db-01", "db-02", "db-03"):
            hd = c.by_host[db]
            t = clock.at(d, 2, 0, rng.uniform(0, 300))
            w.execve(hd, t, ["pg_dump", "-Fc", "-f", "/var/backups/pg/%s-%s.dump" % (db, stamp), "app"],
                     "/usr/lib/postgresql/16/bin/pg_dump", "/var/lib/postgresql", "postgres", 106, rng=rng, tag="bait:backups")
            w.execve(hd, t + 600, ["tar", "-czf", "/var/backups/pg/%s-%s.tar.gz" % (db, stamp),
                                   "/var/backups/pg/%s-%s.dump" % (db, stamp)], "/usr/bin/tar", "/var/backups/pg",
                     "postgres", 106, rng=rng, tag="bait:backups")
            w.execve(hd, t + 700, ["aws", "s3", "cp", "/var/backups/pg/%s-%s.tar.gz" % (db, stamp),
                                   "s3://acme-db-backups/%s/" % db], "/usr/local/bin/aws", "/var/backups/pg",
                     "postgres", 106, rng=rng, interpreter="/usr/bin/python3.11", tag="bait:backups")
            w.tunnel(t + 701, hd.ip, None, "acme-db-backups.s3.eu-central-1.amazonaws.com", rng.randrange(5_000, 20_000),
                     lognorm(rng, 300_000_000, 0.3, 50_000_000, 900_000_000), rng.randrange(60_000, 300_000),
                     peer_for("s3.eu-central-1.amazonaws.com"), tag="bait:backups")

    def fin_report(self, d):
        """fin-report-01's nightly export (python3 from cron, as svc-reports), internal only."""
        rng, w, c = self.rng, self.w, self.c
        h = c.by_host["fin-report-01"]
        t = clock.at(d, 5, 0, rng.uniform(0, 20))
        w.execve(h, t, ["/bin/sh", "-c", "/usr/bin/python3 /opt/finreport/bin/nightly_export.py --date yesterday"],
                 "/usr/bin/dash", "/home/svc-reports", "svc-reports", 998, rng=rng)
        w.execve(h, t + 0.01, ["/usr/bin/python3", "/opt/finreport/bin/nightly_export.py", "--date", "yesterday"],
                 "/usr/bin/python3.11", "/home/svc-reports", "svc-reports", 998, rng=rng)
        w.execve(h, t + rng.uniform(400, 900), ["rsync", "-a", "/srv/reports/exports/", "files-01:/srv/finance/exports/"],
                 "/usr/bin/rsync", "/home/svc-reports", "svc-reports", 998, rng=rng)

    def monitoring_updates(self, d):
        """mon-01 (repo_egress: false) fetches exporter releases from GitHub every morning:
        github.com and objects.githubusercontent.com are in its learned set."""
        rng, w, c = self.rng, self.w, self.c
        h = c.by_host["mon-01"]
        t = clock.at(d, 4, 10, rng.uniform(0, 60))
        url = "https://github.com/prometheus/node_exporter/releases/download/v1.10.2/node_exporter-1.10.2.linux-amd64.tar.gz"
        w.execve(h, t, ["curl", "-sSLO", url], "/usr/bin/curl", "/opt/exporters", "root", 0, rng=rng, tag="bait:mon-01-releases")
        w.bump_connect(t + 0.05, h.ip, None, "github.com", rng, tag="bait:mon-01-releases")
        t2 = w.https(t + 0.06, h.ip, None, "GET", url, 302, rng.randrange(700, 900), rng.randrange(250, 320), "text/html",
                     rng, tag="bait:mon-01-releases")
        w.bump_connect(t2, h.ip, None, "objects.githubusercontent.com", rng, tag="bait:mon-01-releases")
        w.https(t2 + 0.01, h.ip, None, "GET", "https://objects.githubusercontent.com/github-production-release-asset-2e65be/9524057/"
                "%08x-%04x?X-Amz-Algorithm=AWS4-HMAC-SHA256" % (rng.getrandbits(32), rng.getrandbits(16)), 200,
                11_569_045, rng.randrange(600, 900), "application/octet-stream", rng, tag="bait:mon-01-releases")
        w.execve(h, t + 5, ["tar", "-xzf", "node_exporter-1.10.2.linux-amd64.tar.gz"], "/usr/bin/tar",
                 "/opt/exporters", "root", 0, rng=rng, tag="bait:mon-01-releases")

    def jump_hosts(self, d):
        """SREs on the admin jump hosts: ssh, kubectl, psql. No repository traffic."""
        rng, w, c = self.rng, self.w, self.c
        sres = [p for p in c.people if p.team == "sre" and c.present(p, d)]
        for h in [x for x in c.hosts if x.kind == "jump"]:
            for p in rng.sample(sres, 5):
                t = clock.work_times(rng, d, p.tz, 1)[0]
                ses = w.user_session(h, t, p, c.client_ip(p, d), rng)
                sh = w.execve(h, t + 0.5, ["-bash"], "/usr/bin/bash", "/home/" + p.username, p.username,
                              w.ldap_uid(p), p.username, w.ldap_uid(p), "pts1", ses, rng=rng)
                for k in range(rng.randrange(3, 12)):
                    argv, exe = rng.choice([(["ssh", rng.choice(["db-01", "app-02", "kafka-01"])], "/usr/bin/ssh"),
                                            (["kubectl", "-n", "payments", "get", "pods"], "/usr/local/bin/kubectl"),
                                            (["psql", "-h", "db-02", "-U", "readonly", "app"], "/usr/bin/psql"),
                                            (["sudo", "journalctl", "-u", "nginx", "--since", "-1h"], "/usr/bin/sudo")])
                    w.execve(h, t + 5 + k * rng.uniform(20, 300), argv, exe, "/home/" + p.username, p.username,
                             w.ldap_uid(p), p.username, w.ldap_uid(p), "pts1", ses, ppid=sh, rng=rng)

    def admins(self, d):
        """Org owners' ordinary settings changes."""
        rng, w, c = self.rng, self.w, self.c
        admins = [p for p in c.people if p.admin]
        org_changes = {0: ("org.update_member_repository_creation_permission",
                           {"members_can_create_public_repositories": False,
                            "members_can_create_private_repositories": True}),
                       1: ("private_repository_forking.disable", {})}
        if d in org_changes:
            p = c.by_user["cmorgan"]
            action, extra = org_changes[d]
            f = {"operation_type": "modify", "user_agent": co.BROWSER_UA[p.os], "request_category": "other"}
            f.update(extra)
            w.gh(clock.at(d, 15, 31, rng.uniform(0, 50)), action, p.gh_login, p.gh_id, co.PROXY_EGRESS, "US", "acme", f,
                 person=p, tag="bait:admin-settings")
        actions = [("protected_branch.update", {"name": "main"}), ("repo.change_merge_setting", {}),
                   ("team.add_repository", {"team": "acme/platform"}), ("repo.add_member", {"permission": "write"}),
                   ("repo.update_default_branch", {"default_branch": "main"})]
        for t in clock.work_times(rng, d, -5.0, rng.randrange(4, 9)):
            p = rng.choice(admins)
            action, extra = rng.choice(actions)
            repo = rng.choice(c.repos)
            f = {"operation_type": "modify", "repo": repo, "repo_id": c.repo_ids[repo],
                 "user_agent": co.BROWSER_UA[p.os], "request_category": "other"}
            f.update(extra)
            if action == "repo.add_member":
                q = rng.choice(c.developers())
                f["user"] = q.gh_login
                f["user_id"] = q.gh_id
            w.gh(t, action, p.gh_login, p.gh_id, co.PROXY_EGRESS, "US", "acme", f, person=p, tag="bait:admin-settings")
