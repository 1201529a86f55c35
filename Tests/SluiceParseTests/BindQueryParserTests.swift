import SluiceTestSupport
import XCTest
import SluiceCore
@testable import SluiceParse

final class BindQueryParserTests: XCTestCase {
    let p = BindQueryParser()

    func testModernLineWithTimestampAndCategory() throws {
        let e = try ParserHarness.one(p, "23-Nov-2026 02:08:35.123 queries: info: client @0x7f9b2c0008e0 10.0.0.5#53211 (github.com): query: github.com IN A +E(0)K (10.0.0.1)")
        XCTAssertEqual(e.timestamp, Timestamp.make(year: 2026, month: 11, day: 23, hour: 2, minute: 8, second: 35, nanos: 123_000_000))
        XCTAssertEqual(PB.str(e, "source.ip"), "10.0.0.5")
        XCTAssertEqual(PB.int(e, "source.port"), 53211)
        XCTAssertEqual(PB.str(e, "dns.question.name"), "github.com")
        XCTAssertEqual(PB.str(e, "dns.question.class"), "IN")
        XCTAssertEqual(PB.str(e, "dns.question.type"), "A")
        XCTAssertEqual(PB.str(e, "dns.question.registered_domain"), "github.com")
        XCTAssertEqual(PB.str(e, "destination.ip"), "10.0.0.1")
        XCTAssertEqual(e[PB.key("dns.header_flags")], .array([.string("RD")]))
        XCTAssertEqual(PB.int(e, "bind.edns_version"), 0)
        XCTAssertEqual(PB.str(e, "bind.cookie"), "present")
        XCTAssertEqual(PB.str(e, "network.transport"), "udp")
        XCTAssertEqual(PB.str(e, "bind.client_object"), "0x7f9b2c0008e0")
        XCTAssertEqual(PB.str(e, "event.dataset"), "bind.query")
        XCTAssertNil(e[PB.key("bind.view")])
    }

    func testViewAndFlagsWithoutTimestamp() throws {
        var src = Event(timestamp: 42)
        src[ECS.hostName] = .string("ns1")
        let out = try ParserHarness.run(p, "client @0x7f9b2c0008e0 10.0.0.5#53211 (api.github.com): view internal: query: api.github.com IN AAAA -EDTSCV (10.0.0.1)", base: src)
        let e = out[0]
        XCTAssertEqual(e.timestamp, 42)
        XCTAssertEqual(PB.str(e, "host.name"), "ns1")
        XCTAssertEqual(PB.str(e, "bind.view"), "internal")
        XCTAssertEqual(PB.str(e, "dns.question.type"), "AAAA")
        XCTAssertEqual(e[PB.key("dns.header_flags")], .array([.string("DO"), .string("CD")]))
        XCTAssertEqual(PB.str(e, "network.transport"), "tcp")
        XCTAssertEqual(e[PB.key("bind.signed")], .bool(true))
        XCTAssertEqual(PB.str(e, "bind.cookie"), "valid")
        XCTAssertEqual(PB.str(e, "bind.query_flags"), "-EDTSCV")
    }

    func testOlderFormsAndSyslogHeader() throws {
        let old = try ParserHarness.one(p, "client 192.0.2.44#4096: query: www.example.co.uk IN MX + (192.0.2.1)")
        XCTAssertEqual(PB.str(old, "source.ip"), "192.0.2.44")
        XCTAssertEqual(PB.int(old, "source.port"), 4096)
        XCTAssertEqual(PB.str(old, "dns.question.registered_domain"), "example.co.uk")
        XCTAssertEqual(PB.str(old, "dns.question.type"), "MX")
        let v6 = try ParserHarness.one(p, "Nov 23 02:08:35 ns1 named[812]: client @0x7f00 2001:db8::5#41000 (x.github.io): query: x.github.io IN TXT +E(0) (2001:db8::53)")
        XCTAssertEqual(PB.str(v6, "source.ip"), "2001:db8::5")
        XCTAssertEqual(PB.str(v6, "destination.ip"), "2001:db8::53")
        XCTAssertEqual(PB.str(v6, "dns.question.registered_domain"), "x.github.io")
        XCTAssertNotEqual(v6.timestamp, 0)
    }

