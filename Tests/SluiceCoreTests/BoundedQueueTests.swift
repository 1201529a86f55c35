import Dispatch
import Foundation
import SluiceTestSupport
import XCTest
@testable import SluiceCore

final class BoundedQueueTests: XCTestCase {
    private static func batch(_ producer: Int, _ seqs: Range<Int>) -> EventBatch {
        let pk = FieldKey("test.producer"), sk = FieldKey("test.seq")
        return EventBatch(events: seqs.map { Event(fields: [Field(pk, .int(Int64(producer))), Field(sk, .int(Int64($0)))]) })
    }

    func testDepthNeverExceedsCapacityUnderConcurrentProducers() {
        let q = BoundedQueue(name: "t", capacity: 100, policy: .block, producers: 4)
        var observedMax = 0
        let group = DispatchGroup()
        for p in 0..<4 {
            DispatchQueue.global().async(group: group) {
                for i in 0..<500 { q.push(Self.batch(p, (i * 7)..<(i * 7 + 7))) }
                q.producerFinished()
            }
        }
        var total = 0
        while let b = q.pop(maxEvents: 50) {
            XCTAssertLessThanOrEqual(q.depth, 100)
            observedMax = max(observedMax, q.depth)
            total += b.count
            usleep(50)   // the scenario: a consumer slower than the producers
        }
        group.wait()
        XCTAssertEqual(total, 4 * 500 * 7)
        XCTAssertLessThanOrEqual(observedMax, 100, "queue depth exceeded its capacity")
        XCTAssertEqual(q.dropped, 0)
    }

    func testBlockLosesNothingAndKeepsOrderPerProducer() {
        let q = BoundedQueue(name: "t", capacity: 64, policy: .block, producers: 3)
        for p in 0..<3 {
            DispatchQueue.global().async {
                var next = 0
                while next < 20_000 {
                    let n = Int.random(in: 1...16)
                    q.push(Self.batch(p, next..<min(next + n, 20_000)))
                    next += n
                }
                q.producerFinished()
            }
        }
        var expected = [0, 0, 0]
        let pk = FieldKey("test.producer"), sk = FieldKey("test.seq")
        while let b = q.pop(maxEvents: 100) {
            for e in b.events {
                let p = Int(e[pk]!.intValue!), s = Int(e[sk]!.intValue!)
                XCTAssertEqual(s, expected[p], "producer \(p) out of order")
                expected[p] = s + 1
            }
        }
        XCTAssertEqual(expected, [20_000, 20_000, 20_000])
        XCTAssertEqual(q.eventsIn, 60_000)
        XCTAssertEqual(q.eventsOut, 60_000)
    }

    func testBlockedProducerSleepsUntilConsumerPops() {
        let q = BoundedQueue(name: "t", capacity: 10, policy: .block)
        q.push(Self.batch(0, 0..<10))
        let pushed = Locked(false)
        DispatchQueue.global().async {
            q.push(Self.batch(0, 10..<15))
            pushed.withLock { $0 = true }
        }
        usleep(200_000)   // the scenario: the push must still be blocked after a while
        XCTAssertFalse(pushed.withLock { $0 }, "push into a full queue returned without room")
        XCTAssertEqual(q.depth, 10)
        _ = q.pop(maxEvents: 10)
        XCTAssertTrue(waitUntil(timeout: 10) { pushed.withLock { $0 } })
        XCTAssertEqual(q.depth, 5)
    }

    func testDropNewestCountsEveryDropAndAcknowledgesDroppedBatches() {
        let q = BoundedQueue(name: "t", capacity: 50, policy: .dropNewest)
        let completed = Locked(0)
        var pushed = 0
        for i in 0..<40 {
            var b = Self.batch(0, (i * 5)..<(i * 5 + 5))
            b.acks = [Acknowledgement { completed.withLock { $0 += 1 } }]
            pushed += 5
            q.push(b)
        }
        XCTAssertEqual(q.depth, 50)
        XCTAssertEqual(q.eventsIn + q.dropped, pushed, "every event is either queued or counted as dropped")
        XCTAssertEqual(q.dropped, 150)
        // Dropped batches were acknowledged so their source is not held up.
        XCTAssertEqual(completed.withLock { $0 }, 30)
        while let b = q.pop(maxEvents: 1000, timeout: 0.01), b.count > 0 { b.acknowledge() }
        XCTAssertEqual(completed.withLock { $0 }, 40)
    }

    func testDropNewestKeepsTheFittingPrefixInOrder() {
        let q = BoundedQueue(name: "t", capacity: 8, policy: .dropNewest)
        q.push(Self.batch(0, 0..<5))
        XCTAssertEqual(q.push(Self.batch(0, 5..<10)), 3)
        XCTAssertEqual(q.dropped, 2)
        let b = q.pop(maxEvents: 100)!
        XCTAssertEqual(b.events.map { $0[FieldKey("test.seq")]!.intValue! }, [0, 1, 2, 3, 4, 5, 6, 7])
    }

    func testCloseDrainsThenEnds() {
        let q = BoundedQueue(name: "t", capacity: 10)
        q.push(Self.batch(0, 0..<3))
        q.close()
        XCTAssertEqual(q.push(Self.batch(0, 3..<4)), 0)
        XCTAssertEqual(q.pop()?.count, 3)
        XCTAssertNil(q.pop())
    }

    func testPopTimesOutWithEmptyBatch() {
        let q = BoundedQueue(name: "t", capacity: 10)
        let b = q.pop(timeout: 0.05)
        XCTAssertEqual(b?.count, 0)
    }

    func testOversizedBatchIsSplitSoTheQueueNeverHoldsMoreThanItsCapacity() {
        let q = BoundedQueue(name: "t", capacity: 4)
        DispatchQueue.global().async { q.push(Self.batch(0, 0..<10)); q.producerFinished() }
        var seqs: [Int64] = []
        while let b = q.pop(maxEvents: 100) {
            XCTAssertLessThanOrEqual(b.count, 4, "a pop never sees more than the capacity")
            seqs += b.events.map { $0[FieldKey("test.seq")]!.intValue! }
        }
        XCTAssertEqual(seqs, Array(0..<10))
    }
}
