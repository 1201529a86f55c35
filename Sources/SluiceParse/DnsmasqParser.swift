import SluiceCore

/// `dnsmasq`: dnsmasq query log lines (`log-queries`), with or without a syslog header
/// (`Nov 23 02:08:35 [host ]dnsmasq[1234]: `) and with or without the `log-queries=extra`
/// prefix (`<serial> <client>/<port> `):
/// `query[A] github.com from 10.0.0.5`, `forwarded github.com to 1.1.1.1`,
/// `reply github.com is 140.82.112.3`, `reply www.github.com is <CNAME>`,
/// `cached github.com is NXDOMAIN`, `config host.lan is 10.0.0.1`,
/// `/etc/hosts localhost is 127.0.0.1`, `dnssec-query[DS] …`, `validation … is SECURE`.
///
/// Each line is one event with `dnsmasq.action` (`query`, `forwarded`, `reply`, `cached`,
/// `config`, `hosts_file` with `dnsmasq.hosts_file`, …). Answers become `dns.answers`
/// (`[{data, type}]`; `<CNAME>` is `{type: CNAME}`), IP answers also `dns.resolved_ip`;
/// `NXDOMAIN`/`SERVFAIL`/`REFUSED` become `dns.response_code`, `NODATA*` `dnsmasq.reply_status`.
/// Other dnsmasq lines (start-up, DHCP) become events with `dnsmasq.action: log` and the
/// text in `message`. Queries and replies are not correlated.
/// Failures: `empty_record`, `too_long`, `invalid_dnsmasq` (a query-log action with missing parts).
public final class DnsmasqParser: Parser {
    enum Keys {
        static let action = FieldKey("dnsmasq.action")
        static let hostsFile = FieldKey("dnsmasq.hosts_file")
        static let replyStatus = FieldKey("dnsmasq.reply_status")
        static let queryID = FieldKey("dnsmasq.query_id")
        static let pid = FieldKey("process.pid")
        static let dnsType = FieldKey("dns.type")
        static let resolvedIP = FieldKey("dns.resolved_ip")
        static let protocolName = FieldKey("network.protocol")
        static let data = FieldKey("data")
        static let type = FieldKey("type")
    }

    static let maxRecordBytes = 16 * 1024
    static let dataset: FieldValue = .string("dnsmasq.log")
    static let category: FieldValue = .array([.string("network")])
    static let dns: FieldValue = .string("dns")
    static let query: FieldValue = .string("query")
    static let answer: FieldValue = .string("answer")
    static let actionLog: FieldValue = .string("log")

    private var clock = CoarseClock()

    public init() {}
    public convenience init(options o: ComponentOptions) { self.init() }

