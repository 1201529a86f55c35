/// A normalized event: ECS-named fields in a small ordered array, the event time, and the
/// raw record it came from.
///
/// Guarantees: setting a key replaces its previous value (a key appears at most once at the
/// top level); insertion order is kept; `original` holds the record's bytes exactly as read,
/// even when they are not valid UTF-8. Lookups are linear over a few dozen fields, which is
/// faster than hashing at these sizes and allocates nothing.
public struct Event: Sendable {
    /// Event time (`@timestamp`) in nanoseconds since the Unix epoch; 0 when unknown.
    public var timestamp: Int64
    /// The raw record (`event.original`). Empty when the pipeline dropped it. Replacing it
    /// first turns the fields that are spans of the old record into strings.
    public var original: ArraySlice<UInt8> {
        @inlinable get { originalDropped ? [] : record }
        set {
            if hasSpans { materializeSpans() }
            record = newValue
            originalDropped = false
        }
    }
    /// `original`'s storage: often a slice of a larger buffer (a file source's read chunk
    /// holds hundreds of records). Spans are relative to its start.
    @usableFromInline var record: ArraySlice<UInt8>
    /// Set by `dropOriginal()` when fields still point into `record`: `original` reads as
    /// empty, spans keep reading `record`. Kept in `tail`.
    @usableFromInline var originalDropped: Bool {
        @inlinable get {
            switch tail {
            case .dropped, .droppedAlert: return true
            case .plain, .alert: return false
            }
        }
        @inlinable set { tail = Tail(dropped: newValue, alert: alert) }
    }
    /// `originalDropped` and `alert` in one word (the enum keeps its case in the alert
    /// pointer's spare bits). An event is then 56 bytes, not 64: at 64 the compiler handles
    /// it through memory, and building one and appending it to a batch cost a copy and a
    /// destroy of the whole event (about 200 instructions, several times an event).
    @usableFromInline var tail: Tail = .plain

    @usableFromInline
    enum Tail: Sendable {
        case plain, dropped, alert(Alert), droppedAlert(Alert)

        @inlinable
        init(dropped: Bool, alert: Alert?) {
            switch (dropped, alert) {
            case (false, nil): self = .plain
            case (true, nil): self = .dropped
            case (false, let a?): self = .alert(a)
            case (true, let a?): self = .droppedAlert(a)
            }
        }
    }

    /// The bytes this event's spans point into: `original`, or the record a dropped original
    /// leaves behind for them (`dropOriginal()`). For encoders resolving `.span` values.
    @inlinable public var spanStorage: ArraySlice<UInt8> { record }

    /// Drops `original` (a parse stage's `drop_original`): from here on it reads as empty and
    /// is neither written nor matched, but fields that are spans of the record keep reading
    /// it, so they are not copied into strings. Without spans the record is let go at once.
    public mutating func dropOriginal() {
        if hasSpans { originalDropped = true } else { record = []; originalDropped = false }
    }

    /// This event standing on its own: when its original was dropped, spans turned into
    /// strings and the record let go (for codecs that store the event, and for events kept
    /// long). Otherwise the event as it is.
    public func selfContained() -> Event {
        guard originalDropped else { return self }
        var e = self
        e.materializeSpans()
        e.record = []
        e.originalDropped = false
        return e
    }
    public var fields: FieldList
    /// Set on alerts produced by detections (`event.kind: alert`). Kept in `tail`.
    public var alert: Alert? {
        @inlinable get {
            switch tail {
            case .alert(let a), .droppedAlert(let a): return a
            case .plain, .dropped: return nil
            }
        }
        @inlinable set { tail = Tail(dropped: originalDropped, alert: newValue) }
    }

    @inlinable
    public init(timestamp: Int64 = 0, original: ArraySlice<UInt8> = [], fields: FieldList = []) {
        self.timestamp = timestamp
        self.record = original
        self.fields = fields
    }

