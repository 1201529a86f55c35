import Logging
import SluiceCore

/// `threat_intel`: matches the values of the checked fields against the loaded indicators
/// and appends one ECS-like object per match to `threat.enrichments`:
/// `{indicator, feed, category, confidence (when known), matched: {field, atomic}}`.
///
/// Guarantees: an indicator matches an event at most once (the first checked field that
/// matches names it); at most `max_matches` objects are added per event; an indicator whose
/// `expires` is at or before the event's time (`@timestamp`, or now when the event has
/// none) does not match; values that are not text are skipped. The hot path allocates only
/// the objects it adds (and one scratch buffer for URLs, reused). Building reads no file:
/// `load()` does (see `ReloadableEnricher`).
///
/// Options: `files` (required: paths, or mappings with `path`, `format` (csv|list|stix),
/// `feed`, `category`, `confidence`, `expires`, `columns`), `fields` (the checked fields),
/// `max_matches` (default 16), `reload_bad_lines` (`keep_previous`, the default, or `skip`),
/// `watch` (default true: reload when a file changes, in live runs).
public final class ThreatIntelEnricher: MovingTransform, ReloadableEnricher, @unchecked Sendable {
    // SAFETY (@unchecked Sendable): the only mutable state is the processing-thread scratch
    // below, used inside `process`, which the runtime calls on the stage's serial queue
    // only (`Transform` contract); `reload()` and `lastReport` go through `ReloadingSet`'s
    // lock; everything else is immutable after `init`.
    public static let defaultFields = ["source.ip", "destination.ip", "destination.domain", "url.domain",
                                       "url.full", "dns.question.name", "dns.answers.data"]

    public let files: [IntelFile]
    public let fields: [FieldPath]
    public let maxMatches: Int
    let intel: ReloadingSet<ThreatIntelSet>
    let lifecycle: EnricherLifecycle

    enum Keys {
        static let enrichments = FieldKey("threat.enrichments")
        static let indicator = FieldKey("indicator")
        static let feed = FieldKey("feed")
        static let category = FieldKey("category")
        static let confidence = FieldKey("confidence")
        static let matched = FieldKey("matched")
        static let field = FieldKey("field")
        static let atomic = FieldKey("atomic")
    }

    // Processing-thread state (the stage calls `process` on one thread at a time).
    private var urlScratch: [UInt8] = []
    private var seen: [UInt32] = []
    private var added: [FieldValue] = []
    /// Where the checked fields (and their parents) sit in the event at hand.
    private let index = FieldIndex()

    public init(files: [IntelFile], fields: [String] = ThreatIntelEnricher.defaultFields, maxMatches: Int = 16,
                keepPreviousOnBadLines: Bool = true, watch: Bool = true, name: String = "threat_intel",
                logger: Logger = Logger(label: "sluice.enrich")) {
        self.files = files
        lifecycle = EnricherLifecycle(watch: watch)
        self.fields = fields.map(FieldPath.init)
        self.maxMatches = maxMatches
        let f = files
        intel = ReloadingSet(name: name, logger: logger, keepPreviousOnBadLines: keepPreviousOnBadLines) {
            ThreatIntelLoader.load(f)
        }
        urlScratch.reserveCapacity(URLNormalizer.maxLength + 16)
    }

    public convenience init(options o: ComponentOptions, context: BuildContext) {
        let files = Self.intelFiles(o)
        let fields = o.stringList("fields") ?? Self.defaultFields
        let max = o.int("max_matches", default: 16, range: 1...1000)
        let policy = o.choice("reload_bad_lines", default: ReloadPolicy.keep_previous)
        self.init(files: files, fields: fields, maxMatches: max, keepPreviousOnBadLines: policy == .keep_previous,
                  watch: o.bool("watch", default: true), name: context.name, logger: context.logger)
    }

    /// Reads `files:` (strings or mappings).
    static func intelFiles(_ o: ComponentOptions) -> [IntelFile] {
        guard let node = o.node("files"), let items = node.items, !items.isEmpty else {
            o.fail("missing required option 'files' (a list of intel files)")
            return []
        }
        var out: [IntelFile] = []
        for item in items {
            if item.entries == nil {
                if let p = try? item.scalarText(), !p.isEmpty { out.append(IntelFile(path: p)) }
                else { o.fail("each entry of 'files' is a path or a mapping with 'path'", at: "files") }
                continue
            }
            let f = ComponentOptions(component: o.component, node: item)
            let path = f.requiredString("path")
            var format: IntelFile.Format?
            if f.has("format") { format = f.choice("format", default: IntelFile.guessFormat(path)) }
            var confidence: Int?
            if f.has("confidence") { confidence = f.int("confidence", default: 0, range: 0...100) }
            var expires: Int64?
            if let e = f.string("expires") {
                expires = ExpiryTime.parse(e)
                if expires == nil { f.fail("option 'expires' must be an RFC 3339 time, a date or Unix seconds", at: "expires") }
            }
            var columns: [String: String] = [:]
            if let c = f.stringMap("columns") {
                for (role, name) in c {
                    if ["indicator", "category", "feed", "confidence", "expires"].contains(role) { columns[role] = name }
                    else { f.fail("unknown column role '\(role)' (indicator, category, feed, confidence, expires)", at: "columns") }
                }
            }
            out.append(IntelFile(path: path, format: format, feed: f.string("feed"), category: f.string("category"),
                                 confidence: confidence, expires: expires, columns: columns,
                                 optional: f.bool("optional", default: false)))
            f.finish(); o.merge(f)
        }
        return out
    }

