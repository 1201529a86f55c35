/// The hash of a DNS name (or any ASCII key) folded to lower case, computed right to left so
/// that one pass over a name yields the hash of every dot-suffix too (FNV-1a, 64-bit, over
/// the reversed bytes).
///
/// `hash("evil.example")` equals the value `forEachSuffix` reports for the suffix
/// `evil.example` of `a.b.evil.example`: the suffix walk of the domain matchers costs one pass
/// and no allocation.
public enum NameHash {
    public static let seed: UInt64 = 0xcbf2_9ce4_8422_2325
    public static let prime: UInt64 = 0x0000_0100_0000_01b3

    @inlinable @inline(__always)
    public static func fold(_ c: UInt8) -> UInt8 { c &- 65 < 26 ? c | 0x20 : c }

    @inlinable @inline(__always)
    public static func step(_ h: UInt64, _ c: UInt8) -> UInt64 { (h ^ UInt64(fold(c))) &* prime }

    /// The hash of `b[r]`.
    @inlinable
    public static func hash(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> UInt64 {
        var h = seed
        var i = r.upperBound
        while i > r.lowerBound { i -= 1; h = step(h, b[i]) }
        return h
    }

    public static func hash(_ s: String) -> UInt64 {
        var s = s
        return s.withUTF8 { hash($0, 0..<$0.count) }
    }

    /// Calls `body(start, hash)` for each suffix of `b[r]` that begins after a dot, shortest
    /// first (`example`, `evil.example`, …), then for the whole name, as the walk goes right
    /// to left. `body` returns false to stop.
    @inlinable
    public static func forEachSuffix(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>,
                                     _ body: (_ start: Int, _ hash: UInt64) -> Bool) {
        var h = seed
        var i = r.upperBound
        while i > r.lowerBound {
            i -= 1
            let c = b[i]
            if c == UInt8(ascii: "."), i + 1 < r.upperBound {
                if !body(i + 1, h) { return }
            }
            h = step(h, c)
        }
        _ = body(r.lowerBound, h)
    }

    /// Whether `a[ar]` equals `b[br]` ignoring ASCII case.
    @inlinable
    public static func equal(_ a: UnsafeBufferPointer<UInt8>, _ ar: Range<Int>,
                             _ b: UnsafeBufferPointer<UInt8>, _ br: Range<Int>) -> Bool {
        guard ar.count == br.count else { return false }
        var i = ar.lowerBound, j = br.lowerBound
        while i < ar.upperBound {
            if fold(a[i]) != fold(b[j]) { return false }
            i += 1; j += 1
        }
        return true
    }
}

/// An open-addressing hash index from keys to 32-bit ids. It stores no keys: the caller
/// keeps them (usually in one byte arena) and answers "is entry `id` equal to the key I am
/// looking for" through a closure, so a million domain names cost 8 bytes a slot here plus
/// their bytes once.
///
/// Guarantees: lookups allocate nothing; the load factor stays at or below 1/2 (the table
/// doubles on insert); at most one id per key (`insert` returns the id already there).
public struct NameIndex: Sendable {
    @usableFromInline var ids: [UInt32] = []    // id + 1; 0 = empty
    @usableFromInline var tags: [UInt32] = []   // high bits of the hash
    @usableFromInline var mask = 0
    public private(set) var count = 0

    public init(expected: Int = 0) {
        var cap = 16
        while cap < expected * 2 { cap <<= 1 }
        ids = [UInt32](repeating: 0, count: cap)
        tags = [UInt32](repeating: 0, count: cap)
        mask = cap - 1
    }

    /// Bytes held (for memory accounting).
    public var bytes: Int { ids.count * 8 }

    @inlinable @inline(__always)
    static func tag(_ h: UInt64) -> UInt32 { UInt32(truncatingIfNeeded: h >> 32) }

    /// The id whose key equals the probe, or nil.
    @inlinable
    public func find(_ h: UInt64, _ equals: (UInt32) -> Bool) -> UInt32? {
        let t = Self.tag(h)
        var i = Int(truncatingIfNeeded: h) & mask
        return ids.withUnsafeBufferPointer { ids in
            tags.withUnsafeBufferPointer { tags in
                while true {
                    let e = ids[i]
                    if e == 0 { return nil }
                    if tags[i] == t, equals(e &- 1) { return e &- 1 }
                    i = (i &+ 1) & mask
                }
            }
        }
    }

