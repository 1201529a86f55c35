import Dispatch
import XCTest
@testable import SluiceCore

final class InboxTests: XCTestCase {
    static let seq = FieldKey("test.seq")
    static let lane = FieldKey("test.lane")

    /// Events of `lane` with the given event times (seconds), numbered from `from`.
    static func batch(_ lane: Int, times: [Int64], from: Int = 0) -> EventBatch {
        EventBatch(events: times.enumerated().map { i, t in
            var e = Event(timestamp: t * 1_000_000_000)
            e.append(seq, .int(Int64(from + i)))
            e.append(Self.lane, .int(Int64(lane)))
            return e
        })
    }

    /// Pops until done (or until `limit` items), recording what came out.
    static func drain(_ inbox: Inbox, limit: Int = 10_000) -> [InboxItem] {
        var out: [InboxItem] = []
        while out.count < limit, let item = inbox.pop(timeout: 5) {
            if case .idle = item { break }
            out.append(item)
        }
        return out
    }

    func testABarrierHoldsItsLaneUntilEveryLaneDeliveredIt() {
        let inbox = Inbox(name: "t", settings: InboxSettings(capacity: 100))
        let a = inbox.addLane(name: "a"), b = inbox.addLane(name: "b")
        a.push(Self.batch(0, times: [1, 2]))
        a.pushBarrier(7)
        a.push(Self.batch(0, times: [3, 4], from: 2))  // after the barrier on a
        b.push(Self.batch(1, times: [1]))
        // Everything before the barrier comes out; a's post-barrier events must wait.
        var seen: [(Int64, Int64)] = []
        for _ in 0..<2 {
            guard case .batch(let x)? = inbox.pop(timeout: 1) else { return XCTFail("expected a batch") }
            seen += x.events.map { ($0[Self.lane]!.intValue!, $0[Self.seq]!.intValue!) }
        }
        XCTAssertEqual(seen.map(\.0).sorted(), [0, 0, 1])
        if case .idle? = inbox.pop(timeout: 0.3) {} else { XCTFail("a's events after the barrier came out before b's barrier") }
        b.pushBarrier(7)
        guard case .barrier(let e)? = inbox.pop(timeout: 1) else { return XCTFail("expected the aligned barrier") }
        XCTAssertEqual(e, 7)
        guard case .batch(let after)? = inbox.pop(timeout: 1) else { return XCTFail("expected a's held events") }
        XCTAssertEqual(after.events.map { $0[Self.seq]!.intValue! }, [2, 3])
    }

    func testAFinishedLaneDoesNotHoldTheBarrierBack() {
        let inbox = Inbox(name: "t", settings: InboxSettings(capacity: 100))
        let a = inbox.addLane(name: "a"), b = inbox.addLane(name: "b")
        b.producerFinished()
        a.pushBarrier(3)
        guard case .barrier(3)? = inbox.pop(timeout: 1) else { return XCTFail("a finished lane must count as aligned") }
        a.producerFinished()
        XCTAssertNil(inbox.pop(timeout: 1))
    }

    func testAStaleBarrierIsDiscardedWhenANewerEpochArrives() {
        let inbox = Inbox(name: "t", settings: InboxSettings(capacity: 100))
        let a = inbox.addLane(name: "a"), b = inbox.addLane(name: "b")
        a.pushBarrier(1)           // epoch 1 was given up before b placed it
        a.pushBarrier(2)
        b.pushBarrier(2)
        guard case .barrier(2)? = inbox.pop(timeout: 1) else { return XCTFail("epoch 2 should align") }
        a.push(Self.batch(0, times: [5]))
        guard case .batch? = inbox.pop(timeout: 1) else { return XCTFail("a flows after the barrier") }
    }

    func testBarrierAlignmentIsGivenUpAfterItsTimeout() {
        let inbox = Inbox(name: "t", settings: InboxSettings(capacity: 100, barrierTimeout: 0.3))
        let a = inbox.addLane(name: "a"), _ = inbox.addLane(name: "b")
        a.pushBarrier(4)
        a.push(Self.batch(0, times: [1]))
        guard case .batch? = inbox.pop(timeout: 3) else { return XCTFail("a's events flow once the alignment is given up") }
        XCTAssertEqual(inbox.abandonedEpochs, 1)
    }

    func testAnEpochGivenUpReleasesALaneWaitingAtItsBarrier() {
        // A reload gave up epoch 4 after lane a placed its barrier; b never will.
        let inbox = Inbox(name: "t", settings: InboxSettings(capacity: 100))
        let a = inbox.addLane(name: "a"), b = inbox.addLane(name: "b")
        a.pushBarrier(4)
        a.push(Self.batch(0, times: [1]))
        b.push(Self.batch(1, times: [2]))
        guard case .batch(let first)? = inbox.pop(timeout: 1) else { return XCTFail("b's events flow") }
        XCTAssertEqual(first.events.map { $0[Self.lane]!.intValue! }, [1])
        if case .idle? = inbox.pop(timeout: 0.3) {} else { XCTFail("a's events came out past an unaligned barrier") }
        inbox.abandonEpochs(through: 4)
        guard case .batch(let held)? = inbox.pop(timeout: 0.3) else { return XCTFail("a's events must flow once epoch 4 is given up") }
        XCTAssertEqual(held.events.map { $0[Self.lane]!.intValue! }, [0])
        // Its barrier arriving late on b is stale: discarded, not aligned.
        b.pushBarrier(4)
        b.push(Self.batch(1, times: [3], from: 1))
        guard case .batch(let late)? = inbox.pop(timeout: 1) else { return XCTFail("a late barrier of a given-up epoch must be discarded") }
        XCTAssertEqual(late.events.map { $0[Self.seq]!.intValue! }, [1])
        // Later epochs align as before; giving up an older one again changes nothing.
        inbox.abandonEpochs(through: 2)
        a.pushBarrier(5)
        b.pushBarrier(5)
        guard case .barrier(5)? = inbox.pop(timeout: 1) else { return XCTFail("epoch 5 should align") }
        XCTAssertEqual(inbox.abandonedEpochs, 0, "given up by the coordinator, not timed out here")
    }

