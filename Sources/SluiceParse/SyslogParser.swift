import SluiceCore

/// Field keys of the syslog parser, interned once.
public enum SyslogKeys {
    public static let version = FieldKey("log.syslog.version")
    public static let structuredData = FieldKey("log.syslog.structured_data")
}

/// `syslog`: RFC 5424 and RFC 3164 (BSD) syslog lines, recognized per record.
///
/// - RFC 5424 (`<PRI>1 TIMESTAMP HOST APP PROCID MSGID SD MSG`): NILVALUE `-` for any
///   header field, fractional seconds and offsets, structured data with the escapes `\"`
///   `\\` `\]` (→ `log.syslog.structured_data.<SD-ID>.<param>`: in JSON an object of SD-ID →
///   object of params), a
///   UTF-8 BOM before MSG is removed. A record that starts `<PRI>1 ` but breaks the grammar
///   fails with `invalid_rfc5424`.
/// - RFC 3164 and its real-world variants: `<PRI>` optional; `Mmm dd hh:mm:ss` (day padded
///   or not, optional fraction, optional `yyyy` before the time), or an ISO 8601 stamp as
///   rsyslog writes it, or no stamp at all; hostname optional (a first word that ends in `:`
///   or contains `[` is the tag, not a host); `tag[pid]:` or `tag:`. Year-less stamps get
///   the year inferred relative to `now` (see `SyslogTime.inferYear`); zone-less stamps are
///   read in `timezone` (default UTC).
///
/// Fields: `log.syslog.priority`, `log.syslog.facility.code`, `log.syslog.severity.code`,
/// `log.syslog.version` (5424), `host.hostname` and `host.name`, `log.syslog.appname` and
/// `process.name`, `log.syslog.procid` (and `process.pid` when numeric), `log.syslog.msgid`,
/// `log.syslog.structured_data`, `message` (the payload). The event time is the syslog
/// timestamp (left as the source gave it when the record has none).
///
/// With `payload`, the payload bytes are then parsed by that parser (e.g. `github-audit`)
/// into the same event: its fields are added, `message` is left out (the record is still in
/// `event.original`), and its failure is the record's failure.
///
/// Options: `timezone` (see `SyslogTimeZone`), `payload_format` (a registered format).
/// Structured data is read leniently (spaces around `=`, unquoted values, as syslog-loose
/// and Vector accept); SD that is unreadable even so stays in the message and never fails
/// the record.
/// Failures: `empty_record`, `invalid_priority`, `invalid_rfc5424`, plus the payload
/// parser's reasons.
public final class SyslogParser: Parser {
    /// The keys, held by the instance: a stored load on the hot path instead of a global
    /// accessor (with its lazy-initialization check) per use.
    struct K {
        let hostHostname = ECS.hostHostname
        let hostName = ECS.hostName
        let logSyslogAppName = ECS.logSyslogAppName
        let logSyslogFacility = ECS.logSyslogFacility
        let logSyslogMsgID = ECS.logSyslogMsgID
        let logSyslogPriority = ECS.logSyslogPriority
        let logSyslogProcID = ECS.logSyslogProcID
        let logSyslogSeverity = ECS.logSyslogSeverity
        let message = ECS.message
        let processName = ECS.processName
        let processPID = ECS.processPID
        let structuredData = SyslogKeys.structuredData
        let version = SyslogKeys.version
    }
    let k = K()
    let zone: SyslogTimeZone
    let now: () -> Int64
    let payload: Parser?
    /// When the payload parser fails: throw (the default), or keep the syslog event with its
    /// `message` (used by `auto`, whose payload detection is a guess).
    let payloadFailureKeepsMessage: Bool
    let interner = FieldKeyInterner()

    /// `field_names_refused`: structured-data names the registry refused (kept under
    /// `sluice.overflow_fields`).
    public var counters: [(name: String, value: Int)] {
        [("field_names_refused", interner.refused + (payload?.counters.first { $0.name == "field_names_refused" }?.value ?? 0))]
    }

    public init(timezone: SyslogTimeZone = .utc, payload: Parser? = nil, payloadFailureKeepsMessage: Bool = false,
                now: @escaping () -> Int64 = Timestamp.now) {
        self.zone = timezone
        self.payload = payload
        self.payloadFailureKeepsMessage = payloadFailureKeepsMessage
        self.now = now
    }

