import Foundation
import XCTest
@testable import SluiceCore

final class BatchReclaimerTests: XCTestCase {
    /// Waits (bounded) until `condition` holds.
    private func eventually(_ condition: () -> Bool, timeout: Double = 5) -> Bool {
        let deadline = Clock.monotonic() + timeout
        while !condition() {
            if Clock.monotonic() > deadline { return false }
            usleep(1000)
        }
        return true
    }

    func testAReleasedBatchIsFreedOnTheReclaimersQueue() {
        let reclaimer = BatchReclaimer(maxPending: 4)
        weak var weakAck: Acknowledgement?
        do {
            let ack = Acknowledgement {}
            weakAck = ack
            var e = Event(original: ArraySlice(Array("{\"a\":1}".utf8)))
            e[ECS.userName] = .string("alice")
            XCTAssertTrue(reclaimer.release(EventBatch(events: [e], acks: [ack])))
        }
        XCTAssertTrue(eventually { reclaimer.waiting == 0 && weakAck == nil }, "the batch was never freed")
    }

    func testNeverHoldsMoreThanMaxPendingBatches() {
        let reclaimer = BatchReclaimer(maxPending: 2)
        var handedOver = 0, keptByCaller = 0
        for i in 0..<2_000 {
            let events = (0..<64).map { j -> Event in
                var e = Event()
                e[ECS.userName] = .string("user\(i)-\(j)")
                return e
            }
            if reclaimer.release(EventBatch(events: events, acks: [])) { handedOver += 1 } else { keptByCaller += 1 }
            XCTAssertLessThanOrEqual(reclaimer.waiting, 2)
        }
        XCTAssertEqual(handedOver + keptByCaller, 2_000)
        XCTAssertGreaterThan(handedOver, 0)
        XCTAssertTrue(eventually { reclaimer.waiting == 0 })
    }
}
