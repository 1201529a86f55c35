/// Events packed into bytes for keeping in this process's memory (alert evidence): the
/// snapshot format of `EventCodec` with keys as interned ids and a dropped original's spans
/// written as their text. An enriched GitHub audit event packs into about 0.6 KB, against
/// about 1.8 KB as an `Event` (a 24-byte slot per field, arrays and objects on the heap, the
/// record).
///
/// Guarantees: `unpack(pack(e))` reads the same as `e` through every accessor and encoder
/// (the same fields, values, order and time; a kept original byte for byte; a dropped
/// original stays dropped, its spans reading the packed bytes, where an event without an
/// original also has its top-level strings read as spans of the same text); `pack` appends at
/// most `packedBound(e)` bytes. Ids are only valid in the process that packed them, so packed
/// bytes are never written anywhere; the alert an event may carry is not packed (keep such
/// events as they are).
extension EventCodec {
    /// The most bytes `pack` appends for `event` (a pass over its fields, reading no text).
    public static func packedBound(_ event: Event) -> Int {
        let dropped = event.originalDropped
        var n = 30 + (dropped ? 0 : event.record.count)
        event.fields.withUnsafeFields { fields in
            for f in fields { n &+= 5 &+ bound(f.value, dropped) }
        }
        return n
    }

    private static func bound(_ v: FieldValue, _ spanText: Bool) -> Int {
        switch v {
        case .string(let s): return 11 &+ s.utf8.count
        case .span(let sp): return spanText ? 6 &+ Int(sp.count) : 11
        case .int: return 11
        case .double: return 9
        case .bool: return 2
        case .null: return 1
        case .array(let items): return items.reduce(11) { $0 &+ bound($1, spanText) }
        case .object(let members): return members.reduce(11) { $0 &+ 5 &+ bound($1.value, spanText) }
        }
    }

    /// Room that usually holds `event` packed, found without reading its values: the record,
    /// 16 bytes a field and 512 to spare (enrichment's strings). `pack` checks as it writes
    /// and starts again with `packedBound` in the rare case it is not enough.
    public static func packedGuess(_ event: Event) -> Int {
        30 &+ event.record.count &+ 16 &* event.fields.count &+ 512
    }

    /// Appends `event` packed (see above) to `out`: room for `packedGuess` bytes is added
    /// once and filled through a pointer, checked as it goes, then what was not used is taken
    /// off again; when the guess was short, it is done again with room for `packedBound`.
    public static func pack(_ event: Event, into out: inout [UInt8]) {
        if write(event, into: &out, room: packedGuess(event)) { return }
        let done = write(event, into: &out, room: packedBound(event))
        precondition(done, "packedBound is the most pack writes")
    }

    private static func write(_ event: Event, into out: inout [UInt8], room: Int) -> Bool {
        let start = out.count
        out.append(contentsOf: repeatElement(0, count: room))
        let used = out.withUnsafeMutableBufferPointer { pack(event, to: $0.baseAddress! + start, room: room) }
        guard let used else {
            out.removeLast(room)
            return false
        }
        out.removeLast(room - used)
        return true
    }

    /// Writes `event` packed (see `pack(_:into:room:)`) at `p`, which has `room` bytes:
    /// returns the bytes written, or nil when it does not fit (then what lies at `p` is
    /// meaningless). For a store that keeps packed events in memory of its own (no
    /// zero-filled array room per event).
    public static func pack(_ event: Event, to p: UnsafeMutablePointer<UInt8>, room: Int) -> Int? {
        let dropped = event.originalDropped
        let used: Int = event.record.withUnsafeBufferPointer { record in
            var w = PackCursor(p: p, end: room)
            guard w.room(30 &+ (dropped ? 0 : record.count)) else { return -1 }
            w.varint(event.timestamp)
            if dropped { w.uvarint(0) } else { w.data(record) }
            w.uvarint(UInt64(event.fields.count))
            let spanText = dropped ? record : nil
            event.fields.withUnsafeFields { fields in
                for i in fields.indices {
                    guard w.room(5) else { return }
                    w.uvarint(UInt64(fields[i].key.id))
                    w.value(fields.value(at: i), spanText: spanText)
                }
            }
            return w.full ? -1 : w.i
        }
        return used < 0 ? nil : used
    }

