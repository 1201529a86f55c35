import SluiceTestSupport
import XCTest
import SluiceCore
@testable import SluiceParse

final class SquidParserTests: XCTestCase {
    let p = SquidParser()

    func testNativeConnectTunnel() throws {
        let e = try ParserHarness.one(p, "1700000000.123    456 10.0.0.5 TCP_TUNNEL/200 4521 CONNECT github.com:443 alice HIER_DIRECT/140.82.112.3 -")
        XCTAssertEqual(e.timestamp, 1_700_000_000_123_000_000)
        XCTAssertEqual(PB.str(e, "source.ip"), "10.0.0.5")
        XCTAssertEqual(PB.str(e, "user.name"), "alice")
        XCTAssertEqual(PB.str(e, "http.request.method"), "CONNECT")
        XCTAssertEqual(PB.str(e, "url.full"), "github.com:443")
        XCTAssertEqual(PB.str(e, "destination.domain"), "github.com")
        XCTAssertEqual(PB.int(e, "destination.port"), 443)
        XCTAssertNil(e[PB.key("url.domain")])
        XCTAssertEqual(PB.str(e, "destination.ip"), "140.82.112.3")
        XCTAssertEqual(PB.int(e, "http.response.status_code"), 200)
        XCTAssertEqual(PB.int(e, "http.response.bytes"), 4521)
        XCTAssertEqual(PB.int(e, "destination.bytes"), 4521)
        XCTAssertEqual(PB.int(e, "event.duration"), 456_000_000)
        XCTAssertEqual(PB.str(e, "squid.result_code"), "TCP_TUNNEL")
        XCTAssertEqual(PB.str(e, "squid.hierarchy_code"), "HIER_DIRECT")
        XCTAssertEqual(PB.str(e, "event.outcome"), "success")
        XCTAssertEqual(PB.str(e, "event.dataset"), "squid.access")
        XCTAssertEqual(e[ECS.eventCategory], .array([.string("network"), .string("web")]))
        XCTAssertNil(e[PB.key("http.response.mime_type")])
    }

    func testNativeGetFullURL() throws {
        let e = try ParserHarness.one(p, "1700000001.004     87 10.0.0.7 TCP_MISS/200 18342 GET http://example.com:8080/repos/a/b.tar.gz?ref=main - HIER_DIRECT/93.184.216.34 application/x-gzip")
        XCTAssertEqual(PB.str(e, "url.full"), "http://example.com:8080/repos/a/b.tar.gz?ref=main")
        XCTAssertEqual(PB.str(e, "url.domain"), "example.com")
        XCTAssertEqual(PB.str(e, "url.path"), "/repos/a/b.tar.gz")
        XCTAssertEqual(PB.str(e, "url.query"), "ref=main")
        XCTAssertEqual(PB.int(e, "url.port"), 8080)
        XCTAssertEqual(PB.int(e, "destination.port"), 8080)
        XCTAssertEqual(PB.str(e, "url.scheme"), "http")
        XCTAssertEqual(PB.str(e, "destination.domain"), "example.com")
        XCTAssertEqual(PB.str(e, "destination.ip"), "93.184.216.34")
        XCTAssertNil(e[ECS.userName])
        XCTAssertEqual(PB.str(e, "http.response.mime_type"), "application/x-gzip")
        XCTAssertEqual(PB.str(e, "http.request.method"), "GET")
    }

    /// URL splitting at every length around the 8-byte scan: userinfo (the host starts after
    /// the last `@`), a query with `@` and `/`, a fragment, and a path-less URL.
    func testURLPartsAtEveryLength() throws {
        for n in 1...20 {
            let host = String(repeating: "h", count: n) + ".example"
            let path = "/" + String(repeating: "p", count: n)
            let query = "q=" + String(repeating: "v", count: n) + "@x/y"
            let url = "https://user:pa@ss@\(host):8443\(path)?\(query)#frag\(n)"
            let e = try ParserHarness.one(p, "1700000001.004 87 10.0.0.7 TCP_MISS/200 1 GET \(url) - HIER_DIRECT/140.82.112.6 -")
            XCTAssertEqual(PB.str(e, "url.domain"), host, url)
            XCTAssertEqual(PB.int(e, "url.port"), 8443, url)
            XCTAssertEqual(PB.str(e, "url.path"), path, url)
            XCTAssertEqual(PB.str(e, "url.query"), query, url)
            let bare = try ParserHarness.one(p, "1700000001.004 87 10.0.0.7 TCP_MISS/200 1 GET http://\(host) - HIER_DIRECT/140.82.112.6 -")
            XCTAssertEqual(PB.str(bare, "url.domain"), host)
            XCTAssertNil(bare[PB.key("url.path")])
            XCTAssertEqual(PB.int(bare, "destination.port"), 80)
        }
        let frag = try ParserHarness.one(p, "1700000001.004 87 10.0.0.7 TCP_MISS/200 1 GET http://a.example/docs/index.html#section-2 - HIER_DIRECT/140.82.112.6 -")
        XCTAssertEqual(PB.str(frag, "url.path"), "/docs/index.html")
        XCTAssertNil(frag[PB.key("url.query")])
    }

