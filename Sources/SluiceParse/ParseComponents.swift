import SluiceCore

/// The record formats this module provides: the `format:` of a `parse` transform and the
/// `--format` of `sluice parse`. Adding a format is adding its file and one line here.
public enum ParseComponents {
    public static var registry: ComponentRegistry {
        var r = ComponentRegistry()
        r.parsers["json"] = { o, _ in JSONParser(options: o) }
        r.parsers["syslog"] = { o, ctx in try SyslogParser(options: o, context: ctx) }
        r.parsers["github-audit"] = { o, _ in GitHubAuditParser(options: o) }
        r.parsers["cef"] = { o, _ in CEFParser(options: o) }
        r.parsers["auto"] = { o, ctx in try AutoParser(options: o, context: ctx) }
        r.parsers["squid"] = { o, _ in SquidParser(options: o) }
        r.parsers["auditd"] = { o, _ in AuditdParser(options: o) }
        r.parsers["zeek-dns"] = { o, _ in ZeekDNSParser(options: o) }
        r.parsers["bind-query"] = { o, _ in BindQueryParser(options: o) }
        r.parsers["dnsmasq"] = { o, _ in DnsmasqParser(options: o) }
        r.parsers["w3c-proxy"] = { o, _ in W3CProxyParser(options: o) }
        r.parsers["sysmon-linux"] = { o, _ in SysmonLinuxParser(options: o) }
        r.parsers["osquery"] = { o, _ in OsqueryParser(options: o) }
        return r
    }
}
