/// Addresses and CIDR blocks of both families → 32-bit ids, looked up by address: one hash
/// table per prefix length present (the "or equivalent" of a prefix tree: a lookup costs one
/// probe per distinct prefix length in the set, longest first, and nothing per entry).
///
/// Guarantees: IPv4 blocks live in the IPv4-mapped part of one 128-bit space, so
/// `::ffff:10.0.0.0/104` and `10.0.0.0/8` are the same block, an IPv6 block that covers
/// `::ffff:0:0/96` (such as `::/0`) also covers every IPv4 address, and `0.0.0.0/0` covers
/// IPv4 only. At most one id per block (`insert` returns the id already there). Lookups
/// allocate nothing. Memory: 8 to 16 bytes per IPv4 block and 20 to 40 per IPv6 block (tables
/// between 3/8 and 3/4 full: a miss, the common case, stays within a cache line or two).
public struct IPPrefixIndex: Sendable {
    /// One table of IPv4 keys (prefix 0...32 of the IPv4 space).
    @usableFromInline struct V4Table: Sendable {
        @usableFromInline var keys: [UInt32]
        @usableFromInline var ids: [UInt32]   // id + 1; 0 = empty
        @usableFromInline var mask: Int
        var count = 0
        init() { keys = [UInt32](repeating: 0, count: 8); ids = keys; mask = 7 }

        @inlinable @inline(__always)
        static func slot(_ k: UInt32, _ mask: Int) -> Int {
            Int(truncatingIfNeeded: (UInt64(k) &* 0x9E37_79B9_7F4A_7C15) >> 32) & mask
        }

        @inlinable
        func find(_ k: UInt32) -> UInt32? {
            var i = Self.slot(k, mask)
            while true {
                let e = ids[i]
                if e == 0 { return nil }
                if keys[i] == k { return e &- 1 }
                i = (i &+ 1) & mask
            }
        }

        mutating func insert(_ k: UInt32, _ id: UInt32) -> UInt32? {
            if let e = find(k) { return e }
            if (count + 1) * 4 > keys.count * 3 {
                let ok = keys, oi = ids
                keys = [UInt32](repeating: 0, count: ok.count * 2); ids = keys; mask = keys.count - 1
                for j in 0..<ok.count where oi[j] != 0 { place(ok[j], oi[j]) }
            }
            place(k, id + 1)
            count += 1
            return nil
        }

        mutating func place(_ k: UInt32, _ e: UInt32) {
            var i = Self.slot(k, mask)
            while ids[i] != 0 { i = (i + 1) & mask }
            keys[i] = k; ids[i] = e
        }
    }

    /// One table of 128-bit keys.
    @usableFromInline struct V6Table: Sendable {
        @usableFromInline var his: [UInt64]
        @usableFromInline var los: [UInt64]
        @usableFromInline var ids: [UInt32]
        @usableFromInline var mask: Int
        var count = 0
        init() { his = [UInt64](repeating: 0, count: 8); los = his; ids = [UInt32](repeating: 0, count: 8); mask = 7 }

        @inlinable @inline(__always)
        static func slot(_ a: IPAddress, _ mask: Int) -> Int {
            Int(truncatingIfNeeded: ((a.hi ^ (a.lo &* 0x9E37_79B9_7F4A_7C15)) &* 0xC2B2_AE3D_27D4_EB4F) >> 32) & mask
        }

        @inlinable
        func find(_ a: IPAddress) -> UInt32? {
            var i = Self.slot(a, mask)
            while true {
                let e = ids[i]
                if e == 0 { return nil }
                if los[i] == a.lo, his[i] == a.hi { return e &- 1 }
                i = (i &+ 1) & mask
            }
        }

        mutating func insert(_ a: IPAddress, _ id: UInt32) -> UInt32? {
            if let e = find(a) { return e }
            if (count + 1) * 4 > ids.count * 3 {
                let oh = his, ol = los, oi = ids
                his = [UInt64](repeating: 0, count: oi.count * 2); los = his
                ids = [UInt32](repeating: 0, count: oi.count * 2); mask = ids.count - 1
                for j in 0..<oi.count where oi[j] != 0 { place(IPAddress(hi: oh[j], lo: ol[j]), oi[j]) }
            }
            place(a, id + 1)
            count += 1
            return nil
        }

