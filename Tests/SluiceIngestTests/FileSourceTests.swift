#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging
import SluiceTestSupport
import XCTest
@testable import SluiceCore
@testable import SluiceIngest

final class FileSourceTests: XCTestCase {
    static func line(_ i: Int) -> String {
        "2024-11-22T18:\(String(format: "%02d", (i / 60) % 60)):\(String(format: "%02d", i % 60))Z web-1 nginx: 203.0.113.\(i % 250) - alice [22/Nov/2024] \"GET /acme/payments.git/info/refs?service=git-upload-pack HTTP/1.1\" 200 \(1000 + i) seq=\(i)"
    }

    static func seq(_ e: Event) -> Int? {
        let t = e.text
        guard let r = t.range(of: "seq=") else { return nil }
        return Int(t[r.upperBound...])
    }

    /// Appends lines with one write(2) each, like a logging process.
    final class Writer: @unchecked Sendable {
        // SAFETY (@unchecked Sendable): each test hands its writer to one writer thread and
        // does not touch it again until that thread has ended.
        var fd: Int32
        let path: String
        init(_ path: String) { self.path = path; fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o644) }
        func write(_ s: String) { let b = Array((s + "\n").utf8); _ = b.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) } }
        func reopen() { close(fd); fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o644) }
        deinit { close(fd) }
    }

    func assertExactlyOnce(_ events: [Event], _ n: Int, file: StaticString = #filePath, line: UInt = #line) {
        let seqs = events.compactMap(Self.seq)
        XCTAssertEqual(seqs.count, events.count, "every event is a whole line", file: file, line: line)
        var counts: [Int: Int] = [:]
        for s in seqs { counts[s, default: 0] += 1 }
        let twice = counts.filter { $0.value > 1 }.keys.sorted()
        let missing = Set(0..<n).subtracting(seqs).sorted()
        XCTAssertTrue(twice.isEmpty, "\(twice.count) lines read twice, first: \(twice.prefix(10))", file: file, line: line)
        XCTAssertTrue(missing.isEmpty, "\(missing.count) lines missing, first: \(missing.prefix(10))", file: file, line: line)
        XCTAssertEqual(seqs.count, n, file: file, line: line)
    }

    func testRenameRotationWhileWriterAppendsDeliversEveryLineOnce() throws {
        let dir = tempDir("file-mv")
        let path = dir + "/app.log"
        let w = Writer(path)
        let src = FileSource(include: [path], pollInterval: 0.05, rotateWait: 1)
        let h = try SourceHarness(src, stateDir: dir + "/state")
        h.start()
        let total = 3000
        let writer = Thread {
            for i in 0..<total {
                w.write(Self.line(i))
                if i % 750 == 749 {
                    // logrotate-style: rename, the program reopens its log by name.
                    _ = rename(path, dir + "/app.log.\(i / 750)")
                    w.reopen()
                }
                if i % 50 == 0 { usleep(2000) }   // the scenario: a program writing over time
            }
        }
        writer.start()
        let events = h.collect(total, timeout: 20)
        let extra = h.drain(quiet: 0.5)
        h.stop()
        assertExactlyOnce(events + extra, total)
    }

    func testCopytruncateWhileWriterAppendsDeliversEveryLineOnce() throws {
        let dir = tempDir("file-ct")
        let path = dir + "/app.log"
        let w = Writer(path)
        let src = FileSource(include: [dir + "/app.log*"], pollInterval: 0.05, globInterval: 0.5, rotateWait: 1)
        let h = try SourceHarness(src, stateDir: dir + "/state")
        h.start()
        let total = 2400
        let writer = Thread {
            for i in 0..<total {
                w.write(Self.line(i))
                if i % 800 == 799 {
                    usleep(300_000)  // logrotate runs while the program is between writes
                    // copytruncate: copy the log to app.log.N, then truncate it in place.
                    try? FileManager.default.copyItem(atPath: path, toPath: dir + "/app.log.\(i / 800)")
                    _ = truncate(path, 0)
                }
                usleep(500)   // the scenario: a program writing over time
            }
        }
        writer.start()
        let events = h.collect(total, timeout: 20)
        let extra = h.drain(quiet: 0.5)
        h.stop()
        assertExactlyOnce(events + extra, total)
        XCTAssertGreaterThanOrEqual(src.truncationCount, 1)
    }

    func testRestartResumesAtAcknowledgedOffsetAndRewrittenFileIsReadAgain() throws {
        let dir = tempDir("file-restart")
        let path = dir + "/audit.log"
        let w = Writer(path)
        for i in 0..<100 { w.write(Self.line(i)) }
        let state = dir + "/state"
        let h = try SourceHarness(FileSource(include: [path], batchSize: 10, pollInterval: 0.05), stateDir: state)
        h.start()
        XCTAssertEqual(h.collect(100).count, 100)
        h.stop()
        for i in 100..<150 { w.write(Self.line(i)) }
        // Restart: only the new lines.
        let h2 = try SourceHarness(FileSource(include: [path], pollInterval: 0.05), stateDir: state)
        h2.start()
        let second = h2.collect(50)
        XCTAssertEqual(second.compactMap(Self.seq), Array(100..<150))
        XCTAssertEqual(h2.drain(quiet: 0.5).count, 0)
        h2.stop()
        // Rewritten in place while stopped (same inode, other first bytes, longer than the
        // old offset): a different file, read from its start.
        let fd = open(path, O_WRONLY | O_TRUNC)
        close(fd)
        let w2 = Writer(path)
        for i in 0..<200 { w2.write("rewritten " + Self.line(i)) }
        let h3 = try SourceHarness(FileSource(include: [path], pollInterval: 0.05), stateDir: state)
        h3.start()
        let third = h3.collect(200)
        h3.stop()
        XCTAssertEqual(third.compactMap(Self.seq), Array(0..<200))
    }

    func testUnacknowledgedLinesAreReadAgainAfterRestart() throws {
        let dir = tempDir("file-noack")
        let path = dir + "/app.log"
        let w = Writer(path)
        for i in 0..<40 { w.write(Self.line(i)) }
        let state = dir + "/state"
        let h = try SourceHarness(FileSource(include: [path], batchSize: 10, pollInterval: 0.05), stateDir: state)
        h.start()
        var got: [Event] = []
        while got.count < 20, let b = h.queue.pop(maxEvents: 10, timeout: 10), b.count > 0 { got += b.events; b.acknowledge() }
        XCTAssertEqual(got.count, 20)
        _ = h.collect(20, acknowledge: false)
        h.stop()
        let h2 = try SourceHarness(FileSource(include: [path], pollInterval: 0.05), stateDir: state)
        h2.start()
        let again = h2.collect(20)
        h2.stop()
        XCTAssertEqual(again.compactMap(Self.seq), Array(20..<40))
    }

    func testReadFromEndSkipsExistingLinesOfNewFilesOnly() throws {
        let dir = tempDir("file-end")
        let path = dir + "/old.log"
        let w = Writer(path)
        for i in 0..<10 { w.write(Self.line(i)) }
        let h = try SourceHarness(FileSource(include: [dir + "/*.log"], readFrom: .end, pollInterval: 0.05, globInterval: 0.2))
        h.start()
        // No signal tells when the source has opened old.log at its end (nothing is emitted):
        // give it time. Line 10 is lost if this is too short, never duplicated.
        usleep(300_000)
        w.write(Self.line(10))
        // A file created while running is read from its beginning (found through inotify).
        let w2 = Writer(dir + "/new.log")
        w2.write(Self.line(11)); w2.write(Self.line(12))
        let events = h.collect(3)
        h.stop()
        XCTAssertEqual(Set(events.compactMap(Self.seq)), [10, 11, 12])
    }

    func testPartialLineFlushedAfterTimeoutAndMultilineJoining() throws {
        let dir = tempDir("file-ml")
        let path = dir + "/app.log"
        let w = Writer(path)
        let trace = """
        2024-11-22 18:00:00,123 ERROR [main] c.a.Exporter - upload failed
        java.io.IOException: Broken pipe
        \tat java.base/sun.nio.ch.FileDispatcherImpl.write0(Native Method)
        \tat com.acme.Exporter.push(Exporter.java:88)
        Caused by: java.net.SocketException: Connection reset
        2024-11-22 18:00:01,000 INFO [main] c.a.Exporter - retrying
        """
        w.write(trace)
        let partial = Array("2024-11-22 18:00:02,000 WARN [main] no newline yet".utf8)
        _ = partial.withUnsafeBytes { Glibc.write(w.fd, $0.baseAddress, $0.count) }
        let src = FileSource(include: [path], pollInterval: 0.05, multilineTimeout: 0.5,
                             startPattern: LinePattern(#"\d\d\d\d-\d\d-\d\d "#))
        let h = try SourceHarness(src)
        h.start()
        let events = h.collect(3)
        h.stop()
        XCTAssertEqual(events.count, 3)
        XCTAssertEqual(events.first?.text, trace.split(separator: "\n").prefix(5).joined(separator: "\n"))
        XCTAssertEqual(events.dropFirst().first?.text, "2024-11-22 18:00:01,000 INFO [main] c.a.Exporter - retrying")
        XCTAssertEqual(events.last?.text, "2024-11-22 18:00:02,000 WARN [main] no newline yet")
    }

    /// A reader held in `emit` by a slow consumer for longer than `multiline_timeout` did
    /// not go without data: the line it stopped in the middle of (at a read-chunk boundary)
    /// must not be cut there and emitted as two records. (Found as 2-3 events missing from
    /// 1,000,000 in a loaded `sluice run`: each cut line failed to parse in two halves.)
    func testSlowConsumerNeverCutsALineAtAChunkBoundary() throws {
        let dir = tempDir("file-slow-consumer")
        let path = dir + "/audit.log"
        let w = Writer(path)
        let pad = String(repeating: "x", count: 900)
        let total = 3000  // ~3 MiB: one read pass (8 chunks of 256 KiB) ends inside a line
        for i in 0..<total { w.write(#"{"action":"git.clone","pad":"\#(pad)","# + "seq=\(i)") }
        let src = FileSource(include: [path], batchSize: 200, pollInterval: 0.05, multilineTimeout: 0.05)
        let h = try SourceHarness(src, capacity: 200)
        h.start()
        var events: [Event] = []
        let deadline = Date().addingTimeInterval(60)
        while events.count < total && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.1)  // the slow consumer: each push waits ~0.1 s for room
            events += h.collect(200, timeout: 1)
        }
        events += h.drain(quiet: 0.3)
        h.stop()
        assertExactlyOnce(events, total)
    }

    func testLinePatternSyntax() {
        let p = LinePattern(#"\d\d\d\d-\d\d-\d\d [A-Z]*\["#)!
        XCTAssertTrue(p.matchesStart(ArraySlice("2024-11-22 ERROR[main] x".utf8)))
        XCTAssertFalse(p.matchesStart(ArraySlice("\tat com.acme".utf8)))
        XCTAssertFalse(p.matchesStart(ArraySlice("2024-11-22".utf8)))
        let notSpace = LinePattern(#"[!\s]"#)!
        XCTAssertTrue(notSpace.matchesStart(ArraySlice("Caused by".utf8)))
        XCTAssertFalse(notSpace.matchesStart(ArraySlice("\tat".utf8)))
        XCTAssertNil(LinePattern("[abc"))
    }

    func testExpiredCheckpointsOfVanishedFilesAreRemoved() throws {
        let dir = tempDir("file-ttl")
        let state = dir + "/state"
        let path = dir + "/live.log"
        let w = Writer(path)
        for i in 0..<3 { w.write(Self.line(i)) }
        let store = try CheckpointStore(dataDirectory: state)
        let old = Int64(Date().timeIntervalSince1970) - 3600
        try store.save(FileSourceCheckpoints(files: ["fp:00000000deadbeef": FileCheckpoint(path: dir + "/gone.log", offset: 10, updated: old)]), for: "test")
        let h = try SourceHarness(FileSource(include: [path], pollInterval: 0.05, checkpointTTL: 60), stateDir: state)
        h.start()
        XCTAssertEqual(h.collect(3).count, 3)
        h.stop()
        let cps = try XCTUnwrap(store.load(FileSourceCheckpoints.self, for: "test"))
        XCTAssertNil(cps.files["fp:00000000deadbeef"])
        XCTAssertEqual(cps.files.values.map(\.path), [path])
    }

    func testCompressedRotatedFileIsReadOnceAndNotAgainAfterCompression() throws {
        let dir = tempDir("file-gz")
        let state = dir + "/state"
        // An old rotation already compressed: read through zlib.
        let old = Writer(dir + "/app.log.2")
        for i in 0..<500 { old.write(Self.line(i)) }
        try runProcess("/usr/bin/gzip", [dir + "/app.log.2"])
        // The last rotation, still plain, and the live file.
        let rotated = Writer(dir + "/app.log.1")
        for i in 500..<800 { rotated.write(Self.line(i)) }
        let live = Writer(dir + "/app.log")
        for i in 800..<900 { live.write(Self.line(i)) }
        let h = try SourceHarness(FileSource(include: [dir + "/app.log*"], pollInterval: 0.05, readCompressed: true), stateDir: state)
        h.start()
        let first = h.collect(900)
        h.stop()
        assertExactlyOnce(first, 900)

        // logrotate compresses app.log.1 (delaycompress) while sluice is down; one new line.
        try runProcess("/usr/bin/gzip", [dir + "/app.log.1"])
        live.write(Self.line(900))
        let h2 = try SourceHarness(FileSource(include: [dir + "/app.log*"], pollInterval: 0.05, readCompressed: true), stateDir: state)
        h2.start()
        let second = h2.collect(1) + h2.drain(quiet: 1.0)
        h2.stop()
        XCTAssertEqual(second.compactMap(Self.seq), [900], "compressed files already read are not read again")
    }

    func testCompressedFilesAreSkippedUnlessEnabled() throws {
        let dir = tempDir("file-gz-off")
        let w = Writer(dir + "/old.log")
        for i in 0..<10 { w.write(Self.line(i)) }
        try runProcess("/usr/bin/gzip", [dir + "/old.log"])
        let h = try SourceHarness(FileSource(include: [dir + "/*"]), mode: .toEnd)
        h.start()
        XCTAssertTrue(h.waitFinished())
        XCTAssertEqual(h.drain(quiet: 0.2).count, 0)
    }

    // MARK: from main (foundation tests)

    func makeContext(_ name: String, queue: BoundedQueue, store: CheckpointStore?, mode: RunMode) -> SourceContext {
        var l = Logger(label: "t"); l.logLevel = .critical
        return SourceContext(name: name, mode: mode, logger: l, metrics: ComponentMetrics(name: name, kind: "source", type: "file"),
                             checkpoints: store, outputs: [queue])
    }

    func testCheckpointAdvancesOnlyWhenBatchesAreAcknowledged() throws {
        let dir = makeTempDir()
        let file = dir.appendingPathComponent("a.log")
        try (0..<10).map { "line \($0)\n" }.joined().write(to: file, atomically: true, encoding: .utf8)
        let store = try CheckpointStore(dataDirectory: dir.path)
        let q = BoundedQueue(name: "q", capacity: 1000)
        let src = FileSource(include: [file.path], batchSize: 4, pollInterval: 0.05)
        let ctx = makeContext("fs", queue: q, store: store, mode: .follow)
        // The source runs on that thread; this one only calls `commitCheckpoints` (thread-safe).
        nonisolated(unsafe) let running = src
        DispatchQueue.global().async { try? running.run(ctx) }
        var batches: [EventBatch] = []
        while batches.reduce(0, { $0 + $1.count }) < 10, let b = q.pop(maxEvents: 4, timeout: 5), b.count > 0 { batches.append(b) }
        XCTAssertEqual(batches.flatMap { $0.events }.map { $0.originalText }, (0..<10).map { "line \($0)" })
        src.commitCheckpoints()
        XCTAssertNil(try store.load(FileSourceCheckpoints.self, for: "fs"), "nothing acknowledged yet, nothing saved")
        batches[0].acknowledge()
        src.commitCheckpoints()
        XCTAssertEqual(try store.load(FileSourceCheckpoints.self, for: "fs")?.files.values.first?.offset, Int64("line 0\nline 1\nline 2\nline 3\n".utf8.count))
        for b in batches.dropFirst() { b.acknowledge() }
        src.commitCheckpoints()
        XCTAssertEqual(try store.load(FileSourceCheckpoints.self, for: "fs")?.files.values.first?.offset, 70)
        ctx.requestStop()
    }

    func testReplayReadsToEndIncludingAnUnterminatedLastLine() throws {
        let dir = makeTempDir()
        let file = dir.appendingPathComponent("a.log")
        try "a\nb\nc".write(to: file, atomically: true, encoding: .utf8)
        let q = BoundedQueue(name: "q", capacity: 1000)
        let src = FileSource(include: [dir.path + "/*.log"])
        try src.run(makeContext("fs", queue: q, store: nil, mode: .toEnd))
        q.close()
        var lines: [String] = []
        while let b = q.pop() { lines += b.events.map { $0.originalText } }
        XCTAssertEqual(lines, ["a", "b", "c"])
    }
}

/// Issue 15: a link in an include directory must not make Sluice ship what it points to.
final class FileSourceLinkTests: XCTestCase {
    func source(_ yaml: String) throws -> FileSource {
        try FileSource.make(try options(yaml, type: "file"), buildContext(mode: .toEnd))
    }

    func testSymlinksAreNotFollowedByDefault() throws {
        let dir = tempDir("links")
        let secret = tempDir("secret") + "/shadow-like"
        try "root:$6$privatehash:19000:0:99999:7:::\n".write(toFile: secret, atomically: true, encoding: .utf8)
        try "2026-11-23 02:08:35 INFO app started\n".write(toFile: dir + "/app.log", atomically: true, encoding: .utf8)
        XCTAssertEqual(symlink(secret, dir + "/evil.log"), 0)
        let h = try SourceHarness(try source("include: [\"\(dir)/*.log\"]\npoll_interval: 50ms"), mode: .toEnd)
        h.start()
        XCTAssertTrue(h.waitFinished())
        let texts = h.drain(quiet: 0.2).map(\.text)
        XCTAssertEqual(texts, ["2026-11-23 02:08:35 INFO app started"])
    }

    func testFollowSymlinksOptionForOperatorsWhoRelyOnLinks() throws {
        let dir = tempDir("links-on")
        let target = tempDir("target") + "/current.log"
        try "line via link\n".write(toFile: target, atomically: true, encoding: .utf8)
        XCTAssertEqual(symlink(target, dir + "/app.log"), 0)
        let h = try SourceHarness(try source("include: [\"\(dir)/*.log\"]\nfollow_symlinks: true"), mode: .toEnd)
        h.start()
        XCTAssertTrue(h.waitFinished())
        XCTAssertEqual(h.drain(quiet: 0.2).map(\.text), ["line via link"])
    }

    /// Never into /proc or /sys, even with follow_symlinks (a link to /proc/self/environ also
    /// caused a busy re-read loop).
    func testProcAndSysAreNeverRead() throws {
        let dir = tempDir("links-proc")
        XCTAssertEqual(symlink("/proc/self/environ", dir + "/env.log"), 0)
        XCTAssertEqual(symlink("/sys/kernel/uevent_seqnum", dir + "/sys.log"), 0)
        let src = try FileSource.make(try options("include: [\"\(dir)/*.log\"]\nfollow_symlinks: true\npoll_interval: 50ms", type: "file"), buildContext())
        let h = try SourceHarness(src, mode: .follow)
        h.start()
        defer { h.stop() }
        XCTAssertEqual(h.drain(quiet: 1.5).count, 0, "nothing read from /proc or /sys")
        let proc = try SourceHarness(FileSource(include: ["/proc/self/status"]), mode: .toEnd)
        proc.start()
        XCTAssertTrue(proc.waitFinished())
        XCTAssertEqual(proc.drain(quiet: 0.2).count, 0)
    }
}
