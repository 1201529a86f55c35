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
    /// What each key id is to the guard, indexed by id up to the largest guarded or ancestor
    /// id: `guarded` index (0–4), `Self.ancestor`, or `Self.unrelated`. An exact check in
    /// one load, so events whose fields are all unrelated pass without lookups.
    let roles: [Int8]
    static let unrelated: Int8 = -1
    static let ancestor: Int8 = 5
    public let namespace: String

    /// Guards `defaultPaths` minus `trusted`; colliding payload values go to
    /// `<namespace>.<path>`.
    public init(namespace: String, trusted: [String] = []) {
        self.namespace = namespace
        var g: [Guarded] = []
        for path in Self.defaultPaths.prefix(5) where !trusted.contains(path) {
            let comps = path.split(separator: ".").map(String.init)
            let ancestors = (1..<comps.count).map { n in
                (key: FieldKey(comps[0..<n].joined(separator: ".")), rest: Array(comps[n...]))
            }
            g.append(Guarded(key: FieldKey(path), moved: FieldKey(namespace + "." + path), ancestors: ancestors))
        }
        guarded = g
        let ancestorIDs = g.flatMap { $0.ancestors.map(\.key.id) }
        let top = (g.map(\.key.id) + ancestorIDs).max().map { Int($0) + 1 } ?? 0
        var roles = [Int8](repeating: Self.unrelated, count: top)
        for id in ancestorIDs { roles[Int(id)] = Self.ancestor }
        for (i, x) in g.enumerated() { roles[Int(x.key.id)] = Int8(i) }
        self.roles = roles
    }

    /// `roles[id]`, or `unrelated` past its end.
    @inline(__always)
    func role(_ id: UInt32) -> Int8 {
        roles.withUnsafeBufferPointer { Int(id) < $0.count ? $0[Int(id)] : Self.unrelated }
    }

    /// The source's values of the guarded fields, taken before parsing: where they lie in
    /// the event's own field list (shared with it, not copied), so taking one copies no
    /// value. A value that is a span of the record is resolved into text here instead (the
    /// parser may replace the record).
    public struct Snapshot {
        /// The event's fields before parsing.
        let source: FieldList
        /// Position in `source` of guarded field `i`, or -1 when the source did not set it.
        var p0: Int32 = -1, p1: Int32 = -1, p2: Int32 = -1, p3: Int32 = -1, p4: Int32 = -1
        /// Resolved values, only when a guarded value was a span.
        var resolved: [FieldValue?]?

        init(source: FieldList) { self.source = source }

        public var isEmpty: Bool { p0 < 0 && p1 < 0 && p2 < 0 && p3 < 0 && p4 < 0 }

        func position(_ i: Int) -> Int {
            switch i { case 0: return Int(p0); case 1: return Int(p1); case 2: return Int(p2); case 3: return Int(p3); default: return Int(p4) }
        }

        mutating func setPosition(_ i: Int, _ j: Int) {
            let v = Int32(j)
            switch i { case 0: p0 = v; case 1: p1 = v; case 2: p2 = v; case 3: p3 = v; default: p4 = v }
        }

        /// The source's value of guarded field `i` (a copy: for the slow path).
        subscript(i: Int) -> FieldValue? {
            if let resolved { return resolved[i] }
            let j = position(i)
            return j < 0 ? nil : source[j].value
        }

        /// Whether `value` is the source's value of guarded field `i` (which it set), read in
        /// place.
        func holds(_ i: Int, _ value: UnsafePointer<FieldValue>) -> Bool {
            if let resolved { return resolved[i] == value.pointee }
            return source.withUnsafeFields { $0.value(at: position(i)).pointee == value.pointee }
        }
    }

    public func snapshot(_ e: Event) -> Snapshot {
        var snap = Snapshot(source: e.fields)
        var spans = false
        e.fields.withUnsafeFields { fields in
            for j in fields.indices where j <= Int(Int32.max) {
                let r = role(fields[j].key.id)
                guard r >= 0, r < Self.ancestor, snap.position(Int(r)) < 0 else { continue }
                snap.setPosition(Int(r), j)
                if Event.holdsSpan(fields.value(at: j)) { spans = true }
            }
        }
        if spans { snap.resolved = guarded.indices.map { i in snap[i].map(e.resolved) } }
        return snap
    }

    /// Restores the source's values in a parsed event and moves colliding payload values
    /// under the namespace.
    public func enforce(_ e: inout Event, _ snap: Snapshot) {
        guard !snap.isEmpty, !untouched(e, snap) else { return }
        guard e.fields.contains(where: { role($0.key.id) != Self.unrelated }) else {
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
                let r = role(fields[j].key.id)
                if r == Self.unrelated { continue }
                if r == Self.ancestor {
                    if case .object = fields.value(at: j).pointee { return false }
                    continue
                }
                // A guarded field the source did not set is the payload's.
                let i = Int(r)
                guard snap.position(i) >= 0 else { continue }
                if seen & (1 << i) != 0 || !snap.holds(i, fields.value(at: j)) { return false }
                seen |= 1 << i
            }
            return true
        }
        guard clean else { return false }
        for i in guarded.indices where snap.position(i) >= 0 && seen & (1 << i) == 0 { return false }
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
