import XCTest
@testable import SluiceDetect
import SluiceTestSupport

/// `LRUTable` against a plain model (a dictionary and a recency list): lookups, touches,
/// inserts with eviction, removals, in a long seeded random run, so the open-addressing key
/// index (probing, growth, backward-shift removal) is exercised well past its first sizes.
final class LRUTableTests: XCTestCase {
    struct Model {
        var values: [UInt64: Int64] = [:]
        var order: [UInt64] = []   // least recently used first
        mutating func touch(_ k: UInt64) { order.removeAll { $0 == k }; order.append(k) }
    }

    func testMatchesAModelThroughInsertsTouchesRemovalsAndEvictions() {
        var rng = SplitMix(seed: 7)
        for capacity in [1, 3, 50, 700] {
            var t = LRUTable<Int64>(capacity: capacity)
            var m = Model()
            // Keys from a small range (many repeats) and some sharing their index cell.
            func key() -> UInt64 { rng.next() % 3 == 0 ? (rng.next() % 64) << 58 : rng.next() % 2_000 }
            for step in 0..<20_000 {
                let k = key()
                switch rng.next() % 4 {
                case 0, 1:
                    if let s = t.slot(k) {
                        XCTAssertEqual(t[s], m.values[k], "step \(step)")
                        t[s] = Int64(step); t.touch(s)
                        m.values[k] = Int64(step); m.touch(k)
                    } else {
                        XCTAssertNil(m.values[k], "step \(step): key \(k) lost")
                        let r = t.insert(k, Int64(step))
                        if m.values.count >= capacity {
                            let old = m.order.removeFirst()
                            XCTAssertEqual(r.evicted?.key, old, "step \(step)")
                            XCTAssertEqual(r.evicted?.value, m.values[old])
                            m.values[old] = nil
                        } else {
                            XCTAssertNil(r.evicted)
                        }
                        m.values[k] = Int64(step); m.order.append(k)
                        XCTAssertEqual(t[r.slot], Int64(step))
                    }
                case 2:
                    if let s = t.slot(k) {
                        t.remove(s)
                        m.values[k] = nil; m.order.removeAll { $0 == k }
                    } else {
                        XCTAssertNil(m.values[k], "step \(step)")
                    }
                default:
                    XCTAssertEqual(t.slot(k).map { t[$0] }, m.values[k], "step \(step)")
                }
                XCTAssertEqual(t.count, m.values.count)
            }
            XCTAssertEqual(t.slotsInOrder().map { t.keys[$0] }, m.order, "capacity \(capacity)")
            for (k, v) in m.values { XCTAssertEqual(t.slot(k).map { t[$0] }, v) }
        }
    }
}
