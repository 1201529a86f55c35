/// Fields a source sets from what it observed itself — the peer address of a syslog
/// connection, the listener and source names, the file a line came from — which the record's
/// payload must not overwrite: a sender controls its payload, not its address.
///
/// Guarantees (for events that held such a field before parsing): after `enforce`, the field
/// holds the source's value, exactly once; a payload value that collided with it — set as a
/// dotted key (`"source.ip": …`) or inside a nested object (`"source": {"ip": …}`) — is kept
/// under the payload's own namespace, `<namespace>.<field>` (e.g. `json.source.ip`), never
/// dropped. Fields the source did not set are the payload's to set. A pipeline can trust the
/// payload for a field explicitly (`trust_payload_fields`); that field is then not guarded.
public struct AuthoritativeFields: Sendable {
    /// The guarded fields: `sluice.source`, `observer.ingress.name`, `source.ip`,
    /// `source.port`, `log.file.path`.
    public static let defaultPaths = ["sluice.source", "observer.ingress.name", "source.ip", "source.port", "log.file.path"]

    /// A guarded key, where a colliding payload value goes, and the object fields that can
    /// hold it nested (`source` for `source.ip`, with the rest of the path).
    struct Guarded: Sendable {
        let key: FieldKey
        let moved: FieldKey
        let ancestors: [(key: FieldKey, rest: [String])]
    }

    let guarded: [Guarded]
    /// 64-bit filter of the ids of every guarded and ancestor key.
    let filter: UInt64
    /// The guarded keys' ids (`guardedIDs[i]` is `guarded[i].key`) and every ancestor's id:
    /// the exact check for a field the filter let through.
    let guardedIDs: [UInt32]
    let ancestorIDs: [UInt32]
    public let namespace: String

    /// Guards `defaultPaths` minus `trusted`; colliding payload values go to
    /// `<namespace>.<path>`.
    public init(namespace: String, trusted: [String] = []) {
        self.namespace = namespace
        var g: [Guarded] = []
        var filter: UInt64 = 0
        for path in Self.defaultPaths.prefix(5) where !trusted.contains(path) {
            let key = FieldKey(path)
            let comps = path.split(separator: ".").map(String.init)
            var ancestors: [(FieldKey, [String])] = []
            for n in 1..<comps.count {
                let a = FieldKey(comps[0..<n].joined(separator: "."))
                ancestors.append((a, Array(comps[n...])))
                filter |= 1 << (UInt64(a.id) & 63)
            }
            filter |= 1 << (UInt64(key.id) & 63)
            g.append(Guarded(key: key, moved: FieldKey(namespace + "." + path), ancestors: ancestors))
        }
        guarded = g
        self.filter = filter
        guardedIDs = g.map(\.key.id)
        ancestorIDs = g.flatMap { $0.ancestors.map(\.key.id) }
    }

    /// The source's values of the guarded fields, taken before parsing (inline storage:
    /// no allocation per event).
    public struct Snapshot {
        var v0, v1, v2, v3, v4: FieldValue?
        public var isEmpty: Bool { v0 == nil && v1 == nil && v2 == nil && v3 == nil && v4 == nil }
        subscript(i: Int) -> FieldValue? {
            get { switch i { case 0: return v0; case 1: return v1; case 2: return v2; case 3: return v3; default: return v4 } }
            set { switch i { case 0: v0 = newValue; case 1: v1 = newValue; case 2: v2 = newValue; case 3: v3 = newValue; default: v4 = newValue } }
        }
    }

    public func snapshot(_ e: Event) -> Snapshot {
        var snap = Snapshot()
        e.fields.withUnsafeFields { fields in
            for j in fields.indices where filter & (1 << (UInt64(fields[j].key.id) & 63)) != 0 {
                if let i = guardedIDs.firstIndex(of: fields[j].key.id), snap[i] == nil { snap[i] = e.resolved(fields[j].value) }
            }
        }
        return snap
    }

