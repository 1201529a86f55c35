/// Receives the parts of a packed event (`EventCodec.pack`) in order, as
/// `EventCodec.visitPacked` reads them: the header, then for each field its key and value;
/// an array or object announces its count and its items follow (each object member as a key
/// and a value). For writers that re-encode stored events (a detection snapshot) without
/// building an `Event` per event.
///
/// What reaches it is what `unpack` would give: a kept original with its spans as spans of
/// it; a dropped original as an empty original, each of its spans as the span's text
/// (`spanText`, bytes as read, possibly not valid UTF-8).
public protocol PackedEventVisitor {
    mutating func header(timestamp: Int64, original: UnsafeBufferPointer<UInt8>, fieldCount: Int)
    mutating func key(_ key: FieldKey)
    mutating func string(_ utf8: UnsafeBufferPointer<UInt8>)
    mutating func span(_ span: RecordSpan)
    mutating func spanText(_ bytes: UnsafeBufferPointer<UInt8>)
    mutating func int(_ value: Int64)
    mutating func double(_ value: Double)
    mutating func bool(_ value: Bool)
    mutating func null()
    mutating func array(count: Int)
    mutating func object(count: Int)
}

extension EventCodec {
    /// Reads the event `pack` wrote at `bytes` in this process, handing its parts to
    /// `visitor` (see `PackedEventVisitor`). Returns false, having stopped, on bytes that are
    /// not a packed event (bounds are checked throughout, as `unpack` checks them).
    public static func visitPacked<V: PackedEventVisitor>(_ bytes: UnsafeBufferPointer<UInt8>, _ visitor: inout V) -> Bool {
        var r = PackedReader(b: bytes)
        let ts = r.varint()
        let original = r.data()
        let n = r.uvarint()
        guard r.ok, n < 1 << 20 else { return false }
        visitor.header(timestamp: ts, original: original, fieldCount: Int(n))
        let keyLimit = UInt64(FieldRegistry.shared.count)
        func key() -> Bool {
            let id = r.uvarint()
            guard r.ok, id < keyLimit else { return false }
            visitor.key(FieldKey(id: UInt32(id)))
            return true
        }
        func value(_ depth: Int) -> Bool {
            guard depth < 64 else { return false }
            switch r.byte() {
            case 0: let s = r.data(); guard r.ok else { return false }; visitor.string(s)
            case 1:
                let s = r.uvarint(), c = r.uvarint()
                guard r.ok, s <= UInt64(UInt32.max), c <= UInt64(UInt32.max) else { return false }
                visitor.span(RecordSpan(start: UInt32(s), count: UInt32(c)))
            case 2: let v = r.varint(); guard r.ok else { return false }; visitor.int(v)
            case 3:
                var bits: UInt64 = 0
                for i in 0..<8 { bits |= UInt64(r.byte()) << (8 * UInt64(i)) }
                guard r.ok else { return false }
                visitor.double(Double(bitPattern: bits))
            case 4: let b = r.byte(); guard r.ok else { return false }; visitor.bool(b != 0)
            case 5: guard r.ok else { return false }; visitor.null()
            case 6:
                let c = r.uvarint()
                guard r.ok, c < 1 << 20 else { return false }
                visitor.array(count: Int(c))
                for _ in 0..<c { guard value(depth + 1) else { return false } }
            case 7:
                let c = r.uvarint()
                guard r.ok, c < 1 << 20 else { return false }
                visitor.object(count: Int(c))
                for _ in 0..<c { guard key(), value(depth + 1) else { return false } }
            case 8: let t = r.data(); guard r.ok else { return false }; visitor.spanText(t)
            default: return false
            }
            return true
        }
        for _ in 0..<n { guard key(), value(0) else { return false } }
        return r.ok && r.i == bytes.count
    }
}

/// Reads the packed form: every read is bounds-checked; past the end `ok` turns false and
/// reads return zero.
private struct PackedReader {
    let b: UnsafeBufferPointer<UInt8>
    var i = 0
    var ok = true

    mutating func byte() -> UInt8 {
        guard i < b.count else { ok = false; return 0 }
        defer { i &+= 1 }
        return b[i]
    }

    mutating func uvarint() -> UInt64 {
        var v: UInt64 = 0, shift: UInt64 = 0
        while ok {
            let x = byte()
            guard shift < 64 else { ok = false; return 0 }
            v |= UInt64(x & 0x7F) << shift
            if x & 0x80 == 0 { return v }
            shift += 7
        }
        return 0
    }

    mutating func varint() -> Int64 { let u = uvarint(); return Int64(bitPattern: (u >> 1) ^ (0 &- (u & 1))) }

    mutating func data() -> UnsafeBufferPointer<UInt8> {
        let n = uvarint()
        guard ok, n <= UInt64(b.count - i) else { ok = false; return UnsafeBufferPointer(start: nil, count: 0) }
        defer { i &+= Int(n) }
        return UnsafeBufferPointer(rebasing: b[i..<(i + Int(n))])
    }
}
