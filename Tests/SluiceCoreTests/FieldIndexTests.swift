import SluiceTestSupport
import XCTest
@testable import SluiceCore

/// `FieldIndex`: positions agree with a scan of the fields, through `set`s and from one
/// event to the next.
final class FieldIndexTests: XCTestCase {
    /// Random events (repeated keys among the fields an event starts with), random `set`s
    /// after `begin`: `position(of:)` and `contains` always say what `firstIndex(of:)` says,
    /// and keys of the previous event are not seen in the next.
    func testPositionsAgreeWithAScan() {
        let keys = (0..<40).map { FieldKey("test.fieldindex.k\($0)") }
        let index = FieldIndex()
        var rng = SplitMix(seed: 0x5EED_F1E1)
        for _ in 0..<500 {
            var fields = FieldList()
            for _ in 0..<rng.below(30) { fields.append(Field(keys[rng.below(keys.count)], .int(Int64(rng.below(100))))) }
            index.begin(fields)
            for _ in 0..<rng.below(10) {
                index.set(keys[rng.below(keys.count)], .int(-1), in: &fields)
            }
            for k in keys {
                XCTAssertEqual(index.position(of: k), fields.firstIndex(of: k))
                XCTAssertEqual(index.contains(k), fields.firstIndex(of: k) != nil)
            }
        }
        XCTAssertNil(index.position(of: FieldKey("test.fieldindex.never.set")))
    }
}
