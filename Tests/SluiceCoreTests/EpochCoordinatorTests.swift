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

    /// Reports every participant of `epoch` (positions by source; nil: none of its own) and
    /// waits for the commit.
    func complete(_ c: EpochCoordinator, _ epoch: UInt64, _ positions: [String: [UInt8]?], stages: [String] = ["detect"]) {
        for (source, position) in positions { c.sourceReached(source, epoch: epoch, position: position, delivered: { true }) }
        for stage in stages { c.stagePersisted(stage, epoch: epoch, delivered: { true }) }
        XCTAssertTrue(c.waitForCommit(seconds: 10), "epoch \(epoch): \(c.pendingDescription() ?? "-")")
        XCTAssertEqual(c.committed?.epoch, epoch)
    }

    /// The periodic timer is cancelled only after the pipeline drained: once a stop's final
    /// epoch began, it must not open one no source would reach (the stop would wait it out).
    func testNoEpochBeginsAfterTheFinalOne() throws {
        let c = coordinator(makeTempDir("epochs"))
        XCTAssertEqual(c.begin(final: true), 1)
        XCTAssertNil(c.begin(), "not while the final epoch is in flight")
        complete(c, 1, ["audit": [1], "proxy": [2]])
        XCTAssertNil(c.begin(), "nor after it committed")
        XCTAssertNil(c.pendingDescription())
        XCTAssertTrue(c.waitForCommit(seconds: 0.1))
    }

    /// A source that reports no position of its own (it never ran, or failed) or that ended
    /// without a barrier keeps its committed position in later records; one a reload removed
    /// is dropped.
    func testASourceWithoutAPositionOfItsOwnKeepsTheCommittedOne() throws {
        let c = coordinator(makeTempDir("epochs"))
        XCTAssertEqual(c.begin(), 1)
        complete(c, 1, ["audit": [1], "proxy": [2]])
        XCTAssertEqual(c.begin(), 2)
        complete(c, 2, ["audit": nil, "proxy": [5]])
        XCTAssertEqual(c.committed?.sources, ["audit": Data([1]), "proxy": Data([5])])
        c.sourceFinished("proxy")
        XCTAssertEqual(c.begin(), 3)
        complete(c, 3, ["audit": [9]])
        XCTAssertEqual(c.committed?.sources, ["audit": Data([9]), "proxy": Data([5])], "a finished source's position stays")

        let d = coordinator(makeTempDir("epochs"))
        XCTAssertEqual(d.begin(), 1)
        complete(d, 1, ["audit": [1], "proxy": [2]])
        XCTAssertEqual(d.begin(), 2)
        XCTAssertEqual(d.pause(), 2, "a pause names the newest epoch begun: its barriers are stale from now on")
        XCTAssertNil(d.pendingEpoch)
        d.resume(sources: ["audit"], stages: ["detect"])   // a reload removed proxy
        XCTAssertEqual(d.begin(), 3)
        complete(d, 3, ["audit": [3]])
        XCTAssertEqual(d.committed?.sources, ["audit": Data([3])])
    }

    /// The runtime marks a source that never ran or failed; its barriers then report no
    /// position (see the source runner and the topology's barrier handler).
    func testASourceContextCanBeToldToKeepTheCommittedPosition() {
        let ctx = SourceContext(name: "audit", mode: .follow, logger: Logger(label: "test"),
                                metrics: ComponentMetrics(name: "audit", kind: "source", type: "file"), checkpoints: nil,
                                restoredPosition: [1], usesEpochs: true, positioned: true, output: Output(),
                                reloads: ReloadRegistry(), onDelivered: nil)
        XCTAssertTrue(ctx.reportsOwnPosition)
        ctx.keepCommittedPosition()
        XCTAssertFalse(ctx.reportsOwnPosition)
        XCTAssertFalse(ctx.isRetired)
        ctx.retire()
        XCTAssertTrue(ctx.isRetired)
    }
}
