import SluiceCore

/// The enrichment transforms this module provides (`type:` of a transform). Each reads the
/// operator's files in `load()`, never while being built; see `ReloadableEnricher`.
public enum EnrichComponents {
    public static var registry: ComponentRegistry {
        var r = ComponentRegistry()
        r.transforms["threat_intel"] = { o, ctx in ThreatIntelEnricher(options: o, context: ctx) }
        return r
    }
}
