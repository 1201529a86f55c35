import XCTest
@testable import SluiceCore
@testable import SluiceParse

final class JSONParserTests: XCTestCase {
    func parse(_ s: String, _ p: JSONParser = JSONParser()) throws -> Event {
        var out: [Event] = []
        let bytes = ArraySlice(Array(s.utf8))
        try p.parse(bytes, event: Event(original: bytes), into: &out)
        XCTAssertEqual(out.count, 1)
        return out[0]
    }

    func testFieldsAndEpochMillisecondTimestamp() throws {
        let e = try parse(#"{"@timestamp":1763863200123,"action":"git.clone","actor":"alice","actor_location":{"country_code":"US"},"token_id":881234}"#)
        XCTAssertEqual(e.timestamp, 1_763_863_200_123_000_000)
        XCTAssertEqual(e[FieldKey("action")], .string("git.clone"))
        XCTAssertEqual(e.value(at: "actor_location.country_code"), .string("US"))
        XCTAssertEqual(e[FieldKey("token_id")], .int(881234))
        XCTAssertNil(e[FieldKey("@timestamp")], "the timestamp becomes the event time, not a field")
    }

    func testTimestampFormats() throws {
        XCTAssertEqual(try parse(#"{"t":"2026-11-23T02:08:35Z"}"#, JSONParser(timestampField: "t")).timestamp,
                       Timestamp.make(year: 2026, month: 11, day: 23, hour: 2, minute: 8, second: 35))
        XCTAssertEqual(try parse(#"{"t":1763863200}"#, JSONParser(timestampField: "t")).timestamp, 1_763_863_200_000_000_000)
        XCTAssertEqual(try parse(#"{"t":1763863200.5}"#, JSONParser(timestampField: "t", timestampFormat: .unix)).timestamp, 1_763_863_200_500_000_000)
        let kept = try parse(#"{"t":"garbage","x":1}"#, JSONParser(timestampField: "t", keepTimestamp: true))
        XCTAssertEqual(kept.timestamp, 0, "an unreadable timestamp leaves the event time unset")
        XCTAssertEqual(kept[FieldKey("t")], .string("garbage"))
        XCTAssertEqual(try parse(#"{"t":"9999-01-01T00:00:00Z"}"#, JSONParser(timestampField: "t")).timestamp, 0)
        XCTAssertEqual(try parse(#"{"t":99999999999999999999}"#, JSONParser(timestampField: "t")).timestamp, 0)
    }

    func testMalformedRecordsFailWithReasons() {
        let cases: [(String, String)] = [("", "empty_record"), ("[1]", "not_an_object"), (#"{"a":1"#, "invalid_json"),
                                          (#"{"a":1} x"#, "invalid_json"), ("{\"a\":\"\u{01}\"}", "invalid_json")]
        for (input, reason) in cases {
            XCTAssertThrowsError(try parse(input), input) { e in
                XCTAssertEqual((e as? ParseFailure)?.reason, reason, input)
            }
        }
    }

    func testSourceFieldsAreKeptAndNotDuplicated() throws {
        var base = Event(original: ArraySlice(Array(#"{"log":"x","a":1}"#.utf8)))
        base[ECS.logFilePath] = .string("/var/log/a.log")
        var out: [Event] = []
        try JSONParser().parse(base.original, event: base, into: &out)
        XCTAssertEqual(out[0][ECS.logFilePath], .string("/var/log/a.log"))
        XCTAssertEqual(out[0].fields.count, 3)
    }
}

/// Issue 15: hostile records cost linear time and bounded memory, and never fail for names.
final class JSONParserHardeningTests: XCTestCase {
    /// An event as `run` and `replay` hand it to the parser: it already holds source fields.
    func sourceEvent(_ record: [UInt8]) -> Event {
        var e = Event(original: ArraySlice(record))
        e[ECS.logFilePath] = .string("/var/log/app/events.jsonl")
        e[ECS.sluiceSource] = .string("app_logs")
        return e
    }

    /// Complexity guard (not a benchmark): inserting 30,000 members one by one with a
    /// linear scan each took minutes in a debug build; linear insertion takes well under a
    /// second. The bound is twenty times what the linear parse needs on a loaded machine.
    func testWideRecordIsParsedInLinearTime() throws {
        var text = "{"
        for i in 0..<30_000 { text += (i > 0 ? "," : "") + "\"member_\(i)\":\(i)" }
        text += "}"
        let bytes = Array(text.utf8)
        var out: [Event] = []
        let start = Date()
        try JSONParser().parse(ArraySlice(bytes), event: sourceEvent(bytes), into: &out)
        let took = Date().timeIntervalSince(start)
        XCTAssertLessThan(took, 15, "a 30,000-member record took \(took)s")
        XCTAssertEqual(out[0].fields.count, 30_002)
        XCTAssertEqual(out[0][FieldKey("member_29999")], .int(29_999))
        XCTAssertEqual(out[0][ECS.logFilePath], .string("/var/log/app/events.jsonl"))
    }

    /// One parser over records whose member order changes (names are predicted by position):
    /// every record gets its own names, and the timestamp is found wherever it stands.
    func testMemberOrderChangesBetweenRecords() throws {
        let p = JSONParser()
        let records = [
            #"{"@timestamp":1763863200123,"action":"git.clone","actor":"alice","n":1}"#,
            #"{"@timestamp":1763863200124,"action":"git.clone","actor":"alice","n":2}"#,
            #"{"actor":"bob","@timestamp":1763863200125,"n":3,"action":"git.push"}"#,
            #"{"actress":"carol","actor":"dave","@timestamP":7,"n":4}"#,
            #"{"x":"y","@timestamp":1763863200126,"actor":"erin"}"#,
        ]
        let events: [Event] = try records.map { text in
            let bytes = ArraySlice(Array(text.utf8))
            var out: [Event] = []
            try p.parse(bytes, event: Event(original: bytes), into: &out)
            return out[0]
        }
        XCTAssertEqual(events.map { $0.timestamp }, [1_763_863_200_123_000_000, 1_763_863_200_124_000_000, 1_763_863_200_125_000_000, 0, 1_763_863_200_126_000_000])
        XCTAssertEqual(events.map { $0.string(FieldKey("actor")) }, ["alice", "alice", "bob", "dave", "erin"])
        XCTAssertEqual(events[2].string(FieldKey("action")), "git.push")
        XCTAssertEqual(events[3].string(FieldKey("actress")), "carol")
        XCTAssertEqual(events[3][FieldKey("@timestamP")], .int(7), "not the timestamp field: a field of its own")
        XCTAssertEqual(events[4].string(FieldKey("x")), "y")
        XCTAssertEqual(events.map { $0.fields.count }, [3, 3, 3, 4, 2])
    }

    func testRepeatedMembersKeepTheLastValueOnce() throws {
        let bytes = Array(#"{"a":1,"b":2,"a":3,"o":{"x":1,"x":2}}"#.utf8)
        var out: [Event] = []
        try JSONParser().parse(ArraySlice(bytes), event: sourceEvent(bytes), into: &out)
        XCTAssertEqual(out[0].fields.filter { $0.key == FieldKey("a") }.map(\.value), [.int(3)])
        XCTAssertEqual(out[0][FieldKey("o")], .object([Field(FieldKey("x"), .int(2))]))
    }

    /// 20,000 keys of 8 KB took 809 MB of names; long names now go under a generic field,
    /// counted, without growing the registry and without failing the record. (Checked by name:
    /// the registry is process-wide, and other tests' background work interns names meanwhile.)
    func testLongNamesGoToOverflowFieldsWithoutGrowingTheRegistry() throws {
        let parser = JSONParser()
        for r in 0..<50 {
            var text = "{\"action\":\"git.clone\""
            for i in 0..<20 { text += ",\"" + String(repeating: "k", count: 8192) + "_\(r)_\(i)\":\(i)" }
            text += ",\"nested\":{\"" + String(repeating: "n", count: 4096) + "\":true}}"
            let bytes = Array(text.utf8)
            var out: [Event] = []
            try parser.parse(ArraySlice(bytes), event: sourceEvent(bytes), into: &out)
            XCTAssertEqual(out[0][FieldKey("action")], .string("git.clone"))
            guard case .array(let items)? = out[0][FieldKey("sluice.overflow_fields")] else { return XCTFail("no sluice.overflow_fields") }
            XCTAssertEqual(items.count, 21)
            guard case .object(let first) = items[0] else { return XCTFail("\(items[0])") }
            XCTAssertEqual(first.first { $0.key == FieldKey("name") }?.value, .string(String(repeating: "k", count: 8192) + "_\(r)_0"))
            XCTAssertEqual(first.first { $0.key == FieldKey("value") }?.value, .int(0))
            guard case .object(let last) = items[20] else { return XCTFail("\(items[20])") }
            XCTAssertEqual(last.first { $0.key == FieldKey("name") }?.value, .string("nested." + String(repeating: "n", count: 4096)))
            for i in 0..<20 {
                XCTAssertNil(FieldRegistry.shared.lookup(String(repeating: "k", count: 8192) + "_\(r)_\(i)"), "a long name was interned")
            }
            XCTAssertNil(FieldRegistry.shared.lookup("nested." + String(repeating: "n", count: 4096)), "a long nested name was interned")
        }
        XCTAssertEqual(parser.counters.first { $0.name == "field_names_refused" }?.value, 50 * 21)
    }
}
