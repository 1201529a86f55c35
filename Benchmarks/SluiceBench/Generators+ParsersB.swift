// Deterministic workload generators for the parsers of squid, w3c-proxy, bind-query,
// dnsmasq, zeek-dns, auditd, sysmon-linux and osquery (see docs/BENCH-parsers-b.md).
//
// Self-contained (no dependency besides the standard library) so that the benchmark tool
// can include it as it is.

/// SplitMix64: a small, fast, seedable generator; the same seed gives the same records.
struct ParsersBRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(max(n, 1))) }
    mutating func pick<T>(_ a: [T]) -> T { a[below(a.count)] }
}

/// Generators of realistic records, one function per format. Each returns `count` records
/// (header lines, where the format has them, come first and count towards `count`).
enum ParsersBGenerators {
    static let formats = ["squid", "w3c-proxy", "bind-query", "dnsmasq", "zeek-dns", "auditd", "sysmon-linux", "osquery"]

    static func generate(format: String, count: Int, seed: UInt64) -> [[UInt8]] {
        switch format {
        case "squid": return squid(count: count, seed: seed)
        case "w3c-proxy": return w3cProxy(count: count, seed: seed)
        case "bind-query": return bindQuery(count: count, seed: seed)
        case "dnsmasq": return dnsmasq(count: count, seed: seed)
        case "zeek-dns": return zeekDNS(count: count, seed: seed)
        case "auditd": return auditd(count: count, seed: seed)
        case "sysmon-linux": return sysmonLinux(count: count, seed: seed)
        case "osquery": return osquery(count: count, seed: seed)
        default: return []
        }
    }

