import SluiceCore
import XCTest

/// The predictor answers exactly what the interner answers, whatever the member order.
final class MemberKeyPredictorTests: XCTestCase {
    func key(_ p: MemberKeyPredictor, _ name: String, _ position: Int) -> FieldKey? {
        Array(name.utf8).withUnsafeBufferPointer { p.key($0, position: position) }
    }

    func testSameKeysAsTheInternerInAnyOrder() {
        let interner = FieldKeyInterner()
        let p = MemberKeyPredictor(interner: interner)
        let names = ["@timestamp", "action", "actor", "repo", "", String(repeating: "n", count: 48),
                     String(repeating: "m", count: 49), "actor_location"]
        var rng = SystemRandomNumberGenerator()
        for round in 0..<50 {
            // The same order twice in a row (predicted), then shuffled (mispredicted).
            let order = round % 2 == 0 ? names : names.shuffled(using: &rng)
            for (i, n) in order.enumerated() {
                let want = Array(n.utf8).withUnsafeBufferPointer { interner.key($0) }
                XCTAssertEqual(key(p, n, i), want, "\(n) at \(i)")
                XCTAssertEqual(key(p, n, i), want, "\(n) at \(i), predicted")
            }
        }
        // Positions past the slots, and names of the same length at one position.
        XCTAssertEqual(key(p, "late", MemberKeyPredictor.slots + 3)?.path, "late")
        XCTAssertEqual(key(p, "abcd", 0)?.path, "abcd")
        XCTAssertEqual(key(p, "abce", 0)?.path, "abce")
    }

    func testUnderAParentAndRefusedNames() {
        let interner = FieldKeyInterner()
        let p = MemberKeyPredictor(interner: interner, parent: FieldKey("github"))
        XCTAssertEqual(key(p, "action", 0)?.path, "github.action")
        XCTAssertEqual(key(p, "action", 0)?.path, "github.action")
        let long = String(repeating: "x", count: FieldRegistry.maxNameBytes + 1)
        XCTAssertNil(key(p, long, 1))
        XCTAssertNil(key(p, long, 1), "a refused name is not remembered as a key")
        XCTAssertEqual(interner.refused, 2)
    }
}