    func testPrintTimeWithoutYearAndOldFlags() throws {
        // BIND 9.2-era channel file with print-time (no year), print-category and print-severity.
        var src = Event(timestamp: Timestamp.make(year: 2026, month: 3, day: 1, hour: 0, minute: 0, second: 0))
        src[ECS.hostName] = .string("ns1")
        let e = try ParserHarness.run(p, "Feb 25 11:09:43.651 queries: info: client 10.0.0.3#1035: query: 21.example.com.co.uk IN A", base: src)[0]
        XCTAssertEqual(e.timestamp, Timestamp.make(year: 2026, month: 2, day: 25, hour: 11, minute: 9, second: 43, nanos: 651_000_000))
        XCTAssertEqual(PB.str(e, "source.ip"), "10.0.0.3")
        XCTAssertEqual(PB.str(e, "dns.question.registered_domain"), "com.co.uk")
        XCTAssertNil(e[PB.key("dns.header_flags")])
        let v = try ParserHarness.one(p, "02-May-2023 13:33:40.299 queries: info: client @0x2c11226c 127.0.0.1#59751 (weather.bom.gov.au): view internal: query: weather.bom.gov.au IN A +E(0)K (127.0.0.1)")
        XCTAssertEqual(PB.str(v, "dns.question.registered_domain"), "bom.gov.au")
        XCTAssertEqual(PB.str(v, "bind.view"), "internal")
    }

    func testMalformed() {
        XCTAssertEqual(PB.failure(p, "")?.reason, "empty_record")
        XCTAssertEqual(PB.failure(p, "23-Nov-2026 02:08:35.123 general: info: zone example.com/IN: loaded serial 1")?.reason, "not_a_query")
        XCTAssertEqual(PB.failure(p, "client @0x7f 10.0.0.5#53211 (github.com): query: github.com IN")?.reason, "invalid_query")
        XCTAssertEqual(PB.failure(p, "client @0x7f notanip#53 (x): query: x IN A +")?.reason, "not_a_query")
        XCTAssertEqual(PB.failure(p, "client @0x7f")?.reason, "not_a_query")
        XCTAssertEqual(PB.failure(p, [UInt8](repeating: 0x20, count: 20_000))?.reason, "too_long")
        // A time beyond what Int64 nanoseconds can hold is ignored, not a crash.
        XCTAssertEqual(try ParserHarness.run(p, "23-Nov-9999 02:08:35.123 queries: info: client 10.0.0.5#1: query: a IN A +").first?.timestamp, 0)
    }

    func testFuzzNeverCrashes() {
        let (events, failures) = PB.fuzz(p, seeds: [
            "23-Nov-2026 02:08:35.123 queries: info: client @0x7f9b2c0008e0 10.0.0.5#53211 (github.com): query: github.com IN A +E(0)K (10.0.0.1)",
            "client @0x7f9b2c0008e0 10.0.0.5#53211 (api.github.com): view internal: query: api.github.com IN AAAA -ED (10.0.0.1)",
            "Nov 23 02:08:35 ns1 named[812]: client 2001:db8::5#41000: query: x.github.io IN TXT +E(12 (2001:db8::53)",
        ])
        XCTAssertGreaterThan(events, 0)
        XCTAssertGreaterThan(failures, 0)
    }
}

