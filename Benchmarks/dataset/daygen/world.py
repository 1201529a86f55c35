"""The world: the four output files and the cross-log primitives that keep one action
consistent in every log it touches (a `git push` over HTTPS from a Linux laptop is an execve of
git and git-remote-https in the audit log, the proxy's bumped requests, and GitHub's git.push
events with the same repository, time, token and address)."""
import random

from . import company as co
from . import formats
from .sinks import PID, PPID, SERIAL, AuditSink, Registry, Sink

FILES = {
    "github": ("github-audit.jsonl", "github-audit"),
    "squid": ("squid-access.log", "squid"),
    "dns": ("bind-queries.log", "bind-query"),
    "audit": ("audit.log", "auditd"),
}

def lognorm(rng, median, sigma, lo, hi):
    v = rng.lognormvariate(0.0, sigma) * median
    return int(min(max(v, lo), hi))


class World:
    def __init__(self, company, out_dir, seed, request_size=True):
        self.c = company
        self.seed = seed
        self.rng = random.Random("%s:benign" % seed)
        self.request_size = request_size
        self.registry = Registry()
        self.sinks = {k: Sink(out_dir, fn, fmt, self.registry) for k, (fn, fmt) in FILES.items() if k != "audit"}
        fn, fmt = FILES["audit"]
        self.sinks["audit"] = AuditSink(out_dir, fn, fmt, self.registry, seed,
                                        {h.name: (h.serial, h.pid) for h in company.hosts})
        self.dns_cache = {}
        r = random.Random("%s:bind" % seed)
        self.bind_objects = [0x7F3A00000000 + r.randrange(0, 1 << 32) & ~0xF for _ in range(96)]
        self.shell = {}       # (host, user, day) -> shell pid

    def flush(self):
        for s in self.sinks.values():
            s.flush()

    def close(self):
        for s in self.sinks.values():
            s.close()

    # ------------------------------------------------------------------------------------------
    # GitHub audit log

    def gh(self, ts, action, actor, actor_id, ip, cc, org, fields, person=None, rng=None, tag=None):
        """One GitHub audit event (returns the event dict)."""
        rng = rng or self.rng
        ms = int(ts * 1000)
        ev = {"@timestamp": ms, "_document_id": formats.document_id(rng), "action": action,
              "actor": actor, "actor_id": actor_id, "actor_ip": ip,
              "actor_location": {"country_code": cc}, "business": co.BUSINESS,
              "business_id": co.BUSINESS_ID, "created_at": ms}
        if org:
            ev["org"] = org
            ev["org_id"] = co.ORGS[org]
        if person is not None and person.gh_login == actor:
            ev["external_identity_nameid"] = person.email
            ev["external_identity_username"] = person.email
        ev.update(fields)
        self.sinks["github"].add(ts, formats.github(ev), tag=tag, ident=ev["_document_id"])
        return ev

    def git_event(self, ts, action, actor, actor_id, ip, cc, repo, transport, cred, ua,
                  person=None, rng=None, tag=None):
        """git.clone / git.fetch / git.push (a push is two events, as GitHub writes them: the
        second, a fraction of a second earlier, without a user agent)."""
        rng = rng or self.rng
        org = repo.split("/")[0]
        public = org == "acme-oss" or repo in self.c.upstream
        f = {"external_id": "", "repo": repo, "repository": repo, "repository_public": public,
             "transport_protocol": 1 if transport == "http" else 2,
             "transport_protocol_name": transport, "user": "", "user_id": 0}
        if transport == "http" and cred is not None:
            f["programmatic_access_type"] = cred.program
            f["hashed_token"] = cred.hashed
            f["token_id"] = cred.token_id
            if cred.scopes:
                f["token_scopes"] = cred.scopes
        if ua:
            f["user_agent"] = ua
        out = [self.gh(ts, action, actor, actor_id, ip, cc, org if org in co.ORGS else None, f,
                       person, rng, tag)]
        if action == "git.push":
            g = dict(f)
            g["user_agent"] = ""
            out.append(self.gh(ts - rng.uniform(0.3, 0.9), action, actor, actor_id, ip, cc,
                               org if org in co.ORGS else None, g, person, rng, tag))
        return out

    def person_git(self, p, d, ts, action, repo, rng=None, tag=None, cred=None, transport=None, ip=None):
        """A person's git operation as GitHub records it (HTTPS with their token, or SSH)."""
        cred = cred if cred is not None else p.cred
        if transport is None:
            transport = "ssh" if (p.ssh or cred is None) else "http"
        if ip is None:
            if p.contractor:
                ip = p.home_ip
            elif transport == "ssh":
                ip = self.c.ssh_egress(p, d)
            elif cred is not None and cred.kind == "app_user":
                ip = self.codespace_ip(p, rng or self.rng)
            else:
                ip = co.PROXY_EGRESS
        ua = p.ua() if transport == "http" else None
        return self.git_event(ts, action, p.gh_login, p.gh_id, ip, self.c.country(p), repo,
                              transport, cred if transport == "http" else None, ua, p, rng, tag)

    def codespace_ip(self, p, rng):
        """The person's long-lived Codespace (GitHub-hosted, a cloud address)."""
        return "203.0.113.%d" % (130 + p.gh_id % 60)

    # ------------------------------------------------------------------------------------------
    # Squid

    def squid(self, ts, client, code, status, size, method, url, user, peer, mime, req, elapsed,
              hierarchy="HIER_DIRECT", tag=None):
        line = formats.squid(ts, elapsed, client, code, status, size, method, url, user,
                             hierarchy if peer else "HIER_NONE", peer, mime, req, self.request_size)
        self.sinks["squid"].add(ts, line, tag=tag)

    def tunnel(self, ts, client, user, domain, down, up, elapsed, peer, tag=None, port=443):
        """A spliced CONNECT tunnel, logged when it closes (ts is the open time)."""
        self.squid(ts + elapsed / 1000.0, client, "TCP_TUNNEL", 200, down, "CONNECT",
                   "%s:%d" % (domain, port), user, peer, None, up, elapsed, tag=tag)

    def bump_connect(self, ts, client, user, domain, rng, tag=None):
        """The CONNECT squid answers itself before bumping (TLS interception)."""
        self.squid(ts, client, "NONE_NONE", 200, 0, "CONNECT", "%s:443" % domain, user, None,
                   None, rng.randrange(160, 260), rng.randrange(0, 3), tag=tag)

    def https(self, ts, client, user, method, url, status, down, up, mime, rng, tag=None,
              elapsed=None, code="TCP_MISS"):
        """One request inside a bumped connection (url is https://host/...)."""
        host = url.split("/")[2]
        peer = rng.choice(co.GITHUB_IPS.get(host, ["192.0.2.%d" % (160 + len(host) % 90)]))
        if elapsed is None:
            elapsed = 40 + int((down + up) / 6000) + rng.randrange(0, 120)
        self.squid(ts + elapsed / 1000.0, client, code, status, down, method, url, user, peer, mime,
                   up, elapsed, tag=tag)
        return ts + elapsed / 1000.0

    def proxy_git(self, ts, client, user, repo, service, pack, req, rng, tag=None, host="github.com",
                  tunnel=False):
        """git over HTTPS through the proxy: capability advertisement (anonymous 401, then with
        credentials) and the protocol v2 POSTs. `service` is upload (clone/fetch) or receive
        (push); `pack` is the pack size (down for upload, up for receive). A CI runner's
        traffic is spliced: one tunnel carrying the same bytes."""
        if tunnel:
            down = pack + rng.randrange(2_000, 9_000) if service == "upload" else rng.randrange(1_500, 4_000)
            up = req + rng.randrange(1_000, 3_000) if service == "upload" else pack + rng.randrange(2_000, 6_000)
            el = 300 + int((down + up) / 8000) + rng.randrange(0, 800)
            self.tunnel(ts, client, user, host, down, up, el, rng.choice(co.GITHUB_IPS[host]), tag=tag)
            return ts + el / 1000.0
        base = "https://%s/%s.git" % (host, repo)
        self.bump_connect(ts, client, user, host, rng, tag)
        t = ts + 0.01
        svc = "git-%s-pack" % service
        t = self.https(t, client, user, "GET", "%s/info/refs?service=%s" % (base, svc), 401,
                       rng.randrange(430, 520), rng.randrange(190, 260), "text/plain", rng, tag)
        t = self.https(t + 0.02, client, user, "GET", "%s/info/refs?service=%s" % (base, svc), 200,
                       rng.randrange(380, 900), rng.randrange(260, 340),
                       "application/x-%s-advertisement" % svc, rng, tag)
        if service == "upload":
            t = self.https(t + 0.02, client, user, "POST", "%s/git-upload-pack" % base, 200,
                           rng.randrange(900, 6_000), rng.randrange(300, 900),
                           "application/x-git-upload-pack-result", rng, tag)
            t = self.https(t + 0.02, client, user, "POST", "%s/git-upload-pack" % base, 200, pack, req,
                           "application/x-git-upload-pack-result", rng, tag)
        else:
            t = self.https(t + 0.02, client, user, "POST", "%s/git-receive-pack" % base, 200,
                           rng.randrange(180, 600), pack, "application/x-git-receive-pack-result",
                           rng, tag)
        return t

    # ------------------------------------------------------------------------------------------
    # BIND

    def dns(self, ts, client, name, rng, types=("A", "AAAA"), flags="+E(0)", ttl=300.0, tag=None,
            force=False):
        """The client resolves `name` unless it did within `ttl` seconds (its cache)."""
        key = (client, name)
        last = self.dns_cache.get(key)
        if not force and last is not None and ts - last < ttl:
            return False
        self.dns_cache[key] = ts
        port = rng.randrange(32768, 61000)
        for i, qt in enumerate(types):
            self.sinks["dns"].add(ts + i * 0.0004, formats.bind_query(
                ts + i * 0.0004, rng.choice(self.bind_objects), client, port + i, name, qt, flags,
                co.RESOLVER), tag=tag)
        return True

    # ------------------------------------------------------------------------------------------
    # Linux audit

    def execve(self, host, ts, argv, exe, cwd, user, uid, login=None, auid=formats.UNSET,
               tty="(none)", ses=formats.UNSET, ppid=None, interpreter=None, rng=None, tag=None,
               gid=None, group=None):
        """One execve on `host` (no-op for hosts without auditd). Returns the new pid."""
        if not host.auditd:
            return None
        rng = rng or self.rng
        host.pid += rng.randrange(1, 40)
        pid = host.pid
        if ppid is None:
            ppid = max(1, pid - rng.randrange(1, 400))
        ptrs = (0x55D000000000 + rng.randrange(0, 1 << 36), 0x55D000000000 + rng.randrange(0, 1 << 36),
                0x55D000000000 + rng.randrange(0, 1 << 36), rng.randrange(0, 0x30))
        lines = formats.auditd_exec(host.name, ts, SERIAL, PID, PPID, uid, user, auid, login,
                                    tty, ses, exe, argv, cwd, gid, group, interpreter, ptrs)
        self.sinks["audit"].add(ts, "\n".join(lines), nlines=len(lines), tag=tag, ident=(host.name, pid, ppid))
        return pid

    def user_session(self, host, ts, p, from_ip, rng, tag=None):
        """An sshd login on a server: USER_LOGIN and USER_START records. Returns the session."""
        if not host.auditd:
            return 1
        ses = rng.randrange(2, 4000)
        uid = self.ldap_uid(p)
        host.pid += rng.randrange(1, 40)
        sshd = host.pid
        for i, (rtype, op) in enumerate((("USER_ACCT", "PAM:accounting"), ("CRED_ACQ", "PAM:setcred"),
                                         ("USER_LOGIN", "login"), ("USER_START", "PAM:session_open"))):
            line = formats.auditd_user_record(host.name, ts + i * 0.004, SERIAL, rtype, PID, 0,
                                              uid, ses, p.username, op, "/usr/sbin/sshd", from_ip,
                                              from_ip, "ssh" if rtype != "USER_LOGIN" else "/dev/pts/1")
            self.sinks["audit"].add(ts + i * 0.004, line, tag=tag, ident=(host.name, sshd, None))
        return ses

    def ldap_uid(self, p):
        if not hasattr(self, "_uids"):
            self._uids = {q.username: 10000 + i for i, q in enumerate(self.c.people)}
        return self._uids[p.username]

    def shell_pid(self, host, user, d, rng):
        key = (host.name, user, d)
        if key not in self.shell:
            host.pid += rng.randrange(5, 60)
            self.shell[key] = host.pid
        return self.shell[key]

    def user_exec(self, p, host, d, ts, argv, exe, cwd, rng=None, tag=None, interpreter=None,
                  ppid=None):
        """A command typed by person p on host (their laptop: uid 1000; a server: LDAP uid)."""
        rng = rng or self.rng
        laptop = host.kind == "laptop"
        uid = 1000 if laptop else self.ldap_uid(p)
        if ppid is None:
            ppid = self.shell_pid(host, p.username, d, rng)
        return self.execve(host, ts, argv, exe, cwd, p.username, uid, p.username, uid,
                           "pts%d" % (uid % 3), 3 + d if laptop else 700 + d * 37 + uid % 50,
                           ppid, interpreter, rng, tag)

    def git_exec(self, p, host, d, ts, argv, cwd, remote_url=None, rng=None, tag=None, ppid=None):
        """`git ...` run by p (typed, or by `ppid`), with its transport child when it talks to a
        remote: git-remote-https for HTTPS URLs, ssh for SSH ones."""
        rng = rng or self.rng
        pid = self.user_exec(p, host, d, ts, argv, "/usr/bin/git", cwd, rng, tag, ppid=ppid)
        if remote_url and pid:
            t = ts + rng.uniform(0.004, 0.03)
            if remote_url.startswith("https://"):
                self.user_exec(p, host, d, t, ["/usr/lib/git-core/git-remote-https", "origin", remote_url],
                               "/usr/lib/git-core/git-remote-https", cwd, rng, tag, ppid=pid)
            else:
                path = remote_url.split(":", 1)[1]
                svc = "git-receive-pack" if "push" in argv else "git-upload-pack"
                self.user_exec(p, host, d, t, ["/usr/bin/ssh", "-o", "SendEnv=GIT_PROTOCOL",
                                               "git@github.com", "%s '%s'" % (svc, path)],
                               "/usr/bin/ssh", cwd, rng, tag, ppid=pid)
        return pid
