import XCTest
@testable import SluiceCore
@testable import SluiceParse

final class FieldCountHintTests: XCTestCase {
    func testReservationFollowsTheWidestRecordOfTheLastTwoWindows() {
        var h = FieldCountHint(minimum: 24, maximum: 256, window: 4)
        XCTAssertEqual(h.reserve, 24, "before any record: the minimum")
        h.record(10)
        XCTAssertEqual(h.reserve, 24, "narrow records never go below the minimum")
        h.record(26)
        XCTAssertEqual(h.reserve, 26, "a wider record raises it at once")
        h.record(23); h.record(23)          // window 1 ends: its widest was 26
        XCTAssertEqual(h.reserve, 26)
        h.record(40)
        XCTAssertEqual(h.reserve, 40)
        for _ in 0..<3 { h.record(23) }     // window 2 ends: its widest was 40
        XCTAssertEqual(h.reserve, 40, "the window that saw the wide record still counts")
        for _ in 0..<4 { h.record(23) }     // window 3 ends: only 23s
        XCTAssertEqual(h.reserve, 24, "two windows later the wide record no longer counts (back to the minimum)")
        for _ in 0..<4 { h.record(30) }
        XCTAssertEqual(h.reserve, 30)
        h.record(100_000)
        XCTAssertEqual(h.reserve, 256, "bounded: one huge record cannot make every event reserve it")
    }

    /// Records of 40 top-level members: after the first, each event's fields are reserved at
    /// the right size, so the list never doubles while a record is read (with a fixed 24 it
    /// grew to 50 slots and moved its fields once per event). Output is unchanged.
    func testJSONParserReservesWhatItsRecordsNeed() throws {
        let p = JSONParser()
        let record = "{" + (0..<40).map { #""member_\#($0)":\#($0)"# }.joined(separator: ",") + "}"
        let bytes = ArraySlice(Array(record.utf8))
        var capacities: [Int] = []
        for _ in 0..<3 {
            var out: [Event] = []
            var source = Event(original: bytes)
            source.fields.append(Field(ECS.logFilePath, .string("/var/log/audit.json")))
            try p.parse(bytes, event: source, into: &out)
            XCTAssertEqual(out[0].fields.count, 41)
            XCTAssertEqual(out[0][FieldKey("member_39")], .int(39))
            XCTAssertEqual(out[0][ECS.logFilePath], .string("/var/log/audit.json"))
            capacities.append(out[0].fields.capacity)
        }
        XCTAssertGreaterThanOrEqual(capacities[0], 41)
        XCTAssertEqual(capacities[1], 41, "the second record's fields were reserved exactly: no growth while reading it")
        XCTAssertEqual(capacities[2], 41)
    }
}
