import SluiceCore

/// `bind-query`: BIND 9 query log lines
/// (`client @0x7f9b2c0008e0 10.0.0.5#53211 (github.com): [view internal: ]query: github.com IN A +E(0)K (10.0.0.1)`),
/// with or without the client object address, the `(name)`, the `view` part, and a leading
/// timestamp and category as named writes them to its own channel file
/// (`23-Nov-2026 02:08:35.123 queries: info: `) or a syslog header (`Nov 23 02:08:35 ns1
/// named[1234]: `).
///
/// Flags: `+` recursion desired (`RD`), `D` DNSSEC OK (`DO`), `C` checking disabled (`CD`) go
/// to `dns.header_flags`; `E(n)` EDNS version (`bind.edns_version`), `T` TCP
/// (`network.transport: tcp`, else `udp`), `S` signed (`bind.signed`), `K` cookie present /
/// `V` valid server cookie (`bind.cookie`).
/// The timestamp in named's own format has no zone and is read as UTC; a syslog header's
/// year is inferred. Without a timestamp the event keeps its source time.
/// Infoblox NIOS response lines (`client 10.0.0.5#57398 UDP: query: a1.foo.com IN A
/// response: NOERROR +ED a1.foo.com. 28800 IN A 1.1.1.1;`) add `network.transport` (from
/// `UDP:`/`TCP:`), `dns.response_code`, `dns.type: answer`, `dns.answers`
/// (`[{name, ttl, class, type, data}]`, at most 32), `dns.resolved_ip` and the response
/// flags (`+` RA, `A` AA, `t` TC, `D` DO, `E` EDNS, `V` `bind.validated`).
/// Failures: `empty_record`, `too_long`, `not_a_query` (no `client … query:`),
/// `invalid_query` (missing name, class or type).
public final class BindQueryParser: Parser {
    enum Keys {
        static let questionClass = FieldKey("dns.question.class")
        static let headerFlags = FieldKey("dns.header_flags")
        static let dnsType = FieldKey("dns.type")
        static let transport = FieldKey("network.transport")
        static let protocolName = FieldKey("network.protocol")
        static let view = FieldKey("bind.view")
        static let edns = FieldKey("bind.edns_version")
        static let signed = FieldKey("bind.signed")
        static let cookie = FieldKey("bind.cookie")
        static let flags = FieldKey("bind.query_flags")
        static let clientObject = FieldKey("bind.client_object")
        static let validated = FieldKey("bind.validated")
        static let resolvedIP = FieldKey("dns.resolved_ip")
        static let answerName = FieldKey("name")
        static let answerTTL = FieldKey("ttl")
        static let answerClass = FieldKey("class")
        static let answerType = FieldKey("type")
        static let answerData = FieldKey("data")
    }

    static let maxRecordBytes = 16 * 1024
    static let dataset: FieldValue = .string("bind.query")
    static let category: FieldValue = .array([.string("network")])
    static let query: FieldValue = .string("query")
    static let answer: FieldValue = .string("answer")
    static let dns: FieldValue = .string("dns")
    static let tcp: FieldValue = .string("tcp")
    static let udp: FieldValue = .string("udp")

    private var clock = CoarseClock()

    public init() {}
    public convenience init(options o: ComponentOptions) { self.init() }