    // MARK: ReloadableEnricher

    public func load() throws { try intel.load() }
    public var reloader: any BackgroundReloading { intel }
    public func reload(completion: @escaping @Sendable (Bool) -> Void) { intel.reload(completion: completion) }
    public var watchedFiles: [String] { files.map(\.path) }
    /// The report of the last load (counts and bad lines).
    public var lastReport: LoadReport { intel.lastReport }

    // MARK: Transform

    /// Loads the files, registers for SIGHUP reloads and (live, `watch: true`) watches them.
    public func start(_ context: StartContext) throws { try lifecycle.start(self, context) }
    public func stop() { lifecycle.stop() }

    /// `process` on a batch handed over: each event is moved out, so adding a match does not
    /// copy its fields (the batch no longer shares them).
    public func process(taking events: inout [Event], into output: inout [Event], failures: inout [DeadLetter]) {
        guard let current = intel.current(), current.count > 0 else {
            output.append(contentsOf: events); return
        }
        let wallNow = Timestamp.now()
        events.moveEach(into: &output) { e in enrich(&e, current, now: e.timestamp > 0 ? e.timestamp : wallNow) }
    }

    /// Adds the matches of one event (exposed for tests and benchmarks).
    public func enrich(_ e: inout Event, _ intel: ThreatIntelSet, now: Int64) {
        seen.removeAll(keepingCapacity: true)
        added.removeAll(keepingCapacity: true)
        // One pass over the event's keys, then each checked field (7 by default, most
        // absent) and its parents are found without scanning the fields again.
        index.begin(e.fields)
        for i in fields.indices {
            EventText.forEach(e, fields[i], in: index) { b in
                match(b, intel, now: now) { id in
                    guard added.count < maxMatches, !seen.contains(id) else { return }
                    seen.append(id)
                    added.append(object(intel, id, field: fields[i].path, atomic: String(decoding: b, as: UTF8.self)))
                }
            }
        }
        guard !added.isEmpty else { return }
        if case .array(var list)? = e[Keys.enrichments] {
            list.append(contentsOf: added)
            e[Keys.enrichments] = .array(list)
        } else {
            e[Keys.enrichments] = .array(added)
        }
    }

    /// Matches one value: an address, a URL, or a domain name.
    func match(_ b: UnsafeBufferPointer<UInt8>, _ intel: ThreatIntelSet, now: Int64, _ body: (UInt32) -> Void) {
        let r = 0..<b.count
        guard !r.isEmpty else { return }
        let first = b[0]
        if first &- 48 < 10 || first == UInt8(ascii: ":") || first == UInt8(ascii: "[") || (first | 0x20) &- 97 < 6 {
            if let a = IPAddress.parse(b, r) { intel.match(ip: a, now: now, body); return }
        }
        if intel.hasURLs, b.count > 8, let withoutQuery = URLNormalizer.normalize(b, r, into: &urlScratch) {
            let full = urlScratch.count
            urlScratch.withUnsafeBufferPointer { u in
                intel.match(normalizedURL: u, 0..<full, now: now, body)
                if withoutQuery < full { intel.match(normalizedURL: u, 0..<withoutQuery, now: now, body) }
            }
            return
        }
        intel.match(domain: b, r, now: now, body)
    }

    func object(_ intel: ThreatIntelSet, _ id: UInt32, field: String, atomic: String) -> FieldValue {
        var members: [Field] = [
            Field(Keys.indicator, .string(intel.indicatorText(id))),
            Field(Keys.feed, .string(intel.feed(id))),
            Field(Keys.category, .string(intel.category(id))),
        ]
        if let c = intel.confidence(id) { members.append(Field(Keys.confidence, .int(Int64(c)))) }
        members.append(Field(Keys.matched, .object([Field(Keys.field, .string(field)), Field(Keys.atomic, .string(atomic))])))
        return .object(members)
    }
}

/// What a reload does with a file that has bad lines (`reload_bad_lines`).
public enum ReloadPolicy: String, Sendable, CaseIterable {
    // swiftlint:disable:next identifier_name
    case keep_previous, skip
}