    @inlinable
    public subscript(key: FieldKey) -> FieldValue? {
        get {
            guard let i = fields.firstIndex(of: key) else { return nil }
            return resolved(fields[i].value)
        }
        set {
            if let i = fields.firstIndex(of: key) {
                if let v = newValue { fields[i].value = v } else { fields.remove(at: i) }
            } else if let v = newValue {
                fields.append(Field(key, v))
            }
        }
    }

    /// The string value of `key`, or `nil` when absent or not a string.
    @inlinable
    public func string(_ key: FieldKey) -> String? {
        guard let i = fields.firstIndex(of: key) else { return nil }
        switch fields[i].value {
        case .string(let s): return s
        case .span(let sp): return text(sp)
        default: return nil
        }
    }

    /// The bytes of a span of this event's `original` (empty if the span lies outside it).
    @inlinable
    public func bytes(_ span: RecordSpan) -> ArraySlice<UInt8> { span.bytes(in: record) }

    /// Calls `body` with a span's bytes read where they lie (empty if the span lies outside
    /// `original`). Unlike `bytes(_:)` no slice of the record is made, so the reference count
    /// of the read buffer the record shares with its neighbours (touched from every stage's
    /// thread) is left alone.
    @inlinable
    public func withBytes<R>(_ span: RecordSpan, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        try record.withUnsafeBufferPointer { try body(span.bytes(in: $0)) }
    }