    func testDefaultPortFromScheme() throws {
        let e = try ParserHarness.one(p, "1700000001.004 87 10.0.0.7 TCP_MISS/200 1 GET https://api.github.com/user - HIER_DIRECT/140.82.112.6 application/json")
        XCTAssertNil(e[PB.key("url.port")])
        XCTAssertEqual(PB.int(e, "destination.port"), 443)
        XCTAssertEqual(PB.str(e, "url.path"), "/user")
    }

    func testDeniedAndNoneAreFailures() throws {
        let d = try ParserHarness.one(p, "1700000002.500      0 10.0.0.9 TCP_DENIED/403 3944 CONNECT gist.github.com:443 bob HIER_NONE/- text/html")
        XCTAssertEqual(PB.str(d, "event.outcome"), "failure")
        XCTAssertEqual(PB.str(d, "squid.result_code"), "TCP_DENIED")
        XCTAssertEqual(PB.str(d, "squid.hierarchy_code"), "HIER_NONE")
        XCTAssertNil(d[ECS.destinationIP])
        XCTAssertEqual(PB.str(d, "user.name"), "bob")
        let n = try ParserHarness.one(p, "1700000003.000      5 10.0.0.9 NONE_NONE/000 0 - error:invalid-request - HIER_NONE/- -")
        XCTAssertEqual(PB.str(n, "event.outcome"), "failure")
        XCTAssertEqual(PB.int(n, "http.response.status_code"), 0)
        XCTAssertNil(n[ECS.urlFull])
        XCTAssertEqual(PB.str(n, "url.original"), "error:invalid-request")
        let t = try ParserHarness.one(p, "1700000003.100      0 10.0.0.9 NONE_NONE/000 0 NONE error:transaction-end-before-headers - HIER_NONE/- -")
        XCTAssertNil(t[ECS.destinationDomain])
        XCTAssertEqual(PB.str(t, "url.original"), "error:transaction-end-before-headers")
        let s = try ParserHarness.one(p, "1700000003.000      5 10.0.0.9 TCP_MISS/502 120 GET http://x.test/ - HIER_DIRECT/10.1.1.1 text/html")
        XCTAssertEqual(PB.str(s, "event.outcome"), "failure")
    }

    func testIdentAndUserColumns() throws {
        // %ui %un: ident then user
        let e = try ParserHarness.one(p, "1700000000.123 456 10.0.0.5 TCP_TUNNEL/200 4521 CONNECT github.com:443 identd-carol carol HIER_DIRECT/140.82.112.3 -")
        XCTAssertEqual(PB.str(e, "user.name"), "carol")
        XCTAssertEqual(PB.str(e, "squid.ident"), "identd-carol")
        let f = try ParserHarness.one(p, "1700000000.123 456 10.0.0.5 TCP_TUNNEL/200 4521 CONNECT github.com:443 dave - HIER_DIRECT/140.82.112.3 -")
        XCTAssertEqual(PB.str(f, "user.name"), "dave")
        let g = try ParserHarness.one(p, "1700000000.123 456 10.0.0.5 TCP_TUNNEL/200 4521 CONNECT github.com:443 - - HIER_DIRECT/140.82.112.3 -")
        XCTAssertNil(g[ECS.userName])
    }

