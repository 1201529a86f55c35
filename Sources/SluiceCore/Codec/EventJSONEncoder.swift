/// Encodes events as single-line JSON with nested ECS objects
/// (`{"@timestamp":…,"event":{"action":…},"user":{"name":…}}`).
///
/// Fast path: the nesting plan of an event depends only on its sequence of keys, so plans
/// are computed once per key shape and cached; encoding an event is then a walk over the
/// plan appending bytes. The cache is bounded by count (`maxPlans`) and by bytes
/// (`maxCacheBytes`; a plan larger than a quarter of it is used once and not kept), so
/// hostile key orders cannot grow it. Not thread-safe: use one encoder per stage.
///
/// Guarantees: an object never holds a member name twice, so readers that keep the first
/// or the last value agree. When an event's keys collide on output — a nested object and
/// a dotted field under it (`source: {ip: …}` and `source.port`), a key set twice, a field
/// named `@timestamp` — the members are merged into one object: objects merge member by
/// member, and for a scalar set twice the later field (in event order) wins; the event
/// time always wins over a field named `@timestamp`. Such key shapes take a slower path.
public final class EventJSONEncoder {
    /// Whether to include `event.original`.
    public var includeOriginal: Bool
    /// Whether plain members are written in one piece (`writeFlat`); off only in tests that
    /// compare both paths.
    var writesFlat = true
    private var plans: [UInt64: [Plan]] = [:]
    private var planCount = 0
    private var cacheBytes = 0
    static let maxPlans = 4096
    /// Bytes the plan cache may hold (key ids, steps and member names of every plan).
    public static let maxCacheBytes = 8 << 20
    private static let originalMarker = UInt32.max

    /// Plans cached now, and the bytes they hold (for tests and metrics).
    public var cachedPlans: (count: Int, bytes: Int) { (planCount, cacheBytes) }

    public init(includeOriginal: Bool = true) {
        self.includeOriginal = includeOriginal
    }

    /// One step of a nesting plan. Plain values (no references), so walking a plan does
    /// no reference counting.
    private struct Op {
        enum Kind: UInt8 { case open, close, field, original }
        let kind: Kind
        /// Field index for `.field`.
        let index: Int32
        /// `"name":` bytes in the plan's `names` buffer.
        let nameStart: Int32
        let nameLength: Int32
    }

    private final class Plan {
        let ids: [UInt32]
        let ops: [Op]
        let names: [UInt8]
        /// Keys collide on output (see the type's guarantees): encode by merging.
        let collides: Bool
        init(ids: [UInt32], ops: [Op], names: [UInt8], collides: Bool) {
            self.ids = ids; self.ops = ops; self.names = names; self.collides = collides
        }
        var bytes: Int { ids.count * 4 + ops.count * MemoryLayout<Op>.stride + names.count + 128 }
    }

    /// Encodes one event and a trailing newline.
    public func encodeLine(_ event: Event, into out: inout [UInt8]) {
        encode(event, into: &out)
        out.append(0x0A)
    }

