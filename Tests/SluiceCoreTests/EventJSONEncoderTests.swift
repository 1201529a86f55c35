import Foundation
import SluiceTestSupport
import XCTest
@testable import SluiceCore

final class EventJSONEncoderTests: XCTestCase {
    func encode(_ e: Event, original: Bool = true) -> String {
        var out: [UInt8] = []
        EventJSONEncoder(includeOriginal: original).encode(e, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    func testNestsDottedFieldsIntoObjects() throws {
        var e = Event(timestamp: Timestamp.make(year: 2026, month: 11, day: 23, hour: 2, minute: 8, second: 35, nanos: 123_000_000))
        e[ECS.eventAction] = .string("git.clone")
        e[ECS.userName] = .string("alice")
        e[ECS.eventDataset] = .string("github.audit")
        e[ECS.sourceIP] = .string("203.0.113.10")
        e[FieldKey("github.repo")] = .string("acme/payments-api")
        e[ECS.sourcePort] = .int(443)
        let s = encode(e)
        XCTAssertEqual(s, #"{"@timestamp":"2026-11-23T02:08:35.123Z","event":{"action":"git.clone","dataset":"github.audit"},"user":{"name":"alice"},"source":{"ip":"203.0.113.10","port":443},"github":{"repo":"acme/payments-api"}}"#)
        // And it is valid JSON with the nesting a SIEM expects.
        let obj = try JSONSerialization.jsonObject(with: Data(s.utf8)) as! [String: Any]
        XCTAssertEqual((obj["source"] as! [String: Any])["port"] as? Int, 443)
    }

    func testOriginalGoesUnderEventAndInvalidUTF8IsRepaired() throws {
        var e = Event(original: ArraySlice([0x61, 0xFF, 0x22, 0x0A]))
        e[ECS.eventAction] = .string("x")
        let s = encode(e)
        XCTAssertEqual(s, "{\"event\":{\"action\":\"x\",\"original\":\"a\u{FFFD}\\\"\\n\"}}")
        XCTAssertNoThrow(try JSONSerialization.jsonObject(with: Data(s.utf8)))
    }

    func testEscapesControlCharactersAndQuotes() throws {
        var e = Event()
        e[ECS.message] = .string("a\"b\\c\u{0}\u{1F}\r\n\t")
        let s = encode(e)
        XCTAssertEqual(s, #"{"message":"a\"b\\c\u0000\u001f\r\n\t"}"#)
        let obj = try JSONSerialization.jsonObject(with: Data(s.utf8)) as! [String: Any]
        XCTAssertEqual(obj["message"] as? String, "a\"b\\c\u{0}\u{1F}\r\n\t")
    }

    /// Plain members are written in one piece (`writeFlat`); every event, including those it
    /// hands to the general writer (control bytes, invalid UTF-8, doubles, arrays, objects),
    /// comes out byte for byte as the general writer alone writes it, into a buffer that
    /// already holds output.
    func testOnePieceWriterAgreesWithTheGeneralWriter() {
        // Ends in non-ASCII text: spans over it are valid UTF-8, or cut a character in two.
        let uni = Array("café ☕ naïve".utf8)
        let record = Array(#"{"actor":"alice","repo":"acme/api","ua":"git/2.43.0 \"x\"","bad":"\#u{1}","n":""#.utf8) + uni + Array(#""}"#.utf8)
        let uniStart = UInt32(record.count - uni.count - 2)
        var events: [Event] = []
        var rng = SplitMix(seed: 7)
        let values: [FieldValue] = [
            .string(""), .string("alice"), .string("quote\" back\\slash\ttab"), .string("bell\u{7}"),
            .string("caf\u{E9} \u{1F600}"), .int(0), .int(-1), .int(Int64.min), .int(Int64.max), .int(443),
            .bool(true), .bool(false), .null, .double(1.5), .array([.string("a"), .int(2)]),
            .object([Field(FieldKey("country_code"), .string("US"))]),
            .span(RecordSpan(start: 10, count: 5)), .span(RecordSpan(start: 26, count: 8)),
            .span(RecordSpan(start: 42, count: 19)), .span(RecordSpan(start: 70, count: 1)),
            .span(RecordSpan(start: 0, count: 0)), .span(RecordSpan(start: 900, count: 3)),
            .span(RecordSpan(start: uniStart, count: UInt32(uni.count))), .span(RecordSpan(start: uniStart + 4, count: 2)),
        ]
        // Member names of 1 to 48 bytes, some longer than a sixteen-byte block.
        let keys = ["user.name", "event.action", "source.ip", "source.port", "github.repo", "message", "tags", "x",
                    "github.repository_visibility_changed_at", "github.programmatic_access_type_of_the_token_used"]
        for i in 0..<400 {
            var e = Event(timestamp: i % 3 == 0 ? 0 : 1_763_863_200_000_000_000 + Int64(i), original: i % 4 == 0 ? [] : record[...])
            for _ in 0..<(1 + Int(rng.next() % 6)) {
                e[FieldKey(keys[Int(rng.next() % UInt64(keys.count))])] = values[Int(rng.next() % UInt64(values.count))]
            }
            if i % 5 == 0 { var bad = record; bad[3] = 0xFF; e.original = bad[...] }
            events.append(e)
        }
        for original in [true, false] {
            let fast = EventJSONEncoder(includeOriginal: original)
            let slow = EventJSONEncoder(includeOriginal: original)
            slow.writesFlat = false
            var a: [UInt8] = Array("prefix,".utf8), b: [UInt8] = Array("prefix,".utf8)
            for e in events {
                fast.encode(e, into: &a); a.append(0x0A)
                slow.encode(e, into: &b); b.append(0x0A)
            }
            XCTAssertEqual(String(decoding: a, as: UTF8.self), String(decoding: b, as: UTF8.self), "includeOriginal \(original)")
        }
    }

    /// Both write what `String(v)` does: every power of ten and its neighbours (each digit
    /// count's edges), both signs, the extremes and random values.
    func testWriteIntMatchesAppendInt() {
        var values: [Int64] = [0, 1, -1, 443, 12345, 1_763_863_200_123, Int64.max, Int64.min, Int64.min + 1]
        var p: Int64 = 1
        for _ in 0..<19 {
            for v in [p - 1, p, p + 1] { values += [v, -v] }
            if p <= Int64.max / 10 { p *= 10 }
        }
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<2000 { values.append(Int64.random(in: Int64.min...Int64.max, using: &rng) >> Int64.random(in: 0...62, using: &rng)) }
        for v in values {
            var a: [UInt8] = []
            JSONWriter.appendInt(v, to: &a)
            XCTAssertEqual(String(decoding: a, as: UTF8.self), String(v))
            var b = [UInt8](repeating: 0xEE, count: 21)
            let n = b.withUnsafeMutableBufferPointer { JSONWriter.writeInt(v, to: $0.baseAddress!) }
            XCTAssertEqual(String(decoding: b[..<n], as: UTF8.self), String(v))
            XCTAssertEqual(b[n...].filter { $0 != 0xEE }.count, 0, "\(v): nothing written past the number")
            XCTAssertEqual(JSONWriter.decimalDigits(v.magnitude), String(v.magnitude).count, "\(v)")
        }
    }

    func testSameShapeReusesPlanAndDifferentShapesStayCorrect() {
        let enc = EventJSONEncoder()
        for i in 0..<3 {
            var e = Event()
            e[ECS.userName] = .string("u\(i)")
            if i == 1 { e[ECS.hostName] = .string("h") }
            var out: [UInt8] = []
            enc.encode(e, into: &out)
            let expected = i == 1 ? #"{"user":{"name":"u1"},"host":{"name":"h"}}"# : #"{"user":{"name":"u\#(i)"}}"#
            XCTAssertEqual(String(decoding: out, as: UTF8.self), expected)
        }
    }

    /// One encoder over events whose keys change from one to the next (and back), with and
    /// without an original, writes what a new encoder writes for each: the plan kept from the
    /// last event is used only for the same keys and the same original choice.
    func testShapesChangingFromEventToEventEncodeAsAlone() {
        func event(_ keys: [(String, FieldValue)], original: String) -> Event {
            var e = Event(timestamp: 1_763_863_715_000_000_000, original: ArraySlice(Array(original.utf8)))
            for (k, v) in keys { e.fields.append(Field(FieldKey(k), v)) }
            return e
        }
        let a = event([("user.name", .string("alice")), ("source.ip", .string("203.0.113.7"))], original: "")
        let aRaw = event([("user.name", .string("alice")), ("source.ip", .string("203.0.113.7"))], original: #"{"raw":1}"#)
        let b = event([("user.name", .string("bob")), ("source.ip", .string("198.51.100.2")), ("source.port", .int(443))], original: "")
        let c = event([("source.ip", .string("198.51.100.2")), ("user.name", .string("bob"))], original: "")
        let shared = EventJSONEncoder(includeOriginal: true)
        for e in [a, a, b, aRaw, a, c, c, b, aRaw, aRaw, a] {
            var got: [UInt8] = [], want: [UInt8] = []
            shared.encode(e, into: &got)
            EventJSONEncoder(includeOriginal: true).encode(e, into: &want)
            XCTAssertEqual(String(decoding: got, as: UTF8.self), String(decoding: want, as: UTF8.self))
        }
    }

    func testNestedValuesArraysAndNumbers() {
        var e = Event()
        e[ECS.relatedIP] = .array([.string("10.0.0.1"), .string("10.0.0.2")])
        e[FieldKey("github.actor_location")] = .object([Field(FieldKey("country_code"), .string("US"))])
        e[FieldKey("n.d")] = .double(1.5)
        e[FieldKey("n.neg")] = .int(-42)
        e[FieldKey("n.b")] = .bool(false)
        e[FieldKey("n.z")] = .null
        XCTAssertEqual(encode(e), #"{"related":{"ip":["10.0.0.1","10.0.0.2"]},"github":{"actor_location":{"country_code":"US"}},"n":{"d":1.5,"neg":-42,"b":false,"z":null}}"#)
    }
}

/// Issue 15: output keys never repeat, and the plan cache is bounded by bytes.
final class EventJSONEncoderHardeningTests: XCTestCase {
    func encode(_ e: Event, original: Bool = true) -> String {
        var out: [UInt8] = []
        EventJSONEncoder(includeOriginal: original).encode(e, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Member names of every object in a JSON text, per object (a tiny reader: enough to
    /// see a name written twice, which JSONSerialization silently collapses).
    func duplicateNames(_ s: String) -> [String] {
        var dups: [String] = []
        var stack: [Set<String>] = []
        var i = s.startIndex
        var expectingKey = false
        while i < s.endIndex {
            let c = s[i]
            if c == "{" { stack.append([]); expectingKey = true }
            else if c == "}" { stack.removeLast(); expectingKey = false }
            else if c == "," { expectingKey = !stack.isEmpty }
            else if c == "[" { expectingKey = false }
            else if c == "\"" {
                var j = s.index(after: i)
                var text = ""
                while s[j] != "\"" { if s[j] == "\\" { j = s.index(after: j) }; text.append(s[j]); j = s.index(after: j) }
                if expectingKey, !stack.isEmpty {
                    if !stack[stack.count - 1].insert(text).inserted { dups.append(text) }
                    expectingKey = false
                }
                i = j
            }
            i = s.index(after: i)
        }
        return dups
    }

    func testNestedObjectAndDottedFieldsMergeIntoOneObject() throws {
        // What a JSON payload over syslog gives: the payload's nested `source` object, and the
        // listener's dotted `source.ip` / `source.port`.
        var e = Event(timestamp: Timestamp.make(year: 2026, month: 11, day: 23, hour: 2, minute: 8, second: 35))
        e.fields.append(Field(ECS.sourceIP, .string("10.1.2.3")))
        e.fields.append(Field(FieldKey("source"), .object([Field(FieldKey("geo"), .object([Field(FieldKey("country_iso_code"), .string("NL"))])),
                                                             Field(FieldKey("bytes"), .int(42))])))
        e.fields.append(Field(ECS.sourcePort, .int(51514)))
        e.fields.append(Field(ECS.eventAction, .string("git.clone")))
        let s = encode(e)
        XCTAssertEqual(duplicateNames(s), [], s)
        let obj = try JSONSerialization.jsonObject(with: Data(s.utf8)) as! [String: Any]
        let source = try XCTUnwrap(obj["source"] as? [String: Any])
        XCTAssertEqual(source["ip"] as? String, "10.1.2.3")
        XCTAssertEqual(source["port"] as? Int, 51514)
        XCTAssertEqual(source["bytes"] as? Int, 42)
        XCTAssertEqual((source["geo"] as? [String: Any])?["country_iso_code"] as? String, "NL")
        XCTAssertEqual((obj["event"] as? [String: Any])?["action"] as? String, "git.clone")
    }

    func testKeySetTwiceAndTimestampFieldAreWrittenOnce() throws {
        var e = Event(timestamp: Timestamp.make(year: 2026, month: 11, day: 23, hour: 2, minute: 8, second: 35),
                      original: ArraySlice(Array("raw".utf8)))
        e.fields.append(Field(ECS.userName, .string("first")))
        e.fields.append(Field(FieldKey("@timestamp"), .string("spoofed")))
        e.fields.append(Field(ECS.userName, .string("second")))
        e.fields.append(Field(FieldKey("event"), .object([Field(FieldKey("original"), .string("forged")), Field(FieldKey("kind"), .string("event"))])))
        let s = encode(e)
        XCTAssertEqual(duplicateNames(s), [], s)
        let obj = try JSONSerialization.jsonObject(with: Data(s.utf8)) as! [String: Any]
        XCTAssertEqual(obj["@timestamp"] as? String, "2026-11-23T02:08:35.000Z", "the event time wins")
        XCTAssertEqual((obj["user"] as? [String: Any])?["name"] as? String, "second", "the later value wins")
        XCTAssertEqual((obj["event"] as? [String: Any])?["original"] as? String, "raw", "event.original is the record")
        XCTAssertEqual((obj["event"] as? [String: Any])?["kind"] as? String, "event")
    }

    /// 1,000 key orders of a wide event took 963 MB in the plan cache; it is bounded by bytes.
    func testPlanCacheIsBoundedByBytes() throws {
        let keys = (0..<2000).map { FieldKey("wide.field_\($0)_" + String(repeating: "n", count: 110)) }
        let encoder = EventJSONEncoder(includeOriginal: false)
        var out: [UInt8] = []
        let before = Self.residentBytes()
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<180 {
            var e = Event()
            for k in keys.shuffled(using: &rng) { e.fields.append(Field(k, .int(1))) }
            out.removeAll(keepingCapacity: true)
            encoder.encode(e, into: &out)
        }
        let grown = Self.residentBytes() - before
        // Unbounded, 180 plans of 2,000 long names keep about 50 MiB.
        XCTAssertLessThan(grown, 30 << 20, "the plan cache kept \(grown >> 20) MiB for 180 key orders")
    }

    static func residentBytes() -> Int {
        guard let s = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = s.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kb = Int(line.split(separator: " ").dropFirst().first ?? "") else { return 0 }
        return kb * 1024
    }
}
