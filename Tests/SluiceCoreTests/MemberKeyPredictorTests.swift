import SluiceCore
import XCTest

/// The predictor answers exactly what the interner answers, whatever the member order.
final class MemberKeyPredictorTests: XCTestCase {
    /// The keys of one object's member names, in order, through `p`.
    func keys(_ p: MemberKeyPredictor, _ names: [String]) -> [FieldKey?] {
        var previous: UInt32 = 0
        return names.map { n in Array(n.utf8).withUnsafeBufferPointer { p.key($0, after: &previous) } }
    }

    func testSameKeysAsTheInternerInAnyOrder() {
        let interner = FieldKeyInterner()
        let p = MemberKeyPredictor(interner: interner)
        let names = ["@timestamp", "action", "actor", "repo", "", String(repeating: "n", count: 48),
                     String(repeating: "m", count: 49), "actor_location"]
        var rng = SystemRandomNumberGenerator()
        for round in 0..<60 {
            // The same order twice in a row (predicted), shuffled, or with a member left out.
            var order = round % 3 == 0 ? names : names.shuffled(using: &rng)
            if round % 3 == 2 { order.remove(at: Int(rng.next() % UInt64(order.count))) }
            let want = order.map { n in Array(n.utf8).withUnsafeBufferPointer { interner.key($0) } }
            XCTAssertEqual(keys(p, order), want, "\(order)")
            XCTAssertEqual(keys(p, order), want, "\(order), predicted")
        }
        // Names of the same length after the same member.
        XCTAssertEqual(keys(p, ["action", "abcd"]).map { $0?.path }, ["action", "abcd"])
        XCTAssertEqual(keys(p, ["action", "abce"]).map { $0?.path }, ["action", "abce"])
    }

    /// The predicted name is compared whole: a name of the same length that differs in any
    /// one byte (in a word, in the four-byte step, in the tail) is not taken for it.
    func testANameDifferingInOneByteIsNotThePredictedOne() {
        let interner = FieldKeyInterner()
        let p = MemberKeyPredictor(interner: interner)
        for n in 1...MemberKeyPredictor.width {
            let base = String(repeating: "a", count: n)
            for k in 0..<n {
                var bytes = Array(base.utf8)
                bytes[k] = UInt8(ascii: "b")
                let variant = String(decoding: bytes, as: UTF8.self)
                XCTAssertEqual(keys(p, ["action", base]).map { $0?.path }, ["action", base])
                XCTAssertEqual(keys(p, ["action", variant]).map { $0?.path }, ["action", variant], "length \(n), byte \(k)")
            }
        }
    }

    func testUnderAParentAndRefusedNames() {
        let interner = FieldKeyInterner()
        let p = MemberKeyPredictor(interner: interner, parent: FieldKey("github"))
        let long = String(repeating: "x", count: FieldRegistry.maxNameBytes + 1)
        XCTAssertEqual(keys(p, ["action", long, "actor"]).map { $0?.path }, ["github.action", nil, "github.actor"])
        XCTAssertEqual(keys(p, ["action", long, "actor"]).map { $0?.path }, ["github.action", nil, "github.actor"],
                       "a refused name is not remembered as a key")
        XCTAssertEqual(interner.refused, 2)
    }
}
