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
        return r
    }
}
