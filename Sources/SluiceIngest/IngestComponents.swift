import SluiceCore

/// The source types this module provides (the `type:` of a source).
public enum IngestComponents {
    public static var registry: ComponentRegistry {
        var r = ComponentRegistry()
        r.sources["file"] = { o, ctx in try FileSource.make(o, ctx) }
        r.sources["stdin"] = { o, ctx in try StdinSource.make(o, ctx) }
        r.sources["journald"] = { o, ctx in try JournaldSource.make(o, ctx) }
        r.sources["syslog"] = { o, ctx in try SyslogSource.make(o, ctx) }
        r.sources["splunk_hec"] = { o, ctx in try SplunkHECSource.make(o, ctx) }
        r.sources["github_audit_api"] = { o, ctx in try GitHubAuditAPISource.make(o, ctx) }
        return r
    }
}
