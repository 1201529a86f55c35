/// Events in snapshots: a compact binary form of an `Event` (time, raw record, fields with
/// their types; zero-copy spans stay spans of the stored record). Not for output: encoders
/// write JSON, CEF and OCSF.
///
/// Guarantees: `decode(encode(e)) == e` for every field value (keys are re-interned by
/// path); alerts attached to events are not stored (snapshots hold the events that make
/// alerts, not alerts).
public enum EventCodec {
    public static func encode(_ event: Event, into w: inout BinaryWriter) {
        // A dropped original is not stored, so its spans are stored as strings.
        let e = event.selfContained()
        w.varint(e.timestamp)
        w.data(e.original)
        w.uvarint(UInt64(e.fields.count))
        for f in e.fields { field(f, into: &w) }
    }

    public static func decode(_ r: inout BinaryReader) throws -> Event {
        let ts = try r.varint()
        let original = ArraySlice(Array(try r.data()))
        let n = try r.uvarint()
        guard n < 1 << 20 else { throw BinaryReader.Malformed(offset: r.offset) }
        var fields: FieldList = []
        fields.reserveCapacity(Int(n))
        var reading = Reading.snapshot
        for _ in 0..<n { fields.append(try field(&r, &reading)) }
        return Event(timestamp: ts, original: original, fields: fields)
    }

    /// How keys and spans are read: snapshots name keys by path and keep spans as spans of
    /// the stored record; in-process packing (`pack`) names keys by interned id and writes
    /// the spans of a dropped original as their text (tag 8). An event packed without an
    /// original (`textInPlace`) is read without copying its text: that text and every
    /// top-level string become spans of the packed bytes themselves, which are then the
    /// event's record (`madeSpans` says whether any was made).
    struct Reading {
        var keysByID: Bool
        var keyLimit: UInt32
        var textInPlace = false
        var madeSpans = false
        static var snapshot: Reading { Reading(keysByID: false, keyLimit: 0) }
    }

    static func field(_ f: Field, into w: inout BinaryWriter) {
        w.string(f.key.path)
        value(f.value, into: &w)
    }

    static func key(_ r: inout BinaryReader, _ reading: Reading) throws -> FieldKey {
        guard reading.keysByID else { return FieldKey(try r.string()) }
        let id = try r.uvarint()
        guard id < UInt64(reading.keyLimit) else { throw BinaryReader.Malformed(offset: r.offset) }
        return FieldKey(id: UInt32(id))
    }

    static func field(_ r: inout BinaryReader, _ reading: inout Reading) throws -> Field {
        let key = try key(&r, reading)
        return Field(key, try value(&r, depth: 0, &reading))
    }

    static func value(_ v: FieldValue, into w: inout BinaryWriter) {
        switch v {
        case .string(let s): w.byte(0); w.string(s)
        case .span(let sp): w.byte(1); w.uvarint(UInt64(sp.start)); w.uvarint(UInt64(sp.count))
        case .int(let i): w.byte(2); w.varint(i)
        case .double(let d): w.byte(3); w.double(d)
        case .bool(let b): w.byte(4); w.bool(b)
        case .null: w.byte(5)
        case .array(let items):
            w.byte(6); w.uvarint(UInt64(items.count))
            for i in items { value(i, into: &w) }
        case .object(let members):
            w.byte(7); w.uvarint(UInt64(members.count))
            for m in members { field(m, into: &w) }
        }
    }

    static func value(_ r: inout BinaryReader, depth: Int, _ reading: inout Reading) throws -> FieldValue {
        guard depth < 64 else { throw BinaryReader.Malformed(offset: r.offset) }
        switch try r.byte() {
        case 0 where depth == 0 && reading.textInPlace: return reading.span(try r.data())
        case 0: return .string(try r.string())
        case 1:
            let s = try r.uvarint(), c = try r.uvarint()
            guard s <= UInt64(UInt32.max), c <= UInt64(UInt32.max) else { throw BinaryReader.Malformed(offset: r.offset) }
            return .span(RecordSpan(start: UInt32(s), count: UInt32(c)))
        case 2: return .int(try r.varint())
        case 3: return .double(try r.double())
        case 4: return .bool(try r.bool())
        case 5: return .null
        case 6:
            let n = try r.uvarint()
            guard n < 1 << 20 else { throw BinaryReader.Malformed(offset: r.offset) }
            var items: [FieldValue] = []
            items.reserveCapacity(Int(n))
            for _ in 0..<n { items.append(try value(&r, depth: depth + 1, &reading)) }
            return .array(items)
        case 7:
            let n = try r.uvarint()
            guard n < 1 << 20 else { throw BinaryReader.Malformed(offset: r.offset) }
            var members: [Field] = []
            members.reserveCapacity(Int(n))
            for _ in 0..<n {
                let key = try key(&r, reading)
                members.append(Field(key, try value(&r, depth: depth + 1, &reading)))
            }
            return .object(members)
        case 8 where reading.textInPlace:
            return reading.span(try r.data())
        default:
            throw BinaryReader.Malformed(offset: r.offset - 1)
        }
    }
}
