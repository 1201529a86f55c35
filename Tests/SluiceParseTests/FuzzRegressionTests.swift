import SluiceTestSupport
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
        let e = try XCTUnwrap(try ParserHarness.run(syslog, "9999-11-23T02:08:35Z web01 nginx: x", base: base).first)
        XCTAssertEqual(e.timestamp, 3)
        XCTAssertEqual(try XCTUnwrap(try ParserHarness.run(syslog, "<13>Nov 23 9999 02:08:35 h app: x", base: base).first).timestamp, 3)

        let gh = GitHubAuditParser()
        let g = try XCTUnwrap(try ParserHarness.run(gh, #"{"action":"repo.create","created_at":"9999-12-31T23:59:59Z"}"#, base: base).first)
        XCTAssertEqual(g.timestamp, 3)
        XCTAssertNil(Timestamp.parseRFC3339("9999-12-31T23:59:59Z"))
        XCTAssertNotNil(Timestamp.parseRFC3339("2200-12-31T23:59:59Z"))

        let cef = CEFParser(now: { 0 })
        let c = try XCTUnwrap(try ParserHarness.run(cef, "CEF:0|v|p|1|s|n|5|rt=Nov 23 9999 02:08:35", base: base).first)
        XCTAssertEqual(c.timestamp, 3)
        let c2 = try XCTUnwrap(try ParserHarness.run(cef, "CEF:0|v|p|1|s|n|5|rt=9999-11-23T02:08:35Z", base: base).first)
        XCTAssertEqual(c2.timestamp, 3)

        let json = JSONParser()
        XCTAssertEqual(try XCTUnwrap(try ParserHarness.run(json, #"{"@timestamp":"5000-01-01T00:00:00Z"}"#, base: base).first).timestamp, 3)
    }
}

/// Found by the per-format libFuzzer targets (`fuzz-squid`, and `fuzz-auto` through W3C).
final class DurationOverflowRegressionTests: XCTestCase {
    /// An 18-digit elapsed time overflowed `elapsed * 1_000_000` (a trap): the line still
    /// parses, without `event.duration`.
    func testSquidElapsedBeyondInt64NanosecondsIsLeftOut() throws {
        let e = try ParserHarness.one(SquidParser(), "1700000000.022 100017000000237430 10.0.13.64 NONE_NONE/000 0 - error:invalid-request - HIER_NONE/- -")
        XCTAssertNil(e[ECS.eventDuration])
        XCTAssertEqual(PB.str(e, "source.ip"), "10.0.13.64")
        let ok = try ParserHarness.one(SquidParser(), "1700000000.022   4521 10.0.13.64 TCP_MISS/200 10 GET http://a.example/ - HIER_DIRECT/1.2.3.4 -")
        XCTAssertEqual(PB.int(ok, "event.duration"), 4_521_000_000)
    }

    func testW3CTimeTakenBeyondInt64NanosecondsIsLeftOut() throws {
        let p = W3CProxyParser()
        _ = try ParserHarness.run(p, "#Fields: date time time-taken c-ip sc-status cs-method cs-host")
        let e = try ParserHarness.one(p, "2026-11-23 02:08:35 555555555555555555 10.0.0.5 200 GET github.com")
        XCTAssertNil(e[ECS.eventDuration])
        XCTAssertEqual(PB.str(e, "source.ip"), "10.0.0.5")
    }
}
