/// Severity of an alert, ordered from least to most severe.
public enum Severity: Int, Sendable, Comparable, CaseIterable {
    case informational = 0, low, medium, high, critical

    public static func < (a: Severity, b: Severity) -> Bool { a.rawValue < b.rawValue }

    public var name: String {
        switch self {
        case .informational: return "informational"
        case .low: return "low"
        case .medium: return "medium"
        case .high: return "high"
        case .critical: return "critical"
        }
    }

    public init?(name: String) {
        switch name.lowercased() {
        case "informational", "info": self = .informational
        case "low": self = .low
        case "medium": self = .medium
        case "high": self = .high
        case "critical": self = .critical
        default: return nil
        }
    }
}

/// A detection result. Immutable once made; travels through the pipeline attached to an
/// `Event` (`event.alert`) so that encoders can render it as JSON, CEF or OCSF.
///
/// `group`, `enrichment` and `details` belong to no record, so their values must be
/// self-contained: take them from events through `Event`'s accessors (which turn zero-copy
/// `.span`s into strings), never from `Event.fields` directly. Debug builds check this.
public final class Alert: Sendable {
    public let id: String
    public let ruleID: String
    public let ruleName: String
    public let description: String
    public let severity: Severity
    /// ATT&CK tactic ids (e.g. `TA0010`) and technique ids (e.g. `T1567.001`).
    public let tacticIDs: [String]
    public let techniqueIDs: [String]
    /// Group-by fields and their values (e.g. `user.name: alice`).
    public let group: [Field]
    public let count: Int
    /// Event-time bounds of the evidence, ns since the epoch.
    public let firstSeen: Int64
    public let lastSeen: Int64
    /// Enrichment that applied (threat intel hits, asset/identity context).
    public let enrichment: [Field]
    /// Extra rule-specific values (e.g. `repositories`, `distinct_repos`).
    public let details: [Field]
    /// A bounded sample of the events that made the rule fire.
    public let evidence: [Event]
    /// The id of the alert this one escalates (same rule and group, higher severity).
    public let escalates: String?

    public init(id: String, ruleID: String, ruleName: String, description: String = "",
                severity: Severity, tacticIDs: [String] = [], techniqueIDs: [String] = [],
                group: [Field] = [], count: Int, firstSeen: Int64, lastSeen: Int64,
                enrichment: [Field] = [], details: [Field] = [], evidence: [Event] = [], escalates: String? = nil) {
        self.id = id; self.ruleID = ruleID; self.ruleName = ruleName; self.description = description
        self.severity = severity; self.tacticIDs = tacticIDs; self.techniqueIDs = techniqueIDs
        self.group = group; self.count = count; self.firstSeen = firstSeen; self.lastSeen = lastSeen
        self.enrichment = enrichment; self.details = details; self.evidence = evidence; self.escalates = escalates
        assert(!(group + enrichment + details).contains { Event.containsSpan($0.value) },
               "alert values must not be spans of a record; read them through Event's accessors")
    }
}
