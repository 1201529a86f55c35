import SluiceCore

/// Why a snapshot could not be read.
public struct SnapshotError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ m: String) { message = m }
    public var description: String { "detection state: \(message)" }
}

/// The byte before each field value in a snapshot: spelled once, for the writer of events,
/// the writer of packed events and the reader.
enum ValueTag: UInt8 {
    case string = 1, span, int, double, falseValue, trueValue, null, array, object
}

/// Appends a compact binary encoding: LEB128 varints, zigzag for signed values, length-
/// prefixed bytes; field names through a string table so each is written once.
struct ByteWriter {
    var bytes: [UInt8] = []
    private var strings: [String: UInt32] = [:]
    /// `strings`' numbers by key id (-1: not yet written), so a key's path is looked up once
    /// per snapshot. As long as the largest id written (the field registry is bounded).
    private var keyNames: [Int32] = []

    mutating func u8(_ v: UInt8) { bytes.append(v) }

    /// Hands the bytes so far to `output` once they pass its chunk size, and starts the next
    /// chunk in the same storage. Called only between items (never inside one, which
    /// `packedEvent` may take back). Names written before stay numbered: the reader reads the
    /// chunks as one stream.
    mutating func spill(to output: SnapshotOutput?) throws {
        guard let output, bytes.count >= output.chunkBytes else { return }
        try output.write(bytes)
        bytes.removeAll(keepingCapacity: true)
    }

    mutating func varint(_ v: UInt64) {
        var x = v
        while x >= 0x80 { bytes.append(UInt8(x & 0x7F) | 0x80); x >>= 7 }
        bytes.append(UInt8(x))
    }

    mutating func int(_ v: Int64) { varint(UInt64(bitPattern: (v << 1) ^ (v >> 63))) }
    mutating func int(_ v: Int) { int(Int64(v)) }

    mutating func u64(_ v: UInt64) { for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) } }

    mutating func double(_ d: Double) { u64(d.bitPattern) }

    mutating func raw<C: Collection>(_ b: C) where C.Element == UInt8 { varint(UInt64(b.count)); bytes.append(contentsOf: b) }

    mutating func string(_ s: String) { raw(s.utf8) }

    /// A string that repeats (field names): the first time in full, then by number.
    mutating func name(_ s: String) {
        if let i = strings[s] { varint(UInt64(i) << 1 | 1); return }
        strings[s] = UInt32(strings.count)
        varint(UInt64(s.utf8.count) << 1)
        bytes.append(contentsOf: s.utf8)
    }

    /// A field's name, as `name(key.path)` writes it.
    mutating func name(_ key: FieldKey) {
        let id = Int(key.id)
        if id < keyNames.count, keyNames[id] >= 0 { varint(UInt64(keyNames[id]) << 1 | 1); return }
        let path = key.path
        let i = strings[path] ?? UInt32(strings.count)
        if id >= keyNames.count { keyNames.append(contentsOf: repeatElement(-1, count: id + 1 - keyNames.count)) }
        keyNames[id] = Int32(i)
        name(path)
    }

    // One writer per kind of value, shared by `value(_:_:)` and `PackedEventWriter`.
    mutating func tag(_ t: ValueTag) { bytes.append(t.rawValue) }
    mutating func stringValue<C: Collection>(_ utf8: C) where C.Element == UInt8 { tag(.string); raw(utf8) }
    mutating func spanValue(_ sp: RecordSpan) { tag(.span); varint(UInt64(sp.start)); varint(UInt64(sp.count)) }
    mutating func intValue(_ i: Int64) { tag(.int); int(i) }
    mutating func doubleValue(_ d: Double) { tag(.double); double(d) }
    mutating func boolValue(_ b: Bool) { tag(b ? .trueValue : .falseValue) }
    mutating func nullValue() { tag(.null) }
    /// An array's tag and count; its `count` values follow.
    mutating func arrayHeader(count: Int) { tag(.array); varint(UInt64(count)) }
    /// An object's tag and count; its `count` members (name, value) follow.
    mutating func objectHeader(count: Int) { tag(.object); varint(UInt64(count)) }

    mutating func value(_ v: FieldValue) {
        switch v {
        case .string(let s): stringValue(s.utf8)
        case .span(let sp): spanValue(sp)
        case .int(let i): intValue(i)
        case .double(let d): doubleValue(d)
        case .bool(let b): boolValue(b)
        case .null: nullValue()
        case .array(let items): arrayHeader(count: items.count); for x in items { value(x) }
        case .object(let members): objectHeader(count: members.count); for m in members { name(m.key); value(m.value) }
        }
    }

    mutating func event(_ event: Event) {
        // A dropped original is not stored, so its spans are stored as strings.
        let e = event.selfContained()
        int(e.timestamp)
        raw(e.original)
        varint(UInt64(e.fields.count))
        for f in e.fields { name(f.key); value(f.value) }
        if let a = e.alert { u8(1); alert(a) } else { u8(0) }
    }

    /// Writes an event packed in this process (`EventCodec.pack`, alert evidence) exactly as
    /// `event(_:)` writes the event it unpacks to, read in place: no `Event` is built, no
    /// span turned into a `String` unless its text is not valid UTF-8. Returns false, with
    /// nothing written, when `packed` is not a packed event.
    mutating func packedEvent(_ packed: UnsafeBufferPointer<UInt8>) -> Bool {
        var t = PackedEventWriter()
        swap(&t.w, &self)
        let start = t.w.bytes.count
        let ok = EventCodec.visitPacked(packed, &t)
        if ok { t.w.u8(0) } else { t.w.bytes.removeSubrange(start...) }   // no alert: packed events carry none
        swap(&t.w, &self)
        return ok
    }

    mutating func fields(_ fs: [Field]) {
        varint(UInt64(fs.count))
        for f in fs { name(f.key); value(f.value) }
    }

    mutating func alert(_ a: Alert) {
        string(a.id); string(a.ruleID); string(a.ruleName); string(a.description)
        u8(UInt8(a.severity.rawValue))
        varint(UInt64(a.tacticIDs.count)); for t in a.tacticIDs { string(t) }
        varint(UInt64(a.techniqueIDs.count)); for t in a.techniqueIDs { string(t) }
        fields(a.group); int(a.count); int(a.firstSeen); int(a.lastSeen)
        fields(a.enrichment); fields(a.details)
        varint(UInt64(a.evidence.count)); for e in a.evidence { event(e) }
        if let x = a.escalates { u8(1); string(x) } else { u8(0) }
    }
}

