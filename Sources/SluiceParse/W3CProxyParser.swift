import SluiceCore

/// `w3c-proxy`: W3C extended log format as web proxies write it (Blue Coat / Symantec
/// ProxySG ELFF, Zscaler NSS feeds in W3C style, IIS-style names): a `#Fields:` header names
/// the columns; data lines are space- (or tab-) separated, values may be `"quoted"` (with
/// `""` for a quote inside), `-` is empty. The `#Fields:` header is remembered by the parser
/// instance and a new one mid-stream replaces it; `#Software:`, `#Version:`, `#Date:`,
/// `#Remark:` and other `#` lines produce no event.
///
/// Direction convention (ECS, the client is the source): bytes the client sent to the
/// server (`cs-bytes`) are `source.bytes` (and `http.request.bytes`); bytes the client
/// received (`sc-bytes`) are `destination.bytes` (and `http.response.bytes`).
///
/// Options: `fields` (a default field list, as one space-separated string or a list, for
/// lines before any `#Fields:` header; without it such lines fail with `no_fields_header`),
/// `time_taken_unit` (`ms`, the default as ProxySG and IIS write it, or `s`).
/// Unknown columns are kept as `w3c.<name>`. `date` + `time` (UTC), else `timestamp` /
/// `epochtime` (epoch seconds), become the event time. Also understood: Cisco WSA names
/// (`x-elapsed-time`, `x-resultcode-httpstatus`, `cs-url`, `cs-mime-type`) and Zscaler NSS
/// field names for a feed written with a `fields:` list (`epochtime login url host
/// reqmethod respcode ua cip sip reqsize respsize action`, tab-separated or quoted).
/// Failures: `empty_record`, `too_long`, `no_fields_header`, `field_count`, `unterminated_quote`.
public final class W3CProxyParser: Parser {
    /// The unit of `time-taken`.
    public enum TimeUnit: String, CaseIterable, Sendable { case ms, s }

    enum Keys {
        static let urlScheme = FieldKey("url.scheme")
        static let urlPort = FieldKey("url.port")
        static let urlQuery = FieldKey("url.query")
        static let urlExtension = FieldKey("url.extension")
        static let referrer = FieldKey("http.request.referrer")
        static let mimeType = FieldKey("http.response.mime_type")
        static let observerIP = FieldKey("observer.ip")
        static let sAction = FieldKey("w3c.s-action")
        static let categories = FieldKey("w3c.cs-categories")
        static let filterResult = FieldKey("w3c.sc-filter-result")
        static let w3c = FieldKey("w3c")
    }

    /// What a column means.
    enum Column {
        case date, time, timeTaken, clientIP, clientPort, username, status, action, method, scheme, host, port
        case path, query, fullURL, ext, userAgent, referer, contentType, serverIP, serverPort, destIP
        case scBytes, csBytes, categories, filterResult, epoch, resultStatus
        case other(FieldKey)
        /// A column whose name the field registry refused: kept under `sluice.overflow_fields`.
        case overflow(String)
    }

    static let maxRecordBytes = 64 * 1024
    static let maxColumns = 256
    static let dataset: FieldValue = .string("w3c.proxy")
    static let categories: FieldValue = .array([.string("network"), .string("web")])
    static let success: FieldValue = .string("success")
    static let failure: FieldValue = .string("failure")

    var columns: [Column]?
    let timeUnitNanos: Int64
    let interner = FieldKeyInterner()
    private let index = FieldIndex()

    /// `field_names_refused`: column names the registry refused (kept under
    /// `sluice.overflow_fields`).
    public var counters: [(name: String, value: Int)] { [("field_names_refused", interner.refused)] }
    private var cells: [Range<Int>] = []
    private var unquote: [UInt8] = []

    public init(defaultFields: [String]? = nil, timeTakenUnit: TimeUnit = .ms) {
        timeUnitNanos = timeTakenUnit == .ms ? 1_000_000 : 1_000_000_000
        if let f = defaultFields, !f.isEmpty { columns = f.prefix(Self.maxColumns).map { self.column(named: $0) } }
    }

