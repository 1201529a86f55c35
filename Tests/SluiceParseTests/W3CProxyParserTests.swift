import SluiceTestSupport
import XCTest
import SluiceCore
@testable import SluiceParse

final class W3CProxyParserTests: XCTestCase {
    static let proxySGHeader = [
        "#Software: SGOS 7.3.1.1",
        "#Version: 1.0",
        "#Start-Date: 2026-11-23 02:00:00",
        "#Date: 2026-11-23 02:00:00",
        "#Fields: date time time-taken c-ip cs-username cs-auth-group s-supplier-name sc-status s-action cs-method rs(Content-Type) cs-uri-scheme cs-host cs-uri-port cs-uri-path cs-uri-query cs-uri-extension cs(User-Agent) s-ip sc-bytes cs-bytes x-virus-id",
    ]
    static let tunnel = "2026-11-23 02:08:35 1520 10.0.0.5 alice \"CN=Developers,OU=Groups,DC=corp,DC=example\" github.com 200 TCP_TUNNELED CONNECT - tcp github.com 443 / - - \"git/2.43.0\" 10.1.1.10 4521 1048576 -"
    static let upload = "2026-11-23 02:08:36 87 10.0.0.7 - - api.github.com 201 TCP_NC_MISS POST application/json https uploads.github.com 443 /repos/acme/app/releases/1/assets ?name=dump.tar.gz gz \"Mozilla/5.0 (X11; Linux x86_64) \"\"quoted\"\"\" 10.1.1.10 1200 52428800 -"

    func testProxySGTunnelAndUpload() throws {
        let p = W3CProxyParser()
        for h in Self.proxySGHeader { XCTAssertTrue(try ParserHarness.run(p, h).isEmpty) }
        let t = try ParserHarness.one(p, Self.tunnel)
        XCTAssertEqual(t.timestamp, Timestamp.make(year: 2026, month: 11, day: 23, hour: 2, minute: 8, second: 35))
        XCTAssertEqual(PB.int(t, "event.duration"), 1_520_000_000)
        XCTAssertEqual(PB.str(t, "source.ip"), "10.0.0.5")
        XCTAssertEqual(PB.str(t, "user.name"), "alice")
        XCTAssertEqual(PB.str(t, "w3c.cs-auth-group"), "CN=Developers,OU=Groups,DC=corp,DC=example")
        XCTAssertEqual(PB.str(t, "w3c.s-supplier-name"), "github.com")
        XCTAssertEqual(PB.int(t, "http.response.status_code"), 200)
        XCTAssertEqual(PB.str(t, "w3c.s-action"), "TCP_TUNNELED")
        XCTAssertEqual(PB.str(t, "http.request.method"), "CONNECT")
        XCTAssertEqual(PB.str(t, "destination.domain"), "github.com")
        XCTAssertEqual(PB.int(t, "destination.port"), 443)
        XCTAssertEqual(PB.str(t, "url.full"), "github.com:443")
        XCTAssertEqual(PB.str(t, "user_agent.original"), "git/2.43.0")
        XCTAssertEqual(PB.str(t, "observer.ip"), "10.1.1.10")
        // Direction: sc-bytes (to the client) -> destination.bytes; cs-bytes (from the client) -> source.bytes.
        XCTAssertEqual(PB.int(t, "destination.bytes"), 4521)
        XCTAssertEqual(PB.int(t, "source.bytes"), 1_048_576)
        XCTAssertEqual(PB.str(t, "event.outcome"), "success")
        XCTAssertNil(t[PB.key("w3c.x-virus-id")])
        XCTAssertEqual(PB.str(t, "event.dataset"), "w3c.proxy")

        let u = try ParserHarness.one(p, Self.upload)
        XCTAssertEqual(PB.str(u, "url.full"), "https://uploads.github.com/repos/acme/app/releases/1/assets?name=dump.tar.gz")
        XCTAssertEqual(PB.str(u, "url.path"), "/repos/acme/app/releases/1/assets")
        XCTAssertEqual(PB.str(u, "url.query"), "name=dump.tar.gz")
        XCTAssertEqual(PB.str(u, "url.extension"), "gz")
        XCTAssertEqual(PB.str(u, "url.domain"), "uploads.github.com")
        XCTAssertEqual(PB.str(u, "user_agent.original"), "Mozilla/5.0 (X11; Linux x86_64) \"quoted\"")
        XCTAssertEqual(PB.str(u, "http.response.mime_type"), "application/json")
        XCTAssertEqual(PB.int(u, "source.bytes"), 52_428_800)
        XCTAssertNil(u[ECS.userName])
    }

    func testHeaderChangeMidFile() throws {
        let p = W3CProxyParser()
        _ = try ParserHarness.run(p, Self.proxySGHeader[4])
        _ = try ParserHarness.one(p, Self.tunnel)
        _ = try ParserHarness.run(p, "#Fields: date time c-ip cs-username cs-method cs-uri sc-status s-action sc-bytes cs-bytes x-zscaler-dept")
        let e = try ParserHarness.one(p, "2026-11-23 03:00:00.250 10.0.0.9 bob@corp.example GET https://gist.github.com/raw/x 403 TCP_DENIED 900 300 Engineering")
        XCTAssertEqual(e.timestamp, Timestamp.make(year: 2026, month: 11, day: 23, hour: 3, minute: 0, second: 0, nanos: 250_000_000))
        XCTAssertEqual(PB.str(e, "url.full"), "https://gist.github.com/raw/x")
        XCTAssertEqual(PB.str(e, "user.name"), "bob@corp.example")
        XCTAssertEqual(PB.str(e, "event.outcome"), "failure")
        XCTAssertEqual(PB.str(e, "w3c.x-zscaler-dept"), "Engineering")
        XCTAssertEqual(PB.failure(p, Self.tunnel)?.reason, "field_count")
    }

