import SluiceCore

/// `zeek-dns`: Zeek `dns.log`, as TSV (with its `#separator`, `#set_separator`,
/// `#empty_field`, `#unset_field`, `#fields` headers, which are remembered by the parser
/// instance and may change mid-stream; `#path`, `#types`, `#open`, `#close` are accepted and
/// produce no event) or as Zeek JSON logs (one object per line, detected by a leading `{`).
///
/// Before any `#fields` header, TSV lines use Zeek's default dns.log columns.
/// Guarantees: one event per data line; header lines produce none; bounded: at most 256
/// columns and 1 MiB per line. Failures: `empty_record`, `too_long`, `invalid_json`,
/// `not_an_object`, `field_count` (a TSV line with fewer columns than `#fields`),
/// `invalid_zeek` (unreadable `ts`).
public final class ZeekDNSParser: Parser {
    enum Keys {
        static let transport = FieldKey("network.transport")
        static let protocolName = FieldKey("network.protocol")
        static let dnsID = FieldKey("dns.id")
        static let dnsType = FieldKey("dns.type")
        static let questionClass = FieldKey("dns.question.class")
        static let headerFlags = FieldKey("dns.header_flags")
        static let resolvedIP = FieldKey("dns.resolved_ip")
        static let sessionID = FieldKey("zeek.session_id")
        static let rtt = FieldKey("zeek.dns.rtt")
        static let rejected = FieldKey("zeek.dns.rejected")
        static let rcode = FieldKey("zeek.dns.rcode")
        static let qtype = FieldKey("zeek.dns.qtype")
        static let data = FieldKey("data")
        static let ttl = FieldKey("ttl")
        static let type = FieldKey("type")
        static let zeek = FieldKey("zeek.dns")
    }

    /// What a column means.
    enum Column: Equatable {
        case ts, uid, origH, origP, respH, respP, proto, transID, rtt, query, qclassName, qtypeName
        case rcode, rcodeName, qtype, aa, tc, rd, ra, answers, ttls, rejected
        case other(FieldKey)
        /// A column whose name the field registry refused: kept under `sluice.overflow_fields`.
        case overflow(String)
    }

    static let defaultFields = ["ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto", "trans_id",
                                "rtt", "query", "qclass", "qclass_name", "qtype", "qtype_name", "rcode", "rcode_name",
                                "AA", "TC", "RD", "RA", "Z", "answers", "TTLs", "rejected"]
    static let maxRecordBytes = 1 << 20
    static let maxColumns = 256
    static let maxAnswers = 256
    static let dataset: FieldValue = .string("zeek.dns")
    static let category: FieldValue = .array([.string("network")])
    static let dnsProtocol: FieldValue = .string("dns")

    var separator: UInt8 = 0x09
    var setSeparator: UInt8 = UInt8(ascii: ",")
    var emptyField: [UInt8] = Array("(empty)".utf8)
    var unsetField: [UInt8] = Array("-".utf8)
    var columns: [Column]
    let interner = FieldKeyInterner()
    private let index = FieldIndex()

    /// `field_names_refused`: column names the registry refused (kept under
    /// `sluice.overflow_fields`).
    public var counters: [(name: String, value: Int)] { [("field_names_refused", interner.refused)] }

    public init() {
        columns = Self.defaultFields.map { Self.column(named: $0, interner: nil) }
    }

    public convenience init(options o: ComponentOptions) { self.init() }

