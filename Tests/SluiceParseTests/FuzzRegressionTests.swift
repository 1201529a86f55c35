import XCTest
import SluiceCore
@testable import SluiceParse

/// Inputs found by the libFuzzer targets (Fuzz/) that crashed a parser; each must now parse
/// or fail with a reason.
final class FuzzRegressionTests: XCTestCase {
    /// Years outside Int64 nanoseconds (1677…2262) overflowed `Timestamp.make` (a trap).
    func testYearsOutsideTheInt64NanosecondRange() throws {
        let syslog = SyslogParser(now: { 0 })
        ParseTest.fails(syslog, "<13>1 9999-12-31T23:59:59Z h a - - - x", reason: "invalid_rfc5424")
        ParseTest.fails(syslog, "<13>1 0001-01-01T00:00:00Z h a - - - x", reason: "invalid_rfc5424")
        var base = Event(); base.timestamp = 3
        let e = try XCTUnwrap(try ParseTest.run(syslog, "9999-11-23T02:08:35Z web01 nginx: x", base: base).first)
        XCTAssertEqual(e.timestamp, 3)
        XCTAssertEqual(try XCTUnwrap(try ParseTest.run(syslog, "<13>Nov 23 9999 02:08:35 h app: x", base: base).first).timestamp, 3)

        let gh = GitHubAuditParser()
        let g = try XCTUnwrap(try ParseTest.run(gh, #"{"action":"repo.create","created_at":"9999-12-31T23:59:59Z"}"#, base: base).first)
        XCTAssertEqual(g.timestamp, 3)
        XCTAssertNil(Timestamp.parseRFC3339("9999-12-31T23:59:59Z"))
        XCTAssertNotNil(Timestamp.parseRFC3339("2200-12-31T23:59:59Z"))

        let cef = CEFParser(now: { 0 })
        let c = try XCTUnwrap(try ParseTest.run(cef, "CEF:0|v|p|1|s|n|5|rt=Nov 23 9999 02:08:35", base: base).first)
        XCTAssertEqual(c.timestamp, 3)
        let c2 = try XCTUnwrap(try ParseTest.run(cef, "CEF:0|v|p|1|s|n|5|rt=9999-11-23T02:08:35Z", base: base).first)
        XCTAssertEqual(c2.timestamp, 3)

        let json = JSONParser()
        XCTAssertEqual(try XCTUnwrap(try ParseTest.run(json, #"{"@timestamp":"5000-01-01T00:00:00Z"}"#, base: base).first).timestamp, 3)
    }
}
