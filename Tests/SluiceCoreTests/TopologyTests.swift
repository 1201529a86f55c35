import Foundation
import SluiceTestSupport
import XCTest
@testable import SluiceCore

final class TopologyTests: XCTestCase {
    func build(_ yaml: String, _ t: TestRegistry, mode: RunMode = .toEnd) throws -> Topology {
        let cfg = try PipelineConfig.parse(yaml, file: "p.yaml", environment: [:])
        return try Topology(config: cfg, registry: t.registry, mode: mode, logger: quietLogger())
    }

    /// A registry with a counting source `src` and a collecting sink `out`.
    func sourceAndSink(count: Int, batchSize: Int, sinkDelayMicros: useconds_t) -> (TestRegistry, CountingSource, CollectingSink) {
        let t = TestRegistry()
        let source = CountingSource(count: count, batchSize: batchSize)
        let sink = CollectingSink(delayMicros: sinkDelayMicros)
        t.sources["src"] = source
        t.sinks["out"] = sink
        return (t, source, sink)
    }

    func testSlowSinkBackpressuresSourceAndEveryEventArrives() throws {
        let (t, source, sink) = sourceAndSink(count: 5_000, batchSize: 50, sinkDelayMicros: 10_000)
        let topo = try build("""
            batch_size: 50
            buffer: {max_events: 200}
            sources: {src: {type: counting}}
            sinks: {out: {type: collect, inputs: [src]}}
            """, t)
        try topo.start()
        // While the sink is slow, the source can be ahead of the sink by at most the queues'
        // capacity plus the batches in the stages' hands, never by the whole input.
        var maxLead = 0
        for _ in 0..<20 {   // the scenario: watch the lead for 0.4 s while the sink lags
            usleep(20_000)
            maxLead = max(maxLead, source.emittedCount - sink.events.count)
        }
        XCTAssertLessThanOrEqual(maxLead, 200 + 2 * 50, "source was not held back by the full queues")
        XCTAssertLessThan(source.emittedCount, 5_000, "source finished although the sink was far behind")
        XCTAssertTrue(topo.wait(timeout: 60))
        let seqs = sink.events.map { Int($0[CountingSource.seq]!.intValue!) }
        XCTAssertEqual(seqs.count, 5_000, "N events in must give exactly N events out")
        XCTAssertTrue(seqs == Array(0..<5_000), "events arrived out of order or duplicated")
        XCTAssertEqual(source.tracker.committed, 5_000, "every batch acknowledged")
    }

    func testFailedRecordsGoToDeadLetterWhileTheRestFlows() throws {
        let t = TestRegistry()
        t.sources["src"] = CountingSource(count: 1_000, batchSize: 64)
        let out = CollectingSink(), dead = CollectingDeadLetterSink()
        t.sinks["out"] = out
        t.sinks["dlq"] = dead
        let source = t.sources["src"] as! CountingSource
        let topo = try build("""
            sources: {src: {type: counting}}
            transforms: {t: {type: picky, inputs: [src], every: 10}}
            sinks:
              out: {type: collect, inputs: [t]}
              dlq: {type: dead_letter}
            """, t)
        try topo.start()
        XCTAssertTrue(topo.wait(timeout: 30))
        XCTAssertEqual(out.events.count, 900)
        XCTAssertEqual(dead.events.count, 100)
        let d = dead.events[0]
        XCTAssertEqual(d[ECS.errorType], .string("picky"))
        XCTAssertEqual(d[ECS.sluiceComponent], .string("t"))
        XCTAssertEqual(d.originalText, "{\"seq\":0}")
        XCTAssertEqual(source.tracker.committed, 1_000, "batches with failures are acknowledged once both paths have them")
        let row = topo.summary().first { $0.name == "t" }!
        XCTAssertEqual(row.failed, 100)
        XCTAssertEqual(row.failureReasons["picky"], 100)
    }

    func testDeadLetterSinkListingInputsStillReceivesOnlyFailures() throws {
        let t = TestRegistry()
        let source = CountingSource(count: 200, batchSize: 20)
        t.sources["src"] = source
        let out = CollectingSink(), dead = CollectingDeadLetterSink()
        t.sinks["out"] = out
        t.sinks["dlq"] = dead
        let topo = try build("""
            sources: {src: {type: counting}}
            transforms: {t: {type: picky, inputs: [src], every: 10}}
            sinks:
              out: {type: collect, inputs: [t]}
              dlq: {type: dead_letter, inputs: [t]}
            """, t)
        try topo.start()
        XCTAssertTrue(topo.wait(timeout: 30), "the pipeline did not finish")
        XCTAssertEqual(out.events.count, 180)
        XCTAssertEqual(dead.events.count, 20, "a dead-letter sink gets failures, not the events of its inputs")
        XCTAssertTrue(dead.events.allSatisfy { $0[ECS.errorType] == .string("picky") })
        XCTAssertEqual(source.tracker.committed, 200)
    }

