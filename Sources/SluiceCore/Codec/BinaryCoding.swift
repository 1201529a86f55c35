/// Appends a compact binary encoding (LEB128 varints, length-prefixed bytes) to a buffer:
/// the format of state snapshots.
///
/// Guarantees: deterministic (the same values give the same bytes); what `BinaryReader`
/// reads back is exactly what was written.
public struct BinaryWriter: Sendable {
    public private(set) var bytes: [UInt8] = []

    public init(capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    public mutating func uvarint(_ v: UInt64) {
        var v = v
        while v >= 0x80 { bytes.append(UInt8(v & 0x7F) | 0x80); v >>= 7 }
        bytes.append(UInt8(v))
    }

    /// A signed integer, zigzag-encoded so small negatives stay small.
    public mutating func varint(_ v: Int64) { uvarint(UInt64(bitPattern: (v << 1) ^ (v >> 63))) }
    public mutating func int(_ v: Int) { varint(Int64(v)) }
    public mutating func byte(_ b: UInt8) { bytes.append(b) }
    public mutating func bool(_ b: Bool) { bytes.append(b ? 1 : 0) }
    public mutating func double(_ d: Double) {
        var bits = d.bitPattern
        for _ in 0..<8 { bytes.append(UInt8(bits & 0xFF)); bits >>= 8 }
    }
    public mutating func data<C: Collection>(_ b: C) where C.Element == UInt8 {
        uvarint(UInt64(b.count))
        bytes.append(contentsOf: b)
    }
    public mutating func string(_ s: String) { data(s.utf8) }
}

/// Reads what `BinaryWriter` wrote. Every read is bounds-checked: malformed input throws
/// `BinaryReader.Malformed`, never reads past the end.
public struct BinaryReader: Sendable {
    public struct Malformed: Error, CustomStringConvertible {
        public let offset: Int
        public var description: String { "malformed binary data at byte \(offset)" }
    }
    let bytes: [UInt8]
    public private(set) var offset: Int

    public init(_ bytes: [UInt8], offset: Int = 0) { self.bytes = bytes; self.offset = offset }

    public var isAtEnd: Bool { offset >= bytes.count }

    public mutating func uvarint() throws -> UInt64 {
        var v: UInt64 = 0, shift: UInt64 = 0
        while true {
            guard offset < bytes.count, shift < 64 else { throw Malformed(offset: offset) }
            let b = bytes[offset]; offset += 1
            v |= UInt64(b & 0x7F) << shift
            if b < 0x80 { return v }
            shift += 7
        }
    }

    public mutating func varint() throws -> Int64 {
        let u = try uvarint()
        return Int64(bitPattern: (u >> 1) ^ (0 &- (u & 1)))
    }
    public mutating func int() throws -> Int {
        let v = try varint()
        guard let i = Int(exactly: v) else { throw Malformed(offset: offset) }
        return i
    }
    public mutating func byte() throws -> UInt8 {
        guard offset < bytes.count else { throw Malformed(offset: offset) }
        defer { offset += 1 }
        return bytes[offset]
    }
    public mutating func bool() throws -> Bool { try byte() != 0 }
    public mutating func double() throws -> Double {
        guard offset + 8 <= bytes.count else { throw Malformed(offset: offset) }
        var bits: UInt64 = 0
        for i in 0..<8 { bits |= UInt64(bytes[offset + i]) << (8 * UInt64(i)) }
        offset += 8
        return Double(bitPattern: bits)
    }
    public mutating func data() throws -> ArraySlice<UInt8> {
        let n = try uvarint()
        guard n <= UInt64(bytes.count - offset) else { throw Malformed(offset: offset) }
        let start = offset
        offset += Int(n)
        return bytes[start..<offset]
    }
    public mutating func string() throws -> String { String(decoding: try data(), as: UTF8.self) }
}
