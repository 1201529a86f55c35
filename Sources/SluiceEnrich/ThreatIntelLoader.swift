import Foundation
import SluiceCore

/// One threat-intelligence file as configured: where it is, its format, and the values that
/// apply to every indicator in it when the file does not say.
public struct IntelFile: Sendable, Equatable {
    public enum Format: String, Sendable, CaseIterable {
        /// CSV with a header: `indicator,category,feed[,confidence,expires]` (names configurable).
        case csv
        /// One indicator a line, `#` comments; feed and category from the configuration.
        case list
        /// A STIX 2.1 bundle (JSON) of `indicator` objects with simple patterns.
        case stix
    }

    public var path: String
    public var format: Format
    /// Feed for indicators without one (CSV without a `feed` column, lists, STIX without a
    /// creator); defaults to the file's base name.
    public var feed: String?
    /// Category for indicators without one; lists default to `malicious`.
    public var category: String?
    public var confidence: Int?
    /// Expiry applied to a list's indicators (ns since the epoch).
    public var expires: Int64?
    /// CSV column names by role (`indicator`, `category`, `feed`, `confidence`, `expires`),
    /// for files whose header uses other names.
    public var columns: [String: String]
    /// A missing optional file loads as empty instead of failing the load.
    public var optional: Bool

    public init(path: String, format: Format? = nil, feed: String? = nil, category: String? = nil,
                confidence: Int? = nil, expires: Int64? = nil, columns: [String: String] = [:], optional: Bool = false) {
        self.path = path; self.optional = optional
        self.format = format ?? IntelFile.guessFormat(path)
        self.feed = feed; self.category = category; self.confidence = confidence
        self.expires = expires; self.columns = columns
    }

    /// `.csv` → csv, `.json`/`.stix` → stix, anything else a plain list.
    public static func guessFormat(_ path: String) -> Format {
        let p = path.lowercased()
        if p.hasSuffix(".csv") { return .csv }
        if p.hasSuffix(".json") || p.hasSuffix(".stix") { return .stix }
        return .list
    }

    var baseName: String {
        var name = (path as NSString).lastPathComponent
        if let dot = name.lastIndex(of: "."), dot != name.startIndex { name = String(name[..<dot]) }
        return name
    }
}

/// Builds a `ThreatIntelSet` from files: the CSV, list and STIX 2.1 readers and the
/// indicator classifier.
///
/// Guarantees: a bad line or object is reported with file:line (and the STIX object id) and
/// skipped, the rest loads; a file that cannot be read, a CSV without an indicator column,
/// or a STIX file that is not a JSON bundle fails as a whole (`LoadReport.failedFiles`).
public struct ThreatIntelLoader {
    public static let defaultCategory = "malicious"
    /// Longest indicator text kept.
    static let maxIndicatorLength = 4096

    var text: [UInt8] = []
    var indicators: [ThreatIntelSet.Indicator] = []
    var feeds: [String] = []
    var feedIDs: [String: UInt16] = [:]
    var categories: [String] = []
    var categoryIDs: [String: UInt16] = [:]
    var ips = IPPrefixIndex()
    var domains = NameIndex()
    var wildcards = NameIndex()
    var urls = NameIndex()
    var counts: [String: Int] = [:]
    /// Indicators by kind and expired ones, counted without a dictionary per line.
    var kindCounts = [0, 0, 0, 0]
    var expiredCount = 0
    public var report = LoadReport()
    let now: Int64

    public init(now: Int64 = Timestamp.now()) { self.now = now }

    /// Loads every file and returns the set (nil when a file failed as a whole).
    public static func load(_ files: [IntelFile], now: Int64 = Timestamp.now()) -> (ThreatIntelSet?, LoadReport) {
        var l = ThreatIntelLoader(now: now)
        for f in files { l.load(f) }
        guard l.report.failedFiles.isEmpty else { return (nil, l.report) }
        let set = l.finish()
        l.report.counts.merge(set.counts) { $1 }
        return (set, l.report)
    }

