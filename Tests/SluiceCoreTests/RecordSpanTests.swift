import Foundation
import XCTest
@testable import SluiceCore

/// Zero-copy text values (`FieldValue.span`): read through the event, written by the JSON
/// encoder, and never left pointing at bytes the event no longer holds.
final class RecordSpanTests: XCTestCase {
    let host = FieldKey("host.name")
    let msg = FieldKey("message")

    /// `<13>1 - web-01 - - - - hello "world"` with two spans: the host and the message.
    func makeEvent() -> Event {
        let line = Array(#"<13>1 - web-01 - - - - hello "world""#.utf8)
        var e = Event(original: line[...])
        e.append(host, .span(RecordSpan(start: 8, count: 6)))
        e.append(msg, .span(RecordSpan(start: 23, count: 13)))
        return e
    }

    func testAccessorsResolveSpansToStrings() {
        let e = makeEvent()
        XCTAssertTrue(e.hasSpans)
        XCTAssertEqual(e[host], .string("web-01"))
        XCTAssertEqual(e.string(msg), #"hello "world""#)
        XCTAssertEqual(e.value(at: "host.name"), .string("web-01"))
        // The raw value stays a span; the scalar accessors do not pretend it is text.
        XCTAssertEqual(e.fields[0].value, .span(RecordSpan(start: 8, count: 6)))
        XCTAssertNil(e.fields[0].value.stringValue)
    }

    func testSpansInsideArraysAndObjectsResolveToo() {
        var e = makeEvent()
        e.append(FieldKey("related.hosts"), .array([.span(RecordSpan(start: 8, count: 6)), .string("x")]))
        e.append(FieldKey("labels"), .object([Field(FieldKey("h"), .span(RecordSpan(start: 8, count: 3)))]))
        XCTAssertEqual(e[FieldKey("related.hosts")], .array([.string("web-01"), .string("x")]))
        XCTAssertEqual(e[FieldKey("labels")], .object([Field(FieldKey("h"), .string("web"))]))
        XCTAssertEqual(e.value(at: "labels.h"), .string("web"))
    }

    /// An event sliced out of a large read buffer gets storage of its own: same bytes, spans
    /// still spans and still right, and the slice no longer points into the buffer.
    func testCompactOriginalCopiesTheRecordOutOfItsBufferAndKeepsSpans() {
        var chunk = [UInt8](repeating: UInt8(ascii: "x"), count: 256 * 1024)
        let line = Array(#"<13>1 - web-01 - - - - hello "world""#.utf8)
        chunk.replaceSubrange(1000..<(1000 + line.count), with: line)
        var e = Event(original: chunk[1000..<(1000 + line.count)])
        e.append(host, .span(RecordSpan(start: 8, count: 6)))
        XCTAssertEqual(e.original.startIndex, 1000)
        e.compactOriginal()
        XCTAssertEqual(e.original.startIndex, 0, "the record is no longer a slice of the chunk")
        XCTAssertEqual(Array(e.original), line)
        XCTAssertEqual(e.fields[0].value, .span(RecordSpan(start: 8, count: 6)))
        XCTAssertEqual(e[host], .string("web-01"))
    }

    func testReplacingOrDroppingTheOriginalMaterializesSpans() {
        var e = makeEvent()
        e.original = []
        XCTAssertFalse(e.hasSpans)
        XCTAssertEqual(e.fields[0].value, .string("web-01"))
        XCTAssertEqual(e.string(msg), #"hello "world""#)

        var f = makeEvent()
        f.original = ArraySlice(Array("something else entirely, longer".utf8))
        XCTAssertEqual(f.string(host), "web-01")
    }

    func testASpanOutsideTheOriginalReadsAsEmptyNotOutOfBounds() {
        var e = Event(original: ArraySlice(Array("short".utf8)))
        e.append(host, .span(RecordSpan(start: 3, count: 100)))
        XCTAssertEqual(e.string(host), "")
        var out: [UInt8] = []
        EventJSONEncoder(includeOriginal: false).encode(e, into: &out)
        XCTAssertEqual(String(decoding: out, as: UTF8.self), #"{"host":{"name":""}}"#)
    }

    func testJSONOfASpanEqualsJSONOfTheSameString() throws {
        let e = makeEvent()
        var materialized = e
        materialized.materializeSpans()
        XCTAssertFalse(materialized.hasSpans)
        let enc = EventJSONEncoder(includeOriginal: true)
        var a: [UInt8] = [], b: [UInt8] = []
        enc.encode(e, into: &a)
        enc.encode(materialized, into: &b)
        XCTAssertEqual(String(decoding: a, as: UTF8.self), String(decoding: b, as: UTF8.self))
        let obj = try JSONSerialization.jsonObject(with: Data(a)) as! [String: Any]
        XCTAssertEqual(obj["message"] as? String, #"hello "world""#)
    }

    func testInvalidUTF8InASpanIsRepairedInJSON() throws {
        var e = Event(original: ArraySlice([0x61, 0xFF, 0x62, 0x0A]))
        e.append(msg, .span(RecordSpan(start: 0, count: 4)))
        var out: [UInt8] = []
        EventJSONEncoder(includeOriginal: false).encode(e, into: &out)
        let obj = try JSONSerialization.jsonObject(with: Data(out)) as! [String: Any]
        XCTAssertEqual(obj["message"] as? String, "a\u{FFFD}b\n")
        XCTAssertEqual(e.string(msg), "a\u{FFFD}b\n")
    }
}
