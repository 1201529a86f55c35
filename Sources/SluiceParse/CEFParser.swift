import SluiceCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Field keys of the CEF parser, interned once.
public enum CEFKeys {
    public static let version = FieldKey("cef.version")
    public static let severity = FieldKey("cef.severity")
    public static let extensions = FieldKey("cef.extensions")
    public static let labels = FieldKey("cef.labels")
    public static let observerVendor = FieldKey("observer.vendor")
    public static let observerProduct = FieldKey("observer.product")
    public static let observerVersion = FieldKey("observer.version")
    public static let observerHostname = FieldKey("observer.hostname")
    public static let observerIP = FieldKey("observer.ip")
    public static let eventCode = FieldKey("event.code")
    public static let eventReason = FieldKey("event.reason")
    public static let destinationUserName = FieldKey("destination.user.name")
    public static let networkTransport = FieldKey("network.transport")
    public static let networkProtocol = FieldKey("network.protocol")
    public static let fileName = FieldKey("file.name")
}

/// `cef`: ArcSight Common Event Format, as proxies, firewalls and SIEM forwarders send it,
/// with or without a syslog header (RFC 3164 or 5424) before `CEF:`.
///
/// `CEF:Version|Device Vendor|Device Product|Device Version|Signature ID|Name|Severity|Extension`
///
/// Escaping is inverted exactly as the CEF specification defines it: in the header `\|` →
/// `|` and `\\` → `\`; in extension values `\=` → `=`, `\\` → `\`, `\n` → LF, `\r` → CR
/// (and `\|` → `|`, which some writers emit). Any other backslash pair is kept as written.
/// An extension value runs up to the space before the next `key=` (unescaped `=`), so
/// values may contain spaces; the last value runs to the end of the record (a trailing
/// CR/LF is dropped). Nothing else is trimmed, so encode → decode is the identity.
///
/// Fields: header → `cef.version`, `observer.vendor`, `observer.product`,
/// `observer.version`, `event.code` (signature id), `event.reason` and `message` (name),
/// `event.severity` (0-10; Low 3, Medium 6, High 8, Very-High 10) and `cef.severity` as
/// written. Every extension is kept as text under `cef.extensions.<key>`; custom labels
/// (`cs1Label=Threat cs1=Trojan`, any `<key>Label` with a `<key>`) give `cef.labels.<label>`.
/// Mapped keys: `src`→`source.ip`, `dst`→`destination.ip`, `spt`→`source.port`,
/// `dpt`→`destination.port`, `suser`→`user.name`, `duser`→`destination.user.name`,
/// `shost`→`source.domain`, `dhost`→`destination.domain`, `request`→`url.original` and
/// `url.full`, `requestMethod`→`http.request.method`, `requestClientApplication`→
/// `user_agent.original`, `act`→`event.action`, `msg`→`message`, `out`→`source.bytes`
/// (bytes sent by the source to the destination), `in`→`destination.bytes` (bytes the
/// destination sent back to the source), `proto`→`network.transport`, `app`→
/// `network.protocol`, `dvchost`→`observer.hostname`, `dvc`→`observer.ip`, `fname`→
/// `file.name`, `rt`→ the event time (epoch ms, or `MMM dd yyyy HH:mm:ss[.SSS][ zone]`).
/// Without `rt` the syslog header's time is used, else the source's.
///
/// Options: `timezone` for zone-less `rt` and syslog stamps (see `SyslogTimeZone`).
/// Extension keys and labels the field registry refuses (too long, or the registry full)
/// go to `sluice.overflow_fields` instead of failing the record.
/// Failures: `empty_record`, `not_cef`, `invalid_cef_header`, `invalid_cef_extension`.
public final class CEFParser: Parser {
    let syslog: SyslogParser
    let interner = FieldKeyInterner()

    /// `field_names_refused`: extension keys and custom labels the registry refused (kept
    /// under `sluice.overflow_fields`).
    public var counters: [(name: String, value: Int)] { [("field_names_refused", interner.refused + syslog.interner.refused)] }
    /// Mapped extension keys, indexed by the id of their `cef.extensions.<key>` FieldKey
    /// (a direct index: no hashing per extension).
    private let mapped: [Mapping?]
    private let zone: SyslogTimeZone
    let now: () -> Int64

