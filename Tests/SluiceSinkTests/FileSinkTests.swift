import Foundation
import SluiceTestSupport
import XCTest
@testable import SluiceCore
@testable import SluiceSink

final class FileSinkTests: XCTestCase {
    func testWritesJSONLinesAcknowledgesAndReopensAfterRename() throws {
        let dir = makeTempDir("file-sink")
        let path = dir.appendingPathComponent("sub/out.ndjson").path
        let sink = FileSink(path: path, encoder: JSONLineEncoder(), fsync: .batch)
        let acked = ManagedCounter()
        func batch(_ names: [String]) -> EventBatch {
            EventBatch(events: names.map { var e = Event(); e[ECS.userName] = .string($0); return e },
                       acks: [Acknowledgement { acked.increment() }])
        }
        try sink.write(batch(["alice", "bob"]))
        XCTAssertEqual(acked.value, 1)
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "{\"user\":{\"name\":\"alice\"}}\n{\"user\":{\"name\":\"bob\"}}\n")
        try FileManager.default.moveItem(atPath: path, toPath: path + ".1")
        sink.lastCheck = 0
        try sink.write(batch(["carol"]))
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "{\"user\":{\"name\":\"carol\"}}\n")
        sink.close()
    }

    func testUnwritablePathIsARetryableErrorAndNothingIsAcknowledged() {
        let sink = FileSink(path: "/proc/sluice-cannot-write-here/out.ndjson", encoder: JSONLineEncoder())
        let acked = Locked(false)
        let b = EventBatch(events: [Event()], acks: [Acknowledgement { acked.withLock { $0 = true } }])
        XCTAssertThrowsError(try sink.write(b)) { e in
            guard case SinkError.retryable(let why)? = e as? SinkError else { return XCTFail("\(e)") }
            XCTAssertTrue(why.contains("/proc/sluice-cannot-write-here/out.ndjson"), why)
        }
        XCTAssertFalse(acked.withLock { $0 })
    }

    func testRotationBySizeKeepsCountAndWholeRecords() throws {
        let dir = tempDir("file")
        let path = dir + "/alerts.cef"
        let sink = FileSink(path: path, encoder: CEFEncoder(deviceExternalID: "c1"), fsync: .batch, rotateBytes: 4096, keep: 2)
        var sent = 0
        for k in 0..<20 {
            try sink.write(EventBatch(events: (0..<5).map { TestSupport.cloneAlert(repos: ["acme/r\(k * 5 + $0)"], id: "id-\(k * 5 + $0)") }))
            sent += 5
        }
        sink.close()
        let files = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
        XCTAssertEqual(files, ["alerts.cef", "alerts.cef.1", "alerts.cef.2"])
        var ids: [Int] = []
        for f in ["alerts.cef.2", "alerts.cef.1", "alerts.cef"] {
            let text = try String(contentsOfFile: dir + "/" + f, encoding: .utf8)
            XCTAssertLessThanOrEqual(text.utf8.count, 4096 + 2048)
            for line in text.split(separator: "\n") {
                let r = try XCTUnwrap(CEFRecord(String(line)), "whole records only")
                ids.append(Int(r.ext["externalId"]!.dropFirst(3))!)
            }
        }
        // The newest records, consecutive and in order (older files beyond `keep` are gone).
        XCTAssertEqual(ids, Array((sent - ids.count)..<sent))
        XCTAssertGreaterThan(ids.count, 10)
    }
}

