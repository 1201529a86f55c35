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
