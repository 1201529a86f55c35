/// A bounded map from 64-bit keys to values with least-recently-used eviction.
///
/// Guarantees: at most `capacity` entries; `insert` on a full table evicts the least
/// recently inserted-or-touched entry and reports it; lookups, touches, inserts and removals
/// are O(1). Values live in one array (slots are reused), so a million entries cost a
/// dictionary entry, two links and the value each.
struct LRUTable<Value> {
    private(set) var keys: [UInt64] = []
    private(set) var values: [Value?] = []
    private var prev: [Int32] = []
    private var next: [Int32] = []
    private var index: [UInt64: Int32] = [:]
    private var free: [Int32] = []
    private var head: Int32 = -1   // least recently used
    private var tail: Int32 = -1   // most recently used
    var capacity: Int

    init(capacity: Int) { self.capacity = max(1, capacity) }

    var count: Int { index.count }

    func slot(_ key: UInt64) -> Int? { index[key].map(Int.init) }

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
        if index.count >= capacity, head >= 0 {
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
        index[key] = s
        link(s)
        return (Int(s), evicted)
    }

    mutating func remove(_ slot: Int) {
        let s = Int32(slot)
        unlink(s)
        index[keys[slot]] = nil
        values[slot] = nil
        free.append(s)
    }

    /// The least recently used slot.
    var oldest: Int? { head >= 0 ? Int(head) : nil }

    /// Slots from least to most recently used.
    func slotsInOrder() -> [Int] {
        var out: [Int] = []
        out.reserveCapacity(index.count)
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
