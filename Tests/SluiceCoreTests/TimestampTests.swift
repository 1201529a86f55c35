import XCTest
@testable import SluiceCore

final class TimestampTests: XCTestCase {
    func testFormatsRFC3339() {
        XCTAssertEqual(Timestamp.rfc3339(0), "1970-01-01T00:00:00.000Z")
        XCTAssertEqual(Timestamp.rfc3339(1_763_863_200_123_000_000), "2025-11-23T02:00:00.123Z")
        XCTAssertEqual(Timestamp.rfc3339(1_763_863_200_123_456_000), "2025-11-23T02:00:00.123456Z")
        XCTAssertEqual(Timestamp.rfc3339(Timestamp.make(year: 2024, month: 2, day: 29, hour: 23, minute: 59, second: 59)), "2024-02-29T23:59:59.000Z")
        XCTAssertEqual(Timestamp.rfc3339(-1_000), "1969-12-31T23:59:59.999999Z", "before the epoch")
        // Appends after what the buffer holds, and parses back to the same microsecond.
        var out = Array("x".utf8)
        for t in stride(from: Int64(-2_000_000_000_000_000_000), through: 7_000_000_000_000_000_000, by: 77_777_777_777_777_001) {
            out.removeSubrange(1...)
            Timestamp.appendRFC3339(t, to: &out)
            XCTAssertEqual(out.first, UInt8(ascii: "x"))
            XCTAssertEqual(Timestamp.parseRFC3339(out.dropFirst()), t / 1_000 * 1_000 - (t % 1_000 < 0 ? 1_000 : 0), String(decoding: out, as: UTF8.self))
        }
    }

    func testParsesRFC3339Variants() {
        let base = Timestamp.make(year: 2026, month: 11, day: 23, hour: 2, minute: 8, second: 35)
        XCTAssertEqual(Timestamp.parseRFC3339("2026-11-23T02:08:35Z"), base)
        XCTAssertEqual(Timestamp.parseRFC3339("2026-11-23T03:08:35+01:00"), base)
        XCTAssertEqual(Timestamp.parseRFC3339("2026-11-22T21:08:35-0500"), base)
        XCTAssertEqual(Timestamp.parseRFC3339("2026-11-23T02:08:35.123456Z"), base + 123_456_000)
        XCTAssertEqual(Timestamp.parseRFC3339("2026-11-23 02:08:35"), base)
        XCTAssertNil(Timestamp.parseRFC3339("2026-13-23T02:08:35Z"))
        XCTAssertNil(Timestamp.parseRFC3339("2026-11-23T02:08:35Zjunk"))
        XCTAssertNil(Timestamp.parseRFC3339("Nov 23 02:08:35"))
        XCTAssertNil(Timestamp.parseRFC3339("9999-01-01T00:00:00Z"), "a year past 2262 does not fit Int64 ns: rejected, not a crash")
        XCTAssertNil(Timestamp.parseRFC3339("0001-01-01T00:00:00Z"))
    }

    func testCivilRoundTrip() {
        for days in stride(from: -800_000, through: 800_000, by: 997) {
            let (y, m, d) = Timestamp.civilFromDays(days)
            XCTAssertEqual(Timestamp.daysFromCivil(year: y, month: m, day: d), days)
        }
    }
}
