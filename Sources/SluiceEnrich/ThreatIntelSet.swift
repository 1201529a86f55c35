import SluiceCore

/// A loaded set of threat-intelligence indicators: addresses and CIDR blocks (both
/// families), domains (exact, and `*.domain` for the domain and its subdomains) and URLs,
/// each with its feed, category, optional confidence and expiry.
///
/// Guarantees: immutable once built (shared between the loader thread and the enricher
/// without locks); lookups allocate nothing and cost one probe per prefix length present for
/// an address, one hash pass plus one probe per label for a domain (the suffix walk), and
/// two probes for a URL. An indicator that appears in several feeds matches once per feed;
/// the same indicator, feed and category listed twice is kept once. Domains and URLs match
/// ignoring case; a URL indicator matches the URL with or without its query, with its
/// scheme's default port, credentials and fragment ignored.
public final class ThreatIntelSet: Sendable {
    /// One indicator, 24 bytes: its canonical text is `text[start..<start+length]`.
    struct Indicator: Sendable {
        var start: UInt32
        var length: UInt16
        /// Bytes of `*.` before the key (2 for a wildcard domain).
        var keySkip: UInt8
        /// 0...100, or 255 when unknown.
        var confidence: UInt8
        var feed: UInt16
        var category: UInt16
        /// Next indicator with the same key (id + 1), 0 at the end of the chain.
        var next: UInt32
        /// Nanoseconds since the epoch; 0 = never.
        var expires: Int64
    }

    enum Kind: UInt8 { case ip, domain, wildcard, url }

    let text: [UInt8]
    let indicators: [Indicator]
    let feeds: [String]
    let categories: [String]
    let ips: IPPrefixIndex
    let domains: NameIndex
    let wildcards: NameIndex
    let urls: NameIndex

    /// Indicators by kind, for reports.
    public let counts: [String: Int]

    init(text: [UInt8], indicators: [Indicator], feeds: [String], categories: [String],
         ips: IPPrefixIndex, domains: NameIndex, wildcards: NameIndex, urls: NameIndex, counts: [String: Int]) {
        self.text = text; self.indicators = indicators; self.feeds = feeds; self.categories = categories
        self.ips = ips; self.domains = domains; self.wildcards = wildcards; self.urls = urls; self.counts = counts
    }

    public var count: Int { indicators.count }

    /// Approximate bytes held by the set.
    public var memoryBytes: Int {
        text.capacity + indicators.capacity * MemoryLayout<Indicator>.stride + ips.memoryBytes
            + domains.bytes + wildcards.bytes + urls.bytes
    }

    /// One match: the indicator's id.
    public struct Match: Sendable, Equatable {
        public let id: UInt32
    }

    public func indicatorText(_ id: UInt32) -> String {
        let i = indicators[Int(id)]
        return String(decoding: text[Int(i.start)..<(Int(i.start) + Int(i.length))], as: UTF8.self)
    }
    public func feed(_ id: UInt32) -> String { feeds[Int(indicators[Int(id)].feed)] }
    public func category(_ id: UInt32) -> String { categories[Int(indicators[Int(id)].category)] }
    public func confidence(_ id: UInt32) -> Int? {
        let c = indicators[Int(id)].confidence
        return c == 255 ? nil : Int(c)
    }
    public func expires(_ id: UInt32) -> Int64? {
        let e = indicators[Int(id)].expires
        return e == 0 ? nil : e
    }

