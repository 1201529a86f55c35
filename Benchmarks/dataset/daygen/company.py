"""Acme Corp: 300 people, their laptops and GitHub credentials, the servers, the repositories.

Everything here is derived from the seed through its own random stream, so the company is the
same whatever the logs do. The people who play a part in a planted attack or a benign-bait
pattern are named explicitly (CAST) so that the manifest and the README read as a story.
"""
import random

from . import formats

BUSINESS = "acme-corp"
BUSINESS_ID = 4821
ORGS = {"acme": 58213447, "acme-oss": 71230551}
DOMAIN = "acme.example"

# Public addresses (documentation ranges, RFC 5737) and GitHub's published ones.
OFFICE_NAT = {"bos": "198.51.100.10", "ber": "198.51.100.14"}
PROXY_EGRESS = "198.51.100.12"      # squid's tcp_outgoing_address for everyone...
CI_EGRESS = "198.51.100.13"         # ...but the self-hosted CI runners
VPN_EGRESS = "198.51.100.20"        # full-tunnel VPN: SSH from home leaves here
RESOLVER = "10.0.0.53"
PROXY_IP = "10.0.0.80"

GITHUB_IPS = {
    "github.com": ["140.82.112.3", "140.82.112.4", "140.82.113.3", "140.82.113.4", "140.82.114.4"],
    "api.github.com": ["140.82.112.5", "140.82.112.6", "140.82.113.5", "140.82.113.6"],
    "codeload.github.com": ["140.82.112.9", "140.82.112.10", "140.82.113.9", "140.82.113.10"],
    "uploads.github.com": ["140.82.112.14", "140.82.113.14"],
    "collector.github.com": ["140.82.112.21", "140.82.113.21"],
    "avatars.githubusercontent.com": ["185.199.108.133", "185.199.109.133", "185.199.110.133"],
    "objects.githubusercontent.com": ["185.199.108.133", "185.199.109.133", "185.199.111.133"],
    "raw.githubusercontent.com": ["185.199.108.133", "185.199.110.133", "185.199.111.133"],
    "results-receiver.actions.githubusercontent.com": ["140.82.112.33", "140.82.113.33"],
    "pipelines.actions.githubusercontent.com": ["13.107.42.16"],
}

PROG = {
    "pat_classic": "Personal access token (classic)",
    "pat_fine": "Fine-grained personal access token",
    "oauth": "OAuth access token",
    "app_server": "GitHub App server-to-server token",
    "app_user": "GitHub App user-to-server token",
}

GIT_UA = {
    "macos": "git/2.39.5 (Apple Git-154)",
    "ubuntu": "git/2.43.0",
    "debian": "git/2.39.5",
    "fedora": "git/2.51.1",
    "windows": "git/2.51.2.windows.1",
}
BROWSER_UA = {
    "macos": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36",
    "ubuntu": "Mozilla/5.0 (X11; Linux x86_64; rv:145.0) Gecko/20100101 Firefox/145.0",
    "debian": "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0",
    "fedora": "Mozilla/5.0 (X11; Linux x86_64; rv:145.0) Gecko/20100101 Firefox/145.0",
    "windows": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36 Edg/142.0.0.0",
}
LINUX = ("ubuntu", "debian", "fedora")
TZ = {"bos": -5.0, "ber": 1.0, "in": 5.5, "br": -3.0, "pl": 1.0}

