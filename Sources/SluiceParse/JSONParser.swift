import SluiceCore

/// `json`: one JSON object per record; its members become the event's fields (nested
/// objects stay nested). The timestamp member (`timestamp_field`, default `@timestamp`,
/// read as `timestamp_format`, default `auto`) becomes the event time; when it is absent or
/// unreadable the event keeps the time its source gave it.
///
/// Options: `timestamp_field`, `timestamp_format` (auto, rfc3339, unix, unix_ms, unix_us,
/// unix_ns), `keep_timestamp_field` (default false).
/// Failures: `invalid_json` (with the byte offset), `not_an_object`, `too_many_fields`.
public final class JSONParser: Parser {
    let timestampField: [UInt8]
    let timestampFormat: TimestampFormat
    let keepTimestamp: Bool
    let interner = FieldKeyInterner()

    public init(timestampField: String = "@timestamp", timestampFormat: TimestampFormat = .auto, keepTimestamp: Bool = false) {
        self.timestampField = Array(timestampField.utf8)
        self.timestampFormat = timestampFormat
        self.keepTimestamp = keepTimestamp
    }

    public convenience init(options o: ComponentOptions) {
        self.init(timestampField: o.string("timestamp_field", default: "@timestamp"),
                  timestampFormat: o.choice("timestamp_format", default: TimestampFormat.auto),
                  keepTimestamp: o.bool("keep_timestamp_field", default: false))
    }

    public func parse(_ record: ArraySlice<UInt8>, event: consuming Event, into output: inout [Event]) throws {
        var e = event
        let fresh = e.fields.isEmpty
        e.fields.reserveCapacity(e.fields.count + 24)
        try record.withUnsafeBufferPointer { buf in
            var s = JSONScanner(buf)
            guard s.peek() == UInt8(ascii: "{") else {
                if s.atEnd { throw ParseFailure("empty_record", "no JSON object") }
                throw ParseFailure("not_an_object", "expected a JSON object at byte \(s.index)")
            }
            do {
                try s.readObject { (s, key) in
                    if key.elementsEqual(self.timestampField) {
                        let v = try s.readValue(interner: self.interner)
                        if let t = self.timestampFormat.nanos(v) { e.timestamp = t }
                        if !self.keepTimestamp { return }
                        guard let k = self.interner.key(key) else { return }
                        e[k] = v
                        return
                    }
                    guard let k = self.interner.key(key) else { throw s.error("too many distinct field names") }
                    let v = try s.readValue(interner: self.interner)
                    if fresh { e.append(k, v) } else { e[k] = v }
                }
                s.skipWhitespace()
                guard s.atEnd else { throw s.error("unexpected data after the object") }
            } catch let err as JSONError {
                throw ParseFailure(err.reason == "too many distinct field names" ? "too_many_fields" : "invalid_json", err.description)
            }
        }
        output.append(consume e)
    }
}
