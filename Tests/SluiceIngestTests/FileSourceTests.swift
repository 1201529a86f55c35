import Foundation
import XCTest
@testable import SluiceCore
@testable import SluiceIngest

final class FileSourceTests: XCTestCase {
    func tempDir() throws -> URL {
        let u = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("sluice-fs-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: u, withIntermediateDirectories: true)
        return u
    }

    func context(_ name: String, queue: BoundedQueue, store: CheckpointStore?, mode: RunMode) -> SourceContext {
        var l = Logger(label: "t"); l.logLevel = .critical
        return SourceContext(name: name, mode: mode, logger: l, metrics: ComponentMetrics(name: name, kind: "source", type: "file"),
                             checkpoints: store, outputs: [queue])
    }

    func testCheckpointAdvancesOnlyWhenBatchesAreAcknowledged() throws {
        let dir = try tempDir()
        let file = dir.appendingPathComponent("a.log")
        try (0..<10).map { "line \($0)\n" }.joined().write(to: file, atomically: true, encoding: .utf8)
        let store = try CheckpointStore(dataDirectory: dir.path)
        let q = BoundedQueue(name: "q", capacity: 1000)
        let src = FileSource(include: [file.path], batchSize: 4, pollInterval: 0.05)
        let ctx = context("fs", queue: q, store: store, mode: .follow)
        DispatchQueue.global().async { try? src.run(ctx) }
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
        let dir = try tempDir()
        let file = dir.appendingPathComponent("a.log")
        try "a\nb\nc".write(to: file, atomically: true, encoding: .utf8)
        let q = BoundedQueue(name: "q", capacity: 1000)
        let src = FileSource(include: [dir.path + "/*.log"])
        try src.run(context("fs", queue: q, store: nil, mode: .toEnd))
        q.close()
        var lines: [String] = []
        while let b = q.pop() { lines += b.events.map { $0.originalText } }
        XCTAssertEqual(lines, ["a", "b", "c"])
    }
}

import Logging
