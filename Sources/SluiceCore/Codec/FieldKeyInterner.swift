/// Maps field-name bytes to interned `FieldKey`s without allocating on a hit.
///
/// Bounded: names come from data, so they are interned with `FieldRegistry.internBounded`:
/// a name longer than `FieldRegistry.maxNameBytes` (with its parent), or any new name once
/// the registry is at its bounds, is refused (`key` returns nil and `refused` counts it);
/// callers keep such values under `sluice.overflow_fields` (`OverflowFields`), so hostile
/// input can neither grow memory without bound nor fail the record.
/// Not thread-safe: one per stage. The tables are raw buffers owned by the instance, so a
/// lookup touches no reference counts and checks no array bounds.
public final class FieldKeyInterner {
    /// Names this interner was refused (too long, or the registry full).
    public private(set) var refused = 0

    /// One interned name: its bytes in the arena, its parent prefix and its key.
    private struct Entry {
        var start: Int32
        var length: Int32
        var parent: UInt32
        var key: FieldKey
    }

    /// Open-addressing table of entry indexes (-1: empty); `mask + 1` slots.
    private var slots: UnsafeMutablePointer<Int32>
    private var mask: Int
    private var entries: UnsafeMutablePointer<Entry>
    private var entryCount = 0
    private var entryCapacity: Int
    /// Key bytes of every entry, back to back.
    private var arena: UnsafeMutablePointer<UInt8>
    private var arenaCount = 0
    private var arenaCapacity: Int

    public init() {
        mask = 1023
        slots = .allocate(capacity: 1024)
        slots.initialize(repeating: -1, count: 1024)
        entryCapacity = 512
        entries = .allocate(capacity: 512)
        arenaCapacity = 8192
        arena = .allocate(capacity: 8192)
    }

    deinit {
        slots.deallocate()
        entries.deinitialize(count: entryCount)
        entries.deallocate()
        arena.deallocate()
    }

    /// Eight bytes at a time (names are short: one or two words), then the tail bytes.
    @inline(__always)
    private static func hash(_ b: UnsafeBufferPointer<UInt8>, prefix: UInt32) -> Int {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325 ^ (UInt64(prefix) &* 0x9E37_79B9_7F4A_7C15)
        guard let p = b.baseAddress else { return Int(truncatingIfNeeded: h) }
        let raw = UnsafeRawPointer(p)
        var i = 0
        let n = b.count
        while i + 8 <= n {
            h = (h ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0x100_0000_01b3
            h ^= h >> 32
            i += 8
        }
        while i < n { h = (h ^ UInt64(p[i])) &* 0x100_0000_01b3; i += 1 }
        return Int(truncatingIfNeeded: h ^ (h >> 29))
    }

    /// `n` bytes at `a` equal `n` bytes at `b` (short names: compared inline, no call).
    @inline(__always)
    private static func same(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
        var i = 0
        while i + 8 <= n {
            if ra.loadUnaligned(fromByteOffset: i, as: UInt64.self) != rb.loadUnaligned(fromByteOffset: i, as: UInt64.self) { return false }
            i += 8
        }
        while i < n { if a[i] != b[i] { return false }; i += 1 }
        return true
    }

    /// The key for `name`, optionally under a parent prefix key (`parent.name`).
    public func key(_ name: UnsafeBufferPointer<UInt8>, under parent: FieldKey? = nil) -> FieldKey? {
        let pid = parent.map { $0.id &+ 1 } ?? 0
        let n = name.count
        var i = Self.hash(name, prefix: pid) & mask
        while true {
            let s = slots[i]
            if s < 0 { break }
            let e = entries[Int(s)]
            if e.length == Int32(n) && e.parent == pid
                && (n == 0 || Self.same(arena + Int(e.start), name.baseAddress!, n)) {
                return e.key
            }
            i = (i + 1) & mask
        }
        guard n <= FieldRegistry.maxNameBytes, n < Int(Int32.max) / 2,
              let key = FieldKey.bounded(parent.map { $0.path + "." + String(decoding: name, as: UTF8.self) }
                                         ?? String(decoding: name, as: UTF8.self)) else {
            refused += 1
            return nil
        }
        if arenaCount + n > arenaCapacity {
            let cap = max(arenaCapacity * 2, arenaCount + n)
            let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: cap)
            bigger.update(from: arena, count: arenaCount)
            arena.deallocate()
            arena = bigger
            arenaCapacity = cap
        }
        if n > 0 { (arena + arenaCount).update(from: name.baseAddress!, count: n) }
        if entryCount == entryCapacity {
            let cap = entryCapacity * 2
            let bigger = UnsafeMutablePointer<Entry>.allocate(capacity: cap)
            bigger.moveInitialize(from: entries, count: entryCount)
            entries.deallocate()
            entries = bigger
            entryCapacity = cap
        }
        (entries + entryCount).initialize(to: Entry(start: Int32(arenaCount), length: Int32(n), parent: pid, key: key))
        slots[i] = Int32(entryCount)
        entryCount += 1
        arenaCount += n
        if entryCount * 2 > mask + 1 { grow() }
        return key
    }

    private func grow() {
        let newCount = (mask + 1) * 2
        slots.deallocate()
        slots = .allocate(capacity: newCount)
        slots.initialize(repeating: -1, count: newCount)
        mask = newCount - 1
        for e in 0..<entryCount {
            let entry = entries[e]
            let name = UnsafeBufferPointer(start: arena + Int(entry.start), count: Int(entry.length))
            var i = Self.hash(name, prefix: entry.parent) & mask
            while slots[i] >= 0 { i = (i + 1) & mask }
            slots[i] = Int32(e)
        }
    }
}
