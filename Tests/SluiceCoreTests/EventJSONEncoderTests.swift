import Foundation
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
