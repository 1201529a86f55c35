import Atomics
import Foundation
import Logging
import SluiceTestSupport
import XCTest
@testable import SluiceCore

/// `EpochCoordinator` on its own: an epoch commits once every source and stateful stage
/// reported it and everything before its barriers was acknowledged; until then it says what
/// it waits for (the warning of a shutdown that could not commit).
final class EpochCoordinatorTests: XCTestCase {
    func coordinator(_ dir: URL) -> EpochCoordinator {
        EpochCoordinator(store: StateStore(dataDirectory: dir.path), committed: nil, sources: ["audit", "proxy"],
                         stages: ["detect"], interval: 5, logger: Logger(label: "test"))
    }

    func testAnEpochSaysWhatItWaitsForUntilItCommits() throws {
        let dir = makeTempDir("epochs")
        let c = coordinator(dir)
        XCTAssertNil(c.pendingDescription(), "nothing in flight")
        XCTAssertEqual(c.begin(), 1)
        XCTAssertEqual(c.pendingDescription(), "epoch 1: no barrier yet from source(s) audit, proxy; no snapshot yet from stage(s) detect")
        let auditAcked = ManagedAtomic(false)
        c.sourceReached("audit", epoch: 1, position: [7], delivered: { auditAcked.load(ordering: .relaxed) })
        c.sourceReached("proxy", epoch: 1, position: nil, delivered: { true })
        c.stagePersisted("detect", epoch: 1, delivered: { true })
        XCTAssertEqual(c.pendingDescription(), "epoch 1: batches not yet acknowledged downstream of audit")
        XCTAssertFalse(c.waitForCommit(seconds: 0.2), "audit's batches before the barrier are not acknowledged")
        XCTAssertNil(c.committed)
        auditAcked.store(true, ordering: .relaxed)
        XCTAssertTrue(c.waitForCommit(seconds: 10))
        XCTAssertEqual(c.committed, CommittedEpoch(epoch: 1, sources: ["audit": Data([7])], stages: ["detect"]))
        XCTAssertEqual(try StateStore(dataDirectory: dir.path).committed(), c.committed, "the record is on disk")
        XCTAssertNil(c.pendingDescription())
    }

    func testAReportForAnotherEpochIsIgnored() throws {
        let c = coordinator(makeTempDir("epochs"))
        XCTAssertEqual(c.begin(), 1)
        c.stagePersisted("detect", epoch: 7, delivered: { true })
        c.sourceReached("audit", epoch: 0, position: [1], delivered: { true })
        XCTAssertEqual(c.pendingDescription(), "epoch 1: no barrier yet from source(s) audit, proxy; no snapshot yet from stage(s) detect")
        // A source whose input ended is not waited for.
        c.sourceFinished("proxy")
        XCTAssertEqual(c.pendingDescription(), "epoch 1: no barrier yet from source(s) audit; no snapshot yet from stage(s) detect")
    }

    /// A graceful stop begins its final epoch while the previous record may still be being
    /// written; when every participant of the final epoch reports before that write ends, the
    /// final epoch still commits, without anything else asking (at a stop nothing does).
    func testAFinalEpochCompletedDuringAnotherCommitIsCommittedAfterIt() throws {
        let c = coordinator(makeTempDir("epochs"))
        XCTAssertEqual(c.begin(), 1)
        c.commitQueue.suspend()     // the record of epoch 1 is being written, slowly
        for (source, position) in [("audit", [UInt8(1)]), ("proxy", [2])] {
            c.sourceReached(source, epoch: 1, position: position, delivered: { true })
        }
        c.stagePersisted("detect", epoch: 1, delivered: { true })
        XCTAssertEqual(c.begin(final: true), 2, "the stop's final epoch replaces the one committing")
        c.sourceReached("audit", epoch: 2, position: [3], delivered: { true })
        c.sourceReached("proxy", epoch: 2, position: [4], delivered: { true })
        c.stagePersisted("detect", epoch: 2, delivered: { true })
        XCTAssertEqual(c.commitCount, 0)
        c.commitQueue.resume()
        XCTAssertTrue(waitUntil(timeout: 10) { c.committed?.epoch == 2 }, "the final epoch never committed: \(c.pendingDescription() ?? "-")")
        XCTAssertEqual(c.commitCount, 2)
        XCTAssertEqual(c.committed?.sources, ["audit": Data([3]), "proxy": Data([4])])
        XCTAssertTrue(c.waitForCommit(seconds: 1))
    }
}