    static let users = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "svc-build", "svc-deploy"]
    static let repoHosts = ["github.com", "api.github.com", "codeload.github.com", "uploads.github.com", "raw.githubusercontent.com",
                            "gitlab.com", "bitbucket.org", "gist.github.com", "objects.githubusercontent.com"]
    static let otherHosts = ["www.google.com", "update.microsoft.com", "pypi.org", "registry.npmjs.org", "deb.debian.org",
                             "slack.com", "login.microsoftonline.com", "s3.amazonaws.com", "cdn.jsdelivr.net", "www.bbc.co.uk"]
    static let repos = ["acme/payments", "acme/web", "acme/infra", "acme/mobile", "acme/ml-models", "acme/secrets-rotation"]

    static func ip(_ r: inout ParsersBRandom, net: String = "10.0") -> String { "\(net).\(r.below(16)).\(1 + r.below(250))" }
    static func publicIP(_ r: inout ParsersBRandom) -> String { "\(r.pick([140, 185, 151, 104, 13, 52]))." + "\(r.below(256)).\(r.below(256)).\(1 + r.below(254))" }

    // MARK: squid

    static func squid(count: Int, seed: UInt64) -> [[UInt8]] {
        var r = ParsersBRandom(seed: seed)
        var out: [[UInt8]] = []
        out.reserveCapacity(count)
        var t = 1_700_000_000_000
        let types = ["text/html", "application/json", "application/octet-stream", "application/x-gzip", "image/png", "-"]
        for _ in 0..<count {
            t += r.below(40)
            let ts = "\(t / 1000).\(String(t % 1000 + 1000).dropFirst())"
            let elapsed = String(r.below(30_000))
            let pad = String(repeating: " ", count: max(1, 6 - elapsed.count))
            let client = ip(&r)
            let user = r.below(4) == 0 ? "-" : r.pick(users)
            let host = r.below(3) == 0 ? r.pick(repoHosts) : r.pick(otherHosts)
            let line: String
            switch r.below(10) {
            case 0..<5:
                let denied = r.below(20) == 0
                line = "\(ts)\(pad)\(elapsed) \(client) \(denied ? "TCP_DENIED/403" : "TCP_TUNNEL/200") \(denied ? 3944 : r.below(50_000_000)) CONNECT \(host):443 \(user) \(denied ? "HIER_NONE/-" : "HIER_DIRECT/" + publicIP(&r)) -"
            case 5..<9:
                let path = host.hasSuffix("github.com") ? "/\(r.pick(repos))/archive/refs/heads/main.tar.gz" : "/static/\(r.below(100_000))/app.js?v=\(r.below(1000))"
                let code = r.pick(["TCP_MISS/200", "TCP_MISS/200", "TCP_REFRESH_UNMODIFIED/304", "TCP_MEM_HIT/200", "TCP_MISS/404", "TCP_MISS/502"])
                line = "\(ts)\(pad)\(elapsed) \(client) \(code) \(r.below(2_000_000)) \(r.pick(["GET", "GET", "POST", "PUT"])) http://\(host)\(path) \(user) HIER_DIRECT/\(publicIP(&r)) \(r.pick(types))"
            default:
                line = "\(ts)\(pad)\(elapsed) \(client) NONE_NONE/000 0 - error:invalid-request - HIER_NONE/- -"
            }
            out.append(Array(line.utf8))
        }
        return out
    }

    // MARK: w3c-proxy (ProxySG ELFF)

    static func w3cProxy(count: Int, seed: UInt64) -> [[UInt8]] {
        var r = ParsersBRandom(seed: seed)
        var out: [[UInt8]] = [
            "#Software: SGOS 7.3.1.1", "#Version: 1.0", "#Date: 2026-11-23 02:00:00",
            "#Fields: date time time-taken c-ip cs-username cs-auth-group s-supplier-name sc-status s-action cs-method rs(Content-Type) cs-uri-scheme cs-host cs-uri-port cs-uri-path cs-uri-query cs-uri-extension cs(User-Agent) s-ip sc-bytes cs-bytes x-virus-id",
        ].map { Array($0.utf8) }
        let agents = ["\"git/2.43.0\"", "\"curl/8.5.0\"", "\"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36\"", "\"GitHub CLI 2.62.0\""]
        var s = 0
        while out.count < count {
            s += r.below(3)
            let time = "\(String(100 + (2 + s / 3600) % 24).dropFirst()):\(String(100 + (s / 60) % 60).dropFirst()):\(String(100 + s % 60).dropFirst())"
            let host = r.below(3) == 0 ? r.pick(repoHosts) : r.pick(otherHosts)
            let user = r.below(4) == 0 ? "-" : r.pick(users)
            let group = user == "-" ? "-" : "\"CN=Developers,OU=Groups,DC=corp,DC=example\""
            let line: String
            if r.below(2) == 0 {
                line = "2026-11-23 \(time) \(r.below(60_000)) \(ip(&r)) \(user) \(group) \(host) 200 TCP_TUNNELED CONNECT - tcp \(host) 443 / - - \(r.pick(agents)) 10.1.1.10 \(r.below(10_000_000)) \(r.below(100_000_000)) -"
            } else {
                let denied = r.below(15) == 0
                line = "2026-11-23 \(time) \(r.below(5000)) \(ip(&r)) \(user) \(group) \(host) \(denied ? 403 : 200) \(denied ? "TCP_DENIED" : "TCP_NC_MISS") \(r.pick(["GET", "POST"])) application/json https \(host) 443 /repos/\(r.pick(repos))/contents ?ref=main - \(r.pick(agents)) 10.1.1.10 \(r.below(100_000)) \(r.below(5_000_000)) -"
            }
            out.append(Array(line.utf8))
        }
        return Array(out.prefix(count))
    }

    // MARK: DNS

    static let qtypes = ["A", "A", "A", "AAAA", "AAAA", "HTTPS", "CNAME", "TXT", "MX", "PTR"]
    static func qname(_ r: inout ParsersBRandom) -> String { r.below(3) == 0 ? r.pick(repoHosts) : r.pick(otherHosts) }

    static func bindQuery(count: Int, seed: UInt64) -> [[UInt8]] {
        var r = ParsersBRandom(seed: seed)
        var out: [[UInt8]] = []
        out.reserveCapacity(count)
        for i in 0..<count {
            let s = i / 50
            let name = qname(&r)
            let view = r.below(4) == 0 ? "view internal: " : ""
            let flags = r.pick(["+E(0)K", "+E(0)", "-E(0)D", "+", "+ET", "-EDC", "+E(0)DV"])
            let line = "23-Nov-2026 \(String(100 + (2 + s / 3600) % 24).dropFirst()):\(String(100 + (s / 60) % 60).dropFirst()):\(String(100 + s % 60).dropFirst()).\(String(1000 + r.below(1000)).dropFirst()) queries: info: client @0x7f9b2c\(String(r.below(0xFFFFFF), radix: 16)) \(ip(&r))#\(1024 + r.below(64000)) (\(name)): \(view)query: \(name) IN \(r.pick(qtypes)) \(flags) (10.0.0.1)"
            out.append(Array(line.utf8))
        }
        return out
    }

    static func dnsmasq(count: Int, seed: UInt64) -> [[UInt8]] {
        var r = ParsersBRandom(seed: seed)
        var out: [[UInt8]] = []
        out.reserveCapacity(count)
        var s = 0
        while out.count < count {
            s += r.below(2)
            let stamp = "Nov 23 \(String(100 + (2 + s / 3600) % 24).dropFirst()):\(String(100 + (s / 60) % 60).dropFirst()):\(String(100 + s % 60).dropFirst()) dnsmasq[1234]: "
            let name = qname(&r)
            let type = r.pick(["A", "AAAA", "HTTPS"])
            out.append(Array((stamp + "query[\(type)] \(name) from \(ip(&r))").utf8))
            out.append(Array((stamp + "forwarded \(name) to \(r.pick(["1.1.1.1", "9.9.9.9", "8.8.8.8"]))").utf8))
            let answer: String
            switch r.below(6) {
            case 0: answer = "<CNAME>"
            case 1: answer = "NXDOMAIN"
            case 2: answer = "NODATA-IPv6"
            case 3: answer = "2606:50c0:8000::\(r.below(255))"
            default: answer = publicIP(&r)
            }
            out.append(Array((stamp + "\(r.below(5) == 0 ? "cached" : "reply") \(name) is \(answer)").utf8))
        }
        return Array(out.prefix(count))
    }

    static func zeekDNS(count: Int, seed: UInt64) -> [[UInt8]] {
        var r = ParsersBRandom(seed: seed)
        var out: [[UInt8]] = [
            "#separator \\x09", "#set_separator\t,", "#empty_field\t(empty)", "#unset_field\t-", "#path\tdns", "#open\t2026-11-23-02-00-00",
            "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\ttrans_id\trtt\tquery\tqclass\tqclass_name\tqtype\tqtype_name\trcode\trcode_name\tAA\tTC\tRD\tRA\tZ\tanswers\tTTLs\trejected",
            "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tcount\tinterval\tstring\tcount\tstring\tcount\tstring\tcount\tstring\tbool\tbool\tbool\tbool\tcount\tvector[string]\tvector[interval]\tbool",
        ].map { Array($0.utf8) }
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".utf8)
        var t = 1_700_000_000_000_000
        while out.count < count {
            t += r.below(50_000)
            var uid: [UInt8] = [UInt8(ascii: "C")]
            for _ in 0..<17 { uid.append(alphabet[r.below(alphabet.count)]) }
            let name = qname(&r)
            let nx = r.below(12) == 0
            let answers = nx ? "-" : (r.below(3) == 0 ? "\(name),\(publicIP(&r))" : "\(publicIP(&r)),\(publicIP(&r))")
            let ttls = nx ? "-" : "\(r.below(3600)).000000,60.000000"
            let line = "\(t / 1_000_000).\(String(t % 1_000_000 + 1_000_000).dropFirst())\t\(String(decoding: uid, as: UTF8.self))\t\(ip(&r))\t\(1024 + r.below(64000))\t10.0.0.1\t53\tudp\t\(r.below(65536))\t0.\(String(1_000_000 + r.below(100_000)).dropFirst())\t\(name)\t1\tC_INTERNET\t1\tA\t\(nx ? 3 : 0)\t\(nx ? "NXDOMAIN" : "NOERROR")\tF\tF\tT\tT\t0\t\(answers)\t\(ttls)\tF"
            out.append(Array(line.utf8))
        }
        return Array(out.prefix(count))
    }

    // MARK: endpoint

    static func hex(_ s: String) -> String {
        let digits = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        for b in s.utf8 { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }

    static let commands: [[String]] = [
        ["git", "clone", "https://github.com/acme/payments.git"], ["git", "push", "origin", "main"],
        ["tar", "czf", "/tmp/stage/src.tgz", "src"], ["curl", "-sS", "-T", "/tmp/stage/src.tgz", "https://uploads.github.com/repos/x/y/releases/1/assets?name=src.tgz"],
        ["gh", "repo", "create", "exfil-\(7)", "--public"], ["ls", "-la"], ["python3", "manage.py", "migrate"], ["zip", "-r", "/tmp/out dir/a.zip", "."],
    ]

    /// auditd: exec events of 6 records each (SYSCALL, EXECVE, CWD, PATH, PROCTITLE, EOE),
    /// two processes interleaved, plus an occasional USER_LOGIN.
    static func auditd(count: Int, seed: UInt64) -> [[UInt8]] {
        var r = ParsersBRandom(seed: seed)
        var out: [[UInt8]] = []
        out.reserveCapacity(count)
        var serial = 1000
        var ts = 1_700_000_000_000
        while out.count < count {
            var pair: [[String]] = []
            for _ in 0..<2 {
                serial += 1
                ts += r.below(200)
                let id = "audit(\(ts / 1000).\(String(ts % 1000 + 1000).dropFirst()):\(serial))"
                let cmd = r.pick(commands)
                let pid = 2000 + r.below(30000)
                let uid = 1000 + r.below(10)
                var execve = "type=EXECVE msg=\(id): argc=\(cmd.count)"
                for (i, a) in cmd.enumerated() { execve += a.contains(" ") ? " a\(i)=\(hex(a))" : " a\(i)=\"\(a)\"" }
                pair.append([
                    "type=SYSCALL msg=\(id): arch=c000003e syscall=59 success=yes exit=0 a0=55d5c8e0a0b0 a1=55d5c8e0a110 a2=55d5c8e09f80 a3=8 items=2 ppid=\(pid - 1 - r.below(50)) pid=\(pid) auid=\(uid) uid=\(uid) gid=\(uid) euid=\(uid) suid=\(uid) fsuid=\(uid) egid=\(uid) sgid=\(uid) fsgid=\(uid) tty=pts\(r.below(4)) ses=\(r.below(20)) comm=\"\(cmd[0])\" exe=\"/usr/bin/\(cmd[0])\" subj=unconfined key=\"exec\"",
                    execve,
                    "type=CWD msg=\(id): cwd=\"/home/\(r.pick(users))/src\"",
                    "type=PATH msg=\(id): item=0 name=\"/usr/bin/\(cmd[0])\" inode=\(100_000 + r.below(900_000)) dev=fd:01 mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0",
                    "type=PROCTITLE msg=\(id): proctitle=\(hex(cmd.joined(separator: "\u{0}")))",
                    "type=EOE msg=\(id): ",
                ])
            }
            for i in 0..<6 { out.append(Array(pair[0][i].utf8)); out.append(Array(pair[1][i].utf8)) }
            if r.below(10) == 0 {
                serial += 1
                out.append(Array("type=USER_LOGIN msg=audit(\(ts / 1000).\(String(ts % 1000 + 1000).dropFirst()):\(serial)): pid=\(r.below(30000)) uid=0 auid=\(1000 + r.below(10)) ses=\(r.below(20)) subj=unconfined msg='op=login id=\(1000 + r.below(10)) exe=\"/usr/sbin/sshd\" hostname=? addr=\(ip(&r)) terminal=/dev/pts/1 res=success'".utf8))
            }
        }
        return Array(out.prefix(count))
    }

    static func sysmonLinux(count: Int, seed: UInt64) -> [[UInt8]] {
        var r = ParsersBRandom(seed: seed)
        var out: [[UInt8]] = []
        out.reserveCapacity(count)
        var s = 0
        for n in 0..<count {
            s += r.below(2)
            let hh = String(100 + (2 + s / 3600) % 24).dropFirst(), mm = String(100 + (s / 60) % 60).dropFirst(), ss = String(100 + s % 60).dropFirst()
            let ms = String(1000 + r.below(1000)).dropFirst()
            let id = r.pick([1, 1, 1, 3, 3, 11, 23])
            let cmd = r.pick(commands)
            let user = r.pick(users)
            let guid = "{7f2b3c4d-\(String(r.below(0xFFFF), radix: 16))-6543-0000-\(String(100_000_000_000 + r.below(1_000_000_000), radix: 16))}"
            let system = "<System><Provider Name=\"Linux-Sysmon\" Guid=\"{ff032593-a8d3-4f13-b0d6-01fc615a0f97}\"/><EventID>\(id)</EventID><Version>5</Version><Level>4</Level><Task>\(id)</Task><Opcode>0</Opcode><Keywords>0x8000000000000000</Keywords><TimeCreated SystemTime=\"2026-11-23T\(hh):\(mm):\(ss).\(ms)000000Z\"/><EventRecordID>\(n + 1)</EventRecordID><Correlation/><Execution ProcessID=\"812\" ThreadID=\"812\"/><Channel>Linux-Sysmon/Operational</Channel><Computer>build\(r.below(20))</Computer><Security UserId=\"0\"/></System>"
            var data = "<Data Name=\"RuleName\">-</Data><Data Name=\"UtcTime\">2026-11-23 \(hh):\(mm):\(ss).\(ms)</Data><Data Name=\"ProcessGuid\">\(guid)</Data><Data Name=\"ProcessId\">\(2000 + r.below(30000))</Data><Data Name=\"Image\">/usr/bin/\(cmd[0])</Data>"
            switch id {
            case 1:
                data += "<Data Name=\"FileVersion\">-</Data><Data Name=\"Description\">-</Data><Data Name=\"Product\">-</Data><Data Name=\"Company\">-</Data><Data Name=\"OriginalFileName\">-</Data><Data Name=\"CommandLine\">\(cmd.joined(separator: " ").replacingAmpersands())</Data><Data Name=\"CurrentDirectory\">/home/\(user)/src</Data><Data Name=\"User\">\(user)</Data><Data Name=\"LogonGuid\">{7f2b3c4d-0000-0000-e803-000000000000}</Data><Data Name=\"LogonId\">1000</Data><Data Name=\"TerminalSessionId\">3</Data><Data Name=\"IntegrityLevel\">no level</Data><Data Name=\"Hashes\">-</Data><Data Name=\"ParentProcessGuid\">\(guid)</Data><Data Name=\"ParentProcessId\">\(1000 + r.below(1000))</Data><Data Name=\"ParentImage\">/usr/bin/bash</Data><Data Name=\"ParentCommandLine\">-bash</Data><Data Name=\"ParentUser\">\(user)</Data>"
            case 3:
                data += "<Data Name=\"User\">\(user)</Data><Data Name=\"Protocol\">tcp</Data><Data Name=\"Initiated\">true</Data><Data Name=\"SourceIsIpv6\">false</Data><Data Name=\"SourceIp\">\(ip(&r))</Data><Data Name=\"SourceHostname\">-</Data><Data Name=\"SourcePort\">\(32768 + r.below(28000))</Data><Data Name=\"SourcePortName\">-</Data><Data Name=\"DestinationIsIpv6\">false</Data><Data Name=\"DestinationIp\">\(publicIP(&r))</Data><Data Name=\"DestinationHostname\">\(qname(&r))</Data><Data Name=\"DestinationPort\">443</Data><Data Name=\"DestinationPortName\">https</Data>"
            case 11:
                data += "<Data Name=\"TargetFilename\">/tmp/stage/part-\(r.below(1000)).tgz</Data><Data Name=\"CreationUtcTime\">2026-11-23 \(hh):\(mm):\(ss).\(ms)</Data><Data Name=\"User\">\(user)</Data>"
            default:
                data += "<Data Name=\"User\">\(user)</Data><Data Name=\"TargetFilename\">/tmp/stage/part-\(r.below(1000)).tgz</Data><Data Name=\"Hashes\">SHA256=\(hex("abcdefghijklmnopqrstuvwxyz012345"))</Data><Data Name=\"IsExecutable\">false</Data><Data Name=\"Archived\">true</Data>"
            }
            out.append(Array("Nov 23 \(hh):\(mm):\(ss) build1 sysmon: <Event>\(system)<EventData>\(data)</EventData></Event>".utf8))
        }
        return out
    }

    static func osquery(count: Int, seed: UInt64) -> [[UInt8]] {
        var r = ParsersBRandom(seed: seed)
        var out: [[UInt8]] = []
        out.reserveCapacity(count)
        var t = 1_700_000_000
        for n in 0..<count {
            t += r.below(2)
            let host = "build\(r.below(20))"
            let cmd = r.pick(commands)
            let line: String
            switch r.below(10) {
            case 0..<6:
                line = "{\"name\":\"pack_incident-response_process_events\",\"hostIdentifier\":\"\(host)\",\"calendarTime\":\"Mon Nov 23 02:08:36 2026 UTC\",\"unixTime\":\(t),\"epoch\":0,\"counter\":\(n),\"numerics\":false,\"decorations\":{\"host_uuid\":\"4740D59F-699E-5B29-960B-979AAF9BBEEB\"},\"columns\":{\"atime\":\"0\",\"auid\":\"1000\",\"btime\":\"0\",\"cmdline\":\"\(cmd.joined(separator: " "))\",\"ctime\":\"0\",\"cwd\":\"/home/\(r.pick(users))/src\",\"egid\":\"1000\",\"euid\":\"1000\",\"gid\":\"1000\",\"mode\":\"0100755\",\"parent\":\"\(1000 + r.below(1000))\",\"path\":\"/usr/bin/\(cmd[0])\",\"pid\":\"\(2000 + r.below(30000))\",\"time\":\"\(t)\",\"uid\":\"1000\",\"syscall\":\"execve\"},\"action\":\"added\"}"
            case 6..<9:
                line = "{\"name\":\"socket_events\",\"hostIdentifier\":\"\(host)\",\"calendarTime\":\"Mon Nov 23 02:08:37 2026 UTC\",\"unixTime\":\(t),\"epoch\":0,\"counter\":\(n),\"numerics\":false,\"columns\":{\"action\":\"connect\",\"auid\":\"1000\",\"family\":\"2\",\"fd\":\"5\",\"local_address\":\"\(ip(&r))\",\"local_port\":\"\(32768 + r.below(28000))\",\"path\":\"/usr/bin/\(cmd[0])\",\"pid\":\"\(2000 + r.below(30000))\",\"protocol\":\"6\",\"remote_address\":\"\(publicIP(&r))\",\"remote_port\":\"443\",\"socket\":\"\",\"success\":\"1\",\"time\":\"\(t)\"},\"action\":\"added\"}"
            default:
                line = "{\"snapshot\":[{\"pid\":\"1\",\"name\":\"systemd\",\"path\":\"/usr/lib/systemd/systemd\",\"cmdline\":\"/sbin/init\",\"cwd\":\"/\",\"uid\":\"0\",\"parent\":\"0\"},{\"pid\":\"\(2000 + r.below(30000))\",\"name\":\"\(cmd[0])\",\"path\":\"/usr/bin/\(cmd[0])\",\"cmdline\":\"\(cmd.joined(separator: " "))\",\"cwd\":\"/home/alice/src\",\"uid\":\"1000\",\"parent\":\"1200\"}],\"action\":\"snapshot\",\"name\":\"processes\",\"hostIdentifier\":\"\(host)\",\"calendarTime\":\"Mon Nov 23 02:08:35 2026 UTC\",\"unixTime\":\(t),\"epoch\":0,\"counter\":0,\"numerics\":false}"
            }
            out.append(Array(line.utf8))
        }
        return out
    }
}

private extension String {
    /// XML-escapes `&`, `<`, `>` (command lines inside Sysmon's `<Data>`).
    func replacingAmpersands() -> String {
        var out = ""
        for ch in self {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            default: out.append(ch)
            }
        }
        return out
    }
}

extension ParsersBGenerators {
    /// The per-record shape of sluice-bench's generators: a closure that appends record
    /// `index` of `format`'s stream (made in blocks of `block` records with `seed`; header
    /// lines start every block, which the parsers simply re-read). Plug into
    /// `Generators.byName` as e.g.
    /// `"squid": { let g = ParsersBGenerators.perRecord("squid"); return { _, i, out in g(i, &out) } }()`.
    static func perRecord(_ format: String, seed: UInt64 = 7, block: Int = 100_000) -> (Int, inout [UInt8]) -> Void {
        final class Cache { var index = -1; var records: [[UInt8]] = [] }
        let cache = Cache()
        return { i, out in
            let b = i / block
            if b != cache.index {
                cache.records = generate(format: format, count: block, seed: seed &+ UInt64(b))
                cache.index = b
            }
            guard !cache.records.isEmpty else { return }
            out.append(contentsOf: cache.records[i % cache.records.count])
        }
    }
}
