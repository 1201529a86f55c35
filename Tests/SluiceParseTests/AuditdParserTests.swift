import SluiceTestSupport
import XCTest
import SluiceCore
@testable import SluiceParse

final class AuditdParserTests: XCTestCase {
    static let exec = [
        "type=SYSCALL msg=audit(1700000000.123:4567): arch=c000003e syscall=59 success=yes exit=0 a0=55d5c8e0a0b0 a1=55d5c8e0a110 a2=55d5c8e09f80 a3=8 items=2 ppid=1200 pid=1234 auid=1000 uid=1000 gid=1000 euid=1000 suid=1000 fsuid=1000 egid=1000 sgid=1000 fsgid=1000 tty=pts0 ses=3 comm=\"git\" exe=\"/usr/bin/git\" subj=unconfined key=\"exec\"",
        "type=EXECVE msg=audit(1700000000.123:4567): argc=4 a0=\"git\" a1=\"push\" a2=\"origin\" a3=6d61696e206272616e6368",
        "type=CWD msg=audit(1700000000.123:4567): cwd=2f686f6d652f616c6963652f6d7920737263",
        "type=PATH msg=audit(1700000000.123:4567): item=0 name=\"/usr/bin/git\" inode=1835 dev=fd:01 mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0",
        "type=PATH msg=audit(1700000000.123:4567): item=1 name=\"/lib64/ld-linux-x86-64.so.2\" inode=2012 dev=fd:01 mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0",
        "type=PROCTITLE msg=audit(1700000000.123:4567): proctitle=6769740070757368006f726967696e006d61696e",
        "type=EOE msg=audit(1700000000.123:4567): ",
    ]

    func feed(_ p: AuditdParser, _ lines: [String]) throws -> [Event] {
        var out: [Event] = []
        for l in lines { out += try ParserHarness.run(p, l) }
        return out
    }

    func testAssemblesExecOnEOE() throws {
        let p = AuditdParser()
        let out = try feed(p, Array(Self.exec.dropLast()))
        XCTAssertTrue(out.isEmpty, "nothing before EOE")
        XCTAssertEqual(p.openCount, 1)
        let done = try feed(p, [Self.exec.last!])
        XCTAssertEqual(done.count, 1)
        XCTAssertEqual(p.openCount, 0)
        let e = done[0]
        XCTAssertEqual(e.timestamp, 1_700_000_000_123_000_000)
        XCTAssertEqual(PB.str(e, "process.executable"), "/usr/bin/git")
        XCTAssertEqual(PB.str(e, "process.name"), "git")
        XCTAssertEqual(e[ECS.processArgs], .array(["git", "push", "origin", "main branch"].map { .string($0) }))
        XCTAssertEqual(PB.int(e, "process.args_count"), 4)
        XCTAssertEqual(PB.str(e, "process.command_line"), "git push origin main branch")
        XCTAssertEqual(PB.int(e, "process.pid"), 1234)
        XCTAssertEqual(PB.int(e, "process.parent.pid"), 1200)
        XCTAssertEqual(PB.str(e, "process.working_directory"), "/home/alice/my src")
        XCTAssertEqual(PB.str(e, "process.title"), "git push origin main")
        XCTAssertEqual(PB.str(e, "user.id"), "1000")
        XCTAssertEqual(PB.str(e, "user.audit.id"), "1000")
        XCTAssertEqual(PB.int(e, "auditd.sequence"), 4567)
        XCTAssertEqual(PB.str(e, "auditd.result"), "success")
        XCTAssertEqual(PB.str(e, "event.outcome"), "success")
        XCTAssertEqual(PB.str(e, "auditd.data.syscall"), "execve")
        XCTAssertEqual(PB.str(e, "auditd.data.key"), "exec")
        XCTAssertEqual(PB.str(e, "auditd.data.tty"), "pts0")
        XCTAssertEqual(e[ECS.eventCategory], .array([.string("process")]))
        XCTAssertEqual(e[ECS.eventType], .array([.string("start")]))
        XCTAssertEqual(PB.str(e, "event.dataset"), "auditd.log")
        XCTAssertNil(e[PB.key("auditd.incomplete")])
        guard case .array(let paths)? = e[PB.key("auditd.paths")] else { return XCTFail("no paths") }
        XCTAssertEqual(paths.count, 2)
        XCTAssertEqual(paths.first, .object([Field(PB.key("name"), .string("/usr/bin/git")), Field(PB.key("inode"), .string("1835")),
                                            Field(PB.key("mode"), .string("0100755")), Field(PB.key("nametype"), .string("NORMAL"))]))
        // The assembled event keeps every record as its original.
        XCTAssertEqual(String(decoding: e.original, as: UTF8.self).split(separator: "\n").count, 6)
    }