FIRST = """James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara
Richard Susan Joseph Jessica Thomas Sarah Charles Karen Daniel Lisa Matthew Nancy Anthony Betty
Mark Sandra Donald Ashley Steven Emily Andrew Donna Joshua Michelle Kevin Carol Brian Amanda
George Melissa Timothy Deborah Ronald Stephanie Jason Rebecca Edward Laura Jeffrey Helen Ryan
Sharon Jacob Cynthia Gary Kathleen Nicholas Amy Eric Angela Jonathan Shirley Stephen Anna Larry
Brenda Justin Pamela Scott Emma Brandon Nicole Benjamin Samantha Samuel Katherine Gregory
Christine Alexander Debra Patrick Rachel Frank Carolyn Raymond Janet Jack Maria Dennis Olivia
Jerry Heather Tyler Diane Aaron Julie Jose Joyce Adam Victoria Nathan Kelly Henry Christina
Zachary Lauren Douglas Joan Peter Evelyn Kyle Judith Noah Megan Ethan Andrea Jeremy Cheryl
Walter Hannah Christian Jacqueline Keith Martha Roger Gloria Terry Teresa Austin Ann Sean Sara
Gerald Madison Carl Frances Harold Kathryn Dylan Janice Arthur Jean Lawrence Abigail Jordan
Alice Jesse Judy Bryan Sophia Billy Grace Bruce Denise Gabriel Amber Joe Doris Logan Marilyn
Alan Danielle Juan Beverly Wayne Isabella Elijah Theresa Randy Diana Roy Natalie Vincent Brittany
Ralph Charlotte Eugene Marie Russell Kayla Bobby Alexis Mason Lori Philip Ahmed Fatima Wei Mei
Hiroshi Yuki Ravi Ananya Lars Ingrid Matteo Giulia Lucas Camille Jonas Lena Mateus Beatriz Tomasz
Agnieszka Omar Layla Chidi Amara Dmitri Olga Kenji Sakura Arjun Priya Min Jiwoo Pablo Lucia""".split()
LAST = """Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez
Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris
Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill Flores
Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Gomez Phillips Evans Turner
Diaz Parker Cruz Edwards Collins Reyes Stewart Morris Morales Murphy Cook Rogers Gutierrez Ortiz
Morgan Cooper Peterson Bailey Reed Kelly Howard Ramos Kim Cox Ward Richardson Watson Brooks Chavez
Wood James Bennett Gray Mendoza Ruiz Hughes Price Alvarez Castillo Sanders Patel Myers Long Ross
Foster Jimenez Powell Jenkins Perry Russell Sullivan Bell Coleman Butler Henderson Barnes Fisher
Vasquez Simmons Romero Jordan Patterson Alexander Hamilton Graham Reynolds Griffin Wallace Moreno
West Cole Hayes Bryant Herrera Gibson Ellis Tran Medina Aguilar Stevens Murray Ford Castro Marshall
Owens Harrison Fernandez McDonald Woods Washington Kennedy Wells Vargas Henry Chen Freeman Webb
Tucker Guzman Burns Crawford Olson Simpson Porter Hunter Gordon Mendez Silva Shaw Snyder Mason
Dixon Munoz Hunt Hicks Holmes Palmer Wagner Black Robertson Boyd Rose Stone Salazar Fox Warren
Mills Meyer Rice Schmidt Garza Daniels Ferguson Nichols Stephens Soto Weaver Ryan Gardner Payne
Grant Dunn Kelley Spencer Hawkins Arnold Pierce Hansen Peters Santos Hart Bradley Knight Elliott
Cunningham Duncan Armstrong Hudson Carroll Lane Riley Andrews Alvarado Ray Delgado Berry Perkins
Hoffmann Becker Schulz Kowalczyk Nowak Tanaka Suzuki Yamamoto Sharma Iyer Nakamura Okafor Mensah
Ivanova Petrov Rossi Bianchi Dubois Lefevre Jansen Larsen Nielsen Lindqvist Popescu Horvat""".split()