    /// Builds from a `parse` transform's options (`timezone`, `payload_format`); the payload
    /// parser is built from the registry with the same options block.
    public convenience init(options o: ComponentOptions, context: BuildContext) throws {
        var zone = SyslogTimeZone.utc
        if let tz = o.string("timezone") {
            if let z = SyslogTimeZone(tz) { zone = z } else {
                o.fail("option 'timezone' must be UTC, local, an offset like +01:00 or a zone like Europe/Berlin, got \"\(tz)\"", at: "timezone")
            }
        }
        var payload: Parser?
        if let pf = o.string("payload_format"), !pf.isEmpty {
            if pf == "syslog" {
                o.fail("option 'payload_format' cannot be syslog itself", at: "payload_format")
            } else if let f = context.registry.parsers[pf] {
                payload = try f(o, context)
            } else {
                o.fail("unknown payload_format '\(pf)'; known formats: \(context.registry.parsers.keys.sorted().joined(separator: ", "))", at: "payload_format")
            }
        }
        self.init(timezone: zone, payload: payload)
    }

    public func parse(_ record: ArraySlice<UInt8>, event: consuming Event, into output: inout [Event]) throws {
        var e = event
        let fresh = e.fields.isEmpty
        e.fields.reserveCapacity(e.fields.count + 16)
        let spanBase = RecordCursor.spanBase(of: record, in: e)
        let msgRange: Range<Int> = try record.withUnsafeBufferPointer { buf in
            try parseHeader(buf, into: &e, fresh: fresh, spanBase: spanBase)
        }
        let base = record.startIndex
        let msg = record[(base + msgRange.lowerBound)..<(base + msgRange.upperBound)]
        if let payload {
            let before = output.count
            do {
                try payload.parse(msg, event: e, into: &output)
                return
            } catch let f as ParseFailure {
                output.removeSubrange(before...)
                if !payloadFailureKeepsMessage { throw f }
            }
        }
        if !msg.isEmpty {
            let v = record.withUnsafeBufferPointer { RecordCursor.value($0, msgRange, spanBase: spanBase) }
            e.put(k.message, v, fresh: fresh)
        }
        output.append(consume e)
    }

    /// `p[a..<b]` as text (a span when `spanBase` is known; see `RecordCursor.value`).
    @inline(__always)
    private static func text(_ p: UnsafeBufferPointer<UInt8>, _ a: Int, _ b: Int, _ spanBase: Int) -> FieldValue {
        RecordCursor.value(p, a..<b, spanBase: spanBase)
    }

    @inline(__always)
    private static func number(_ p: UnsafeBufferPointer<UInt8>, _ a: Int, _ b: Int) -> Int64? {
        guard b > a, b - a <= 18 else { return nil }
        var v: Int64 = 0
        for i in a..<b {
            let d = p[i] &- 48
            guard d < 10 else { return nil }
            v = v * 10 + Int64(d)
        }
        return v
    }