    public mutating func load(_ file: IntelFile) {
        let bytes: [UInt8]
        if report.skipIfMissing(file.path, optional: file.optional) { return }
        do { bytes = try EnrichmentFile.read(file.path) } catch let e as LoadIssue {
            report.fail(e.file, e.line, e.message); return
        } catch { report.fail(file.path, 0, "\(error)"); return }
        switch file.format {
        case .csv: loadCSV(file, bytes)
        case .list: loadList(file, bytes)
        case .stix: loadSTIX(file, bytes)
        }
    }

    public func finish() -> ThreatIntelSet {
        var c = counts
        c["indicators"] = indicators.count
        for k in [ThreatIntelSet.Kind.ip, .domain, .wildcard, .url] where kindCounts[Int(k.rawValue)] > 0 {
            c[k.label] = kindCounts[Int(k.rawValue)]
        }
        if expiredCount > 0 { c["expired"] = expiredCount }
        // Arrays grown by doubling hold up to twice what they need for as long as the set
        // serves: keep exact-size copies (the loader's arrays go when it does).
        func fitted<T>(_ a: [T]) -> [T] { a.capacity > a.count + a.count / 8 + 64 ? a.withUnsafeBufferPointer { Array($0) } : a }
        return ThreatIntelSet(text: fitted(text), indicators: fitted(indicators), feeds: feeds, categories: categories,
                              ips: ips, domains: domains, wildcards: wildcards, urls: urls, counts: c)
    }

    // MARK: adding one indicator

    /// Adds one indicator; returns why it was refused, or nil.
    public mutating func add(_ raw: String, feed: String, category: String, confidence: Int?, expires: Int64?) -> String? {
        let value = raw.trimmedLite()
        guard !value.isEmpty else { return "empty indicator" }
        guard value.utf8.count <= Self.maxIndicatorLength else { return "indicator longer than \(Self.maxIndicatorLength) bytes" }
        guard !category.isEmpty else { return "no category (add a category column or set `category` for the file)" }
        if let c = confidence, !(0...100).contains(c) { return "confidence \(c) is not between 0 and 100" }
        guard let kind = Self.classify(value) else {
            return "\"\(value)\" is not an IP address, CIDR, domain, *.domain or URL"
        }
        let feedID = Self.intern(feed, &feeds, &feedIDs)
        let categoryID = Self.intern(category, &categories, &categoryIDs)
        guard let feedID, let categoryID else { return "more than 65535 feeds or categories" }
        guard text.count + kind.canonical.utf8.count < Int(UInt32.max), indicators.count < Int(UInt32.max) - 1 else {
            return "too many indicators"
        }
        let id = UInt32(indicators.count)
        let start = UInt32(text.count)
        text.append(contentsOf: kind.canonical.utf8)
        let ind = ThreatIntelSet.Indicator(start: start, length: UInt16(kind.canonical.utf8.count),
                                           keySkip: kind.kind == .wildcard ? 2 : 0,
                                           confidence: confidence.map { UInt8($0) } ?? 255,
                                           feed: feedID, category: categoryID, next: 0, expires: expires ?? 0)
        indicators.append(ind)
        let existing: UInt32?
        switch kind.kind {
        case .ip: existing = ips.insert(kind.network!, id: id)
        case .domain: existing = Self.insertName(&domains, id, text, indicators)
        case .wildcard: existing = Self.insertName(&wildcards, id, text, indicators)
        case .url: existing = Self.insertName(&urls, id, text, indicators)
        }
        if let head = existing {
            // Same key: the same feed and category again is a duplicate; else chain it.
            var cur = head
            while true {
                let i = indicators[Int(cur)]
                if i.feed == feedID, i.category == categoryID {
                    indicators.removeLast()
                    text.removeLast(Int(ind.length))
                    counts["duplicates", default: 0] += 1
                    return nil
                }
                if i.next == 0 { break }
                cur = i.next - 1
            }
            indicators[Int(id)].next = indicators[Int(head)].next
            indicators[Int(head)].next = id + 1
        }
        kindCounts[Int(kind.kind.rawValue)] += 1
        if let e = expires, e <= now { expiredCount += 1 }
        return nil
    }

