import SluiceTestSupport
import XCTest
import SluiceCore
@testable import SluiceParse

final class CEFParserTests: XCTestCase {
    static let now = Timestamp.make(year: 2026, month: 11, day: 23, hour: 12, minute: 0, second: 0)
    func parser(_ tz: SyslogTimeZone = .utc) -> CEFParser { CEFParser(timezone: tz, now: { Self.now }) }

    // Zscaler NSS web log in CEF, as forwarded over syslog (field names per the NSS CEF feed).
    static let zscaler = "<134>Nov 23 02:08:36 nss01 CEF:0|Zscaler|NSSWeblog|5.7|Allowed|None|3|act=Allowed reason=Allowed app=HTTPS dhost=github.com dst=140.82.112.3 src=10.1.2.3 spt=51522 dpt=443 in=5321 out=2210000 request=https://github.com/acme/api.git/git-upload-pack requestClientApplication=git/2.43.0 requestMethod=POST suser=alice@acme.example cs1=Engineering cs1Label=dept cs2=Web Hosting cs2Label=urlcat rt=Nov 23 2026 02:08:35 UTC"

    func testZscalerCEFOverSyslog() throws {
        let e = try ParserHarness.one(parser(), Self.zscaler)
        XCTAssertEqual(e.i("cef.version"), 0)
        XCTAssertEqual(e.s("observer.vendor"), "Zscaler")
        XCTAssertEqual(e.s("observer.product"), "NSSWeblog")
        XCTAssertEqual(e.s("observer.version"), "5.7")
        XCTAssertEqual(e.s("event.code"), "Allowed")
        XCTAssertEqual(e.s("event.reason"), "None")
        XCTAssertEqual(e.i("event.severity"), 3)
        XCTAssertEqual(e.s("event.action"), "Allowed")
        XCTAssertEqual(e.s("destination.domain"), "github.com")
        XCTAssertEqual(e.s("destination.ip"), "140.82.112.3")
        XCTAssertEqual(e.s("source.ip"), "10.1.2.3")
        XCTAssertEqual(e.i("source.port"), 51522)
        XCTAssertEqual(e.i("destination.port"), 443)
        XCTAssertEqual(e.i("source.bytes"), 2210000, "out = bytes the source sent")
        XCTAssertEqual(e.i("destination.bytes"), 5321, "in = bytes the destination sent back")
        XCTAssertEqual(e.s("url.original"), "https://github.com/acme/api.git/git-upload-pack")
        XCTAssertEqual(e.s("url.full"), "https://github.com/acme/api.git/git-upload-pack")
        XCTAssertEqual(e.s("user_agent.original"), "git/2.43.0")
        XCTAssertEqual(e.s("http.request.method"), "POST")
        XCTAssertEqual(e.s("user.name"), "alice@acme.example")
        XCTAssertEqual(e.s("network.protocol"), "https")
        // Custom labels, raw extensions kept too.
        XCTAssertEqual(e.s("cef.labels.dept"), "Engineering")
        XCTAssertEqual(e.s("cef.labels.urlcat"), "Web Hosting")
        XCTAssertEqual(e.s("cef.extensions.cs2"), "Web Hosting")
        XCTAssertEqual(e.s("cef.extensions.cs2Label"), "urlcat")
        XCTAssertEqual(e.s("cef.extensions.reason"), "Allowed")
        // rt is the event time; the syslog header gave host and priority.
        XCTAssertEqual(e.timestamp, Timestamp.make(year: 2026, month: 11, day: 23, hour: 2, minute: 8, second: 35))
        XCTAssertEqual(e.s("host.name"), "nss01")
        XCTAssertEqual(e.i("log.syslog.priority"), 134)
        XCTAssertEqual(Set(e.fields.map { $0.key }).count, e.fields.count)
    }