    func testInterleavedEventsAssembleByID() throws {
        let p = AuditdParser()
        func recs(_ serial: Int, _ pid: Int, _ args: [String]) -> [String] {
            let id = "audit(1700000100.\(String(format: "%03d", serial % 1000)):\(serial))"
            var ex = "type=EXECVE msg=\(id): argc=\(args.count)"
            for (i, a) in args.enumerated() { ex += " a\(i)=\"\(a)\"" }
            return ["type=SYSCALL msg=\(id): arch=c000003e syscall=59 success=yes exit=0 ppid=1 pid=\(pid) auid=1000 uid=1000 gid=1000 euid=1000 tty=(none) ses=4294967295 comm=\"\(args[0])\" exe=\"/usr/bin/\(args[0])\" key=(null)",
                    ex, "type=CWD msg=\(id): cwd=\"/tmp/\(pid)\"", "type=EOE msg=\(id): "]
        }
        let a = recs(100, 5001, ["tar", "czf", "/tmp/x.tgz", "src"])
        let b = recs(101, 5002, ["curl", "-T", "/tmp/x.tgz", "https://api.github.com/"])
        let c = recs(102, 5003, ["gh", "repo", "create"])
        var lines: [String] = []
        for i in 0..<4 { lines += [a[i], b[i], c[i]] }
        let out = try feed(p, lines)
        XCTAssertEqual(out.count, 3)
        XCTAssertEqual(out.map { PB.int($0, "process.pid") }, [5001, 5002, 5003])
        XCTAssertEqual(out.map { PB.str($0, "process.command_line") }, ["tar czf /tmp/x.tgz src", "curl -T /tmp/x.tgz https://api.github.com/", "gh repo create"])
        XCTAssertEqual(out.map { PB.str($0, "process.working_directory") }, ["/tmp/5001", "/tmp/5002", "/tmp/5003"])
        XCTAssertNil(out[0][PB.key("auditd.data.key")])
        XCTAssertNil(out[0][PB.key("auditd.data.tty")])
        XCTAssertNil(out[0][PB.key("auditd.data.ses")])
    }

    func testSplitArgumentsAndSplitExecveRecords() throws {
        let p = AuditdParser()
        let out = try feed(p, [
            "type=SYSCALL msg=audit(1700000001.000:77): arch=c000003e syscall=59 success=yes exit=0 ppid=10 pid=11 auid=1000 uid=1000 gid=1000 euid=1000 comm=\"bash\" exe=\"/usr/bin/bash\" key=\"exec\"",
            "type=EXECVE msg=audit(1700000001.000:77): argc=3 a0=\"bash\" a1_len=10 a1[0]=\"-c echo\" a1[1]=2068",
            "type=EXECVE msg=audit(1700000001.000:77): a2=\"last\"",
            "type=EOE msg=audit(1700000001.000:77): ",
        ])
        XCTAssertEqual(out.count, 1)
        XCTAssertEqual(out[0][ECS.processArgs], .array([.string("bash"), .string("-c echo h"), .string("last")]))
        XCTAssertEqual(PB.int(out[0], "process.args_count"), 3)
    }