    public convenience init(options o: ComponentOptions) {
        let list = o.stringList("fields")
        let fields = list.map { $0.flatMap { $0.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init) } }
        self.init(defaultFields: fields, timeTakenUnit: o.choice("time_taken_unit", default: TimeUnit.ms))
    }

    func column(named raw: String) -> Column {
        switch raw.lowercased() {
        case "date": return .date
        case "time": return .time
        case "time-taken", "x-elapsed-time": return .timeTaken
        case "timestamp", "epochtime": return .epoch
        case "c-ip", "cip": return .clientIP
        case "c-port": return .clientPort
        case "cs-username", "cs-user", "cs-userdn", "login": return .username
        case "sc-status", "respcode": return .status
        case "x-resultcode-httpstatus": return .resultStatus
        case "s-action", "action": return .action
        case "cs-method", "reqmethod": return .method
        case "cs-uri-scheme": return .scheme
        case "cs-host", "cs-uri-host", "r-host", "host", "ehost": return .host
        case "cs-uri-port", "r-port": return .port
        case "cs-uri-path", "cs-uri-stem": return .path
        case "cs-uri-query": return .query
        case "cs-uri", "cs-url", "c-uri", "url", "eurl": return .fullURL
        case "cs-uri-extension": return .ext
        case "cs(user-agent)", "ua", "eua": return .userAgent
        case "cs(referer)", "cs-referer", "cs(referrer)", "referer", "ereferer": return .referer
        case "rs(content-type)", "sc(content-type)", "cs-mime-type", "contenttype": return .contentType
        case "s-ip": return .serverIP
        case "s-port": return .serverPort
        case "r-ip", "s-supplier-ip", "cs-ip", "sip": return .destIP
        case "sc-bytes", "respsize": return .scBytes
        case "cs-bytes", "reqsize": return .csBytes
        case "cs-categories": return .categories
        case "sc-filter-result": return .filterResult
        default:
            var s = raw.isEmpty ? "_" : raw
            if let k = s.withUTF8({ interner.key($0, under: Keys.w3c) }) { return .other(k) }
            return .overflow("w3c." + s)
        }
    }

    public func parse(_ record: ArraySlice<UInt8>, event: consuming Event, into output: inout [Event]) throws {
        guard record.count <= Self.maxRecordBytes else {
            throw ParseFailure("too_long", "record of \(record.count) bytes exceeds \(Self.maxRecordBytes)")
        }
        let base = RecordCursor.spanBase(of: record, in: event)
        var pending: Event? = consume event  // moved into the output, not copied, by `build`
        try record.withUnsafeBufferPointer { b in
            var c = RecordCursor(b, spanBase: base)
            c.skipSpaces()
            guard !c.atEnd else { throw ParseFailure("empty_record", "empty line") }
            if b[c.index] == UInt8(ascii: "#") {
                if c.consume("#Fields:") {
                    var names: [String] = []
                    while names.count < Self.maxColumns, let t = c.token() { names.append(c.string(t)) }
                    columns = names.map { column(named: $0) }
                }
                return
            }
            guard let columns else { throw ParseFailure("no_fields_header", "data line before any #Fields: header") }
            try split(&c)
            guard cells.count == columns.count else {
                throw ParseFailure("field_count", "\(cells.count) values, #Fields: names \(columns.count)")
            }
            output.append(build(c, columns, event: pending.take()!))
        }
    }

    /// Splits the line into `cells` (ranges of raw values, quotes removed; `""` inside quotes
    /// is kept as is and undone by `text`).
    private func split(_ c: inout RecordCursor) throws {
        cells.removeAll(keepingCapacity: true)
        let b = c.bytes
        while true {
            c.skipSpaces()
            guard c.index < c.end else { break }
            guard cells.count <= Self.maxColumns else { throw ParseFailure("field_count", "more than \(Self.maxColumns) values") }
            if b[c.index] == UInt8(ascii: "\"") {
                let s = c.index + 1
                var i = s
                while true {
                    guard i < c.end else { throw ParseFailure("unterminated_quote", "a quoted value is not closed") }
                    if b[i] == UInt8(ascii: "\"") {
                        if i + 1 < c.end, b[i + 1] == UInt8(ascii: "\"") { i += 2; continue }
                        break
                    }
                    i += 1
                }
                cells.append(s..<i)
                c.index = i + 1
            } else {
                let s = c.index
                while c.index < c.end, b[c.index] != 0x20, b[c.index] != 0x09 { c.index += 1 }
                cells.append(s..<c.index)
            }
        }
    }

    @inline(__always)
    private func text(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> String {
        if ByteText.find("\"\"", in: b, from: r.lowerBound, to: r.upperBound) == nil { return ByteText.string(b, r) }
        unquote.removeAll(keepingCapacity: true)
        var i = r.lowerBound
        while i < r.upperBound {
            unquote.append(b[i])
            i += (b[i] == UInt8(ascii: "\"") && i + 1 < r.upperBound && b[i + 1] == UInt8(ascii: "\"")) ? 2 : 1
        }
        return String(decoding: unquote, as: UTF8.self)
    }

    /// A cell as a field value: a zero-copy span unless it holds a doubled quote to undo.
    @inline(__always)
    private func value(_ c: RecordCursor, _ r: Range<Int>) -> FieldValue {
        if c.spanBase >= 0, ByteText.find("\"\"", in: c.bytes, from: r.lowerBound, to: r.upperBound) == nil { return c.value(r) }
        return .string(text(c.bytes, r))
    }

    private func build(_ c: RecordCursor, _ columns: [Column], event: consuming Event) -> Event {
        let b = c.bytes
        var e = event
        e.fields.reserveCapacity(e.fields.count + columns.count + 4)
        var seen = e.keyFilter
        // Beyond 64 columns the 64-bit filter is saturated: set the others through the index
        // at the end, so a wide header costs O(n), not O(n²).
        let wide = columns.count > 64
        var others: [Field] = []
        var overflow: [(name: String, value: FieldValue)] = []
        e.set(ECS.eventDataset, Self.dataset, seen: &seen)
        e.set(ECS.eventCategory, Self.categories, seen: &seen)
        var date: Range<Int>?, time: Range<Int>?
        var epoch: Int64?
        var scheme: String?, host: String?, port: Int64?, path: String?, query: String?
        var hasFullURL = false
        var status: Int64?
        var denied = false
        for (i, col) in columns.enumerated() {
            let r = cells[i]
            if r.isEmpty || ByteText.isDash(b, r) { continue }
            switch col {
            case .date: date = r
            case .epoch: if let t = ByteText.decimalSeconds(b, r) { epoch = t }
            case .resultStatus:
                // `TCP_MISS/200` (Cisco WSA): result code and HTTP status.
                if let slash = ByteText.find("/", in: b, from: r.lowerBound, to: r.upperBound) {
                    let code = text(b, r.lowerBound..<slash)
                    e.set(Keys.sAction, .string(code), seen: &seen)
                    e.set(ECS.eventAction, .string(code), seen: &seen)
                    if ByteText.find("DENIED", in: b, from: r.lowerBound, to: slash) != nil
                        || ByteText.find("BLOCK", in: b, from: r.lowerBound, to: slash) != nil { denied = true }
                    if let n = ByteText.uint(b, (slash + 1)..<r.upperBound) { status = n; e.set(ECS.httpStatus, .int(n), seen: &seen) }
                }
            case .time: time = r
            case .timeTaken:
                if let n = ByteText.uint(b, r) {
                    // An absurd duration (beyond Int64 nanoseconds) is left out, not overflowed.
                    let (ns, overflow) = n.multipliedReportingOverflow(by: timeUnitNanos)
                    if !overflow { e.set(ECS.eventDuration, .int(ns), seen: &seen) }
                }
                else if let d = Double(text(b, r)), d.isFinite, d >= 0, d < 1e9 { e.set(ECS.eventDuration, .int(Int64(d * Double(timeUnitNanos))), seen: &seen) }
            case .clientIP: e.set(ECS.sourceIP, value(c, r), seen: &seen)
            case .clientPort: if let n = ByteText.uint(b, r) { e.set(ECS.sourcePort, .int(n), seen: &seen) }
            case .username: e.set(ECS.userName, value(c, r), seen: &seen)
            case .status:
                if let n = ByteText.uint(b, r) { status = n; e.set(ECS.httpStatus, .int(n), seen: &seen) }
            case .action:
                let a = text(b, r)
                e.set(Keys.sAction, .string(a), seen: &seen)
                e.set(ECS.eventAction, .string(a), seen: &seen)
                if ByteText.find("DENIED", in: b, from: r.lowerBound, to: r.upperBound) != nil
                    || a == "Blocked" || a == "BLOCKED" || a == "block" { denied = true }
            case .method: e.set(ECS.httpMethod, value(c, r), seen: &seen)
            case .scheme: scheme = text(b, r)
            case .host: host = text(b, r)
            case .port: port = ByteText.uint(b, r)
            case .path: path = text(b, r)
            case .query:
                var q = r
                if b[q.lowerBound] == UInt8(ascii: "?") { q = (q.lowerBound + 1)..<q.upperBound }
                if !q.isEmpty { query = text(b, q) }
            case .fullURL: hasFullURL = true; e.set(ECS.urlFull, value(c, r), seen: &seen)
            case .ext: e.set(Keys.urlExtension, value(c, r), seen: &seen)
            case .userAgent: e.set(ECS.userAgent, value(c, r), seen: &seen)
            case .referer: e.set(Keys.referrer, value(c, r), seen: &seen)
            case .contentType: e.set(Keys.mimeType, value(c, r), seen: &seen)
            case .serverIP: e.set(Keys.observerIP, value(c, r), seen: &seen)
            case .serverPort: break
            case .destIP: if ByteText.isIP(b, r) { e.set(ECS.destinationIP, value(c, r), seen: &seen) }
            case .scBytes:
                if let n = ByteText.uint(b, r) { e.set(ECS.destinationBytes, .int(n), seen: &seen); e.set(ECS.httpResponseBytes, .int(n), seen: &seen) }
            case .csBytes:
                if let n = ByteText.uint(b, r) { e.set(ECS.sourceBytes, .int(n), seen: &seen); e.set(ECS.httpRequestBytes, .int(n), seen: &seen) }
            case .categories: e.set(Keys.categories, value(c, r), seen: &seen)
            case .filterResult:
                let f = text(b, r)
                e.set(Keys.filterResult, .string(f), seen: &seen)
                if f == "DENIED" { denied = true }
            case .other(let k):
                if wide { others.append(Field(k, value(c, r))) } else { e.set(k, value(c, r), seen: &seen) }
            case .overflow(let name): overflow.append((name, .string(text(b, r))))
            }
        }
        if let date, let t = Self.dateTime(b, date, time) { e.timestamp = t }
        else if let epoch { e.timestamp = epoch }
        if let host {
            e.set(ECS.urlDomain, .string(host), seen: &seen)
            if ByteText.isIP(host) { if e[ECS.destinationIP] == nil { e.set(ECS.destinationIP, .string(host), seen: &seen) } }
            else { e.set(ECS.destinationDomain, .string(host), seen: &seen) }
        }
        if let scheme { e.set(Keys.urlScheme, .string(scheme), seen: &seen) }
        if let port {
            e.set(Keys.urlPort, .int(port), seen: &seen)
            e.set(ECS.destinationPort, .int(port), seen: &seen)
        }
        if let path { e.set(ECS.urlPath, .string(path), seen: &seen) }
        if let query { e.set(Keys.urlQuery, .string(query), seen: &seen) }
        if !hasFullURL, let host {
            // Rebuild url.full from its parts (default ports omitted).
            var u = ""
            if let scheme, scheme != "tcp", scheme != "-" { u = scheme + "://" }
            u += host
            if let port, !(port == 80 && scheme == "http") && !(port == 443 && scheme == "https") { u += ":" + String(port) }
            if let path, !(scheme == "tcp" && path == "/") { u += path }
            if let query { u += "?" + query }
            e.set(ECS.urlFull, .string(u), seen: &seen)
        }
        if let status, status >= 400 || status == 0 { denied = true }
        if status != nil || e[Keys.sAction] != nil { e.set(ECS.eventOutcome, denied ? Self.failure : Self.success, seen: &seen) }
        if !others.isEmpty {
            index.begin(e.fields)
            for f in others { index.set(f.key, f.value, in: &e.fields) }
        }
        OverflowFields.add(overflow, to: &e)
        return e
    }

    /// `2026-11-23` + `02:08:35[.fff]`, UTC.
    static func dateTime(_ b: UnsafeBufferPointer<UInt8>, _ d: Range<Int>, _ t: Range<Int>?) -> Int64? {
        let i = d.lowerBound
        guard d.count == 10, let y = ByteText.digits(b, i, 4), b[i + 4] == UInt8(ascii: "-"),
              let mo = ByteText.digits(b, i + 5, 2), b[i + 7] == UInt8(ascii: "-"), let dd = ByteText.digits(b, i + 8, 2) else { return nil }
        var h = 0, m = 0, s = 0, nanos = 0
        if let t, t.count >= 8 {
            let j = t.lowerBound
            guard let hh = ByteText.digits(b, j, 2), b[j + 2] == UInt8(ascii: ":"), let mm = ByteText.digits(b, j + 3, 2),
                  b[j + 5] == UInt8(ascii: ":"), let ss = ByteText.digits(b, j + 6, 2), hh < 24, mm < 60, ss < 61 else { return nil }
            h = hh; m = mm; s = ss
            if t.count > 9, b[j + 8] == UInt8(ascii: ".") { nanos = ByteText.fraction(b, from: j + 9, to: t.upperBound).nanos }
        }
        return ByteText.time(year: y, month: mo, day: dd, hour: h, minute: m, second: s, nanos: nanos)
    }
}