    func testCommonAndCombined() throws {
        let c = try ParserHarness.one(p, "10.0.0.5 - alice [23/Nov/2026:02:08:35 +0100] \"CONNECT github.com:443 HTTP/1.1\" 200 4521 TCP_TUNNEL:HIER_DIRECT")
        XCTAssertEqual(c.timestamp, Timestamp.make(year: 2026, month: 11, day: 23, hour: 1, minute: 8, second: 35))
        XCTAssertEqual(PB.str(c, "user.name"), "alice")
        XCTAssertEqual(PB.str(c, "destination.domain"), "github.com")
        XCTAssertEqual(PB.int(c, "destination.port"), 443)
        XCTAssertEqual(PB.str(c, "squid.result_code"), "TCP_TUNNEL")
        XCTAssertEqual(PB.str(c, "squid.hierarchy_code"), "HIER_DIRECT")
        XCTAssertEqual(PB.str(c, "http.version"), "1.1")
        let m = try ParserHarness.one(p, "10.0.0.8 - - [23/Nov/2026:02:09:00 +0000] \"GET http://codeload.github.com/acme/app/zip/main HTTP/1.1\" 200 1048576 \"-\" \"git/2.43.0 (\\\"x\\\")\" TCP_MISS:HIER_DIRECT")
        XCTAssertEqual(PB.str(m, "user_agent.original"), "git/2.43.0 (\\\"x\\\")")
        XCTAssertNil(m[ECS.userName])
        XCTAssertNil(m[PB.key("http.request.referrer")])
        XCTAssertEqual(PB.str(m, "url.path"), "/acme/app/zip/main")
        XCTAssertEqual(PB.int(m, "http.response.bytes"), 1_048_576)
        let d = try ParserHarness.one(p, "10.0.0.8 - eve [23/Nov/2026:02:09:00 +0000] \"GET http://pastebin.com/raw/x HTTP/1.1\" 403 3500 \"http://ref.test/\" \"curl/8.5.0\" TCP_DENIED:HIER_NONE")
        XCTAssertEqual(PB.str(d, "event.outcome"), "failure")
        XCTAssertEqual(PB.str(d, "http.request.referrer"), "http://ref.test/")
    }

    func testExplicitLogformatOption() throws {
        let native = try PB.make("squid", "logformat: squid")
        XCTAssertEqual(PB.failure(native, "10.0.0.5 - alice [23/Nov/2026:02:08:35 +0000] \"GET http://a.test/ HTTP/1.1\" 200 1 TCP_MISS:HIER_DIRECT")?.reason, "invalid_squid")
        let combined = try PB.make("squid", "logformat: combined")
        XCTAssertNoThrow(try ParserHarness.one(combined, "10.0.0.5 - alice [23/Nov/2026:02:08:35 +0000] \"GET http://a.test/ HTTP/1.1\" 200 1 \"-\" \"ua\" TCP_MISS:HIER_DIRECT"))
        XCTAssertThrowsError(try PB.make("squid", "logformat: apache"))
    }

    func testKeepsSourceFields() throws {
        var src = Event(original: [1, 2])
        src[ECS.hostName] = .string("proxy1")
        let out = try ParserHarness.run(p, "1700000000.123 456 10.0.0.5 TCP_TUNNEL/200 4521 CONNECT github.com:443 alice HIER_DIRECT/140.82.112.3 -", base: src)
        XCTAssertEqual(out.first?.string(ECS.hostName), "proxy1")
        XCTAssertEqual(out.first?.string(ECS.userName), "alice")
    }

    func testMalformed() {
        XCTAssertEqual(PB.failure(p, "")?.reason, "empty_record")
        XCTAssertEqual(PB.failure(p, "1700000000.123 456 10.0.0.5 TCP_TUNNEL/200")?.reason, "invalid_squid")
        XCTAssertEqual(PB.failure(p, "1700000000.123 4x6 10.0.0.5 TCP_TUNNEL/200 1 GET http://a/ - HIER_NONE/- -")?.reason, "invalid_squid")
        XCTAssertEqual(PB.failure(p, "1700000000.123 4 10.0.0.5 TCP_TUNNEL 1 GET http://a/ - HIER_NONE/- -")?.reason, "invalid_squid")
        XCTAssertEqual(PB.failure(p, "1700000000.123 4 10.0.0.5 TCP_MISS/200 many GET http://a/ - HIER_NONE/- -")?.reason, "invalid_squid")
        XCTAssertEqual(PB.failure(p, "10.0.0.5 - alice [23/Nov/2026:02:08")?.reason, "invalid_common")
        XCTAssertEqual(PB.failure(p, "10.0.0.5 - alice [23/Xyz/2026:02:08:35 +0000] \"GET / HTTP/1.1\" 200 1")?.reason, "invalid_common")
        XCTAssertEqual(PB.failure(p, [UInt8](repeating: 0x41, count: 70_000))?.reason, "too_long")
        // Invalid UTF-8 in a user name is repaired, not fatal.
        var bad = Array("1700000000.123 456 10.0.0.5 TCP_TUNNEL/200 4521 CONNECT github.com:443 ".utf8)
        bad += [0xC3, 0x28, 0xFF]
        bad += Array(" HIER_DIRECT/140.82.112.3 -".utf8)
        XCTAssertEqual(try ParserHarness.run(p, bad).first?.string(ECS.userName), "\u{FFFD}(\u{FFFD}")
    }

