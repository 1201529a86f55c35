/// A fingerprint of a snapshot's bytes, taken as they stream by (two 64-bit lanes and the
/// length), so the runtime can tell that a stage's state serializes exactly as at its last
/// snapshot and link that file instead of writing the same bytes again.
///
/// Guarantees: the same bytes give the same digest however they are cut into chunks; any
/// difference in length gives a different digest. Not cryptographic: it is compared only for
/// a stage that received no event since its last snapshot (its state moved with time only),
/// so no input can steer a collision.
public struct SnapshotDigest: Equatable, Sendable {
    private var a: UInt64 = 0x9E37_79B9_7F4A_7C15
    private var b: UInt64 = 0xC2B2_AE3D_27D4_EB4F
    /// Bytes not yet folded in (fewer than 8), little-endian in `pending`.
    private var pending: UInt64 = 0
    private var pendingCount = 0
    /// Bytes seen.
    public private(set) var count = 0

    public init() {}

    /// Folds in the next bytes of the snapshot.
    public mutating func add(_ bytes: UnsafeRawBufferPointer) {
        var i = 0
        let n = bytes.count
        count += n
        while pendingCount > 0 && pendingCount < 8 && i < n {
            pending |= UInt64(bytes[i]) << (8 * UInt64(pendingCount))
            pendingCount += 1
            i += 1
        }
        if pendingCount == 8 { mix(pending); pending = 0; pendingCount = 0 }
        while i + 8 <= n {
            mix(bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self).littleEndian)
            i += 8
        }
        while i < n {
            pending |= UInt64(bytes[i]) << (8 * UInt64(pendingCount))
            pendingCount += 1
            i += 1
        }
    }

    /// The digest of everything added so far (the tail and the length folded in).
    public var value: (UInt64, UInt64) {
        var d = self
        d.mix(d.pending ^ UInt64(d.pendingCount) << 59)
        d.mix(UInt64(d.count))
        return (d.a, d.b)
    }

    public static func == (l: SnapshotDigest, r: SnapshotDigest) -> Bool { l.count == r.count && l.value == r.value }

    @inline(__always)
    private mutating func mix(_ w: UInt64) {
        a = (a ^ w) &* 0x0000_0100_0000_01B3
        a ^= a >> 29
        b = (b &+ w) &* 0x9FB2_1C65_1E98_DF25
        b ^= b >> 31
        b = (b << 7) | (b >> 57)
    }
}
