import SluiceTestSupport
import XCTest
import SluiceCore
@testable import SluiceParse

final class ZeekDNSParserTests: XCTestCase {
    static let tsvHeader = [
        "#separator \\x09",
        "#set_separator\t,",
        "#empty_field\t(empty)",
        "#unset_field\t-",
        "#path\tdns",
        "#open\t2026-11-23-02-00-00",
        "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\ttrans_id\trtt\tquery\tqclass\tqclass_name\tqtype\tqtype_name\trcode\trcode_name\tAA\tTC\tRD\tRA\tZ\tanswers\tTTLs\trejected",
        "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tcount\tinterval\tstring\tcount\tstring\tcount\tstring\tcount\tstring\tbool\tbool\tbool\tbool\tcount\tvector[string]\tvector[interval]\tbool",
    ]
    static let tsvRow = "1700000000.123456\tCHhAvVGS1DHFjwGM9\t10.0.0.5\t53211\t10.0.0.1\t53\tudp\t12345\t0.012345\tgithub.com\t1\tC_INTERNET\t1\tA\t0\tNOERROR\tF\tF\tT\tT\t0\t140.82.112.3,140.82.112.4\t60.000000,60.000000\tF"

    func testTSVWithHeaders() throws {
        let p = ZeekDNSParser()
        for h in Self.tsvHeader { XCTAssertTrue(try ParserHarness.run(p, h).isEmpty) }
        let e = try ParserHarness.one(p, Self.tsvRow)
        XCTAssertEqual(e.timestamp, 1_700_000_000_123_456_000)
        XCTAssertEqual(PB.str(e, "source.ip"), "10.0.0.5")
        XCTAssertEqual(PB.int(e, "source.port"), 53211)
        XCTAssertEqual(PB.str(e, "destination.ip"), "10.0.0.1")
        XCTAssertEqual(PB.int(e, "destination.port"), 53)
        XCTAssertEqual(PB.str(e, "network.transport"), "udp")
        XCTAssertEqual(PB.str(e, "dns.id"), "12345")
        XCTAssertEqual(PB.str(e, "dns.question.name"), "github.com")
        XCTAssertEqual(PB.str(e, "dns.question.type"), "A")
        XCTAssertEqual(PB.str(e, "dns.question.class"), "C_INTERNET")
        XCTAssertEqual(PB.str(e, "dns.question.registered_domain"), "github.com")
        XCTAssertEqual(PB.str(e, "dns.response_code"), "NOERROR")
        XCTAssertEqual(e[PB.key("dns.header_flags")], .array([.string("RD"), .string("RA")]))
        XCTAssertEqual(e[ECS.dnsAnswers], .array([
            .object([Field(PB.key("data"), .string("140.82.112.3")), Field(PB.key("ttl"), .int(60))]),
            .object([Field(PB.key("data"), .string("140.82.112.4")), Field(PB.key("ttl"), .int(60))]),
        ]))
        XCTAssertEqual(e[PB.key("dns.resolved_ip")], .array([.string("140.82.112.3"), .string("140.82.112.4")]))
        XCTAssertEqual(PB.str(e, "zeek.session_id"), "CHhAvVGS1DHFjwGM9")
        XCTAssertEqual(PB.int(e, "event.duration"), 12_345_000)
        XCTAssertEqual(e[PB.key("zeek.dns.rejected")], .bool(false))
        XCTAssertEqual(PB.str(e, "event.dataset"), "zeek.dns")
        XCTAssertTrue(try ParserHarness.run(p, "#close\t2026-11-23-03-00-00").isEmpty)
    }

    func testUnsetEmptyAndCNAMEAnswers() throws {
        let p = ZeekDNSParser()
        for h in Self.tsvHeader { _ = try ParserHarness.run(p, h) }
        let e = try ParserHarness.one(p, "1700000001.000000\tC2\t10.0.0.6\t40000\t10.0.0.1\t53\ttcp\t7\t-\traw.githubusercontent.com\t1\tC_INTERNET\t28\tAAAA\t-\t-\tF\tF\tT\tF\t0\t(empty)\t(empty)\tF")
        XCTAssertNil(e[ECS.dnsAnswers])
        XCTAssertNil(e[ECS.dnsResponseCode])
        XCTAssertNil(e[ECS.eventDuration])
        XCTAssertEqual(PB.str(e, "dns.type"), "query")
        XCTAssertEqual(PB.str(e, "dns.question.registered_domain"), "raw.githubusercontent.com")
        let c = try ParserHarness.one(p, "1700000002.000000\tC3\t10.0.0.6\t40001\t10.0.0.1\t53\tudp\t8\t0.001\twww.github.com\t1\tC_INTERNET\t1\tA\t0\tNOERROR\tF\tF\tT\tT\t0\tgithub.com,140.82.112.3\t3600.000000,60.000000\tF")
        XCTAssertEqual(c[PB.key("dns.resolved_ip")], .array([.string("140.82.112.3")]))
    }

    func testHeaderChangesMidStream() throws {
        let p = ZeekDNSParser()
        _ = try ParserHarness.run(p, "#separator \\x7c")
        _ = try ParserHarness.run(p, "#set_separator|;")
        _ = try ParserHarness.run(p, "#fields|ts|id.orig_h|query|answers|custom_col")
        let e = try ParserHarness.one(p, "1700000003.5|10.0.0.9|gitlab.com|172.65.251.78;172.65.251.79|x\\x20y")
        XCTAssertEqual(PB.str(e, "source.ip"), "10.0.0.9")
        XCTAssertEqual(PB.str(e, "dns.question.name"), "gitlab.com")
        XCTAssertEqual(PB.str(e, "zeek.dns.custom_col"), "x y")
        guard case .array(let a)? = e[ECS.dnsAnswers] else { return XCTFail() }
        XCTAssertEqual(a.count, 2)
        XCTAssertEqual(PB.failure(p, "1700000003.5|10.0.0.9")?.reason, "field_count")
    }