    func testSyslogAndJournaldForms() throws {
        let p = AuditdParser()
        let out = try feed(p, [
            "Nov 23 02:08:35 build1 audispd: node=build1 type=SYSCALL msg=audit(1700000002.500:900): arch=c00000b7 syscall=221 success=no exit=-2 ppid=1 pid=99 auid=4294967295 uid=0 gid=0 euid=0 comm=\"sh\" exe=\"/bin/sh\" key=(null)",
            "audit: type=1309 audit(1700000002.500:900): argc=2 a0=\"sh\" a1=\"-c\"",
        ])
        XCTAssertTrue(out.isEmpty)
        // The second record lacks node= so it is a separate id; test the kernel form alone too.
        var ticked: [Event] = []
        p.tick(StageTime(wallClock: 0, eventTime: Int64.max, final: true), into: &ticked)
        XCTAssertEqual(ticked.count, 2)
        let first = ticked.first { PB.str($0, "host.name") == "build1" }
        XCTAssertEqual(first.flatMap { PB.str($0, "auditd.data.syscall") }, "execve")
        XCTAssertEqual(first.flatMap { PB.str($0, "event.outcome") }, "failure")
        XCTAssertNil(first?[PB.key("user.audit.id")])
        XCTAssertEqual(first?[PB.key("auditd.incomplete")], .bool(true))
        XCTAssertEqual(first?[ECS.eventCategory], .array([.string("process")]), "an execve SYSCALL alone is still a process start")
        let kernel = ticked.first { PB.str($0, "host.name") == nil }
        XCTAssertEqual(kernel?[ECS.processArgs], .array([.string("sh"), .string("-c")]))

        let q = AuditdParser()
        let k = try feed(q, [
            "audit: type=1300 audit(1700000003.000:901): arch=c000003e syscall=59 success=yes exit=0 ppid=1 pid=7 auid=1000 uid=1000 gid=1000 euid=1000 comm=\"id\" exe=\"/usr/bin/id\" key=\"exec\"",
            "audit: type=1309 audit(1700000003.000:901): argc=1 a0=\"id\"",
            "audit: type=1327 audit(1700000003.000:901): proctitle=\"id\"",
            "audit: type=1320 audit(1700000003.000:901): ",
        ])
        XCTAssertEqual(k.count, 1)
        XCTAssertEqual(PB.str(k[0], "process.executable"), "/usr/bin/id")
        XCTAssertEqual(k[0][PB.key("auditd.record_types")], .array(["SYSCALL", "EXECVE", "PROCTITLE"].map { .string($0) }))
    }

    func testEnrichedFormat() throws {
        let p = AuditdParser()
        let out = try feed(p, [
            "type=SYSCALL msg=audit(1700000004.000:12): arch=c000003e syscall=59 success=yes exit=0 ppid=1200 pid=1300 auid=1000 uid=1001 gid=1001 euid=1001 comm=\"git\" exe=\"/usr/bin/git\" key=\"exec\"\u{1d}ARCH=x86_64 SYSCALL=execve AUID=\"alice\" UID=\"deploy\" GID=\"deploy\" EUID=\"deploy\"",
            "type=EXECVE msg=audit(1700000004.000:12): argc=2 a0=\"git\" a1=\"clone\"",
            "type=EOE msg=audit(1700000004.000:12): ",
        ])
        XCTAssertEqual(PB.str(out[0], "user.name"), "deploy")
        XCTAssertEqual(PB.str(out[0], "user.id"), "1001")
        XCTAssertEqual(PB.str(out[0], "user.audit.name"), "alice")
        XCTAssertEqual(PB.str(out[0], "auditd.data.syscall"), "execve")
    }

    /// An event without its EOE is emitted once records `assembly_timeout` of event time
    /// newer have been seen: the same in a replay as live, whatever the wall clock does.
    func testTimeoutInEventTime() throws {
        let p = AuditdParser(assemblyTimeout: 2)
        var out: [Event] = []
        let replay = StageTime(wallClock: 999_000_000_000_000, eventTime: 0, mode: .toEnd)
        _ = try feed(p, Array(Self.exec.prefix(3)))
        p.tick(replay, into: &out)
        XCTAssertTrue(out.isEmpty, "no newer records yet: the wall clock must not close it")
        out += try ParserHarness.run(p, "type=SYSCALL msg=audit(1700000001.500:4600): arch=c000003e syscall=59 success=yes exit=0 ppid=1 pid=2 uid=0 comm=\"x\" exe=\"/x\"")
        p.tick(replay, into: &out)
        XCTAssertTrue(out.isEmpty, "1.4 s of event time later: still open")
        out += try ParserHarness.run(p, "type=SYSCALL msg=audit(1700000002.200:4601): arch=c000003e syscall=59 success=yes exit=0 ppid=1 pid=3 uid=0 comm=\"y\" exe=\"/y\"")
        p.tick(replay, into: &out)
        XCTAssertEqual(out.count, 1)
        XCTAssertEqual(out.first.flatMap { PB.int($0, "process.pid") }, 1234)
        XCTAssertEqual(out.first?[PB.key("auditd.incomplete")], .bool(true))
        XCTAssertEqual(p.timedOutCount, 1)
        XCTAssertEqual(p.openCount, 2, "the two newer events are still open")
        // A late EOE for an emitted event produces nothing.
        XCTAssertTrue(try feed(p, [Self.exec.last!]).isEmpty)
        // Live, a quiet input closes what is open once the timeout passed on the wall clock.
        var quiet: [Event] = []
        p.tick(StageTime(wallClock: 0, eventTime: 0, idleSeconds: 1.9, mode: .follow), into: &quiet)
        XCTAssertTrue(quiet.isEmpty)
        p.tick(StageTime(wallClock: 0, eventTime: 0, idleSeconds: 2.0, mode: .follow), into: &quiet)
        XCTAssertEqual(quiet.count, 2)
        XCTAssertEqual(p.openCount, 0)
    }