    /// Parses the header into `e`; returns the range of the message within `p`. `spanBase`:
    /// where `p` starts inside `e.original` (text fields become spans), or -1 (strings).
    func parseHeader(_ p: UnsafeBufferPointer<UInt8>, into e: inout Event, fresh: Bool, spanBase: Int = -1) throws -> Range<Int> {
        var end = p.count
        while end > 0, p[end - 1] == 0x0A || p[end - 1] == 0x0D || p[end - 1] == 0 { end -= 1 }
        guard end > 0 else { throw ParseFailure("empty_record", "empty line") }
        var i = 0
        var pri = -1
        if p[0] == 0x3C {  // '<'
            var j = 1, v = 0
            while j < end, j <= 4, p[j] &- 48 < 10 { v = v * 10 + Int(p[j] - 48); j += 1 }
            if j > 1 && j < end && p[j] == 0x3E {
                guard v <= 191, j <= 4 else { throw ParseFailure("invalid_priority", "priority \(v) out of range 0-191") }
                pri = v
                i = j + 1
            } else if j > 1 {
                throw ParseFailure("invalid_priority", "unterminated <PRI>")
            }
        }
        if pri >= 0 {
            e.put(k.logSyslogPriority, .int(Int64(pri)), fresh: fresh)
            e.put(k.logSyslogFacility, .int(Int64(pri >> 3)), fresh: fresh)
            e.put(k.logSyslogSeverity, .int(Int64(pri & 7)), fresh: fresh)
            // RFC 5424: VERSION (1-2 digits, non-zero) then SP.
            if i + 1 < end, p[i] &- 49 < 9 {
                var j = i, ver = 0
                while j < end, j - i < 3, p[j] &- 48 < 10 { ver = ver * 10 + Int(p[j] - 48); j += 1 }
                if j < end, p[j] == 0x20, j - i <= 2 {
                    // Could still be a 3164 line whose stamp starts with a digit (ISO year): 4 digits fail j-i<=2.
                    e.put(k.version, .int(Int64(ver)), fresh: fresh)
                    return try parse5424(p, j + 1, end, into: &e, fresh: fresh, spanBase)
                }
            }
        }
        return parse3164(p, i, end, into: &e, fresh: fresh, spanBase)
    }

    // MARK: RFC 5424

    @inline(__always)
    private func token(_ p: UnsafeBufferPointer<UInt8>, _ i: inout Int, _ end: Int, _ what: String) throws -> (Int, Int) {
        let a = i
        while i < end, p[i] != 0x20 { i += 1 }
        guard i > a else { throw ParseFailure("invalid_rfc5424", "empty \(what) at byte \(a)") }
        let b = i
        guard i < end else { throw ParseFailure("invalid_rfc5424", "header ends after \(what)") }
        i += 1
        return (a, b)
    }

    private func parse5424(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, into e: inout Event, fresh: Bool, _ sb: Int) throws -> Range<Int> {
        var i = start
        let (ta, tb) = try token(p, &i, end, "timestamp")
        if !(tb - ta == 1 && p[ta] == 0x2D) {
            guard let (t, next) = SyslogTime.iso(p, ta, tb, zone: zone), next == tb else {
                throw ParseFailure("invalid_rfc5424", "bad timestamp at byte \(ta)")
            }
            e.timestamp = t
        }
        let (ha, hb) = try token(p, &i, end, "hostname")
        if !(hb - ha == 1 && p[ha] == 0x2D) {
            let v = Self.text(p, ha, hb, sb)
            e.put(k.hostHostname, v, fresh: fresh)
            e.put(k.hostName, v, fresh: fresh)
        }
        let (aa, ab) = try token(p, &i, end, "app-name")
        if !(ab - aa == 1 && p[aa] == 0x2D) {
            let v = Self.text(p, aa, ab, sb)
            e.put(k.logSyslogAppName, v, fresh: fresh)
            e.put(k.processName, v, fresh: fresh)
        }
        let (pa, pb) = try token(p, &i, end, "procid")
        if !(pb - pa == 1 && p[pa] == 0x2D) {
            e.put(k.logSyslogProcID, Self.text(p, pa, pb, sb), fresh: fresh)
            if let n = Self.number(p, pa, pb) { e.put(k.processPID, .int(n), fresh: fresh) }
        }
        // MSGID is followed by SP then SD; the header may end right after SD.
        let ma = i
        while i < end, p[i] != 0x20 { i += 1 }
        guard i > ma, i < end else { throw ParseFailure("invalid_rfc5424", "missing msgid or structured data") }
        if !(i - ma == 1 && p[ma] == 0x2D) { e.put(k.logSyslogMsgID, Self.text(p, ma, i, sb), fresh: fresh) }
        i += 1
        guard i < end else { throw ParseFailure("invalid_rfc5424", "missing structured data") }
        // Structured data, read leniently (as real senders write it): a record whose SD
        // cannot be read even so keeps all of it in its message, never fails.
        if p[i] == 0x2D && (i + 1 == end || p[i + 1] == 0x20) {
            i += 1
        } else if p[i] == 0x5B {
            let sdStart = i
            let fieldsBefore = e.fields.count
            if !parseStructuredData(p, &i, end, into: &e, sb) {
                e.fields.removeSubrange(fieldsBefore..<e.fields.count)
                return sdStart..<end
            }
            if i < end, p[i] != 0x20 { return i..<end }   // `]msg`: the message starts right away
        } else {
            return i..<end   // no SD where it belongs: the rest is the message
        }
        if i >= end { return end..<end }
        i += 1
        if end - i >= 3, p[i] == 0xEF, p[i + 1] == 0xBB, p[i + 2] == 0xBF { i += 3 }
        return i..<end
    }

