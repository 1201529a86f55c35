import XCTest
import SluiceCore
@testable import SluiceParse

/// `ParseTransform` (SluiceCore/Runtime): a record its parser refuses goes to dead letter as
/// it came in, whatever the parser had filled in before failing; the rest of the batch flows on.
final class ParseTransformTests: XCTestCase {
    let path = FieldValue.string("/var/log/github/audit.json")

    func event(_ record: String, at time: Int64) -> Event {
        var e = Event(timestamp: time, original: ArraySlice(Array(record.utf8)))
        e.fields.append(Field(ECS.logFilePath, path))
        return e
    }

    func transform(drop: Bool = false) throws -> ParseTransform {
        ParseTransform(format: "json", parser: try PB.make("json"), field: nil, dropOriginal: drop)
    }

    func testARefusedRecordIsDeadLetteredAsItCameIn() throws {
        let good = #"{"action":"git.clone","actor":"alice"}"#
        // Refused after two members were read into the event.
        let bad = #"{"action":"git.clone","actor":"bob","repo":"#
        for drop in [false, true] {
            let t = try transform(drop: drop)
            var batch = [event(good, at: 1), event(bad, at: 2), event(good, at: 3)]
            var out: [Event] = [], failures: [DeadLetter] = []
            t.process(taking: &batch, into: &out, failures: &failures)
            XCTAssertEqual(out.map(\.timestamp), [1, 3])
            XCTAssertEqual(out.map { $0[FieldKey("actor")] }, [.string("alice"), .string("alice")])
            XCTAssertEqual(failures.count, 1)
            let d = try XCTUnwrap(failures.first)
            XCTAssertEqual(d.reason, "invalid_json")
            XCTAssertEqual(d.parser, "json")
            XCTAssertEqual(Array(d.event.original), Array(bad.utf8), "the record, not dropped")
            XCTAssertEqual(d.event.timestamp, 2)
            XCTAssertEqual(d.event.fields.map(\.key), [ECS.logFilePath], "only what the source set")
            XCTAssertEqual(d.event[ECS.logFilePath], path)
            XCTAssertNil(d.event.alert)
        }
    }

    func testBothEntryPointsAgree() throws {
        let records = [#"{"a":1}"#, "not json", #"{"b":"#, #"[1]"#, #"{"c":true}"#]
        let t = try transform()
        var taken = records.enumerated().map { event($1, at: Int64($0)) }
        var out1: [Event] = [], f1: [DeadLetter] = []
        t.process(taking: &taken, into: &out1, failures: &f1)
        var out2: [Event] = [], f2: [DeadLetter] = []
        t.process(records.enumerated().map { event($1, at: Int64($0)) }, into: &out2, failures: &f2)
        XCTAssertEqual(out1.map(\.fields), out2.map(\.fields))
        XCTAssertEqual(f1.map(\.reason), ["not_an_object", "invalid_json", "not_an_object"])
        XCTAssertEqual(f1.map(\.reason), f2.map(\.reason))
        XCTAssertEqual(f1.map { Array($0.event.original) }, f2.map { Array($0.event.original) })
        XCTAssertEqual(f1.map(\.event.fields), f2.map(\.event.fields))
    }

    /// A second parse stage reading `original` after an earlier one dropped it: the record
    /// reads as empty and is refused; the dead letter keeps the event whole, spans included.
    func testAnEventWhoseOriginalWasDroppedKeepsItsSpansInTheDeadLetter() throws {
        let first = try transform(drop: true)
        var batch = [event(#"{"user":"alice"}"#, at: 5)]
        var parsed: [Event] = [], failures: [DeadLetter] = []
        first.process(taking: &batch, into: &parsed, failures: &failures)
        XCTAssertTrue(parsed[0].hasSpans)
        var out: [Event] = []
        try transform().process(taking: &parsed, into: &out, failures: &failures)
        XCTAssertEqual(out.count, 0)
        XCTAssertEqual(failures.map(\.reason), ["empty_record"])
        XCTAssertEqual(failures[0].event[FieldKey("user")], .string("alice"))
        XCTAssertEqual(failures[0].event[ECS.logFilePath], path)
    }
}
