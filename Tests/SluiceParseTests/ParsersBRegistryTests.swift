import XCTest
import SluiceCore
@testable import SluiceParse

/// The parsers-b formats through the registry and the real `parse` transform.
final class ParsersBRegistryTests: XCTestCase {
    func testAllFormatsRegistered() throws {
        for f in ["squid", "w3c-proxy", "bind-query", "dnsmasq", "zeek-dns", "auditd", "sysmon-linux", "osquery"] {
            XCTAssertNotNil(ParseComponents.registry.parsers[f], f)
            XCTAssertNoThrow(try PB.make(f), f)
        }
        XCTAssertThrowsError(try PB.make("auditd", "assembly_timout: 2s"), "a misspelled option is reported")
    }

    func testAuditdThroughParseTransformWithTickAndDeadLetters() throws {
        let parser = try PB.make("auditd", "assembly_timeout: 1s\nmax_open_events: 16")
        let t = ParseTransform(format: "auditd", parser: parser, field: nil, dropOriginal: false)
        let lines = [
            "type=SYSCALL msg=audit(1700000000.100:1): arch=c000003e syscall=59 success=yes exit=0 ppid=1 pid=10 auid=1000 uid=1000 gid=1000 euid=1000 comm=\"tar\" exe=\"/usr/bin/tar\" key=\"exec\"",
            "garbage without a type",
            "type=EXECVE msg=audit(1700000000.100:1): argc=2 a0=\"tar\" a1=\"czf\"",
            "type=SYSCALL msg=audit(1700000000.200:2): arch=c000003e syscall=59 success=yes exit=0 ppid=1 pid=11 auid=1000 uid=1000 gid=1000 euid=1000 comm=\"gh\" exe=\"/usr/bin/gh\" key=\"exec\"",
            "type=EOE msg=audit(1700000000.100:1): ",
        ]
        var out: [Event] = []
        var failures: [DeadLetter] = []
        t.process(lines.map { Event(original: ArraySlice(Array($0.utf8))) }, into: &out, failures: &failures)
        XCTAssertEqual(out.count, 1)
        XCTAssertEqual(out.first?.string(ECS.processCommandLine), "tar czf")
        XCTAssertEqual(failures.map(\.reason), ["not_audit"])
        var later: [Event] = []
        t.tick(StageTime(wallClock: 5_000_000_000, eventTime: 5_000_000_000, final: false), into: &later)
        XCTAssertTrue(later.isEmpty, "the clock starts at the first tick")
        t.tick(StageTime(wallClock: 6_000_000_000, eventTime: 6_000_000_000, final: false), into: &later)
        XCTAssertEqual(later.count, 1)
        XCTAssertEqual(later.first?.string(ECS.processExecutable), "/usr/bin/gh")
        XCTAssertEqual(later.first?[FieldKey("auditd.incomplete")], .bool(true))
    }

    func testSyslogMessageFieldAsInput() throws {
        // A syslog parser puts the payload in `message`; the parse transform reads that field.
        let parser = try PB.make("dnsmasq")
        let t = ParseTransform(format: "dnsmasq", parser: parser, field: ECS.message, dropOriginal: false)
        var e = Event(timestamp: 1_700_000_000_000_000_000, original: ArraySlice(Array("<30>Nov 23 02:08:35 gw dnsmasq[1]: query[A] github.com from 10.0.0.5".utf8)))
        e[ECS.message] = .string("query[A] github.com from 10.0.0.5")
        e[ECS.logSyslogHostname] = .string("gw")
        var out: [Event] = []
        var failures: [DeadLetter] = []
        t.process([e], into: &out, failures: &failures)
        XCTAssertEqual(out.count, 1)
        XCTAssertEqual(out[0].string(ECS.dnsQuestionName), "github.com")
        XCTAssertEqual(out[0].string(ECS.logSyslogHostname), "gw")
        XCTAssertEqual(out[0].timestamp, 1_700_000_000_000_000_000)
    }
}
