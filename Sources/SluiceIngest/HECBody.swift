import SluiceCore

/// Splits a Splunk HEC request body into records.
///
/// `/services/collector/event`: one or more JSON objects, concatenated with optional
/// whitespace between them (`{"event":{...}}{"event":{...}}`), each with an `event` member
/// that is not null or an empty string; each object is one record, kept verbatim (the
/// `github-audit` parser reads the envelope: `event`, `time`, `host`, `source`,
/// `sourcetype`, `index`). `/services/collector/raw`: one record per line (`\n`, with a
/// trailing `\r` removed), blank lines skipped.
///
/// Guarantees: records are returned in body order as ranges of the body (no copy); as
/// Splunk does, splitting stops at the first bad object and reports its zero-based number
/// with the HEC status code, and the records before it are still returned.
enum HECBody {
    /// A rejected object: HEC `code`/`text` and the zero-based number of the object.
    struct Problem: Equatable {
        var code: Int
        var text: String
        var eventNumber: Int
    }

    static func splitEvents(_ body: [UInt8]) -> (records: [Range<Int>], problem: Problem?) {
        var records: [Range<Int>] = []
        var problem: Problem?
        body.withUnsafeBufferPointer { buf in
            var s = JSONScanner(buf)
            s.maxDepth = 64
            while true {
                guard let c = s.peek() else { return }
                let n = records.count
                guard c == UInt8(ascii: "{") else {
                    problem = Problem(code: 6, text: "Invalid data format", eventNumber: n)
                    return
                }
                let start = s.index
                var event = EventMember.missing
                do {
                    try s.readObject { (s, key) in
                        if key.count == 5, key.elementsEqual("event".utf8) {
                            switch s.peek() {
                            case UInt8(ascii: "n"): event = .blank
                            case UInt8(ascii: "\""):
                                let r = try s.rawStringRange()
                                event = r.end > r.start ? .present : .blank
                                return
                            default: event = .present
                            }
                        }
                        try s.skipValue()
                    }
                } catch {
                    problem = Problem(code: 6, text: "Invalid data format", eventNumber: n)
                    return
                }
                switch event {
                case .missing:
                    problem = Problem(code: 12, text: "Event field is required", eventNumber: n)
                    return
                case .blank:
                    problem = Problem(code: 13, text: "Event field cannot be blank", eventNumber: n)
                    return
                case .present:
                    records.append(start..<s.index)
                }
            }
        }
        return (records, problem)
    }

    private enum EventMember { case missing, blank, present }

    static func splitRaw(_ body: [UInt8]) -> [Range<Int>] {
        var records: [Range<Int>] = []
        var start = 0
        let n = body.count
        body.withUnsafeBufferPointer { buf in
            while start < n {
                var end = start
                while end < n && buf[end] != 0x0A { end += 1 }
                var last = end
                if last > start && buf[last - 1] == 0x0D { last -= 1 }
                var blank = true
                for i in start..<last where buf[i] != 0x20 && buf[i] != 0x09 { blank = false; break }
                if !blank { records.append(start..<last) }
                start = end + 1
            }
        }
        return records
    }

    /// Reads `{"acks": [0, 1, 2]}` (the body of `/services/collector/ack`); nil when malformed.
    /// At most `limit` ids are read.
    static func ackIDs(_ body: [UInt8], limit: Int) -> [UInt64]? {
        body.withUnsafeBufferPointer { buf -> [UInt64]? in
            var s = JSONScanner(buf)
            var ids: [UInt64]?
            do {
                try s.readObject { (s, key) in
                    guard key.elementsEqual("acks".utf8), s.peek() == UInt8(ascii: "[") else { try s.skipValue(); return }
                    s.index += 1
                    var out: [UInt64] = []
                    if s.peek() == UInt8(ascii: "]") { s.index += 1; ids = out; return }
                    while true {
                        guard case .int(let v) = try s.readNumber(), v >= 0 else { throw s.error("ack id is not a non-negative integer") }
                        if out.count < limit { out.append(UInt64(v)) }
                        guard let c = s.peek() else { throw s.error("unexpected end") }
                        s.index += 1
                        if c == UInt8(ascii: ",") { continue }
                        if c == UInt8(ascii: "]") { break }
                        throw s.error("expected ',' or ']'")
                    }
                    ids = out
                }
                guard s.peek() == nil else { return nil }
            } catch { return nil }
            return ids
        }
    }
}