    private static func insertName(_ index: inout NameIndex, _ id: UInt32, _ txt: [UInt8],
                                   _ inds: [ThreatIntelSet.Indicator]) -> UInt32? {
        func keyRange(_ x: UInt32) -> Range<Int> {
            let i = inds[Int(x)]
            return (Int(i.start) + Int(i.keySkip))..<(Int(i.start) + Int(i.length))
        }
        // The new key is already in the arena: compare arena ranges, no copy.
        let key = keyRange(id)
        return txt.withUnsafeBufferPointer { t in
            index.insert(NameHash.hash(t, key), id: id,
                         equals: { NameHash.equal(t, keyRange($0), t, key) },
                         hashOf: { NameHash.hash(t, keyRange($0)) })
        }
    }

    /// Static: a method on `self` taking `self`'s own arrays inout would copy the whole loader.
    private static func intern(_ s: String, _ list: inout [String], _ ids: inout [String: UInt16]) -> UInt16? {
        // Lines of a feed file mostly repeat the previous line's feed and category: the last
        // one interned is compared before the table is hashed into.
        if let last = list.last, last == s { return UInt16(list.count - 1) }
        if let id = ids[s] { return id }
        guard list.count < Int(UInt16.max) else { return nil }
        let id = UInt16(list.count)
        list.append(s); ids[s] = id
        return id
    }

    /// What an indicator text is, and its canonical form.
    struct Classified {
        var kind: ThreatIntelSet.Kind
        var canonical: String
        var network: IPNetwork?
    }

    static func classify(_ v: String) -> Classified? {
        let u = v.utf8
        var hasSlash = false, hasScheme = false
        var prev2: UInt8 = 0, prev1: UInt8 = 0
        for c in u {
            if c == UInt8(ascii: "/") {
                hasSlash = true
                if prev1 == UInt8(ascii: "/"), prev2 == UInt8(ascii: ":") { hasScheme = true; break }
            }
            prev2 = prev1; prev1 = c
        }
        if hasScheme {
            guard let n = URLNormalizer.normalize(v) else { return nil }
            return Classified(kind: .url, canonical: n)
        }
        if u.count > 2, u.first == UInt8(ascii: "*"), u[u.index(after: u.startIndex)] == UInt8(ascii: ".") {
            guard let d = domainName(String(v.dropFirst(2))) else { return nil }
            return Classified(kind: .wildcard, canonical: "*." + d)
        }
        if hasSlash {
            guard let n = IPNetwork.parse(v) else { return nil }
            return Classified(kind: .ip, canonical: n.description, network: n)
        }
        if let a = IPAddress.parse(v) {
            return Classified(kind: .ip, canonical: a.description, network: IPNetwork(address: a, prefix: 128))
        }
        guard let d = domainName(v) else { return nil }
        return Classified(kind: .domain, canonical: d)
    }