    /// Open events survive a snapshot and restore: the restored parser finishes them exactly
    /// as the original would have.
    func testOpenEventsSurviveSnapshotAndRestore() throws {
        let p = AuditdParser()
        _ = try feed(p, Array(Self.exec.prefix(4)))
        var w = BinaryWriter()
        p.snapshot(into: &w)
        let q = AuditdParser()
        var r = BinaryReader(w.bytes)
        try q.restore(from: &r)
        XCTAssertEqual(q.openCount, 1)
        let a = try feed(p, Array(Self.exec.suffix(3)))
        let b = try feed(q, Array(Self.exec.suffix(3)))
        XCTAssertEqual(b.count, 1)
        XCTAssertEqual(a.map { $0.fields }, b.map { $0.fields }, "the restored event differs")
        XCTAssertEqual(a.first?.original, b.first?.original)
    }

    func testOpenEventsAreBoundedAndEvictedOldestFirst() throws {
        let p = AuditdParser(maxOpenEvents: 8)
        var out: [Event] = []
        for i in 0..<100 {
            out += try ParserHarness.run(p, "type=SYSCALL msg=audit(1700000005.000:\(1000 + i)): arch=c000003e syscall=59 success=yes exit=0 ppid=1 pid=\(i) uid=0 comm=\"x\" exe=\"/x\"")
        }
        XCTAssertEqual(p.openCount, 8)
        XCTAssertEqual(p.evictedCount, 92)
        XCTAssertEqual(out.count, 92)
        XCTAssertEqual(out.first.flatMap { PB.int($0, "process.pid") }, 0)
        XCTAssertEqual(out.last.flatMap { PB.int($0, "process.pid") }, 91)
        XCTAssertTrue(out.allSatisfy { $0[PB.key("auditd.incomplete")] == .bool(true) })
        var rest: [Event] = []
        p.tick(StageTime(wallClock: 0, eventTime: Int64.max, final: true), into: &rest)
        XCTAssertEqual(rest.count, 8)
        XCTAssertEqual(p.openCount, 0)
    }

    func testStandaloneUserLogin() throws {
        let p = AuditdParser()
        let out = try ParserHarness.run(p, "type=USER_LOGIN msg=audit(1700000006.250:555): pid=2020 uid=0 auid=1000 ses=7 subj=unconfined msg='op=login id=1000 exe=\"/usr/sbin/sshd\" hostname=? addr=203.0.113.7 terminal=/dev/pts/1 res=success'\u{1d}UID=\"root\" AUID=\"alice\" ID=\"alice\"")
        XCTAssertEqual(out.count, 1)
        let e = out[0]
        XCTAssertEqual(e.timestamp, 1_700_000_006_250_000_000)
        XCTAssertEqual(PB.str(e, "event.action"), "user_login")
        XCTAssertEqual(e[ECS.eventCategory], .array([.string("authentication")]))
        XCTAssertEqual(PB.str(e, "auditd.data.op"), "login")
        XCTAssertEqual(PB.str(e, "auditd.data.addr"), "203.0.113.7")
        XCTAssertEqual(PB.str(e, "source.ip"), "203.0.113.7")
        XCTAssertEqual(PB.str(e, "process.executable"), "/usr/sbin/sshd")
        XCTAssertEqual(PB.str(e, "event.outcome"), "success")
        XCTAssertEqual(PB.int(e, "process.pid"), 2020)
        XCTAssertEqual(PB.str(e, "user.audit.id"), "1000")
    }

    func testKeepsSourceFieldsOfFirstRecord() throws {
        let p = AuditdParser()
        var out: [Event] = []
        for (i, l) in Self.exec.enumerated() {
            var src = Event(original: ArraySlice(Array(l.utf8)))
            src[ECS.logFilePath] = .string("/var/log/audit/audit.log")
            src[ECS.logOffset] = .int(Int64(i * 100))
            try p.parse(ArraySlice(Array(l.utf8)), event: src, into: &out)
        }
        XCTAssertEqual(out.count, 1)
        XCTAssertEqual(out[0][ECS.logOffset], .int(0))
        XCTAssertEqual(PB.str(out[0], "process.name"), "git")
    }