    // The escaping examples of the ArcSight CEF specification.
    func testSpecEscapes() throws {
        let p = parser()
        let a = try ParserHarness.one(p, #"Sep 19 08:26:10 host CEF:0|security|threatmanager|1.0|100|detected a \| in message|10|src=10.0.0.1 act=blocked a | dst=1.1.1.1"#)
        XCTAssertEqual(a.s("event.reason"), "detected a | in message")
        XCTAssertEqual(a.s("event.action"), "blocked a |")
        XCTAssertEqual(a.s("destination.ip"), "1.1.1.1")
        XCTAssertEqual(a.i("event.severity"), 10)
        XCTAssertEqual(a.s("host.name"), "host")
        XCTAssertEqual(a.timestamp, Timestamp.make(year: 2026, month: 9, day: 19, hour: 8, minute: 26, second: 10))
        let b = try ParserHarness.one(p, #"CEF:0|security|threatmanager|1.0|100|detected a \\ in packet|10|src=10.0.0.1 act=blocked a \\ dst=1.1.1.1"#)
        XCTAssertEqual(b.s("event.reason"), #"detected a \ in packet"#)
        XCTAssertEqual(b.s("event.action"), #"blocked a \"#)
        let c = try ParserHarness.one(p, #"CEF:0|security|threatmanager|1.0|100|detected a = in message|10|src=10.0.0.1 act=blocked a \= dst=1.1.1.1"#)
        XCTAssertEqual(c.s("event.action"), "blocked a =")
        let d = try ParserHarness.one(p, #"CEF:0|security|threatmanager|1.0|100|multi|Very-High|msg=line one\nline two\r end cs1=x\=y cs1Label=a label"#)
        XCTAssertEqual(d.s("message"), "line one\nline two\r end")
        XCTAssertEqual(d.i("event.severity"), 10)
        XCTAssertEqual(d.s("cef.severity"), "Very-High")
        XCTAssertEqual(d.s("cef.labels.a label"), "x=y")
        // Unknown escapes stay as written; a header with an escaped backslash before a pipe.
        let f = try ParserHarness.one(p, #"CEF:0|ven\\|prod|1|sig|name \t x|5|filePath=C:\Windows\temp"#)
        XCTAssertEqual(f.s("observer.vendor"), #"ven\"#)
        XCTAssertEqual(f.s("observer.product"), "prod")
        XCTAssertEqual(f.s("event.reason"), #"name \t x"#)
        XCTAssertEqual(f.s("cef.extensions.filePath"), #"C:\Windows\temp"#)
    }

    func testValuesWithSpacesEqualsAndEmpty() throws {
        let p = parser()
        let e = try ParserHarness.one(p, "CEF:1|Blue Coat|ProxySG|7.3|200|OBSERVED|Low|request=https://api.github.com/repos/acme/api/contents?ref=main&x=1 suser= shost=ws-17.corp.example  dvchost=proxy 1 rt=1763863715123\r\n")
        XCTAssertEqual(e.s("url.full"), "https://api.github.com/repos/acme/api/contents?ref=main&x=1")
        XCTAssertEqual(e.s("cef.extensions.suser"), "")
        XCTAssertNil(e[ECS.userName])
        XCTAssertEqual(e.s("source.domain"), "ws-17.corp.example ", "a second space belongs to the value")
        XCTAssertEqual(e.s("observer.hostname"), "proxy 1")
        XCTAssertEqual(e.i("cef.version"), 1)
        XCTAssertEqual(e.i("event.severity"), 3)
        XCTAssertEqual(e.timestamp, 1763863715123 * 1_000_000)
        // No extension at all.
        let g = try ParserHarness.one(p, "CEF:0|v|p|1|sig|name|5|")
        XCTAssertEqual(g.s("event.code"), "sig")
        // RFC 5424 header before CEF.
        let h = try ParserHarness.one(p, "<14>1 2026-11-23T02:08:35.5Z fw01 cef - - - CEF:0|v|p|1|sig|name|5|src=10.0.0.9")
        XCTAssertEqual(h.s("host.name"), "fw01")
        XCTAssertEqual(h.timestamp, Timestamp.make(year: 2026, month: 11, day: 23, hour: 2, minute: 8, second: 35, nanos: 500_000_000))
        // rt with milliseconds and a zone offset.
        let r = try ParserHarness.one(p, "CEF:0|v|p|1|sig|name|5|rt=Nov 23 2026 02:08:35.250 +01:00")
        XCTAssertEqual(r.timestamp, Timestamp.make(year: 2026, month: 11, day: 23, hour: 1, minute: 8, second: 35, nanos: 250_000_000))
    }

    /// Round trip: the CEF escaping rules applied to hostile values must come back unchanged.
    func testRoundTripOfEscapedValues() throws {
        func escHeader(_ s: String) -> String { s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "|", with: "\\|") }
        func escExt(_ s: String) -> String {
            s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "=", with: "\\=")
                .replacingOccurrences(of: "\r", with: "\\r").replacingOccurrences(of: "\n", with: "\\n")
        }
        let hostile = ["acme/evil repo dst=6.6.6.6", "a\\|b|c\\", "x\ny\rz=", "ends with backslash\\", " lead and trail ", "cs1Label=x", "ü日本\\n"]
        let p = parser()
        for v in hostile {
            let line = "CEF:0|\(escHeader(v))|p|1|sig|\(escHeader(v))|5|suser=\(escExt(v)) request=\(escExt(v)) cs1=\(escExt(v)) cs1Label=lbl"
            let e = try ParserHarness.one(p, line)
            XCTAssertEqual(e.s("observer.vendor"), v.trimmingCharacters(in: .init()), line)
            XCTAssertEqual(e.s("event.reason"), v, line)
            XCTAssertEqual(e.s("cef.extensions.suser"), v, line)
            XCTAssertEqual(e.s("url.full"), v, line)
            XCTAssertEqual(e.s("cef.labels.lbl"), v, line)
            XCTAssertNil(e[ECS.destinationIP], "no forged field from \(v)")
        }
    }

    func testDuplicateKeysLastWinsAndKeysStayUnique() throws {
        var base = Event()
        base[ECS.hostName] = .string("collector")
        let out = try ParserHarness.run(parser(), "CEF:0|v|p|1|sig|name|5|src=10.0.0.1 src=10.0.0.2 msg=a msg=b cs1=x cs1Label=l cs1Label=l", base: base)
        let e = try XCTUnwrap(out.first)
        XCTAssertEqual(e.s("source.ip"), "10.0.0.2")
        XCTAssertEqual(e.s("message"), "b")
        XCTAssertEqual(e.s("cef.labels.l"), "x")
        XCTAssertEqual(e.s("host.name"), "collector")
        XCTAssertEqual(Set(e.fields.map { $0.key }).count, e.fields.count)
    }

    func testMalformed() throws {
        let p = parser()
        ParseTest.fails(p, "", reason: "empty_record")
        ParseTest.fails(p, "<13>Nov 23 02:08:35 host app: not cef at all", reason: "not_cef")
        ParseTest.fails(p, "CEF:0|v|p|1|sig|name", reason: "invalid_cef_header")
        ParseTest.fails(p, "CEF:x|v|p|1|sig|name|5|a=b", reason: "invalid_cef_header")
        ParseTest.fails(p, "CEF:0|v|p|1|sig|name|5|just text", reason: "invalid_cef_extension")
        ParseTest.fails(p, "CEF:0|v|p|1|sig|name|5|=v", reason: "invalid_cef_extension")
        // Truncations of a realistic line never crash.
        let b = Array(Self.zscaler.utf8)
        for n in 0...b.count { ParserHarness.survive(p, Array(b[0..<n])) }
        // Invalid UTF-8 and a trailing lone backslash.
        ParserHarness.survive(p, Array("CEF:0|v|p|1|sig|n|5|msg=".utf8) + [0xFF, 0xC0, 0x5C])
        let e = try ParserHarness.one(p, "CEF:0|v|p|1|sig|n|5|msg=abc\\")
        XCTAssertEqual(e.s("message"), "abc\\")
        // An enormous extension value.
        let big = "CEF:0|v|p|1|sig|n|5|msg=" + String(repeating: "a b ", count: 1 << 20)
        XCTAssertEqual(try ParserHarness.one(p, big).s("message")?.count, 4 << 20)
        // Bad timestamps in rt are ignored, not fatal.
        var base = Event(); base.timestamp = 5
        XCTAssertEqual(try ParserHarness.run(p, "CEF:0|v|p|1|sig|n|5|rt=garbage", base: base).first?.timestamp, 5)
        XCTAssertNotNil(try ParseTest.make("cef", ["timezone": "+02:00"]))
    }
}

final class CEFParserNameBoundsTests: XCTestCase {
    /// CEF `csNLabel` values became field names without bound; long ones now go to
    /// `sluice.overflow_fields` and the record is kept.
    /// (Checked by name: the registry is process-wide, and a count taken before and after would
    /// also see names that other tests' background work interns meanwhile.)
    func testLongCustomLabelsAndKeysDoNotGrowTheRegistry() throws {
        for r in 0..<30 {
            let label = String(repeating: "L", count: 5000) + "\(r)"
            let key = String(repeating: "k", count: 300) + "\(r)"
            let line = "CEF:0|Zscaler|NSSWeblog|5.7|Allowed|None|3|act=Allowed src=10.1.2.3 cs1Label=\(label) cs1=Engineering \(key)=v"
            let e = try ParserHarness.one(CEFParser(), line)
            XCTAssertEqual(e.s("event.action"), "Allowed")
            XCTAssertEqual(e.s("source.ip"), "10.1.2.3")
            guard case .array(let items)? = e.value(at: "sluice.overflow_fields") else { return XCTFail("no overflow") }
            let names = items.compactMap { v -> String? in
                guard case .object(let m) = v else { return nil }
                return m.first { $0.key == FieldKey("name") }?.value.stringValue
            }
            XCTAssertTrue(names.contains("cef.labels." + label), "\(names.map { $0.prefix(40) })")
            XCTAssertTrue(names.contains("cef.extensions." + key))
            for name in ["cef.labels." + label, "cef.extensions." + key, label, key] {
                XCTAssertNil(FieldRegistry.shared.lookup(name), "interned: \(name.prefix(40))")
            }
        }
    }
}
