/// A typed field value. No `Any`: every case is a concrete type, so encoders and rule
/// matchers switch on it without casts.
///
/// `.span` is text that is still bytes of the event's own `original` (a parser's zero-copy
/// output): it means something only next to that event. `Event`'s accessors (`subscript`,
/// `string(_:)`, `value(at:)`) hand it out as `.string`, so only code that walks
/// `Event.fields` itself (encoders) meets a span; they read it with `Event.bytes(_:)`.
/// The scalar accessors below (`text`, `stringValue`, `intValue`) see no text in a span.
public enum FieldValue: Sendable, Equatable {
    case string(String)
    /// Text held as a byte range of the owning event's `original` (see `RecordSpan`).
    case span(RecordSpan)
    case int(Int64)
    case double(Double)
    case bool(Bool)
    case null
    /// An ordered list (e.g. `related.ip`, `process.args`).
    case array([FieldValue])
    /// A nested object; its keys are relative names (one path component each).
    case object([Field])

    /// The value as text if it is a scalar: strings as they are, numbers and booleans formatted.
    public var text: String? {
        switch self {
        case .string(let s): return s
        case .int(let i): return String(i)
        case .double(let d): return String(d)
        case .bool(let b): return b ? "true" : "false"
        case .null, .array, .object, .span: return nil
        }
    }

    public var stringValue: String? { if case .string(let s) = self { return s }; return nil }

    public var intValue: Int64? {
        switch self {
        case .int(let i): return i
        case .double(let d) where d.isFinite && d.rounded() == d && abs(d) < 9.2e18: return Int64(d)
        case .string(let s): return Int64(s)
        default: return nil
        }
    }
}

/// One key/value pair of an event or nested object.
///
/// 24 bytes: `value` (16 bytes of payload and a tag byte) is declared first so that the
/// 4-byte `key` fills the padding after the tag (key first would make it 32).
public struct Field: Sendable, Equatable {
    public var value: FieldValue
    public var key: FieldKey
    @inlinable public init(_ key: FieldKey, _ value: FieldValue) { self.key = key; self.value = value }
}

/// A range of an event's `original` bytes that holds a text field value: zero-copy parser
/// output. Offsets are relative to `original.startIndex`.
///
/// Guarantees: 8 bytes, no reference counting. Resolving a span against an event whose
/// `original` is shorter than the span (it was replaced or dropped) yields empty text, never
/// an out-of-bounds read; `Event` turns its spans into strings before `original` changes.
public struct RecordSpan: Sendable, Equatable {
    public let start: UInt32
    public let count: UInt32
    @inlinable public init(start: UInt32, count: UInt32) { self.start = start; self.count = count }

    /// The span's bytes in `record` (its event's `original`); empty when it lies outside.
    @inlinable
    public func bytes(in record: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        let lo = Int(start), hi = lo + Int(count)
        guard hi <= record.count else { return [] }
        return record[(record.startIndex + lo)..<(record.startIndex + hi)]
    }

    /// The span's bytes in `record` already in hand as a pointer; empty when it lies outside.
    @inlinable
    public func bytes(in record: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        let lo = Int(start), hi = lo + Int(count)
        guard hi <= record.count else { return UnsafeBufferPointer(start: nil, count: 0) }
        return UnsafeBufferPointer(rebasing: record[lo..<hi])
    }
}
