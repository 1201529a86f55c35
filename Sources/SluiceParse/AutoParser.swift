import SluiceCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `auto`: recognizes the format of each record (mixed syslog streams, mixed files) and
/// hands it to that format's parser. Detection is a few cheap byte checks, in this order;
/// the first that matches decides:
///
/// | # | Check on the record (leading spaces skipped)                                   | Format        |
/// |---|---------------------------------------------------------------------------------|---------------|
/// | 1 | `CEF:` at the start, or after a syslog header (` CEF:` within the first 1 KiB; not for records starting `{`/`[`) | `cef` |
/// | 2 | starts `{`/`[` and contains `"hostIdentifier"`                                   | `osquery`*    |
/// | 3 | starts `{`/`[`, contains `"action"` and one of `"actor"`, `"_document_id"`, `"@timestamp"` | `github-audit` |
/// | 4 | starts `{` and contains `"id.orig_h"` and `"query"`                              | `zeek-dns`*   |
/// | 5 | starts `{`/`[` otherwise                                                         | `json`        |
/// | 6 | starts `#separator`, `#fields`, `#types`, `#path`, `#open`, `#close`, `#set_separator`, `#empty_field`, `#unset_field`, or an epoch `1234567890.123456` then a TAB | `zeek-dns`* |
/// | 7 | starts `#Software:`, `#Version:`, `#Date:`, `#Fields:`, `#Remark:`, or `YYYY-MM-DD hh:mm:ss ` (space, not `T`) | `w3c-proxy`* |
/// | 8 | starts with an epoch `1234567890.123` then a space (squid native; `w3c-proxy` while the last W3C `#Fields:` began with `timestamp`, Cisco WSA) | `squid`* |
/// | 9 | contains ` [dd/Mmm/yyyy:` and `] "` (squid common/combined)                      | `squid`*      |
/// |10 | starts `dd-Mmm-yyyy hh:mm:ss` and contains ` query: ` (BIND query log file)       | `bind-query`* |
/// |11 | starts `type=` (or `node=NAME type=`) and contains `msg=audit(` (auditd log file)   | `auditd`*     |
/// |12 | starts `<Event>` (Sysmon for Linux XML)                                           | `sysmon-linux`* |
/// |13 | anything else: a syslog record (RFC 5424 if `<PRI>1 `, else RFC 3164, also without PRI or stamp); its payload is then detected: | `syslog` |
/// |13a| payload starts `CEF:`                                                              | `cef` (header fields kept) |
/// |13b| payload starts `{`/`[`: rules 2-5 on the payload                                   | as above (on failure the syslog event keeps its `message`) |
/// |13c| payload starts `<Event>`                                                          | `sysmon-linux`* |
/// |13d| payload starts `type=` (or `node=NAME type=`) and contains `msg=audit(`            | `auditd`*     |
/// |13e| app name starts `dnsmasq`                                                         | `dnsmasq`*    |
/// |13f| payload has `client ` in its first 96 bytes (after named's stamp, or Infoblox's `infoblox-responses:`) and ` query: ` after it | `bind-query`* |
/// |13g| otherwise                                                                         | `syslog` event with `message` |
///
/// `*`: formats provided by other components, used only when they are registered (looked
/// up in the registry when the parser is built, with the same options). For those, the
/// whole record is offered first, then (after a syslog header) the payload with the header
/// fields; if both fail, the payload's failure is the record's. A format that is not
/// registered is skipped (its records fall through to the next rules, finally syslog).
///
/// Options: those of the parsers it uses (e.g. `timezone`).
public final class AutoParser: StatefulParser {
    let syslog: SyslogParser
    /// CEF and GitHub audit, each behind its own `SourceFieldGuard` (namespaces `cef`,
    /// `github`), as when used alone.
    let cef: Parser
    let github: Parser
    let json: Parser
    /// Other formats, when registered.
    let others: [String: Parser]

    public init(timezone: SyslogTimeZone = .utc, others: [String: Parser] = [:], json: Parser? = nil,
                trustedPayloadFields: [String] = [], now: @escaping () -> Int64 = Timestamp.now) {
        syslog = SyslogParser(timezone: timezone, now: now)
        cef = SourceFieldGuard(CEFParser(timezone: timezone, now: now),
                               fields: AuthoritativeFields(namespace: "cef", trusted: trustedPayloadFields))
        github = SourceFieldGuard(GitHubAuditParser(),
                                  fields: AuthoritativeFields(namespace: "github", trusted: trustedPayloadFields))
        self.json = json ?? JSONParser()
        self.others = others
    }