# -------------------------------------------------------------------------------------------------
# The cast: people whose days the manifest describes. Fields: username, first, last, team,
# office, os, git credential, GitHub login, extra flags.
CAST = [
    # planted stories
    ("jliu", "Jun", "Liu", "payments", "bos", "macos", "pat_classic", "junliu-pay", {}),
    ("rgordon", "Ryan", "Gordon", "platform", "bos", "ubuntu", "pat_classic", "ryang-dev", {}),
    ("tvoss", "Tobias", "Voss", "web", "ber", "ubuntu", "pat_classic", "tvoss", {}),
    ("oreyes", "Olivia", "Reyes", "ml", "bos", "macos", "oauth", "oliviareyes", {}),
    ("nkowalski", "Nina", "Kowalski", "data", "ber", "ubuntu", "oauth", "ninak", {}),
    # benign bait
    ("dwhitfield", "Dana", "Whitfield", "platform", "bos", "debian", "oauth", "danaw", {}),
    ("mokafor", "Michael", "Okafor", "payments", "bos", "ubuntu", "ssh", "mokafor-acme", {"start_day": 2}),
    ("sbergstrom", "Sofia", "Bergstrom", "data", "ber", "fedora", "ssh", "sofiab", {"start_day": 3}),
    ("pmehta", "Priya", "Mehta", "web", "in", None, "pat_fine", "priya-mehta", {"contractor": True}),
    ("lfischer", "Lukas", "Fischer", "mobile", "pl", None, "pat_classic", "lfischer-dev", {"contractor": True}),
    ("ahansen", "Anna", "Hansen", "release", "ber", "ubuntu", "oauth", "annahansen", {"release_eng": True}),
    ("kwong", "Kevin", "Wong", "release", "bos", "macos", "oauth", "kwong-acme", {"release_eng": True}),
    ("bdiaz", "Beatriz", "Diaz", "release", "bos", "debian", "oauth", "bdiaz", {"release_eng": True}),
    ("epark", "Eunji", "Park", "web", "bos", "macos", "pat_classic", "eunjipark", {}),
    ("gnovak", "Gregor", "Novak", "platform", "ber", "ubuntu", "pat_classic", "gnovak", {}),
    ("akumar", "Arjun", "Kumar", "data", "bos", "macos", "oauth", "arjunk", {}),
    ("cmorgan", "Chris", "Morgan", "platform", "bos", "macos", "oauth", "cmorgan-acme", {"admin": True}),
    ("slee", "Soo", "Lee", "security", "bos", "ubuntu", "oauth", "soolee", {"admin": True}),
    ("hsato", "Hiro", "Sato", "platform", "ber", "macos", "ssh", "hsato", {}),
    ("fmartin", "Francois", "Martin", "payments", "ber", "macos", "oauth", "fmartin", {}),
]

TEAMS = [  # (team, developers incl. cast, office weights)
    ("platform", 30), ("payments", 34), ("web", 38), ("mobile", 24), ("data", 30), ("ml", 20),
    ("security", 10), ("sre", 16), ("qa", 14), ("release", 4), ("core", 18),
]
NON_DEV = [("product", 8), ("design", 6), ("sales", 10), ("marketing", 6), ("finance", 6),
           ("hr", 4), ("legal", 3), ("it", 5), ("exec", 2)]
CONTRACTORS = 12  # remote, GitHub only (no corporate laptop, not on the network)

REPO_PREFIX = {
    "platform": ["platform", "infra", "terraform", "k8s", "gateway", "edge", "config", "secrets",
                 "scheduler", "storage", "dev-env", "build", "ci"],
    "payments": ["payments", "ledger", "billing", "invoices", "payouts", "cards", "wallet", "fx",
                 "tax", "disputes", "fraud", "risk", "kyc"],
    "web": ["web", "checkout", "admin", "design-system", "accounts", "profiles", "settings",
            "storefront", "search"],
    "mobile": ["mobile", "ios", "android", "push", "maps", "media"],
    "data": ["data", "etl", "warehouse", "events", "streaming", "analytics", "reporting"],
    "ml": ["ml", "recommendations", "pricing", "forecasting", "ranking", "embeddings"],
    "security": ["security", "audit", "compliance", "iam", "scanner"],
    "sre": ["observability", "logging", "metrics", "alerting", "runbooks", "status"],
    "qa": ["e2e", "load-tests", "fixtures", "contract-tests"],
    "release": ["release", "changelog", "versioning"],
    "core": ["orders", "inventory", "catalog", "shipping", "notifications", "email", "sms",
             "subscriptions", "partners", "integrations", "webhooks", "graphql"],
}
REPO_SUFFIX = ["-api", "-service", "-worker", "-web", "-ui", "-client", "-lib", "-core", "-jobs",
               "-proxy", "-sdk", "-cli", "-schemas", "-infra", "-tests", "-docs", "-exporter",
               "-operator", "-migrations", "-config", "-e2e", "-mocks", "-sync", ""]