    func testDefaultColumnsWithoutHeader() throws {
        let p = ZeekDNSParser()
        let e = try ParserHarness.one(p, Self.tsvRow)
        XCTAssertEqual(PB.str(e, "dns.question.name"), "github.com")
    }

    func testJSON() throws {
        let p = ZeekDNSParser()
        let e = try ParserHarness.one(p, #"{"ts":1700000000.123456,"uid":"CHhAvVGS1DHFjwGM9","id.orig_h":"10.0.0.5","id.orig_p":53211,"id.resp_h":"10.0.0.1","id.resp_p":53,"proto":"udp","trans_id":12345,"rtt":0.012345,"query":"api.github.com","qclass":1,"qclass_name":"C_INTERNET","qtype":1,"qtype_name":"A","rcode":0,"rcode_name":"NOERROR","AA":false,"TC":false,"RD":true,"RA":true,"Z":0,"answers":["github.com","140.82.112.6"],"TTLs":[3600.0,60.0],"rejected":false}"#)
        XCTAssertEqual(e.timestamp, 1_700_000_000_123_456_000)
        XCTAssertEqual(PB.str(e, "source.ip"), "10.0.0.5")
        XCTAssertEqual(PB.int(e, "source.port"), 53211)
        XCTAssertEqual(PB.str(e, "dns.question.registered_domain"), "github.com")
        XCTAssertEqual(PB.str(e, "dns.id"), "12345")
        XCTAssertEqual(e[PB.key("dns.header_flags")], .array([.string("RD"), .string("RA")]))
        XCTAssertEqual(e[ECS.dnsAnswers], .array([
            .object([Field(PB.key("data"), .string("github.com")), Field(PB.key("ttl"), .int(3600))]),
            .object([Field(PB.key("data"), .string("140.82.112.6")), Field(PB.key("ttl"), .int(60))]),
        ]))
        XCTAssertEqual(e[PB.key("dns.resolved_ip")], .array([.string("140.82.112.6")]))
        let iso = try ParserHarness.one(p, #"{"ts":"2026-11-23T02:08:35.123456Z","uid":"C1","id.orig_h":"10.0.0.5","query":"example.co.uk"}"#)
        XCTAssertEqual(iso.timestamp, Timestamp.make(year: 2026, month: 11, day: 23, hour: 2, minute: 8, second: 35, nanos: 123_456_000))
        XCTAssertEqual(PB.str(iso, "dns.question.registered_domain"), "example.co.uk")
    }

    func testMalformed() {
        let p = ZeekDNSParser()
        XCTAssertEqual(PB.failure(p, "")?.reason, "empty_record")
        XCTAssertEqual(PB.failure(p, "{\"ts\":1700000000,")?.reason, "invalid_json")
        XCTAssertEqual(PB.failure(p, "{\"ts\":\"yesterday\"}")?.reason, "invalid_zeek")
        XCTAssertEqual(PB.failure(p, "1700000000.1\tC1\t10.0.0.5")?.reason, "field_count")
        XCTAssertEqual(PB.failure(p, "soon\tC1\t10.0.0.5\t1\t10.0.0.1\t53\tudp\t1\t-\tx\t1\tC_INTERNET\t1\tA\t0\tNOERROR\tF\tF\tT\tT\t0\t-\t-\tF")?.reason, "invalid_zeek")
        XCTAssertEqual(PB.failure(p, [UInt8](repeating: 0x31, count: (1 << 20) + 5))?.reason, "too_long")
        // Wrong types in JSON are ignored, not fatal.
        XCTAssertNoThrow(try ParserHarness.run(p, #"{"ts":1700000000,"id.orig_p":"x","answers":"nope","TTLs":[true],"AA":"T"}"#))
    }

    func testFuzzNeverCrashes() {
        let p = ZeekDNSParser()
        let (events, failures) = PB.fuzz(p, seeds: Self.tsvHeader + [Self.tsvRow, Self.tsvRow,
            #"{"ts":1700000000.123456,"uid":"C1","id.orig_h":"10.0.0.5","id.orig_p":53211,"query":"api.github.com","answers":["github.com","140.82.112.6"],"TTLs":[3600.0,60.0],"rejected":false}"#])
        XCTAssertGreaterThan(events, 0)
        XCTAssertGreaterThan(failures, 0)
        XCTAssertLessThanOrEqual(p.columns.count, ZeekDNSParser.maxColumns)
    }
}

final class ZeekDNSParserHardeningTests: XCTestCase {
    /// Complexity guard: 20,000 extra columns of a JSON dns.log row on an event holding
    /// source fields were set with a linear scan each (quadratic); now linear.
    func testWideJSONRowIsParsedInLinearTime() throws {
        var text = #"{"ts":1700000000.123456,"uid":"CHhAvVGS1DHFjwGM9","id.orig_h":"10.0.0.5","query":"github.com""#
        for i in 0..<20_000 { text += ",\"extra_\(i)\":\(i)" }
        text += "}"
        let bytes = Array(text.utf8)
        var base = Event(original: ArraySlice(bytes))
        base[ECS.logFilePath] = .string("/opt/zeek/logs/current/dns.log")
        let start = Date()
        let out = try ParserHarness.run(ZeekDNSParser(), bytes, base: base)
        XCTAssertLessThan(Date().timeIntervalSince(start), 15)
        XCTAssertEqual(out[0][FieldKey("zeek.dns.extra_19999")], .int(19_999))
        XCTAssertEqual(out[0][ECS.dnsQuestionName], .string("github.com"))
    }
}