    /// The formats `auto` can hand records to when they are registered.
    public static let optionalFormats = ["osquery", "zeek-dns", "w3c-proxy", "squid", "bind-query", "auditd", "sysmon-linux", "dnsmasq"]

    public convenience init(options o: ComponentOptions, context: BuildContext) throws {
        var zone = SyslogTimeZone.utc
        if let tz = o.string("timezone") {
            if let z = SyslogTimeZone(tz) { zone = z } else {
                o.fail("option 'timezone' must be UTC, local, an offset like +01:00 or a zone like Europe/Berlin, got \"\(tz)\"", at: "timezone")
            }
        }
        var others: [String: Parser] = [:]
        for name in Self.optionalFormats {
            if let f = context.registry.parsers[name], let p = try? f(o, context) { others[name] = p }
        }
        var json: Parser?
        if let f = context.registry.parsers["json"] { json = try? f(o, context) }
        self.init(timezone: zone, others: others, json: json, trustedPayloadFields: o.stringList("trust_payload_fields") ?? [])
    }

    /// The formats among `others` that hold records across calls (auditd).
    private var statefulOthers: [(String, StatefulParser)] {
        Self.optionalFormats.compactMap { n in (others[n] as? StatefulParser).flatMap { $0.holdsState ? (n, $0) : nil } }
    }
    public var holdsState: Bool { !statefulOthers.isEmpty }
    public func snapshot(into writer: inout BinaryWriter) {
        let parts = statefulOthers
        writer.uvarint(UInt64(parts.count))
        for (name, p) in parts { writer.string(name); p.snapshot(into: &writer) }
    }
    public func restore(from reader: inout BinaryReader) throws {
        for _ in 0..<(try reader.uvarint()) {
            let name = try reader.string()
            guard let p = others[name] as? StatefulParser else { throw ParseFailure("unknown_snapshot", "no format '\(name)' to restore") }
            try p.restore(from: &reader)
        }
    }

    public func tick(_ time: StageTime, into output: inout [Event]) {
        for name in Self.optionalFormats { others[name]?.tick(time, into: &output) }
    }

    /// The counters of the formats it hands records to (auditd's evictions and timeouts,
    /// refused field names), summed by name.
    public var counters: [(name: String, value: Int)] {
        var sums: [(name: String, value: Int)] = []
        let all = Self.optionalFormats.flatMap { others[$0]?.counters ?? [] }
            + json.counters + github.counters + cef.counters + syslog.counters
        for (n, v) in all {
            if let i = sums.firstIndex(where: { $0.name == n }) { sums[i].value += v } else { sums.append((n, v)) }
        }
        return sums
    }

    enum Target {
        case cef, githubAudit, json, syslog
        case other(String)
    }

    // MARK: byte checks

    /// An auditd record: `type=` first, or `node=NAME type=` (auditd's `name_format`), and
    /// `msg=audit(` after it.
    static func auditdRecord(_ p: UnsafeBufferPointer<UInt8>, _ at: Int) -> Bool {
        var i = at
        if hasPrefix(p, i, "node=") {
            i += 5
            while i < p.count, p[i] != 0x20 { i += 1 }
            while i < p.count, p[i] == 0x20 { i += 1 }
        }
        return hasPrefix(p, i, "type=") && contains(p, i, "msg=audit(")
    }

    @inline(__always)
    static func hasPrefix(_ p: UnsafeBufferPointer<UInt8>, _ at: Int, _ s: StaticString) -> Bool {
        let n = s.utf8CodeUnitCount
        guard p.count - at >= n else { return false }
        return memcmp(p.baseAddress! + at, s.utf8Start, n) == 0
    }

    @inline(__always)
    static func contains(_ p: UnsafeBufferPointer<UInt8>, _ at: Int, _ s: StaticString) -> Bool {
        let n = s.utf8CodeUnitCount
        guard p.count - at >= n else { return false }
        let base = p.baseAddress!
        let first = Int32(s.utf8Start[0])
        var i = at
        let last = p.count - n
        while i <= last {
            guard let hit = memchr(base + i, first, last - i + 1) else { return false }
            let j = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
            if memcmp(base + j, s.utf8Start, n) == 0 { return true }
            i = j + 1
        }
        return false
    }

    /// `digits{9,10} '.' digits{3,6}` followed by `sep`.
    static func epochThen(_ p: UnsafeBufferPointer<UInt8>, _ at: Int, _ sep: UInt8) -> Bool {
        var i = at
        while i < p.count, p[i] &- 48 < 10 { i += 1 }
        guard i - at >= 9, i - at <= 10, i < p.count, p[i] == 0x2E else { return false }
        let f = i + 1
        i = f
        while i < p.count, p[i] &- 48 < 10 { i += 1 }
        return i - f >= 3 && i - f <= 6 && i < p.count && p[i] == sep
    }

