import SluiceCore

/// The record formats this module provides: the `format:` of a `parse` transform and the
/// `--format` of `sluice parse`. Adding a format is adding its file and one line here.
///
/// Every format is wrapped in `SourceFieldGuard`: fields the source set from what it
/// observed (`AuthoritativeFields`) survive parsing, unless the transform lists them in
/// `trust_payload_fields`.
public enum ParseComponents {
    public static var registry: ComponentRegistry {
        var r = ComponentRegistry()
        func add(_ name: String, _ namespace: String, _ f: @escaping ParserFactory) {
            r.parsers[name] = { o, ctx in try SourceFieldGuard.wrap(f(o, ctx), namespace: namespace, options: o) }
        }
        add("json", "json") { o, _ in JSONParser(options: o) }
        add("syslog", "syslog") { o, ctx in try SyslogParser(options: o, context: ctx) }
        add("github-audit", "github") { o, _ in GitHubAuditParser(options: o) }
        add("cef", "cef") { o, _ in CEFParser(options: o) }
        add("auto", "syslog") { o, ctx in try AutoParser(options: o, context: ctx) }
        add("squid", "squid") { o, _ in SquidParser(options: o) }
        add("auditd", "auditd") { o, _ in AuditdParser(options: o) }
        add("zeek-dns", "zeek") { o, _ in ZeekDNSParser(options: o) }
        add("bind-query", "bind") { o, _ in BindQueryParser(options: o) }
        add("dnsmasq", "dnsmasq") { o, _ in DnsmasqParser(options: o) }
        add("w3c-proxy", "w3c") { o, _ in W3CProxyParser(options: o) }
        add("sysmon-linux", "sysmon") { o, _ in SysmonLinuxParser(options: o) }
        add("osquery", "osquery") { o, _ in OsqueryParser(options: o) }
        return r
    }
}

/// Runs a parser and then restores the fields the source set from what it observed
/// (`AuthoritativeFields`): a payload value that collides goes under `<namespace>.<field>`
/// (e.g. `json.source.ip`). Option `trust_payload_fields: [source.ip, …]` lets the payload
/// set those fields. Forwards `tick` and `counters`; the wrapped parser is `inner`.
public final class SourceFieldGuard: StatefulParser {
    public let inner: Parser
    let fields: AuthoritativeFields

    init(_ inner: Parser, fields: AuthoritativeFields) { self.inner = inner; self.fields = fields }

    /// Wraps `parser` unless it is already guarded or every field is trusted.
    static func wrap(_ parser: Parser, namespace: String, options o: ComponentOptions) -> Parser {
        if parser is SourceFieldGuard { return parser }
        let trusted = o.stringList("trust_payload_fields") ?? []
        for t in trusted where !AuthoritativeFields.defaultPaths.contains(t) {
            o.fail("trust_payload_fields: '\(t)' is not a source field; the guarded fields are \(AuthoritativeFields.defaultPaths.joined(separator: ", "))",
                   at: "trust_payload_fields")
        }
        let f = AuthoritativeFields(namespace: namespace, trusted: trusted)
        return f.isEmpty ? parser : SourceFieldGuard(parser, fields: f)
    }

    public func parse(_ record: ArraySlice<UInt8>, event: consuming Event, into output: inout [Event]) throws {
        let snap = fields.snapshot(event)
        if snap.isEmpty { try inner.parse(record, event: event, into: &output); return }
        let before = output.count
        try inner.parse(record, event: event, into: &output)
        for i in before..<output.count { fields.enforce(&output[i], snap) }
    }

    public func tick(_ time: StageTime, into output: inout [Event]) { inner.tick(time, into: &output) }
    public var counters: [(name: String, value: Int)] { inner.counters }
    public var holdsState: Bool { (inner as? StatefulParser)?.holdsState ?? false }
    public func snapshot(into writer: inout BinaryWriter) { (inner as? StatefulParser)?.snapshot(into: &writer) }
    public func restore(from reader: inout BinaryReader) throws { try (inner as? StatefulParser)?.restore(from: &reader) }
}