    func testFuzzNeverCrashes() {
        let (events, failures) = PB.fuzz(p, seeds: [
            "1700000000.123    456 10.0.0.5 TCP_TUNNEL/200 4521 CONNECT github.com:443 alice HIER_DIRECT/140.82.112.3 -",
            "1700000001.004     87 10.0.0.7 TCP_MISS/200 18342 GET http://[2001:db8::1]:8080/a?b#c - HIER_DIRECT/93.184.216.34 text/html",
            "10.0.0.8 - - [23/Nov/2026:02:09:00 +0000] \"GET http://codeload.github.com/x HTTP/1.1\" 200 1 \"-\" \"git/2.43.0\" TCP_MISS:HIER_DIRECT",
        ])
        XCTAssertGreaterThan(events, 0)
        XCTAssertGreaterThan(failures, 0)
    }
}

final class SquidRequestSizeTests: XCTestCase {
    /// `logformat … %mt %>st`: the trailing request size is what a client uploaded.
    func testTrailingRequestSizeColumn() throws {
        let e = try ParserHarness.one(SquidParser(), "1700000001.004    870 10.0.0.7 TCP_MISS/200 1342 POST https://github.com/acme/api.git/git-receive-pack alice HIER_DIRECT/140.82.112.3 application/x-git-receive-pack-result 52428800")
        XCTAssertEqual(PB.int(e, "source.bytes"), 52_428_800)
        XCTAssertEqual(PB.int(e, "http.request.bytes"), 52_428_800)
        XCTAssertEqual(PB.int(e, "destination.bytes"), 1342)
        XCTAssertEqual(PB.str(e, "http.response.mime_type"), "application/x-git-receive-pack-result")
        XCTAssertEqual(PB.str(e, "user.name"), "alice")
    }

    /// `logformat:` with Squid's own definition, for other layouts.
    func testLogformatDefinition() throws {
        let p = try PB.make("squid", #"logformat: "%ts.%03tu %6tr %>a %Ss/%03>Hs %<st %rm %ru %[un %Sh/%<a %mt %>st""#)
        let e = try ParserHarness.one(p, "1700000001.004    870 10.0.0.7 TCP_MISS/200 1342 POST https://github.com/acme/api.git/git-receive-pack alice HIER_DIRECT/140.82.112.3 application/x-git-receive-pack-result 52428800")
        XCTAssertEqual(e.timestamp, 1_700_000_001_004_000_000)
        XCTAssertEqual(PB.int(e, "event.duration"), 870_000_000)
        XCTAssertEqual(PB.str(e, "source.ip"), "10.0.0.7")
        XCTAssertEqual(PB.str(e, "squid.result_code"), "TCP_MISS")
        XCTAssertEqual(PB.int(e, "http.response.status_code"), 200)
        XCTAssertEqual(PB.int(e, "destination.bytes"), 1342)
        XCTAssertEqual(PB.int(e, "source.bytes"), 52_428_800)
        XCTAssertEqual(PB.str(e, "http.request.method"), "POST")
        XCTAssertEqual(PB.str(e, "url.domain"), "github.com")
        XCTAssertEqual(PB.str(e, "url.path"), "/acme/api.git/git-receive-pack")
        XCTAssertEqual(PB.str(e, "user.name"), "alice")
        XCTAssertEqual(PB.str(e, "squid.hierarchy_code"), "HIER_DIRECT")
        XCTAssertEqual(PB.str(e, "destination.ip"), "140.82.112.3")
        XCTAssertEqual(PB.str(e, "event.outcome"), "success")

        // Another layout: client first, a quoted user agent, request size in the middle.
        let q = try PB.make("squid", #"logformat: 'logformat uploads %>a [%tl] "%rm %ru HTTP/%rv" %>Hs %>st %<st "%{User-Agent}>h" %Ss:%Sh'"#)
        let u = try ParserHarness.one(q, #"10.0.0.8 [23/Nov/2026:02:09:00 +0000] "PUT https://gitlab.com/acme/x.git HTTP/1.1" 200 1048576 312 "git/2.43.0" TCP_MISS:HIER_DIRECT"#)
        XCTAssertEqual(u.timestamp, Timestamp.make(year: 2026, month: 11, day: 23, hour: 2, minute: 9, second: 0))
        XCTAssertEqual(PB.int(u, "source.bytes"), 1_048_576)
        XCTAssertEqual(PB.int(u, "destination.bytes"), 312)
        XCTAssertEqual(PB.str(u, "user_agent.original"), "git/2.43.0")
        XCTAssertEqual(PB.str(u, "http.version"), "1.1")
        XCTAssertEqual(PB.str(u, "squid.hierarchy_code"), "HIER_DIRECT")
        XCTAssertNotNil(PB.failure(q, Array("not a squid line".utf8)))
    }
}
