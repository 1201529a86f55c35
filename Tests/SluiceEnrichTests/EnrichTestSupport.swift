import Foundation
import Logging
import XCTest
import SluiceCore
import SluiceParse
import SluiceTestSupport
@testable import SluiceEnrich

/// Helpers for the enrichment tests: files in a temporary directory, and events made by the
/// real parsers from realistic log lines.
enum ET {
    @discardableResult
    static func write(_ dir: String, _ name: String, _ text: String) throws -> String {
        let p = dir + "/" + name
        try text.write(toFile: p, atomically: true, encoding: .utf8)
        return p
    }

    static func squid(_ line: String) throws -> Event { try ParserHarness.one(SquidParser(), line) }
    static func github(_ json: String) throws -> Event { try ParserHarness.one(GitHubAuditParser(), json) }

    static func bind(_ line: String) throws -> Event { try ParserHarness.one(BindQueryParser(), line) }

    /// An auditd EXECVE event for `args` on host `node`, as auditd writes the records.
    static func exec(_ args: [String], node: String = "build-07", user: String = "alice") throws -> Event {
        let id = "audit(1764750000.500:812)"
        var ex = "node=\(node) type=EXECVE msg=\(id): argc=\(args.count)"
        for (i, a) in args.enumerated() {
            ex += " a\(i)=" + a.utf8.map { String(format: "%02X", $0) }.joined()
        }
        let lines = [
            "node=\(node) type=SYSCALL msg=\(id): arch=c000003e syscall=59 success=yes exit=0 ppid=4100 pid=4242 auid=1000 uid=1000 gid=1000 euid=1000 suid=1000 fsuid=1000 egid=1000 sgid=1000 fsgid=1000 tty=pts1 ses=7 comm=\"git\" exe=\"/usr/bin/git\" key=\"exec\"\u{1D}AUID=\"\(user)\" UID=\"\(user)\"",
            ex,
            "node=\(node) type=EOE msg=\(id): ",
        ]
        let out = try ParserHarness.run(AuditdParser(), lines: lines)
        return try XCTUnwrap(out.first, "auditd gave no event")
    }

    static func str(_ e: Event, _ path: String) -> String? { e.string(FieldKey(path)) }
    static func bool(_ e: Event, _ path: String) -> Bool? {
        if case .bool(let b)? = e[FieldKey(path)] { return b }
        return nil
    }

    /// The `threat.enrichments` objects of `e` as dictionaries of their text members
    /// (`matched.field` and `matched.atomic` flattened).
    static func enrichments(_ e: Event) -> [[String: String]] {
        guard case .array(let items)? = e[FieldKey("threat.enrichments")] else { return [] }
        return items.map { item in
            var d: [String: String] = [:]
            guard case .object(let members) = item else { return d }
            for m in members {
                switch m.value {
                case .string(let s): d[m.key.path] = s
                case .int(let i): d[m.key.path] = String(i)
                case .object(let inner):
                    for x in inner { if case .string(let s) = x.value { d[m.key.path + "." + x.key.path] = s } }
                default: break
                }
            }
            return d
        }
    }

    /// Runs a transform over one batch, both ways the runtime can call it: `process` on a
    /// borrowed batch and `process(taking:)` on a batch handed over (events moved out). The two
    /// must give the same events, encoded byte for byte. `bothWays: false` runs only the
    /// runtime's way, `process(taking:)` (for tests where the tables change between calls).
    static func run(_ t: Transform, _ events: [Event], bothWays: Bool = true, file: StaticString = #filePath, line: UInt = #line) -> [Event] {
        var out: [Event] = []
        var failures: [DeadLetter] = []
        var handed = events
        guard bothWays else {
            t.process(taking: &handed, into: &out, failures: &failures)
            XCTAssertTrue(failures.isEmpty, file: file, line: line)
            return out
        }
        t.process(events, into: &out, failures: &failures)
        XCTAssertTrue(failures.isEmpty, file: file, line: line)
        var taken: [Event] = []
        var takenFailures: [DeadLetter] = []
        t.process(taking: &handed, into: &taken, failures: &takenFailures)
        XCTAssertTrue(takenFailures.isEmpty, file: file, line: line)
        let encoder = EventJSONEncoder()
        func json(_ es: [Event]) -> [String] {
            es.map { e in var b: [UInt8] = []; encoder.encode(e, into: &b); return String(decoding: b, as: UTF8.self) }
        }
        XCTAssertEqual(json(taken), json(out), "process(taking:) differs from process", file: file, line: line)
        return out
    }

    static let logger = Logger(label: "sluice.enrich.test")
}