    static func column(named name: String, interner: FieldKeyInterner?) -> Column {
        switch name {
        case "ts": return .ts
        case "uid": return .uid
        case "id.orig_h": return .origH
        case "id.orig_p": return .origP
        case "id.resp_h": return .respH
        case "id.resp_p": return .respP
        case "proto": return .proto
        case "trans_id": return .transID
        case "rtt": return .rtt
        case "query": return .query
        case "qclass_name": return .qclassName
        case "qtype_name": return .qtypeName
        case "qtype": return .qtype
        case "rcode": return .rcode
        case "rcode_name": return .rcodeName
        case "AA": return .aa
        case "TC": return .tc
        case "RD": return .rd
        case "RA": return .ra
        case "answers": return .answers
        case "TTLs": return .ttls
        case "rejected": return .rejected
        default:
            let safe = name.isEmpty ? "_" : name
            if let interner {
                var s = safe
                if let k = s.withUTF8({ interner.key($0, under: Keys.zeek) }) { return .other(k) }
                return .overflow("zeek.dns." + safe)
            }
            return .other(FieldKey("zeek.dns." + safe))   // Zeek's default columns: a fixed set
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
            while c.index < c.end, b[c.index] == 0x20 { c.index += 1 }
            guard !c.atEnd else { throw ParseFailure("empty_record", "empty line") }
            if b[c.index] == UInt8(ascii: "#") { header(b, c.index, c.end); return }
            if b[c.index] == UInt8(ascii: "{") { output.append(try parseJSON(b, event: pending.take()!)); return }
            output.append(try parseTSV(c, c.index, c.end, event: pending.take()!))
        }
    }

    // MARK: TSV

    private func header(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) {
        var c = RecordCursor(b, from: start)
        if c.consume("#separator") {
            c.skipSpaces()
            let v = c.index..<c.end
            if let d = Self.unescape(b, v).first { separator = d }
            return
        }
        // Other directives: `#name<sep>value[<sep>value…]`.
        var i = min(start + 1, end)
        while i < end, b[i] != separator { i += 1 }
        let name = min(start + 1, i)..<i
        let valueStart = min(i + 1, end)
        func values() -> [[UInt8]] {
            var out: [[UInt8]] = []
            var s = valueStart
            var j = valueStart
            while j <= end, out.count < Self.maxColumns {
                if j == end || b[j] == separator {
                    out.append(Self.unescape(b, s..<j))
                    s = j + 1
                }
                j += 1
            }
            return out
        }
        if ByteText.equals(b, name, "set_separator") { if let v = values().first?.first { setSeparator = v } }
        else if ByteText.equals(b, name, "empty_field") { if let v = values().first { emptyField = v } }
        else if ByteText.equals(b, name, "unset_field") { if let v = values().first { unsetField = v } }
        else if ByteText.equals(b, name, "fields") {
            columns = values().map { Self.column(named: String(decoding: $0, as: UTF8.self), interner: interner) }
        }
        // #path, #types, #open, #close and comments: nothing to keep.
    }

    /// Zeek escapes bytes in headers and values as `\xHH`.
    static func unescape(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(r.count)
        var i = r.lowerBound
        while i < r.upperBound {
            if b[i] == UInt8(ascii: "\\"), i + 3 < r.upperBound, b[i + 1] == UInt8(ascii: "x"),
               let hi = ByteText.hexValue(b[i + 2]), let lo = ByteText.hexValue(b[i + 3]) {
                out.append(hi << 4 | lo); i += 4
            } else { out.append(b[i]); i += 1 }
        }
        return out
    }

