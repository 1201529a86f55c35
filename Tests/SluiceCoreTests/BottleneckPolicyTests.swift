import SluiceCore
import XCTest

/// The choice of the stage to favour: only a saturated stage, kept while busy, handed over
/// only to a clearly busier one, released when idle or gone.
final class BottleneckPolicyTests: XCTestCase {
    typealias D = BottleneckPolicy.Decision

    func testOnlyASaturatedStageIsFavouredAndKeptWhileBusy() {
        var p = BottleneckPolicy()
        XCTAssertEqual(p.decide([:]), D())
        XCTAssertEqual(p.decide(["parse": 0.7, "detect": 0.75]), D(), "nothing saturates a CPU")
        XCTAssertNil(p.favoured)
        XCTAssertEqual(p.decide(["parse": 0.7, "detect": 0.92]), D(favour: "detect"))
        XCTAssertEqual(p.favoured, "detect")
        // Raised, it gets busier and the others less so: nothing changes.
        XCTAssertEqual(p.decide(["parse": 0.6, "detect": 0.99]), D())
        // Still above the release share: kept, even with another stage close behind.
        XCTAssertEqual(p.decide(["parse": 0.85, "detect": 0.8]), D())
    }

    func testHandOverNeedsTheMarginAndSaturation() {
        var p = BottleneckPolicy()
        _ = p.decide(["detect": 0.9])
        XCTAssertEqual(p.decide(["detect": 0.7, "parse": 0.84]), D(), "busier by 0.14: no hand-over")
        XCTAssertEqual(p.decide(["detect": 0.6, "parse": 0.76]), D(), "busier by 0.16 but not saturated")
        XCTAssertEqual(p.decide(["detect": 0.6, "parse": 0.8]), D(release: "detect", favour: "parse"))
        XCTAssertEqual(p.favoured, "parse")
    }

    func testReleasedWhenIdleOrGone() {
        var p = BottleneckPolicy()
        _ = p.decide(["detect": 0.95, "sink": 0.2])
        XCTAssertEqual(p.decide(["detect": 0.49, "sink": 0.2]), D(release: "detect"))
        XCTAssertNil(p.favoured)
        XCTAssertEqual(p.decide(["detect": 0.81, "sink": 0.2]), D(favour: "detect"))
        // The stage ended (its thread set itself back as it left): nothing to release, and
        // a saturated stage left takes the favour at once.
        XCTAssertEqual(p.decide(["sink": 0.9]), D(favour: "sink"))
        XCTAssertEqual(p.decide([:]), D())
        XCTAssertNil(p.favoured)
    }

    func testTiesGoToTheFirstNameSoDecisionsAreStable() {
        var p = BottleneckPolicy()
        XCTAssertEqual(p.decide(["b": 0.9, "a": 0.9, "c": 0.9]), D(favour: "a"))
    }
}
