/// Which code-repository service a host belongs to, the kind of endpoint it is, and how its
/// URL paths name repositories: the built-in catalog plus the operator's own hosts.
///
/// Host patterns: `github.com` (exactly that host), `*.github.com` (every subdomain, not the
/// domain itself) and a `*` label in the middle (`git-codecommit.*.amazonaws.com`: exactly
/// one label there). Matching is on whole labels, so `evilgithub.com` and
/// `github.com.evil.example` are not GitHub. A more specific pattern wins: exact hosts over
/// `*.` suffixes (longest first) over middle wildcards. A trailing dot and case are ignored.
///
/// Guarantees: immutable after `init`; `lookup` allocates nothing.
public final class RepoServiceCatalog: Sendable {
    /// How a service's URL paths name a repository (`RepoNamespace`).
    public enum Family: String, Sendable, CaseIterable {
        /// `/{owner}/{repo}/…` (GitHub and look-alikes: one owner level).
        case github
        /// `/{group}/{subgroup…}/{project}[.git][/-/…]` (GitLab, Gitea, self-hosted).
        case gitlab
        /// `/{workspace}/{repo}/…` (Bitbucket).
        case bitbucket
        /// `/{org}/{project}/_git/{repo}` (Azure DevOps).
        case azure
        /// A host without repository paths (paste sites, registries).
        case none
    }

    /// The kind of endpoint (`sluice.repo_service.endpoint`).
    public enum Endpoint: String, Sendable, CaseIterable { case web, api, git, upload, archive, raw }

    public struct Service: Sendable, Equatable {
        public let name: String
        public let endpoint: Endpoint
        public let family: Family
        /// The host repository namespaces are written with (`api.github.com` → `github.com`);
        /// nil: the host itself.
        public let canonicalHost: String?
        public init(name: String, endpoint: Endpoint, family: Family, canonicalHost: String? = nil) {
            self.name = name; self.endpoint = endpoint; self.family = family; self.canonicalHost = canonicalHost
        }
    }

    /// A host pattern and its service.
    public struct Rule: Sendable {
        public let pattern: String
        public let service: Service
        public init(_ pattern: String, _ service: Service) { self.pattern = pattern.lowercased(); self.service = service }
        public init(_ pattern: String, _ name: String, _ endpoint: Endpoint, _ family: Family, canonical: String? = nil) {
            self.init(pattern, Service(name: name, endpoint: endpoint, family: family, canonicalHost: canonical))
        }
    }

    /// The built-in catalog (README "Enrichment" lists it).
    public static let builtin: [Rule] = [
        Rule("github.com", "github", .web, .github),
        Rule("*.github.com", "github", .web, .github, canonical: "github.com"),
        Rule("api.github.com", "github", .api, .github, canonical: "github.com"),
        Rule("codeload.github.com", "github", .archive, .github, canonical: "github.com"),
        Rule("uploads.github.com", "github", .upload, .github, canonical: "github.com"),
        Rule("ssh.github.com", "github", .git, .github, canonical: "github.com"),
        Rule("gist.github.com", "github", .web, .github),
        Rule("*.githubusercontent.com", "github", .raw, .github, canonical: "github.com"),
        Rule("objects.githubusercontent.com", "github", .raw, .none),
        Rule("gist.githubusercontent.com", "github", .raw, .github, canonical: "gist.github.com"),
        Rule("gitlab.com", "gitlab", .web, .gitlab),
        Rule("registry.gitlab.com", "gitlab", .api, .none),
        Rule("bitbucket.org", "bitbucket", .web, .bitbucket),
        Rule("api.bitbucket.org", "bitbucket", .api, .bitbucket, canonical: "bitbucket.org"),
        Rule("altssh.bitbucket.org", "bitbucket", .git, .bitbucket, canonical: "bitbucket.org"),
        Rule("bbuseruploads.s3.amazonaws.com", "bitbucket", .upload, .none),
        Rule("dev.azure.com", "azure_devops", .web, .azure),
        Rule("ssh.dev.azure.com", "azure_devops", .git, .azure, canonical: "dev.azure.com"),
        Rule("*.visualstudio.com", "azure_devops", .web, .azure),
        Rule("vs-ssh.visualstudio.com", "azure_devops", .git, .azure),
        Rule("git-codecommit.*.amazonaws.com", "aws_codecommit", .git, .gitlab),
        Rule("git-codecommit-fips.*.amazonaws.com", "aws_codecommit", .git, .gitlab),
        Rule("gitee.com", "gitee", .web, .github),
        Rule("*.gitee.com", "gitee", .web, .github, canonical: "gitee.com"),
        Rule("codeberg.org", "codeberg", .web, .gitlab),
        Rule("sourceforge.net", "sourceforge", .web, .none),
        Rule("*.sourceforge.net", "sourceforge", .web, .none),
        Rule("*.code.sf.net", "sourceforge", .git, .gitlab),
        Rule("sr.ht", "sourcehut", .web, .none),
        Rule("git.sr.ht", "sourcehut", .git, .github),
        Rule("*.sr.ht", "sourcehut", .web, .none),
        Rule("gitea.com", "gitea", .web, .gitlab),
        Rule("huggingface.co", "huggingface", .web, .gitlab),
        Rule("*.huggingface.co", "huggingface", .raw, .none),
        Rule("hf.co", "huggingface", .web, .gitlab, canonical: "huggingface.co"),
        Rule("pastebin.com", "pastebin", .upload, .none),
        Rule("paste.ee", "paste_ee", .upload, .none),
        Rule("dpaste.org", "dpaste", .upload, .none),
        Rule("dpaste.com", "dpaste", .upload, .none),
        Rule("hastebin.com", "hastebin", .upload, .none),
        Rule("rentry.co", "rentry", .upload, .none),
        Rule("paste.rs", "paste_rs", .upload, .none),
        Rule("ghostbin.site", "ghostbin", .upload, .none),
    ]

