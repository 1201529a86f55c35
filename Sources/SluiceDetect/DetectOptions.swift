/// Options of a detection engine (the `detect` transform's keys, README "Rules").
public struct DetectOptions: Sendable {
    /// How far out of order events may arrive and still be evaluated in event-time order (ns).
    public var allowedLateness: Int64 = 120_000_000_000
    /// Timestamps more than this ahead of the wall clock are clamped to it (ns).
    public var maxFuture: Int64 = 300_000_000_000
    /// Group keys per correlation rule (also entities per baseline rule, keys per
    /// suppression table); least recently used evicted.
    public var maxGroupsPerRule = 200_000
    /// Window entries (events or distinct values) per group.
    public var maxValuesPerGroup = 10_000
    /// Entries per first-seen rule.
    public var maxFirstSeenEntries = 1_000_000
    /// Events held in the reorder buffer before the oldest are released early.
    public var maxBufferedEvents = 1_000_000
    /// Evidence events per alert.
    public var evidenceLimit = 20
    /// Recent matched events kept for evidence (shared by all rules).
    public var evidenceBuffer = 65_536
    /// Bytes those events may take (approximate; the oldest are dropped first), so large
    /// records cannot make the evidence grow to `evidenceBuffer` × `max_line_bytes`.
    public var evidenceBufferBytes = 256 << 20
    /// Default learning period of first-seen and baseline rules (ns of event time).
    public var learningPeriod: Int64 = 72 * 3_600_000_000_000
    /// Values for `|expand` placeholders (`%name%`).
    public var placeholders: [String: [String]] = [:]
    /// How many times an alert may be fed back to `product: sluice` rules in a chain.
    public var maxAlertDepth = 3

    public init() {}
}