/// `ByteWriter.packedEvent`: each part of a packed event written as `ByteWriter.event`
/// writes it (a dropped original's span text as the string `Event.selfContained` makes of it).
private struct PackedEventWriter: PackedEventVisitor {
    var w = ByteWriter()
    mutating func header(timestamp: Int64, original: UnsafeBufferPointer<UInt8>, fieldCount: Int) {
        w.int(timestamp); w.raw(original); w.varint(UInt64(fieldCount))
    }
    mutating func key(_ key: FieldKey) { w.name(key) }
    mutating func string(_ utf8: UnsafeBufferPointer<UInt8>) { w.stringValue(utf8) }
    mutating func span(_ span: RecordSpan) { w.spanValue(span) }
    mutating func spanText(_ bytes: UnsafeBufferPointer<UInt8>) {
        if UTF8Validation.isValid(bytes) { w.stringValue(bytes) } else { w.stringValue(String(decoding: bytes, as: UTF8.self).utf8) }
    }
    mutating func int(_ value: Int64) { w.intValue(value) }
    mutating func double(_ value: Double) { w.doubleValue(value) }
    mutating func bool(_ value: Bool) { w.boolValue(value) }
    mutating func null() { w.nullValue() }
    mutating func array(count: Int) { w.arrayHeader(count: count) }
    mutating func object(count: Int) { w.objectHeader(count: count) }
}

/// Reads what `ByteWriter` wrote; every read is bounds-checked and throws on bad input.
struct ByteReader {
    let bytes: [UInt8]
    var pos = 0
    private var strings: [String] = []
    private var keys: [FieldKey] = []

    init(_ b: [UInt8]) { bytes = b }

    var atEnd: Bool { pos >= bytes.count }

    mutating func u8() throws -> UInt8 {
        guard pos < bytes.count else { throw SnapshotError("truncated") }
        defer { pos += 1 }
        return bytes[pos]
    }

    mutating func varint() throws -> UInt64 {
        var v: UInt64 = 0, shift: UInt64 = 0
        while true {
            let b = try u8()
            guard shift < 64 else { throw SnapshotError("bad varint") }
            v |= UInt64(b & 0x7F) << shift
            if b & 0x80 == 0 { return v }
            shift += 7
        }
    }