FIXED_REPOS = ["payments-api", "ledger-core", "k8s-manifests", "ml-feature-store", "web-checkout",
               "terraform-modules", "docs", "engineering-handbook", "ci-templates", "dotfiles-baseline"]
OSS_REPOS = ["acme-sdk-python", "acme-sdk-go", "acme-sdk-js", "terraform-provider-acme",
             "helm-charts", "design-tokens", "openapi-specs", "kube-lint-rules", "go-retry",
             "pyratelimit", "awesome-payments", "website", "blog", "examples", "status-page",
             "eslint-config-acme", "actions-toolkit", "cli", "homebrew-tap", "docs", "benchmarks",
             "fixtures", "vscode-acme", "old-website"]
UPSTREAM = ["kubernetes/kubernetes", "golang/go", "pallets/flask", "psf/requests", "facebook/react",
            "vercel/next.js", "hashicorp/terraform", "prometheus/prometheus", "grafana/grafana",
            "apache/kafka", "redis/redis", "nodejs/node", "django/django", "torvalds/linux",
            "open-telemetry/opentelemetry-go", "spf13/cobra", "stretchr/testify", "numpy/numpy",
            "pandas-dev/pandas", "rust-lang/rust"]


class Credential:
    """One GitHub credential: its kind, the secret, GitHub's hashed_token and token_id."""

    def __init__(self, kind, token, token_id, scopes=None, created_day=0):
        self.kind = kind
        self.token = token
        self.hashed = formats.hashed_token(token) if token else None
        self.token_id = token_id
        self.scopes = scopes
        self.created_day = created_day

    @property
    def program(self):
        return PROG.get(self.kind)


class Host:
    """An asset: name, role, addresses, owner, whether it may talk to code repositories."""

    def __init__(self, name, role, ips, owner, repo_egress, os_, auditd, kind):
        self.name = name
        self.role = role
        self.ips = ips
        self.owner = owner
        self.repo_egress = repo_egress
        self.os = os_
        self.auditd = auditd
        self.kind = kind          # laptop | ci | build | deploy | server | jump | infra
        self.serial = 0           # audit serial (set by the world)
        self.pid = 0

    @property
    def ip(self):
        return self.ips[0]


class Person:
    def __init__(self, username, first, last, dept, team, developer, office, os_):
        self.username = username
        self.first = first
        self.last = last
        self.dept = dept
        self.team = team
        self.developer = developer
        self.office = office
        self.tz = TZ[office]
        self.os = os_
        self.email = "%s.%s@%s" % (first.lower(), last.lower(), DOMAIN)
        self.gh_login = None
        self.gh_id = None
        self.cred = None          # HTTPS credential (None for SSH-only users)
        self.ssh = False
        self.host = None
        self.repos = []
        self.start_day = 0
        self.remote_days = ()
        self.contractor = False
        self.release_eng = False
        self.admin = False
        self.github_web = False   # browses github.com (developers and product managers)
        self.home_ip = None       # contractors: where GitHub sees them
        self.uid = 1000

    @property
    def name(self):
        return "%s %s" % (self.first, self.last)

    def ua(self):
        return GIT_UA[self.os or "ubuntu"]


