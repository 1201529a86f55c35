/// How many fields to reserve before a record of a self-describing format (JSON) is read, so
/// the event's field list is allocated once at the right size instead of growing (a new
/// buffer, every field moved, the old one freed) part-way through the record.
///
/// Guarantees: `reserve` is at least `minimum` and at most `maximum`; it is never below the
/// largest count of the current window of `window` records nor of the window before it, so
/// a stream of records of one shape reserves exactly what it needs after its first record,
/// and one unusually wide record raises the reservation for at most two windows, not for
/// good. Pure and single-threaded (a parser's own state).
public struct FieldCountHint: Sendable {
    public let minimum: Int
    public let maximum: Int
    public let window: Int
    /// Fields to reserve for the next record.
    public private(set) var reserve: Int
    private var windowMax = 0
    private var seen = 0

    public init(minimum: Int = 24, maximum: Int = 256, window: Int = 4096) {
        precondition(minimum > 0 && maximum >= minimum && window > 0)
        self.minimum = minimum; self.maximum = maximum; self.window = window
        reserve = minimum
    }

    /// Records that a record added `count` fields.
    @inline(__always)
    public mutating func record(_ count: Int) {
        let c = Swift.min(count, maximum)
        if c > reserve { reserve = c }
        if c > windowMax { windowMax = c }
        seen += 1
        if seen >= window {
            // The reservation follows the last two windows' widest record.
            reserve = Swift.max(minimum, windowMax)
            windowMax = 0
            seen = 0
        }
    }
}
