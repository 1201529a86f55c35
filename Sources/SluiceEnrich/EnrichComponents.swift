import SluiceCore

/// The enrichment transforms this module provides (`type:` of a transform). Those that read
/// operator files (`threat_intel`, `context`, `geoip`) read them in `load()`, never while
/// being built; see `ReloadableEnricher`.
public enum EnrichComponents {
    public static var registry: ComponentRegistry {
        var r = ComponentRegistry()
        r.transforms["threat_intel"] = { o, ctx in ThreatIntelEnricher(options: o, context: ctx) }
        r.transforms["context"] = { o, ctx in ContextEnricher(options: o, context: ctx) }
        r.transforms["repo_services"] = { o, ctx in RepoServicesEnricher(options: o, context: ctx) }
        r.transforms["geoip"] = { o, ctx in GeoIPEnricher(options: o, context: ctx) }
        return r
    }
}