    /// A DNS name in lower case without a trailing dot, if `v` is one: ASCII letters, digits,
    /// `-` and `_`, labels of 1-63 bytes, at least two labels, not all digits.
    static func domainName(_ v: String) -> String? {
        var bytes = Array(v.utf8)
        if bytes.last == UInt8(ascii: ".") { bytes.removeLast() }
        guard !bytes.isEmpty, bytes.count <= 253 else { return nil }
        var labels = 1, labelLength = 0, letter = false
        for i in bytes.indices {
            let c = NameHash.fold(bytes[i])
            bytes[i] = c
            if c == UInt8(ascii: ".") {
                guard labelLength > 0 else { return nil }
                labels += 1; labelLength = 0
                continue
            }
            guard c &- 97 < 26 || c &- 48 < 10 || c == 0x2D || c == 0x5F else { return nil }
            if c &- 97 < 26 { letter = true }
            labelLength += 1
            guard labelLength <= 63 else { return nil }
        }
        guard labelLength > 0, labels >= 2, letter else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    // MARK: CSV

    mutating func loadCSV(_ file: IntelFile, _ bytes: [UInt8]) {
        let names: [String: String] = [
            "indicator": file.columns["indicator"] ?? "indicator",
            "category": file.columns["category"] ?? "category",
            "feed": file.columns["feed"] ?? "feed",
            "confidence": file.columns["confidence"] ?? "confidence",
            "expires": file.columns["expires"] ?? "expires",
        ]
        /// Each role's column (-1: none), from the header.
        var at = (indicator: -1, category: -1, feed: -1, confidence: -1, expires: -1)
        var columnCount = 0
        var sawHeader = false
        var failed = false
        let defaultFeed = file.feed ?? file.baseName
        bytes.withUnsafeBufferPointer { b in
            EnrichmentFile.forEachLine(b) { line, r0 in
                guard !failed else { return }
                let r = EnrichmentFile.trim(b, r0)
                if r.isEmpty || b[r.lowerBound] == UInt8(ascii: "#") { return }
                guard let fields = CSV.split(b, r) else {
                    report.bad(file.path, line, "unterminated quoted field"); return
                }
                if !sawHeader {
                    sawHeader = true
                    columnCount = fields.count
                    var col: [String: Int] = [:]
                    for (i, f) in fields.enumerated() {
                        let h = f.trimmingCharacters(in: .whitespaces).lowercased()
                        for (role, name) in names where name.lowercased() == h { col[role] = i }
                    }
                    at = (col["indicator"] ?? -1, col["category"] ?? -1, col["feed"] ?? -1,
                          col["confidence"] ?? -1, col["expires"] ?? -1)
                    if at.indicator < 0 {
                        report.fail(file.path, line, "the header has no '\(names["indicator"]!)' column (found: \(fields.joined(separator: ",")))")
                        failed = true
                    }
                    return
                }
                guard fields.count == columnCount else {
                    report.bad(file.path, line, "expected \(columnCount) columns as in the header, found \(fields.count)"); return
                }
                func field(_ i: Int) -> String? {
                    guard i >= 0 else { return nil }
                    let v = fields[i].trimmedLite()
                    return v.isEmpty ? nil : v
                }
                var confidence = file.confidence
                if let c = field(at.confidence) {
                    guard let v = Int(c) else { report.bad(file.path, line, "confidence \"\(c)\" is not a number from 0 to 100"); return }
                    confidence = v
                }
                var expires: Int64? = file.expires
                if let e = field(at.expires) {
                    guard let t = ExpiryTime.parse(e) else {
                        report.bad(file.path, line, "expires \"\(e)\" is not an RFC 3339 time, a date or Unix seconds"); return
                    }
                    expires = t
                }
                if let why = add(field(at.indicator) ?? "", feed: field(at.feed) ?? defaultFeed,
                                 category: field(at.category) ?? file.category ?? "",
                                 confidence: confidence, expires: expires) {
                    report.bad(file.path, line, why)
                }
            }
        }
        if !sawHeader, !failed { counts["empty_files", default: 0] += 1 }
    }

    // MARK: plain lists

    mutating func loadList(_ file: IntelFile, _ bytes: [UInt8]) {
        let feed = file.feed ?? file.baseName
        let category = file.category ?? Self.defaultCategory
        var any = false
        bytes.withUnsafeBufferPointer { b in
            EnrichmentFile.forEachLine(b) { line, r0 in
                var r = EnrichmentFile.trim(b, r0)
                // A comment starts a line, or follows a space: `198.51.100.0/24 ; SBL123`.
                var i = r.lowerBound
                while i < r.upperBound {
                    let c = b[i]
                    if (c == UInt8(ascii: "#") || c == UInt8(ascii: ";")) && (i == r.lowerBound || b[i - 1] == 0x20 || b[i - 1] == 0x09) {
                        r = r.lowerBound..<i; break
                    }
                    i += 1
                }
                r = EnrichmentFile.trim(b, r)
                if r.isEmpty { return }
                any = true
                if let why = add(EnrichmentFile.string(b, r), feed: feed, category: category,
                                 confidence: file.confidence, expires: file.expires) {
                    report.bad(file.path, line, why)
                }
            }
        }
        if !any { counts["empty_files", default: 0] += 1 }
    }

    // MARK: STIX 2.1

    mutating func loadSTIX(_ file: IntelFile, _ bytes: [UInt8]) {
        let trimmed = bytes.drop { $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }
        if trimmed.isEmpty { counts["empty_files", default: 0] += 1; return }
        let json: Any
        do { json = try JSONSerialization.jsonObject(with: Data(bytes)) } catch {
            report.fail(file.path, 0, "not JSON: \((error as NSError).userInfo["NSDebugDescription"] ?? error)"); return
        }
        guard let bundle = json as? [String: Any], let objects = bundle["objects"] as? [Any] else {
            report.fail(file.path, 0, "not a STIX 2.1 bundle (an object with \"type\": \"bundle\" and \"objects\")"); return
        }
        var identities: [String: String] = [:]
        for case let o as [String: Any] in objects where (o["type"] as? String) == "identity" {
            if let id = o["id"] as? String, let name = o["name"] as? String { identities[id] = name }
        }
        let text = String(decoding: bytes, as: UTF8.self)
        func lineOf(_ id: String) -> Int {
            guard let r = text.range(of: "\"\(id)\"") else { return 0 }
            return text[..<r.lowerBound].utf8.reduce(1) { $1 == 0x0A ? $0 + 1 : $0 }
        }
        for case let o as [String: Any] in objects where (o["type"] as? String) == "indicator" {
            let id = o["id"] as? String ?? "(no id)"
            func bad(_ why: String) { report.bad(file.path, lineOf(id), "indicator \(id): \(why)") }
            if (o["revoked"] as? Bool) == true { counts["revoked", default: 0] += 1; continue }
            let patternType = o["pattern_type"] as? String ?? "stix"
            guard patternType == "stix" else { bad("pattern_type '\(patternType)' cannot be evaluated (only stix)"); continue }
            guard let pattern = o["pattern"] as? String else { bad("no pattern"); continue }
            var expires = file.expires
            if let vu = o["valid_until"] as? String {
                guard let t = Timestamp.parseRFC3339(vu) else { bad("valid_until \"\(vu)\" is not an RFC 3339 time"); continue }
                expires = t
            }
            var confidence = file.confidence
            if let c = o["confidence"] {
                guard let n = c as? Int else { bad("confidence is not an integer"); continue }
                confidence = n
            }
            let category = file.category ?? (o["indicator_types"] as? [String])?.first
                ?? (o["labels"] as? [String])?.first ?? Self.defaultCategory
            let feed = file.feed ?? (o["created_by_ref"] as? String).flatMap { identities[$0] } ?? file.baseName
            let values: [String]
            switch STIXPattern.values(pattern) {
            case .failure(let e): bad("cannot evaluate pattern \(pattern): \(e.reason)"); continue
            case .success(let v): values = v
            }
            for v in values {
                if let why = add(v, feed: feed, category: category, confidence: confidence, expires: expires) { bad(why) }
            }
        }
    }
}

/// The subset of STIX 2.1 patterning an indicator set can hold: one or more comparisons
/// joined by `OR` (inside one `[...]` or between several), each `ipv4-addr:value`,
/// `ipv6-addr:value`, `domain-name:value` or `url:value` with `=`, or an address type with
/// `ISSUBSET 'cidr'`. `AND`, `NOT`, `FOLLOWEDBY`, qualifiers (`WITHIN`, `REPEATS`, …), other
/// operators and other object types cannot be held and are refused with the reason.
public enum STIXPattern {
    public struct Unsupported: Error, Sendable { public let reason: String }

