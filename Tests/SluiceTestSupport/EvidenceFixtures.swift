import SluiceCore

/// Events the evidence tests (packing in SluiceCore, snapshot writing in SluiceDetect) share.
public enum EvidenceFixtures {
    /// The GitHub audit record `auditEvent()` was parsed from.
    public static let line = Array(#"{"action":"git.clone","actor":"octocat","repo":"acme/payments","actor_location":{"country_code":"DE"},"n":"\u00e9t\u00e9"}"#.utf8)

    /// A parsed GitHub audit event: spans of its record (also inside an object and an
    /// array), strings enrichment added, numbers, booleans, null, a double.
    public static func auditEvent() -> Event {
        var e = Event(timestamp: 1_763_863_200_040_000_000, original: line[...])
        e.append(FieldKey("event.action"), .span(RecordSpan(start: 11, count: 9)))
        e.append(FieldKey("user.name"), .span(RecordSpan(start: 31, count: 7)))
        e.append(FieldKey("github.repo"), .span(RecordSpan(start: 48, count: 13)))
        e.append(FieldKey("github.actor_location"), .object([Field(FieldKey("country_code"), .span(RecordSpan(start: 97, count: 2)))]))
        e.append(FieldKey("related.user"), .array([.span(RecordSpan(start: 31, count: 7)), .string("octocat-bot")]))
        e.append(FieldKey("sluice.identity.department"), .string("engineering and research, EMEA"))
        e.append(FieldKey("github.repo_id"), .int(-712_716_357))
        e.append(FieldKey("github.repository_public"), .bool(false))
        e.append(FieldKey("threat.enrichments"), .array([.object([
            Field(FieldKey("confidence"), .double(0.8)), Field(FieldKey("feed"), .null)])]))
        return e
    }
}
