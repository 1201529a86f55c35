import XCTest
@testable import SluiceCore

/// `Array<Event>.drain` and `moveEach`: how a stage takes over the batch it is handed.
final class TransformTests: XCTestCase {
    private let n = FieldKey("event.sequence")
    private let tag = FieldKey("labels.tag")

    private func batch(_ count: Int) -> [Event] {
        (0..<count).map { i in
            var fields = FieldList()
            fields.append(Field(n, .int(Int64(i))))
            fields.append(Field(ECS.message, .string("record \(i)")))
            return Event(timestamp: Int64(i), original: ArraySlice("line \(i)".utf8), fields: fields)
        }
    }

    private func sequence(_ e: Event) -> Int64? {
        if case .int(let v)? = e[n] { return v }
        return nil
    }

    /// Each event arrives in order, as the only holder of its fields (nothing was left
    /// behind sharing them), and the array ends empty with its capacity kept.
    func testDrainHandsEachEventOverInOrderAndLeavesTheArrayEmpty() {
        for count in [0, 1, 2, 7, 64] {
            var events = batch(count)
            let capacity = events.capacity
            var seen: [Int64] = []
            var unique = 0
            events.drain { e in
                var e = consume e
                if isKnownUniquelyReferenced(&e.fields.storage) { unique += 1 }
                seen.append(sequence(e) ?? -1)
            }
            XCTAssertEqual(seen, (0..<Int64(count)).map { $0 }, "count \(count)")
            XCTAssertEqual(unique, count, "every event handed over alone (count \(count))")
            XCTAssertTrue(events.isEmpty)
            XCTAssertGreaterThanOrEqual(events.capacity, capacity)
        }
    }

    /// A batch whose buffer another array shares: that array keeps its events unchanged.
    func testDrainOfASharedBatchLeavesTheOtherCopyAlone() {
        var events = batch(5)
        let kept = events
        var seen: [Int64] = []
        events.drain { e in seen.append(sequence(e) ?? -1) }
        XCTAssertEqual(seen, [0, 1, 2, 3, 4])
        XCTAssertTrue(events.isEmpty)
        XCTAssertEqual(kept.map(sequence), [0, 1, 2, 3, 4])
        XCTAssertEqual(kept.map { String(decoding: $0.original, as: UTF8.self) }, (0..<5).map { "line \($0)" })
    }

    /// Into an empty output (the runner's case) and into one already holding events: order
    /// kept, each event changed as the only holder of its fields, the input left empty.
    func testMoveEachChangesEveryEventOnceInOrder() {
        for prefilled in [0, 3] {
            var events = batch(10)
            var output = Array(batch(prefilled).reversed())
            var unique = 0
            events.moveEach(into: &output) { e in
                if isKnownUniquelyReferenced(&e.fields.storage) { unique += 1 }
                e.fields.append(Field(tag, .string("moved")))
            }
            XCTAssertTrue(events.isEmpty)
            XCTAssertEqual(unique, 10, "prefilled \(prefilled)")
            XCTAssertEqual(output.count, prefilled + 10)
            XCTAssertEqual(output.prefix(prefilled).map(sequence), (0..<Int64(prefilled)).reversed().map { $0 })
            XCTAssertTrue(output.prefix(prefilled).allSatisfy { $0[tag] == nil }, "events already in output are left alone")
            XCTAssertEqual(output.suffix(10).map(sequence), (0..<10).map { Int64($0) })
            XCTAssertTrue(output.suffix(10).allSatisfy { $0.string(tag) == "moved" })
        }
    }
}
