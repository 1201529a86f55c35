import Logging
import SluiceCore

/// `context`: asset, identity and sanctioned-repository context from the operator's files.
///
/// Per event:
/// - **Asset** (`sluice.asset.name`, `.role`, `.owner`, `.environment`, `.repo_egress`): for
///   events that name a client by address (proxy events, `event.category: web`, and DNS
///   events) the asset of `source.ip` first, then the host's; for the rest the asset named by
///   `host.name` (or `host.hostname`), then the asset of `host.ip`, then of `source.ip`. When
///   the asset was found by address and the event has no `host.name`, `host.name` is set to
///   the asset's name.
/// - **Identity** (`sluice.identity.name`, `.department`, `.developer`, `.service_account`):
///   the first of `user.name`, `github.actor`, `github.external_identity_nameid`,
///   `user.email` that is an identity's name or alias (`DOMAIN\user` also tries `user`).
/// - **Repository** (`sluice.repo.namespace`, `sluice.repo.sanctioned`): from `github.repo`,
///   else `url.full` when its host is a repository service (built-in catalog or a
///   sanctioned host), else the first repository URL of a git command in
///   `process.command_line`; sanctioned as DESIGN.md defines it (`RepoNamespace.isSanctioned`).
/// - **Credentials**: masked (`CredentialMask`) in `mask_fields` (default `url.full`,
///   `url.original`, `process.command_line`, `process.parent.command_line`, `process.title`,
///   `process.args`) and in the raw record `event.original` (`mask_original`, default true);
///   the fields this enricher writes never hold them (namespaces carry no user information).
///
/// Guarantees: lookups allocate nothing; an event gains only the fields above. Building reads
/// no file (`load()` does).
///
/// Options: `files` (required: YAML or CSV paths, or mappings with `path` and `kind`
/// (`assets`|`identities`) for CSV), `github_host` (default `github.com`: the host of GitHub
/// audit repositories, e.g. a GitHub Enterprise Server name), `mask_credentials` (default
/// true), `mask_fields`, `mask_original` (default true), `reload_bad_lines` (`keep_previous` or `skip`), `watch` (default
/// true: reload when a file changes, in live runs).
public final class ContextEnricher: MovingTransform, ReloadableEnricher, @unchecked Sendable {
    // SAFETY (@unchecked Sendable): the only mutable state is `index` and the owner memo,
    // processing-thread scratch used inside `enrich`, which the runtime calls on the stage's serial queue only
    // (`Transform` contract); reloads go through `ReloadingSet`'s lock; everything else is
    // immutable after `init`.
    public static let defaultMaskFields = ["url.full", "url.original", "process.command_line",
                                           "process.parent.command_line", "process.title", "process.args"]

    public let files: [ContextFile]
    public let githubHost: String
    let maskFields: [FieldKey]
    /// The keys of the event being enriched (processing-thread scratch).
    private let index = FieldIndex()
    /// `gitHubNamespace`'s memo (processing-thread scratch) and the set it was made for.
    private var ownerMemo: [(owner: [UInt8], namespace: String, sanctioned: Bool)] = []
    private var ownerMemoSet: ContextSet?
    private var ownerMemoNext = 0
    /// Per key id: whether it is one of `maskFields` (ids past the end are not).
    private let masked: [Bool]
    /// Also mask the raw record (`event.original`), which holds the same secrets.
    let maskOriginal: Bool
    let identityKeys = [Keys.userName, Keys.githubActor, Keys.githubNameID, Keys.userEmail]
    let context: ReloadingSet<ContextSet>
    let lifecycle: EnricherLifecycle

    enum Keys {
        static let hostName = ECS.hostName
        static let hostHostname = ECS.hostHostname
        static let hostIP = FieldKey("host.ip")
        static let sourceIP = ECS.sourceIP
        static let category = ECS.eventCategory
        static let dnsQuestion = ECS.dnsQuestionName
        static let userName = ECS.userName
        static let userEmail = ECS.userEmail
        static let githubActor = FieldKey("github.actor")
        static let githubNameID = FieldKey("github.external_identity_nameid")
        static let githubRepo = FieldKey("github.repo")
        static let urlFull = ECS.urlFull
        static let commandLine = ECS.processCommandLine
        static let namespace = FieldKey("sluice.repo.namespace")
        static let sanctioned = FieldKey("sluice.repo.sanctioned")
    }

    public init(files: [ContextFile], githubHost: String = "github.com", maskCredentials: Bool = true,
                maskFields: [String] = ContextEnricher.defaultMaskFields, maskOriginal: Bool = true,
                keepPreviousOnBadLines: Bool = true, watch: Bool = true, name: String = "context",
                logger: Logger = Logger(label: "sluice.enrich")) {
        self.files = files
        self.maskOriginal = maskCredentials && maskOriginal
        lifecycle = EnricherLifecycle(watch: watch)
        self.githubHost = githubHost.lowercased()
        self.maskFields = maskCredentials ? maskFields.map { FieldKey($0) } : []
        var masked = [Bool](repeating: false, count: Int(self.maskFields.map(\.id).max() ?? 0) + 1)
        for k in self.maskFields { masked[Int(k.id)] = true }
        self.masked = masked
        let f = files
        context = ReloadingSet(name: name, logger: logger, keepPreviousOnBadLines: keepPreviousOnBadLines) {
            ContextLoader.load(f)
        }
    }

