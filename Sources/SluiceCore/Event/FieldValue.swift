/// A typed field value. No `Any`: every case is a concrete type, so encoders and rule
/// matchers switch on it without casts.
public enum FieldValue: Sendable, Equatable {
    case string(String)
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
        case .null, .array, .object: return nil
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
public struct Field: Sendable, Equatable {
    public var key: FieldKey
    public var value: FieldValue
    @inlinable public init(_ key: FieldKey, _ value: FieldValue) { self.key = key; self.value = value }
}