    enum Mapping {
        case string(FieldKey)
        case stringTwice(FieldKey, FieldKey)
        case int(FieldKey)
        case lowercased(FieldKey)
        case time
    }

    public init(timezone: SyslogTimeZone = .utc, now: @escaping () -> Int64 = Timestamp.now) {
        zone = timezone
        self.now = now
        syslog = SyslogParser(timezone: timezone, now: now)
        let table: [(String, Mapping)] = [
            ("src", .string(ECS.sourceIP)), ("dst", .string(ECS.destinationIP)),
            ("spt", .int(ECS.sourcePort)), ("dpt", .int(ECS.destinationPort)),
            ("suser", .string(ECS.userName)), ("duser", .string(CEFKeys.destinationUserName)),
            ("shost", .string(ECS.sourceDomain)), ("dhost", .string(ECS.destinationDomain)),
            ("request", .stringTwice(ECS.urlOriginal, ECS.urlFull)),
            ("requestMethod", .string(ECS.httpMethod)),
            ("requestClientApplication", .string(ECS.userAgent)),
            ("act", .string(ECS.eventAction)), ("msg", .string(ECS.message)),
            ("out", .int(ECS.sourceBytes)), ("in", .int(ECS.destinationBytes)),
            ("proto", .lowercased(CEFKeys.networkTransport)), ("app", .lowercased(CEFKeys.networkProtocol)),
            ("dvchost", .string(CEFKeys.observerHostname)), ("dvc", .string(CEFKeys.observerIP)),
            ("fname", .string(CEFKeys.fileName)), ("rt", .time),
        ]
        let keyed = table.map { (FieldKey("cef.extensions." + $0.0).id, $0.1) }
        var m = [Mapping?](repeating: nil, count: Int(keyed.map(\.0).max() ?? 0) + 1)
        for (id, v) in keyed { m[Int(id)] = v }
        mapped = m
    }

    public convenience init(options o: ComponentOptions) {
        var zone = SyslogTimeZone.utc
        if let tz = o.string("timezone") {
            if let z = SyslogTimeZone(tz) { zone = z } else {
                o.fail("option 'timezone' must be UTC, local, an offset like +01:00 or a zone like Europe/Berlin, got \"\(tz)\"", at: "timezone")
            }
        }
        self.init(timezone: zone)
    }

    /// Index of `CEF:` at the start or within the first 1 KiB (after a syslog header), or nil.
    static func findCEF(_ p: UnsafeBufferPointer<UInt8>) -> Int? {
        let limit = min(p.count, 1024) - 4   // last index where "CEF:" can start
        guard limit >= 0, let base = p.baseAddress else { return nil }
        var i = 0
        while i <= limit {
            guard let hit = memchr(base + i, 0x43, limit - i + 1) else { return nil }   // 'C'
            let j = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
            if p[j + 1] == 0x45, p[j + 2] == 0x46, p[j + 3] == 0x3A, j == 0 || p[j - 1] == 0x20 { return j }
            i = j + 1
        }
        return nil
    }

    public func parse(_ record: ArraySlice<UInt8>, event: consuming Event, into output: inout [Event]) throws {
        var e = event
        e.fields.reserveCapacity(e.fields.count + 48)
        let spanBase = RecordCursor.spanBase(of: record, in: e)
        try record.withUnsafeBufferPointer { p in
            var end = p.count
            while end > 0, p[end - 1] == 0x0A || p[end - 1] == 0x0D || p[end - 1] == 0 { end -= 1 }
            guard end > 0 else { throw ParseFailure("empty_record", "empty line") }
            guard let start = Self.findCEF(UnsafeBufferPointer(rebasing: p[0..<end])) else {
                throw ParseFailure("not_cef", "no 'CEF:' at the start or after a syslog header")
            }
            if start > 0 {
                // Best effort: the syslog header's priority, host and time.
                var h = e
                if (try? syslog.parseHeader(UnsafeBufferPointer(rebasing: p[0..<start]), into: &h, fresh: false)) != nil { e = h }
            }
            try parseCEF(p, start + 4, end, into: &e, spanBase: spanBase)
        }
        output.append(consume e)
    }

