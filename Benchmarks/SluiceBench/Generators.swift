/// A small deterministic random generator (SplitMix64) for the workload generators: the
/// same seed gives the same sequence on every platform.
public struct BenchRNG {
    var state: UInt64
    public init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }
    /// SplitMix64.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    public mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    public mutating func pick<T>(_ a: [T]) -> T { a[below(a.count)] }
}

/// Deterministic generators of realistic log records for benchmarks and end-to-end tests.
///
/// Same seed → same bytes, on every platform. Each generator appends one record (no
/// trailing newline) to `out`. Values follow the vendors' documented formats.
public enum Generators {
    static let base: Int64 = 1_763_856_000_000   // 2025-11-23T00:00:00Z in ms
    static let actors = (0..<500).map { "dev-\($0)" } + ["github-actions[bot]", "dependabot[bot]", "ci-deployer", ""]
    static let orgs = ["acme", "acme-internal", "acme-labs"]
    static let accessTypes = ["Personal access token (classic)", "Fine-grained personal access token", "OAuth access token",
                              "GitHub App server-to-server token", "GitHub App user-to-server token", ""]
    static let agents = ["git/2.43.0", "git/2.39.3 (Apple Git-146)", "go-git/5.x", "JGit/6.7.0", "GitHub Desktop/3.3.6", "curl/8.5.0"]
    static let hosts = (0..<64).map { "host-\($0).corp.example" }
    static let apps = ["sshd", "sudo", "CRON", "systemd", "kernel", "postfix/smtpd", "nginx", "dockerd"]
    static let base64 = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    @inline(__always) static func s(_ out: inout [UInt8], _ t: String) { out.append(contentsOf: t.utf8) }
    static func num(_ out: inout [UInt8], _ v: Int, width: Int = 0) {
        var d: [UInt8] = []
        var x = v
        repeat { d.append(UInt8(48 + x % 10)); x /= 10 } while x > 0
        while d.count < width { d.append(48) }
        out.append(contentsOf: d.reversed())
    }
    static func ip(_ out: inout [UInt8], _ r: inout BenchRNG, publicIP: Bool) {
        if publicIP { num(&out, [203, 198, 45, 81, 140][r.below(5)]) } else { s(&out, "10") }
        for _ in 0..<3 { out.append(0x2E); num(&out, r.below(254) + 1) }
    }

