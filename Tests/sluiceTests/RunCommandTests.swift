import Foundation
import SluiceTestSupport
import XCTest

/// `sluice run` as operators use it: signals, checkpoints, crashes, metrics.
final class RunCommandTests: XCTestCase {
    func pipeline(input: URL, output: URL, dataDir: URL, extra: String = "") -> String {
        auditPipeline(dataDir: dataDir.path, input: input, shutdownTimeout: "20s", extra: extra, sinks: """
          out:
            type: file
            inputs: [parse]
            path: \(output.path)
        """)
    }


    func testSIGTERMDrainsExitsZeroAndEveryReadLineIsWritten() throws {
        let dir = makeTempDir()
        let input = dir.appendingPathComponent("audit.log"), output = dir.appendingPathComponent("out.ndjson")
        let n = 200_000
        try writeAuditLines(input, range: 0..<n)
        let cfg = dir.appendingPathComponent("p.yaml")
        try pipeline(input: input, output: output, dataDir: dir.appendingPathComponent("state")).write(to: cfg, atomically: true, encoding: .utf8)
        let p = try SluiceProcess(["run", "--config", cfg.path], directory: dir)
        XCTAssertTrue(waitUntil(timeout: 60) { lineCount(output) > 1000 }, "no output: \(p.stderr)")
        p.signal(SIGTERM)
        let status = p.wait(timeout: 30)
        XCTAssertEqual(status, 0, "exit status after SIGTERM; stderr: \(p.stderr)")
        let written = documentSeqs(try String(contentsOf: output, encoding: .utf8))
        XCTAssertGreaterThan(written.count, 0)
        XCTAssertTrue(written == Array(0..<written.count), "output is not the exact prefix of the input (gaps, duplicates or reordering)")
        // The checkpoint covers exactly what was written: a restart continues after it.
        let cp = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("state/checkpoints/audit.json"))) as! [String: Any]
        let files = cp["files"] as! [String: [String: Any]]
        let offset = files.values.first!["offset"] as! Int
        let inputData = try Data(contentsOf: input)
        let prefixURL = dir.appendingPathComponent("prefix")
        try inputData.prefix(offset).write(to: prefixURL)
        let linesBefore = lineCount(prefixURL)
        XCTAssertEqual(linesBefore, written.count, "checkpoint and written output disagree")
        if written.count == n { print("note: the whole input was written before SIGTERM arrived") }
    }

    func testSIGKILLMidFileThenRestartDeliversEveryLineAtLeastOnce() throws {
        let dir = makeTempDir()
        let input = dir.appendingPathComponent("audit.log"), output = dir.appendingPathComponent("out.ndjson")
        let n = 120_000, beforeKill = 60_000
        // The log is being written while the agent reads it: 20,000 lines at the start, 40,000
        // more as it runs (1,000 every 50 ms), the rest only after the kill. So the kill lands
        // mid-file whatever the agent's speed (an optimized build reads 120,000 lines in less
        // than the second its first checkpoint takes).
        try writeAuditLines(input, range: 0..<20_000)
        let cfg = dir.appendingPathComponent("p.yaml")
        try pipeline(input: input, output: output, dataDir: dir.appendingPathComponent("state")).write(to: cfg, atomically: true, encoding: .utf8)
        let first = try SluiceProcess(["run", "--config", cfg.path], directory: dir)
        let writer = appendAuditLinesPaced(input, range: 20_000..<beforeKill, chunk: 1_000, pause: 0.05)
        // Let it write its first checkpoint (about once a second), then kill it hard.
        let checkpoint = dir.appendingPathComponent("state/checkpoints/audit.json").path
        XCTAssertTrue(waitUntil(timeout: 60) { FileManager.default.fileExists(atPath: checkpoint) && lineCount(output) > 5_000 }, "no output: \(first.stderr)")
        first.signal(SIGKILL)
        first.wait(timeout: 10)
        let afterKill = lineCount(output)
        writer.wait()
        try writeAuditLines(input, range: beforeKill..<n, append: true)

        let second = try SluiceProcess(["run", "--config", cfg.path], directory: dir)
        // Cheap poll on the line count first; the exact check below decides.
        _ = waitUntil(timeout: 120) { lineCount(output) >= n }
        XCTAssertTrue(waitUntil(timeout: 60, interval: 1) { Set(documentSeqs([UInt8]((try? Data(contentsOf: output)) ?? Data()))).count == n },
                      "not every line arrived after the restart")
        second.signal(SIGTERM)
        XCTAssertEqual(second.wait(timeout: 30), 0)
        let seqs = documentSeqs(try String(contentsOf: output, encoding: .utf8))
        XCTAssertEqual(Set(seqs), Set(0..<n), "a line was skipped")
        // At-least-once: the replayed tail is bounded by what was unacknowledged at the kill.
        XCTAssertLessThan(seqs.count - n, afterKill + 1)
    }

    func testFollowsAppendedLinesAndResumesAfterRestartWithoutDuplicates() throws {
        let dir = makeTempDir()
        let input = dir.appendingPathComponent("audit.log"), output = dir.appendingPathComponent("out.ndjson")
        try writeAuditLines(input, range: 0..<100)
        let cfg = dir.appendingPathComponent("p.yaml")
        try pipeline(input: input, output: output, dataDir: dir.appendingPathComponent("state")).write(to: cfg, atomically: true, encoding: .utf8)
        var p = try SluiceProcess(["run", "--config", cfg.path], directory: dir)
        XCTAssertTrue(waitUntil(timeout: 30) { lineCount(output) == 100 })
        try writeAuditLines(input, range: 100..<150, append: true)
        XCTAssertTrue(waitUntil(timeout: 30) { lineCount(output) == 150 }, "appended lines were not followed")
        p.signal(SIGTERM)
        XCTAssertEqual(p.wait(timeout: 20), 0)
        try writeAuditLines(input, range: 150..<160, append: true)
        p = try SluiceProcess(["run", "--config", cfg.path], directory: dir)
        XCTAssertTrue(waitUntil(timeout: 30) { lineCount(output) >= 160 })
        usleep(500_000)   // the scenario: a repeated line, if any, would arrive now
        p.signal(SIGTERM)
        XCTAssertEqual(p.wait(timeout: 20), 0)
        XCTAssertEqual(documentSeqs(try String(contentsOf: output, encoding: .utf8)), Array(0..<160), "after a clean stop, a restart neither skips nor repeats")
    }

    func testMetricsAndHealthEndpoints() throws {
        let dir = makeTempDir()
        let input = dir.appendingPathComponent("audit.log"), output = dir.appendingPathComponent("out.ndjson")
        try writeAuditLines(input, range: 0..<10)
        try "{\"broken\n".data(using: .utf8).map { d in let h = try FileHandle(forWritingTo: input); h.seekToEndOfFile(); h.write(d); h.closeFile() }
        let port = 20_000 + Int(getpid() % 20_000)
        let cfg = dir.appendingPathComponent("p.yaml")
        try pipeline(input: input, output: output, dataDir: dir.appendingPathComponent("state"),
                     extra: "api: {address: \"127.0.0.1:\(port)\"}").write(to: cfg, atomically: true, encoding: .utf8)
        let p = try SluiceProcess(["run", "--config", cfg.path], directory: dir)
        defer { p.signal(SIGTERM); p.wait(timeout: 20) }
        XCTAssertTrue(waitUntil(timeout: 30) { lineCount(output) == 10 }, p.stderr)
        func get(_ path: String) -> String { httpGet(port: port, path) }
        var metrics = ""
        XCTAssertTrue(waitUntil(timeout: 10) { metrics = get("/metrics"); return metrics.contains("sluice_component_sent_events_total") })
        XCTAssertTrue(metrics.contains(#"sluice_component_received_events_total{component="parse",kind="transform",type="parse"} 11"#), metrics)
        XCTAssertTrue(metrics.contains(#"sluice_component_failures_total{component="parse",type="parse",reason="invalid_json"} 1"#), metrics)
        XCTAssertTrue(metrics.contains(#"sluice_parse_failures_total{component="parse",parser="json",reason="invalid_json"} 1"#), metrics)
        XCTAssertTrue(metrics.contains(#"sluice_component_sent_events_total{component="out",kind="sink",type="file"} 10"#), metrics)
        XCTAssertTrue(metrics.contains("sluice_component_queue_depth_events"), metrics)
        let health = get("/health")
        XCTAssertTrue(health.hasSuffix("\n200"), health)
        XCTAssertTrue(health.hasPrefix(#"{"status":"ok""#), health)
        XCTAssertTrue(health.contains(#""name":"out","kind":"sink","type":"file""#), health)
        XCTAssertTrue(get("/nope").hasSuffix("404"))
        // The failed record was set aside in the data directory's dead-letter file.
        let dl = try String(contentsOf: dir.appendingPathComponent("state/dead_letter.ndjson"), encoding: .utf8)
        XCTAssertTrue(dl.contains(#""error":{"type":"invalid_json""#), dl)
        XCTAssertTrue(dl.contains(#""sluice":{"component":"parse","parser":"json"}"#), dl)
        XCTAssertTrue(dl.contains(#""original":"{\"broken""#), dl)
    }
}
