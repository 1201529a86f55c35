/// Finds a key's position in one event's field list in O(1), so a parser that sets fields
/// whose keys the input chooses (JSON members, Zeek columns) spends O(n) on a record of n
/// keys, never O(n²), whatever fields the event already held.
///
/// A dense table indexed by `FieldKey.id` (key ids are small: the registry is bounded),
/// stamped per event, so nothing is cleared between events. A class over one allocation
/// written through a pointer: setting a field costs no uniqueness or exclusivity check.
/// Guarantees: `set` keeps the event's invariant that a key appears at most once (a repeated
/// key replaces the earlier value in place, keeping its position); memory is 8 bytes per key
/// id seen. Not thread-safe: one per user (a parser, an enricher, the rule matcher).
public final class FieldIndex {
    /// Per key id: the generation that set it (high 32 bits) and its position (low 32 bits).
    @usableFromInline var table: UnsafeMutablePointer<UInt64>
    @usableFromInline var capacity: Int
    @usableFromInline var generation: UInt64 = 0

    public init() {
        capacity = 64
        table = .allocate(capacity: capacity)
        table.initialize(repeating: 0, count: capacity)
    }

    deinit { table.deallocate() }

    /// Starts a new event: indexes the fields `fields` already holds (the first of any
    /// repeated key).
    public func begin(_ fields: FieldList) {
        generation &+= 1
        if generation > UInt64(UInt32.max) {
            // Wrapped around after 4 billion events: old stamps could match again.
            table.update(repeating: 0, count: capacity)
            generation = 1
        }
        fields.withUnsafeFields { fs in
            for i in fs.indices { _ = claim(fs[i].key, at: i) }
        }
    }

    /// Makes room for key ids up to `id`: doubles, keeps the stamps.
    @usableFromInline @inline(never)
    func grow(to id: Int) {
        let n = Swift.max(id + 1, capacity * 2)
        let new = UnsafeMutablePointer<UInt64>.allocate(capacity: n)
        new.moveInitialize(from: table, count: capacity)
        (new + capacity).initialize(repeating: 0, count: n - capacity)
        table.deallocate()
        table = new
        capacity = n
    }

    /// Records `key` at position `at` unless it is already indexed; returns the position it
    /// had, or nil when it is new.
    @inlinable @inline(__always)
    func claim(_ key: FieldKey, at: Int) -> Int? {
        let id = Int(key.id)
        if _slowPath(id >= capacity) { grow(to: id) }
        let entry = table[id]
        if entry >> 32 == generation { return Int(UInt32(truncatingIfNeeded: entry)) }
        table[id] = generation << 32 | UInt64(UInt32(truncatingIfNeeded: at))
        return nil
    }

    /// Sets `key` to `value` in `fields` (the list `begin` was called with, changed only
    /// through this index since): replaces the value in place when the key is present,
    /// appends it otherwise.
    @inlinable @inline(__always)
    public func set(_ key: FieldKey, _ value: __owned FieldValue, in fields: inout FieldList) {
        put(key, value, in: &fields, unique: false)
    }

    /// `set` for a parser filling the event it reserved room in: the caller promises what
    /// `FieldList.appendAssumingUnique` asks (`reserveCapacity` was called on this very list
    /// and no copy of it was made since), so a new key is appended without the uniqueness
    /// check. Debug builds verify the promise.
    @inlinable @inline(__always)
    public func setAssumingUnique(_ key: FieldKey, _ value: __owned FieldValue, in fields: inout FieldList) {
        put(key, value, in: &fields, unique: true)
    }

    @inlinable @inline(__always)
    func put(_ key: FieldKey, _ value: __owned FieldValue, in fields: inout FieldList, unique: Bool) {
        if let i = claim(key, at: fields.count) {
            fields[i].value = value
        } else if unique {
            fields.appendAssumingUnique(Field(key, value))
        } else {
            fields.append(Field(key, value))
        }
    }

    /// Whether `key` was set on the current event (present since `begin`).
    public func contains(_ key: FieldKey) -> Bool { position(of: key) != nil }

    /// The position of `key` in the current event's fields (the first, for a repeated key),
    /// or nil when absent: what `FieldList.firstIndex(of:)` returns, without the scan. For
    /// readers that look up many keys of one event (enrichers) after `begin`.
    @inlinable @inline(__always)
    public func position(of key: FieldKey) -> Int? { position(id: key.id) }

    /// `position(of:)` by key id (for callers that keep key ids in flat tables: the rule
    /// matcher's lookup plans). Inlined into other modules: a load and a compare.
    @inlinable @inline(__always)
    public func position(id: UInt32) -> Int? {
        let id = Int(id)
        guard id < capacity else { return nil }
        let entry = table[id]
        return entry >> 32 == generation ? Int(UInt32(truncatingIfNeeded: entry)) : nil
    }
}