    /// Reads an event `pack` wrote in this process. An event packed without an original (a
    /// dropped one, or none) is read without copying its text: its record becomes the bytes
    /// `r` reads (all of them: give it a reader of this one event) and the text of its spans
    /// and of its top-level strings is read there as spans. Text inside lists and objects
    /// stays strings.
    public static func unpack(_ r: inout BinaryReader) throws -> Event {
        let ts = try r.varint()
        let stored = try r.data()
        let n = try r.uvarint()
        guard n < 1 << 20 else { throw BinaryReader.Malformed(offset: r.offset) }
        var reading = Reading(keysByID: true, keyLimit: UInt32(FieldRegistry.shared.count))
        reading.textInPlace = stored.isEmpty && r.bytes.count <= Int(UInt32.max)
        var fields: FieldList = []
        fields.reserveCapacity(Int(n))
        for _ in 0..<n { fields.append(try field(&r, &reading)) }
        var e = Event(timestamp: ts, original: stored.isEmpty ? [] : ArraySlice(Array(stored)), fields: fields)
        if reading.madeSpans {
            e.record = r.bytes[...]
            e.originalDropped = true
        }
        return e
    }
}

extension EventCodec.Reading {
    /// A span of the packed bytes for text read there (`textInPlace`).
    @inline(__always)
    mutating func span(_ text: ArraySlice<UInt8>) -> FieldValue {
        madeSpans = true
        return .span(RecordSpan(start: UInt32(truncatingIfNeeded: text.startIndex), count: UInt32(truncatingIfNeeded: text.count)))
    }
}

/// Writes the packed form through a pointer into room reserved beforehand (`packedBound`):
/// the same bytes `BinaryWriter` and `EventCodec.value(_:into:_:)` write, without a checked
/// append per byte.
private struct PackCursor {
    let p: UnsafeMutablePointer<UInt8>
    var i = 0
    /// Bytes of room at `p`; set `full` once a write would not fit (nothing more is written).
    let end: Int
    var full = false

    init(p: UnsafeMutablePointer<UInt8>, end: Int) { self.p = p; self.end = end }

    /// Whether `n` more bytes fit; marks the cursor full when they do not.
    @inline(__always) mutating func room(_ n: Int) -> Bool {
        if _slowPath(full || i &+ n > end) { full = true; return false }
        return true
    }

    @inline(__always) mutating func byte(_ b: UInt8) { p[i] = b; i &+= 1 }

    @inline(__always) mutating func uvarint(_ v: UInt64) {
        var v = v
        while v >= 0x80 { p[i] = UInt8(truncatingIfNeeded: v) | 0x80; i &+= 1; v >>= 7 }
        p[i] = UInt8(truncatingIfNeeded: v); i &+= 1
    }

    @inline(__always) mutating func varint(_ v: Int64) { uvarint(UInt64(bitPattern: (v << 1) ^ (v >> 63))) }

    mutating func data(_ b: UnsafeBufferPointer<UInt8>) {
        uvarint(UInt64(b.count))
        if let base = b.baseAddress, b.count > 0 { (p + i).update(from: base, count: b.count) }
        i &+= b.count
    }

    /// Writes `v` when it fits (see `room`), with the same bytes and bounds as
    /// `EventCodec.packedBound` counts.
    mutating func value(_ v: UnsafePointer<FieldValue>, spanText record: UnsafeBufferPointer<UInt8>?) {
        switch v.pointee {
        case .string(let s):
            var s = s
            s.withUTF8 { b in
                guard room(11 &+ b.count) else { return }
                byte(0); data(b)
            }
        case .span(let sp):
            if let record {
                let b = sp.bytes(in: record)
                guard room(6 &+ b.count) else { return }
                byte(8); data(b)
            } else {
                guard room(11) else { return }
                byte(1); uvarint(UInt64(sp.start)); uvarint(UInt64(sp.count))
            }
        case .int(let x):
            guard room(11) else { return }
            byte(2); varint(x)
        case .double(let d):
            guard room(9) else { return }
            byte(3)
            var bits = d.bitPattern
            for _ in 0..<8 { p[i] = UInt8(truncatingIfNeeded: bits); i &+= 1; bits >>= 8 }
        case .bool(let b):
            guard room(2) else { return }
            byte(4); byte(b ? 1 : 0)
        case .null:
            guard room(1) else { return }
            byte(5)
        case .array(let items):
            guard room(11) else { return }
            byte(6); uvarint(UInt64(items.count))
            items.withUnsafeBufferPointer { items in
                for j in items.indices { value(items.baseAddress! + j, spanText: record) }
            }
        case .object(let members):
            guard room(11) else { return }
            byte(7); uvarint(UInt64(members.count))
            members.withUnsafeBufferPointer { members in
                for j in members.indices {
                    guard room(5) else { return }
                    uvarint(UInt64(members[j].key.id)); value(members.value(at: j), spanText: record)
                }
            }
        }
    }
}
