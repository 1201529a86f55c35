import Foundation
import SluiceTestSupport
import XCTest
@testable import SluiceCore

/// `StateStore` on its own: a stage's snapshot streamed to disk in chunks reads back whole, a
/// failed snapshot leaves no file, and the record commits and prunes.
final class StateStoreTests: XCTestCase {
    /// A stateful stage whose snapshot is `parts`, written one `SnapshotOutput.write` each;
    /// `failAfter` parts it throws instead.
    final class ChunkedState: StatefulTransform {
        let parts: [[UInt8]]
        let failAfter: Int?
        init(_ parts: [[UInt8]], failAfter: Int? = nil) { self.parts = parts; self.failAfter = failAfter }
        struct DiskFull: Error {}
        func process(_ events: [Event], into output: inout [Event], failures: inout [DeadLetter]) { output += events }
        func snapshot() throws -> [UInt8] { Array(parts.joined()) }
        func snapshot(to output: SnapshotOutput) throws {
            for (i, p) in parts.enumerated() {
                if i == failAfter { throw DiskFull() }
                try output.write(p)
            }
        }
        func restore(_ snapshot: [UInt8]) throws {}
    }

    func testStreamedSnapshotReadsBackWhole() throws {
        let dir = makeTempDir("state")
        let store = StateStore(dataDirectory: dir.path)
        let parts: [[UInt8]] = [Array("SLDT".utf8), [1], [UInt8](repeating: 0xAB, count: 300_000), [], [2, 3]]
        try store.writeSnapshot(of: ChunkedState(parts), named: "detect", epoch: 7)
        XCTAssertEqual(store.snapshot(stage: "detect", epoch: 7), Array(parts.joined()))
        XCTAssertNil(store.snapshot(stage: "detect", epoch: 8))
        // A stage with nothing to say writes an empty snapshot, read back as empty (not nil).
        try store.writeSnapshot(of: ChunkedState([]), named: "parse", epoch: 7)
        XCTAssertEqual(store.snapshot(stage: "parse", epoch: 7), [])
    }

    func testAFailedSnapshotLeavesNoFileAndThrowsTheStagesError() throws {
        let dir = makeTempDir("state")
        let store = StateStore(dataDirectory: dir.path)
        try store.writeSnapshot(of: ChunkedState([[1, 2, 3]]), named: "detect", epoch: 1)
        XCTAssertThrowsError(try store.writeSnapshot(of: ChunkedState([[4], [5], [6]], failAfter: 2), named: "detect", epoch: 2)) {
            XCTAssertTrue($0 is ChunkedState.DiskFull)
        }
        XCTAssertNil(store.snapshot(stage: "detect", epoch: 2))
        XCTAssertEqual(store.snapshot(stage: "detect", epoch: 1), [1, 2, 3])
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path + "/state/stages/detect")
        XCTAssertEqual(files, ["1.snap"], "no temporary file left behind")
    }

    func testCommitKeepsTheCommittedSnapshotsAndPrunesOlderOnes() throws {
        let dir = makeTempDir("state")
        let store = StateStore(dataDirectory: dir.path)
        for epoch in [UInt64(3), 4, 5] { try store.writeSnapshot(of: ChunkedState([[UInt8(epoch)]]), named: "detect", epoch: epoch) }
        try store.commit(CommittedEpoch(epoch: 4, sources: ["audit": Data([9])], stages: ["detect"]))
        XCTAssertEqual(try store.committed(), CommittedEpoch(epoch: 4, sources: ["audit": Data([9])], stages: ["detect"]))
        XCTAssertNil(store.snapshot(stage: "detect", epoch: 3))
        XCTAssertEqual(store.snapshot(stage: "detect", epoch: 4), [4])
        XCTAssertEqual(store.snapshot(stage: "detect", epoch: 5), [5], "a newer epoch's snapshot is not pruned")
    }
    func testAnUnchangedSnapshotIsLinkedNotWrittenAndOutlivesThePruning() throws {
        let dir = makeTempDir("state")
        let store = StateStore(dataDirectory: dir.path)
        let parts: [[UInt8]] = [Array("SLDT".utf8), [UInt8](repeating: 7, count: 100_000), [9]]
        let written = try store.writeSnapshot(of: ChunkedState(parts), named: "detect", epoch: 3, digest: true)
        XCTAssertEqual(written, try StateStore.digest(of: ChunkedState(parts)), "the digest taken while writing is the one of the bytes")
        XCTAssertNil(try store.writeSnapshot(of: ChunkedState(parts), named: "other", epoch: 3), "no digest unless asked")
        XCTAssertTrue(store.reuseSnapshot(named: "detect", from: 3, to: 4))
        let path = { (e: Int) in dir.path + "/state/stages/detect/\(e).snap" }
        var a = stat(), b = stat()
        XCTAssertEqual(stat(path(3), &a), 0)
        XCTAssertEqual(stat(path(4), &b), 0)
        XCTAssertEqual(a.st_ino, b.st_ino, "the same file, not a copy")
        try store.commit(CommittedEpoch(epoch: 4, stages: ["detect"]))
        XCTAssertNil(store.snapshot(stage: "detect", epoch: 3), "the older name is pruned")
        XCTAssertEqual(store.snapshot(stage: "detect", epoch: 4), Array(parts.joined()), "the linked snapshot outlives it")
        XCTAssertFalse(store.reuseSnapshot(named: "detect", from: 3, to: 5), "nothing to link: the caller writes")
        XCTAssertNil(store.snapshot(stage: "detect", epoch: 5))
    }
}