    /// One GitHub enterprise audit-log event (streamed / exported JSON, one object per line).
    public static func githubAudit(_ r: inout BenchRNG, index: Int, into out: inout [UInt8]) {
        let roll = r.below(100)
        let action = roll < 40 ? "git.clone" : roll < 70 ? "git.fetch" : roll < 80 ? "git.push"
            : r.pick(["repo.access", "org.update_member", "personal_access_token.access_granted", "repo.create", "protected_branch.update"])
        let org = r.pick(orgs)
        let repo = "\(org)/service-\(r.below(2000))"
        let access = action.hasPrefix("git.") ? r.pick(accessTypes) : ""
        let ssh = access.isEmpty && action.hasPrefix("git.") && r.below(2) == 0
        s(&out, #"{"@timestamp":"#); num(&out, Int(base) + index * 37 + r.below(30))
        s(&out, #","_document_id":""#); for _ in 0..<22 { out.append(base64[r.below(64)]) }; s(&out, #"==","action":""#); s(&out, action)
        s(&out, #"","actor":""#); s(&out, ssh ? "" : r.pick(actors)); s(&out, #"","actor_id":"#); num(&out, 1_000_000 + r.below(9_000_000))
        if r.below(10) < 8 { s(&out, #","actor_ip":""#); ip(&out, &r, publicIP: true); out.append(0x22) }
        s(&out, #","actor_location":{"country_code":""#); s(&out, r.pick(["US", "NL", "DE", "GB", "IN", "BR"]))
        s(&out, #""},"business":"acme-corp","business_id":3082,"external_identity_nameid":"dev@acme.example""#)
        if !access.isEmpty {
            s(&out, #","hashed_token":""#); for _ in 0..<43 { out.append(base64[r.below(64)]) }; s(&out, #"=""#)
        }
        s(&out, #","org":""#); s(&out, org); s(&out, #"","org_id":86825428"#)
        if !access.isEmpty { s(&out, #","programmatic_access_type":""#); s(&out, access); out.append(0x22) }
        s(&out, #","repo":""#); s(&out, repo); s(&out, #"","repository":""#); s(&out, repo)
        s(&out, #"","repository_public":"#); s(&out, r.below(10) == 0 ? "true" : "false")
        s(&out, #","token_id":"#); num(&out, access.isEmpty ? 0 : r.below(5_000_000))
        if access.hasPrefix("Personal access token") { s(&out, #","token_scopes":"repo,read:org,workflow""#) }
        s(&out, #","transport_protocol":"#); s(&out, ssh ? "2" : "1")
        s(&out, #","transport_protocol_name":""#); s(&out, ssh ? "ssh" : "http")
        s(&out, #"","user":"","user_agent":""#); s(&out, r.pick(agents)); s(&out, #"","user_id":0}"#)
    }

    static func isoStamp(_ out: inout [UInt8], _ index: Int, _ r: inout BenchRNG) {
        let secs = index / 20
        let days = secs / 86400, rem = secs % 86400
        // 2025-11-23 + days (kept within the month for simplicity of the generator).
        s(&out, "2025-11-"); num(&out, 23 + days % 7, width: 2); out.append(0x54)
        num(&out, rem / 3600, width: 2); out.append(0x3A); num(&out, rem % 3600 / 60, width: 2); out.append(0x3A)
        num(&out, rem % 60, width: 2); out.append(0x2E); num(&out, r.below(1_000_000), width: 6)
        s(&out, r.below(4) == 0 ? "+01:00" : "Z")
    }

    /// One RFC 5424 syslog line; half carry structured data.
    public static func syslog5424(_ r: inout BenchRNG, index: Int, into out: inout [UInt8]) {
        out.append(0x3C); num(&out, r.below(192)); s(&out, ">1 ")
        isoStamp(&out, index, &r); out.append(0x20)
        s(&out, r.pick(hosts)); out.append(0x20); s(&out, r.pick(apps)); out.append(0x20)
        num(&out, 100 + r.below(60000)); out.append(0x20)
        s(&out, r.below(3) == 0 ? "-" : "ID47"); out.append(0x20)
        if r.below(2) == 0 {
            s(&out, #"[meta@32473 sequenceId=""#); num(&out, index); s(&out, #"" sysUpTime=""#); num(&out, r.below(100000))
            s(&out, #""][origin ip=""#); ip(&out, &r, publicIP: false); s(&out, #""]"#)
        } else { out.append(0x2D) }
        s(&out, " Accepted publickey for dev-"); num(&out, r.below(500)); s(&out, " from "); ip(&out, &r, publicIP: false)
        s(&out, " port "); num(&out, 1024 + r.below(60000)); s(&out, " ssh2")
    }

    /// One RFC 3164 (BSD) syslog line as a Linux host sends it.
    public static func syslog3164(_ r: inout BenchRNG, index: Int, into out: inout [UInt8]) {
        out.append(0x3C); num(&out, r.below(192)); out.append(0x3E)
        let secs = index / 20
        s(&out, "Nov "); let day = 1 + (secs / 86400) % 28; if day < 10 { out.append(0x20) }; num(&out, day); out.append(0x20)
        num(&out, secs % 86400 / 3600, width: 2); out.append(0x3A); num(&out, secs % 3600 / 60, width: 2); out.append(0x3A)
        num(&out, secs % 60, width: 2); out.append(0x20)
        s(&out, r.pick(hosts)); out.append(0x20); s(&out, r.pick(apps)); out.append(0x5B); num(&out, 100 + r.below(60000))
        s(&out, "]: pam_unix(sshd:session): session opened for user dev-"); num(&out, r.below(500)); s(&out, "(uid=1000) by (uid=0)")
    }

    /// One CEF record as a web proxy (Zscaler NSS style) sends it over syslog.
    public static func cef(_ r: inout BenchRNG, index: Int, into out: inout [UInt8]) {
        s(&out, "<134>Nov 23 02:08:"); num(&out, index % 60, width: 2); s(&out, " nss01 CEF:0|Zscaler|NSSWeblog|5.7|")
        let allowed = r.below(10) > 0
        s(&out, allowed ? "Allowed|None|3|act=Allowed reason=Allowed" : "Blocked|Malicious Content|8|act=Blocked reason=Blocked")
        s(&out, " app=HTTPS dhost="); let dom = r.pick(["github.com", "api.github.com", "gitlab.com", "bitbucket.org", "pastebin.com"]); s(&out, dom)
        s(&out, " dst="); ip(&out, &r, publicIP: true); s(&out, " src="); ip(&out, &r, publicIP: false)
        s(&out, " spt="); num(&out, 1024 + r.below(60000)); s(&out, " dpt=443 in="); num(&out, r.below(100000))
        s(&out, " out="); num(&out, r.below(50_000_000)); s(&out, " request=https://"); s(&out, dom); s(&out, "/acme/service-"); num(&out, r.below(2000))
        s(&out, ".git/git-upload-pack requestClientApplication="); s(&out, r.pick(agents)); s(&out, " requestMethod=POST suser=dev-")
        num(&out, r.below(500)); s(&out, "@acme.example cs1=Engineering cs1Label=dept cs2=Web Hosting cs2Label=urlcat rt=")
        num(&out, Int(base) + index * 37)
    }

    /// A mixed stream for `auto`: 5424, 3164, CEF and GitHub audit JSON in turn.
    public static func mixed(_ r: inout BenchRNG, index: Int, into out: inout [UInt8]) {
        switch index & 3 {
        case 0: syslog5424(&r, index: index, into: &out)
        case 1: syslog3164(&r, index: index, into: &out)
        case 2: cef(&r, index: index, into: &out)
        default: githubAudit(&r, index: index, into: &out)
        }
    }

    public typealias Generator = (inout BenchRNG, Int, inout [UInt8]) -> Void

    /// Generators by name (for `sluice-bench generate NAME N`); fresh ones on each call (the
    /// per-record generators keep a cache).
    public static var byName: [String: Generator] { [
        "github-audit": { githubAudit(&$0, index: $1, into: &$2) },
        "syslog-5424": { syslog5424(&$0, index: $1, into: &$2) },
        "syslog-3164": { syslog3164(&$0, index: $1, into: &$2) },
        "cef": { cef(&$0, index: $1, into: &$2) },
        "mixed": { mixed(&$0, index: $1, into: &$2) },
    ].merging(ParsersBGenerators.formats.map { f -> (String, Generator) in
        let g = ParsersBGenerators.perRecord(f)
        return (f, { _, i, out in g(i, &out) })
    }) { a, _ in a } }
}
