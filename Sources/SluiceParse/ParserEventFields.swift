import SluiceCore

extension Event {
    /// Sets `key` on a parser's output event: a plain append when the event arrived without
    /// fields (the fast path), a replacing set otherwise.
    ///
    /// For the event a parser is building, after it reserved room with
    /// `fields.reserveCapacity` (every parser's prologue does) and without copying it since:
    /// appends skip the uniqueness check (`FieldList.appendAssumingUnique`).
    @inline(__always)
    mutating func put(_ key: FieldKey, _ value: __owned FieldValue, fresh: Bool) {
        if fresh { fields.appendAssumingUnique(Field(key, value)) } else { replace(key, value) }
    }

    /// Sets `key` when there is a value (`RecordCursor.text(_:)` gives nil for empty text).
    @inline(__always)
    mutating func put(_ key: FieldKey, _ value: __owned FieldValue?, fresh: Bool) {
        guard let value else { return }
        if fresh { fields.appendAssumingUnique(Field(key, value)) } else { replace(key, value) }
    }

    @inline(__always)
    mutating func put(_ key: FieldKey, _ text: String, fresh: Bool) {
        guard !text.isEmpty else { return }
        if fresh { fields.appendAssumingUnique(Field(key, .string(text))) } else { replace(key, .string(text)) }
    }

    /// A 64-bit filter of the keys the event holds, to start `set(_:_:seen:)` with.
    var keyFilter: UInt64 { fields.reduce(0) { $0 | $1.key.filterBit } }

    /// Sets `key` on an event a parser is building, where `seen` is a 64-bit filter of the
    /// keys set so far (start it at `keyFilter`): a key the filter proves new is appended, any
    /// other replaced. For parsers whose input can name the same key twice (W3C columns, CEF
    /// extensions).
    @inline(__always)
    mutating func set(_ key: FieldKey, _ value: FieldValue, seen: inout UInt64) {
        let bit = key.filterBit
        if seen & bit == 0 { seen |= bit; append(key, value) } else { replace(key, value) }
    }

    /// The slow path of `put`, kept out of line so the parsers' hot code stays small.
    @inline(never)
    mutating func replace(_ key: FieldKey, _ value: FieldValue) { self[key] = value }
}
