import SluiceTestSupport
import XCTest
import SluiceCore
@testable import SluiceParse

final class SyslogParserTests: XCTestCase {
    /// 2026-11-23T12:00:00Z, fixed "now" for year inference.
    static let now = Timestamp.make(year: 2026, month: 11, day: 23, hour: 12, minute: 0, second: 0)

    func parser(_ tz: SyslogTimeZone = .utc, now: Int64 = SyslogParserTests.now, payload: Parser? = nil) -> SyslogParser {
        SyslogParser(timezone: tz, payload: payload, now: { now })
    }

    // RFC 5424 section 6.5 examples.
    func testRFC5424Examples() throws {
        let p = parser()
        let e1 = try ParserHarness.one(p, "<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - BOM'su root' failed for lonvick on /dev/pts/8")
        XCTAssertEqual(e1.i("log.syslog.priority"), 34)
        XCTAssertEqual(e1.i("log.syslog.facility.code"), 4)
        XCTAssertEqual(e1.i("log.syslog.severity.code"), 2)
        XCTAssertEqual(e1.i("log.syslog.version"), 1)
        XCTAssertEqual(e1.timestamp, Timestamp.make(year: 2003, month: 10, day: 11, hour: 22, minute: 14, second: 15, nanos: 3_000_000))
        XCTAssertEqual(e1.s("host.hostname"), "mymachine.example.com")
        XCTAssertEqual(e1.s("host.name"), "mymachine.example.com")
        XCTAssertEqual(e1.s("log.syslog.appname"), "su")
        XCTAssertEqual(e1.s("process.name"), "su")
        XCTAssertNil(e1[ECS.logSyslogProcID])
        XCTAssertEqual(e1.s("log.syslog.msgid"), "ID47")
        XCTAssertNil(e1[SyslogKeys.structuredData])
        XCTAssertEqual(e1.s("message"), "BOM'su root' failed for lonvick on /dev/pts/8")

        let e2 = try ParserHarness.one(p, "<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make the do-nuts.")
        XCTAssertEqual(e2.timestamp, Timestamp.make(year: 2003, month: 8, day: 24, hour: 12, minute: 14, second: 15, nanos: 3_000))
        XCTAssertEqual(e2.s("log.syslog.procid"), "8710")
        XCTAssertEqual(e2.i("process.pid"), 8710)
        XCTAssertNil(e2[ECS.logSyslogMsgID])
        XCTAssertEqual(e2.s("message"), "%% It's time to make the do-nuts.")

        let e3 = try ParserHarness.one(p, #"<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"] An application event log entry..."#)
        XCTAssertEqual(e3.s("log.syslog.structured_data.exampleSDID@32473.eventSource"), "Application")
        XCTAssertEqual(e3.s("log.syslog.structured_data.exampleSDID@32473.iut"), "3")
        XCTAssertEqual(e3.s("message"), "An application event log entry...")

        // Structured data only, no MSG.
        let e4 = try ParserHarness.one(p, #"<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"]"#)
        XCTAssertEqual(e4.s("log.syslog.structured_data.examplePriority@32473.class"), "high")
        XCTAssertNil(e4[ECS.message])
    }

    func testRFC5424BOMNilvaluesAndEscapes() throws {
        let p = parser()
        var bytes = Array("<13>1 - - - - - - ".utf8)
        bytes += [0xEF, 0xBB, 0xBF]
        bytes += Array("héllo".utf8)
        var base = Event(); base.timestamp = 7
        var out: [Event] = []
        try p.parse(ArraySlice(bytes), event: base, into: &out)
        let e = try XCTUnwrap(out.first)
        XCTAssertEqual(e.timestamp, 7, "NILVALUE timestamp keeps the source time")
        XCTAssertNil(e[ECS.hostName]); XCTAssertNil(e[ECS.logSyslogAppName]); XCTAssertNil(e[ECS.logSyslogMsgID])
        XCTAssertEqual(e.s("message"), "héllo")

        let sd = try ParserHarness.one(p, #"<14>1 2026-11-23T02:08:35.123456+01:00 gw app 77 MSG [meta@1 q="say \"hi\"" path="C:\\temp" br="a\]b" odd="x\ny"] body"#)
        XCTAssertEqual(sd.s("log.syslog.structured_data.meta@1.q"), #"say "hi""#)
        XCTAssertEqual(sd.s("log.syslog.structured_data.meta@1.path"), #"C:\temp"#)
        XCTAssertEqual(sd.s("log.syslog.structured_data.meta@1.br"), "a]b")
        XCTAssertEqual(sd.s("log.syslog.structured_data.meta@1.odd"), #"x\ny"#, "other backslashes stay as written")
        XCTAssertEqual(sd.timestamp, Timestamp.make(year: 2026, month: 11, day: 23, hour: 1, minute: 8, second: 35, nanos: 123_456_000))
        XCTAssertEqual(sd.s("message"), "body")
        // A header-only record (ends after SD) and trailing CR/LF.
        let h = try ParserHarness.one(p, "<14>1 2026-11-23T02:08:35Z gw app - - -\r\n")
        XCTAssertNil(h[ECS.message])
        XCTAssertEqual(h.s("host.name"), "gw")
    }

    func testRFC5424Malformed() {
        let p = parser()
        ParseTest.fails(p, "<14>1 2026-13-23T02:08:35Z gw app - - - x", reason: "invalid_rfc5424")
        ParseTest.fails(p, "<14>1 yesterday gw app - - - x", reason: "invalid_rfc5424")
        ParseTest.fails(p, "<14>1 2026-11-23T02:08:35Z gw", reason: "invalid_rfc5424")
        // Structured data is read leniently and never fails the record (issue 15): what cannot
        // be read stays in the message (SyslogParserLenientTests).
        XCTAssertEqual(try ParserHarness.one(p, "<14>1 - gw app - - [x a=\"1\"").s("message"), "[x a=\"1\"")
        XCTAssertEqual(try ParserHarness.one(p, "<14>1 - gw app - - [x a=1] m").s("log.syslog.structured_data.x.a"), "1")
        ParseTest.fails(p, "<192>1 - - - - - -", reason: "invalid_priority")
        ParseTest.fails(p, "<12", reason: "invalid_priority")
        ParseTest.fails(p, "", reason: "empty_record")
        ParseTest.fails(p, "\n", reason: "empty_record")
    }

    func testRFC3164Variants() throws {
        let p = parser()
        let a = try ParserHarness.one(p, "<38>Nov 23 02:08:35 bastion sshd[4721]: Accepted publickey for deploy from 10.0.4.7 port 52814 ssh2")
        XCTAssertEqual(a.i("log.syslog.facility.code"), 4)
        XCTAssertEqual(a.i("log.syslog.severity.code"), 6)
        XCTAssertEqual(a.timestamp, Timestamp.make(year: 2026, month: 11, day: 23, hour: 2, minute: 8, second: 35))
        XCTAssertEqual(a.s("host.hostname"), "bastion")
        XCTAssertEqual(a.s("log.syslog.appname"), "sshd")
        XCTAssertEqual(a.s("log.syslog.procid"), "4721")
        XCTAssertEqual(a.i("process.pid"), 4721)
        XCTAssertEqual(a.s("message"), "Accepted publickey for deploy from 10.0.4.7 port 52814 ssh2")
        XCTAssertNil(a[SyslogKeys.version])

        // Space-padded day, missing hostname, `tag:`.
        let b = try ParserHarness.one(p, "<13>Nov  3 07:01:02 kernel: [12345.678] eth0: link up")
        XCTAssertEqual(b.timestamp, Timestamp.make(year: 2026, month: 11, day: 3, hour: 7, minute: 1, second: 2))
        XCTAssertNil(b[ECS.hostName])
        XCTAssertEqual(b.s("log.syslog.appname"), "kernel")
        XCTAssertEqual(b.s("message"), "[12345.678] eth0: link up")

        // Missing hostname with tag[pid]:
        let c = try ParserHarness.one(p, "<86>Nov 23 02:08:35 sudo[991]: alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/tar czf /tmp/src.tgz /srv/src")
        XCTAssertNil(c[ECS.hostName])
        XCTAssertEqual(c.s("process.name"), "sudo")
        XCTAssertEqual(c.i("process.pid"), 991)
        XCTAssertTrue(c.s("message")!.hasPrefix("alice : TTY"))

        // Priority-less line as in /var/log/syslog, postfix-style tag with a slash.
        let d = try ParserHarness.one(p, "Nov 23 02:08:35 mx1 postfix/smtpd[2211]: connect from unknown[198.51.100.9]")
        XCTAssertNil(d[ECS.logSyslogPriority])
        XCTAssertEqual(d.s("host.name"), "mx1")
        XCTAssertEqual(d.s("process.name"), "postfix/smtpd")
        XCTAssertEqual(d.s("message"), "connect from unknown[198.51.100.9]")

        // rsyslog's ISO 8601 file format.
        let r = try ParserHarness.one(p, "2026-11-23T02:08:35.123456+00:00 web01 nginx: 10.0.0.1 - - GET /")
        XCTAssertEqual(r.timestamp, Timestamp.make(year: 2026, month: 11, day: 23, hour: 2, minute: 8, second: 35, nanos: 123_456_000))
        XCTAssertEqual(r.s("host.name"), "web01")
        XCTAssertEqual(r.s("process.name"), "nginx")
        XCTAssertEqual(r.s("message"), "10.0.0.1 - - GET /")
        let r2 = try ParserHarness.one(p, "<30>2026-11-23T02:08:35+02:00 web01 systemd[1]: Started Session 4.")
        XCTAssertEqual(r2.timestamp, Timestamp.make(year: 2026, month: 11, day: 23, hour: 0, minute: 8, second: 35))
        XCTAssertEqual(r2.i("process.pid"), 1)

        // Host but no tag; stamp with year and fraction (Cisco-like).
        let f = try ParserHarness.one(p, "<189>Nov 23 2025 02:08:35.120 fw-edge %ASA-6-302013: Built outbound TCP connection")
        XCTAssertEqual(f.timestamp, Timestamp.make(year: 2025, month: 11, day: 23, hour: 2, minute: 8, second: 35, nanos: 120_000_000))
        XCTAssertEqual(f.s("host.name"), "fw-edge")
        XCTAssertEqual(f.s("process.name"), "%ASA-6-302013")
        XCTAssertEqual(f.s("message"), "Built outbound TCP connection")

        // No stamp at all (as `logger` may send to a local socket): all message after tag.
        var base = Event(); base.timestamp = 99
        let g = try XCTUnwrap(try ParserHarness.run(p, "<13>myapp[12]: hello world", base: base).first)
        XCTAssertEqual(g.timestamp, 99)
        XCTAssertEqual(g.s("process.name"), "myapp")
        XCTAssertEqual(g.s("message"), "hello world")
        // Plain text, no header at all: everything is the message.
        let h = try ParserHarness.one(p, "just some text here")
        XCTAssertEqual(h.s("message"), "just some text here")
        XCTAssertNil(h[ECS.processName])
        // Non-numeric procid: kept, no process.pid.
        let k = try ParserHarness.one(p, "<13>Nov 23 02:08:35 host app[worker-1]: x")
        XCTAssertEqual(k.s("log.syslog.procid"), "worker-1")
        XCTAssertNil(k[ECS.processPID])
    }

    func testYearInferenceAcrossNewYear() throws {
        // Now is 2027-01-01 00:00:30 UTC: a December 31 line is from 2026.
        let jan = Timestamp.make(year: 2027, month: 1, day: 1, hour: 0, minute: 0, second: 30)
        let p = parser(now: jan)
        XCTAssertEqual(try ParserHarness.one(p, "<13>Dec 31 23:59:58 h app: x").timestamp,
                       Timestamp.make(year: 2026, month: 12, day: 31, hour: 23, minute: 59, second: 58))
        XCTAssertEqual(try ParserHarness.one(p, "<13>Jan  1 00:00:10 h app: x").timestamp,
                       Timestamp.make(year: 2027, month: 1, day: 1, hour: 0, minute: 0, second: 10))
        // Now is 2026-12-31 23:59:50: a sender whose clock passed New Year writes Jan 1 → 2027.
        let dec = Timestamp.make(year: 2026, month: 12, day: 31, hour: 23, minute: 59, second: 50)
        XCTAssertEqual(try ParserHarness.one(parser(now: dec), "<13>Jan  1 00:00:05 h app: x").timestamp,
                       Timestamp.make(year: 2027, month: 1, day: 1, hour: 0, minute: 0, second: 5))
        // A file replayed in November holding September lines stays this year.
        XCTAssertEqual(try ParserHarness.one(parser(), "<13>Sep  2 10:00:00 h app: x").timestamp,
                       Timestamp.make(year: 2026, month: 9, day: 2, hour: 10, minute: 0, second: 0))
        // Feb 29 of a leap year read in a leap year.
        let leapNow = Timestamp.make(year: 2028, month: 3, day: 1, hour: 0, minute: 0, second: 0)
        XCTAssertEqual(try ParserHarness.one(parser(now: leapNow), "<13>Feb 29 12:00:00 h app: x").timestamp,
                       Timestamp.make(year: 2028, month: 2, day: 29, hour: 12, minute: 0, second: 0))
    }

    func testTimezoneOption() throws {
        let p = parser(SyslogTimeZone("+01:00")!)
        XCTAssertEqual(try ParserHarness.one(p, "<13>Nov 23 02:08:35 h app: x").timestamp,
                       Timestamp.make(year: 2026, month: 11, day: 23, hour: 1, minute: 8, second: 35))
        // A stamp that has its own offset ignores the option.
        XCTAssertEqual(try ParserHarness.one(p, "<13>1 2026-11-23T02:08:35Z h app - - - x").timestamp,
                       Timestamp.make(year: 2026, month: 11, day: 23, hour: 2, minute: 8, second: 35))
        XCTAssertEqual(SyslogTimeZone("UTC")?.offsetSeconds, 0)
        XCTAssertEqual(SyslogTimeZone("-0500")?.offsetSeconds, -18000)
        XCTAssertEqual(SyslogTimeZone("UTC+05:30")?.offsetSeconds, 19800)
        XCTAssertNotNil(SyslogTimeZone("local"))
        XCTAssertNil(SyslogTimeZone("Mars/Olympus"))
        XCTAssertNil(SyslogTimeZone("+25:00"))
        // Through the registry: good and bad option values.
        let q = try ParseTest.make("syslog", ["timezone": "-05:00"])
        XCTAssertEqual(try ParserHarness.one(q, "<13>Nov 23 02:08:35 h app: x").timestamp % (86400 * 1_000_000_000),
                       Int64(7 * 3600 + 8 * 60 + 35) * 1_000_000_000)
        let (_, issues) = try ParseTest.build("syslog", ["timezone": "Mars/Olympus"])
        XCTAssertEqual(issues.count, 1)
        let (_, issues2) = try ParseTest.build("syslog", ["payload_format": "nope"])
        XCTAssertEqual(issues2.count, 1)
    }

    func testIANATimeZones() throws {
        let berlin = try XCTUnwrap(SyslogTimeZone("Europe/Berlin"))
        let p = parser(berlin)
        // CET (+01:00) in November, CEST (+02:00) in July.
        XCTAssertEqual(try ParserHarness.one(p, "<13>Nov 23 02:08:35 h app: x").timestamp,
                       Timestamp.make(year: 2026, month: 11, day: 23, hour: 1, minute: 8, second: 35))
        XCTAssertEqual(try ParserHarness.one(p, "<13>Jul  1 12:00:00 h app: x").timestamp,
                       Timestamp.make(year: 2026, month: 7, day: 1, hour: 10, minute: 0, second: 0))
        // Zone-less ISO stamp read in the zone; an explicit offset wins.
        XCTAssertEqual(try ParserHarness.one(p, "2026-07-01T12:00:00 web01 nginx: x").timestamp,
                       Timestamp.make(year: 2026, month: 7, day: 1, hour: 10, minute: 0, second: 0))
        XCTAssertEqual(try ParserHarness.one(p, "2026-07-01T12:00:00Z web01 nginx: x").timestamp,
                       Timestamp.make(year: 2026, month: 7, day: 1, hour: 12, minute: 0, second: 0))
        let ny = try XCTUnwrap(SyslogTimeZone("America/New_York"))
        XCTAssertEqual(ny.offset(atUTC: Timestamp.make(year: 2026, month: 1, day: 15, hour: 12, minute: 0, second: 0) / 1_000_000_000), -5 * 3600)
        XCTAssertEqual(ny.offset(atUTC: Timestamp.make(year: 2026, month: 7, day: 15, hour: 12, minute: 0, second: 0) / 1_000_000_000), -4 * 3600)
        // Bad names and path tricks are refused.
        XCTAssertNil(SyslogTimeZone("Mars/Olympus"))
        XCTAssertNil(SyslogTimeZone("../../etc/passwd"))
        XCTAssertNil(SyslogTimeZone("/etc/localtime"))
        XCTAssertNotNil(try ParseTest.make("syslog", ["timezone": "Asia/Kolkata"]))
    }

    func testPayloadFormatGitHubAudit() throws {
        let p = try ParseTest.make("syslog", ["payload_format": "github-audit"])
        let line = #"<134>1 2026-11-23T02:08:36Z ghes-01 github-audit - - - {"@timestamp":1763863715123,"action":"git.clone","actor":"mallory","repo":"acme/api","programmatic_access_type":"Personal access token (classic)"}"#
        let e = try ParserHarness.one(p, line)
        XCTAssertEqual(e.s("event.action"), "git.clone")
        XCTAssertEqual(e.s("github.token_kind"), "pat_classic")
        // Spans of the payload count from the start of the whole record.
        XCTAssertEqual(e.s("github.repo"), "acme/api")
        XCTAssertEqual(e.s("github.programmatic_access_type"), "Personal access token (classic)")
        XCTAssertEqual(e.s("host.name"), "ghes-01")
        XCTAssertEqual(e.s("log.syslog.appname"), "github-audit")
        XCTAssertEqual(e.timestamp, 1763863715123 * 1_000_000, "the payload's own time wins")
        XCTAssertNil(e[ECS.message])
        XCTAssertEqual(e.originalText, line)
        // RFC 3164 wrapper too.
        let e2 = try ParserHarness.one(p, #"<134>Nov 23 02:08:36 ghes-01 github_audit[77]: {"action":"git.push","actor":"bob"}"#)
        XCTAssertEqual(e2.s("user.name"), "bob")
        XCTAssertEqual(e2.i("process.pid"), 77)
        // The payload parser's failure is the record's failure.
        ParseTest.fails(p, "<134>Nov 23 02:08:36 ghes-01 github_audit: not json", reason: "not_an_object")
        ParseTest.fails(p, #"<134>Nov 23 02:08:36 ghes-01 github_audit: {"actor":"x"}"#, reason: "missing_field")
        let (_, issues) = try ParseTest.build("syslog", ["payload_format": "syslog"])
        XCTAssertEqual(issues.count, 1)
    }

    func testSourceFieldsArePreservedAndNotDuplicated() throws {
        var base = Event()
        base[ECS.hostName] = .string("collector")
        base[ECS.logFilePath] = .string("/var/log/syslog")
        let out = try ParserHarness.run(parser(), "<38>Nov 23 02:08:35 bastion sshd[4721]: hi", base: base)
        let e = try XCTUnwrap(out.first)
        XCTAssertEqual(e.s("host.name"), "bastion")
        XCTAssertEqual(e.s("log.file.path"), "/var/log/syslog")
        XCTAssertEqual(Set(e.fields.map { $0.key }).count, e.fields.count)
    }

    func testRobustness() {
        let p = parser()
        // Invalid UTF-8 everywhere.
        var out: [Event] = []
        let bad: [UInt8] = Array("<13>Nov 23 02:08:35 h".utf8) + [0xC3, 0x28, 0x20] + Array("app: ".utf8) + [0xFF, 0xFE, 0xFD]
        XCTAssertNoThrow(try p.parse(ArraySlice(bad), event: Event(), into: &out))
        XCTAssertEqual(out.count, 1)
        // Enormous line.
        let big = "<13>Nov 23 02:08:35 h app: " + String(repeating: "x", count: 4 << 20)
        XCTAssertEqual(try ParserHarness.run(p, big).first?.s("message")?.count, 4 << 20)
        let bigSD = "<13>1 - h app - - [a " + String(repeating: "k=\"v\" ", count: 100_000)
        XCTAssertEqual(try ParserHarness.run(p, bigSD).first?.s("message")?.hasPrefix("[a k=\"v\" "), true, "too many params: kept as message")
        // Every truncation of realistic lines either parses or fails with a reason.
        let samples = [
            #"<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application"][x@1 a="\]"] msg"#,
            "<38>Nov 23 02:08:35 bastion sshd[4721]: Accepted publickey",
            "2026-11-23T02:08:35.123456+00:00 web01 nginx: x",
        ]
        for s in samples {
            let b = Array(s.utf8)
            for n in 0...b.count { ParserHarness.survive(p, Array(b[0..<n])) }
        }
    }
}

final class SyslogParserLenientTests: XCTestCase {
    func parser() -> SyslogParser { SyslogParser(now: { SyslogParserTests.now }) }

    /// Real senders write SD loosely (Vector's parse_syslog example): parse it, keep the message.
    func testLooseStructuredData() throws {
        let e = try ParserHarness.one(parser(), #"<13>1 2020-03-13T20:45:38.119Z dynamicwireless.name non 2426 ID931 [exampleSDID@32473 iut="3" eventSource= "Application" eventID="1011"] Try to override the THX port, maybe it will reboot the neural interface!"#)
        XCTAssertEqual(e.s("log.syslog.structured_data.exampleSDID@32473.iut"), "3")
        XCTAssertEqual(e.s("log.syslog.structured_data.exampleSDID@32473.eventSource"), "Application")
        XCTAssertEqual(e.s("log.syslog.structured_data.exampleSDID@32473.eventID"), "1011")
        XCTAssertEqual(e.s("message"), "Try to override the THX port, maybe it will reboot the neural interface!")
        let u = try ParserHarness.one(parser(), "<14>1 - gw app - - [x a=1  b = \"two\"] m")
        XCTAssertEqual(u.s("log.syslog.structured_data.x.a"), "1")
        XCTAssertEqual(u.s("log.syslog.structured_data.x.b"), "two")
        XCTAssertEqual(u.s("message"), "m")
    }

    /// SD that cannot be read even leniently stays in the message: the record is kept.
    func testUnreadableStructuredDataStaysInTheMessage() throws {
        let e = try ParserHarness.one(parser(), "<14>1 - gw app - - [x a=\"unterminated")
        XCTAssertEqual(e.s("message"), "[x a=\"unterminated")
        XCTAssertEqual(e.s("host.name"), "gw")
        XCTAssertNil(e.value(at: "log.syslog.structured_data"))
        XCTAssertEqual(try ParserHarness.one(parser(), "<14>1 - gw app - - x m").s("message"), "x m")
        XCTAssertEqual(try ParserHarness.one(parser(), "<14>1 - gw app - - [] m").s("message"), "[] m")
        XCTAssertEqual(try ParserHarness.one(parser(), "<14>1 - gw app - - [x a=\"1\"]m").s("message"), "m")
    }
}