    private static func headerText(_ p: UnsafeBufferPointer<UInt8>, _ a: Int, _ b: Int, escaped: Bool) -> String {
        if !escaped { return String(decoding: UnsafeBufferPointer(rebasing: p[a..<b]), as: UTF8.self) }
        var out: [UInt8] = []
        out.reserveCapacity(b - a)
        var i = a
        while i < b {
            if p[i] == 0x5C, i + 1 < b, p[i + 1] == 0x7C || p[i + 1] == 0x5C { out.append(p[i + 1]); i += 2 }
            else { out.append(p[i]); i += 1 }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// `spanBase`: where `p` starts inside `e.original` (unescaped extension values become
    /// zero-copy spans), or -1 (strings).
    func parseCEF(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, into e: inout Event, spanBase: Int = -1) throws {
        var i = start
        while i < end, p[i] == 0x20 { i += 1 }
        // Seven header fields, each ended by an unescaped '|'.
        var fields: [String] = []
        fields.reserveCapacity(7)
        var a = i
        var escaped = false
        while i < end, fields.count < 7 {
            let c = p[i]
            if c == 0x5C { escaped = true; i += 2; continue }
            if c == 0x7C {
                fields.append(Self.headerText(p, a, i, escaped: escaped))
                escaped = false
                i += 1
                a = i
                continue
            }
            i += 1
        }
        guard fields.count == 7 else {
            throw ParseFailure("invalid_cef_header", "expected 7 '|'-separated header fields, found \(fields.count)")
        }
        guard let version = Int64(fields[0].trimmingSpaces) else {
            throw ParseFailure("invalid_cef_header", "version '\(fields[0])' is not a number")
        }
        e[CEFKeys.version] = .int(version)
        e.set(CEFKeys.observerVendor, fields[1])
        e.set(CEFKeys.observerProduct, fields[2])
        e.set(CEFKeys.observerVersion, fields[3])
        e.set(CEFKeys.eventCode, fields[4])
        e.set(CEFKeys.eventReason, fields[5])
        e.set(ECS.message, fields[5])
        e.set(CEFKeys.severity, fields[6])
        if let sev = Self.severity(fields[6]) { e[ECS.eventSeverity] = .int(sev) }
        try parseExtensions(p, min(i, end), end, into: &e, spanBase: spanBase)
    }

    static func severity(_ s: String) -> Int64? {
        if let n = Int64(s.trimmingSpaces), n >= 0, n <= 10 { return n }
        switch s.lowercased() {
        case "low": return 3
        case "medium": return 6
        case "high": return 8
        case "very-high", "very high", "veryhigh": return 10
        default: return nil
        }
    }

    @inline(__always)
    static func isKeyByte(_ c: UInt8) -> Bool {
        (c >= 0x61 && c <= 0x7A) || (c >= 0x41 && c <= 0x5A) || (c >= 0x30 && c <= 0x39) || c == 0x5F || c == 0x2E || c == 0x2D || c == 0x5B || c == 0x5D
    }

    /// `k=v k2=v with spaces k3=...` from `p[start..<end]`.
    func parseExtensions(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, into e: inout Event, spanBase: Int = -1) throws {
        var i = start
        while i < end, p[i] == 0x20 { i += 1 }
        guard i < end else { return }
        var pairs: [Pair] = []
        pairs.reserveCapacity(32)
        // First key.
        var ka = i
        while i < end, Self.isKeyByte(p[i]) { i += 1 }
        guard i > ka, i < end, p[i] == 0x3D else {
            throw ParseFailure("invalid_cef_extension", "expected key=value at byte \(ka)")
        }
        var keyEnd = i
        i += 1
        while true {
            // Value from i: ends at the space before the next `key=` or at `end`.
            let va = i
            var escaped = false
            var lastSpace = -1
            var nextKey = -1
            while i < end {
                // Up to the next '\\', ' ' or '=' (most value bytes are none).
                i = ByteScan.firstOf(p, from: i, to: end, 0x5C, 0x20, 0x3D, 0x3D)
                guard i < end else { break }
                let c = p[i]
                if c == 0x5C { escaped = true; i += 2; continue }
                if c == 0x20 { lastSpace = i }
                else if c == 0x3D {
                    // Is p[lastSpace+1..<i] a key?
                    if lastSpace >= va {
                        var k = lastSpace + 1
                        while k < i, Self.isKeyByte(p[k]) { k += 1 }
                        if k == i && i > lastSpace + 1 { nextKey = lastSpace; break }
                    }
                }
                i += 1
            }
            let ve = nextKey >= 0 ? nextKey : min(i, end)
            let key = interner.key(UnsafeBufferPointer(rebasing: p[ka..<keyEnd]), under: CEFKeys.extensions)
            pairs.append(Pair(key: key, ka: ka, kb: keyEnd, va: va, vb: ve, escaped: escaped))
            if pairs.count > 1024 { throw ParseFailure("invalid_cef_extension", "more than 1024 extensions") }
            if nextKey < 0 { break }
            ka = nextKey + 1
            keyEnd = i
            i += 1
        }
        var seen = e.keyFilter
        var overflow: [(name: String, value: FieldValue)] = []
        for pair in pairs {
            let v = Self.extensionValue(p, pair, spanBase)
            guard let key = pair.key else {
                // A key name the registry refused: kept, under sluice.overflow_fields.
                overflow.append(("cef.extensions." + ByteText.string(p, pair.ka..<pair.kb), .string(Self.extensionText(p, pair.va, pair.vb, escaped: pair.escaped))))
                continue
            }
            e.set(key, v, seen: &seen)
            let id = Int(key.id)
            if id < mapped.count, let m = mapped[id] { apply(m, p, pair, v, &e, &seen) }
        }
        // Custom labels: `<base>Label=<label>` names the value of `<base>` (compared as bytes).
        for pair in pairs where pair.kb - pair.ka > 5 && pair.vb > pair.va {
            let ls = pair.kb - 5
            guard p[ls] == 0x4C, p[ls + 1] == 0x61, p[ls + 2] == 0x62, p[ls + 3] == 0x65, p[ls + 4] == 0x6C else { continue }  // "Label"
            let baseLen = ls - pair.ka
            guard let j = pairs.firstIndex(where: { $0.kb - $0.ka == baseLen && memcmp(p.baseAddress! + $0.ka, p.baseAddress! + pair.ka, baseLen) == 0 }) else { continue }
            let lk: FieldKey?
            if pair.escaped {
                let label = Array(Self.extensionText(p, pair.va, pair.vb, escaped: true).utf8)
                lk = label.withUnsafeBufferPointer { interner.key($0, under: CEFKeys.labels) }
            } else {
                lk = interner.key(UnsafeBufferPointer(rebasing: p[pair.va..<pair.vb]), under: CEFKeys.labels)
            }
            guard let lk else {
                let label = Self.extensionText(p, pair.va, pair.vb, escaped: pair.escaped)
                overflow.append(("cef.labels." + label, .string(Self.extensionText(p, pairs[j].va, pairs[j].vb, escaped: pairs[j].escaped))))
                continue
            }
            e.set(lk, Self.extensionValue(p, pairs[j], spanBase), seen: &seen)
        }
        OverflowFields.add(overflow, to: &e)
    }

    /// An extension's value: a zero-copy span of the record when it has no escapes and the
    /// record lies in the event's `original`, the unescaped string otherwise.
    @inline(__always)
    static func extensionValue(_ p: UnsafeBufferPointer<UInt8>, _ pair: Pair, _ spanBase: Int) -> FieldValue {
        if !pair.escaped, spanBase >= 0 { return RecordCursor.value(p, pair.va..<pair.vb, spanBase: spanBase) }
        return .string(extensionText(p, pair.va, pair.vb, escaped: pair.escaped))
    }

    struct Pair {
        /// nil when the registry refused the key's name.
        let key: FieldKey?
        let ka: Int, kb: Int, va: Int, vb: Int
        let escaped: Bool
    }

    /// Applies a mapped key's ECS mapping to its value `v` (bytes `p[pair.va..<pair.vb]`).
    private func apply(_ m: Mapping, _ p: UnsafeBufferPointer<UInt8>, _ pair: Pair, _ v: FieldValue, _ e: inout Event, _ seen: inout UInt64) {
        guard pair.vb > pair.va else { return }
        switch m {
        case .string(let k): e.set(k, v, seen: &seen)
        case .stringTwice(let k1, let k2): e.set(k1, v, seen: &seen); e.set(k2, v, seen: &seen)
        case .int(let k):
            let n = pair.escaped ? Int64(Self.extensionText(p, pair.va, pair.vb, escaped: true)) : ByteText.int(p, pair.va..<pair.vb)
            if let n { e.set(k, .int(n), seen: &seen) }
        case .lowercased(let k):
            var upper = pair.escaped
            for i in pair.va..<pair.vb where p[i] &- 65 < 26 { upper = true; break }
            e.set(k, upper ? .string(Self.extensionText(p, pair.va, pair.vb, escaped: pair.escaped).lowercased()) : v, seen: &seen)
        case .time: if let t = rtTime(Self.extensionText(p, pair.va, pair.vb, escaped: pair.escaped)) { e.timestamp = t }
        }
    }

    /// `rt`: epoch milliseconds, or `MMM dd [yyyy] HH:mm:ss[.SSS][ zone]`, or RFC 3339.
    func rtTime(_ v: String) -> Int64? {
        var bytes = Array(v.utf8)
        return bytes.withUnsafeMutableBufferPointer { mp -> Int64? in
            let p = UnsafeBufferPointer(mp)
            if let n = Int64(v), n >= 0 { return TimestampFormat.auto.nanos(.int(n)) }
            if let (t, next) = SyslogTime.iso(p, 0, p.count, zone: zone), next == p.count { return t }
            guard let b = SyslogTime.bsd(p, 0, p.count) else { return nil }
            var z = zone
            if b.next < p.count {
                guard p[b.next] == 0x20 else { return nil }
                let text = String(decoding: UnsafeBufferPointer(rebasing: p[(b.next + 1)...]), as: UTF8.self)
                guard let tz = SyslogTimeZone(text) else { return nil }
                z = tz
            }
            var year = b.year ?? 0
            if b.year == nil {
                let n = now()
                year = SyslogTime.inferYear(month: b.month, day: b.day, h: b.h, m: b.m, s: b.s,
                                            offset: z.offset(atUTC: n / Timestamp.nanosPerSecond), now: n)
            }
            let local = Timestamp.make(year: year, month: b.month, day: b.day, hour: b.h, minute: b.m, second: b.s, nanos: b.nanos)
            return local - Int64(z.offset(forLocal: local / Timestamp.nanosPerSecond)) * Timestamp.nanosPerSecond
        }
    }

    static func extensionText(_ p: UnsafeBufferPointer<UInt8>, _ a: Int, _ b: Int, escaped: Bool) -> String {
        if !escaped { return String(decoding: UnsafeBufferPointer(rebasing: p[a..<b]), as: UTF8.self) }
        var out: [UInt8] = []
        out.reserveCapacity(b - a)
        var i = a
        while i < b {
            let c = p[i]
            if c == 0x5C, i + 1 < b {
                switch p[i + 1] {
                case 0x3D, 0x5C, 0x7C: out.append(p[i + 1]); i += 2; continue   // \= \\ \|
                case 0x6E: out.append(0x0A); i += 2; continue                   // \n
                case 0x72: out.append(0x0D); i += 2; continue                   // \r
                default: break
                }
            }
            out.append(c); i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension String {
    var trimmingSpaces: Substring {
        var s = Substring(self)
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return s
    }
}
