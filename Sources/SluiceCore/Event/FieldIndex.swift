/// Finds a key's position in one event's field list in O(1), so a parser that sets fields
/// whose keys the input chooses (JSON members, Zeek columns) spends O(n) on a record of n
/// keys, never O(n²), whatever fields the event already held.
///
/// A dense table indexed by `FieldKey.id` (key ids are small: the registry is bounded),
/// stamped per event, so nothing is cleared between events. Guarantees: `set` keeps the
/// event's invariant that a key appears at most once (a repeated key replaces the earlier
/// value in place, keeping its position); memory is 8 bytes per key id seen. Not
/// thread-safe: one per parser.
public struct FieldIndex {
    private var stamp: [UInt32] = []
    private var slot: [Int32] = []
    private var generation: UInt32 = 0

    public init() {}

    /// Starts a new event: indexes the fields `fields` already holds (the first of any
    /// repeated key).
    public mutating func begin(_ fields: FieldList) {
        generation &+= 1
        if generation == 0 {
            // Wrapped around after 4 billion events: old stamps could match again.
            for i in stamp.indices { stamp[i] = 0 }
            generation = 1
        }
        for i in fields.indices { _ = claim(fields[i].key, at: i) }
    }

    /// Records `key` at position `at` unless it is already indexed; returns the position it
    /// had, or nil when it is new.
    @inline(__always)
    private mutating func claim(_ key: FieldKey, at: Int) -> Int? {
        let id = Int(key.id)
        if id >= stamp.count {
            let n = Swift.max(id + 1, stamp.count * 2, 64)
            stamp.append(contentsOf: repeatElement(0, count: n - stamp.count))
            slot.append(contentsOf: repeatElement(0, count: n - slot.count))
        }
        if stamp[id] == generation { return Int(slot[id]) }
        stamp[id] = generation
        slot[id] = Int32(truncatingIfNeeded: at)
        return nil
    }

    /// Sets `key` to `value` in `fields` (the list `begin` was called with, changed only
    /// through this index since): replaces the value in place when the key is present,
    /// appends it otherwise.
    @inline(__always)
    public mutating func set(_ key: FieldKey, _ value: __owned FieldValue, in fields: inout FieldList) {
        if let i = claim(key, at: fields.count) {
            fields[i].value = value
        } else {
            fields.append(Field(key, value))
        }
    }

    /// Whether `key` was set on the current event (present since `begin`).
    public func contains(_ key: FieldKey) -> Bool {
        let id = Int(key.id)
        return id < stamp.count && stamp[id] == generation
    }
}
