/// The namespace a repository lives in, as `host/owner` (`github.com/acme`) or
/// `host/group/subgroup` (GitLab), read from what logs carry: GitHub's `repo` (`acme/widgets`),
/// a repository URL (`https://github.com/acme/widgets.git/info/refs?service=git-upload-pack`,
/// `https://api.github.com/repos/acme/widgets/zipball/main`), git's scp-like form
/// (`git@github.com:acme/widgets.git`) and `ssh://` URLs.
///
/// The namespace is lower case, without `www.`, with service sub-hosts folded into the host
/// repositories are named on (`api.github.com`, `codeload.github.com` → `github.com`).
public enum RepoNamespace {
    /// First path segments of github.com that are site pages, not owners.
    static let githubReserved: Set<String> = [
        "login", "logout", "settings", "orgs", "organizations", "marketplace", "features", "notifications",
        "sessions", "session", "search", "explore", "topics", "sponsors", "about", "pricing", "enterprise", "apps",
        "site", "security", "contact", "new", "codespaces", "copilot", "pulls", "issues", "dashboard", "users",
        "account", "assets", "join", "signup", "password_reset", "collections", "trending", "readme", "team",
        "customer-stories", "favicon.ico", "robots.txt", "manifest.json", ".well-known", "_private",
    ]

    /// `owner/repo` of GitHub's audit `repo` field on `host`.
    public static func fromGitHubRepo(_ repo: String, host: String) -> String? {
        var repo = repo
        let h = host.lowercased()
        return repo.withUTF8 { fromGitHubRepo(bytes: $0, lowercasedHost: h) }
    }

    /// `fromGitHubRepo` over the bytes of `repo` (a span of the record, no `String` made for
    /// it), with `host` already in lower case: `host/owner`, the owner being the first
    /// non-empty `/`-separated segment, when a second one follows; nil otherwise.
    public static func fromGitHubRepo(bytes b: UnsafeBufferPointer<UInt8>, lowercasedHost host: String) -> String? {
        guard let r = gitHubOwner(bytes: b) else { return nil }
        let owner = UnsafeBufferPointer(rebasing: b[r])
        guard !owner.contains(where: { $0 >= 0x80 }) else { return host + "/" + String(decoding: owner, as: UTF8.self).lowercased() }
        let hb = host.utf8
        return String(unsafeUninitializedCapacity: hb.count + 1 + owner.count) { out in
            var k = 0
            for c in hb { out[k] = c; k += 1 }
            out[k] = 0x2F; k += 1
            for c in owner { out[k] = c >= 0x41 && c <= 0x5A ? c | 0x20 : c; k += 1 }
            return k
        }
    }

    /// Where the owner lies in GitHub's `repo` bytes: the first non-empty `/`-separated
    /// segment, when a second one follows (the namespace is `host/` + the owner in lower
    /// case); nil otherwise.
    public static func gitHubOwner(bytes b: UnsafeBufferPointer<UInt8>) -> Range<Int>? {
        let n = b.count
        var i = 0
        while i < n && b[i] == 0x2F { i += 1 }
        let start = i
        while i < n && b[i] != 0x2F { i += 1 }
        let end = i
        while i < n && b[i] == 0x2F { i += 1 }
        guard end > start, i < n else { return nil }
        return start..<end
    }

    /// The namespace of a URL (`scheme://` or scp-like) in `b[r]`, given the service of its
    /// host (`family` decides how the path names a repository). Nil when the path names no
    /// repository.
    public static func fromURL(_ b: UnsafeBufferPointer<UInt8>, _ u: URLParts, service: RepoServiceCatalog.Service?) -> String? {
        var host = String(decoding: UnsafeBufferPointer(rebasing: b[u.host]), as: UTF8.self).lowercased()
        if host.hasSuffix(".") { host.removeLast() }
        if host.hasPrefix("www.") { host.removeFirst(4) }
        let family = service?.family ?? .gitlab
        if family == .none { return nil }
        if let c = service?.canonicalHost { host = c }
        var segs: [String] = []
        let s = Bytes.segments(b, u.path)
        for i in 0..<s.count {
            segs.append(String(decoding: UnsafeBufferPointer(rebasing: b[s[i]]), as: UTF8.self))
        }
        return namespace(host: host, segments: segs, family: family)
    }