    func testMalformed() throws {
        let p = AuditdParser()
        XCTAssertEqual(PB.failure(p, "")?.reason, "empty_record")
        XCTAssertEqual(PB.failure(p, "hello world")?.reason, "not_audit")
        XCTAssertEqual(PB.failure(p, "type=SYSCALL arch=c000003e")?.reason, "missing_audit_id")
        XCTAssertEqual(PB.failure(p, "type=SYSCALL msg=audit(1700000000.123:")?.reason, "missing_audit_id")
        XCTAssertEqual(PB.failure(p, "type=SYSCALL msg=audit(abc:12): pid=1")?.reason, "missing_audit_id")
        XCTAssertEqual(PB.failure(p, [UInt8](repeating: 0x61, count: (1 << 20) + 1))?.reason, "too_long")
        // Huge argc, odd hex, invalid UTF-8: bounded, no crash.
        let out = try feed(p, [
            "type=EXECVE msg=audit(1700000007.000:1): argc=999999999 a0=\"x\" a1=abc a999999=\"y\" a2=\"\u{FFFD}\"",
            "type=EOE msg=audit(1700000007.000:1): ",
        ])
        XCTAssertEqual(out.count, 1)
        guard case .array(let args)? = out[0][ECS.processArgs] else { return XCTFail() }
        XCTAssertEqual(args.count, AuditdParser.maxArgs)
        XCTAssertEqual(args[1], .string("abc"))
        XCTAssertEqual(out[0][PB.key("auditd.truncated")], .bool(true))
    }

    func testFuzzNeverCrashes() {
        let p = AuditdParser(maxOpenEvents: 64)
        let (events, failures) = PB.fuzz(p, seeds: Self.exec + [
            "type=USER_LOGIN msg=audit(1700000006.250:555): pid=2020 uid=0 auid=1000 ses=7 msg='op=login id=1000 exe=\"/usr/sbin/sshd\" addr=203.0.113.7 res=success'",
            "audit: type=1309 audit(1700000002.500:900): argc=2 a0=\"sh\" a1_len=4 a1[0]=2d63",
        ])
        XCTAssertGreaterThan(events, 0)
        XCTAssertGreaterThan(failures, 0)
        XCTAssertLessThanOrEqual(p.openCount, 64)
    }
}

extension AuditdParserTests {
    /// journald's audit transport: `MESSAGE=SYSCALL arch=…` with `_AUDIT_ID` and
    /// `_SOURCE_REALTIME_TIMESTAMP` beside it (as the journald source names them).
    func testJournaldAuditTransport() throws {
        let p = AuditdParser()
        func entry(_ message: String) -> Event {
            var e = Event(timestamp: 1_700_000_009_000_000_000, original: ArraySlice(Array(message.utf8)))
            e[ECS.message] = .string(message)
            e[FieldKey("journald.custom.audit_id")] = .string("7788")
            e[FieldKey("journald.custom.source_realtime_timestamp")] = .string("1700000008123000")
            e[FieldKey("journald.transport")] = .string("audit")
            return e
        }
        var out: [Event] = []
        for m in ["SYSCALL arch=c000003e syscall=59 success=yes exit=0 ppid=1200 pid=1234 auid=1000 uid=1000 gid=1000 euid=1000 comm=\"git\" exe=\"/usr/bin/git\" key=\"exec\"",
                  "EXECVE argc=2 a0=\"git\" a1=\"fetch\"",
                  "CWD cwd=\"/srv/repo\"",
                  "PROCTITLE proctitle=67697400666574636800",
                  "EOE "] {
            let e = entry(m)
            try p.parse(e.original, event: e, into: &out)
        }
        XCTAssertEqual(out.count, 1)
        XCTAssertEqual(out[0].timestamp, 1_700_000_008_123_000_000)
        XCTAssertEqual(PB.int(out[0], "auditd.sequence"), 7788)
        XCTAssertEqual(PB.str(out[0], "process.command_line"), "git fetch")
        XCTAssertEqual(PB.str(out[0], "process.working_directory"), "/srv/repo")
        XCTAssertEqual(PB.str(out[0], "journald.transport"), "audit")
        // Without the journal id, the same text is not an audit record.
        XCTAssertEqual(PB.failure(p, "SYSCALL arch=c000003e syscall=59")?.reason, "not_audit")
    }
}

