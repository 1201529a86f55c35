import XCTest
@testable import SluiceCore

final class AckTrackerTests: XCTestCase {
    func testCommittedAdvancesOnlyOverContiguousCompletions() {
        let t = AckTracker<Int64>(initial: 0)
        let a = t.register(100), b = t.register(200), c = t.register(300)
        b.release()
        XCTAssertEqual(t.committed, 0, "a later batch completing must not move the checkpoint past an earlier one")
        c.release()
        XCTAssertEqual(t.committed, 0)
        a.release()
        XCTAssertEqual(t.committed, 300)
        XCTAssertEqual(t.pending, 0)
    }

    func testFanOutCompletesWhenEveryPathReleases() {
        let t = AckTracker<Int64>(initial: 0)
        let a = t.register(10)
        a.retain(2)  // three sinks
        a.release(); a.release()
        XCTAssertEqual(t.committed, 0)
        a.release()
        XCTAssertEqual(t.committed, 10)
    }

    func testTakeIfAdvancedReportsEachMoveOnce() {
        let t = AckTracker<Int64>(initial: 0)
        XCTAssertNil(t.takeIfAdvanced())
        t.register(5).release()
        XCTAssertEqual(t.takeIfAdvanced(), 5)
        XCTAssertNil(t.takeIfAdvanced())
    }
}