    public func parse(_ record: ArraySlice<UInt8>, event: consuming Event, into output: inout [Event]) throws {
        try RecordCursor.parseLine(record, event: event, maxBytes: Self.maxRecordBytes, fields: 20, into: &output) { c, e, fresh in
            let b = c.bytes
            // Leading time: `23-Nov-2026 02:08:35.123` or a syslog `Nov 23 02:08:35`.
            if let t = Self.namedTime(b, c.index) { e.timestamp = t.0; c.index = t.1 }
            else if ByteText.month(b, c.index) != nil, let t = ByteText.bsdTimestamp(b, at: c.index, now: e.timestamp != 0 ? e.timestamp : clock.now()) {
                e.timestamp = t.0; c.index = t.1
            }
            guard let cl = c.find("client ") else { throw ParseFailure("not_a_query", "no 'client ' in the line") }
            c.index = cl + 7
            guard var tok = c.token() else { throw ParseFailure("not_a_query", "nothing after 'client'") }
            if b[tok.lowerBound] == UInt8(ascii: "@") {
                e.put(Keys.clientObject, c.text((tok.lowerBound + 1)..<tok.upperBound), fresh: fresh)
                guard let t2 = c.token() else { throw ParseFailure("not_a_query", "no client address") }
                tok = t2
            }
            // ip#port, possibly followed by ':' when there is no (name)
            var addrEnd = tok.upperBound
            if b[addrEnd - 1] == UInt8(ascii: ":") { addrEnd -= 1 }
            var hash = addrEnd
            while hash > tok.lowerBound, b[hash - 1] != UInt8(ascii: "#") { hash -= 1 }
            guard hash > tok.lowerBound else { throw ParseFailure("not_a_query", "client address is not ip#port") }
            let ipR = tok.lowerBound..<(hash - 1)
            guard ByteText.isIP(b, ipR) else { throw ParseFailure("not_a_query", "client address is not an IP") }
            let port = ByteText.uint(b, hash..<addrEnd)

            // Optional `(name):`, optional `view NAME:`, then `query:`.
            guard let q = c.find("query: ") else { throw ParseFailure("not_a_query", "no 'query:'") }
            var view: Range<Int>?
            if let v = ByteText.find("view ", in: b, from: c.index, to: q) {
                var ve = q
                while ve > v + 5, b[ve - 1] == 0x20 || b[ve - 1] == UInt8(ascii: ":") { ve -= 1 }
                if ve > v + 5 { view = (v + 5)..<ve }
            }
            // Infoblox NIOS writes the transport before `query:` (`UDP: query:`).
            var transportR: Range<Int>?
            if let t = ByteText.find("UDP: ", in: b, from: c.index, to: q) ?? ByteText.find("TCP: ", in: b, from: c.index, to: q) {
                transportR = t..<(t + 3)
            }
            c.index = q + 7
            guard let nameR = c.token(), let classR = c.token(), let typeR = c.token() else {
                throw ParseFailure("invalid_query", "expected NAME CLASS TYPE after 'query:'")
            }
            var flagsR = c.token()
            var server: Range<Int>?
            var response: (rcode: Range<Int>, flags: Range<Int>?, answers: Range<Int>)?
            if let r = flagsR, ByteText.equals(b, r, "response:") {
                // Infoblox NIOS response logging: `response: RCODE FLAGS [answer; answer; …]`.
                guard let rc = c.token() else { throw ParseFailure("invalid_query", "expected a response code after 'response:'") }
                var fl: Range<Int>?
                let save = c.index
                if let f = c.token(), b[f.lowerBound] == UInt8(ascii: "+") || b[f.lowerBound] == UInt8(ascii: "-") { fl = f } else { c.index = save }
                c.skipSpaces()
                response = (rc, fl, c.index..<c.end)
                flagsR = nil
            } else if let s = c.token(), s.count > 2, b[s.lowerBound] == UInt8(ascii: "("), b[s.upperBound - 1] == UInt8(ascii: ")") {
                server = (s.lowerBound + 1)..<(s.upperBound - 1)
            }

            e.put(ECS.eventDataset, Self.dataset, fresh: fresh)
            e.put(ECS.eventCategory, Self.category, fresh: fresh)
            e.put(Keys.protocolName, Self.dns, fresh: fresh)
            e.put(Keys.dnsType, response == nil ? Self.query : Self.answer, fresh: fresh)
            e.put(ECS.sourceIP, c.value(ipR), fresh: fresh)
            if let port { e.put(ECS.sourcePort, .int(port), fresh: fresh) }
            e.put(ECS.dnsQuestionName, c.value(nameR), fresh: fresh)
            e.put(ECS.dnsQuestionRegisteredDomain, RegisteredDomain.value(c, nameR), fresh: fresh)
            e.put(Keys.questionClass, c.value(classR), fresh: fresh)
            e.put(ECS.dnsQuestionType, c.value(typeR), fresh: fresh)
            if let server, ByteText.isIP(b, server) { e.put(ECS.destinationIP, c.value(server), fresh: fresh) }
            if let view { e.put(Keys.view, c.value(view), fresh: fresh) }
            if let f = flagsR, b[f.lowerBound] == UInt8(ascii: "+") || b[f.lowerBound] == UInt8(ascii: "-") {
                Self.decodeFlags(b, f, &e, fresh)
            }
            if let t = transportR {
                e.put(Keys.transport, ByteText.equals(b, t, "TCP") ? Self.tcp : Self.udp, fresh: fresh)
            }
            if let response {
                e.put(ECS.dnsResponseCode, c.value(response.rcode), fresh: fresh)
                if let f = response.flags { Self.decodeResponseFlags(b, f, &e, fresh) }
                Self.putAnswers(c, response.answers, &e, fresh)
            }
        }
    }