    public static func values(_ pattern: String) -> Result<[String], Unsupported> {
        var tokens: [String] = []
        var chars = Array(pattern.unicodeScalars)
        chars.append(" ")
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c == " " || c == "\t" || c == "\n" || c == "\r" { i += 1; continue }
            if c == "[" || c == "]" || c == "(" || c == ")" { tokens.append(String(c)); i += 1; continue }
            if c == "'" {
                var s = "'"
                i += 1
                var closed = false
                while i < chars.count {
                    if chars[i] == "\\", i + 1 < chars.count { s.unicodeScalars.append(chars[i + 1]); i += 2; continue }
                    if chars[i] == "'" { closed = true; i += 1; break }
                    s.unicodeScalars.append(chars[i]); i += 1
                }
                guard closed else { return .failure(Unsupported(reason: "unterminated string")) }
                tokens.append(s)
                continue
            }
            if c == "=" || c == "!" || c == "<" || c == ">" {
                var op = String(c); i += 1
                if i < chars.count, chars[i] == "=" { op.append("="); i += 1 }
                tokens.append(op); continue
            }
            var w = ""
            while i < chars.count, !" \t\n\r[]()'=!<>".unicodeScalars.contains(chars[i]) { w.unicodeScalars.append(chars[i]); i += 1 }
            tokens.append(w)
        }
        var out: [String] = []
        var k = 0
        var depth = 0
        var expectComparison = true
        while k < tokens.count {
            let t = tokens[k]
            switch t.uppercased() {
            case "[": depth += 1; k += 1; continue
            case "]": depth -= 1; k += 1; expectComparison = false; continue
            case "(", ")": return .failure(Unsupported(reason: "parenthesized expressions are not supported"))
            case "OR": expectComparison = true; k += 1; continue
            case "AND": return .failure(Unsupported(reason: "AND needs several observations together, which an indicator set cannot hold"))
            case "NOT": return .failure(Unsupported(reason: "NOT is not supported"))
            case "FOLLOWEDBY", "WITHIN", "REPEATS", "START", "STOP":
                return .failure(Unsupported(reason: "\(t.uppercased()) (sequences and qualifiers) is not supported"))
            default: break
            }
            guard expectComparison, depth == 1, k + 2 < tokens.count else {
                return .failure(Unsupported(reason: "unexpected '\(t)'"))
            }
            let path = t.lowercased(), op = tokens[k + 1].uppercased(), value = tokens[k + 2]
            guard value.hasPrefix("'") else { return .failure(Unsupported(reason: "the value of \(t) is not a quoted string")) }
            let v = String(value.dropFirst())
            switch (path, op) {
            case ("ipv4-addr:value", "="), ("ipv6-addr:value", "="), ("domain-name:value", "="), ("url:value", "="),
                 ("ipv4-addr:value", "ISSUBSET"), ("ipv6-addr:value", "ISSUBSET"):
                out.append(v)
            default:
                if ["=", "ISSUBSET"].contains(op) {
                    return .failure(Unsupported(reason: "object path \(t) is not one of ipv4-addr:value, ipv6-addr:value, domain-name:value, url:value"))
                }
                return .failure(Unsupported(reason: "operator \(op) is not supported (only = and ISSUBSET)"))
            }
            expectComparison = false
            k += 3
        }
        guard depth == 0 else { return .failure(Unsupported(reason: "unbalanced brackets")) }
        guard !out.isEmpty else { return .failure(Unsupported(reason: "no comparison")) }
        return .success(out)
    }
}