extension FileSinkTests {
    /// Batches larger than a write piece (`FileSink.writeChunk`) and a rotation size between
    /// the two: pieces written behind the encoder land in the file they were meant for, and
    /// every record is in exactly one file, whole and in order.
    func testRotationMidBatchAfterPiecesWereWritten() throws {
        let dir = tempDir("file-pieces")
        let path = dir + "/events.ndjson"
        let sink = FileSink(path: path, encoder: JSONLineEncoder(), rotateBytes: FileSink.writeChunk * 3, keep: 50)
        var n = 0
        for _ in 0..<6 {
            try sink.write(EventBatch(events: (n..<(n + 1500)).map { TestSupport.cloneEvent(repo: "acme/repo-\($0)") }))
            n += 1500
        }
        sink.close()
        let files = try FileManager.default.contentsOfDirectory(atPath: dir)
        XCTAssertGreaterThan(files.count, 3, "rotated several times")
        var repos: [String] = []
        for i in stride(from: files.count - 1, through: 1, by: -1) + [0] {
            let f = i == 0 ? path : "\(path).\(i)"
            let data = try Data(contentsOf: URL(fileURLWithPath: f))
            XCTAssertLessThanOrEqual(data.count, FileSink.writeChunk * 3, "\(f) within the rotation size")
            for line in data.split(separator: 0x0A) {
                let o = try JSONSerialization.jsonObject(with: Data(line)) as! [String: Any]
                repos.append((o["github"] as! [String: Any])["repo"] as! String)
            }
        }
        XCTAssertEqual(repos, (0..<n).map { "acme/repo-\($0)" }, "every record once, in order")
    }
}

final class FileSinkFullDiskTests: XCTestCase {
    /// A full disk mid-batch left half a record glued to the next and, once space returned,
    /// the whole batch was written again (~500 duplicates). The file is truncated back to its
    /// last complete record, so the retry writes every record once. (The file-size limit
    /// stands in for a full disk here: writes stop part-way and then fail, as with ENOSPC;
    /// the adversarial suite uses a real full tmpfs.)
    func testFailedWriteLeavesNoHalfRecordAndRetryWritesEachRecordOnce() throws {
        try fullDisk(room: 20_000)   // the batch's first piece fails
    }

    /// A batch goes out in pieces (`FileSink.writeChunk`): when a later piece fails, the
    /// pieces already written go too, so the retry still writes every record once.
    func testFailureAfterAPieceOfTheBatchWasWrittenTakesThePieceBack() throws {
        try fullDisk(room: FileSink.writeChunk + 20_000)
    }

    func fullDisk(room: Int, file: StaticString = #filePath, line: UInt = #line) throws {
        let dir = tempDir("fullsink")
        let path = dir + "/events.ndjson"
        let sink = FileSink(path: path, encoder: JSONLineEncoder(), fsync: .batch)
        defer { sink.close() }
        func batch(_ r: Range<Int>) -> EventBatch { EventBatch(events: r.map { TestSupport.cloneEvent(repo: "acme/repo-\($0)") }) }
        try sink.write(batch(0..<10))
        let sizeBefore = try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int

        let failing = batch(10..<1010)
        var encoded: [UInt8] = []
        for e in failing.events { JSONLineEncoder().encode(e, into: &encoded); encoded.append(0x0A) }
        XCTAssertGreaterThan(encoded.count, room + 10_000, "the batch is larger than the room", file: file, line: line)
        let old = signal(SIGXFSZ, SIG_IGN)
        var saved = rlimit()
        getrlimit(Int32(RLIMIT_FSIZE.rawValue), &saved)
        var lim = saved
        lim.rlim_cur = rlim_t(sizeBefore + room)   // room for a part of the batch
        setrlimit(Int32(RLIMIT_FSIZE.rawValue), &lim)
        XCTAssertThrowsError(try sink.write(failing), "the disk is full", file: file, line: line)
        setrlimit(Int32(RLIMIT_FSIZE.rawValue), &saved)
        signal(SIGXFSZ, old)

        let afterFailure = try String(contentsOfFile: path, encoding: .utf8)
        XCTAssertTrue(afterFailure.hasSuffix("\n"), "no half record at the end", file: file, line: line)
        XCTAssertEqual(afterFailure.split(separator: "\n").count, 10, "nothing of the failed batch stays", file: file, line: line)

        try sink.write(failing)   // the runtime retries the same batch once space is back
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 1010, file: file, line: line)
        let repos = try lines.map { l -> String in
            let o = try JSONSerialization.jsonObject(with: Data(l.utf8)) as! [String: Any]
            return (o["github"] as! [String: Any])["repo"] as! String
        }
        XCTAssertEqual(repos, (0..<1010).map { "acme/repo-\($0)" }, "every record once, in order", file: file, line: line)
    }
}