/// Infoblox NIOS query/response lines (NIOS "Capturing DNS Queries and Responses").
final class BindQueryInfobloxTests: XCTestCase {
    func testResponseLineWithAnswers() throws {
        let e = try ParserHarness.one(BindQueryParser(), "client 192.168.0.1#57398 UDP: query: a1.foo.com IN A response: NOERROR +ED a1.foo.com. 28800 IN A 1.1.1.1; a1.foo.com. 28800 IN A 11.1.1.1;")
        XCTAssertEqual(PB.str(e, "source.ip"), "192.168.0.1")
        XCTAssertEqual(PB.int(e, "source.port"), 57398)
        XCTAssertEqual(PB.str(e, "network.transport"), "udp")
        XCTAssertEqual(PB.str(e, "dns.question.name"), "a1.foo.com")
        XCTAssertEqual(PB.str(e, "dns.question.type"), "A")
        XCTAssertEqual(PB.str(e, "dns.response_code"), "NOERROR")
        XCTAssertEqual(PB.str(e, "dns.type"), "answer")
        XCTAssertEqual(e[PB.key("dns.resolved_ip")], .array([.string("1.1.1.1"), .string("11.1.1.1")]))
        guard case .array(let answers)? = e[PB.key("dns.answers")], answers.count == 2, case .object(let a0) = answers[0] else {
            return XCTFail("\(String(describing: e[PB.key("dns.answers")]))")
        }
        func m(_ k: String) -> FieldValue? { a0.first { $0.key == FieldKey(k) }.map { e.resolved($0.value) } }
        XCTAssertEqual(m("name"), .string("a1.foo.com"))
        XCTAssertEqual(m("ttl"), .int(28800))
        XCTAssertEqual(m("type"), .string("A"))
        XCTAssertEqual(m("data"), .string("1.1.1.1"))
        XCTAssertEqual(e[PB.key("dns.header_flags")], .array([.string("RA"), .string("DO")]))
    }

    func testTimestampedTCPCNAMEAndNXDOMAIN() throws {
        let c = try ParserHarness.one(BindQueryParser(), "07-Apr-2013 20:16:49.083 client 10.120.20.198#57398 TCP: query: c2.foo.com IN A response: NOERROR +AED c2.foo.com. 28800 IN CNAME a2.foo.com.; a2.foo.com. 28800 IN A 1.1.1.2;")
        XCTAssertEqual(c.timestamp, Timestamp.make(year: 2013, month: 4, day: 7, hour: 20, minute: 16, second: 49, nanos: 83_000_000))
        XCTAssertEqual(PB.str(c, "network.transport"), "tcp")
        XCTAssertEqual(c[PB.key("dns.resolved_ip")], .array([.string("1.1.1.2")]))
        XCTAssertEqual(c[PB.key("dns.header_flags")], .array([.string("RA"), .string("AA"), .string("DO")]))
        let n = try ParserHarness.one(BindQueryParser(), "client 10.120.20.198#57398 UDP: query: non-exist.foo.com IN A response: NXDOMAIN +ED")
        XCTAssertEqual(PB.str(n, "dns.response_code"), "NXDOMAIN")
        XCTAssertNil(n[PB.key("dns.answers")])
    }

    /// Through `auto`, as NIOS sends them over syslog.
    func testAutoRecognizesInfobloxOverSyslog() throws {
        let p = try ParseTest.make("auto")
        let e = try ParserHarness.one(p, "<30>Mar 11 23:51:31 infoblox.localdomain named[17742]: 07-Apr-2022 08:08:10.043 client 192.168.0.1#57398 UDP: query: a2.foo.com IN A response: NOERROR +AED a2.foo.com 28800 IN A 192.168.0.3;")
        XCTAssertEqual(e.s("event.dataset"), "bind.query")
        XCTAssertEqual(e.s("dns.response_code"), "NOERROR")
        XCTAssertEqual(e.s("dns.question.name"), "a2.foo.com")
        XCTAssertEqual(e.value(at: "dns.resolved_ip"), .array([.string("192.168.0.3")]))
        let bare = try ParserHarness.one(p, "client 192.168.0.1#57398 UDP: query: a1.foo.com IN A response: NOERROR +ED a1.foo.com. 28800 IN A 1.1.1.1;")
        XCTAssertEqual(bare.s("dns.response_code"), "NOERROR")
    }
}
