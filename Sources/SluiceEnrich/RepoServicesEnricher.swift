import SluiceCore

/// `repo_services`: names the code-repository service an event talks to, the kind of
/// endpoint, and what the request does.
///
/// Writes `sluice.repo_service.name` (`github`, `gitlab`, `bitbucket`, `azure_devops`,
/// `aws_codecommit`, …), `sluice.repo_service.endpoint` (`web`, `api`, `git`, `upload`,
/// `archive`, `raw`) and, when the URL path says so, `sluice.repo_service.operation`:
/// `push` (`…/git-receive-pack`, `info/refs?service=git-receive-pack`), `clone`
/// (`…/git-upload-pack`), `upload` (GitHub contents API with PUT, release asset uploads,
/// gist creation, GitLab project uploads and repository files with POST/PUT) or
/// `archive_download` (`codeload.github.com/*/*/(zip|tar.gz)/…`, `/zipball`, `/tarball`,
/// `…/archive/…`, GitLab `/-/archive/` and `repository/archive`).
///
/// The host comes from `url.full` (with its path), else `url.domain`, `destination.domain`
/// (a proxy's CONNECT host) or `dns.question.name`. Host rules are exact on labels
/// (`RepoServiceCatalog`): `evilgithub.com` and `github.com.evil.example` are not GitHub.
///
/// Options: `services` (extra or overriding rules: a list of `{name, hosts, endpoint, family}`;
/// `family` is how paths name repositories: github|gitlab|bitbucket|azure|none, default
/// gitlab), `builtin` (default true: start from the built-in catalog). Reads no file.
public final class RepoServicesEnricher: MovingTransform, Sendable {
    public let catalog: RepoServiceCatalog

    enum Keys {
        static let name = FieldKey("sluice.repo_service.name")
        static let endpoint = FieldKey("sluice.repo_service.endpoint")
        static let operation = FieldKey("sluice.repo_service.operation")
        static let method = ECS.httpMethod
    }
    let urlFull = ECS.urlFull
    let hostKeys = [ECS.urlDomain, ECS.destinationDomain, ECS.dnsQuestionName]
    /// The keys `enrich` reads as a filter (`FieldKey.filterBit`): one pass over an event's
    /// fields skips every other field with one test.
    let readFilter: UInt64
    /// Constant values, built once.
    let endpointValues: [RepoServiceCatalog.Endpoint: FieldValue]
    let operationValues: [RepoOperation: FieldValue]

    public init(catalog: RepoServiceCatalog = .shared) {
        self.catalog = catalog
        readFilter = ([Keys.method, ECS.urlFull] + hostKeys).reduce(0) { $0 | $1.filterBit }
        var e: [RepoServiceCatalog.Endpoint: FieldValue] = [:]
        for x in RepoServiceCatalog.Endpoint.allCases { e[x] = .string(x.rawValue) }
        endpointValues = e
        var o: [RepoOperation: FieldValue] = [:]
        for x in RepoOperation.allCases { o[x] = .string(x.rawValue) }
        operationValues = o
    }

    public convenience init(options o: ComponentOptions, context: BuildContext) {
        var rules = o.bool("builtin", default: true) ? RepoServiceCatalog.builtin : []
        if let node = o.node("services"), let items = node.items {
            for item in items {
                let s = ComponentOptions(component: o.component, node: item)
                let name = s.requiredString("name")
                let hosts = s.stringList("hosts") ?? []
                if hosts.isEmpty { s.fail("a service needs 'hosts'") }
                let endpoint = s.choice("endpoint", default: RepoServiceCatalog.Endpoint.web)
                let family = s.choice("family", default: RepoServiceCatalog.Family.gitlab)
                for h in hosts { rules.append(.init(h, name, endpoint, family)) }
                s.finish(); o.merge(s)
            }
        } else if o.has("services") {
            o.fail("'services' must be a list of {name, hosts, endpoint, family}", at: "services")
        }
        self.init(catalog: RepoServiceCatalog(rules: rules))
    }

    /// `process` on a batch handed over: each event is moved out, so classifying it does not
    /// copy its fields (the batch no longer shares them).
    public func process(taking events: inout [Event], into output: inout [Event], failures: inout [DeadLetter]) {
        events.moveEach(into: &output) { e in enrich(&e) }
    }

    public func enrich(_ e: inout Event) {
        var service: RepoServiceCatalog.Service?
        var endpoint: RepoServiceCatalog.Endpoint?
        var operation: RepoOperation?
        var method = RepoOperation.Method.unknown
        let at = positions(e)
        guard at.any else { return }   // none of the keys (a GitHub audit record, for one)
        EventText.first(e, at: at.method) { b in method = RepoOperation.Method(b) }
        EventText.first(e, at: at.url) { b in
            guard let u = URLParts.parse(b, 0..<b.count), let s = catalog.lookup(b, u.host) else { return }
            service = s
            (endpoint, operation) = RepoOperation.classify(b, u, service: s, method: method)
        }
        if service == nil {
            for p in [at.host0, at.host1, at.host2] {
                EventText.first(e, at: p) { b in if let s = catalog.lookup(b, 0..<b.count) { service = s } }
                if service != nil { break }
            }
        }
        guard let service else { return }
        e[Keys.name] = .string(service.name)
        e[Keys.endpoint] = endpointValues[endpoint ?? service.endpoint]
        if let operation { e[Keys.operation] = operationValues[operation] }
    }
}

