import XCTest
@testable import SluiceDetect
import SluiceCore
import SluiceTestSupport

/// `ReorderBuffer` against a plain model: every pop must give the held event that is first
/// by (time, content hash, arrival), whether it came through the in-order run or the heap.
/// Times come mostly in order (as from a file), with ties, steps back and bursts of disorder;
/// the hashes collide often, so arrival order decides too.
final class ReorderBufferTests: XCTestCase {
    func testReleasesInTimeHashArrivalOrderWhateverTheArrivalOrder() {
        var rng = SplitMix(seed: 11)
        let idKey = FieldKey("test.id")
        func id(_ e: Event) -> Int64 { if case .int(let i)? = e[idKey] { return i }; return -1 }
        var hashed = 0
        let hasher: (Event) -> UInt64 = { e in hashed += 1; return UInt64(id(e) % 5) }
        for pattern in 0..<4 {
            var b = ReorderBuffer()
            var model: [(time: Int64, hash: UInt64, arrival: Int, id: Int64)] = []
            var clock: Int64 = 1_000
            var nextID: Int64 = 0
            var popped = 0
            for step in 0..<6_000 {
                if rng.next() % 3 != 0 || model.isEmpty {
                    // Mostly forward; pattern 1 ties a lot, 2 steps back often, 3 mixes both.
                    switch (pattern, rng.next() % 10) {
                    case (1, 0..<5), (3, 0..<2): break
                    case (2, 0..<4), (3, 2..<4): clock -= Int64(rng.next() % 50)
                    default: clock += Int64(rng.next() % 20)
                    }
                    let e = Event(timestamp: clock, fields: [Field(idKey, .int(nextID))])
                    // Some arrive with their hash already known (as alert events do).
                    let known: UInt64? = rng.next() % 8 == 0 ? UInt64(nextID % 5) : nil
                    b.push(e, time: clock, hash: known, hasher: hasher)
                    model.append((clock, UInt64(nextID % 5), Int(nextID), nextID))
                    nextID += 1
                } else {
                    let want = model.indices.min { x, y in
                        let a = model[x], c = model[y]
                        if a.time != c.time { return a.time < c.time }
                        if a.hash != c.hash { return a.hash < c.hash }
                        return a.arrival < c.arrival
                    }!
                    XCTAssertEqual(b.minTime, model[want].time, "pattern \(pattern) step \(step)")
                    guard let (e, t, h) = b.pop(hasher: hasher) else { return XCTFail("empty at step \(step)") }
                    XCTAssertEqual(id(e), model[want].id, "pattern \(pattern) step \(step)")
                    XCTAssertEqual(t, model[want].time)
                    if let h { XCTAssertEqual(h, model[want].hash) }
                    model.remove(at: want)
                    popped += 1
                }
                XCTAssertEqual(b.count, model.count)
            }
            // What is left, in order, for a snapshot; then drained the same way.
            let rest = b.ordered(hasher: hasher).map { id($0.0) }
            model.sort { a, c in a.time != c.time ? a.time < c.time : a.hash != c.hash ? a.hash < c.hash : a.arrival < c.arrival }
            XCTAssertEqual(rest, model.map(\.id), "pattern \(pattern)")
            var drained: [Int64] = []
            while let (e, _, _) = b.pop(hasher: hasher) { drained.append(id(e)) }
            XCTAssertEqual(drained, rest)
            XCTAssertGreaterThan(popped, 1_000)
        }
        XCTAssertGreaterThan(hashed, 0)   // ties were met and hashed
    }
}