    func has(_ name: String) -> Bool { others[name] != nil }

    /// Set by a W3C `#Fields:` header whose first field is `timestamp` (Cisco WSA): its data
    /// lines start with an epoch like squid's native log and go to `w3c-proxy` until the next
    /// `#Fields:` header says otherwise.
    private var w3cEpochData = false

    /// JSON family (rules 2-5), `at` is the `{`/`[`.
    func jsonTarget(_ p: UnsafeBufferPointer<UInt8>, _ at: Int) -> Target {
        if has("osquery"), Self.contains(p, at, "\"hostIdentifier\"") { return .other("osquery") }
        if Self.contains(p, at, "\"action\""),
           Self.contains(p, at, "\"actor\"") || Self.contains(p, at, "\"_document_id\"") || Self.contains(p, at, "\"@timestamp\"") {
            return .githubAudit
        }
        if has("zeek-dns"), p[at] == 0x7B, Self.contains(p, at, "\"id.orig_h\""), Self.contains(p, at, "\"query\"") { return .other("zeek-dns") }
        return .json
    }

    /// Rules 1-13 on a whole record.
    func detect(_ p: UnsafeBufferPointer<UInt8>) -> (Target, Int) {
        var i = 0
        while i < p.count, p[i] == 0x20 || p[i] == 0x09 || p[i] == 0x0A || p[i] == 0x0D { i += 1 }
        if i + 3 <= p.count, p[i] == 0xEF, p[i + 1] == 0xBB, p[i + 2] == 0xBF { i += 3 }
        guard i < p.count else { return (.syslog, 0) }
        let c = p[i]
        if c == 0x7B || c == 0x5B { return (jsonTarget(p, i), i) }
        if CEFParser.findCEF(UnsafeBufferPointer(rebasing: p[i...])) != nil { return (.cef, i) }
        if c == 0x3C { // '<': syslog PRI, or Sysmon XML
            if has("sysmon-linux"), Self.hasPrefix(p, i, "<Event>") || Self.hasPrefix(p, i, "<Event ") { return (.other("sysmon-linux"), i) }
            return (.syslog, i)
        }
        if c == 0x23 { // '#': Zeek or W3C headers
            if has("zeek-dns"), Self.hasPrefix(p, i, "#separator") || Self.hasPrefix(p, i, "#fields\t") || Self.hasPrefix(p, i, "#types\t")
                || Self.hasPrefix(p, i, "#path\t") || Self.hasPrefix(p, i, "#open\t") || Self.hasPrefix(p, i, "#close\t")
                || Self.hasPrefix(p, i, "#set_separator") || Self.hasPrefix(p, i, "#empty_field") || Self.hasPrefix(p, i, "#unset_field") {
                return (.other("zeek-dns"), i)
            }
            if has("w3c-proxy"), Self.hasPrefix(p, i, "#Software:") || Self.hasPrefix(p, i, "#Version:") || Self.hasPrefix(p, i, "#Date:")
                || Self.hasPrefix(p, i, "#Fields:") || Self.hasPrefix(p, i, "#Remark:") {
                if Self.hasPrefix(p, i, "#Fields:") {
                    // Cisco WSA style: the first field is an epoch `timestamp`, like squid's.
                    var j = i + 8
                    while j < p.count, p[j] == 0x20 { j += 1 }
                    w3cEpochData = Self.hasPrefix(p, j, "timestamp ") || Self.hasPrefix(p, j, "x-timestamp ")
                }
                return (.other("w3c-proxy"), i)
            }
            return (.syslog, i)
        }
        if c &- 48 < 10 {
            if has("zeek-dns"), Self.epochThen(p, i, 0x09) { return (.other("zeek-dns"), i) }
            if Self.epochThen(p, i, 0x20) {
                if w3cEpochData, has("w3c-proxy") { return (.other("w3c-proxy"), i) }
                if has("squid") { return (.other("squid"), i) }
            }
            if has("w3c-proxy"), p.count - i > 20, p[i + 4] == 0x2D, p[i + 7] == 0x2D, p[i + 10] == 0x20, p[i + 13] == 0x3A,
               p[i + 16] == 0x3A, p[i + 19] == 0x20 { return (.other("w3c-proxy"), i) }
            if has("bind-query"), p.count - i > 20, p[i + 2] == 0x2D, p[i + 6] == 0x2D, p[i + 11] == 0x20,
               Self.contains(p, i, " query: ") { return (.other("bind-query"), i) }
        }
        if has("auditd"), Self.auditdRecord(p, i) { return (.other("auditd"), i) }
        if has("squid"), Self.contains(p, i, "] \""), squidCommon(p, i) { return (.other("squid"), i) }
        return (.syslog, i)
    }

