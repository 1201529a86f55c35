import SluiceCore
import SluiceTestSupport
import XCTest
@testable import SluiceDetect

/// Event time, the reorder buffer and determinism (DESIGN.md "Streaming semantics").
final class StreamingTests: XCTestCase {
    /// A mixed, realistic hour: a PAT clone burst, benign clones by others, sshd noise.
    func mixedEvents() -> [Event] {
        var ev: [Event] = []
        for i in 0..<70 { ev.append(ET.clone("acme/svc-\(i % 55)", actor: "mallory", at: ET.t0 + Int64(i) * 7 * ET.s)) }
        for i in 0..<40 { ev.append(ET.clone("acme/web", actor: "dev\(i % 7)", at: ET.t0 + Int64(i) * 13 * ET.s)) }
        for i in 0..<30 { ev.append(ET.clone("acme/lib-\(i)", actor: "ci", at: ET.t0 + 30 * ET.m + Int64(i) * 11 * ET.s)) }
        return ev
    }

    func signature(_ alerts: [Event]) -> [String] {
        alerts.map { a in
            let x = a.alert!
            return "\(x.id) \(x.ruleName) \(x.severity.name) \(x.count) \(x.firstSeen) \(x.lastSeen) \(x.escalates ?? "-") \(x.evidence.map { $0.string(FieldKey("github.repo")) ?? "" })"
        }
    }

    func testShuffledWithinLatenessGivesIdenticalAlerts() {
        let sorted = mixedEvents().sorted { $0.timestamp < $1.timestamp }
        let reference = signature(ET.run(ET.engine(ET.cloneRules), sorted))
        XCTAssertEqual(reference.count, 5, "mallory: medium, high, critical; ci: medium, high")
        var rng = SplitMix(seed: 42)
        for trial in 0..<20 {
            // Displace each event by up to 100 s (lateness is 2 minutes) and cut random batches.
            let jittered = sorted.enumerated().map { (i, e) in (e, e.timestamp + Int64(rng.next() % 100) * ET.s, i) }
                .sorted { $0.1 < $1.1 }.map(\.0)
            let got = signature(ET.run(ET.engine(ET.cloneRules), jittered, batch: 1 + Int(rng.next() % 50)))
            XCTAssertEqual(got, reference, "trial \(trial)")
        }
    }

    /// A handed-over batch (events moved into the engine) gives the alerts of a copied one,
    /// events without a timestamp included (they take the largest time seen before them, so
    /// the order within a batch must be kept).
    func testHandedOverBatchesGiveIdenticalAlerts() {
        var events = mixedEvents().sorted { $0.timestamp < $1.timestamp }
        for i in stride(from: 5, to: events.count, by: 17) { events[i].timestamp = 0 }
        let reference = signature(ET.run(ET.engine(ET.cloneRules), events, batch: 7))
        XCTAssertFalse(reference.isEmpty)
        for batch in [1, 7, 64, 1000] {
            XCTAssertEqual(signature(ET.run(ET.engine(ET.cloneRules), events, batch: batch, taking: true)), reference, "batch \(batch)")
        }
        let e = ET.engine(ET.cloneRules)
        var out: [Event] = []
        var b = Array(events.prefix(10))
        e.process(taking: &b, into: &out)
        XCTAssertEqual(e.counter("detect_missing_timestamps"), 1)
        XCTAssertEqual(e.counter("detect_events"), 10)
    }

    /// Every counter has its own slot in the engine's counter table.
    func testCounterSlotsFollowDeclarationOrder() {
        for (i, c) in DetectionEngine.Counter.allCases.enumerated() { XCTAssertEqual(c.slot, i, c.rawValue) }
    }

    func testLateEventsAreProcessedAndCounted() {
        let e = ET.engine(ET.cloneRules)
        var out: [Event] = []
        e.process((0..<9).map { ET.clone("a/\($0)", at: ET.t0 + Int64($0) * ET.s) }, into: &out)
        e.process([ET.clone("zzz/far", actor: "other", at: ET.t0 + 10 * ET.m)], into: &out)   // watermark → t0+8m
        e.process([ET.clone("a/late", at: ET.t0 + 30 * ET.s)], into: &out)                      // behind the watermark
        e.finish(into: &out)
        XCTAssertEqual(e.counter("detect_late_events"), 1)
        XCTAssertEqual(ET.severities(out), ["medium"], "the late event still counts")
    }

    func testFarFutureTimestampsAreClamped() {
        let e = ET.engine(ET.cloneRules)
        e.wallClock = ET.t0
        var out: [Event] = []
        e.process([ET.clone("a/1", at: ET.t0 + 365 * 24 * ET.h)], into: &out)
        XCTAssertEqual(e.counter("detect_clamped_timestamps"), 1)
    }

    func testAlertsWaitForTheLatenessThenLiveIdleReleasesThem() {
        let e = ET.engine(ET.cloneRules)
        var out: [Event] = []
        e.wallClock = ET.t0
        e.process((0..<10).map { ET.clone("a/\($0)", at: ET.t0 + Int64($0) * ET.s) }, into: &out)
        XCTAssertEqual(out.count, 0, "held until event time passes them by the lateness")
        XCTAssertEqual(e.bufferedEvents, 10)
        e.advance(frontier: Int64.min, wallClock: ET.t0 + 30 * ET.s, into: &out)
        XCTAssertEqual(out.count, 0, "30 s without events: still within the lateness")
        e.advance(frontier: Int64.min, wallClock: ET.t0 + 3 * ET.m, into: &out)
        XCTAssertEqual(out.count, 1, "no event for longer than the lateness: released")
        XCTAssertEqual(e.bufferedEvents, 0)
    }

    func testFrontierFromTheRuntimeReleases() {
        let e = ET.engine(ET.cloneRules)
        var out: [Event] = []
        e.process((0..<10).map { ET.clone("a/\($0)", at: ET.t0 + Int64($0) * ET.s) }, into: &out)
        e.advance(frontier: ET.t0 + 5 * ET.m, wallClock: 0, into: &out)
        XCTAssertEqual(out.count, 1)
    }

    func testReorderBufferCapReleasesEarly() {
        var o = DetectOptions()
        o.maxBufferedEvents = 5
        let e = ET.engine(ET.cloneRules, options: o)
        var out: [Event] = []
        e.process((0..<12).map { ET.clone("a/\($0)", at: ET.t0 + Int64($0) * ET.s) }, into: &out)
        XCTAssertEqual(e.bufferedEvents, 5)
        XCTAssertEqual(e.counter("detect_reorder_overflow_events"), 7)
    }
}