    func testDefaultFieldsOption() throws {
        let none = W3CProxyParser()
        XCTAssertEqual(PB.failure(none, Self.tunnel)?.reason, "no_fields_header")
        let p = try PB.make("w3c-proxy", "fields: date time time-taken c-ip cs-username cs-auth-group s-supplier-name sc-status s-action cs-method rs(Content-Type) cs-uri-scheme cs-host cs-uri-port cs-uri-path cs-uri-query cs-uri-extension cs(User-Agent) s-ip sc-bytes cs-bytes x-virus-id\ntime_taken_unit: ms")
        XCTAssertEqual(PB.str(try ParserHarness.one(p, Self.tunnel), "destination.domain"), "github.com")
        let q = try PB.make("w3c-proxy", "fields: [date, time, time-taken, c-ip]\ntime_taken_unit: s")
        XCTAssertEqual(PB.int(try ParserHarness.one(q, "2026-11-23 02:08:35 2 10.0.0.5"), "event.duration"), 2_000_000_000)
    }

    func testMalformed() throws {
        let p = W3CProxyParser()
        _ = try ParserHarness.run(p, Self.proxySGHeader[4])
        XCTAssertEqual(PB.failure(p, "")?.reason, "empty_record")
        XCTAssertEqual(PB.failure(p, "2026-11-23 02:08:35 1520 10.0.0.5 alice \"CN=unterminated")?.reason, "unterminated_quote")
        XCTAssertEqual(PB.failure(p, "2026-11-23 02:08:35 1520")?.reason, "field_count")
        XCTAssertEqual(PB.failure(p, [UInt8](repeating: 0x61, count: 70_000))?.reason, "too_long")
        XCTAssertEqual(PB.failure(p, String(repeating: "x ", count: 1000))?.reason, "field_count")
        // A bad date keeps the source time; wrong-typed numbers are skipped.
        let e = try ParserHarness.one(p, "9999-99-99 02:08:35 abc 10.0.0.5 alice - github.com xyz TCP_TUNNELED CONNECT - tcp github.com 443 / - - - 10.1.1.10 many 1 -")
        XCTAssertEqual(e.timestamp, 0)
        XCTAssertNil(e[ECS.httpStatus])
    }

    func testFuzzNeverCrashes() {
        let p = W3CProxyParser()
        let (events, failures) = PB.fuzz(p, seeds: Self.proxySGHeader + [Self.tunnel, Self.upload, Self.tunnel, Self.upload])
        XCTAssertGreaterThan(events, 0)
        XCTAssertGreaterThan(failures, 0)
    }
}

extension W3CProxyParserTests {
    func testCiscoWSAAndZscalerNames() throws {
        let wsa = W3CProxyParser()
        _ = try ParserHarness.run(wsa, "#Fields: timestamp x-elapsed-time c-ip x-resultcode-httpstatus sc-bytes cs-method cs-url cs-username x-hierarchy-origin cs-mime-type")
        let e = try ParserHarness.one(wsa, "1700000000.250 1524 10.0.0.5 TCP_DENIED/403 3944 CONNECT tunnel://gist.github.com:443/ alice DEFAULT_PARENT/proxy text/html")
        XCTAssertEqual(e.timestamp, 1_700_000_000_250_000_000)
        XCTAssertEqual(PB.int(e, "http.response.status_code"), 403)
        XCTAssertEqual(PB.str(e, "w3c.s-action"), "TCP_DENIED")
        XCTAssertEqual(PB.str(e, "event.outcome"), "failure")
        XCTAssertEqual(PB.str(e, "url.full"), "tunnel://gist.github.com:443/")
        XCTAssertEqual(PB.int(e, "event.duration"), 1_524_000_000)
        XCTAssertEqual(PB.str(e, "w3c.x-hierarchy-origin"), "DEFAULT_PARENT/proxy")

        let nss = try PB.make("w3c-proxy", "fields: epochtime login url host reqmethod respcode ua cip sip reqsize respsize action dept")
        let z = try ParserHarness.one(nss, "1700000100\tjdoe@corp.example\t\"github.com/acme/app.git/git-upload-pack\"\tgithub.com\tPOST\t200\t\"git/2.43.0\"\t172.17.3.49\t140.82.112.3\t1200\t5242880\tAllowed\t\"Default Department\"")
        XCTAssertEqual(z.timestamp, 1_700_000_100_000_000_000)
        XCTAssertEqual(PB.str(z, "user.name"), "jdoe@corp.example")
        XCTAssertEqual(PB.str(z, "url.full"), "github.com/acme/app.git/git-upload-pack")
        XCTAssertEqual(PB.str(z, "destination.domain"), "github.com")
        XCTAssertEqual(PB.str(z, "destination.ip"), "140.82.112.3")
        XCTAssertEqual(PB.int(z, "source.bytes"), 1200)
        XCTAssertEqual(PB.int(z, "destination.bytes"), 5_242_880)
        XCTAssertEqual(PB.str(z, "event.outcome"), "success")
        XCTAssertEqual(PB.str(z, "w3c.dept"), "Default Department")
        let blocked = try ParserHarness.one(nss, "1700000101\tjdoe@corp.example\tpastebin.com/\tpastebin.com\tGET\t403\tcurl/8\t172.17.3.49\t104.20.1.1\t300\t1000\tBlocked\tSales")
        XCTAssertEqual(PB.str(blocked, "event.outcome"), "failure")
    }
}
