import SluiceCore
import SluiceTestSupport
import XCTest
@testable import SluiceDetect

/// Snapshot and restore: a restart in the middle of an attack still alerts, exactly once.
final class SnapshotTests: XCTestCase {
    func signature(_ alerts: [Event]) -> [String] {
        alerts.map { "\($0.alert!.id) \($0.alert!.severity.name) \($0.alert!.count) \($0.alert!.escalates ?? "-") \($0.alert!.evidence.count)" }
    }

    func testRestoreMidWindowContinuesExactly() throws {
        let events = (0..<60).map { ET.clone("acme/repo-\($0)", at: ET.t0 + Int64($0) * 5 * ET.s) }
        let reference = ET.run(ET.engine(ET.cloneRules), events)
        XCTAssertEqual(reference.count, 3)
        for cut in [5, 12, 30, 59] {
            let first = ET.engine(ET.cloneRules)
            var out: [Event] = []
            first.process(Array(events[..<cut]), into: &out)
            let snap = try first.snapshot()
            // The restarted engine gets the rest; alerts already emitted stay emitted.
            let second = ET.engine(ET.cloneRules)
            try second.restore(snap)
            second.process(Array(events[cut...]), into: &out)
            second.finish(into: &out)
            XCTAssertEqual(signature(out), signature(reference), "cut at \(cut)")
        }
    }

    func testFirstSeenLearningSurvivesRestore() throws {
        let rule = """
        title: New origin for a token
        name: github_token_new_origin
        level: low
        logsource: {product: github, service: audit}
        detection: {s: {hashed_token|exists: true}, condition: s}
        sluice:
            first_seen: {entity: [github.hashed_token], values: [source.as.number], learning: 24h}
        """
        func use(_ asn: Int64, _ t: Int64) -> Event {
            ET.clone("a/x", at: t, extra: [("source.as.number", .int(asn))])
        }
        let history = (0..<30).map { use(64500 + Int64($0 % 3), ET.t0 + Int64($0) * ET.h) }
        let e1 = ET.engine(rule)
        var out: [Event] = []
        e1.process(history, into: &out)
        e1.finish(into: &out)
        XCTAssertEqual(out.count, 0)
        let e2 = ET.engine(rule)
        try e2.restore(try e1.snapshot())
        e2.process([use(64501, ET.t0 + 31 * ET.h), use(13335, ET.t0 + 32 * ET.h)], into: &out)
        e2.finish(into: &out)
        XCTAssertEqual(out.map { $0.alert!.group.last!.value.text! }, ["13335"])
    }

    /// `snapshot(to:)` (what an epoch writes) hands over the same bytes as `snapshot()` in
    /// chunks of about the output's chunk size, and a restart restores from them.
    func testStreamedSnapshotIsTheSameBytesInBoundedChunks() throws {
        let events = (0..<60).map { ET.clone("acme/repo-\($0)", at: ET.t0 + Int64($0) * 5 * ET.s) }
        let reference = ET.run(ET.engine(ET.cloneRules), events)
        let first = ET.engine(ET.cloneRules)
        var out: [Event] = []
        first.process(Array(events[..<30]), into: &out)
        let whole = try first.snapshot()
        for chunkBytes in [1, 64, 1 << 20] {
            var chunks: [[UInt8]] = []
            let output = SnapshotOutput(chunkBytes: chunkBytes) { chunks.append(Array($0)) }
            try first.snapshot(to: output)
            XCTAssertEqual(Array(chunks.joined()), whole, "chunk size \(chunkBytes)")
            XCTAssertEqual(output.written, whole.count)
            XCTAssertGreaterThan(whole.count, 2_000, "the state holds evidence")
            if chunkBytes == 64 {
                XCTAssertGreaterThan(chunks.count, whole.count / 1_000, "written out as it goes")
                // Every chunk but the last reached the chunk size, and none is much larger: one
                // item (here an evidence event of about 700 bytes) past it at most.
                for c in chunks.dropLast() { XCTAssertGreaterThanOrEqual(c.count, 64) }
                XCTAssertLessThan(chunks.map(\.count).max()!, 64 + 2_000)
            }
            if chunkBytes == 1 << 20 { XCTAssertEqual(chunks.count, 1) }
        }
        // The streamed bytes restore an engine that finishes the attack exactly as one that never stopped.
        var streamed: [UInt8] = []
        try first.snapshot(to: SnapshotOutput(chunkBytes: 100) { streamed.append(contentsOf: $0) })
        let second = ET.engine(ET.cloneRules)
        try second.restore(streamed)
        second.process(Array(events[30...]), into: &out)
        second.finish(into: &out)
        XCTAssertEqual(signature(out), signature(reference))
    }

    /// A sink that fails stops the snapshot with its error (the epoch does not commit).
    func testStreamedSnapshotStopsAtTheFirstFailedWrite() throws {
        let e = ET.engine(ET.cloneRules)
        var out: [Event] = []
        e.process((0..<20).map { ET.clone("a/\($0)", at: ET.t0 + Int64($0) * ET.s) }, into: &out)
        struct Full: Error {}
        var calls = 0
        XCTAssertThrowsError(try e.snapshot(to: SnapshotOutput(chunkBytes: 64) { _ in calls += 1; throw Full() })) {
            XCTAssertTrue($0 is Full)
        }
        XCTAssertEqual(calls, 1)
        // The engine is unchanged: a later snapshot is whole.
        XCTAssertEqual(try e.snapshot().count, try e.snapshot().count)
        XCTAssertEqual(e.bufferedEvents, 20)
    }

