import XCTest
@testable import SluiceCore
import SluiceTestSupport

/// `Event`'s dropped original and alert, which share one word (`tail`).
final class EventTests: XCTestCase {
    private func alert(_ id: String) -> Alert {
        Alert(id: id, ruleID: "r-\(id)", ruleName: "rule \(id)", severity: .high, count: 1, firstSeen: 1, lastSeen: 2)
    }

    /// Setting either one never changes the other, in every order.
    func testDroppedOriginalAndAlertAreIndependent() {
        let a = alert("a"), b = alert("b")
        var e = EvidenceFixtures.auditEvent()
        XCTAssertTrue(e.hasSpans)
        XCTAssertNil(e.alert)
        XCTAssertFalse(e.originalDropped)

        e.alert = a
        XCTAssertTrue(e.alert === a)
        XCTAssertFalse(e.originalDropped)
        XCTAssertFalse(e.original.isEmpty)

        e.dropOriginal()
        XCTAssertTrue(e.originalDropped)
        XCTAssertTrue(e.original.isEmpty)
        XCTAssertTrue(e.alert === a, "dropping the original keeps the alert")

        e.alert = b
        XCTAssertTrue(e.alert === b)
        XCTAssertTrue(e.originalDropped, "replacing the alert keeps the original dropped")

        e.alert = nil
        XCTAssertNil(e.alert)
        XCTAssertTrue(e.originalDropped, "removing the alert keeps the original dropped")
        XCTAssertTrue(e.original.isEmpty)

        e.alert = a
        e.original = ArraySlice(EvidenceFixtures.line)
        XCTAssertFalse(e.originalDropped, "a new original is not dropped")
        XCTAssertTrue(e.alert === a, "a new original keeps the alert")
        XCTAssertEqual(Array(e.original), EvidenceFixtures.line)

        let copy = e.selfContained()
        XCTAssertTrue(copy.alert === a)
    }

    /// A copy keeps both, and changing the copy leaves the event alone.
    func testCopiesCarryBothAndChangeAlone() {
        let a = alert("a")
        var e = EvidenceFixtures.auditEvent()
        e.alert = a
        e.dropOriginal()
        var copy = e
        copy.alert = nil
        XCTAssertTrue(e.alert === a)
        XCTAssertTrue(e.originalDropped)
        XCTAssertNil(copy.alert)
        XCTAssertTrue(copy.originalDropped)
    }

    /// An event fits in 56 bytes. At 64 (the dropped flag and the alert in two words) the
    /// compiler handled it through memory: building one and appending it to a batch copied
    /// and destroyed it whole, several times an event in every pipeline. A field added to
    /// `Event` must fit in this size or find a word to share.
    func testAnEventStaysWithinSevenWords() {
        XCTAssertLessThanOrEqual(MemoryLayout<Event>.size, 56)
    }
}