    mutating func int() throws -> Int64 { let u = try varint(); return Int64(bitPattern: (u >> 1) ^ (0 &- (u & 1))) }
    /// A count of items that follow (each at least one byte), so a corrupt count cannot
    /// make the reader allocate more than the input holds.
    mutating func count(_ max: Int = 1 << 28) throws -> Int {
        let n = try varint()
        guard n <= UInt64(max), n <= UInt64(bytes.count - pos) else { throw SnapshotError("bad count") }
        return Int(n)
    }

    mutating func u64() throws -> UInt64 {
        guard pos + 8 <= bytes.count else { throw SnapshotError("truncated") }
        var v: UInt64 = 0
        for i in 0..<8 { v |= UInt64(bytes[pos + i]) << (8 * UInt64(i)) }
        pos += 8
        return v
    }

    mutating func double() throws -> Double { Double(bitPattern: try u64()) }

    mutating func raw() throws -> ArraySlice<UInt8> {
        let n = try count()
        guard pos + n <= bytes.count else { throw SnapshotError("truncated") }
        defer { pos += n }
        return bytes[pos..<(pos + n)]
    }

    mutating func string() throws -> String { String(decoding: try raw(), as: UTF8.self) }

    mutating func key() throws -> FieldKey {
        let v = try varint()
        if v & 1 == 1 {
            let i = Int(v >> 1)
            guard i < keys.count else { throw SnapshotError("bad name reference") }
            return keys[i]
        }
        let n = Int(v >> 1)
        guard pos + n <= bytes.count else { throw SnapshotError("truncated") }
        let s = String(decoding: bytes[pos..<(pos + n)], as: UTF8.self)
        pos += n
        let k = FieldKey(s)
        strings.append(s); keys.append(k)
        return k
    }

    mutating func value(depth: Int = 0) throws -> FieldValue {
        guard depth < 64 else { throw SnapshotError("nesting too deep") }
        guard let tag = ValueTag(rawValue: try u8()) else { throw SnapshotError("bad value tag") }
        switch tag {
        case .string: return .string(try string())
        case .span: return .span(RecordSpan(start: UInt32(try varint()), count: UInt32(try varint())))
        case .int: return .int(try int())
        case .double: return .double(try double())
        case .falseValue: return .bool(false)
        case .trueValue: return .bool(true)
        case .null: return .null
        case .array:
            let n = try count()
            var items: [FieldValue] = []
            for _ in 0..<n { items.append(try value(depth: depth + 1)) }
            return .array(items)
        case .object:
            let n = try count()
            var ms: [Field] = []
            for _ in 0..<n { let k = try key(); ms.append(Field(k, try value(depth: depth + 1))) }
            return .object(ms)
        }
    }

    mutating func event(depth: Int = 0) throws -> Event {
        guard depth < 8 else { throw SnapshotError("alert nesting too deep") }
        let t = try int()
        let orig = Array(try raw())
        var e = Event(timestamp: t, original: ArraySlice(orig))
        let n = try count()
        e.fields.reserveCapacity(n)
        for _ in 0..<n { let k = try key(); e.fields.append(Field(k, try value())) }
        if try u8() == 1 { e.alert = try alert(depth: depth + 1) }
        return e
    }

    mutating func fields() throws -> [Field] {
        let n = try count()
        var out: [Field] = []
        for _ in 0..<n { let k = try key(); out.append(Field(k, try value())) }
        return out
    }

    mutating func alert(depth: Int) throws -> Alert {
        let id = try string(), rid = try string(), rname = try string(), desc = try string()
        let sev = Severity(rawValue: Int(try u8())) ?? .medium
        var tac: [String] = [], tech: [String] = []
        for _ in 0..<(try count()) { tac.append(try string()) }
        for _ in 0..<(try count()) { tech.append(try string()) }
        let group = try fields()
        let cnt = Int(try int()), first = try int(), last = try int()
        let enrich = try fields(), details = try fields()
        var ev: [Event] = []
        for _ in 0..<(try count()) { ev.append(try event(depth: depth)) }
        let esc: String? = try u8() == 1 ? try string() : nil
        return Alert(id: id, ruleID: rid, ruleName: rname, description: desc, severity: sev, tacticIDs: tac, techniqueIDs: tech,
                     group: group, count: cnt, firstSeen: first, lastSeen: last, enrichment: enrich, details: details, evidence: ev, escalates: esc)
    }
}
