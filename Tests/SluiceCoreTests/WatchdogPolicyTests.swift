import XCTest
@testable import SluiceCore

final class WatchdogPolicyTests: XCTestCase {
    /// A stage whose work counter is `activity` (as events in) with `queued` events waiting.
    func stage(_ name: String, activity: Int, queued: Int, doing: ComponentActivity = .active,
               state: ComponentState = .running) -> ComponentStatus {
        componentStatus(name, state: state, activity: doing, eventsIn: activity, queueDepth: queued, queueCapacity: 100)
    }

    func testAStageWithQueuedInputAndNoProgressForAPeriodIsStuck() {
        var p = WatchdogPolicy(period: 10)
        XCTAssertEqual(p.evaluate([stage("parse", activity: 5, queued: 40)], now: 0), .ping)
        XCTAssertEqual(p.evaluate([stage("parse", activity: 5, queued: 40)], now: 9.9), .ping, "not yet a whole period")
        XCTAssertEqual(p.evaluate([stage("parse", activity: 5, queued: 40)], now: 10), .withhold(stuck: ["parse"]))
        XCTAssertEqual(p.evaluate([stage("parse", activity: 5, queued: 40)], now: 30), .withhold(stuck: ["parse"]))
        // Progress resumes: pings again, and the clock restarts from there.
        XCTAssertEqual(p.evaluate([stage("parse", activity: 6, queued: 40)], now: 31), .ping)
        XCTAssertEqual(p.evaluate([stage("parse", activity: 6, queued: 40)], now: 40), .ping)
        XCTAssertEqual(p.evaluate([stage("parse", activity: 6, queued: 40)], now: 41), .withhold(stuck: ["parse"]))
    }

    func testIdleBlockedAndBackingOffStagesAreNotStuck() {
        var p = WatchdogPolicy(period: 10)
        let quiet = [stage("idle", activity: 1, queued: 0),
                     stage("blocked", activity: 2, queued: 100, doing: .blocked),
                     stage("siem", activity: 3, queued: 100, doing: .backingOff),
                     stage("draining", activity: 4, queued: 100, state: .draining)]
        for t in stride(from: 0.0, through: 100, by: 5) { XCTAssertEqual(p.evaluate(quiet, now: t), .ping, "t=\(t)") }
        // A stage that was blocked and is no longer blocked gets a whole period from then.
        var s = quiet
        s[1] = stage("blocked", activity: 2, queued: 100)
        XCTAssertEqual(p.evaluate(s, now: 105), .ping)
        XCTAssertEqual(p.evaluate(s, now: 115), .withhold(stuck: ["blocked"]))
    }

    func testBusyStagesKeepPingingAndOnlyTheStuckOneIsNamed() {
        var p = WatchdogPolicy(period: 2)
        var a = 0
        for t in 0..<10 {
            a += 100
            let d = p.evaluate([stage("parse", activity: a, queued: 10), stage("enrich", activity: 7, queued: t >= 3 ? 5 : 0)], now: Double(t))
            if t < 5 { XCTAssertEqual(d, .ping, "t=\(t)") } else { XCTAssertEqual(d, .withhold(stuck: ["enrich"]), "t=\(t)") }
        }
    }
}