    static func namespace(host: String, segments raw: [String], family: RepoServiceCatalog.Family) -> String? {
        var segs = raw.map { $0.removingPercentEncodingLite() }
        switch family {
        case .none: return nil
        case .github, .bitbucket:
            // API forms: /repos/{owner}/{repo}/… (GitHub), /2.0/repositories/{ws}/{repo} (Bitbucket).
            if segs.first == "repos" { segs.removeFirst() }
            if segs.count >= 2, segs[0] == "2.0", segs[1] == "repositories" { segs.removeFirst(2) }
            guard segs.count >= 2 else { return nil }
            let owner = segs[0].lowercased()
            if host == "github.com", githubReserved.contains(owner) { return nil }
            return host + "/" + owner
        case .azure:
            // dev.azure.com/{org}/{project}/_git/{repo}; ssh.dev.azure.com:v3/{org}/{project}/{repo};
            // {org}.visualstudio.com/{project}/_git/{repo}.
            if segs.first == "v3" { segs.removeFirst(); guard segs.count >= 3 else { return nil }; return host + "/" + segs[0].lowercased() + "/" + segs[1].lowercased() }
            if let git = segs.firstIndex(of: "_git"), git >= 1 {
                return host + "/" + segs[..<git].map { $0.lowercased() }.joined(separator: "/")
            }
            return nil
        case .gitlab:
            // GitLab API: /api/v4/projects/{url-encoded path or id}/…
            if segs.count >= 4, segs[0] == "api", segs[1] == "v4", segs[2] == "projects" {
                let p = segs[3].split(separator: "/").map(String.init)
                guard p.count >= 2 else { return nil }
                return host + "/" + p.dropLast().map { $0.lowercased() }.joined(separator: "/")
            }
            // Hugging Face: /datasets/{owner}/{name}, /spaces/{owner}/{name}.
            if host == "huggingface.co", let f = segs.first, f == "datasets" || f == "spaces" { segs.removeFirst() }
            var repo: [String] = []
            for seg in segs {
                if seg == "-" || seg == "info" || seg == "git-upload-pack" || seg == "git-receive-pack" || seg == "_git" { break }
                if seg.lowercased().hasSuffix(".git") { repo.append(String(seg.dropLast(4))); break }
                repo.append(seg)
            }
            guard repo.count >= 2 else { return nil }
            return host + "/" + repo.dropLast().map { $0.lowercased() }.joined(separator: "/")
        }
    }

    /// Whether `namespace` is covered by one of `sanctioned` (lower-case entries without a
    /// scheme or trailing `/`): equal to an entry, or below it at a `/` boundary. So
    /// `github.com/acme` covers `github.com/acme` only (GitHub has one owner level) and never
    /// `github.com/acme-x`; `gitlab.com/acme-group` covers its subgroups; a bare host covers
    /// every repository on it.
    public static func isSanctioned(_ namespace: String, by sanctioned: [String]) -> Bool {
        for e in sanctioned {
            if namespace == e { return true }
            if namespace.count > e.count, namespace.hasPrefix(e), namespace.utf8[namespace.utf8.index(namespace.utf8.startIndex, offsetBy: e.utf8.count)] == UInt8(ascii: "/") {
                return true
            }
        }
        return false
    }

    /// A sanctioned entry as written by the operator, normalized (`https://GitHub.com/Acme/` →
    /// `github.com/acme`); nil when empty.
    public static func normalizeEntry(_ s: String) -> String? {
        var e = s.trimmingCharactersLite().lowercased()
        for p in ["https://", "http://", "ssh://", "git://"] where e.hasPrefix(p) { e.removeFirst(p.count) }
        if e.hasPrefix("www.") { e.removeFirst(4) }
        while e.hasSuffix("/") { e.removeLast() }
        if e.hasSuffix(".git") { e.removeLast(4) }
        return e.isEmpty ? nil : e
    }
}

