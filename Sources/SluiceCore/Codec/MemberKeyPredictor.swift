#if canImport(Glibc)
import Glibc
#endif

/// Member-name prediction for a JSON parser: records of one stream list their members in
/// the same order, so the member after `actor` is usually the one that followed `actor`
/// last time. A byte compare against that name replaces hashing in the interner. Keyed by
/// the previous member (not by position), a member added or missing in one record costs
/// one miss, not a miss for every member after it.
///
/// Guarantees: `key(_:after:)` returns what `interner.key(name, under: parent)` returns (a
/// miss asks the interner and remembers the answer); memory is fixed (`slots` successor
/// names of up to `width` bytes; longer names go to the interner). Not thread-safe: one per
/// parser, used from its stage's queue.
public final class MemberKeyPredictor {
    public static let slots = 256
    public static let width = 48
    let interner: FieldKeyInterner
    let parent: FieldKey?
    private let bytes = UnsafeMutablePointer<UInt8>.allocate(capacity: MemberKeyPredictor.slots * MemberKeyPredictor.width)
    private let lengths: UnsafeMutablePointer<Int> = {
        let p = UnsafeMutablePointer<Int>.allocate(capacity: MemberKeyPredictor.slots)
        p.initialize(repeating: -1, count: MemberKeyPredictor.slots)
        return p
    }()
    private let keys: UnsafeMutablePointer<FieldKey> = {
        let p = UnsafeMutablePointer<FieldKey>.allocate(capacity: MemberKeyPredictor.slots)
        p.initialize(repeating: FieldKey(id: 0), count: MemberKeyPredictor.slots)
        return p
    }()

    /// Predicts keys of `interner` for members under `parent` (nil: top-level names).
    public init(interner: FieldKeyInterner, parent: FieldKey? = nil) {
        self.interner = interner
        self.parent = parent
    }

    deinit {
        bytes.deallocate(); lengths.deallocate(); keys.deallocate()
    }

    /// The key for the member `name` that follows the member `previous` stands for (0 at
    /// the start of an object; this call sets it for the next member); nil when the
    /// interner refuses the name (`previous` is then reset to 0).
    @inline(__always)
    public func key(_ name: UnsafeBufferPointer<UInt8>, after previous: inout UInt32) -> FieldKey? {
        let n = name.count
        let at = Int(previous & UInt32(Self.slots - 1))
        guard n <= Self.width else {
            let k = interner.key(name, under: parent)
            previous = k.map { $0.id &+ 1 } ?? 0
            return k
        }
        let slot = bytes + at * Self.width
        if lengths[at] == n, n == 0 || Self.same(slot, name.baseAddress!, n) {
            let k = keys[at]
            previous = k.id &+ 1
            return k
        }
        guard let k = interner.key(name, under: parent) else { previous = 0; return nil }
        if n > 0 { slot.update(from: name.baseAddress!, count: n) }
        lengths[at] = n
        keys[at] = k
        previous = k.id &+ 1
        return k
    }

    /// Whether `n` bytes at `a` and `b` are equal: eight at a time, then the tail, inline
    /// (member names are short: a `memcmp` call cost more than the compare).
    @inline(__always)
    static func same(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        let x = UnsafeRawPointer(a), y = UnsafeRawPointer(b)
        var i = 0
        while i &+ 8 <= n {
            if x.loadUnaligned(fromByteOffset: i, as: UInt64.self) != y.loadUnaligned(fromByteOffset: i, as: UInt64.self) { return false }
            i &+= 8
        }
        if i &+ 4 <= n {
            if x.loadUnaligned(fromByteOffset: i, as: UInt32.self) != y.loadUnaligned(fromByteOffset: i, as: UInt32.self) { return false }
            i &+= 4
        }
        while i < n {
            if a[i] != b[i] { return false }
            i &+= 1
        }
        return true
    }
}