    func testLanesAreMergedInEventTimeWithinTheSkew() {
        // Lane 0 covers 1...1000 s, lane 1 covers 1...100 s in bigger steps; both pushed in full
        // before anything is popped, as a fast source would. (Time 0 means "no time".)
        let skew: Int64 = 10
        let inbox = Inbox(name: "t", settings: InboxSettings(capacity: 100_000, maxBatch: 64, maxSkew: skew * 1_000_000_000))
        let a = inbox.addLane(name: "a"), b = inbox.addLane(name: "b")
        a.push(Self.batch(0, times: Array(1...1000)))
        b.push(Self.batch(1, times: (1...50).map { $0 * 2 }))
        a.producerFinished(); b.producerFinished()
        var maxSeen: Int64 = 0
        var count = 0
        for item in Self.drain(inbox) {
            guard case .batch(let x) = item else { continue }
            for e in x.events {
                let t = e.timestamp / 1_000_000_000
                XCTAssertGreaterThanOrEqual(t, maxSeen - skew, "an event came out more than the skew behind another input")
                maxSeen = max(maxSeen, t)
                count += 1
            }
        }
        XCTAssertEqual(count, 1050)
    }

    /// Which lane each handed-out batch came from, for the first `n` batches.
    static func laneOrder(_ inbox: Inbox, batches n: Int) -> [Int64] {
        var order: [Int64] = []
        while order.count < n, case .batch(let x)? = inbox.pop(timeout: 1) {
            order.append(x.events.first![Self.lane]!.intValue!)
        }
        return order
    }

    /// A file source's lines have no time until parsed (0), a journal's entries do: with the
    /// untimed lane always full, the timed one still gets its turns (it starved before: a
    /// busy file held a journal back until the file was read to the end).
    func testABusyUntimedLaneDoesNotStarveATimedOne() {
        let inbox = Inbox(name: "t", settings: InboxSettings(capacity: 100_000, maxBatch: 10, maxSkew: 60_000_000_000))
        let file = inbox.addLane(name: "file"), journal = inbox.addLane(name: "journal")
        file.push(Self.batch(0, times: Array(repeating: 0, count: 1_000)))
        journal.push(Self.batch(1, times: Array(1...100)))
        let order = Self.laneOrder(inbox, batches: 20)
        XCTAssertEqual(order.count, 20)
        XCTAssertEqual(order.filter { $0 == 1 }.count, 10, "the lanes take turns: \(order)")
    }

    /// Without alignment (`max_source_skew: 0`) lanes are served in turn whatever their times:
    /// an old backlog on one input does not hold a live input back.
    func testWithoutAlignmentLanesTakeTurns() {
        let inbox = Inbox(name: "t", settings: InboxSettings(capacity: 100_000, maxBatch: 10))
        let backlog = inbox.addLane(name: "backlog"), live = inbox.addLane(name: "live")
        backlog.push(Self.batch(0, times: Array(1...500)))
        live.push(Self.batch(1, times: Array(repeating: 1_000_000, count: 50)))
        let order = Self.laneOrder(inbox, batches: 10)
        XCTAssertEqual(order, [0, 1, 0, 1, 0, 1, 0, 1, 0, 1])
    }

    func testAnEmptyLiveLaneStopsHoldingOthersBackOnceIdle() {
        let inbox = Inbox(name: "t", settings: InboxSettings(capacity: 100, maxSkew: 1_000_000_000, idleTimeout: 0.2))
        let a = inbox.addLane(name: "a"), b = inbox.addLane(name: "b")
        a.push(Self.batch(0, times: [9]))
        b.push(Self.batch(1, times: [10]))
        for _ in 0..<2 { guard case .batch? = inbox.pop(timeout: 1) else { return XCTFail() } }
        // b is now empty at 10 s; a's event at 100 s is far ahead and waits until b is idle.
        a.push(Self.batch(0, times: [100]))
        let started = Clock.monotonic()
        guard case .batch(let x)? = inbox.pop(timeout: 3) else { return XCTFail("an idle lane held the others back") }
        XCTAssertEqual(x.events.first?.timestamp, 100_000_000_000)
        XCTAssertGreaterThanOrEqual(Clock.monotonic() - started, 0.15, "the lane was not idle yet")
    }

    func testPushesAreSplitAndALaneNeverHoldsMoreThanItsCapacity() {
        let inbox = Inbox(name: "t", settings: InboxSettings(capacity: 10, maxBatch: 4))
        let a = inbox.addLane(name: "a")
        let acked = Locked(0)
        var big = Self.batch(0, times: Array(0..<25))
        big.acks = [Acknowledgement { acked.withLock { $0 += 1 } }]
        let pushed = big
        DispatchQueue.global().async { a.push(pushed); a.producerFinished() }
        var seqs: [Int64] = []
        while case .batch(let x)? = inbox.pop(timeout: 5) {
            XCTAssertLessThanOrEqual(x.count, 4)
            XCTAssertLessThanOrEqual(inbox.depth, 10)
            seqs += x.events.map { $0[Self.seq]!.intValue! }
            x.acknowledge()
        }
        XCTAssertEqual(seqs, Array(0..<25))
        XCTAssertEqual(acked.withLock { $0 }, 1, "the split batch's acknowledgement completes once, after every part")
    }
}