def token(rng, kind):
    alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    r = lambda n: "".join(rng.choice(alnum) for _ in range(n))  # noqa: E731
    if kind == "pat_classic":
        return "ghp_" + r(36)
    if kind == "pat_fine":
        return "github_pat_11" + r(20) + "_" + r(59)
    if kind == "oauth":
        return "gho_" + r(36)
    if kind == "app_server":
        return "ghs_" + r(36)
    if kind == "app_user":
        return "ghu_" + r(36)
    raise ValueError(kind)


def new_credential(rng, kind, created_day=0):
    scopes = None
    if kind == "pat_classic":
        scopes = rng.choice(["repo", "repo,workflow", "repo,read:org", "read:packages,repo,workflow"])
    elif kind == "oauth":
        scopes = rng.choice(["gist,read:org,repo,workflow", "gist,repo,workflow"])
    tid = 0 if kind == "app_server" else rng.randrange(100_000_000, 999_999_999)
    return Credential(kind, token(rng, kind), tid, scopes, created_day)


class Company:
    """People, hosts, repositories and credentials of Acme Corp, derived from `seed`."""

    def __init__(self, seed):
        rng = random.Random("%s:company" % seed)
        self.rng = rng
        self.people = []
        self.by_user = {}
        self.hosts = []
        self.by_host = {}
        self.repos = []           # "acme/name"
        self.team_repos = {}
        self.oss = ["acme-oss/" + n for n in OSS_REPOS]
        self.upstream = list(UPSTREAM)
        self._make_repos(rng)
        self._make_people(rng)
        self._make_hosts(rng)
        self._make_bots(rng)

    # --- repositories ---------------------------------------------------------------------
    def _make_repos(self, rng):
        seen = set()
        names = []
        for n in FIXED_REPOS:
            seen.add(n)
            names.append((n, {"payments-api": "payments", "ledger-core": "payments",
                              "k8s-manifests": "platform", "ml-feature-store": "ml",
                              "web-checkout": "web", "terraform-modules": "platform"}.get(n, "shared")))
        for team, prefixes in REPO_PREFIX.items():
            want = {"release": 6, "qa": 14, "security": 18}.get(team, 38)
            tries = 0
            count = 0
            while count < want and tries < 10000:
                tries += 1
                n = rng.choice(prefixes) + rng.choice(REPO_SUFFIX)
                if n in seen:
                    continue
                seen.add(n)
                names.append((n, team))
                count += 1
        self.repos = ["acme/" + n for n, _ in names]
        self.repo_team = {"acme/" + n: t for n, t in names}
        for r, t in self.repo_team.items():
            self.team_repos.setdefault(t, []).append(r)
        self.shared = self.team_repos["shared"]
        self.repo_ids = {r: 300_000_000 + i * 7919 for i, r in enumerate(self.repos + self.oss)}

    # --- people ---------------------------------------------------------------------------
    def _unique_user(self, first, last):
        base = (first[0] + last).lower()
        u = base
        i = 2
        while u in self.by_user:
            u = "%s%d" % (base, i)
            i += 1
        return u

    def _add(self, p):
        self.people.append(p)
        self.by_user[p.username] = p
        return p

    def _gh_login(self, rng, p):
        f, l = p.first.lower(), p.last.lower()
        forms = [f + l[0], f + "-" + l, f[0] + l + "-dev", l + f[0], "%s%d" % (f, rng.randrange(10, 99)),
                 f + "-codes", f[0] + l, "%s-%s" % (f, "acme")]
        login = rng.choice(forms)
        used = {q.gh_login for q in self.people if q.gh_login}
        while login in used:
            login += str(rng.randrange(0, 10))
        return login

    def _make_people(self, rng):
        for (u, first, last, team, office, os_, cred, login, flags) in CAST:
            p = Person(u, first, last, "engineering", team, True, office, os_)
            p.gh_login = login
            p.start_day = flags.get("start_day", 0)
            p.contractor = flags.get("contractor", False)
            p.release_eng = flags.get("release_eng", False)
            p.admin = flags.get("admin", False)
            if cred == "ssh":
                p.ssh = True
            else:
                p.cred = new_credential(rng, cred)
            self._add(p)
        used_names = {(p.first, p.last) for p in self.people}

        def fresh_name():
            while True:
                f, l = rng.choice(FIRST), rng.choice(LAST)
                if (f, l) not in used_names:
                    used_names.add((f, l))
                    return f, l

        for team, size in TEAMS:
            have = sum(1 for p in self.people if p.team == team and not p.contractor)
            for _ in range(size - have):
                f, l = fresh_name()
                office = "bos" if rng.random() < 0.6 else "ber"
                os_ = rng.choices(["macos", "ubuntu", "debian", "fedora", "windows"], [52, 26, 10, 6, 6])[0]
                p = self._add(Person(self._unique_user(f, l), f, l, "engineering", team, True, office, os_))
                p.gh_login = self._gh_login(rng, p)
                kind = rng.choices(["ssh", "oauth", "pat_classic", "pat_fine", "app_user"], [40, 36, 14, 7, 3])[0]
                if kind == "ssh":
                    p.ssh = True
                else:
                    p.cred = new_credential(rng, kind)
        have = sum(1 for p in self.people if p.contractor)
        for i in range(CONTRACTORS - have):
            f, l = fresh_name()
            region = ["in", "br", "pl"][i % 3]
            p = self._add(Person(self._unique_user(f, l), f, l, "engineering",
                                 rng.choice(["web", "mobile", "qa", "core"]), True, region, None))
            p.contractor = True
            p.gh_login = self._gh_login(rng, p)
            p.cred = new_credential(rng, rng.choice(["pat_classic", "pat_fine", "oauth"]))
        for dept, size in NON_DEV:
            for _ in range(size):
                f, l = fresh_name()
                office = "bos" if rng.random() < 0.65 else "ber"
                os_ = rng.choices(["macos", "windows"], [70, 30])[0]
                p = self._add(Person(self._unique_user(f, l), f, l, dept, dept, False, office, os_))
                if dept == "product":
                    p.gh_login = self._gh_login(rng, p)
                    p.github_web = True
        ids = rng.sample(range(1_200_000, 240_000_000), len(self.people))
        home = 100
        for p, i in zip(self.people, ids):
            if p.gh_login:
                p.gh_id = i
            if p.developer:
                p.github_web = True
            if p.contractor:
                p.os = "macos" if home % 2 else "windows"
                p.home_ip = "198.51.100.%d" % (home + 50 if p.username == "pmehta" else home)
                home += 1
            team_repos = self.team_repos.get(p.team, self.repos)
            k = min(len(team_repos), rng.randrange(4, 11))
            p.repos = rng.sample(team_repos, k) + rng.sample(self.shared, 2)
            if p.team == "release":
                p.repos = rng.sample(self.repos, 12)
            # Who works from home (full-tunnel VPN) on which days; the cast stays put.
            if not p.contractor and p.username not in {c[0] for c in CAST}:
                p.remote_days = tuple(d for d in range(4) if rng.random() < 0.2)
        self.by_user["lfischer"].home_ip = "192.0.2.131"       # a commercial VPN exit (intel: vpn)
        self.by_user["pmehta"].home_ip = "198.51.100.150"      # expired residential_proxy indicator
        self.by_user["oreyes"].repos.insert(0, "acme/ml-feature-store")
        self.by_user["nkowalski"].repos = self.team_repos["data"][:6] + ["acme/docs"]

    # --- hosts ----------------------------------------------------------------------------
    def add_host(self, h):
        self.hosts.append(h)
        self.by_host[h.name] = h
        return h

    def _make_hosts(self, rng):
        n = {"bos": 0, "ber": 0}
        for i, p in enumerate(self.people):
            if p.contractor:
                continue
            net = "10.20" if p.office == "bos" else "10.21"
            k = n[p.office]
            n[p.office] += 1
            office_ip = "%s.%d.%d" % (net, 1 + k // 200, 10 + k % 200)
            vpn_ip = "10.8.%d.%d" % (1 + i // 200, 10 + i % 200)
            role = "dev_workstation" if p.developer else "other"
            p.host = self.add_host(Host("lt-" + p.username, role, [office_ip, vpn_ip], p.username,
                                        p.developer, p.os, p.os in LINUX, "laptop"))
        for i in range(12):
            self.add_host(Host("ci-runner-%02d" % (i + 1), "ci_runner", ["10.30.1.%d" % (11 + i)],
                               "devex", True, "ubuntu", True, "ci"))
        for i in range(4):
            self.add_host(Host("build-%02d" % (i + 1), "server", ["10.30.0.%d" % (21 + i)],
                               "platform", True, "debian", True, "build"))
        self.add_host(Host("deploy-01", "server", ["10.30.0.31"], "platform", True, "debian", True, "deploy"))
        for i in range(2):
            self.add_host(Host("jump-%02d" % (i + 1), "admin_jump", ["10.10.0.%d" % (5 + i)], "sre",
                               False, "debian", True, "jump"))
        servers = [("db-01", "data"), ("db-02", "data"), ("db-03", "data"), ("app-01", "core"),
                   ("app-02", "core"), ("app-03", "core"), ("app-04", "payments"),
                   ("app-05", "payments"), ("app-06", "web"), ("fin-report-01", "finance-it"),
                   ("backup-01", "sre"), ("mon-01", "sre"), ("ldap-01", "it"), ("files-01", "it"),
                   ("mail-relay-01", "it"), ("vault-01", "security"), ("kafka-01", "data"),
                   ("kafka-02", "data"), ("kafka-03", "data"), ("etl-01", "data")]
        for i, (name, owner) in enumerate(servers):
            self.add_host(Host(name, "server", ["10.40.0.%d" % (11 + i)], owner, False, "debian", True, "server"))
        self.add_host(Host("ns1", "server", [RESOLVER], "it", False, "debian", False, "infra"))
        self.add_host(Host("proxy-01", "server", [PROXY_IP], "it", False, "debian", False, "infra"))
        for h in self.hosts:
            h.serial = rng.randrange(20_000, 900_000)
            h.pid = rng.randrange(3_000, 60_000)

    # --- bots and service accounts --------------------------------------------------------
    def _make_bots(self, rng):
        self.bots = {
            "github-actions[bot]": 41898282,
            "dependabot[bot]": 49699333,
            "acme-ci[bot]": 151904377,
            "acme-argocd[bot]": 152337019,
        }
        self.release_bot = "acme-release-bot"
        self.release_bot_id = 148812330
        self.release_bot_cred = new_credential(rng, "pat_classic")
        self.release_bot_cred.scopes = "repo,workflow"
        self.service_accounts = [
            ("svc-backup", "Backup jobs (backup-01, db-*)"),
            ("svc-reports", "Finance reporting exports (fin-report-01)"),
            ("svc-etl", "ETL jobs (etl-01)"),
            ("jenkins", "Build agents (build-*)"),
            ("runner", "GitHub Actions self-hosted runners (ci-runner-*)"),
            ("argocd", "GitOps controller (deploy-01)"),
        ]

    # --- helpers --------------------------------------------------------------------------
    def developers(self):
        return [p for p in self.people if p.developer]

    def present(self, p, d):
        return d >= p.start_day

    def client_ip(self, p, d):
        """The laptop's address on day d: office LAN, or the VPN pool when working from home."""
        if p.host is None:
            return None
        return p.host.ips[1] if d in p.remote_days else p.host.ips[0]

    def ssh_egress(self, p, d):
        if p.contractor:
            return p.home_ip
        return VPN_EGRESS if d in p.remote_days else OFFICE_NAT[p.office]

    def country(self, p):
        return {"bos": "US", "ber": "DE", "in": "IN", "br": "BR", "pl": "PL"}[p.office]
