#if canImport(Glibc)
import Glibc
#endif

/// Member-name prediction for a JSON parser: records of one stream list their members in
/// the same order, so the name at position i is usually the one seen at position i last
/// time. A byte compare against it replaces hashing in the interner.
///
/// Guarantees: `key(_:position:)` returns what `interner.key(name, under: parent)` returns
/// (a miss asks the interner and remembers the answer for that position); memory is fixed
/// (`slots` positions of names up to `width` bytes; other positions and longer names go to
/// the interner). Not thread-safe: one per parser, used from its stage's queue.
public final class MemberKeyPredictor {
    public static let slots = 64
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

    /// The key for the member `name` at `position` (0-based) of its object; nil when the
    /// interner refuses the name.
    @inline(__always)
    public func key(_ name: UnsafeBufferPointer<UInt8>, position: Int) -> FieldKey? {
        let n = name.count
        guard position < Self.slots, n <= Self.width else { return interner.key(name, under: parent) }
        let slot = bytes + position * Self.width
        if lengths[position] == n, n == 0 || memcmp(slot, name.baseAddress!, n) == 0 { return keys[position] }
        guard let k = interner.key(name, under: parent) else { return nil }
        if n > 0 { slot.update(from: name.baseAddress!, count: n) }
        lengths[position] = n
        keys[position] = k
        return k
    }
}