        mutating func place(_ a: IPAddress, _ e: UInt32) {
            var i = Self.slot(a, mask)
            while ids[i] != 0 { i = (i + 1) & mask }
            his[i] = a.hi; los[i] = a.lo; ids[i] = e
        }
    }

    /// IPv4 tables by prefix length 0...32, and the lengths present, longest first.
    @usableFromInline var v4: [V4Table?] = Array(repeating: nil, count: 33)
    @usableFromInline var v4Lengths: [Int] = []
    /// The lengths 0...16 present, longest first (always probed).
    @usableFromInline var v4ShortLengths: [Int] = []
    /// For each /16 of the IPv4 space, a bit per prefix length 17...32 (bit `len - 17`) that has
    /// an entry inside that /16: a lookup probes only those lengths, so a feed with blocks of
    /// many lengths costs about as much as one with a few. 256 KiB, made on the first such block.
    @usableFromInline var v4Directory: [UInt16] = []
    /// IPv6 tables by prefix length 0...128 (keys outside `::ffff:0:0/96` when the length
    /// is above 96), and the lengths present, longest first.
    @usableFromInline var v6: [V6Table?] = Array(repeating: nil, count: 129)
    @usableFromInline var v6Lengths: [Int] = []
    public private(set) var count = 0

    public init() {}

    /// Approximate bytes held.
    public var memoryBytes: Int {
        v4Directory.count * 2 + v4.reduce(0) { $0 + ($1.map { $0.keys.count * 8 } ?? 0) } + v6.reduce(0) { $0 + ($1.map { $0.ids.count * 20 } ?? 0) }
    }

    /// Adds a block; returns the id already stored for the same block instead, if any.
    @discardableResult
    public mutating func insert(_ n: IPNetwork, id: UInt32) -> UInt32? {
        let found: UInt32?
        if n.prefix >= 96, n.address.isV4 {
            let len = n.prefix - 96
            if v4[len] == nil {
                v4[len] = V4Table(); v4Lengths.append(len); v4Lengths.sort(by: >)
                v4ShortLengths = v4Lengths.filter { $0 <= 16 }
            }
            found = v4[len]!.insert(n.address.v4, id)
            if len > 16 {
                if v4Directory.isEmpty { v4Directory = [UInt16](repeating: 0, count: 65536) }
                v4Directory[Int(n.address.v4 >> 16)] |= UInt16(1) << UInt16(len - 17)
            }
        } else {
            if v6[n.prefix] == nil { v6[n.prefix] = V6Table(); v6Lengths.append(n.prefix); v6Lengths.sort(by: >) }
            found = v6[n.prefix]!.insert(n.address, id)
        }
        if found == nil { count += 1 }
        return found
    }

    /// Calls `body` with the id of every block containing `a`, longest prefix first, until it
    /// returns false.
    @inlinable
    public func forEachMatch(_ a: IPAddress, _ body: (UInt32) -> Bool) {
        if a.isV4 {
            let v = a.v4
            if !v4Directory.isEmpty {
                var bits = v4Directory[Int(v >> 16)]
                while bits != 0 {
                    let b = 15 - bits.leadingZeroBitCount
                    bits &= ~(UInt16(1) << UInt16(b))
                    let len = 17 + b
                    let key = v & (~UInt32(0) << UInt32(32 - len))
                    if let id = v4[len].unsafelyUnwrapped.find(key), !body(id) { return }
                }
            }
            for len in v4ShortLengths {
                let key = len == 0 ? 0 : v & (~UInt32(0) << UInt32(32 - len))
                if let id = v4[len].unsafelyUnwrapped.find(key), !body(id) { return }
            }
            // IPv6 blocks of /96 or shorter may cover the IPv4-mapped range.
            for len in v6Lengths where len <= 96 {
                if let id = v6[len].unsafelyUnwrapped.find(a.masked(len)), !body(id) { return }
            }
        } else {
            for len in v6Lengths {
                if let id = v6[len].unsafelyUnwrapped.find(a.masked(len)), !body(id) { return }
            }
        }
    }

    /// The id of the longest block containing `a`, or nil.
    @inlinable
    public func longestMatch(_ a: IPAddress) -> UInt32? {
        var found: UInt32?
        forEachMatch(a) { found = $0; return false }
        return found
    }
}
