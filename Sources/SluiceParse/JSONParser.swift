#if canImport(Glibc)
import Glibc
#endif
import SluiceCore

/// `json`: one JSON object per record; its members become the event's fields (nested
/// objects stay nested). The timestamp member (`timestamp_field`, default `@timestamp`,
/// read as `timestamp_format`, default `auto`) becomes the event time; when it is absent or
/// unreadable the event keeps the time its source gave it.
///
/// Options: `timestamp_field`, `timestamp_format` (auto, rfc3339, unix, unix_ms, unix_us,
/// unix_ns), `keep_timestamp_field` (default false).
/// Member names the field registry refuses (longer than `FieldRegistry.maxNameBytes`, or
/// the registry full) do not fail the record: their values go to `sluice.overflow_fields`.
/// Setting the members is linear in their number (`FieldIndex`), and a repeated member name
/// replaces the earlier value. Top-level string members without escapes are kept as spans of
/// the record (`FieldValue.span`, no allocation), nested ones as strings.
/// Failures: `invalid_json` (with the byte offset), `not_an_object`.
public final class JSONParser: Parser {
    let timestampField: [UInt8]
    let timestampFormat: TimestampFormat
    let keepTimestamp: Bool
    let interner: FieldKeyInterner

    public init(timestampField: String = "@timestamp", timestampFormat: TimestampFormat = .auto, keepTimestamp: Bool = false) {
        interner = FieldKeyInterner()
        predictor = MemberKeyPredictor(interner: interner)
        self.timestampField = Array(timestampField.utf8)
        self.timestampFormat = timestampFormat
        self.keepTimestamp = keepTimestamp
    }

    public convenience init(options o: ComponentOptions) {
        self.init(timestampField: o.string("timestamp_field", default: "@timestamp"),
                  timestampFormat: o.choice("timestamp_format", default: TimestampFormat.auto),
                  keepTimestamp: o.bool("keep_timestamp_field", default: false))
    }

    /// Reused across records: positions of the event's keys (linear insertion).
    private let index = FieldIndex()
    /// Top-level member names predicted from the member before them (a byte compare
    /// instead of hashing).
    private let predictor: MemberKeyPredictor
    /// Fields a record is expected to add (the widest of the recent records): reserved up
    /// front so an event's field list does not grow while its record is read.
    private var fieldCount = FieldCountHint()

    /// `field_names_refused`: member names the registry refused (kept under
    /// `sluice.overflow_fields`).
    public var counters: [(name: String, value: Int)] { [("field_names_refused", interner.refused)] }

    @inline(__always)
    private func isTimestampField(_ key: UnsafeBufferPointer<UInt8>) -> Bool {
        key.count == timestampField.count
            && timestampField.withUnsafeBufferPointer { key.count == 0 || memcmp($0.baseAddress!, key.baseAddress!, key.count) == 0 }
    }

    public func parse(_ record: ArraySlice<UInt8>, event: consuming Event, into output: inout [Event]) throws {
        var e = event
        let fieldsBefore = e.fields.count
        e.fields.reserveCapacity(fieldsBefore + fieldCount.reserve)
        index.begin(e.fields)
        // Top-level string members without escapes stay spans of the record (zero-copy)
        // when the record lies inside the event's `original`.
        let base = RecordCursor.spanBase(of: record, in: e)
        try record.withUnsafeBufferPointer { buf in
            var s = JSONScanner(buf)
            guard s.peek() == UInt8(ascii: "{") else {
                if s.atEnd { throw ParseFailure("empty_record", "no JSON object") }
                throw ParseFailure("not_an_object", "expected a JSON object at byte \(s.index)")
            }
            var previous: UInt32 = 0
            do {
                try s.readObject { (s, key) in
                    if self.isTimestampField(key) {
                        let v = try s.readValue(interner: self.interner)
                        if let t = self.timestampFormat.nanos(v) { e.timestamp = t }
                        if !self.keepTimestamp { return }
                        guard let k = self.interner.key(key) else { return }
                        self.index.setAssumingUnique(k, v, in: &e.fields)
                        return
                    }
                    let mark = s.overflow.count
                    guard let k = self.predictor.key(key, after: &previous) else {
                        let name = String(decoding: key, as: UTF8.self)
                        let v = try s.readValue(interner: self.interner)
                        s.prefixOverflow(from: mark, with: name)
                        s.overflow.append((name, v))
                        return
                    }
                    let v = try s.readValue(interner: self.interner, spanBase: base)
                    if s.overflow.count > mark { s.prefixOverflow(from: mark, with: k.path) }
                    // Room was reserved in `e.fields` above and no copy of it is made here.
                    self.index.setAssumingUnique(k, v, in: &e.fields)
                }
                s.skipWhitespace()
                guard s.atEnd else { throw s.error("unexpected data after the object") }
            } catch let err as JSONError {
                throw ParseFailure("invalid_json", err.description)
            }
            OverflowFields.add(s.overflow, to: &e)
        }
        fieldCount.record(e.fields.count - fieldsBefore)
        output.append(consume e)
    }
}
