import Foundation
import Glibc
@testable import SluiceCore
import Logging
import XCTest

/// Real threads: one spinning (a saturated stage), one sleeping. After a sample the spinning
/// thread runs `boost` nice steps higher when the process may raise priorities (root, as in
/// CI), or nothing changes when it may not; leaving and `stop` set threads back.
final class StagePriorityTests: XCTestCase {
    /// A thread registered as stage `name` that spins (or sleeps) until `done`, reporting
    /// its thread id.
    final class StageThread: @unchecked Sendable {
        // SAFETY (@unchecked Sendable): `state` is a Locked; the rest is set before start.
        let state = Locked<(tid: pid_t, token: Int?, done: Bool, left: Bool)>((0, nil, false, false))
        init(_ name: String, spin: Bool, priority: StagePriority) {
            let state = self.state
            Thread {
                let token = priority.enter(name)
                state.withLock { $0.tid = StagePriority.currentThread()?.tid ?? -1; $0.token = token }
                state.broadcast()
                var x = 0
                while !state.withLock({ $0.done }) {
                    if spin { for i in 0..<10_000 { x &+= i } } else { Thread.sleep(forTimeInterval: 0.01) }
                }
                priority.leave(token)
                state.withLock { $0.left = true }
                state.broadcast()
                // Stays alive (as a dispatch worker would) so its nice value can be read.
                _ = state.wait(timeout: 30, until: { !$0.left }) { _, _ in x }
            }.start()
            state.wait(timeout: 10, until: { $0.tid != 0 }) { _, _ in () }
        }
        var tid: pid_t { state.withLock { $0.tid } }
        func finish() {
            state.withLock { $0.done = true }
            state.wait(timeout: 10, until: { $0.left }) { _, _ in () }
        }
        func release() { state.withLock { $0.left = false }; state.broadcast() }
    }

    /// Thresholds a spinning thread passes even on a loaded machine (the suite runs in
    /// parallel shards), and a sleeping one never does.
    static func lowPolicy() -> BottleneckPolicy {
        var p = BottleneckPolicy()
        p.saturated = 0.05; p.released = 0.01; p.margin = 0.02
        return p
    }

    /// Samples until `done` or 20 s.
    func sampleUntil(_ priority: StagePriority, _ done: () -> Bool) {
        let deadline = Date().addingTimeInterval(20)
        while !done(), Date() < deadline {
            Thread.sleep(forTimeInterval: 0.2)
            priority.sample()
        }
    }

    func testTheSaturatedStageIsRaisedAndSetBackWhenItLeaves() throws {
        let priority = StagePriority(boost: 5, logger: Logger(label: "test"), policy: Self.lowPolicy())
        let hot = StageThread("detect", spin: true, priority: priority)
        let cold = StageThread("sink", spin: false, priority: priority)
        defer { hot.release(); cold.release() }
        let base = StagePriority.nice(of: hot.tid)
        XCTAssertEqual(StagePriority.nice(of: cold.tid), base)
        // May this process raise a thread above its own nice value? (Root, CAP_SYS_NICE or
        // RLIMIT_NICE: what `setpriority` itself decides.)
        let allowed = base > -20 && StagePriority.setNice(cold.tid, base - 1)
        if allowed { _ = StagePriority.setNice(cold.tid, base) }
        if allowed {
            sampleUntil(priority) { priority.raisedStage != nil }
        } else {
            for _ in 0..<3 { Thread.sleep(forTimeInterval: 0.2); priority.sample() }
        }
        if allowed {
            XCTAssertEqual(priority.raisedStage, "detect")
            XCTAssertEqual(StagePriority.nice(of: hot.tid), max(-20, base - 5), "the spinning stage is raised")
            XCTAssertEqual(StagePriority.nice(of: cold.tid), base, "the idle one is not")
        } else {
            XCTAssertNil(priority.raisedStage, "not permitted: nothing raised")
            XCTAssertEqual(StagePriority.nice(of: hot.tid), base)
        }
        hot.finish()
        XCTAssertEqual(StagePriority.nice(of: hot.tid), base, "set back as its stage left, before other work")
        XCTAssertNil(priority.raisedStage)
        cold.finish()
    }

    func testStopSetsBackAndEndsSampling() throws {
        let priority = StagePriority(boost: 3, logger: Logger(label: "test"), policy: Self.lowPolicy())
        let hot = StageThread("parse", spin: true, priority: priority)
        defer { hot.release() }
        let base = StagePriority.nice(of: hot.tid)
        let allowed = base > -20 && StagePriority.setNice(hot.tid, base - 1)
        if allowed {
            _ = StagePriority.setNice(hot.tid, base)
            sampleUntil(priority) { priority.raisedStage != nil }
            XCTAssertEqual(StagePriority.nice(of: hot.tid), max(-20, base - 3), "raised before the stop")
        }
        priority.stop()
        XCTAssertEqual(StagePriority.nice(of: hot.tid), base)
        XCTAssertNil(priority.raisedStage)
        Thread.sleep(forTimeInterval: 0.3)
        priority.sample()
        XCTAssertEqual(StagePriority.nice(of: hot.tid), base, "no sampling after stop")
        XCTAssertNil(priority.enter("late"), "no registration after stop")
        hot.finish()
    }
}