    public convenience init(options o: ComponentOptions, context: BuildContext) {
        var files: [ContextFile] = []
        if let node = o.node("files"), let items = node.items, !items.isEmpty {
            for item in items {
                if item.entries == nil {
                    if let p = try? item.scalarText(), !p.isEmpty { files.append(ContextFile(path: p)) }
                    else { o.fail("each entry of 'files' is a path or a mapping with 'path'", at: "files") }
                    continue
                }
                let f = ComponentOptions(component: o.component, node: item)
                files.append(ContextFile(path: f.requiredString("path"), kind: f.choice("kind", default: ContextFile.Kind.auto),
                                         optional: f.bool("optional", default: false)))
                f.finish(); o.merge(f)
            }
        } else {
            o.fail("missing required option 'files' (a list of context files)")
        }
        let policy = o.choice("reload_bad_lines", default: ReloadPolicy.keep_previous)
        self.init(files: files, githubHost: o.string("github_host", default: "github.com"),
                  maskCredentials: o.bool("mask_credentials", default: true),
                  maskFields: o.stringList("mask_fields") ?? Self.defaultMaskFields,
                  maskOriginal: o.bool("mask_original", default: true),
                  keepPreviousOnBadLines: policy == .keep_previous, watch: o.bool("watch", default: true),
                  name: context.name, logger: context.logger)
    }

    // MARK: ReloadableEnricher

    public func load() throws { try context.load() }
    public var reloader: any BackgroundReloading { context }
    public func reload(completion: @escaping @Sendable (Bool) -> Void) { context.reload(completion: completion) }
    public var watchedFiles: [String] { files.map(\.path) }
    public var lastReport: LoadReport { context.lastReport }

    // MARK: Transform

    /// Loads the files, registers for SIGHUP reloads and (live, `watch: true`) watches them.
    public func start(_ context: StartContext) throws { try lifecycle.start(self, context) }
    public func stop() { lifecycle.stop() }

    /// `process` on a batch handed over: each event is moved out, so adding context does
    /// not copy its fields (the batch no longer shares them).
    public func process(taking events: inout [Event], into output: inout [Event], failures: inout [DeadLetter]) {
        let current = context.current()
        let masking = !maskFields.isEmpty || maskOriginal
        events.moveEach(into: &output) { e in
            if let current { enrich(&e, current) }
            if masking { mask(&e) }
        }
    }

    /// Adds the context of one event (exposed for tests and benchmarks); does not mask.
    public func enrich(_ e: inout Event, _ c: ContextSet) {
        // The event's keys are indexed once; every lookup below reads the index, and fields
        // are added through it so it stays right.
        let index = self.index
        index.begin(e.fields)
        // Asset.
        var asset: Int?
        var byAddress = false
        func byIP(_ key: FieldKey) -> Int? {
            var found: Int?
            EventText.first(e, key, in: index) { b in if let a = IPAddress.parse(b, 0..<b.count) { found = c.asset(at: a) } }
            return found
        }
        func byHost() -> Int? {
            var found: Int?
            if !EventText.first(e, Keys.hostName, in: index, { b in found = c.asset(named: b, 0..<b.count) }) || found == nil {
                EventText.first(e, Keys.hostHostname, in: index) { b in found = c.asset(named: b, 0..<b.count) }
            }
            if found == nil, let a = byIP(Keys.hostIP) { byAddress = true; found = a }
            return found
        }
        if c.assetCount > 0 {
            if namesClientByAddress(e), let a = byIP(Keys.sourceIP) { asset = a; byAddress = true }
            else if let a = byHost() { asset = a }
            else if let a = byIP(Keys.sourceIP) { asset = a; byAddress = true }
        }
        if let asset {
            for f in c.assetFields(asset) { index.set(f.key, f.value, in: &e.fields) }
            if byAddress, !index.contains(Keys.hostName), let n = c.assetName(asset) { index.set(Keys.hostName, .string(n), in: &e.fields) }
        }
        // Identity.
        if c.identityCount > 0 {
            for key in identityKeys {
                var found: Int?
                EventText.first(e, key, in: index) { b in found = c.identity(b, 0..<b.count) }
                if let found {
                    for f in c.identityFields(found) { index.set(f.key, f.value, in: &e.fields) }
                    break
                }
            }
        }
        // Repository namespace.
        if let (ns, sanctioned) = namespace(e, c, index) {
            index.set(Keys.namespace, .string(ns), in: &e.fields)
            index.set(Keys.sanctioned, .bool(sanctioned), in: &e.fields)
        }
    }

