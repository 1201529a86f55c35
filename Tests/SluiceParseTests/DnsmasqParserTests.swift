import SluiceTestSupport
import XCTest
import SluiceCore
@testable import SluiceParse

final class DnsmasqParserTests: XCTestCase {
    let p = DnsmasqParser()

    func testQueryForwardedReplyWithSyslogHeader() throws {
        let q = try ParserHarness.one(p, "Nov 23 02:08:35 dnsmasq[1234]: query[A] github.com from 10.0.0.5")
        XCTAssertEqual(PB.str(q, "dnsmasq.action"), "query")
        XCTAssertEqual(PB.str(q, "dns.question.name"), "github.com")
        XCTAssertEqual(PB.str(q, "dns.question.type"), "A")
        XCTAssertEqual(PB.str(q, "dns.question.registered_domain"), "github.com")
        XCTAssertEqual(PB.str(q, "source.ip"), "10.0.0.5")
        XCTAssertEqual(PB.int(q, "process.pid"), 1234)
        XCTAssertEqual(PB.str(q, "dns.type"), "query")
        XCTAssertEqual(PB.str(q, "event.dataset"), "dnsmasq.log")
        let (y, _, _) = Timestamp.civilFromDays(Int(q.timestamp / 86_400_000_000_000))
        XCTAssertGreaterThanOrEqual(y, 2025)
        let f = try ParserHarness.one(p, "Nov 23 02:08:35 gw dnsmasq[1234]: forwarded github.com to 1.1.1.1")
        XCTAssertEqual(PB.str(f, "dnsmasq.action"), "forwarded")
        XCTAssertEqual(PB.str(f, "destination.ip"), "1.1.1.1")
        XCTAssertNil(f[ECS.sourceIP])
        let r = try ParserHarness.one(p, "reply github.com is 140.82.112.3")
        XCTAssertEqual(PB.str(r, "dnsmasq.action"), "reply")
        XCTAssertEqual(r[ECS.dnsAnswers], .array([.object([Field(PB.key("data"), .string("140.82.112.3")), Field(PB.key("type"), .string("A"))])]))
        XCTAssertEqual(r[PB.key("dns.resolved_ip")], .array([.string("140.82.112.3")]))
        XCTAssertEqual(PB.str(r, "dns.response_code"), "NOERROR")
        XCTAssertEqual(r.timestamp, 0)
    }

    func testAnswerKinds() throws {
        let cname = try ParserHarness.one(p, "dnsmasq[9]: reply www.github.com is <CNAME>")
        XCTAssertEqual(cname[ECS.dnsAnswers], .array([.object([Field(PB.key("type"), .string("CNAME"))])]))
        let v6 = try ParserHarness.one(p, "cached github.com is 2606:50c0:8000::154")
        XCTAssertEqual(PB.str(v6, "dnsmasq.action"), "cached")
        XCTAssertEqual(v6[ECS.dnsAnswers], .array([.object([Field(PB.key("data"), .string("2606:50c0:8000::154")), Field(PB.key("type"), .string("AAAA"))])]))
        let nx = try ParserHarness.one(p, "cached nope.example is NXDOMAIN")
        XCTAssertEqual(PB.str(nx, "dns.response_code"), "NXDOMAIN")
        XCTAssertNil(nx[ECS.dnsAnswers])
        let nodata = try ParserHarness.one(p, "config printer.lan is NODATA-IPv6")
        XCTAssertEqual(PB.str(nodata, "dnsmasq.action"), "config")
        XCTAssertEqual(PB.str(nodata, "dnsmasq.reply_status"), "NODATA-IPv6")
        let hosts = try ParserHarness.one(p, "/etc/hosts localhost is 127.0.0.1")
        XCTAssertEqual(PB.str(hosts, "dnsmasq.action"), "hosts_file")
        XCTAssertEqual(PB.str(hosts, "dnsmasq.hosts_file"), "/etc/hosts")
        let ptr = try ParserHarness.one(p, "reply 10.0.0.5 is laptop.lan")
        XCTAssertEqual(ptr[ECS.dnsAnswers], .array([.object([Field(PB.key("data"), .string("laptop.lan"))])]))
        XCTAssertNil(ptr[PB.key("dns.question.registered_domain")])
    }

    func testExtraPrefixAndOtherLines() throws {
        let q = try ParserHarness.one(p, "Nov 23 02:08:35 dnsmasq[1234]: 17 10.0.0.5/53211 query[AAAA] api.github.com from 10.0.0.5")
        XCTAssertEqual(PB.int(q, "dnsmasq.query_id"), 17)
        XCTAssertEqual(PB.int(q, "source.port"), 53211)
        XCTAssertEqual(PB.str(q, "dns.question.type"), "AAAA")
        let f = try ParserHarness.one(p, "17 10.0.0.5/53211 forwarded api.github.com to 9.9.9.9#53")
        XCTAssertEqual(PB.str(f, "destination.ip"), "9.9.9.9")
        XCTAssertEqual(PB.str(f, "source.ip"), "10.0.0.5")
        let start = try ParserHarness.one(p, "Nov 23 02:00:00 dnsmasq[1234]: started, version 2.89 cachesize 150")
        XCTAssertEqual(PB.str(start, "dnsmasq.action"), "log")
        XCTAssertEqual(PB.str(start, "message"), "started, version 2.89 cachesize 150")
    }

    func testMalformed() {
        XCTAssertEqual(PB.failure(p, "   ")?.reason, "empty_record")
        XCTAssertEqual(PB.failure(p, "dnsmasq[1]: query[A] github.com")?.reason, "invalid_dnsmasq")
        XCTAssertEqual(PB.failure(p, "reply github.com was 1.2.3.4")?.reason, "invalid_dnsmasq")
        XCTAssertEqual(PB.failure(p, [UInt8](repeating: 0x71, count: 20_000))?.reason, "too_long")
    }

    func testFuzzNeverCrashes() {
        let (events, failures) = PB.fuzz(p, seeds: [
            "Nov 23 02:08:35 dnsmasq[1234]: query[A] github.com from 10.0.0.5",
            "Nov 23 02:08:35 gw dnsmasq[1234]: 5 10.0.0.5/1 forwarded github.com to 1.1.1.1",
            "reply www.github.com is <CNAME>",
            "/etc/hosts localhost is ::1",
        ])
        XCTAssertGreaterThan(events, 0)
        XCTAssertGreaterThan(failures, 0)
    }
}
