import Foundation
import SluiceTestSupport
import XCTest

/// SIGKILL `sluice run` while it ingests a file and a journal (written by the real
/// systemd-journal-remote), restart it, and compare: every line and every journal entry is
/// delivered at least once, none skipped.
final class IngestCrashTests: XCTestCase {
    static let remote = "/lib/systemd/systemd-journal-remote"

    /// GitHub audit events forwarded through journald (SYSLOG_IDENTIFIER=github-audit), with
    /// `_document_id` `jdoc-N`.
    func writeJournal(_ path: String, count: Int) throws {
        var out: [UInt8] = []
        out.reserveCapacity(count * 520)
        for i in 0..<count {
            let msg = #"{"@timestamp":\#(1_763_863_200_000 + i),"_document_id":"jdoc-\#(i)","action":"git.clone","actor":"alice","actor_ip":"203.0.113.\#(i % 250)","org":"acme","repo":"acme/payments-api","programmatic_access_type":"Personal access token (classic)"}"#
            out += Array("__REALTIME_TIMESTAMP=\(1_763_863_200_000_000 + UInt64(i) * 1000)\n__MONOTONIC_TIMESTAMP=\(1_000_000 + i)\n_BOOT_ID=8d2f0a1c9b7e4f3aa6c5d4e3f2a1b0c9\n_HOSTNAME=collector-02\nSYSLOG_IDENTIFIER=github-audit\n_PID=777\nPRIORITY=6\nMESSAGE=\(msg)\n\n".utf8)
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.remote)
        p.arguments = ["--output=\(path)", "-"]
        let pipe = Pipe()
        p.standardInput = pipe
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        pipe.fileHandleForWriting.write(Data(out))
        try pipe.fileHandleForWriting.close()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0)
    }

    func journalSeqs(_ text: String) -> Set<Int> {
        var out = Set<Int>()
        for line in text.split(separator: "\n") {
            guard let r = line.range(of: "\"_document_id\":\"jdoc-") else { continue }
            let rest = line[r.upperBound...]
            if let end = rest.firstIndex(of: "\""), let n = Int(rest[..<end]) { out.insert(n) }
        }
        return out
    }

    func testSIGKILLWhileIngestingFileAndJournalThenRestartLosesNothing() throws {
        guard FileManager.default.isExecutableFile(atPath: Self.remote) else {
            throw MissingTestDependency("systemd-journal-remote is not installed (make deps installs it)")
        }
        let dir = makeTempDir()
        let input = dir.appendingPathComponent("audit.log"), output = dir.appendingPathComponent("out.ndjson")
        let journal = dir.appendingPathComponent("remote.journal").path
        let nFile = 30_000, nJournal = 10_000, fileBeforeKill = 20_000
        // The file is being written while the agent reads it: 10,000 lines at the start,
        // 10,000 more as it runs (500 every 50 ms), the rest only after the kill, so the kill
        // lands mid-file however fast the agent reads.
        try writeAuditLines(input, range: 0..<10_000)
        try writeJournal(journal, count: nJournal)
        let cfg = dir.appendingPathComponent("p.yaml")
        try """
        data_dir: \(dir.appendingPathComponent("state").path)
        shutdown_timeout: 20s
        sources:
          audit:
            type: file
            include: ["\(input.path)"]
          journal:
            type: journald
            files: ["\(journal)"]
            batch_size: 256
        transforms:
          parse:
            type: parse
            inputs: [audit, journal]
            format: json
        sinks:
          out:
            type: file
            inputs: [parse]
            path: \(output.path)
        """.write(to: cfg, atomically: true, encoding: .utf8)

        let first = try SluiceProcess(["run", "--config", cfg.path], directory: dir)
        let writer = appendAuditLinesPaced(input, range: 10_000..<fileBeforeKill, chunk: 500, pause: 0.05)
        func snapshot() -> Data { (try? Data(contentsOf: output)) ?? Data() }
        func lines(_ d: Data) -> Int { d.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) } }
        // Kill once both sources are well under way (journal entries arrive in order).
        XCTAssertTrue(waitUntil(timeout: 120, interval: 0.2) {
            let d = snapshot()
            return d.range(of: Data("\"jdoc-500\"".utf8)) != nil && lines(d) > 4_000
        }, "no output from both sources: \(first.stderr)")
        // Kill right after both checkpoints were first saved (the runtime saves about once a
        // second), while both inputs are still being read.
        let checkpoints = dir.appendingPathComponent("state/checkpoints")
        XCTAssertTrue(waitUntil(timeout: 30, interval: 0.05) {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: checkpoints.path)) ?? []
            return names.contains("journal.json") && names.contains("audit.json")
        }, "no checkpoint saved: \(first.stderr)")
        first.signal(SIGKILL)
        first.wait(timeout: 10)
        let killed = String(decoding: snapshot(), as: UTF8.self)
        let journalBefore = journalSeqs(killed).count
        writer.wait()
        try writeAuditLines(input, range: fileBeforeKill..<nFile, append: true)
        let cps = try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("state/checkpoints").path)
        XCTAssertTrue(cps.contains("journal.json"), "journal checkpoint saved before the kill: \(cps)")

        let second = try SluiceProcess(["run", "--config", cfg.path], directory: dir)
        // Cheap wait on the line count (at-least-once: at least every record), then the exact check.
        _ = waitUntil(timeout: 240, interval: 1) { lines(snapshot()) >= nFile + nJournal }
        XCTAssertTrue(waitUntil(timeout: 60, interval: 2) {
            let t = String(decoding: snapshot(), as: UTF8.self)
            return Set(documentSeqs(t)).count == nFile && journalSeqs(t).count == nJournal
        }, "not everything arrived after the restart")
        second.signal(SIGTERM)
        XCTAssertEqual(second.wait(timeout: 30), 0, second.stderr)
        let text = try String(contentsOf: output, encoding: .utf8)
        XCTAssertEqual(Set(documentSeqs(text)), Set(0..<nFile), "a file line was skipped")
        XCTAssertEqual(journalSeqs(text), Set(0..<nJournal), "a journal entry was skipped")
        // The journal was resumed from its cursor, not re-read from the start.
        let journalLines = text.split(separator: "\n").filter { $0.contains("\"_document_id\":\"jdoc-") }.count
        // (re-reading it from the start would repeat all `journalBefore` entries).
        XCTAssertLessThan(journalLines - nJournal, max(journalBefore, 1), "journal replay bounded by what was unacknowledged")
    }
}