    /// Proxy and DNS events name the client by `source.ip`; their `host.name` (a syslog
    /// header) is the proxy or resolver.
    func namesClientByAddress(_ e: Event) -> Bool {
        for f in e.fields {
            if f.key == Keys.dnsQuestion { return true }
            if f.key == Keys.category {
                var web = false
                EventText.visit(e, f.value) { b in if Bytes.equals(b, 0..<b.count, "web") { web = true } }
                if web { return true }
            }
        }
        return false
    }

    /// The event's repository namespace and whether it is sanctioned.
    func namespace(_ e: Event, _ c: ContextSet, _ index: FieldIndex) -> (String, Bool)? {
        // `github.repo` as a span or string (the first field of that key), read in place.
        if let i = index.position(of: Keys.githubRepo) {
            var found: (String, Bool)?
            switch e.fields[i].value {
            case .span(let sp): found = e.withBytes(sp) { gitHubNamespace($0, c) }
            case .string(var s): found = s.withUTF8 { gitHubNamespace($0, c) }
            default: break
            }
            if let found { return found }
        }
        guard let ns = namespaceFromURLs(e, c, index) else { return nil }
        return (ns, RepoNamespace.isSanctioned(ns, by: c.sanctioned))
    }

    /// `RepoNamespace.fromGitHubRepo` of `repo` and whether it is sanctioned, remembered per
    /// owner for the set in use (16 owners, the oldest replaced): events name a few owners
    /// over and over, and making the namespace allocates a string.
    private func gitHubNamespace(_ repo: UnsafeBufferPointer<UInt8>, _ c: ContextSet) -> (String, Bool)? {
        guard let r = RepoNamespace.gitHubOwner(bytes: repo) else { return nil }
        let owner = UnsafeBufferPointer(rebasing: repo[r])
        if ownerMemoSet !== c { ownerMemo.removeAll(); ownerMemoSet = c; ownerMemoNext = 0 }
        for m in ownerMemo.indices where ownerMemo[m].owner.elementsEqual(owner) {
            return (ownerMemo[m].namespace, ownerMemo[m].sanctioned)
        }
        guard let ns = RepoNamespace.fromGitHubRepo(bytes: repo, lowercasedHost: githubHost) else { return nil }
        let entry = (owner: Array(owner), namespace: ns, sanctioned: RepoNamespace.isSanctioned(ns, by: c.sanctioned))
        if ownerMemo.count < 16 { ownerMemo.append(entry) } else { ownerMemo[ownerMemoNext] = entry; ownerMemoNext = (ownerMemoNext + 1) % 16 }
        return (ns, entry.sanctioned)
    }

    /// The namespace from `url.full` or a git command line.
    func namespaceFromURLs(_ e: Event, _ c: ContextSet, _ index: FieldIndex) -> String? {
        var ns: String?
        EventText.first(e, Keys.urlFull, in: index) { b in
            guard let u = URLParts.parse(b, 0..<b.count), let service = c.catalog.lookup(b, u.host) else { return }
            ns = RepoNamespace.fromURL(b, u, service: service)
        }
        if let ns { return ns }
        EventText.first(e, Keys.commandLine, in: index) { b in
            GitCommandLine.forEachRepoURL(b, 0..<b.count) { r in
                guard ns == nil, let u = URLParts.parse(b, r) ?? URLParts.parseSCPLike(b, r) else { return }
                ns = RepoNamespace.fromURL(b, u, service: c.catalog.lookup(b, u.host))
            }
        }
        return ns
    }

    /// The position of the first field at or after `from` whose key is masked: the keys are
    /// read in place (copying each field would retain its value), looked up by id.
    private func nextMasked(_ fields: FieldList, from: Int) -> Int? {
        fields.withUnsafeFields { fs in
            var k = from
            while k < fs.count {
                let id = Int(fs[k].key.id)
                if id < masked.count, masked[id] { return k }
                k += 1
            }
            return nil
        }
    }

    /// Masks credentials in the configured fields and (`mask_original`) the raw record, in place.
    public func mask(_ e: inout Event) {
        if maskOriginal, !e.original.isEmpty,
           let out = e.original.withUnsafeBufferPointer({ CredentialMask.masked($0) }) {
            // Replacing `original` first turns the fields that are spans of it into strings.
            e.original = ArraySlice(out)
        }
        var next = 0
        while let i = nextMasked(e.fields, from: next) {
            next = i + 1
            let f = e.fields[i]
            switch f.value {
            case .span, .string:
                var out: [UInt8]?
                EventText.visit(e, f.value) { b in out = CredentialMask.masked(b) }
                if let out { e.fields[i].value = .string(String(decoding: out, as: UTF8.self)) }
            case .array(let items):
                var changed = false
                var newItems = items
                for (k, item) in items.enumerated() {
                    var out: [UInt8]?
                    EventText.visit(e, item) { b in out = CredentialMask.masked(b) }
                    if let out { newItems[k] = .string(String(decoding: out, as: UTF8.self)); changed = true }
                }
                if changed { e.fields[i].value = .array(newItems.map { e.resolved($0) }) }
            default: continue
            }
        }
    }
}