    /// Calls `body` with `original`'s bytes where they lie (empty when dropped). Unlike
    /// `original` no slice of the record is made, so the reference count of the read buffer
    /// it shares with its neighbours (touched from every stage's thread) is left alone.
    @inlinable
    public func withOriginalBytes<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        if originalDropped { return try body(UnsafeBufferPointer(start: nil, count: 0)) }
        return try record.withUnsafeBufferPointer(body)
    }

    /// A span's text (invalid UTF-8 replaced by U+FFFD).
    public func text(_ span: RecordSpan) -> String { withBytes(span) { String(decoding: $0, as: UTF8.self) } }

    /// `value` with every span in it (also inside arrays and objects) turned into `.string`.
    @inlinable
    public func resolved(_ value: FieldValue) -> FieldValue {
        switch value {
        case .span(let sp): return .string(text(sp))
        case .array(let items) where items.contains(where: Self.containsSpan):
            return .array(items.map(resolved))
        case .object(let members) where members.contains(where: { Self.containsSpan($0.value) }):
            return .object(members.map { Field($0.key, resolved($0.value)) })
        default: return value
        }
    }

    @usableFromInline
    static func containsSpan(_ v: FieldValue) -> Bool { withUnsafePointer(to: v) { holdsSpan($0) } }

    /// Gives `original` storage of its own (a copy of just its bytes) when it is a slice of a
    /// larger buffer, so an event kept for long (alert evidence) does not keep that whole
    /// buffer alive: a read chunk of 256 KiB per kept event otherwise. Spans stay valid
    /// (they are relative to the record's start) and stay spans.
    /// (A slice cannot tell how large its buffer is, so the bytes are always copied: one
    /// allocation of the record's size.)
    /// A dropped original (`dropOriginal()`) is copied the same way and stays dropped (it
    /// still reads as empty; its spans stay spans): one allocation, where turning each span
    /// into a string cost one per value and a copy of the field list.
    public mutating func compactOriginal() {
        guard !record.isEmpty else { return }
        record = ArraySlice(Array(record))
    }

    /// Whether any field holds a span of `original` (the fields read in place, none copied).
    public var hasSpans: Bool {
        fields.withUnsafeFields { fields in
            for i in fields.indices where Self.holdsSpan(fields.value(at: i)) { return true }
            return false
        }
    }

    /// Whether a value read where it lies is or holds a span (`containsSpan` for a value in
    /// hand).
    @usableFromInline
    static func holdsSpan(_ value: UnsafePointer<FieldValue>) -> Bool {
        switch value.pointee {
        case .span: return true
        case .string, .int, .double, .bool, .null: return false
        case .array(let items): return items.contains(where: containsSpan)
        case .object(let members): return members.contains { containsSpan($0.value) }
        }
    }

    /// Turns every span into a string, so the event no longer depends on `original`.
    public mutating func materializeSpans() {
        for i in fields.indices where Self.containsSpan(fields[i].value) {
            fields[i].value = resolved(fields[i].value)
        }
    }

    /// Sets a string field; an empty or `nil` value leaves the event unchanged.
    @inlinable
    public mutating func set(_ key: FieldKey, _ value: String?) {
        guard let value, !value.isEmpty else { return }
        self[key] = .string(value)
    }

    /// Appends without checking for an existing key. Use only when the key is known absent
    /// (e.g. a parser filling a fresh event); it is the fast path.
    @inlinable @inline(__always)
    public mutating func append(_ key: FieldKey, _ value: __owned FieldValue) {
        fields.append(Field(key, value))
    }

    /// Looks up a dotted path, descending into nested objects when the path is not a
    /// top-level key (e.g. `github.actor_location.country_code` stored as an object).
    public func value(at path: String) -> FieldValue? {
        if let k = FieldKey.existing(path), let v = self[k] { return v }
        let comps = path.split(separator: ".").map(String.init)
        guard comps.count > 1 else { return nil }
        for split in stride(from: comps.count - 1, through: 1, by: -1) {
            let head = comps[0..<split].joined(separator: ".")
            guard let hk = FieldKey.existing(head), var cur = self[hk] else { continue }
            var ok = true
            for c in comps[split...] {
                guard case .object(let members) = cur,
                      let m = members.first(where: { $0.key.path == c }) else { ok = false; break }
                cur = resolved(m.value)
            }
            if ok { return cur }
        }
        return nil
    }

    /// The value at `key`'s path inside a nested object field — `source: {ip: …}` holds
    /// `source.ip` — for readers that look a dotted key up in events whose parser kept the
    /// input's nesting (JSON). Only object-valued fields are walked; spans come back as
    /// strings. Use after `self[key]` missed.
    public func nestedValue(_ key: FieldKey) -> FieldValue? {
        var want: [String]?
        for f in fields {
            guard case .object = f.value else { continue }
            if want == nil { want = key.components }
            let have = f.key.components
            guard have.count < want!.count, want![0..<have.count].elementsEqual(have) else { continue }
            if let v = Self.descend(f.value, want![have.count...]) { return resolved(v) }
        }
        return nil
    }

    private static func descend(_ v: FieldValue, _ rest: ArraySlice<String>) -> FieldValue? {
        guard !rest.isEmpty else { return v }
        guard case .object(let members) = v else { return nil }
        for m in members.reversed() {   // the last of a repeated member wins
            let c = m.key.components
            if c.count <= rest.count, rest.prefix(c.count).elementsEqual(c),
               let found = descend(m.value, rest.dropFirst(c.count)) { return found }
        }
        return nil
    }

    /// The raw record as text, invalid UTF-8 replaced by U+FFFD.
    public var originalText: String { String(decoding: original, as: UTF8.self) }
}

/// An ordered group of events moving between two stages, with the acknowledgements of the
/// source batches it carries.
///
/// Ownership: a batch owns one reference on each acknowledgement in `acks`. Whoever ends a
/// batch's life (a sink after delivery, a stage that drops it) calls `acknowledge()` once;
/// a copy sent down a second path must be made with `sharingAcknowledgements()`.
public struct EventBatch: Sendable {
    public var events: [Event]
    public var acks: [Acknowledgement]

    @inlinable
    public init(events: [Event], acks: [Acknowledgement] = []) {
        self.events = events
        self.acks = acks
    }

    @inlinable public var count: Int { events.count }

    /// Releases this batch's references: the source learns the events are done with.
    public func acknowledge() {
        for a in acks { a.release() }
    }

    /// A batch with the given events that holds its own new references on this batch's acks.
    public func sharingAcknowledgements(events: [Event]) -> EventBatch {
        for a in acks { a.retain() }
        return EventBatch(events: events, acks: acks)
    }
}