/// RFC 4180 fields of one CSV line: `,` separated, `"` quoting with `""` for a quote.
enum CSV {
    /// The fields of `b[r]`, unquoted; nil when a quoted field is not closed.
    static func split(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> [String]? {
        var out: [String] = []
        var i = r.lowerBound
        while true {
            while i < r.upperBound, b[i] == 0x20 || b[i] == 0x09 { i += 1 }
            if i < r.upperBound, b[i] == UInt8(ascii: "\"") {
                var bytes: [UInt8] = []
                i += 1
                var closed = false
                while i < r.upperBound {
                    if b[i] == UInt8(ascii: "\"") {
                        if i + 1 < r.upperBound, b[i + 1] == UInt8(ascii: "\"") { bytes.append(UInt8(ascii: "\"")); i += 2; continue }
                        closed = true; i += 1; break
                    }
                    bytes.append(b[i]); i += 1
                }
                guard closed else { return nil }
                out.append(String(decoding: bytes, as: UTF8.self))
                while i < r.upperBound, b[i] != UInt8(ascii: ",") { i += 1 }
            } else {
                let s = i
                while i < r.upperBound, b[i] != UInt8(ascii: ",") { i += 1 }
                out.append(EnrichmentFile.string(b, s..<i))
            }
            if i >= r.upperBound { return out }
            i += 1  // the comma
            if i == r.upperBound { out.append(""); return out }
        }
    }
}

extension ThreatIntelSet.Kind {
    var label: String {
        switch self {
        case .ip: return "ips"
        case .domain: return "domains"
        case .wildcard: return "wildcard_domains"
        case .url: return "urls"
        }
    }
}
