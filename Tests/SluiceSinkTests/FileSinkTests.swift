import Foundation
import XCTest
@testable import SluiceCore
@testable import SluiceSink

final class FileSinkTests: XCTestCase {
    func testWritesJSONLinesAcknowledgesAndReopensAfterRename() throws {
        let dir = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("sluice-sink-\(UUID().uuidString.prefix(8))")
        let path = dir.appendingPathComponent("sub/out.ndjson").path
        let sink = FileSink(path: path, encoder: JSONLineEncoder(), fsync: .batch)
        var acked = 0
        func batch(_ names: [String]) -> EventBatch {
            EventBatch(events: names.map { var e = Event(); e[ECS.userName] = .string($0); return e },
                       acks: [Acknowledgement { acked += 1 }])
        }
        try sink.write(batch(["alice", "bob"]))
        XCTAssertEqual(acked, 1)
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "{\"user\":{\"name\":\"alice\"}}\n{\"user\":{\"name\":\"bob\"}}\n")
        try FileManager.default.moveItem(atPath: path, toPath: path + ".1")
        sink.lastCheck = 0
        try sink.write(batch(["carol"]))
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "{\"user\":{\"name\":\"carol\"}}\n")
        sink.close()
    }

    func testUnwritablePathIsARetryableErrorAndNothingIsAcknowledged() {
        let sink = FileSink(path: "/proc/sluice-cannot-write-here/out.ndjson", encoder: JSONLineEncoder())
        var acked = false
        let b = EventBatch(events: [Event()], acks: [Acknowledgement { acked = true }])
        XCTAssertThrowsError(try sink.write(b)) { e in
            guard case SinkError.retryable(let why)? = e as? SinkError else { return XCTFail("\(e)") }
            XCTAssertTrue(why.contains("/proc/sluice-cannot-write-here/out.ndjson"), why)
        }
        XCTAssertFalse(acked)
    }
}
