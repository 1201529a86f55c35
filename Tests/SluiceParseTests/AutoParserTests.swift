import SluiceTestSupport
import XCTest
import SluiceCore
@testable import SluiceParse

/// Stands in for a format another component provides: records what it was given.
final class RecordingParser: Parser {
    let name: String
    let accepts: (String) -> Bool
    var seen: [String] = []
    init(_ name: String, accepts: @escaping (String) -> Bool = { _ in true }) { self.name = name; self.accepts = accepts }
    func parse(_ record: ArraySlice<UInt8>, event: Event, into output: inout [Event]) throws {
        let text = String(decoding: record, as: UTF8.self)
        seen.append(text)
        guard accepts(text) else { throw ParseFailure("not_\(name)", "") }
        var e = event
        e[ECS.eventDataset] = .string(name)
        output.append(e)
    }
}

final class AutoParserTests: XCTestCase {
    static let now = Timestamp.make(year: 2026, month: 11, day: 23, hour: 12, minute: 0, second: 0)

    func testOwnFormatsInAMixedStream() throws {
        let p = AutoParser(now: { Self.now })
        // CEF bare and after a syslog header.
        let c1 = try ParserHarness.one(p, "CEF:0|Zscaler|NSSWeblog|5.7|Allowed|None|3|dhost=github.com src=10.1.2.3")
        XCTAssertEqual(c1.s("observer.vendor"), "Zscaler")
        let c2 = try ParserHarness.one(p, "<134>Nov 23 02:08:36 nss01 CEF:0|Zscaler|NSSWeblog|5.7|Allowed|None|3|dhost=github.com")
        XCTAssertEqual(c2.s("destination.domain"), "github.com")
        XCTAssertEqual(c2.s("host.name"), "nss01")
        // CEF after a tag (`tag: CEF:...`) is found as payload.
        let c3 = try ParserHarness.one(p, "<134>Nov 23 02:08:36 fw01 cef-fwd[7]: CEF:0|Palo Alto Networks|PAN-OS|10.1|url|THREAT|3|src=10.0.0.1")
        XCTAssertEqual(c3.s("observer.product"), "PAN-OS")
        XCTAssertEqual(c3.i("process.pid"), 7)
        // GitHub audit JSON, bare and in syslog.
        let g1 = try ParserHarness.one(p, GitHubAuditParserTests.patClone)
        XCTAssertEqual(g1.s("github.token_kind"), "pat_classic")
        let g2 = try ParserHarness.one(p, #"<134>1 2026-11-23T02:08:36Z ghes-01 github - - - {"action":"git.clone","actor":"x","repo":"a/b"}"#)
        XCTAssertEqual(g2.s("event.action"), "git.clone")
        XCTAssertEqual(g2.s("host.name"), "ghes-01")
        XCTAssertNil(g2[ECS.message])
        // Other JSON → json.
        let j = try ParserHarness.one(p, #"{"level":"info","msg":"hello","@timestamp":"2026-11-23T02:00:00Z"}"#)
        XCTAssertEqual(j.s("msg"), "hello")
        XCTAssertNil(j[ECS.eventAction])
        // RFC 5424 and 3164 syslog with plain payloads.
        let s1 = try ParserHarness.one(p, "<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make the do-nuts.")
        XCTAssertEqual(s1.i("log.syslog.version"), 1)
        XCTAssertEqual(s1.s("message"), "%% It's time to make the do-nuts.")
        let s2 = try ParserHarness.one(p, "Nov 23 02:08:35 bastion sshd[4721]: Accepted publickey for deploy")
        XCTAssertEqual(s2.s("process.name"), "sshd")
        XCTAssertEqual(s2.timestamp, Timestamp.make(year: 2026, month: 11, day: 23, hour: 2, minute: 8, second: 35))
        // A JSON-looking syslog payload that is not JSON keeps the syslog event.
        let s3 = try ParserHarness.one(p, "<13>Nov 23 02:08:35 h app: {not json")
        XCTAssertEqual(s3.s("message"), "{not json")
        // Plain text: a syslog event whose message is the line.
        XCTAssertEqual(try ParserHarness.one(p, "hello there").s("message"), "hello there")
        // Malformed records of confident formats fail with the format's reason.
        ParseTest.fails(p, "CEF:0|v|p|1", reason: "invalid_cef_header")
        ParseTest.fails(p, #"{"action":"git.clone","actor":"#, reason: "invalid_json")
        ParseTest.fails(p, "<14>1 bad-stamp h a - - - x", reason: "invalid_rfc5424")
        ParseTest.fails(p, "", reason: "empty_record")
    }

    func testOtherFormatsAreUsedWhenRegistered() throws {
        var fakes: [String: RecordingParser] = [:]
        for n in AutoParser.optionalFormats { fakes[n] = RecordingParser(n) }
        // The dnsmasq stand-in only takes bare messages, to show the payload retry.
        fakes["dnsmasq"] = RecordingParser("dnsmasq") { $0.hasPrefix("query[") }
        let p = AutoParser(others: fakes, now: { Self.now })
        func ds(_ line: String) throws -> String? { try ParserHarness.one(p, line).s("event.dataset") }
        XCTAssertEqual(try ds("1763863715.123    245 10.1.2.3 TCP_TUNNEL/200 5321 CONNECT github.com:443 - HIER_DIRECT/140.82.112.3 -"), "squid")
        XCTAssertEqual(try ds(#"10.1.2.3 - alice [23/Nov/2026:02:08:35 +0000] "GET http://example.com/ HTTP/1.1" 200 512 "-" "curl/8.5.0" TCP_MISS:HIER_DIRECT"#), "squid")
        XCTAssertEqual(try ds("#separator \\x09"), "zeek-dns")
        XCTAssertEqual(try ds("#fields\tts\tuid\tid.orig_h"), "zeek-dns")
        XCTAssertEqual(try ds("1763863715.123456\tCk1X2\t10.0.0.5\t53211\t10.0.0.1\t53\tudp\t4711\t-\tgithub.com"), "zeek-dns")
        XCTAssertEqual(try ds(#"{"ts":1763863715.12,"uid":"C1","id.orig_h":"10.0.0.5","query":"github.com"}"#), "zeek-dns")
        XCTAssertEqual(try ds("#Fields: date time time-taken c-ip sc-status"), "w3c-proxy")
        XCTAssertEqual(try ds("2026-11-23 02:08:35 45 10.1.2.3 200 TCP_NC_MISS 5321 2210000 POST https github.com 443 /acme/api.git"), "w3c-proxy")
        XCTAssertEqual(try ds("23-Nov-2026 02:08:35.123 client @0x7f1c 10.0.0.5#53211 (github.com): query: github.com IN A +E(0)K (10.0.0.1)"), "bind-query")
        XCTAssertEqual(try ds("type=EXECVE msg=audit(1763863715.123:4711): argc=3 a0=\"tar\" a1=\"czf\" a2=\"/tmp/x.tgz\""), "auditd")
        // auditd with `name_format = hostname` writes `node=NAME ` first.
        XCTAssertEqual(try ds("node=build-03 type=EXECVE msg=audit(1763863715.123:4711): argc=3 a0=\"tar\" a1=\"czf\" a2=\"/tmp/x.tgz\""), "auditd")
        XCTAssertEqual(try ds("<134>Nov 23 02:08:35 ws-17 audisp-syslog: node=ws-17 type=SYSCALL msg=audit(1763863715.123:4711): arch=c000003e"), "auditd")
        XCTAssertNotEqual(try ds("node=build-03 restarted the audit daemon"), "auditd")
        XCTAssertEqual(try ds("<Event><System><Provider Name=\"Linux-Sysmon\"/><EventID>1</EventID></System></Event>"), "sysmon-linux")
        XCTAssertEqual(try ds(#"{"name":"pack_process_events","hostIdentifier":"ws-17","action":"added","columns":{}}"#), "osquery")
        // In syslog: sysmon XML, auditd via audisp-syslog, bind via named, dnsmasq by tag.
        XCTAssertEqual(try ds("<134>Nov 23 02:08:35 ws-17 sysmon: <Event><System><EventID>1</EventID></System></Event>"), "sysmon-linux")
        XCTAssertEqual(try ds("<134>Nov 23 02:08:35 ws-17 audisp-syslog: type=SYSCALL msg=audit(1763863715.123:4711): arch=c000003e"), "auditd")
        XCTAssertEqual(try ds("<30>Nov 23 02:08:35 ns1 named[812]: client @0x7f1c 10.0.0.5#53211 (github.com): query: github.com IN A + (10.0.0.1)"), "bind-query")
        let dm = try ParserHarness.one(p, "<30>Nov 23 02:08:35 gw dnsmasq[377]: query[A] github.com from 10.0.0.5")
        XCTAssertEqual(dm.s("event.dataset"), "dnsmasq")
        XCTAssertEqual(dm.s("host.name"), "gw", "payload parse keeps the syslog header fields")
        XCTAssertEqual(fakes["dnsmasq"]!.seen, ["<30>Nov 23 02:08:35 gw dnsmasq[377]: query[A] github.com from 10.0.0.5", "query[A] github.com from 10.0.0.5"])
        // Own formats keep precedence.
        XCTAssertNil(try ParserHarness.one(p, GitHubAuditParserTests.patClone).s("event.dataset").flatMap { $0 == "github.audit" ? nil : $0 })
        XCTAssertEqual(try ParserHarness.one(p, "CEF:0|v|p|1|s|n|5|").s("event.code"), "s")
    }

    /// `auto` finds the other formats in the registry by name when it is built.
    func testLooksUpOtherFormatsInTheRegistry() throws {
        var registry = ParseComponents.registry
        nonisolated(unsafe) let fake = RecordingParser("squid")  // built once, used by this test's thread only
        registry.parsers["squid"] = { _, _ in fake }
        let ctx = BuildContext(name: "t", mode: .toEnd, dataDir: nil, logger: .init(label: "t"), registry: registry)
        let o = ParseTest.options([:])
        let p = try XCTUnwrap(try registry.makeParser(format: "auto", options: o, context: ctx))
        XCTAssertEqual(o.finish().count, 0)
        let e = try ParserHarness.one(p, "1763863715.123    245 10.1.2.3 TCP_TUNNEL/200 5321 CONNECT github.com:443 - HIER_DIRECT/140.82.112.3 -")
        XCTAssertEqual(e.s("event.dataset"), "squid")
        XCTAssertEqual(fake.seen.count, 1)
    }

    /// With every format registered (after the parsers-b merge): a mixed stream of real lines.
    func testMixedStreamWithAllRegisteredFormats() throws {
        let p = try ParseTest.make("auto")
        var out: [Event] = []
        func feed(_ line: String) throws {
            let e = Event(original: ArraySlice(Array(line.utf8)))
            try p.parse(e.original, event: e, into: &out)
        }
        let lines = [
            "1700000000.123    456 10.0.0.5 TCP_TUNNEL/200 4521 CONNECT github.com:443 alice HIER_DIRECT/140.82.112.3 -",
            "23-Nov-2026 02:08:35.123 queries: info: client @0x7f9b2c0008e0 10.0.0.5#53211 (github.com): query: github.com IN A +E(0)K (10.0.0.1)",
            "Nov 23 02:08:35 gw dnsmasq[1234]: query[A] github.com from 10.0.0.5",
            "<30>Nov 23 02:08:35 ns1 named[812]: client @0x7f9b2c0008e0 10.0.0.5#53211 (github.com): query: github.com IN A +E(0)K (10.0.0.1)",
            #"{"name":"pack_processes","hostIdentifier":"build1","calendarTime":"Mon Nov 23 02:08:36 2026 UTC","unixTime":1700000001,"epoch":0,"counter":12,"numerics":false,"columns":{"pid":"1234","name":"git","path":"/usr/bin/git","cmdline":"git push origin main","parent":"1200"},"action":"added"}"#,
            "#separator \\x09",
            "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\ttrans_id\trtt\tquery\tqclass\tqclass_name\tqtype\tqtype_name\trcode\trcode_name\tAA\tTC\tRD\tRA\tZ\tanswers\tTTLs\trejected",
            "1700000000.123456\tCk1X2\t10.0.0.5\t53211\t10.0.0.1\t53\tudp\t4711\t0.01\tgithub.com\t1\tC_INTERNET\t1\tA\t0\tNOERROR\tF\tF\tT\tT\t0\t140.82.112.3\t60.0\tF",
            GitHubAuditParserTests.patClone,
            "<134>Nov 23 02:08:36 nss01 CEF:0|Zscaler|NSSWeblog|5.7|Allowed|None|3|dhost=github.com src=10.1.2.3",
            "<38>Nov 23 02:08:35 bastion sshd[4721]: Accepted publickey for deploy from 10.0.4.7 port 52814 ssh2",
        ]
        for l in lines { try feed(l) }
        p.tick(StageTime(wallClock: Timestamp.now(), eventTime: Int64.max, final: true), into: &out)
        // CEF and plain syslog set no dataset: shown as "cef" / "syslog:<app>".
        let datasets = out.map { $0.s("event.dataset") ?? ($0.has("cef.version") ? "cef" : "syslog:" + ($0.s("process.name") ?? "")) }
        XCTAssertEqual(datasets, ["squid.access", "bind.query", "dnsmasq.log", "bind.query", "osquery.result", "zeek.dns",
                                  "github.audit", "cef", "syslog:sshd"])
        XCTAssertEqual(out[1].s("dns.question.name"), "github.com")
        XCTAssertEqual(out[3].s("dns.question.name"), "github.com", "BIND query via syslog")
        XCTAssertEqual(out[7].s("observer.vendor"), "Zscaler")
    }

    /// Cisco WSA W3C logs start data lines with an epoch, like squid: the header decides.
    func testWSAEpochLinesFollowTheW3CHeader() throws {
        let p = try ParseTest.make("auto")
        let squidLine = "1700000000.123    456 10.0.0.5 TCP_TUNNEL/200 4521 CONNECT github.com:443 alice HIER_DIRECT/140.82.112.3 -"
        XCTAssertEqual(try ParserHarness.one(p, squidLine).s("event.dataset"), "squid.access")
        XCTAssertEqual(try ParserHarness.run(p, "#Fields: timestamp x-elapsed-time c-ip x-resultcode-httpstatus sc-bytes cs-method cs-url cs-username x-hierarchy-origin cs-mime-type").count, 0)
        let w = try ParserHarness.one(p, "1700000000.250 1524 10.0.0.5 TCP_DENIED/403 3944 CONNECT tunnel://gist.github.com:443/ alice DEFAULT_PARENT/proxy text/html")
        XCTAssertEqual(w.s("event.dataset"), "w3c.proxy")
        XCTAssertEqual(w.i("http.response.status_code"), 403)
        // A date-first header switches back: epoch lines are squid again.
        _ = try ParserHarness.run(p, "#Fields: date time c-ip cs-username cs-method cs-uri sc-status s-action sc-bytes cs-bytes")
        XCTAssertEqual(try ParserHarness.one(p, squidLine).s("event.dataset"), "squid.access")
    }

    func testUnregisteredOtherFormatsFallThrough() throws {
        let p = AutoParser(now: { Self.now })
        // Without a squid parser, a squid line is a plain syslog message, not lost.
        let e = try ParserHarness.one(p, "1763863715.123    245 10.1.2.3 TCP_TUNNEL/200 5321 CONNECT github.com:443 - HIER_DIRECT/140.82.112.3 -")
        XCTAssertNotNil(e.s("message"))
    }

    func testBuiltFromRegistryTicksAndSurvivesGarbage() throws {
        let p = try ParseTest.make("auto", ["timezone": "UTC"])
        var out: [Event] = []
        p.tick(StageTime(wallClock: 0, eventTime: Int64.max, final: true), into: &out)
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let n = Int.random(in: 0..<64, using: &rng)
            let bytes = (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
            ParserHarness.survive(p, bytes)
            ParserHarness.survive(p, Array("<13>".utf8) + bytes)
            ParserHarness.survive(p, Array("CEF:0|".utf8) + bytes)
            ParserHarness.survive(p, Array("{\"action\":".utf8) + bytes)
        }
    }
}

final class AutoParserPayloadWhitespaceTests: XCTestCase {
    /// rsyslog forwards GitHub audit JSON as `… github_audit - - -  {"@timestamp":…` (empty
    /// MSGID, no SD, and a space before the JSON).
    func testGitHubAuditInRFC5424WithLeadingSpace() throws {
        let p = try ParseTest.make("auto")
        let json = #"{"@timestamp":1763863715123,"action":"git.clone","actor":"mallory","actor_ip":"203.0.113.45","repo":"acme/payments-service","programmatic_access_type":"Personal access token (classic)"}"#
        let e = try ParserHarness.one(p, "<14>1 2026-11-23T02:08:35.123Z gh-forwarder github_audit - - -  " + json)
        XCTAssertEqual(e.s("event.action"), "git.clone")
        XCTAssertEqual(e.s("user.name"), "mallory")
        XCTAssertEqual(e.s("github.repo"), "acme/payments-service")
        XCTAssertEqual(e.s("github.token_kind"), "pat_classic")
        XCTAssertEqual(e.s("host.name"), "gh-forwarder")
    }
}