    /// Most SD elements and SD-PARAMs read from one record; beyond, the SD is kept as text.
    static let maxSDElements = 64
    static let maxSDParams = 256

    /// Reads `[id k="v" ...][id2 ...]` at `p[i]` into `e`; leaves `i` after the last `]`.
    /// Each param becomes `log.syslog.structured_data.<SD-ID>.<name>` (nested objects in
    /// JSON; no per-record arrays are allocated); an element without params becomes an
    /// empty object. Lenient, as senders write it: spaces around `=` (`eventSource=
    /// "Application"`), unquoted values (`a=1`, up to a space or `]`), several spaces
    /// between params, longer names. Returns false (the caller keeps the SD as message text)
    /// when it is still unreadable: no `]`, an empty SD-ID, more than `maxSDElements`
    /// elements or `maxSDParams` params. Names the field registry refuses go to
    /// `sluice.overflow_fields`.
    private func parseStructuredData(_ p: UnsafeBufferPointer<UInt8>, _ i: inout Int, _ end: Int, into e: inout Event, _ sb: Int) -> Bool {
        var elements = 0
        var params = 0
        var overflow: [(name: String, value: FieldValue)] = []
        @inline(__always) func isNameByte(_ c: UInt8) -> Bool {
            c != 0x20 && c != 0x5D && c != 0x3D && c != 0x22 && c > 0x20 && c < 0x7F
        }
        while i < end, p[i] == 0x5B {
            i += 1
            let ia = i
            while i < end, isNameByte(p[i]) { i += 1 }
            guard i > ia, i - ia <= 128, i < end, p[i] == 0x20 || p[i] == 0x5D else { return false }
            let idEnd = i
            let idKey = interner.key(UnsafeBufferPointer(rebasing: p[ia..<i]), under: k.structuredData)
            var elementParams = 0
            while true {
                while i < end, p[i] == 0x20 { i += 1 }
                guard i < end else { return false }
                if p[i] == 0x5D { break }
                let na = i
                while i < end, isNameByte(p[i]) { i += 1 }
                guard i > na, i - na <= 128 else { return false }
                let nb = i
                while i < end, p[i] == 0x20 { i += 1 }
                guard i < end, p[i] == 0x3D else { return false }
                i += 1
                while i < end, p[i] == 0x20 { i += 1 }
                guard i < end else { return false }
                let value: FieldValue
                if p[i] == 0x22 {
                    i += 1
                    let va = i
                    var escaped = false
                    while i < end, p[i] != 0x22 {
                        if p[i] == 0x5C { escaped = true; i += 2 } else { i += 1 }
                    }
                    guard i < end else { return false }
                    if escaped {
                        var scratch: [UInt8] = []
                        scratch.reserveCapacity(i - va)
                        var k = va
                        while k < i {
                            let c = p[k]
                            if c == 0x5C, k + 1 < i, p[k + 1] == 0x22 || p[k + 1] == 0x5C || p[k + 1] == 0x5D {
                                scratch.append(p[k + 1]); k += 2
                            } else { scratch.append(c); k += 1 }
                        }
                        value = .string(String(decoding: scratch, as: UTF8.self))
                    } else {
                        value = Self.text(p, va, i, sb)
                    }
                    i += 1
                } else {
                    let va = i
                    while i < end, p[i] != 0x20, p[i] != 0x5D { i += 1 }
                    value = Self.text(p, va, i, sb)
                }
                params += 1
                elementParams += 1
                guard params <= Self.maxSDParams else { return false }
                if let idKey, let nameKey = interner.key(UnsafeBufferPointer(rebasing: p[na..<nb]), under: idKey) {
                    e.replace(nameKey, value)  // an SD-PARAM may repeat: the last one wins
                } else {
                    let name = "log.syslog.structured_data." + ByteText.string(p, ia..<idEnd) + "." + ByteText.string(p, na..<nb)
                    overflow.append((name, e.resolved(value)))
                }
            }
            i += 1
            if elementParams == 0, let idKey, e[idKey] == nil { e[idKey] = .object([]) }
            elements += 1
            if elements > Self.maxSDElements { return false }
        }
        OverflowFields.add(overflow, to: &e)
        return true
    }