    let services: [Service]
    let exact: NameStore
    let exactService: [Int]
    let suffix: NameStore
    let suffixService: [Int]
    /// Middle-wildcard patterns: the labels before and after the `*` label.
    let middle: [(before: [UInt8], after: [UInt8], service: Int)]
    public let rules: [Rule]

    /// `rules` later in the list replace earlier ones with the same pattern (so the operator's
    /// rules override built-in ones).
    public init(rules: [Rule]) {
        self.rules = rules
        var services: [Service] = []
        var exact = NameStore(), exactService: [Int] = []
        var suffix = NameStore(), suffixService: [Int] = []
        var middle: [(before: [UInt8], after: [UInt8], service: Int)] = []
        for rule in rules {
            services.append(rule.service)
            let s = services.count - 1
            var p = rule.pattern
            if p.hasSuffix(".") { p.removeLast() }
            if p.hasPrefix("*.") {
                let id = Int(suffix.add(String(p.dropFirst(2))))
                if id == suffixService.count { suffixService.append(s) } else { suffixService[id] = s }
            } else if let star = p.range(of: ".*.") {
                let before = Array(p[..<star.lowerBound].utf8) + [UInt8(ascii: ".")]
                let after = [UInt8(ascii: ".")] + Array(p[star.upperBound...].utf8)
                middle.removeAll { $0.before == before && $0.after == after }
                middle.append((before, after, s))
            } else {
                let id = Int(exact.add(p))
                if id == exactService.count { exactService.append(s) } else { exactService[id] = s }
            }
        }
        self.services = services; self.exact = exact; self.exactService = exactService
        self.suffix = suffix; self.suffixService = suffixService; self.middle = middle
    }

    public static let shared = RepoServiceCatalog(rules: builtin)

    /// The service of the host `b[r]` (any case, a trailing dot or `:port` ignored), or nil.
    public func lookup(_ b: UnsafeBufferPointer<UInt8>, _ r0: Range<Int>) -> Service? {
        var r = r0
        // Strip `:port` (not for an IPv6 literal, which is no service host anyway).
        var k = r.upperBound
        while k > r.lowerBound, b[k - 1] &- 48 < 10 { k -= 1 }
        if k > r.lowerBound, k < r.upperBound, b[k - 1] == UInt8(ascii: ":") { r = r.lowerBound..<(k - 1) }
        if r.count > 1, b[r.upperBound - 1] == UInt8(ascii: ".") { r = r.lowerBound..<(r.upperBound - 1) }
        guard !r.isEmpty, r.count <= 253 else { return nil }
        var found: Int?
        NameHash.forEachSuffix(b, r) { start, h in
            let sr = start..<r.upperBound
            if start == r.lowerBound {
                if let id = exact.find(b, sr, hash: h) { found = exactService[Int(id)]; return false }
                return true
            }
            // A `*.x` rule covers the subdomains of x: the walk goes shortest suffix first, so
            // keep walking and let a longer suffix replace a shorter one.
            if let id = suffix.find(b, sr, hash: h) { found = suffixService[Int(id)] }
            return true
        }
        if let found { return services[found] }
        for m in middle where matchesMiddle(b, r, m.before, m.after) { return services[m.service] }
        return nil
    }

    public func lookup(_ host: String) -> Service? {
        var h = host
        return h.withUTF8 { lookup($0, 0..<$0.count) }
    }

    /// `before` + one label + `after`, ignoring case.
    private func matchesMiddle(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>, _ before: [UInt8], _ after: [UInt8]) -> Bool {
        guard r.count > before.count + after.count else { return false }
        for (k, c) in before.enumerated() where NameHash.fold(b[r.lowerBound + k]) != c { return false }
        let tail = r.upperBound - after.count
        for (k, c) in after.enumerated() where NameHash.fold(b[tail + k]) != c { return false }
        for k in (r.lowerBound + before.count)..<tail where b[k] == UInt8(ascii: ".") { return false }
        return true
    }
}