    /// Inserts `id` under hash `h`, unless an equal key is present: then returns that id and
    /// changes nothing. `hashOf` gives the hash of a stored id (for growing).
    @discardableResult
    public mutating func insert(_ h: UInt64, id: UInt32, equals: (UInt32) -> Bool,
                                hashOf: (UInt32) -> UInt64) -> UInt32? {
        if let existing = find(h, equals) { return existing }
        if (count + 1) * 2 > ids.count { grow(hashOf) }
        place(h, id)
        count += 1
        return nil
    }

    mutating func place(_ h: UInt64, _ id: UInt32) {
        var i = Int(truncatingIfNeeded: h) & mask
        while ids[i] != 0 { i = (i + 1) & mask }
        ids[i] = id + 1
        tags[i] = Self.tag(h)
    }

    mutating func grow(_ hashOf: (UInt32) -> UInt64) {
        let old = ids
        let cap = max(16, ids.count * 2)
        ids = [UInt32](repeating: 0, count: cap)
        tags = [UInt32](repeating: 0, count: cap)
        mask = cap - 1
        for e in old where e != 0 { place(hashOf(e - 1), e - 1) }
    }
}

/// Names (host names, aliases, domains) stored once in a byte arena, folded to lower case,
/// each with an id: the keys of a `NameIndex`.
public struct NameStore: Sendable {
    public private(set) var bytes: [UInt8] = []
    @usableFromInline var starts: [UInt32] = [0]
    @usableFromInline var index = NameIndex()

    public init(expected: Int = 0) { index = NameIndex(expected: expected) }

    public var count: Int { starts.count - 1 }
    public var memoryBytes: Int { bytes.capacity + starts.capacity * 4 + index.bytes }

    /// The stored name of `id` (lower case).
    public func name(_ id: UInt32) -> String {
        String(decoding: bytes[Int(starts[Int(id)])..<Int(starts[Int(id) + 1])], as: UTF8.self)
    }

    /// Adds `name` (folded to lower case) and returns its id, or the id it already has.
    @discardableResult
    public mutating func add(_ name: String) -> UInt32 {
        let h = NameHash.hash(name)
        let folded = Array(name.utf8).map(NameHash.fold)
        let id = UInt32(count)
        let found: UInt32? = Self.insert(&index, h, id, folded, bytes, starts)
        if let found { return found }
        bytes.append(contentsOf: folded)
        starts.append(UInt32(bytes.count))
        return id
    }

    /// Inserts into `index` with the arena passed in (not captured from `self`, which would
    /// overlap with the mutation of `index` and copy the arrays on the next append).
    private static func insert(_ index: inout NameIndex, _ h: UInt64, _ id: UInt32, _ folded: [UInt8],
                               _ bytes: [UInt8], _ starts: [UInt32]) -> UInt32? {
        folded.withUnsafeBufferPointer { key in
            bytes.withUnsafeBufferPointer { arena in
                index.insert(h, id: id, equals: { x in
                    NameHash.equal(arena, Int(starts[Int(x)])..<Int(starts[Int(x) + 1]), key, 0..<key.count)
                }, hashOf: { x in NameHash.hash(arena, Int(starts[Int(x)])..<Int(starts[Int(x) + 1])) })
            }
        }
    }

    func hashOf(_ id: UInt32) -> UInt64 {
        bytes.withUnsafeBufferPointer { NameHash.hash($0, Int(starts[Int(id)])..<Int(starts[Int(id) + 1])) }
    }

    @inlinable
    func equals(_ id: UInt32, _ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Bool {
        let s = Int(starts[Int(id)]), e = Int(starts[Int(id) + 1])
        guard e - s == r.count else { return false }
        return bytes.withUnsafeBufferPointer { NameHash.equal($0, s..<e, b, r) }
    }

    /// The id of the name `b[r]` (any case), or nil. Allocates nothing.
    @inlinable
    public func find(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> UInt32? {
        index.find(NameHash.hash(b, r)) { equals($0, b, r) }
    }

    /// The id of the name `b[r]` whose hash `h` the caller computed (a suffix walk).
    @inlinable
    public func find(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>, hash h: UInt64) -> UInt32? {
        index.find(h) { equals($0, b, r) }
    }

    public func find(_ s: String) -> UInt32? {
        var s = s
        return s.withUTF8 { find($0, 0..<$0.count) }
    }
}