    /// Encodes one event as a JSON object (no newline).
    public func encode(_ event: Event, into out: inout [UInt8]) {
        let withOriginal = includeOriginal && !event.original.isEmpty
        let plan = self.plan(for: event, withOriginal: withOriginal)
        if plan.collides { encodeMerged(event, withOriginal: withOriginal, into: &out); return }
        out.append(UInt8(ascii: "{"))
        var first = true
        if event.timestamp != 0 {
            out.append(contentsOf: "\"@timestamp\":\"".utf8)
            Timestamp.appendRFC3339(event.timestamp, to: &out)
            out.append(UInt8(ascii: "\""))
            first = false
        }
        // The record and the fields are read in place once: no reference counting per field.
        // (`.original` ops exist only when `withOriginal`, and then this is `original`.)
        event.spanStorage.withUnsafeBufferPointer { record in
            event.fields.withUnsafeFields { fields in
                plan.names.withUnsafeBufferPointer { names in
                    plan.ops.withUnsafeBufferPointer { ops in
                        if writesFlat, let after = self.writeFlat(ops, names, fields, record, first: first, to: &out) {
                            first = after
                            return
                        }
                        for op in ops {
                            let name = UnsafeBufferPointer(rebasing: names[Int(op.nameStart)..<Int(op.nameStart + op.nameLength)])
                            switch op.kind {
                            case .open:
                                if !first { out.append(UInt8(ascii: ",")) }
                                out.append(contentsOf: name)
                                out.append(UInt8(ascii: "{"))
                                first = true
                            case .close:
                                out.append(UInt8(ascii: "}"))
                                first = false
                            case .field:
                                if !first { out.append(UInt8(ascii: ",")) }
                                out.append(contentsOf: name)
                                JSONWriter.appendValue(fields[Int(op.index)].value, recordBytes: record, to: &out)
                                first = false
                            case .original:
                                if !first { out.append(UInt8(ascii: ",")) }
                                out.append(contentsOf: name)
                                JSONWriter.appendQuotedBytes(record, to: &out)
                                first = false
                            }
                        }
                    }
                }
            }
        }
        if let alert = event.alert, !alert.evidence.isEmpty {
            if !first { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: "\"evidence\":[".utf8)
            for (i, e) in alert.evidence.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                encode(e, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        }
        out.append(UInt8(ascii: "}"))
    }

    /// Room `writeFlat` writes an event's members into before one copy into `out` (no
    /// zero-filling of `out`): grown when a value needs more, kept between events.
    private var scratch = UnsafeMutablePointer<UInt8>.allocate(capacity: 4096)
    private var scratchCapacity = 4096

    deinit { scratch.deallocate() }

    /// The plan's members written in one pass through a pointer into `scratch` (room checked
    /// per value: each string counted as if every byte took a two-byte escape), then
    /// appended to `out` at once, instead of a few appends per field. Fields are read where
    /// they lie (no copy of a value). Nil (and `out` unchanged) when a value needs the
    /// general writer: doubles, text that is not valid UTF-8 or holds a control byte needing
    /// `\u00XX`. Returns the new `first` flag.
    private func writeFlat(_ ops: UnsafeBufferPointer<Op>, _ names: UnsafeBufferPointer<UInt8>,
                           _ fields: UnsafeBufferPointer<Field>, _ record: UnsafeBufferPointer<UInt8>,
                           first: Bool, to out: inout [UInt8]) -> Bool? {
        var w = FlatWriter(base: scratch, limit: scratchCapacity, record: record)
        // The writer may have moved to a larger allocation: it becomes the scratch room.
        defer { scratch = w.base; scratchCapacity = w.limit }
        var first = first
        for op in ops {
            switch op.kind {
            case .open:
                w.name(op, names, first: first)
                w.byte(UInt8(ascii: "{"))
                first = true
            case .close:
                w.room(1)
                w.byte(UInt8(ascii: "}"))
                first = false
            case .original:
                w.name(op, names, first: first)
                guard w.quoted(record, validate: true) else { return nil }
                first = false
            case .field:
                w.name(op, names, first: first)
                guard w.value(fields.value(at: Int(op.index))) else { return nil }
                first = false
            }
        }
        out.append(contentsOf: UnsafeBufferPointer(start: w.base, count: w.used))
        return first
    }

    /// `writeFlat`'s output: bytes written at `base` (room for `limit`), grown by moving to
    /// a larger allocation (the old one is freed).
    private struct FlatWriter {
        var base: UnsafeMutablePointer<UInt8>
        var limit: Int
        var used = 0
        let record: UnsafeBufferPointer<UInt8>

        init(base: UnsafeMutablePointer<UInt8>, limit: Int, record: UnsafeBufferPointer<UInt8>) {
            self.base = base; self.limit = limit; self.record = record
        }

        @inline(__always) mutating func room(_ n: Int) {
            if _slowPath(used &+ n > limit) { grow(used &+ n) }
        }

        @inline(never) mutating func grow(_ needed: Int) {
            let n = Swift.max(needed, limit * 2)
            let new = UnsafeMutablePointer<UInt8>.allocate(capacity: n)
            new.update(from: base, count: used)
            base.deallocate()
            base = new
            limit = n
        }

        @inline(__always) mutating func byte(_ b: UInt8) { base[used] = b; used &+= 1 }

        /// `,` unless first, then the op's `"name":` (and room for one byte after it).
        @inline(__always) mutating func name(_ op: Op, _ names: UnsafeBufferPointer<UInt8>, first: Bool) {
            let n = Int(op.nameLength)
            room(n &+ 2)
            if !first { byte(UInt8(ascii: ",")) }
            (base + used).update(from: names.baseAddress! + Int(op.nameStart), count: n)
            used &+= n
        }

        /// `b` quoted; false when it needs the general writer (a control byte needing
        /// `\u00XX`, or with `validate`, text that is not valid UTF-8). One pass over ASCII
        /// text: its copy is its check.
        @inline(__always) mutating func quoted(_ b: UnsafeBufferPointer<UInt8>, validate: Bool) -> Bool {
            room(2 &* b.count &+ 2)
            guard let p = b.baseAddress, b.count > 0 else {
                byte(UInt8(ascii: "\"")); byte(UInt8(ascii: "\"")); return true
            }
            var n = JSONWriter.writeQuoted(p, b.count, firstSpecial: 0, to: base + used, shortOnly: true, asciiOnly: validate)
            if n == JSONWriter.notASCII {
                guard UTF8Validation.isValid(b) else { return false }
                n = JSONWriter.writeQuoted(p, b.count, firstSpecial: 0, to: base + used, shortOnly: true)
            }
            guard n >= 0 else { return false }
            used &+= n
            return true
        }

        @inline(__always) mutating func literal(_ t: StaticString) {
            room(t.utf8CodeUnitCount)
            (base + used).update(from: t.utf8Start, count: t.utf8CodeUnitCount)
            used &+= t.utf8CodeUnitCount
        }

        mutating func value(_ v: UnsafePointer<FieldValue>) -> Bool {
            switch v.pointee {
            case .string(var s): return s.withUTF8 { quoted($0, validate: false) }
            case .span(let sp): return quoted(sp.bytes(in: record), validate: true)
            case .int(let i):
                room(20)
                used &+= JSONWriter.writeInt(i, to: base + used)
            case .bool(let b): literal(b ? "true" : "false")
            case .null: literal("null")
            case .double: return false
            case .array(let items):
                literal("[")
                let ok = items.withUnsafeBufferPointer { items in
                    for i in items.indices {
                        if i > 0 { literal(",") }
                        guard value(items.baseAddress! + i) else { return false }
                    }
                    return true
                }
                guard ok else { return false }
                literal("]")
            case .object(let members):
                literal("{")
                let ok = members.withUnsafeBufferPointer { members in
                    for i in members.indices {
                        if i > 0 { literal(",") }
                        var path = members[i].key.path
                        guard path.withUTF8({ quoted($0, validate: false) }) else { return false }
                        literal(":")
                        guard value(members.value(at: i)) else { return false }
                    }
                    return true
                }
                guard ok else { return false }
                literal("}")
            }
            return true
        }
    }

    private func plan(for event: Event, withOriginal: Bool) -> Plan {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        event.fields.withUnsafeFields { fields in
            for i in fields.indices { h = (h ^ UInt64(fields[i].key.id)) &* 0x100_0000_01b3 }
        }
        if withOriginal { h = (h ^ UInt64(Self.originalMarker)) &* 0x100_0000_01b3 }
        if let candidates = plans[h] {
            for p in candidates where matches(p.ids, event, withOriginal) { return p }
        }
        var ids = event.fields.map { $0.key.id }
        if withOriginal { ids.append(Self.originalMarker) }
        let p = Self.buildPlan(ids: ids)
        let size = p.bytes
        if size > Self.maxCacheBytes / 4 { return p }   // used once, not kept
        if planCount >= Self.maxPlans || cacheBytes + size > Self.maxCacheBytes {
            plans.removeAll(keepingCapacity: false); planCount = 0; cacheBytes = 0
        }
        plans[h, default: []].append(p)
        planCount += 1
        cacheBytes += size
        return p
    }

    private func matches(_ ids: [UInt32], _ event: Event, _ withOriginal: Bool) -> Bool {
        let n = event.fields.count
        guard ids.count == n + (withOriginal ? 1 : 0) else { return false }
        let same = event.fields.withUnsafeFields { fields in
            ids.withUnsafeBufferPointer { ids in
                for i in 0..<n where ids[i] != fields[i].key.id { return false }
                return true
            }
        }
        return same && (!withOriginal || ids[n] == Self.originalMarker)
    }

    private static let originalComponents = ["event", "original"]

    private static func buildPlan(ids: [UInt32]) -> Plan {
        let registry = FieldRegistry.shared
        struct Entry { let index: Int; let comps: [String]; let isOriginal: Bool }
        var entries: [Entry] = []
        for (i, id) in ids.enumerated() {
            if id == originalMarker {
                entries.append(Entry(index: -1, comps: originalComponents, isOriginal: true))
            } else {
                entries.append(Entry(index: i, comps: registry.info(id).components, isOriginal: false))
            }
        }
        // Stable sort by path components, so that members of one object are contiguous while
        // first-appearance order is kept among siblings as far as grouping allows.
        var firstSeen: [String: Int] = [:]
        func rank(_ prefix: String, _ i: Int) -> Int {
            if let r = firstSeen[prefix] { return r }
            firstSeen[prefix] = i
            return i
        }
        var ranked: [(key: [Int], e: Entry)] = []
        for (i, e) in entries.enumerated() {
            var key: [Int] = []
            var prefix = ""
            for c in e.comps {
                prefix += prefix.isEmpty ? c : "." + c
                key.append(rank(prefix, i))
            }
            ranked.append((key, e))
        }
        ranked.sort { a, b in
            for (x, y) in zip(a.key, b.key) where x != y { return x < y }
            return a.key.count < b.key.count
        }
        var ops: [Op] = []
        var names: [UInt8] = []
        var stack: [String] = []
        func name(_ n: String) -> (Int32, Int32) {
            let start = names.count
            JSONWriter.appendQuoted(n, to: &names)
            names.append(UInt8(ascii: ":"))
            return (Int32(start), Int32(names.count - start))
        }
        for (_, e) in ranked {
            let parents = Array(e.comps.dropLast())
            var common = 0
            while common < stack.count, common < parents.count, stack[common] == parents[common] { common += 1 }
            while stack.count > common { ops.append(Op(kind: .close, index: 0, nameStart: 0, nameLength: 0)); stack.removeLast() }
            while stack.count < parents.count {
                let (s, l) = name(parents[stack.count])
                ops.append(Op(kind: .open, index: 0, nameStart: s, nameLength: l))
                stack.append(parents[stack.count])
            }
            let (s, l) = name(e.comps.last ?? "")
            ops.append(Op(kind: e.isOriginal ? .original : .field, index: Int32(e.index), nameStart: s, nameLength: l))
        }
        while !stack.isEmpty { ops.append(Op(kind: .close, index: 0, nameStart: 0, nameLength: 0)); stack.removeLast() }
        return Plan(ids: ids, ops: ops, names: names, collides: collides(entries.map { $0.comps }))
    }

    /// Whether some path equals another, is a prefix of another (an object and a field
    /// under it), or is `@timestamp` (the event time is written under that name).
    private static func collides(_ paths: [[String]]) -> Bool {
        var full = Set<String>()
        full.reserveCapacity(paths.count)
        for comps in paths {
            let p = comps.joined(separator: ".")
            if p == "@timestamp" || !full.insert(p).inserted { return true }
        }
        for comps in paths where comps.count > 1 {
            var prefix = comps[0]
            for c in comps[1..<(comps.count - 1)] {
                if full.contains(prefix) { return true }
                prefix += "." + c
            }
            if full.contains(prefix) { return true }
        }
        return false
    }

    // MARK: merging (key shapes that collide)

    private enum Merged {
        case leaf(FieldValue)
        case original
        case node(MergedObject)
    }

    /// An object being merged: member names in first-appearance order, each once.
    private final class MergedObject {
        var names: [String] = []
        var values: [Merged] = []
        var index: [String: Int] = [:]

        func child(_ name: String) -> MergedObject {
            if let i = index[name] {
                if case .node(let o) = values[i] { return o }
                let o = MergedObject()
                values[i] = .node(o)   // a later object replaces an earlier scalar
                return o
            }
            let o = MergedObject()
            index[name] = names.count
            names.append(name)
            values.append(.node(o))
            return o
        }

        func set(_ name: String, _ v: Merged) {
            if let i = index[name] { values[i] = v; return }
            index[name] = names.count
            names.append(name)
            values.append(v)
        }

        /// Puts `value` at `path` (relative to this object); objects merge member by member.
        func insert(_ path: ArraySlice<String>, _ value: FieldValue) {
            guard let last = path.last else { return }
            var node = self
            for c in path.dropLast() { node = node.child(c) }
            if case .object(let members) = value {
                let target = node.child(last)
                for m in members { target.insert(ArraySlice(m.key.components), m.value) }
            } else {
                node.set(last, .leaf(value))
            }
        }

        /// Writes the members; returns whether none was written and `first` was true.
        @discardableResult
        func write(_ record: ArraySlice<UInt8>, _ out: inout [UInt8], skipTimestamp: Bool, first: Bool) -> Bool {
            var first = first
            for (i, name) in names.enumerated() {
                if skipTimestamp && name == "@timestamp" { continue }
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                JSONWriter.appendQuoted(name, to: &out)
                out.append(UInt8(ascii: ":"))
                switch values[i] {
                case .leaf(let v): JSONWriter.appendValue(v, record: record, to: &out)
                case .original: JSONWriter.appendQuotedBytes(record, to: &out)
                case .node(let o):
                    out.append(UInt8(ascii: "{"))
                    o.write(record, &out, skipTimestamp: false, first: true)
                    out.append(UInt8(ascii: "}"))
                }
            }
            return first
        }
    }

    /// The slow path: builds the merged object tree, then writes it.
    private func encodeMerged(_ event: Event, withOriginal: Bool, into out: inout [UInt8]) {
        let root = MergedObject()
        for f in event.fields { root.insert(ArraySlice(f.key.components), f.value) }
        if withOriginal {
            // `event.original` is the record: it wins over a field of that name.
            root.child("event").set("original", .original)
        }
        out.append(UInt8(ascii: "{"))
        var first = true
        if event.timestamp != 0 {
            out.append(contentsOf: "\"@timestamp\":\"".utf8)
            Timestamp.appendRFC3339(event.timestamp, to: &out)
            out.append(UInt8(ascii: "\""))
            first = false
        }
        first = root.write(event.spanStorage, &out, skipTimestamp: event.timestamp != 0, first: first)
        if let alert = event.alert, !alert.evidence.isEmpty {
            if !first { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: "\"evidence\":[".utf8)
            for (i, e) in alert.evidence.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                encode(e, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        }
        out.append(UInt8(ascii: "}"))
    }
}
