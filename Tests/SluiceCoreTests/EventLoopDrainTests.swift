import Foundation
import NIOCore
import NIOPosix
import SluiceCore
import XCTest

final class EventLoopDrainTests: XCTestCase {
    /// Work queued on each loop before `runQueued` has run when it returns (three tasks of
    /// 200 ms a loop: without the drain they would still be running); on an event loop thread it
    /// returns without waiting (NIO forbids waiting there); a blocked loop holds it only for
    /// the timeout.
    func testQueuedWorkHasRunWhenItReturns() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let done = Locked(0)
        for loop in group.makeIterator() {
            for _ in 0..<3 {
                loop.execute { Thread.sleep(forTimeInterval: 0.2); done.withLock { $0 += 1 } }
            }
        }
        EventLoopDrain.runQueued(on: group, timeout: 30)
        XCTAssertEqual(done.withLock { $0 }, 6, "every task queued before the drain has run")

        // Called on one of the group's loops: returns without waiting.
        let onLoop = try group.next().submit { EventLoopDrain.runQueued(on: group); return true }.wait()
        XCTAssertTrue(onLoop)

        // A loop that does not get to the no-op within the timeout does not hold the caller.
        let release = DispatchSemaphore(value: 0)
        group.next().execute { release.wait() }
        let start = Date()
        EventLoopDrain.runQueued(on: group, timeout: 0.2)
        XCTAssertLessThan(Date().timeIntervalSince(start), 20, "bounded by the timeout, not by the blocked loop")
        release.signal()
        try group.syncShutdownGracefully()
    }
}
