/// A record set aside by a stage, with the reason. It becomes a dead-letter event.
public struct DeadLetter: Sendable {
    public var event: Event
    /// Short stable reason code (used as a metric label), e.g. `invalid_json`.
    public var reason: String
    /// Human-readable detail, e.g. `expected ':' at byte 17`.
    public var detail: String
    /// The record format whose parser refused the record (`sluice.parser` on the dead-letter
    /// event, and the `parser` label of `sluice_parse_failures_total`); nil elsewhere.
    public var parser: String?

    public init(event: Event, reason: String, detail: String = "", parser: String? = nil) {
        self.event = event; self.reason = reason; self.detail = detail; self.parser = parser
    }
}