    /// Infoblox response flags `+`/`-` then `[AtEDVL]`: `+` recursion available (`RA`), `A`
    /// authoritative (`AA`), `t` truncated (`TC`), `E` EDNS, `D` DNSSEC OK (`DO`), `V`
    /// validated (`bind.validated`), `L` DTC synthetic record.
    static func decodeResponseFlags(_ b: UnsafeBufferPointer<UInt8>, _ f: Range<Int>, _ e: inout Event, _ fresh: Bool) {
        var header: [FieldValue] = []
        if b[f.lowerBound] == UInt8(ascii: "+") { header.append(.string("RA")) }
        var edns = false, validated = false
        for i in (f.lowerBound + 1)..<f.upperBound {
            switch b[i] {
            case UInt8(ascii: "A"): header.append(.string("AA"))
            case UInt8(ascii: "t"): header.append(.string("TC"))
            case UInt8(ascii: "D"): header.append(.string("DO"))
            case UInt8(ascii: "E"): edns = true
            case UInt8(ascii: "V"): validated = true
            default: break
            }
        }
        e.put(Keys.flags, .string(ByteText.string(b, f)), fresh: fresh)
        if !header.isEmpty { e.put(Keys.headerFlags, .array(header), fresh: fresh) }
        if edns { e.put(Keys.edns, .int(0), fresh: fresh) }
        if validated { e.put(Keys.validated, .bool(true), fresh: fresh) }
    }

    static let maxAnswers = 32

    /// `name. TTL CLASS TYPE DATA; name. TTL CLASS TYPE DATA;` → `dns.answers`
    /// (`[{name, ttl, class, type, data}]`) and `dns.resolved_ip` (A/AAAA data).
    static func putAnswers(_ c: RecordCursor, _ r: Range<Int>, _ e: inout Event, _ fresh: Bool) {
        let b = c.bytes
        var answers: [FieldValue] = []
        var ips: [FieldValue] = []
        var s = r.lowerBound
        while s < r.upperBound, answers.count < maxAnswers {
            var semi = s
            while semi < r.upperBound, b[semi] != UInt8(ascii: ";") { semi += 1 }
            var a = RecordCursor(b, from: s, spanBase: c.spanBase)
            a.end = semi
            if let nameR = a.token(), let ttlR = a.token(), let classR = a.token(), let typeR = a.token() {
                a.skipSpaces()
                var dataEnd = semi
                while dataEnd > a.index, b[dataEnd - 1] == 0x20 { dataEnd -= 1 }
                var m: [Field] = []
                var name = nameR
                if name.count > 1, b[name.upperBound - 1] == UInt8(ascii: ".") { name = name.lowerBound..<(name.upperBound - 1) }
                m.append(Field(Keys.answerName, c.value(name)))
                if let ttl = ByteText.uint(b, ttlR) { m.append(Field(Keys.answerTTL, .int(ttl))) }
                m.append(Field(Keys.answerClass, c.value(classR)))
                m.append(Field(Keys.answerType, c.value(typeR)))
                if a.index < dataEnd {
                    let dataR = a.index..<dataEnd
                    m.append(Field(Keys.answerData, c.value(dataR)))
                    if (ByteText.equals(b, typeR, "A") || ByteText.equals(b, typeR, "AAAA")), ByteText.isIP(b, dataR) {
                        ips.append(.string(ByteText.string(b, dataR)))
                    }
                }
                answers.append(.object(m))
            }
            s = semi + 1
        }
        if !answers.isEmpty { e.put(ECS.dnsAnswers, .array(answers), fresh: fresh) }
        if !ips.isEmpty { e.put(Keys.resolvedIP, .array(ips), fresh: fresh) }
    }