    func testCorruptSnapshotThrowsAndLeavesEngineUnchanged() throws {
        let e = ET.engine(ET.cloneRules)
        var out: [Event] = []
        e.process((0..<5).map { ET.clone("a/\($0)", at: ET.t0 + Int64($0) * ET.s) }, into: &out)
        let good = try e.snapshot()
        XCTAssertThrowsError(try e.restore(Array("nope".utf8)))
        XCTAssertThrowsError(try e.restore(Array(good.prefix(good.count / 2))))
        var flipped = good; flipped[4] = 99
        XCTAssertThrowsError(try e.restore(flipped))
        XCTAssertEqual(e.bufferedEvents, 5)
        // Random damage never crashes.
        var rng = SplitMix(seed: 7)
        for _ in 0..<60 {
            var b = good
            for _ in 0..<4 { b[Int(rng.next() % UInt64(b.count))] = UInt8(truncatingIfNeeded: rng.next()) }
            _ = try? ET.engine(ET.cloneRules).restore(b)
        }
    }

    func testStateOfRemovedRulesIsDropped() throws {
        let e = ET.engine(ET.cloneRules)
        var out: [Event] = []
        e.process((0..<5).map { ET.clone("a/\($0)", at: ET.t0 + Int64($0) * ET.s) }, into: &out)
        e.finish(into: &out)
        XCTAssertEqual(e.activeGroups, 1)
        let same = ET.engine(ET.cloneRules)
        try same.restore(try e.snapshot())
        XCTAssertEqual(same.activeGroups, 1)
        let other = ET.engine("title: x\nname: other\nlogsource: {category: proxy}\ndetection: {s: {c-uri: x}, condition: s}\n")
        try other.restore(try e.snapshot())
        XCTAssertEqual(other.activeGroups, 0)
    }

    /// `stateVersion` (what lets an idle stage's epoch skip reading the state) moves with
    /// every change of the snapshot's bytes: batches, releases, window ends (timers), garbage
    /// collection, a live wall clock passing the lateness, restore and finish; a repeated
    /// `advance` changes neither.
    func testStateVersionMovesWhenTheSnapshotDoes() throws {
        let windowEnd = """

        ---
        title: Few clones
        name: few_clones
        correlation:
            type: event_count
            rules: [github_pat_clone]
            group-by: [actor]
            timespan: 10m
            condition: {lt: 3}
        """
        let e = ET.engine(ET.cloneRules + windowEnd)
        var out: [Event] = []
        var last = (version: e.stateVersion, bytes: try e.snapshot())
        var unchangedSteps = 0, changedSteps = 0
        /// Records a step: an unchanged version must mean unchanged bytes; `expect` says
        /// whether the version should have moved.
        func step(_ what: String, expect moved: Bool? = nil, _ body: () -> Void) throws {
            body()
            let now = (version: e.stateVersion, bytes: try e.snapshot())
            if now.version == last.version {
                XCTAssertEqual(now.bytes, last.bytes, "\(what): the version stayed, the snapshot moved")
                unchangedSteps += 1
            } else {
                changedSteps += 1
            }
            if let moved { XCTAssertEqual(now.version != last.version, moved, what) }
            last = now
        }
        let lateness = DetectOptions().allowedLateness
        var t = ET.t0
        for round in 0..<6 {
            // Bursts of clones by two actors, then quiet: windows open, fill, end and expire.
            let batch = (0..<(round * 3 + 1)).map { i in
                ET.clone("acme/r-\(round)-\(i)", actor: i % 2 == 0 ? "mallory" : "eve", at: t + Int64(i) * ET.s)
            }
            t += Int64(batch.count) * ET.s
            try step("batch \(round)", expect: true) { e.process(batch, into: &out) }
            try step("advance to the batch", expect: true) { e.advance(frontier: t, wallClock: 0, into: &out) }
            try step("the same advance again", expect: false) { e.advance(frontier: t, wallClock: 0, into: &out) }
            try step("and again", expect: false) { e.advance(frontier: t, wallClock: 0, into: &out) }
            t += lateness + 11 * ET.m   // past the lateness and the windows: releases, timers, expiry
            try step("event time passes", expect: true) { e.advance(frontier: t, wallClock: 0, into: &out) }
            try step("repeated", expect: false) { e.advance(frontier: t, wallClock: 0, into: &out) }
        }
        XCTAssertFalse(out.isEmpty, "windows ended with alerts")
        // Live: the wall clock passing the lateness since the last arrival releases what is held.
        let arrival = ET.t0 + 100 * ET.h
        e.wallClock = arrival
        try step("live batch", expect: true) { e.process([ET.clone("acme/late", at: arrival)], into: &out) }
        try step("advance, wall clock within the lateness", expect: true) {
            e.advance(frontier: arrival, wallClock: arrival + ET.s, into: &out)
        }
        try step("wall clock still within", expect: false) { e.advance(frontier: arrival, wallClock: arrival + 2 * ET.s, into: &out) }
        XCTAssertEqual(e.bufferedEvents, 1)
        try step("wall clock past the lateness", expect: true) {
            e.advance(frontier: arrival, wallClock: arrival + lateness + ET.s, into: &out)
        }
        XCTAssertEqual(e.bufferedEvents, 0, "released")
        try step("later wall clock, nothing held", expect: false) {
            e.advance(frontier: arrival, wallClock: arrival + lateness + 9 * ET.s, into: &out)
        }
        let snap = try e.snapshot()
        try step("restore", expect: true) { try? e.restore(snap) }
        try step("finish", expect: true) { e.finish(into: &out) }
        XCTAssertGreaterThan(unchangedSteps, 10)
        XCTAssertGreaterThan(changedSteps, 10)
    }
}