    func testFanOutDeliversToEverySinkAndAcksAfterBoth() throws {
        let t = TestRegistry()
        let source = CountingSource(count: 300, batchSize: 30)
        t.sources["src"] = source
        let fast = CollectingSink(), slow = CollectingSink(delayMicros: 5_000)
        t.sinks["a"] = fast
        t.sinks["b"] = slow
        let topo = try build("""
            sources: {src: {type: counting}}
            sinks:
              a: {type: collect, inputs: [src]}
              b: {type: collect, inputs: [src]}
            """, t)
        try topo.start()
        XCTAssertTrue(topo.wait(timeout: 30))
        XCTAssertEqual(fast.events.count, 300)
        XCTAssertEqual(slow.events.count, 300)
        XCTAssertEqual(source.tracker.committed, 300)
    }

    func testStopDrainsQueuedEvents() throws {
        let (t, source, sink) = sourceAndSink(count: 1_000_000, batchSize: 100, sinkDelayMicros: 500)
        let topo = try build("""
            buffer: {max_events: 1000}
            sources: {src: {type: counting}}
            sinks: {out: {type: collect, inputs: [src]}}
            """, t, mode: .follow)
        try topo.start()
        // Stop while events are queued between the stages.
        XCTAssertTrue(waitUntil(timeout: 30) { source.emittedCount > sink.events.count + 100 })
        XCTAssertTrue(topo.stop(timeout: 30))
        // Everything the source emitted reached the sink: nothing was left in a queue.
        XCTAssertEqual(sink.events.count, source.emittedCount)
        XCTAssertLessThan(source.emittedCount, 1_000_000)
    }

    /// A reload that comes after a stop began (SIGHUP just after SIGTERM) changes nothing and
    /// says why; the stop's sources stay stopped.
    func testAReloadAfterAStopIsRefused() throws {
        let (t, source, sink) = sourceAndSink(count: 1_000_000, batchSize: 100, sinkDelayMicros: 200)
        let yaml = """
            sources: {src: {type: counting}}
            sinks: {out: {type: collect, inputs: [src]}}
            """
        let topo = try build(yaml, t, mode: .follow)
        try topo.start()
        XCTAssertTrue(waitUntil(timeout: 30) { sink.events.count > 0 })
        XCTAssertTrue(topo.stop(timeout: 30))
        let changed = try PipelineConfig.parse(yaml + "\nbatch_size: 7\n", file: "p.yaml", environment: [:])
        XCTAssertThrowsError(try topo.reload(changed)) { error in
            XCTAssertTrue("\(error)".contains("stopping"), "\(error)")
        }
        XCTAssertEqual(topo.lifecycle, .stopped)
        XCTAssertEqual(sink.events.count, source.emittedCount, "nothing started again")
    }

    /// A reload gives up the snapshot epoch in flight. A lane of a stateful stage already
    /// waiting at that epoch's barrier (its source placed it, another source never will) must
    /// flow on at once, not after the next epoch or the 60 s alignment timeout.
    func testAReloadReleasesALaneWaitingAtTheBarrierOfTheEpochItGaveUp() throws {
        let t = TestRegistry()
        let a = ManualSource(servicesBarriers: true), b = ManualSource(servicesBarriers: false)
        t.sources["a"] = a
        t.sources["b"] = b
        let sink = CollectingSink()
        t.sinks["out"] = sink
        let yaml = """
            data_dir: \(makeTempDir("epochs").path)
            checkpoint_interval: 1h
            sources: {a: {type: counting}, b: {type: counting}}
            transforms: {stage: {type: counting_stage, inputs: [a, b]}}
            sinks: {out: {type: collect, inputs: [stage]}}
            """
        let topo = try build(yaml, t, mode: .follow)
        try topo.start()
        a.send(from: 0, count: 10)
        b.send(from: 100, count: 10)
        XCTAssertTrue(waitUntil(timeout: 30) { sink.events.count == 20 })
        guard let epochs = topo.epochs, let epoch = epochs.begin() else { return XCTFail("epochs expected") }
        usleep(100_000)   // a places the barrier; b never does
        a.send(from: 10, count: 10)
        usleep(500_000)   // the scenario: a's new events wait behind the unaligned barrier
        XCTAssertEqual(sink.events.count, 20, "a's events passed the barrier of epoch \(epoch) before b delivered it")
        let changed = try PipelineConfig.parse(yaml.replacingOccurrences(of: "inputs: [stage]", with: "inputs: [stage], note: x"),
                                               file: "p.yaml", environment: [:])
        let report = try topo.reload(changed)
        XCTAssertEqual(report.replaced, ["out"])
        XCTAssertTrue(waitUntil(timeout: 10) { sink.events.count == 30 }, "a's lane still held by the given-up epoch: \(sink.events.count) events")
        XCTAssertTrue(topo.stop(timeout: 30))
        XCTAssertEqual(Set(sink.events.map { Int($0[CountingSource.seq]!.intValue!) }), Set(Array(0..<20) + Array(100..<110)))
    }