    @inline(__always)
    private func isNull(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Bool {
        Self.same(b, r, unsetField) || Self.same(b, r, emptyField)
    }

    @inline(__always)
    static func same(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>, _ v: [UInt8]) -> Bool {
        guard r.count == v.count else { return false }
        var k = 0
        for i in r { if b[i] != v[k] { return false }; k += 1 }
        return true
    }

    @inline(__always)
    private func text(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> String {
        // Values containing `\x` escapes are unescaped; the common case is a plain copy.
        if ByteText.find("\\x", in: b, from: r.lowerBound, to: r.upperBound) != nil {
            return String(decoding: Self.unescape(b, r), as: UTF8.self)
        }
        return ByteText.string(b, r)
    }

    /// A TSV cell as a field value: a zero-copy span of the record unless it holds `\x`
    /// escapes to undo.
    @inline(__always)
    private func value(_ c: RecordCursor, _ r: Range<Int>) -> FieldValue {
        if c.spanBase >= 0, ByteText.find("\\x", in: c.bytes, from: r.lowerBound, to: r.upperBound) == nil { return c.value(r) }
        return .string(text(c.bytes, r))
    }

    private func parseTSV(_ c: RecordCursor, _ start: Int, _ end: Int, event: consuming Event) throws -> Event {
        let b = c.bytes
        var row = Row()
        var col = 0
        var s = start
        var i = start
        let n = columns.count
        while i <= end {
            if i == end || b[i] == separator {
                if col < n {
                    let r = s..<i
                    if !r.isEmpty, !isNull(b, r) { try assign(columns[col], c, r, &row) }
                }
                col += 1
                s = i + 1
            }
            i += 1
        }
        guard col >= n else { throw ParseFailure("field_count", "\(col) columns, #fields has \(n)") }
        return build(row, event: event)
    }

    /// One dns.log row, as values (from TSV text or JSON).
    struct Row {
        var ts: Int64?
        var uid: FieldValue?
        var origH: FieldValue?, origP: Int64?, respH: FieldValue?, respP: Int64?
        var proto: FieldValue?
        var transID: Int64?
        var rtt: Double?
        var query: FieldValue?, queryDomain: FieldValue?
        var qclass: FieldValue?, qtype: FieldValue?, rcodeName: FieldValue?
        var rcode: Int64?, qtypeNum: Int64?
        var flags: [FieldValue] = []
        var answers: [String] = []
        var ttls: [Double] = []
        var rejected: Bool?
        var others: [Field] = []
        var overflow: [(name: String, value: FieldValue)] = []
    }

    private func assign(_ col: Column, _ c: RecordCursor, _ r: Range<Int>, _ row: inout Row) throws {
        let b = c.bytes
        switch col {
        case .ts:
            guard let t = ByteText.decimalSeconds(b, r) else { throw ParseFailure("invalid_zeek", "unreadable ts") }
            row.ts = t
        case .uid: row.uid = value(c, r)
        case .origH: row.origH = value(c, r)
        case .origP: row.origP = ByteText.uint(b, r)
        case .respH: row.respH = value(c, r)
        case .respP: row.respP = ByteText.uint(b, r)
        case .proto: row.proto = value(c, r)
        case .transID: row.transID = ByteText.uint(b, r)
        case .rtt: row.rtt = Double(text(b, r))
        case .query:
            if ByteText.find("\\x", in: b, from: r.lowerBound, to: r.upperBound) == nil {
                row.query = value(c, r)
                row.queryDomain = RegisteredDomain.value(c, r)
            } else {
                let q = text(b, r)
                row.query = .string(q)
                row.queryDomain = RegisteredDomain.of(q).map { .string($0) }
            }
        case .qclassName: row.qclass = value(c, r)
        case .qtypeName: row.qtype = value(c, r)
        case .qtype: row.qtypeNum = ByteText.uint(b, r)
        case .rcode: row.rcode = ByteText.uint(b, r)
        case .rcodeName: row.rcodeName = value(c, r)
        case .aa: if b[r.lowerBound] == UInt8(ascii: "T") { row.flags.append(.string("AA")) }
        case .tc: if b[r.lowerBound] == UInt8(ascii: "T") { row.flags.append(.string("TC")) }
        case .rd: if b[r.lowerBound] == UInt8(ascii: "T") { row.flags.append(.string("RD")) }
        case .ra: if b[r.lowerBound] == UInt8(ascii: "T") { row.flags.append(.string("RA")) }
        case .rejected: row.rejected = b[r.lowerBound] == UInt8(ascii: "T")
        case .answers:
            forEachSetItem(b, r) { row.answers.append(text(b, $0)) }
        case .ttls:
            forEachSetItem(b, r) { if let d = Double(ByteText.string(b, $0)) { row.ttls.append(d) } }
        case .other(let k):
            row.others.append(Field(k, .string(text(b, r))))
        case .overflow(let name):
            row.overflow.append((name, .string(text(b, r))))
        }
    }

    private func forEachSetItem(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>, _ body: (Range<Int>) -> Void) {
        var s = r.lowerBound
        var count = 0
        for i in r.lowerBound...r.upperBound where i == r.upperBound || b[i] == setSeparator {
            if i > s, count < Self.maxAnswers { body(s..<i); count += 1 }
            s = i + 1
        }
    }

    // MARK: JSON

    private func parseJSON(_ b: UnsafeBufferPointer<UInt8>, event: consuming Event) throws -> Event {
        var s = JSONScanner(b)
        var row = Row()
        do {
            try s.readObject { (s, key) in
                let mark = s.overflow.count
                let v = try s.readValue(interner: self.interner)
                s.prefixOverflow(from: mark, with: "zeek.dns." + String(decoding: key, as: UTF8.self))
                try self.assignJSON(key, v, &row)
            }
            row.overflow.append(contentsOf: s.overflow)
            s.skipWhitespace()
            guard s.atEnd else { throw s.error("unexpected data after the object") }
        } catch let err as JSONError {
            throw ParseFailure("invalid_json", err.description)
        }
        return build(row, event: event)
    }

    private func assignJSON(_ key: UnsafeBufferPointer<UInt8>, _ v: FieldValue, _ row: inout Row) throws {
        func eq(_ lit: StaticString) -> Bool { ByteText.equals(key, 0..<key.count, lit) }
        func str() -> String? { v.stringValue ?? v.text }
        /// A non-empty text value (an empty one is left out, as in TSV).
        func val() -> FieldValue? { str().flatMap { $0.isEmpty ? nil : .string($0) } }
        func num() -> Int64? { v.intValue }
        func dbl() -> Double? {
            switch v { case .int(let i): return Double(i); case .double(let d): return d; case .string(let s): return Double(s); default: return nil }
        }
        func flag(_ name: String) { if case .bool(true) = v { row.flags.append(.string(name)) } }
        if eq("ts") {
            switch v {
            case .int(let i): row.ts = i.multipliedReportingOverflow(by: 1_000_000_000).overflow ? nil : i * 1_000_000_000
            case .double(let d) where d.isFinite && d >= 0 && d < 9e9: row.ts = Int64(d * 1e6) * 1000
            case .string(let t): row.ts = ByteText.rfc3339(t)
            default: break
            }
            if row.ts == nil { throw ParseFailure("invalid_zeek", "unreadable ts") }
        }
        else if eq("uid") { row.uid = val() }
        else if eq("id.orig_h") { row.origH = val() }
        else if eq("id.orig_p") { row.origP = num() }
        else if eq("id.resp_h") { row.respH = val() }
        else if eq("id.resp_p") { row.respP = num() }
        else if eq("proto") { row.proto = val() }
        else if eq("trans_id") { row.transID = num() }
        else if eq("rtt") { row.rtt = dbl() }
        else if eq("query") {
            if let q = str(), !q.isEmpty { row.query = .string(q); row.queryDomain = RegisteredDomain.of(q).map { .string($0) } }
        }
        else if eq("qclass_name") { row.qclass = val() }
        else if eq("qtype_name") { row.qtype = val() }
        else if eq("qtype") { row.qtypeNum = num() }
        else if eq("rcode") { row.rcode = num() }
        else if eq("rcode_name") { row.rcodeName = val() }
        else if eq("AA") { flag("AA") }
        else if eq("TC") { flag("TC") }
        else if eq("RD") { flag("RD") }
        else if eq("RA") { flag("RA") }
        else if eq("rejected") { if case .bool(let x) = v { row.rejected = x } }
        else if eq("answers") {
            if case .array(let items) = v { for a in items.prefix(Self.maxAnswers) { if let t = a.text { row.answers.append(t) } } }
        }
        else if eq("TTLs") {
            if case .array(let items) = v {
                for t in items.prefix(Self.maxAnswers) {
                    switch t { case .int(let i): row.ttls.append(Double(i)); case .double(let d): row.ttls.append(d); default: break }
                }
            }
        }
        else if eq("qclass") || eq("Z") || eq("_path") || eq("_write_ts") { return }
        else if let k = interner.key(key, under: Keys.zeek) { row.others.append(Field(k, v)) }
        else { row.overflow.append(("zeek.dns." + String(decoding: key, as: UTF8.self), v)) }
    }

    // MARK: event

    private func build(_ row: Row, event: consuming Event) -> Event {
        var e = event
        let fresh = e.fields.isEmpty
        e.fields.reserveCapacity(e.fields.count + 24)
        if let t = row.ts { e.timestamp = t }
        e.put(ECS.eventDataset, Self.dataset, fresh: fresh)
        e.put(ECS.eventCategory, Self.category, fresh: fresh)
        e.put(Keys.protocolName, Self.dnsProtocol, fresh: fresh)
        if let v = row.uid { e.put(Keys.sessionID, v, fresh: fresh) }
        if let v = row.origH { e.put(ECS.sourceIP, v, fresh: fresh) }
        if let v = row.origP { e.put(ECS.sourcePort, .int(v), fresh: fresh) }
        if let v = row.respH { e.put(ECS.destinationIP, v, fresh: fresh) }
        if let v = row.respP { e.put(ECS.destinationPort, .int(v), fresh: fresh) }
        if let v = row.proto { e.put(Keys.transport, v, fresh: fresh) }
        if let v = row.transID { e.put(Keys.dnsID, .string(String(v)), fresh: fresh) }
        if let v = row.rtt, v.isFinite, v >= 0, v < 1e9 {
            e.put(ECS.eventDuration, .int(Int64(v * 1e9)), fresh: fresh)
            e.put(Keys.rtt, .double(v), fresh: fresh)
        }
        if let q = row.query {
            e.put(ECS.dnsQuestionName, q, fresh: fresh)
            e.put(ECS.dnsQuestionRegisteredDomain, row.queryDomain, fresh: fresh)
        }
        if let v = row.qtype { e.put(ECS.dnsQuestionType, v, fresh: fresh) }
        else if let n = row.qtypeNum { e.put(ECS.dnsQuestionType, .string(String(n)), fresh: fresh) }
        if let v = row.qclass { e.put(Keys.questionClass, v, fresh: fresh) }
        if let v = row.rcodeName { e.put(ECS.dnsResponseCode, v, fresh: fresh) }
        else if let n = row.rcode { e.put(ECS.dnsResponseCode, .string(String(n)), fresh: fresh) }
        // A row with a response (rcode) is an answer; otherwise only the query was seen.
        e.put(Keys.dnsType, .string(row.rcodeName != nil || row.rcode != nil ? "answer" : "query"), fresh: fresh)
        if !row.flags.isEmpty { e.put(Keys.headerFlags, .array(row.flags), fresh: fresh) }
        if !row.answers.isEmpty {
            var answers: [FieldValue] = []
            var ips: [FieldValue] = []
            answers.reserveCapacity(row.answers.count)
            for (i, a) in row.answers.enumerated() {
                var m = [Field(Keys.data, .string(a))]
                if i < row.ttls.count, row.ttls[i].isFinite, row.ttls[i] >= 0, row.ttls[i] < 1e12 {
                    m.append(Field(Keys.ttl, .int(Int64(row.ttls[i]))))
                }
                answers.append(.object(m))
                if ByteText.isIP(a) { ips.append(.string(a)) }
            }
            e.put(ECS.dnsAnswers, .array(answers), fresh: fresh)
            if !ips.isEmpty { e.put(Keys.resolvedIP, .array(ips), fresh: fresh) }
        }
        if let r = row.rejected { e.put(Keys.rejected, .bool(r), fresh: fresh) }
        // Columns the input names: set in linear time whatever their number.
        if !row.others.isEmpty {
            index.begin(e.fields)
            for f in row.others { index.set(f.key, f.value, in: &e.fields) }
        }
        OverflowFields.add(row.overflow, to: &e)
        return e
    }
}
