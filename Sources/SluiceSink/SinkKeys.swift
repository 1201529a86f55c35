import SluiceCore

/// Field keys the encoders read that are not in `ECS` (interned once).
enum SinkKeys {
    static let githubRepo = FieldKey("github.repo")
    static let destinationUserName = FieldKey("destination.user.name")
    static let repositories = FieldKey("repositories")
    static let distinctRepos = FieldKey("distinct_repos")
    static let severity = FieldKey("severity")
    static let ruleDescription = FieldKey("rule.description")
    static let threatTacticID = FieldKey("threat.tactic.id")
    static let threatTechniqueID = FieldKey("threat.technique.id")
    static let group = FieldKey("group")
    static let count = FieldKey("count")
    static let firstSeen = FieldKey("first_seen")
    static let lastSeen = FieldKey("last_seen")
    static let enrichment = FieldKey("enrichment")
    static let details = FieldKey("details")
    static let escalates = FieldKey("escalates")
}

/// Read access to an alert's context: the alert event's own fields first, then the alert's
/// group-by values, then its details and enrichment, then the first evidence event.
struct AlertView {
    let event: Event
    let alert: Alert?

    init(_ event: Event) { self.event = event; self.alert = event.alert }

    func value(_ key: FieldKey) -> FieldValue? {
        if let v = event[key] ?? event.nestedValue(key) { return v }
        guard let a = alert else { return nil }
        for f in a.group where f.key == key { return f.value }
        for f in a.details where f.key == key { return f.value }
        for f in a.enrichment where f.key == key { return f.value }
        if let first = a.evidence.first, let v = first[key] { return v }
        return nil
    }

    func text(_ key: FieldKey) -> String? { value(key).flatMap(FieldText.text) }
}

/// Scalar text of field values for line formats (CEF, syslog).
enum FieldText {
    /// Scalars as text; arrays of scalars joined with `,`; objects and nulls: nil.
    static func text(_ v: FieldValue) -> String? {
        switch v {
        case .array(let items):
            let parts = items.compactMap { $0.text }
            return parts.isEmpty ? nil : parts.joined(separator: ",")
        case .null, .object: return nil
        default:
            let t = v.text
            return (t?.isEmpty ?? true) ? nil : t
        }
    }

    /// `key=value` pairs joined with `;` (for group and enrichment in one CEF string).
    static func pairs(_ fields: [Field]) -> String? {
        var parts: [String] = []
        for f in fields {
            if case .object(let m) = f.value {
                for inner in m { if let t = text(inner.value) { parts.append("\(f.key.path).\(inner.key.path)=\(t)") } }
            } else if let t = text(f.value) {
                parts.append("\(f.key.path)=\(t)")
            }
        }
        return parts.isEmpty ? nil : parts.joined(separator: ";")
    }
}

/// Sluice's product identity in output records.
public enum SluiceProduct {
    public static let vendor = "Sluice"
    public static let name = "Sluice"
    public static let version = "0.1.0"
}