    static func decodeFlags(_ b: UnsafeBufferPointer<UInt8>, _ f: Range<Int>, _ e: inout Event, _ fresh: Bool) {
        var header: [FieldValue] = []
        var tcp = false
        var signed = false
        var cookie: String?
        var edns: Int64?
        if b[f.lowerBound] == UInt8(ascii: "+") { header.append(.string("RD")) }
        var i = f.lowerBound + 1
        while i < f.upperBound {
            switch b[i] {
            case UInt8(ascii: "E"):
                edns = 0
                if i + 1 < f.upperBound, b[i + 1] == UInt8(ascii: "(") {
                    var j = i + 2
                    while j < f.upperBound, b[j] != UInt8(ascii: ")") { j += 1 }
                    edns = ByteText.uint(b, (i + 2)..<j) ?? 0
                    i = j
                }
            case UInt8(ascii: "T"): tcp = true
            case UInt8(ascii: "D"): header.append(.string("DO"))
            case UInt8(ascii: "C"): header.append(.string("CD"))
            case UInt8(ascii: "S"): signed = true
            case UInt8(ascii: "K"): if cookie == nil { cookie = "present" }
            case UInt8(ascii: "V"): cookie = "valid"
            default: break
            }
            i += 1
        }
        e.put(Keys.flags, .string(ByteText.string(b, f)), fresh: fresh)
        if !header.isEmpty { e.put(Keys.headerFlags, .array(header), fresh: fresh) }
        e.put(Keys.transport, tcp ? Self.tcp : Self.udp, fresh: fresh)
        if let edns { e.put(Keys.edns, .int(edns), fresh: fresh) }
        if signed { e.put(Keys.signed, .bool(true), fresh: fresh) }
        if let cookie { e.put(Keys.cookie, .string(cookie), fresh: fresh) }
    }

    /// `23-Nov-2026 02:08:35.123` (named's `print-time yes` format), read as UTC.
    static func namedTime(_ b: UnsafeBufferPointer<UInt8>, _ i: Int) -> (Int64, Int)? {
        guard i + 20 <= b.count, let d = ByteText.digits(b, i, 2), b[i + 2] == UInt8(ascii: "-"),
              let mon = ByteText.month(b, i + 3), b[i + 6] == UInt8(ascii: "-"),
              let y = ByteText.digits(b, i + 7, 4), b[i + 11] == 0x20,
              let h = ByteText.digits(b, i + 12, 2), b[i + 14] == UInt8(ascii: ":"),
              let m = ByteText.digits(b, i + 15, 2), b[i + 17] == UInt8(ascii: ":"),
              let s = ByteText.digits(b, i + 18, 2), h < 24, m < 60, s < 61 else { return nil }
        var j = i + 20
        var nanos = 0
        if j < b.count, b[j] == UInt8(ascii: ".") { (nanos, j) = ByteText.fraction(b, from: j + 1, to: b.count) }
        guard let t = ByteText.time(year: y, month: mon, day: d, hour: h, minute: m, second: s, nanos: nanos) else { return nil }
        return (t, j)
    }
}
