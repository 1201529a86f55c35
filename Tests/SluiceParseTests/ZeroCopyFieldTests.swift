import SluiceTestSupport
import XCTest
import SluiceCore
@testable import SluiceParse

/// Parsers that cut text fields out of the record as spans (`FieldValue.span`; the line
/// parsers and the json parser's top-level strings) must give the
/// same event as when they copy strings (a record that is not the event's `original`, such as
/// a field's text), and the spans must survive `drop_original`.
final class ZeroCopyFieldTests: XCTestCase {
    static var samples: [(String, Parser, String)] { [
        ("squid native", SquidParser(), "1700000001.004     87 10.0.0.7 TCP_MISS/200 18342 GET http://example.com:8080/repos/a/b.tar.gz?ref=main bob HIER_DIRECT/93.184.216.34 application/x-gzip"),
        ("squid connect", SquidParser(), "1700000000.123    456 10.0.0.5 TCP_TUNNEL/200 4521 CONNECT github.com:443 alice HIER_DIRECT/140.82.112.3 -"),
        ("squid combined", SquidParser(), #"10.0.0.9 - carol [23/Nov/2026:02:08:35 +0000] "GET https://codeload.github.com/acme/api/zip/main HTTP/1.1" 200 52133 "https://github.com/acme/api" "Mozilla/5.0 (X11; Linux x86_64) \"quoted\"" TCP_MISS:HIER_DIRECT"#),
        ("syslog 5424", SyslogParser(), #"<165>1 2026-11-23T02:08:35.123+01:00 web-01.acme.example sshd 4242 ID47 [exampleSDID@32473 iut="3" eventSource="App\"lication" eventID="1011"][origin ip="10.0.0.5"] Accepted publickey for dev-7 from 10.0.0.5 port 52144 ssh2"#),
        ("syslog 3164", SyslogParser(), "<38>Nov 23 02:08:35 bastion-02 sshd[1234]: pam_unix(sshd:session): session opened for user deploy(uid=1001) by (uid=0)"),
        ("syslog with BOM", SyslogParser(), "<14>1 2026-11-23T02:08:35Z host app - - - \u{FEFF}caf\u{E9} \u{1F600}"),
        ("cef over syslog", CEFParser(now: { 1_795_392_000_000_000_000 }), #"<134>Nov 23 02:08:35 nss01 CEF:0|Zscaler|NSSWeblog|5.7|Allowed|None|3|act=Allowed app=HTTPS proto=TCP dhost=github.com dst=140.82.112.3 src=10.0.0.5 spt=52144 dpt=443 in=5120 out=48000000 request=https://github.com/acme/api.git/git-upload-pack requestClientApplication=git/2.43.0 requestMethod=POST suser=alice@acme.example cs1=Engineering cs1Label=dept cs2=Web Hosting cs2Label=urlcat msg=a\=b c\\d rt=1763863715000"#),
        ("cef escapes", CEFParser(now: { 0 }), #"CEF:0|Vendor\|X|Prod|1.0|100|Name with \\ backslash|5|cs3=line1\nline2 cs3Label=multi\=line fname=C:\\temp\\x.zip proto=UDP"#),
        ("bind-query", BindQueryParser(), "23-Nov-2026 02:08:35.123 queries: info: client @0x7f9b2c0008e0 10.0.0.5#53211 (github.com): view internal: query: github.com IN A +E(0)K (10.0.0.1)"),
        ("dnsmasq query", DnsmasqParser(), "Nov 23 02:08:35 dnsmasq[1234]: 17 10.0.0.5/53211 query[AAAA] api.github.com from 10.0.0.5"),
        ("dnsmasq forwarded", DnsmasqParser(), "Nov 23 02:08:35 gw dnsmasq[1234]: forwarded github.com to 1.1.1.1"),
        ("dnsmasq other", DnsmasqParser(), "Nov 23 02:08:35 gw dnsmasq[1234]: read /etc/hosts - 7 names"),
        ("json audit", JSONParser(), #"{"@timestamp":1763863715000,"_document_id":"vyM5JcsWqS8lPq0bMR-rMQ","action":"git.clone","actor":"alice","actor_location":{"country_code":"US"},"repo":"acme/payments-api","hashed_token":"p7ZkLWJj5WmNtq3z6ySTnUpzEoPYlVz4dJ0xRp9R3fE=","programmatic_access_type":"Personal access token (classic)","user_agent":"git/2.43.0 (go-git)","transport_protocol":1,"public_repo":false,"labels":["x","y"]}"#),
        ("json escapes and unicode", JSONParser(), #"{"@timestamp":"2026-11-23T02:08:35.123Z","quoted":"a \"quoted\" word","path":"C:\\temp\\x.zip","line":"one\ntwo","accent":"caf\u00e9","emoji":"caf\#u{E9} \#u{1F600}","empty":"","nested":{"s":"plain","t":"tab\there"},"n":null}"#),
        ("json keeping the timestamp", JSONParser(keepTimestamp: true), #"{"@timestamp":"2026-11-23T02:08:35Z","host":"bastion-02","message":"Accepted publickey for dev-7"}"#),
    ] }

    func encode(_ e: Event) -> String {
        var out: [UInt8] = []
        EventJSONEncoder(includeOriginal: true).encode(e, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Parses `line` twice: with `spans` as the event's own `original` (zero-copy spans) and
    /// with `strings` from a second buffer (strings); asserts one event each, spans only in
    /// the first, and the same JSON. Returns the zero-copy event.
    @discardableResult
    func parseBothWays(_ spans: Parser, _ strings: Parser, _ line: String, _ name: String = "",
                       file: StaticString = #filePath, line l: UInt = #line) throws -> Event {
        let bytes = Array(line.utf8)
        let e = Event(original: bytes[...])
        var spanned: [Event] = [], copied: [Event] = []
        try spans.parse(e.original, event: e, into: &spanned)
        let loose = Array(line.utf8)  // a second buffer
        try strings.parse(loose[...], event: e, into: &copied)
        XCTAssertEqual(spanned.count, 1, name, file: file, line: l)
        XCTAssertEqual(copied.count, 1, name, file: file, line: l)
        let a = try XCTUnwrap(spanned.first, file: file, line: l), b = try XCTUnwrap(copied.first, file: file, line: l)
        XCTAssertTrue(a.hasSpans, "\(name): expected zero-copy fields", file: file, line: l)
        XCTAssertFalse(b.hasSpans, "\(name): a record outside `original` must give strings", file: file, line: l)
        XCTAssertEqual(encode(a), encode(b), name, file: file, line: l)
        return a
    }

    func testSpansAndStringsGiveTheSameEvent() throws {
        for (name, parser, line) in Self.samples { try parseBothWays(parser, parser, line, name) }
    }

    /// A JSON string member with invalid UTF-8 (no escapes) stays a span and reads, and
    /// encodes, repaired like the string the parser made before.
    func testInvalidUTF8InAJSONSpanIsRepairedLikeAString() throws {
        var bytes = Array(#"{"action":"git.clone","note":"bad "#.utf8)
        bytes += [0xC3, 0x28, 0xFF]
        bytes += Array(#""}"#.utf8)
        let e = Event(original: bytes[...])
        var out: [Event] = []
        try JSONParser().parse(e.original, event: e, into: &out)
        XCTAssertTrue(out[0].hasSpans)
        XCTAssertEqual(out[0].string(FieldKey("note")), "bad \u{FFFD}(\u{FFFD}")
        XCTAssertTrue(encode(out[0]).contains(#""note":"bad \#u{FFFD}(\#u{FFFD}""#), encode(out[0]))
    }

    func testInvalidUTF8InASpanIsRepairedLikeAString() throws {
        var bytes = Array("<13>1 2026-11-23T02:08:35Z host app - - - bad ".utf8)
        bytes += [0xC3, 0x28, 0xFF]
        let e = Event(original: bytes[...])
        var out: [Event] = []
        try SyslogParser().parse(e.original, event: e, into: &out)
        XCTAssertEqual(out[0].string(ECS.message), "bad \u{FFFD}(\u{FFFD}")
        XCTAssertTrue(encode(out[0]).contains(#""message":"bad \#u{FFFD}(\#u{FFFD}""#))
    }

    /// `drop_original` hides the record (not written, not matched) but the spans keep
    /// reading it, so no value is copied into a string; what stores or keeps the event
    /// (codecs, evidence) gets it self-contained.
    func testDropOriginalKeepsTheFieldValues() throws {
        let line = Array("1700000000.123    456 10.0.0.5 TCP_TUNNEL/200 4521 CONNECT github.com:443 alice HIER_DIRECT/140.82.112.3 -".utf8)
        let t = ParseTransform(format: "squid", parser: SquidParser(), field: nil, dropOriginal: true)
        var out: [Event] = []
        var failures: [DeadLetter] = []
        t.process([Event(original: line[...])], into: &out, failures: &failures)
        XCTAssertEqual(out.count, 1)
        var e = out[0]
        XCTAssertTrue(e.original.isEmpty)
        XCTAssertTrue(e.hasSpans, "the values stay spans of the hidden record")
        XCTAssertEqual(e.string(ECS.userName), "alice")
        XCTAssertEqual(e.string(ECS.destinationDomain), "github.com")
        XCTAssertEqual(e.string(ECS.urlFull), "github.com:443")
        let json = encode(e)
        XCTAssertFalse(json.contains("original"), json)
        XCTAssertTrue(json.contains(#""name":"alice""#), json)
        // Stored self-contained: the codec writes strings and no record.
        var w = BinaryWriter()
        EventCodec.encode(e, into: &w)
        var r = BinaryReader(w.bytes)
        let back = try EventCodec.decode(&r)
        XCTAssertTrue(back.original.isEmpty)
        XCTAssertFalse(back.hasSpans)
        XCTAssertEqual(encode(back), json)
        // Kept long (evidence): the record copied out of the read buffer, still dropped, the
        // values still spans of it.
        var kept = e
        kept.compactOriginal()
        XCTAssertTrue(kept.hasSpans)
        XCTAssertTrue(kept.original.isEmpty)
        XCTAssertEqual(Array(kept.spanStorage), line)
        XCTAssertEqual(kept.string(ECS.userName), "alice")
        XCTAssertEqual(encode(kept), json)
        // Giving it an original again turns the old spans into strings first.
        e.original = Array("replaced".utf8)[...]
        XCTAssertFalse(e.hasSpans)
        XCTAssertEqual(e.string(ECS.userName), "alice")

        // The same for a JSON record: top-level strings stay spans.
        let jt = ParseTransform(format: "json", parser: JSONParser(), field: nil, dropOriginal: true)
        var jout: [Event] = []
        jt.process([Event(original: Array(#"{"@timestamp":1763863715000,"actor":"alice","repo":"acme/api","n":3}"#.utf8)[...])], into: &jout, failures: &failures)
        XCTAssertEqual(jout.count, 1)
        XCTAssertTrue(jout[0].hasSpans)
        XCTAssertEqual(encode(jout[0]), #"{"@timestamp":"2025-11-23T02:08:35.000Z","actor":"alice","repo":"acme/api","n":3}"#)
        XCTAssertTrue(failures.isEmpty)
    }
}

extension ZeroCopyFieldTests {
    /// W3C cells become spans, except a quoted cell with a doubled quote, which is unquoted
    /// into a string; both encode as the copying path does.
    func testW3CSpansAndStringsGiveTheSameEvent() throws {
        let header = "#Fields: date time time-taken c-ip cs-username sc-status s-action cs-method cs-host cs-uri-path cs-uri-query cs(User-Agent) sc-bytes cs-bytes"
        let line = #"2026-11-23 02:08:35 41 10.0.0.5 alice 200 TCP_TUNNELED POST github.com /acme/api.git/git-receive-pack ?service=x "git/2.43.0 ""quoted"" agent" 4521 52133000"#
        let spansParser = W3CProxyParser(), stringsParser = W3CProxyParser()
        _ = try ParserHarness.run(spansParser, header)
        _ = try ParserHarness.run(stringsParser, header)
        let spanned = try parseBothWays(spansParser, stringsParser, line)
        XCTAssertEqual(spanned.string(ECS.userAgent), #"git/2.43.0 "quoted" agent"#)
        XCTAssertEqual(spanned.string(ECS.userName), "alice")
    }
}

extension ZeroCopyFieldTests {
    /// Zeek TSV cells become spans, except cells with `\x` escapes, which are unescaped into
    /// strings; the query's registered domain is a span of the query (or a folded string).
    func testZeekTSVSpansAndStringsGiveTheSameEvent() throws {
        let header = ["#separator \\x09", "#set_separator\t,", "#empty_field\t(empty)", "#unset_field\t-",
                      "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\ttrans_id\trtt\tquery\tqclass\tqclass_name\tqtype\tqtype_name\trcode\trcode_name\tAA\tTC\tRD\tRA\tZ\tanswers\tTTLs\trejected"]
        let lines = [
            "1700000000.066051\tCpq7Om6xFqruczkr6r\t10.0.5.79\t55784\t10.0.0.1\t53\tudp\t8120\t0.002149\traw.GitHubUserContent.com\t1\tC_INTERNET\t1\tA\t0\tNOERROR\tF\tF\tT\tT\t0\t185.199.108.133,185.199.109.133\t60.000000,60.000000\tF",
            "1700000001.5\tCx1\t10.0.5.80\t40000\t10.0.0.1\t53\tudp\t9\t-\tweird\\x09name.example.co.uk\t1\tC_INTERNET\t16\tTXT\t3\tNXDOMAIN\tF\tF\tT\tF\t0\t-\t-\tF",
        ]
        for line in lines {
            let spansParser = ZeekDNSParser(), stringsParser = ZeekDNSParser()
            for h in header { _ = try ParserHarness.run(spansParser, h); _ = try ParserHarness.run(stringsParser, h) }
            try parseBothWays(spansParser, stringsParser, line)
        }
    }
}
