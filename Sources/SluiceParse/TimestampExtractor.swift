import SluiceCore

/// How a timestamp field is written.
public enum TimestampFormat: String, CaseIterable, Sendable {
    /// Numbers by magnitude (seconds, milliseconds, microseconds or nanoseconds since the
    /// epoch); strings as RFC 3339 / ISO 8601.
    case auto
    case rfc3339
    case unix, unix_ms, unix_us, unix_ns

    /// Converts a field value to ns since the epoch, or nil if it does not fit the format.
    public func nanos(_ v: FieldValue) -> Int64? {
        switch v {
        case .int(let i): return fromNumber(Double(i), exact: i)
        case .double(let d): return fromNumber(d, exact: nil)
        case .string(let s):
            if self == .auto || self == .rfc3339, let t = Timestamp.parseRFC3339(s) { return t }
            if self != .rfc3339, let d = Double(s) { return fromNumber(d, exact: Int64(s)) }
            return nil
        default: return nil
        }
    }

    private func fromNumber(_ d: Double, exact: Int64?) -> Int64? {
        guard d.isFinite, d >= 0 else { return nil }
        let unit: Int64
        switch self {
        case .rfc3339: return nil
        case .unix: unit = 1_000_000_000
        case .unix_ms: unit = 1_000_000
        case .unix_us: unit = 1_000
        case .unix_ns: unit = 1
        case .auto:
            // Below 1e11 seconds (year 5138), below 1e14 ms, below 1e17 µs, else ns.
            unit = d < 1e11 ? 1_000_000_000 : d < 1e14 ? 1_000_000 : d < 1e17 ? 1_000 : 1
        }
        if let e = exact { return e.multipliedReportingOverflow(by: unit).overflow ? nil : e * unit }
        let r = d * Double(unit)
        return r < 9.2e18 ? Int64(r) : nil
    }
}
