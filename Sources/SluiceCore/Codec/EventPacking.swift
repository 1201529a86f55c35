/// Events packed into bytes for keeping in this process's memory (alert evidence): the
/// snapshot format of `EventCodec` with keys as interned ids and a dropped original's spans
/// written as their text. A GitHub audit event packs into about 0.6 KB, against about 1.5 KB
/// as an `Event` (a 24-byte slot per field, arrays and objects on the heap, the record).
///
/// Guarantees: `unpack(pack(e))` reads the same as `e` through every accessor and encoder
/// (the same fields, values, order and time; a kept original byte for byte; a dropped
/// original stays dropped, its spans reading a record of just their text). Ids are only
/// valid in the process that packed them, so packed bytes are never written anywhere; the
/// alert an event may carry is not packed (keep such events as they are).
extension EventCodec {
    /// Appends `event` packed (see above) to `w`.
    public static func pack(_ event: Event, into w: inout BinaryWriter) {
        w.varint(event.timestamp)
        let form: Form
        if event.originalDropped {
            w.uvarint(0)
            form = Form(keysByID: true, spanRecord: event.record)
        } else {
            w.data(event.record)
            form = Form(keysByID: true, spanRecord: nil)
        }
        w.uvarint(UInt64(event.fields.count))
        event.fields.withUnsafeFields { fields in
            for f in fields { field(f, into: &w, form) }
        }
    }

    /// Reads an event `pack` wrote in this process.
    public static func unpack(_ r: inout BinaryReader) throws -> Event {
        let ts = try r.varint()
        let original = ArraySlice(Array(try r.data()))
        let n = try r.uvarint()
        guard n < 1 << 20 else { throw BinaryReader.Malformed(offset: r.offset) }
        var reading = Reading(keysByID: true, keyLimit: UInt32(FieldRegistry.shared.count))
        var fields: FieldList = []
        fields.reserveCapacity(Int(n))
        for _ in 0..<n { fields.append(try field(&r, &reading)) }
        var e = Event(timestamp: ts, original: original, fields: fields)
        if !reading.spanText.isEmpty {
            e.record = ArraySlice(reading.spanText)
            e.originalDropped = true
        }
        return e
    }
}