    func keyEquals(_ id: UInt32, _ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Bool {
        let i = indicators[Int(id)]
        let s = Int(i.start) + Int(i.keySkip), e = Int(i.start) + Int(i.length)
        guard e - s == r.count else { return false }
        return text.withUnsafeBufferPointer { NameHash.equal($0, s..<e, b, r) }
    }

    /// Calls `body` for every live indicator (not expired at `now`) in the chain from `head`.
    func chain(_ head: UInt32, now: Int64, _ body: (UInt32) -> Void) {
        var id = head
        while true {
            let i = indicators[Int(id)]
            if i.expires == 0 || i.expires > now { body(id) }
            if i.next == 0 { return }
            id = i.next &- 1
        }
    }

    /// Matches an address.
    public func match(ip a: IPAddress, now: Int64, _ body: (UInt32) -> Void) {
        ips.forEachMatch(a) { head in chain(head, now: now, body); return true }
    }

    /// Matches a domain name (`b[r]`, any case, a trailing dot ignored): the exact name, then
    /// every `*.suffix` indicator covering it.
    public func match(domain b: UnsafeBufferPointer<UInt8>, _ r0: Range<Int>, now: Int64, _ body: (UInt32) -> Void) {
        var r = r0
        if r.count > 1, b[r.upperBound - 1] == UInt8(ascii: ".") { r = r.lowerBound..<(r.upperBound - 1) }
        guard !r.isEmpty, r.count <= 253 else { return }
        let exact = domains.count > 0, wild = wildcards.count > 0
        guard exact || wild else { return }
        // One right-to-left pass: each dot-suffix (and last, the whole name) with its hash.
        NameHash.forEachSuffix(b, r) { start, h in
            let sr = start..<r.upperBound
            if wild, let head = wildcards.find(h, { keyEquals($0, b, sr) }) { chain(head, now: now, body) }
            if start == r.lowerBound, exact, let head = domains.find(h, { keyEquals($0, b, sr) }) { chain(head, now: now, body) }
            return true
        }
    }

    /// Matches a normalized URL held in `b[r]` (see `URLNormalizer`).
    public func match(normalizedURL b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>, now: Int64, _ body: (UInt32) -> Void) {
        guard urls.count > 0 else { return }
        if let head = urls.find(NameHash.hash(b, r), { keyEquals($0, b, r) }) { chain(head, now: now, body) }
    }

    public var hasURLs: Bool { urls.count > 0 }
}

/// Puts a URL in the form URL indicators are stored and looked up in: lower-case scheme and
/// host, no credentials, no default port, no fragment; path and query as written. Writes into
/// a caller-owned buffer so the hot path reuses one allocation.
public enum URLNormalizer {
    /// Longest URL considered (longer ones are not matched as URLs).
    public static let maxLength = 8192

    /// Writes the normalized URL into `out` (cleared first); returns the length without the
    /// query (`out[0..<n]` is the URL without `?query`), or nil when `b[r]` is not a URL.
    @inlinable
    public static func normalize(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>, into out: inout [UInt8]) -> Int? {
        guard r.count <= maxLength, let u = URLParts.parse(b, r) else { return nil }
        out.removeAll(keepingCapacity: true)
        for k in u.scheme { out.append(NameHash.fold(b[k])) }
        out.append(UInt8(ascii: ":")); out.append(UInt8(ascii: "/")); out.append(UInt8(ascii: "/"))
        let v6 = u.host.lowerBound > r.lowerBound && b[u.host.lowerBound - 1] == UInt8(ascii: "[")
        if v6 { out.append(UInt8(ascii: "[")) }
        for k in u.host { out.append(NameHash.fold(b[k])) }
        if v6 { out.append(UInt8(ascii: "]")) }
        if !u.hasDefaultPort(b) {
            out.append(UInt8(ascii: ":"))
            for k in u.port { out.append(b[k]) }
        }
        if u.path.isEmpty { out.append(UInt8(ascii: "/")) } else { out.append(contentsOf: UnsafeBufferPointer(rebasing: b[u.path])) }
        let withoutQuery = out.count
        if !u.query.isEmpty {
            out.append(UInt8(ascii: "?"))
            out.append(contentsOf: UnsafeBufferPointer(rebasing: b[u.query]))
        }
        return withoutQuery
    }

    public static func normalize(_ s: String) -> String? {
        var out: [UInt8] = []
        var s = s
        let n = s.withUTF8 { normalize($0, 0..<$0.count, into: &out) }
        return n == nil ? nil : String(decoding: out, as: UTF8.self)
    }
}
