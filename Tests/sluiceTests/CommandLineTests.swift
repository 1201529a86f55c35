import Foundation
import SluiceTestSupport
import XCTest

/// `replay`, `parse`, `validate`, `test`, `version` as a user runs them.
final class CommandLineTests: XCTestCase {
    var packageRoot: URL { URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent() }

    func testReplayPrintsNormalizedEventsDeadLettersAndSummary() throws {
        let dir = makeTempDir()
        let sample = packageRoot.appendingPathComponent("Pipelines/samples/github-audit.jsonl").path
        let (status, out, err) = try SluiceProcess.run(["replay", "--format", "json", sample], directory: dir)
        XCTAssertEqual(status, 0, err)
        let lines = out.split(separator: "\n")
        XCTAssertEqual(lines.count, 72)
        XCTAssertTrue(lines[0].hasPrefix(#"{"@timestamp":"2025-11-23T02:00:00.000Z""#), String(lines[0]))
        XCTAssertTrue(err.contains("dead-letter: "), err)
        XCTAssertTrue(err.contains(#""error":{"type":"invalid_json","message":"unterminated string at byte 75"}"#), err)
        let row = err.split(separator: "\n").first { $0.hasPrefix("parse_0") }.map(String.init) ?? ""
        XCTAssertEqual(row.split(separator: " ").map(String.init), ["parse_0", "transform", "parse", "73", "72", "1", "0"], err)
        XCTAssertTrue(err.contains("events read"), err)
    }

    func testReplayOfStdinAndFormatCountMismatch() throws {
        let dir = makeTempDir()
        let (status, _, err) = try SluiceProcess.run(["replay", "--format", "json", "--format", "json", "a", "b", "c"], directory: dir)
        XCTAssertNotEqual(status, 0)
        XCTAssertTrue(err.contains("2 --format values for 3 files"), err)
    }

    func testParseCommandReportsFailuresWithLineNumbers() throws {
        let dir = makeTempDir()
        let f = dir.appendingPathComponent("in.jsonl")
        try "{\"action\":\"git.clone\",\"actor\":\"alice\"}\n[1,2]\n\n{\"a\":\n{\"actor\":\"bob\"}\n".write(to: f, atomically: true, encoding: .utf8)
        let (status, out, err) = try SluiceProcess.run(["parse", "--format", "json", f.path], directory: dir)
        XCTAssertEqual(status, 1)
        XCTAssertEqual(out, "{\"action\":\"git.clone\",\"actor\":\"alice\"}\n{\"actor\":\"bob\"}\n")
        XCTAssertTrue(err.contains("\(f.path):2: not_an_object"), err)
        XCTAssertTrue(err.contains("\(f.path):3: empty_record"), err)
        XCTAssertTrue(err.contains("\(f.path):4: invalid_json"), err)
        XCTAssertTrue(err.contains("5 records, 2 events, 3 failed"), err)
    }

    func testValidateNamesFileLineAndColumn() throws {
        let dir = makeTempDir()
        let cfg = dir.appendingPathComponent("bad.yaml")
        try """
        sources:
          audit:
            type: file
            inclde: [/var/log/x.log]
        transforms:
          parse:
            type: parse
            inputs: [audit, nowhere]
            format: jsn
        sinks:
          out:
            type: stdout
            inputs: [parse]
            encoding: json
        """.write(to: cfg, atomically: true, encoding: .utf8)
        let (status, out, err) = try SluiceProcess.run(["validate", "--config", cfg.path], directory: dir)
        XCTAssertEqual(status, 1)
        XCTAssertEqual(out, "")
        XCTAssertTrue(err.contains("\(cfg.path):4:5: component 'audit': unknown option 'inclde' (did you mean 'include'?)"), err)
        XCTAssertTrue(err.contains("\(cfg.path):9:13: component 'parse': unknown format 'jsn'"), err)
        XCTAssertTrue(err.contains("component 'parse': input 'nowhere' is not a component of this pipeline"), err)
        XCTAssertTrue(err.contains("component 'audit': missing required option 'include'"), err)

        let good = dir.appendingPathComponent("good.yaml")
        try packageRoot.appendingPathComponent("Pipelines/collector.yaml").path.withCString { _ in
            try String(contentsOf: packageRoot.appendingPathComponent("Pipelines/collector.yaml"), encoding: .utf8).write(to: good, atomically: true, encoding: .utf8)
        }
        let (s2, o2, e2) = try SluiceProcess.run(["validate", "--config", good.path], directory: dir)
        XCTAssertEqual(s2, 0, e2)
        XCTAssertTrue(o2.contains("ok (8 sources, 10 transforms, 3 sinks; not enabled: syslog_tls, siem_cef)"), o2)
    }

    func testTestCommandRunsCasesAndFailsOnMismatch() throws {
        let dir = makeTempDir()
        let f = dir.appendingPathComponent("cases.yaml")
        try """
        tests:
          - name: clone is normalized
            format: json
            input: |
              {"@timestamp": 1763863200000, "action": "git.clone", "actor": "alice", "actor_location": {"country_code": "US"}}
              broken
            failures: 1
            expect:
              - {"@timestamp": "2025-11-23T02:00:00.000Z", action: git.clone, actor: alice, actor_location.country_code: US}
          - name: wrong expectation
            format: json
            input: '{"actor": "bob"}'
            expect:
              - {actor: mallory}
        """.write(to: f, atomically: true, encoding: .utf8)
        let (status, out, _) = try SluiceProcess.run(["test", f.path], directory: dir)
        XCTAssertEqual(status, 1)
        XCTAssertTrue(out.contains("PASS \(f.path): clone is normalized"), out)
        XCTAssertTrue(out.contains(#"FAIL \#(f.path): wrong expectation: event 1: actor is "bob", expected "mallory""#), out)
        XCTAssertTrue(out.hasSuffix("1 passed, 1 failed\n"), out)
    }

    func testVersionAndHelp() throws {
        let dir = makeTempDir()
        let (s, out, _) = try SluiceProcess.run(["version"], directory: dir)
        XCTAssertEqual(s, 0)
        XCTAssertTrue(out.hasPrefix("sluice "), out)
        // The debug build the tests run is not linked with jemalloc (release builds are: the
        // package test checks the installed binary's malloc is jemalloc's).
        XCTAssertTrue(out.contains("\nallocator: glibc malloc"), out)
        for cmd in ["run", "replay", "parse", "validate", "test"] {
            let (hs, help, _) = try SluiceProcess.run([cmd, "--help"], directory: dir)
            XCTAssertEqual(hs, 0)
            XCTAssertTrue(help.contains("USAGE: sluice \(cmd)"), help)
        }
    }
}