    /// Restores the source's values in a parsed event and moves colliding payload values
    /// under the namespace.
    public func enforce(_ e: inout Event, _ snap: Snapshot) {
        guard !snap.isEmpty, !untouched(e, snap) else { return }
        guard e.fields.contains(where: { filter & (1 << (UInt64($0.key.id) & 63)) != 0 }) else {
            // The parser dropped every guarded field (it replaced the event): restore them.
            for (i, g) in guarded.enumerated() { if let v = snap[i] { e.fields.append(Field(g.key, v)) } }
            return
        }
        var moved: [(FieldKey, FieldValue)] = []
        for (i, g) in guarded.enumerated() {
            guard let source = snap[i] else { continue }
            var kept = false
            var idx = 0
            while idx < e.fields.count {
                let f = e.fields[idx]
                if f.key == g.key {
                    if !kept && e.resolved(f.value) == source { kept = true; idx += 1; continue }
                    moved.append((g.moved, e.resolved(f.value)))
                    e.fields.remove(at: idx)
                    continue
                }
                if case .object = f.value, let a = g.ancestors.first(where: { $0.key == f.key }) {
                    var v = f.value
                    if let taken = Self.take(&v, a.rest[...]) {
                        moved.append((g.moved, e.resolved(taken)))
                        e.fields[idx].value = v
                    }
                }
                idx += 1
            }
            if !kept { e.fields.append(Field(g.key, source)) }
        }
        for (k, v) in moved { e[k] = v }
    }

    /// Whether the payload left the guarded fields alone: each field the source set is in
    /// `e` once, holding the source's value, and no object that could nest a guarded field is
    /// there. Then `enforce` has nothing to do (the common case), found in one pass over
    /// the fields that reads them in place.
    private func untouched(_ e: Event, _ snap: Snapshot) -> Bool {
        var seen = 0
        let clean: Bool = e.fields.withUnsafeFields { fields in
            for j in fields.indices {
                let id = fields[j].key.id
                guard filter & (1 << (UInt64(id) & 63)) != 0 else { continue }
                if let i = guardedIDs.firstIndex(of: id) {
                    // A guarded field the source did not set is the payload's.
                    guard let source = snap[i] else { continue }
                    if seen & (1 << i) != 0 || fields.value(at: j).pointee != source { return false }
                    seen |= 1 << i
                } else if ancestorIDs.contains(id), case .object = fields.value(at: j).pointee {
                    return false
                }
            }
            return true
        }
        guard clean else { return false }
        for i in guarded.indices where snap[i] != nil && seen & (1 << i) == 0 { return false }
        return true
    }

    /// Removes and returns the member at `path` inside an object value.
    private static func take(_ v: inout FieldValue, _ path: ArraySlice<String>) -> FieldValue? {
        guard case .object(var members) = v, let first = path.first else { return nil }
        var found: FieldValue?
        var i = members.count - 1
        while i >= 0 {
            let c = members[i].key.components
            if c.count == 1, c[0] == first {
                if path.count == 1 {
                    if found == nil { found = members[i].value }
                    members.remove(at: i)
                } else {
                    var inner = members[i].value
                    if let t = take(&inner, path.dropFirst()) { if found == nil { found = t }; members[i].value = inner }
                }
            } else if c.count > 1, c.count <= path.count, path.prefix(c.count).elementsEqual(c) {
                if c.count == path.count {
                    if found == nil { found = members[i].value }
                    members.remove(at: i)
                } else {
                    var inner = members[i].value
                    if let t = take(&inner, path.dropFirst(c.count)) { if found == nil { found = t }; members[i].value = inner }
                }
            }
            i -= 1
        }
        if found != nil { v = .object(members) }
        return found
    }
}

extension AuthoritativeFields {
    /// Whether every field is trusted (nothing to guard).
    public var isEmpty: Bool { guarded.isEmpty }
}