    /// ` [dd/Mmm/yyyy:` somewhere in the record.
    func squidCommon(_ p: UnsafeBufferPointer<UInt8>, _ at: Int) -> Bool {
        var i = at
        while i + 13 <= p.count {
            if p[i] == 0x20, p[i + 1] == 0x5B, p[i + 4] == 0x2F, p[i + 8] == 0x2F, p[i + 13 - 1] &- 48 < 10 { return true }
            i += 1
        }
        return false
    }

    /// A BIND/Infoblox query line: `client ` at the start, or after named's own stamp and
    /// category (`07-Apr-2022 08:08:10.043 client …`, `infoblox-responses: … client …`),
    /// within the first 96 bytes; and ` query: ` after it.
    static func bindQueryLike(_ p: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let c = ByteText.find("client ", in: p, from: 0, to: min(p.count, 96)) else { return false }
        if c > 0, p[c - 1] != 0x20 { return false }
        return ByteText.find(" query: ", in: p, from: c, to: p.count) != nil
    }

    /// Rules 13a-13g on a syslog payload.
    func detectPayload(_ p: UnsafeBufferPointer<UInt8>, appName: String?) -> Target? {
        guard !p.isEmpty else { return nil }
        if Self.hasPrefix(p, 0, "CEF:") { return .cef }
        let c = p[0]
        if c == 0x7B || c == 0x5B { return jsonTarget(p, 0) }
        if has("sysmon-linux"), Self.hasPrefix(p, 0, "<Event>") || Self.hasPrefix(p, 0, "<Event ") { return .other("sysmon-linux") }
        if has("auditd"), Self.auditdRecord(p, 0) { return .other("auditd") }
        if has("dnsmasq"), let a = appName, a.hasPrefix("dnsmasq") { return .other("dnsmasq") }
        if has("bind-query"), Self.bindQueryLike(p) { return .other("bind-query") }
        return nil
    }

    public func parse(_ record: ArraySlice<UInt8>, event: consuming Event, into output: inout [Event]) throws {
        let (target, _) = record.withUnsafeBufferPointer { detect($0) }
        switch target {
        case .cef: try cef.parse(record, event: event, into: &output)
        case .githubAudit: try github.parse(record, event: event, into: &output)
        case .json: try json.parse(record, event: event, into: &output)
        case .other(let name): try others[name]!.parse(record, event: event, into: &output)
        case .syslog: try parseSyslog(record, event: event, into: &output)
        }
    }

    private func parseSyslog(_ record: ArraySlice<UInt8>, event: Event, into output: inout [Event]) throws {
        var e = event
        let fresh = e.fields.isEmpty
        e.fields.reserveCapacity(e.fields.count + 16)
        let spanBase = RecordCursor.spanBase(of: record, in: event)
        let range = try record.withUnsafeBufferPointer { try syslog.parseHeader($0, into: &e, fresh: fresh, spanBase: spanBase) }
        let base = record.startIndex
        let full = record[(base + range.lowerBound)..<(base + range.upperBound)]
        // The payload is detected and parsed after any leading whitespace (rsyslog forwards
        // `… - - -  {"@timestamp":…` with an extra space); `message` keeps it as written.
        var lead = full.startIndex
        while lead < full.endIndex, full[lead] == 0x20 || full[lead] == 0x09 { lead += 1 }
        let msg = full[lead...]
        let target = msg.withUnsafeBufferPointer { detectPayload($0, appName: e.string(ECS.logSyslogAppName)) }
        let before = output.count
        if let target {
            switch target {
            case .cef:
                try cef.parse(msg, event: e, into: &output)
                return
            case .githubAudit, .json, .other("osquery"), .other("zeek-dns"):
                // A JSON-looking payload is a guess: on failure keep the syslog event.
                let p: Parser
                switch target {
                case .githubAudit: p = github
                case .other(let n): p = others[n]!
                default: p = json
                }
                do { try p.parse(msg, event: e, into: &output); return } catch is ParseFailure {
                    output.removeSubrange(before...)
                }
            case .other(let name):
                let p = others[name]!
                do { try p.parse(record, event: event, into: &output); return } catch is ParseFailure {
                    output.removeSubrange(before...)
                }
                try p.parse(msg, event: e, into: &output)
                return
            case .syslog:
                break
            }
        }
        if !full.isEmpty {
            let v = FieldValue.string(String(decoding: full, as: UTF8.self))
            if fresh { e.append(ECS.message, v) } else { e[ECS.message] = v }
        }
        output.append(consume e)
    }
}