/// Finds the repository URLs in a command line: the arguments of `git push`, `git clone`,
/// `git fetch`, `git pull`, `git remote add|set-url` and `git submodule add` that are URLs
/// (`https://`, `http://`, `ssh://`, `git://`) or git's scp-like `user@host:path`.
public enum GitCommandLine {
    static let subcommands: Set<String> = ["push", "clone", "fetch", "pull", "remote", "submodule", "ls-remote"]

    /// Calls `body` with each repository URL found (as a range of `b`).
    public static func forEachRepoURL(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>, _ body: (Range<Int>) -> Void) {
        // Cheap test first: most command lines are not git.
        guard Bytes.find("git", in: b, r) != nil else { return }
        var tokens: [Range<Int>] = []
        var i = r.lowerBound
        while i < r.upperBound, tokens.count < 256 {
            while i < r.upperBound, b[i] == 0x20 || b[i] == 0x09 { i += 1 }
            guard i < r.upperBound else { break }
            var quote: UInt8 = 0
            if b[i] == UInt8(ascii: "\"") || b[i] == UInt8(ascii: "'") { quote = b[i]; i += 1 }
            let s = i
            while i < r.upperBound {
                if quote != 0 { if b[i] == quote { break } } else if b[i] == 0x20 || b[i] == 0x09 || b[i] == UInt8(ascii: ";") || b[i] == UInt8(ascii: "&") || b[i] == UInt8(ascii: "|") { break }
                i += 1
            }
            tokens.append(s..<i)
            if i < r.upperBound { i += 1 }
        }
        var k = 0
        while k < tokens.count {
            let t = tokens[k]
            // `git` or a path ending in `/git`.
            guard isGit(b, t) else { k += 1; continue }
            k += 1
            // Global options (`-C dir`, `-c key=value`, `--git-dir=…`).
            while k < tokens.count, b[tokens[k].lowerBound] == UInt8(ascii: "-") {
                if Bytes.equals(b, tokens[k], "-C") || Bytes.equals(b, tokens[k], "-c") { k += 1 }
                k += 1
            }
            guard k < tokens.count else { return }
            let sub = String(decoding: UnsafeBufferPointer(rebasing: b[tokens[k]]), as: UTF8.self)
            guard subcommands.contains(sub) else { continue }
            k += 1
            while k < tokens.count {
                let a = tokens[k]
                if isGit(b, a) { break }
                if URLParts.parse(b, a) != nil || URLParts.parseSCPLike(b, a) != nil { body(a) }
                k += 1
            }
        }
    }

    static func isGit(_ b: UnsafeBufferPointer<UInt8>, _ t: Range<Int>) -> Bool {
        if Bytes.equals(b, t, "git") || Bytes.equals(b, t, "git.exe") { return true }
        return Bytes.hasSuffixFolded(b, t, "/git")
    }
}

extension String {
    /// Decodes `%XX` escapes (for GitLab's url-encoded project paths); invalid escapes stay.
    func removingPercentEncodingLite() -> String {
        guard contains("%") else { return self }
        var out: [UInt8] = []
        let u = Array(utf8)
        var i = 0
        while i < u.count {
            if u[i] == UInt8(ascii: "%"), i + 2 < u.count,
               let h = IPAddress.hexValue(u[i + 1]), let l = IPAddress.hexValue(u[i + 2]) {
                out.append(UInt8(h << 4 | l)); i += 3
            } else { out.append(u[i]); i += 1 }
        }
        return String(decoding: out, as: UTF8.self)
    }

    func trimmingCharactersLite() -> String { trimmedLite() }

    /// Without leading and trailing spaces and tabs (on UTF-8, without Foundation).
    func trimmedLite() -> String {
        let u = utf8
        guard let f = u.first, let l = u.last else { return self }
        if f != 0x20, f != 0x09, l != 0x20, l != 0x09 { return self }
        var lo = u.startIndex, hi = u.endIndex
        while lo < hi, u[lo] == 0x20 || u[lo] == 0x09 { lo = u.index(after: lo) }
        while hi > lo, u[u.index(before: hi)] == 0x20 || u[u.index(before: hi)] == 0x09 { hi = u.index(before: hi) }
        return String(Substring(u[lo..<hi]))
    }
}