final class ParserCountersTests: XCTestCase {
    /// auditd's evictions and timeouts reach the component's metrics through the parse
    /// transform (`sluice_auditd_evicted_events_total`, `…_timed_out_events_total`), also
    /// when auditd sits behind `auto`; only growth is exported, once per tick.
    func testAuditdEvictionsAndTimeoutsAreExportedAsMetrics() throws {
        let metrics = ComponentMetrics(name: "parse_audit", kind: "transform", type: "parse")
        let t = ParseTransform(format: "auditd", parser: AuditdParser(maxOpenEvents: 4), field: nil, dropOriginal: false, metrics: metrics)
        var out: [Event] = []
        var failures: [DeadLetter] = []
        let records = (0..<10).map { i in
            Event(original: ArraySlice(Array("type=SYSCALL msg=audit(1700000005.000:\(2000 + i)): arch=c000003e syscall=59 success=yes exit=0 ppid=1 pid=\(i) uid=0 comm=\"x\" exe=\"/x\"".utf8)))
        }
        t.process(records, into: &out, failures: &failures)
        t.tick(StageTime(wallClock: 1_000_000_000, eventTime: 1_000_000_000, final: false), into: &out)
        XCTAssertEqual(metrics.counterTotals["auditd_evicted_events"], 6)
        t.tick(StageTime(wallClock: 2_000_000_000, eventTime: 2_000_000_000, final: false), into: &out)
        XCTAssertEqual(metrics.counterTotals["auditd_evicted_events"], 6, "a tick without new evictions adds nothing")
        t.tick(StageTime(wallClock: 60_000_000_000, eventTime: 60_000_000_000, idleSeconds: 60, mode: .follow), into: &out)
        XCTAssertEqual(metrics.counterTotals["auditd_timed_out_events"], 4)
        XCTAssertEqual(out.count, 10)
    }

    func testParseFailuresNameTheirParser() throws {
        let metrics = ComponentMetrics(name: "parse_proxy", kind: "transform", type: "parse")
        let t = ParseTransform(format: "squid", parser: SquidParser(), field: nil, dropOriginal: false, metrics: metrics)
        var out: [Event] = []
        var failures: [DeadLetter] = []
        t.process([Event(original: ArraySlice(Array("not a squid line".utf8)))], into: &out, failures: &failures)
        XCTAssertEqual(failures.count, 1)
        XCTAssertEqual(failures.first?.parser, "squid")
        XCTAssertEqual(failures.first?.reason, "invalid_common")
    }
}

final class AuditdParserHardeningTests: XCTestCase {
    func syscall(_ serial: Int, padding: Int) -> String {
        "type=SYSCALL msg=audit(1700000000.123:\(serial)): arch=c000003e syscall=59 success=yes exit=0 ppid=1 pid=2 auid=1000 uid=1000 comm=\"git\" exe=\"/usr/bin/git\" key=\"" + String(repeating: "x", count: padding) + "\""
    }

    /// 8 open events of 64 × 1 MiB records took 567 MB: assembly is bounded by bytes.
    func testOneEventIsBoundedByBytes() throws {
        let p = AuditdParser()
        var out: [Event] = []
        for _ in 0..<20 { out += try ParserHarness.run(p, syscall(4567, padding: 600 * 1024)) }
        out += try ParserHarness.run(p, "type=EOE msg=audit(1700000000.123:4567):")
        XCTAssertEqual(out.count, 1)
        XCTAssertEqual(out[0][FieldKey("auditd.truncated")], .bool(true), "records beyond max_event_bytes are dropped")
    }

    func testOpenEventsAreBoundedByBytes() throws {
        let p = AuditdParser(options: ParseTest.options(["max_open_bytes": "4MiB", "max_event_bytes": "2MiB"]))
        var out: [Event] = []
        for serial in 0..<16 {
            for _ in 0..<2 { out += try ParserHarness.run(p, syscall(serial, padding: 300 * 1024)) }
        }
        // 16 events of 600 KiB do not fit in 4 MiB: the oldest were emitted, incomplete.
        XCTAssertGreaterThanOrEqual(out.count, 9)
        XCTAssertEqual(out.first?[FieldKey("auditd.incomplete")], .bool(true))
        XCTAssertEqual(p.evictedCount, out.count)
        XCTAssertLessThanOrEqual(p.openCount, 7)
    }
}