    public func parse(_ record: ArraySlice<UInt8>, event: consuming Event, into output: inout [Event]) throws {
        try RecordCursor.parseLine(record, event: event, maxBytes: Self.maxRecordBytes, fields: 16, into: &output) { c, e, fresh in
            let b = c.bytes
            // Syslog header: time, optional host, `dnsmasq[pid]:` tag.
            if ByteText.month(b, c.index) != nil,
               let t = ByteText.bsdTimestamp(b, at: c.index, now: e.timestamp != 0 ? e.timestamp : clock.now()) {
                e.timestamp = t.0
                c.index = t.1
            }
            if let tag = c.find("dnsmasq", before: min(c.end, c.index + 256)) {
                var j = tag + 7
                while j < c.end, b[j] != UInt8(ascii: ":"), b[j] != 0x20 { j += 1 }
                if j + 1 < c.end, b[j] == UInt8(ascii: ":"), b[j + 1] == 0x20 {
                    if let lb = ByteText.find("[", in: b, from: tag, to: j),
                       let pid = ByteText.uint(b, (lb + 1)..<max(lb + 1, j - 1)), b[j - 1] == UInt8(ascii: "]") {
                        e.put(Keys.pid, .int(pid), fresh: fresh)
                    }
                    c.index = j + 2
                }
            }
            e.put(ECS.eventDataset, Self.dataset, fresh: fresh)
            let messageStart = c.index
            // log-queries=extra: `<serial> <ip>/<port> `
            var save = c
            if let serialR = c.token(), let serial = ByteText.uint(b, serialR), let clientR = c.token(),
               let slash = ByteText.find("/", in: b, from: clientR.lowerBound, to: clientR.upperBound),
               ByteText.isIP(b, clientR.lowerBound..<slash) {
                e.put(Keys.queryID, .int(serial), fresh: fresh)
                e.put(ECS.sourceIP, c.value(clientR.lowerBound..<slash), fresh: fresh)
                if let port = ByteText.uint(b, (slash + 1)..<clientR.upperBound) { e.put(ECS.sourcePort, .int(port), fresh: fresh) }
                save = c
            }
            c = save
            guard let actR = c.token() else { throw ParseFailure("empty_record", "no message") }
            // action[TYPE]
            var actEnd = actR.upperBound
            var qtype: Range<Int>?
            if let lb = ByteText.find("[", in: b, from: actR.lowerBound, to: actR.upperBound), b[actR.upperBound - 1] == UInt8(ascii: "]") {
                actEnd = lb
                qtype = (lb + 1)..<(actR.upperBound - 1)
            }
            let act = actR.lowerBound..<actEnd
            let isPath = b[act.lowerBound] == UInt8(ascii: "/")
            let known = isPath || Self.isKnownAction(b, act)
            let nameR = c.token()
            let connR = c.token()
            let valueR = c.token()
            guard known, let nameR, let connR, let valueR else {
                if known { throw ParseFailure("invalid_dnsmasq", "expected NAME from|to|is VALUE after the action") }
                e.put(Keys.action, Self.actionLog, fresh: fresh)
                e.put(ECS.message, c.value(messageStart..<c.end), fresh: fresh)
                return
            }
            e.put(ECS.eventCategory, Self.category, fresh: fresh)
            e.put(Keys.protocolName, Self.dns, fresh: fresh)
            if isPath {
                e.put(Keys.action, .string("hosts_file"), fresh: fresh)
                e.put(Keys.hostsFile, c.value(act), fresh: fresh)
            } else {
                e.put(Keys.action, c.value(act), fresh: fresh)
            }
            e.put(ECS.dnsQuestionName, c.value(nameR), fresh: fresh)
            e.put(ECS.dnsQuestionRegisteredDomain, RegisteredDomain.value(c, nameR), fresh: fresh)
            if let qtype, !qtype.isEmpty { e.put(ECS.dnsQuestionType, c.value(qtype), fresh: fresh) }
            // Strip a `#port` from addresses.
            var addr = valueR
            if let h = ByteText.find("#", in: b, from: valueR.lowerBound, to: valueR.upperBound) { addr = valueR.lowerBound..<h }
            if ByteText.equals(b, connR, "from") {
                e.put(Keys.dnsType, Self.query, fresh: fresh)
                if e[ECS.sourceIP] == nil { e.put(ECS.sourceIP, c.value(addr), fresh: false) }
            } else if ByteText.equals(b, connR, "to") {
                e.put(Keys.dnsType, Self.query, fresh: fresh)
                if ByteText.isIP(b, addr) { e.put(ECS.destinationIP, c.value(addr), fresh: fresh) }
                else { e.put(ECS.destinationDomain, c.value(addr), fresh: fresh) }
            } else if ByteText.equals(b, connR, "is") {
                e.put(Keys.dnsType, Self.answer, fresh: fresh)
                Self.putAnswer(b, valueR, &e, fresh)
            } else {
                throw ParseFailure("invalid_dnsmasq", "unknown connective '\(c.string(connR))'")
            }
        }
    }

    static func isKnownAction(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Bool {
        ByteText.equals(b, r, "query") || ByteText.equals(b, r, "forwarded") || ByteText.equals(b, r, "reply")
            || ByteText.equals(b, r, "cached") || ByteText.equals(b, r, "config") || ByteText.equals(b, r, "cached-stale")
            || ByteText.equals(b, r, "dnssec-query") || ByteText.equals(b, r, "validation") || ByteText.equals(b, r, "dnssec-retry")
    }

    static func putAnswer(_ b: UnsafeBufferPointer<UInt8>, _ v: Range<Int>, _ e: inout Event, _ fresh: Bool) {
        let text = ByteText.string(b, v)
        if ByteText.isIP(b, v) {
            let type = ByteText.find(":", in: b, from: v.lowerBound, to: v.upperBound) != nil ? "AAAA" : "A"
            e.put(ECS.dnsAnswers, .array([.object([Field(Keys.data, .string(text)), Field(Keys.type, .string(type))])]), fresh: fresh)
            e.put(Keys.resolvedIP, .array([.string(text)]), fresh: fresh)
            e.put(ECS.dnsResponseCode, .string("NOERROR"), fresh: fresh)
            return
        }
        if v.count > 2, b[v.lowerBound] == UInt8(ascii: "<"), b[v.upperBound - 1] == UInt8(ascii: ">") {
            let type = ByteText.string(b, (v.lowerBound + 1)..<(v.upperBound - 1))
            e.put(ECS.dnsAnswers, .array([.object([Field(Keys.type, .string(type))])]), fresh: fresh)
            e.put(ECS.dnsResponseCode, .string("NOERROR"), fresh: fresh)
            return
        }
        switch text {
        case "NXDOMAIN", "SERVFAIL", "REFUSED":
            e.put(ECS.dnsResponseCode, .string(text), fresh: fresh)
        case "NODATA", "NODATA-IPv4", "NODATA-IPv6":
            e.put(ECS.dnsResponseCode, .string("NOERROR"), fresh: fresh)
            e.put(Keys.replyStatus, .string(text), fresh: fresh)
        case "SECURE", "INSECURE", "BOGUS", "ABANDONED", "TRUNCATED", "duplicate", "<TXT>":
            e.put(Keys.replyStatus, .string(text), fresh: fresh)
        default:
            // A name (PTR or CNAME target).
            e.put(ECS.dnsAnswers, .array([.object([Field(Keys.data, .string(text))])]), fresh: fresh)
            e.put(ECS.dnsResponseCode, .string("NOERROR"), fresh: fresh)
        }
    }
}