    // MARK: RFC 3164

    private func parse3164(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, into e: inout Event, fresh: Bool, _ sb: Int) -> Range<Int> {
        var i = start
        while i < end, p[i] == 0x20 { i += 1 }
        var sawStamp = false
        if i < end {
            let c = p[i]
            if c &- 48 < 10 {
                if let (t, next) = SyslogTime.iso(p, i, end, zone: zone), next == end || p[next] == 0x20 {
                    e.timestamp = t
                    i = next
                    sawStamp = true
                }
            } else if let b = SyslogTime.bsd(p, i, end), b.next == end || p[b.next] == 0x20 || p[b.next] == 0x3A {
                var year = b.year ?? 0
                if b.year == nil {
                    let n = now()
                    year = SyslogTime.inferYear(month: b.month, day: b.day, h: b.h, m: b.m, s: b.s,
                                                offset: zone.offset(atUTC: n / Timestamp.nanosPerSecond), now: n)
                }
                let local = Timestamp.make(year: year, month: b.month, day: b.day, hour: b.h, minute: b.m, second: b.s, nanos: b.nanos)
                e.timestamp = local - Int64(zone.offset(forLocal: local / Timestamp.nanosPerSecond)) * Timestamp.nanosPerSecond
                i = b.next
                if i < end, p[i] == 0x3A { i += 1 }  // Cisco-style "stamp:"
                sawStamp = true
            }
        }
        while i < end, p[i] == 0x20 { i += 1 }
        // Hostname (only after a stamp; a first word that looks like a tag is the tag).
        if sawStamp, i < end {
            let a = i
            var j = i
            var tagLike = false
            while j < end, p[j] != 0x20 {
                if p[j] == 0x5B || p[j] == 0x3A && (j + 1 == end || p[j + 1] == 0x20) { tagLike = true }
                j += 1
            }
            if !tagLike && j < end {
                let v = Self.text(p, a, j, sb)
                e.put(k.hostHostname, v, fresh: fresh)
                e.put(k.hostName, v, fresh: fresh)
                i = j + 1
                while i < end, p[i] == 0x20 { i += 1 }
            }
        }
        // TAG: up to 48 name bytes then `:` or `[pid]` (`:` optional after it).
        let ta = i
        var j = i
        while j < end, j - ta <= 48, p[j] != 0x20, p[j] != 0x3A, p[j] != 0x5B, p[j] > 0x20 { j += 1 }
        if j > ta, j < end, j - ta <= 48 {
            if p[j] == 0x3A && (j + 1 == end || p[j + 1] == 0x20) {
                let v = Self.text(p, ta, j, sb)
                e.put(k.logSyslogAppName, v, fresh: fresh)
                e.put(k.processName, v, fresh: fresh)
                i = j + 1
            } else if p[j] == 0x5B {
                var close = j + 1
                while close < end, close - j <= 24, p[close] != 0x5D, p[close] != 0x20 { close += 1 }
                if close < end, p[close] == 0x5D, close > j + 1 {
                    let after = close + 1
                    if after == end || p[after] == 0x20 || (p[after] == 0x3A && (after + 1 == end || p[after + 1] == 0x20)) {
                        let v = Self.text(p, ta, j, sb)
                        e.put(k.logSyslogAppName, v, fresh: fresh)
                        e.put(k.processName, v, fresh: fresh)
                        e.put(k.logSyslogProcID, Self.text(p, j + 1, close, sb), fresh: fresh)
                        if let n = Self.number(p, j + 1, close) { e.put(k.processPID, .int(n), fresh: fresh) }
                        i = after < end && p[after] == 0x3A ? after + 1 : after
                    }
                }
            }
        }
        if i < end, p[i] == 0x20 { i += 1 }
        return i..<end
    }
}