extension RepoServicesEnricher {
    /// Where the first field of each key `enrich` reads lies in an event (nil: absent).
    struct Positions {
        var method: Int?, url: Int?, host0: Int?, host1: Int?, host2: Int?
        var any: Bool { method != nil || url != nil || host0 != nil || host1 != nil || host2 != nil }
    }

    /// `Positions` of `e`, found in one pass over its fields (a pass a key cost five).
    func positions(_ e: Event) -> Positions {
        var p = Positions()
        let filter = readFilter
        let m = Keys.method, u = urlFull, h0 = hostKeys[0], h1 = hostKeys[1], h2 = hostKeys[2]
        e.fields.withUnsafeFields { fields in
            for i in fields.indices {
                let k = fields[i].key
                guard filter & k.filterBit != 0 else { continue }
                if k == m { if p.method == nil { p.method = i } }
                else if k == u { if p.url == nil { p.url = i } }
                else if k == h0 { if p.host0 == nil { p.host0 = i } }
                else if k == h1 { if p.host1 == nil { p.host1 = i } }
                else if k == h2 { if p.host2 == nil { p.host2 = i } }
            }
        }
        return p
    }
}

/// What a request to a repository service does, from its URL and method.
public enum RepoOperation: String, Sendable, CaseIterable {
    case push, upload, archive_download, clone

    public enum Method: Sendable {
        case get, put, post, patch, other, unknown
        init(_ b: UnsafeBufferPointer<UInt8>) {
            let r = 0..<b.count
            if Bytes.equalsFolded(b, r, "get") || Bytes.equalsFolded(b, r, "head") { self = .get }
            else if Bytes.equalsFolded(b, r, "put") { self = .put }
            else if Bytes.equalsFolded(b, r, "post") { self = .post }
            else if Bytes.equalsFolded(b, r, "patch") { self = .patch }
            else { self = .other }
        }
        /// A method that can send content (or an unknown one).
        var writes: Bool { self == .put || self == .post || self == .patch || self == .unknown }
    }

    /// The endpoint (when the path says more than the host) and the operation of a URL.
    public static func classify(_ b: UnsafeBufferPointer<UInt8>, _ u: URLParts, service: RepoServiceCatalog.Service,
                                method: Method) -> (RepoServiceCatalog.Endpoint?, RepoOperation?) {
        let p = u.path
        let segs = Bytes.segments(b, p)
        func seg(_ i: Int, _ s: StaticString) -> Bool { i < segs.count && Bytes.equalsFolded(b, segs[i], s) }
        func last(_ s: StaticString) -> Bool { segs.count > 0 && Bytes.equalsFolded(b, segs[segs.count - 1], s) }
        // Git smart HTTP, on any host.
        if last("git-receive-pack") { return (.git, .push) }
        if last("git-upload-pack") { return (.git, .clone) }
        if segs.count >= 2, last("refs"), Bytes.equalsFolded(b, segs[segs.count - 2], "info") {
            if Bytes.find("service=git-receive-pack", in: b, u.query) != nil { return (.git, .push) }
            return (.git, .clone)
        }
        let host = u.host
        if Bytes.equalsFolded(b, host, "codeload.github.com") {
            // /{owner}/{repo}/(zip|tar.gz|legacy.zip|legacy.tar.gz)/{ref}
            if seg(2, "zip") || seg(2, "tar.gz") || seg(2, "legacy.zip") || seg(2, "legacy.tar.gz") { return (.archive, .archive_download) }
            return (.archive, nil)
        }
        if Bytes.equalsFolded(b, host, "api.github.com") {
            if seg(0, "repos"), seg(3, "zipball") || seg(3, "tarball") { return (.archive, .archive_download) }
            if seg(0, "repos"), seg(3, "contents"), segs.count >= 5, method == .put || method == .unknown { return (.api, .upload) }
            if seg(0, "repos"), seg(3, "git"), seg(4, "blobs"), method == .post || method == .unknown { return (.api, .upload) }
            if seg(0, "gists"), segs.count == 1, method == .post || method == .unknown { return (.api, .upload) }
            return (.api, nil)
        }
        if Bytes.equalsFolded(b, host, "uploads.github.com") { return (.upload, method == .get ? nil : .upload) }
        if Bytes.equalsFolded(b, host, "github.com") {
            if seg(2, "archive") { return (.archive, .archive_download) }
            if seg(2, "zipball") || seg(2, "tarball") { return (.archive, .archive_download) }
            if seg(2, "raw") { return (.raw, nil) }
            return (nil, nil)
        }
        // GitLab (gitlab.com and GitLab-like hosts): the API and archives.
        if service.family == .gitlab {
            if seg(0, "api"), seg(1, "v4"), seg(2, "projects"), segs.count >= 5 {
                if seg(4, "uploads"), method.writes { return (.api, .upload) }
                if seg(4, "repository"), seg(5, "files"), method.writes, method != .patch { return (.api, .upload) }
                if seg(4, "repository"), seg(5, "commits"), method == .post || method == .unknown { return (.api, .upload) }
                if seg(4, "repository"), segs.count >= 6, Bytes.hasPrefixFolded(b, segs[5], "archive") { return (.api, .archive_download) }
                return (.api, nil)
            }
            if seg(0, "api") { return (.api, nil) }
            for i in 0..<segs.count where Bytes.equals(b, segs[i], "-") {
                if seg(i + 1, "archive") { return (.archive, .archive_download) }
                if seg(i + 1, "raw") { return (.raw, nil) }
            }
        }
        if service.family == .bitbucket, Bytes.equalsFolded(b, host, "bitbucket.org") {
            if seg(2, "get") { return (.archive, .archive_download) }
        }
        return (nil, nil)
    }
}
