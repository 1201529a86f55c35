import Foundation
import SluiceTestSupport
import XCTest

/// `sluice validate` starts nothing; SIGHUP reloads `sluice run` by diff.
final class ReloadTests: XCTestCase {
    /// Every file under `dir` with its bytes (what "untouched" is checked against).
    func tree(_ dir: URL) -> [String: Data] {
        var out: [String: Data] = [:]
        let e = FileManager.default.enumerator(at: dir, includingPropertiesForKeys: nil)
        while let u = e?.nextObject() as? URL {
            var isDir: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: u.path, isDirectory: &isDir)
            out[u.path] = isDir.boolValue ? Data("<dir>".utf8) : (try? Data(contentsOf: u)) ?? Data()
        }
        return out
    }

    func testValidateLeavesTheDataDirectoryUntouchedAndBuildsHTTPSinksSafely() throws {
        let dir = makeTempDir()
        let data = dir.appendingPathComponent("data")
        // A data directory as a running agent leaves it: a checkpoint and a disk buffer segment.
        try FileManager.default.createDirectory(at: data.appendingPathComponent("checkpoints"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: data.appendingPathComponent("buffers/siem"), withIntermediateDirectories: true)
        try Data(#"{"files":{}}"#.utf8).write(to: data.appendingPathComponent("checkpoints/audit.json"))
        try Data(repeating: 0x41, count: 4096).write(to: data.appendingPathComponent("buffers/siem/00000001.seg"))
        let before = tree(dir)
        let config = dir.appendingPathComponent("p.yaml")
        try auditPipeline(dataDir: data.path, input: dir.appendingPathComponent("in.jsonl"), shutdownTimeout: "5s", sinks: """
          siem:
            type: http
            inputs: [parse]
            preset: splunk_hec
            endpoint: https://127.0.0.1:8088/services/collector/event
            token: ${HEC_TOKEN:-00000000-0000-0000-0000-000000000000}
            buffer: {type: disk, max_bytes: 64MiB}
          hook:
            type: http
            inputs: [parse]
            preset: webhook
            endpoint: http://127.0.0.1:9/hook
        """).write(to: config, atomically: true, encoding: .utf8)
        let (status, out, err) = try SluiceProcess.run(["validate", "--config", config.path], directory: dir)
        XCTAssertEqual(status, 0, "validate must succeed and not crash (it builds an HTTP client's sink): \(err)")
        XCTAssertTrue(out.contains("ok"), out)
        XCTAssertEqual(tree(dir).filter { $0.key != config.path }, before, "validate changed the data directory")
    }

    /// A file source into a file sink; SIGHUP with an invalid file keeps it running; SIGHUP
    /// with a file that changes the sink and adds a source replaces only those, the unchanged
    /// source keeps its position, and events flowing meanwhile arrive exactly once.
    func testReloadReplacesOnlyWhatChangedAndLosesOrDuplicatesNothing() throws {
        let dir = makeTempDir()
        let input = dir.appendingPathComponent("in.jsonl"), second = dir.appendingPathComponent("second.jsonl")
        let outA = dir.appendingPathComponent("a.ndjson"), outB = dir.appendingPathComponent("b.ndjson")
        let config = dir.appendingPathComponent("p.yaml")
        func pipeline(sinkPath: URL, extraSource: Bool) -> String {
            """
            data_dir: \(dir.appendingPathComponent("state").path)
            sources:
              audit: {type: file, include: ["\(input.path)"]}
            \(extraSource ? "  extra: {type: file, include: [\"\(second.path)\"]}" : "")
            transforms:
              parse: {type: parse, inputs: [\(extraSource ? "audit, extra" : "audit")], format: json}
            sinks:
              out: {type: file, inputs: [parse], path: \(sinkPath.path), include_original: false}
            """
        }
        try writeAuditLines(input, range: 0..<2_000)
        try writeAuditLines(second, range: 1_000_000..<1_000_500)
        try pipeline(sinkPath: outA, extraSource: false).write(to: config, atomically: true, encoding: .utf8)
        let agent = try SluiceProcess(["run", "--config", config.path], directory: dir, environment: ["SLUICE_LOG": "info"])
        XCTAssertTrue(waitUntil(timeout: 60) { lineCount(outA) == 2_000 }, agent.stderr)

        // An invalid file is refused; the pipeline keeps running and delivering.
        try "sources: {audit: {type: nosuch}}\nsinks: {}\n".write(to: config, atomically: true, encoding: .utf8)
        agent.signal(SIGHUP)
        XCTAssertTrue(waitUntil(timeout: 30) { agent.stderr.contains("reload refused") }, agent.stderr)
        try writeAuditLines(input, range: 2_000..<3_000, append: true)
        XCTAssertTrue(waitUntil(timeout: 60) { lineCount(outA) == 3_000 }, "the pipeline stopped after a refused reload: \(agent.stderr)")

        // A valid file: the sink moves to b.ndjson and a source is added, while lines keep
        // arriving in the unchanged source.
        let writer = Thread {
            for k in 0..<20 {
                try? writeAuditLines(input, range: (3_000 + k * 100)..<(3_100 + k * 100), append: true)
                usleep(20_000)   // the scenario: lines keep arriving during the reload
            }
        }
        writer.start()
        try pipeline(sinkPath: outB, extraSource: true).write(to: config, atomically: true, encoding: .utf8)
        agent.signal(SIGHUP)
        XCTAssertTrue(waitUntil(timeout: 60) { agent.stderr.contains("pipeline reloaded") }, agent.stderr)
        let log = agent.stderr
        XCTAssertTrue(log.contains("replaced 2 [\"parse\", \"out\"]") || log.contains("replaced 2 [\"out\", \"parse\"]"), log)
        XCTAssertTrue(log.contains("added 1 [\"extra\"]"), log)
        XCTAssertTrue(log.contains("kept 2 [\"audit\", \"_dead_letter\"]"), "the unchanged source keeps running: \(log)")
        let total = 5_000 + 500
        XCTAssertTrue(waitUntil(timeout: 60) { lineCount(outA) + lineCount(outB) >= total }, agent.stderr)
        usleep(500_000)   // the scenario: a duplicate, if any, would arrive now
        agent.signal(SIGTERM)
        XCTAssertEqual(agent.wait(timeout: 30), 0, agent.stderr)
        let a = documentSeqs(try String(contentsOf: outA, encoding: .utf8))
        let b = documentSeqs(try String(contentsOf: outB, encoding: .utf8))
        XCTAssertEqual((a + b).count, total, "an event was lost or delivered twice across the reload")
        XCTAssertEqual(Set(a + b), Set(0..<5_000).union(1_000_000..<1_000_500))
        XCTAssertFalse(b.contains { $0 < 3_000 }, "the unchanged source did not keep its position: it re-read its file")
    }

    /// With snapshot epochs (a stateful stage: auditd assembly), a changed source takes over
    /// where its predecessor stopped, not from the last committed epoch: with an hour between
    /// epochs none has committed when the reload comes, and nothing the old source delivered
    /// is read again (before, the replacement read the file from its beginning).
    func testAChangedSourceWithEpochsResumesWhereItsPredecessorStopped() throws {
        let dir = makeTempDir()
        let input = dir.appendingPathComponent("audit.log"), output = dir.appendingPathComponent("out.ndjson")
        let config = dir.appendingPathComponent("p.yaml")
        func pipeline(batch: Int) -> String {
            """
            data_dir: \(dir.appendingPathComponent("state").path)
            checkpoint_interval: 1h
            sources:
              audit: {type: file, include: ["\(input.path)"], batch_size: \(batch)}
            transforms:
              parse: {type: parse, inputs: [audit], format: auditd, drop_original: true}
            sinks:
              out: {type: file, inputs: [parse], path: \(output.path), include_original: false}
            """
        }
        try StatefulRuntimeTests.auditText(0..<300).write(to: input, atomically: false, encoding: .utf8)
        try pipeline(batch: 64).write(to: config, atomically: true, encoding: .utf8)
        let agent = try SluiceProcess(["run", "--config", config.path], directory: dir, environment: ["SLUICE_LOG": "info"])
        XCTAssertTrue(waitUntil(timeout: 60) { lineCount(output) == 300 }, agent.stderr)
        try pipeline(batch: 50).write(to: config, atomically: true, encoding: .utf8)
        agent.signal(SIGHUP)
        XCTAssertTrue(waitUntil(timeout: 60) { agent.stderr.contains("pipeline reloaded") }, agent.stderr)
        XCTAssertTrue(agent.stderr.contains("replaced 1 [\"audit\"]"), agent.stderr)
        let h = try FileHandle(forWritingTo: input)
        h.seekToEndOfFile(); h.write(Data(StatefulRuntimeTests.auditText(300..<400).utf8)); h.closeFile()
        XCTAssertTrue(waitUntil(timeout: 60) { lineCount(output) >= 400 }, agent.stderr)
        usleep(500_000)   // the scenario: a re-read, if any, would arrive now
        agent.signal(SIGTERM)
        XCTAssertEqual(agent.wait(timeout: 30), 0, agent.stderr)
        var seqs: [Int] = []
        for line in try String(contentsOf: output, encoding: .utf8).split(separator: "\n") {
            guard let o = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let a = o["auditd"] as? [String: Any], let seq = a["sequence"] as? Int else { continue }
            seqs.append(seq - 1_000)
        }
        XCTAssertEqual(seqs.count, 400, "an audit event was lost or read again across the reload")
        XCTAssertEqual(Set(seqs), Set(0..<400))
    }
}
