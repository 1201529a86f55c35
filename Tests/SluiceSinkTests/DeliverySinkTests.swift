import Foundation
import Logging
import SluiceCore
import SluiceTestSupport
import XCTest
@testable import SluiceSink

final class DeliverySinkTests: XCTestCase {
    /// Memory mode: a batch the receiver never took, when the sink is closed while it is still
    /// retrying, stays unacknowledged, so its source does not move its checkpoint past it and
    /// reads it again at the next start. (It used to be acknowledged as if delivered.)
    func testClosingDuringRetriesLeavesTheUndeliveredBatchUnacknowledged() throws {
        let down = RecordingTransport(down: true)
        let sink = try DeliverySink(name: "siem", transport: down, encoder: RepoEncoder(), limits: BatchLimits(maxEvents: 64),
                                    retry: RetryPolicy(initial: 0.05, max: 0.1), logger: Logger(label: "test"))
        let acknowledged = Guarded(false)
        let ack = Acknowledgement { acknowledged.withLock { $0 = true } }
        try sink.write(EventBatch(events: (0..<10).map { TestSupport.cloneEvent(repo: "acme/repo-\($0)") }, acks: [ack]))
        let flushed = expectation(description: "flush returned")
        Thread {
            try? sink.flush()  // retries until delivered or closed
            flushed.fulfill()
        }.start()
        XCTAssertTrue(waitUntil(timeout: 5) { down.attempts >= 2 }, "the flush is retrying")
        sink.close()
        wait(for: [flushed], timeout: 10)
        XCTAssertEqual(down.received, [])
        XCTAssertFalse(acknowledged.value, "an undelivered batch was acknowledged: its source would skip it")
    }
}
