/// A bounded map from 64-bit keys to values with least-recently-used eviction.
///
/// Guarantees: at most `capacity` entries; `insert` on a full table evicts the least
/// recently inserted-or-touched entry and reports it; lookups, touches, inserts and removals
/// are O(1). Values live in one array (slots are reused), so a million entries cost a key,
/// two links, the value and two or three 4-byte cells of the key index each.
///
/// The key index is an open-addressing table of slots (linear probing, backward-shift
/// removal, at most half full) found by a multiplicative hash of the key: the keys are
/// already hashes, and this costs a multiply where a `Dictionary` ran SipHash per lookup
/// (3% of workload 3's CPU).
struct LRUTable<Value> {
    private(set) var keys: [UInt64] = []
    private(set) var values: [Value?] = []
    private var prev: [Int32] = []
    private var next: [Int32] = []
    /// Key index: a slot, or -1 (empty); `cells.count` is a power of two (or 0).
    private var cells: [Int32] = []
    private var shift: UInt64 = 64
    private var used = 0
    private var free: [Int32] = []
    private var head: Int32 = -1   // least recently used
    private var tail: Int32 = -1   // most recently used
    var capacity: Int

    init(capacity: Int) { self.capacity = max(1, capacity) }

    var count: Int { used }

    func slot(_ key: UInt64) -> Int? {
        guard !cells.isEmpty else { return nil }
        return cells.withUnsafeBufferPointer { c in
            keys.withUnsafeBufferPointer { k in
                let mask = c.count - 1
                var i = home(key)
                while true {
                    let s = c[i]
                    if s < 0 { return nil }
                    if k[Int(s)] == key { return Int(s) }
                    i = (i &+ 1) & mask
                }
            }
        }
    }

    /// The key's first cell.
    @inline(__always) private func home(_ key: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) &>> shift)
    }

    /// Adds `slot` (whose key is in `keys` and absent from the index; room made by `grow`).
    private mutating func indexInsert(_ slot: Int32) {
        let mask = cells.count - 1
        var i = home(keys[Int(slot)])
        while cells[i] >= 0 { i = (i &+ 1) & mask }
        cells[i] = slot
        used += 1
    }

    /// Takes `slot` out of the index (backward shift: no tombstones).
    private mutating func indexRemove(_ slot: Int32) {
        let mask = cells.count - 1
        var i = home(keys[Int(slot)])
        while cells[i] != slot { i = (i &+ 1) & mask }
        var j = i
        while true {
            j = (j &+ 1) & mask
            let s = cells[j]
            if s < 0 { break }
            let h = home(keys[Int(s)])
            // Move `s` back to the hole at i unless its home lies cyclically in (i, j].
            let stays = i <= j ? (h > i && h <= j) : (h > i || h <= j)
            if !stays { cells[i] = s; i = j }
        }
        cells[i] = -1
        used -= 1
    }

    /// Doubles the index and places again every slot in the list (call with room needed
    /// and before the new slot is linked).
    private mutating func grow() {
        let size = max(16, cells.count * 2)
        shift = UInt64(64 - size.trailingZeroBitCount)
        cells = [Int32](repeating: -1, count: size)
        used = 0
        var s = head
        while s >= 0 {
            let mask = size - 1
            var i = home(keys[Int(s)])
            while cells[i] >= 0 { i = (i &+ 1) & mask }
            cells[i] = s
            used += 1
            s = next[Int(s)]
        }
    }

    subscript(slot: Int) -> Value {
        get { values[slot]! }
        _modify { yield &values[slot]! }
    }

    /// Moves the entry to the most-recently-used end.
    mutating func touch(_ slot: Int) {
        let s = Int32(slot)
        guard tail != s else { return }
        unlink(s); link(s)
    }

    /// Inserts a new key (which must be absent). Returns the slot and the evicted entry.
    @discardableResult
    mutating func insert(_ key: UInt64, _ value: Value) -> (slot: Int, evicted: (key: UInt64, value: Value)?) {
        var evicted: (UInt64, Value)? = nil
        if used >= capacity, head >= 0 {
            let h = Int(head)
            evicted = (keys[h], values[h]!)
            remove(h)
        }
        let s: Int32
        if let f = free.popLast() {
            s = f; keys[Int(s)] = key; values[Int(s)] = value
        } else {
            s = Int32(keys.count); keys.append(key); values.append(value); prev.append(-1); next.append(-1)
        }
        if (used + 1) * 2 > cells.count { grow() }
        link(s)
        indexInsert(s)
        return (Int(s), evicted)
    }

    mutating func remove(_ slot: Int) {
        let s = Int32(slot)
        indexRemove(s)
        unlink(s)
        values[slot] = nil
        free.append(s)
    }

    /// The least recently used slot.
    var oldest: Int? { head >= 0 ? Int(head) : nil }

    /// Slots from least to most recently used.
    func slotsInOrder() -> [Int] {
        var out: [Int] = []
        out.reserveCapacity(used)
        var s = head
        while s >= 0 { out.append(Int(s)); s = next[Int(s)] }
        return out
    }

    private mutating func unlink(_ s: Int32) {
        let p = prev[Int(s)], n = next[Int(s)]
        if p >= 0 { next[Int(p)] = n } else { head = n }
        if n >= 0 { prev[Int(n)] = p } else { tail = p }
        prev[Int(s)] = -1; next[Int(s)] = -1
    }

    private mutating func link(_ s: Int32) {
        prev[Int(s)] = tail; next[Int(s)] = -1
        if tail >= 0 { next[Int(tail)] = s } else { head = s }
        tail = s
    }
}