    /// Snapshot epochs of an idle pipeline: a stateful stage that received nothing since its
    /// last snapshot and whose state serializes to the same bytes links that file instead of
    /// writing it again; new events, or a state that moved with time alone, write a new one.
    func testIdleEpochsReuseTheUnchangedSnapshotFile() throws {
        for (countsTicks, versioned) in [(false, false), (true, false), (false, true), (true, true)] {
            let t = TestRegistry()
            let source = ManualSource(servicesBarriers: true)
            t.sources["a"] = source
            t.sinks["out"] = CollectingSink()
            let data = makeTempDir("epochs")
            let topo = try build("""
                data_dir: \(data.path)
                checkpoint_interval: 1h
                sources: {a: {type: counting}}
                transforms: {stage: {type: counting_stage, inputs: [a], counts_ticks: \(countsTicks), versioned: \(versioned)}}
                sinks: {out: {type: collect, inputs: [stage]}}
                """, t, mode: .follow)
            try topo.start()
            guard let epochs = topo.epochs else { return XCTFail("epochs expected") }
            let stage = try XCTUnwrap(t.stages.withLock { $0["stage"] })
            // Debug builds check an unchanged version against a digest of the state (which
            // reads it); off here, to see that the state is not read at all.
            let checking = LastSnapshot.checksVersions
            LastSnapshot.checking.withLock { $0 = false }
            defer { LastSnapshot.checking.withLock { $0 = checking } }
            func commit() -> ino_t {
                guard let e = epochs.begin() else { XCTFail("no epoch began"); return 0 }
                XCTAssertTrue(epochs.waitForCommit(seconds: 30))
                XCTAssertEqual(epochs.committed?.epoch, e)
                var st = stat()
                XCTAssertEqual(stat(data.path + "/state/stages/stage/\(e).snap", &st), 0)
                return st.st_ino
            }
            let label = "counts_ticks \(countsTicks), versioned \(versioned)"
            source.send(from: 0, count: 10)
            XCTAssertTrue(waitUntil(timeout: 10) { (t.sinks["out"] as! CollectingSink).events.count == 10 })
            let busy = commit()      // events since the start: written
            let readBusy = stage.snapshots.withLock { $0 }
            let first = commit()     // nothing since: linked when versioned, else written once more, its digest kept
            usleep(2_500_000)        // the scenario: ticks pass (about one a second when idle)
            let second = commit()    // nothing since: the same bytes unless ticks count
            let third = commit()
            let readIdle = stage.snapshots.withLock { $0 } - readBusy
            if versioned && !countsTicks {
                XCTAssertEqual(busy, first, "an unchanged version links the busy epoch's file at once: \(label)")
                XCTAssertEqual(first, second, label)
                XCTAssertEqual(second, third, label)
                XCTAssertEqual(readIdle, 0, "an unchanged version is not serialized: \(label)")
            } else if versioned {
                // Whether a tick came between the first two commits is up to the clock.
                XCTAssertNotEqual(first, second, "a version moved by ticks: written again: \(label)")
                XCTAssertGreaterThanOrEqual(readIdle, 1, label)
            } else {
                XCTAssertNotEqual(busy, first, label)
                if countsTicks {
                    XCTAssertNotEqual(first, second, "a state that moved with time is written again: \(label)")
                } else {
                    XCTAssertEqual(first, second, "an unchanged state links the file of its last snapshot: \(label)")
                    XCTAssertEqual(second, third, label)
                }
                XCTAssertGreaterThanOrEqual(readIdle, 3, "without a version, each idle epoch reads the state: \(label)")
            }
            source.send(from: 10, count: 5)
            XCTAssertTrue(waitUntil(timeout: 10) { (t.sinks["out"] as! CollectingSink).events.count == 15 })
            let after = commit()
            XCTAssertNotEqual(after, third, "new events: written")
            XCTAssertTrue(topo.stop(timeout: 30))
            let committed = try XCTUnwrap(epochs.committed)
            let restored = CountingStage()
            try restored.restore(try XCTUnwrap(StateStore(dataDirectory: data.path).snapshot(stage: "stage", epoch: committed.epoch)))
            XCTAssertEqual(restored.seen, 15, "the committed snapshot holds every event")
        }
    }
}
