/// A 64-bit hash that is the same in every process and on every machine (Swift's `Hasher`
/// is seeded per process, so it cannot name alerts or state that must survive a restart or
/// match a replay).
///
/// Guarantees: deterministic; FNV-1a over bytes followed by a 64-bit finalizer (good
/// avalanche for short keys). Not cryptographic: a collision merges two groups' counts,
/// nothing more.
public struct StableHash: Sendable {
    public var state: UInt64

    @inlinable public init(seed: UInt64 = 0xcbf2_9ce4_8422_2325) { state = seed }

    @inlinable
    public mutating func combine(byte b: UInt8) {
        state = (state ^ UInt64(b)) &* 0x100_0000_01b3
    }

    @inlinable
    public mutating func combine<C: Collection>(bytes: C) where C.Element == UInt8 {
        var h = state
        for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        state = h
    }

    @inlinable
    public mutating func combine(_ s: String) {
        var s = s
        s.withUTF8 { combine(bytes: $0) }
        combine(byte: 0xFF)   // separator: ("ab","c") and ("a","bc") differ
    }

    @inlinable
    public mutating func combine(_ v: UInt64) {
        var x = v
        for _ in 0..<8 { combine(byte: UInt8(truncatingIfNeeded: x)); x >>= 8 }
    }

    @inlinable
    public mutating func combine(_ v: Int64) { combine(UInt64(bitPattern: v)) }

    /// The finalized value (splitmix64 finalizer over the FNV state).
    @inlinable
    public var value: UInt64 {
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    /// Hash of one string.
    @inlinable
    public static func of(_ s: String) -> UInt64 {
        var h = StableHash(); h.combine(s); return h.value
    }

    /// 32 lowercase hex digits from two independently seeded hashes of the same input.
    public static func hex128(_ build: (inout StableHash) -> Void) -> String {
        var a = StableHash(seed: 0xcbf2_9ce4_8422_2325)
        var b = StableHash(seed: 0x6c62_272e_07bb_0142)
        build(&a); build(&b)
        return hex(a.value) + hex(b.value)
    }

    public static func hex(_ v: UInt64) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8](repeating: 0, count: 16)
        var x = v
        for i in stride(from: 15, through: 0, by: -1) { out[i] = digits[Int(x & 0xF)]; x >>= 4 }
        return String(decoding: out, as: UTF8.self)
    }
}
