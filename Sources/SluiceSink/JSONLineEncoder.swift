import SluiceCore

/// Nested-ECS JSON, one object per record (see `EventJSONEncoder`).
///
/// Alerts (`event.alert` set) are written with `event.kind: alert` and the alert fields of
/// DESIGN.md: `rule.id`, `rule.name`, `rule.description`, `severity`, `threat.tactic.id`,
/// `threat.technique.id`, `group` (group-by field → value), `count`, `first_seen`,
/// `last_seen` (RFC 3339), `enrichment`, `details`, `escalates` (the id of the alert an
/// escalation supersedes) and `evidence` (the sampled events).
/// Fields the alert event already carries win over the derived ones.
public final class JSONLineEncoder: EventEncoder {
    let inner: EventJSONEncoder
    public init(includeOriginal: Bool = true) { inner = EventJSONEncoder(includeOriginal: includeOriginal) }

    public func encode(_ event: Event, into out: inout [UInt8]) {
        if let a = event.alert {
            inner.encode(Self.alertEvent(event, a), into: &out)
        } else {
            inner.encode(event, into: &out)
        }
    }

    static func alertEvent(_ event: Event, _ a: Alert) -> Event {
        var e = Event(timestamp: event.timestamp != 0 ? event.timestamp : a.lastSeen, original: event.original)
        e.alert = a
        func add(_ k: FieldKey, _ v: FieldValue?) {
            guard let v, event[k] == nil else { return }
            e.append(k, v)
        }
        add(ECS.eventKind, .string("alert"))
        add(ECS.eventID, a.id.isEmpty ? nil : .string(a.id))
        add(ECS.ruleID, .string(a.ruleID))
        add(ECS.ruleName, .string(a.ruleName))
        add(SinkKeys.ruleDescription, a.description.isEmpty ? nil : .string(a.description))
        add(SinkKeys.severity, .string(a.severity.name))
        add(SinkKeys.threatTacticID, a.tacticIDs.isEmpty ? nil : .array(a.tacticIDs.map { .string($0) }))
        add(SinkKeys.threatTechniqueID, a.techniqueIDs.isEmpty ? nil : .array(a.techniqueIDs.map { .string($0) }))
        add(SinkKeys.group, .object(a.group))
        add(SinkKeys.count, .int(Int64(a.count)))
        if a.firstSeen != 0 { add(SinkKeys.firstSeen, .string(Timestamp.rfc3339(a.firstSeen))) }
        if a.lastSeen != 0 { add(SinkKeys.lastSeen, .string(Timestamp.rfc3339(a.lastSeen))) }
        add(SinkKeys.enrichment, a.enrichment.isEmpty ? nil : .object(a.enrichment))
        add(SinkKeys.details, a.details.isEmpty ? nil : .object(a.details))
        add(SinkKeys.escalates, a.escalates.map { .string($0) })
        e.fields.append(contentsOf: event.fields)
        return e
    }
}
