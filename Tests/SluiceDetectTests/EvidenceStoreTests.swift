import SluiceCore
import XCTest
@testable import SluiceDetect

final class EvidenceStoreTests: XCTestCase {
    /// A kept event does not keep the read buffer it was sliced from: with rules that match
    /// one line in a few hundred, each of the 65,536 events the store keeps otherwise held a
    /// 256 KiB file-source chunk alive (measured: 516 MiB peak instead of 338 MiB on 500,000
    /// GitHub audit lines with `drop_original: false`).
    func testKeptEventsOwnTheirRecords() {
        var store = EvidenceStore(capacity: 4)
        var chunk = [UInt8](repeating: UInt8(ascii: "x"), count: 256 * 1024)
        let line = Array(#"{"action":"git.clone","actor":"octocat","repo":"acme/payments"}"#.utf8)
        chunk.replaceSubrange(4096..<(4096 + line.count), with: line)
        var e = Event(original: chunk[4096..<(4096 + line.count)])
        e.append(FieldKey("github.actor"), .span(RecordSpan(start: 31, count: 7)))
        let seq = store.add(e)
        let kept = store.event(seq)
        XCTAssertEqual(kept?.original.startIndex, 0, "the kept record is a slice of the chunk")
        XCTAssertEqual(kept.map { Array($0.original) }, line)
        XCTAssertEqual(kept?.string(FieldKey("github.actor")), "octocat")
        // The ring: the oldest is overwritten after `capacity` more.
        for _ in 0..<4 { _ = store.add(Event(original: line[...])) }
        XCTAssertNil(store.event(seq))
    }

    /// Large records cannot make the evidence grow to `evidence_buffer` × `max_line_bytes`
    /// (65,536 × 256 KiB = 16 GiB): past `maxBytes` the oldest go first; one event larger
    /// than the whole budget is kept, alone.
    func testByteBudgetDropsTheOldestFirst() {
        var store = EvidenceStore(capacity: 1000, maxBytes: 10_000)
        func record(_ i: Int, _ n: Int) -> Event {
            var e = Event(original: ArraySlice(Array("seq=\(i) ".utf8) + [UInt8](repeating: 0x41, count: n)))
            e.append(FieldKey("github.repo"), .string("acme/repo-\(i)"))
            return e
        }
        var seqs: [UInt64] = []
        for i in 0..<50 { seqs.append(store.add(record(i, 1000))) }
        XCTAssertLessThanOrEqual(store.bytes, 10_000 + store.chunkBytes)
        let kept = seqs.filter { store.event($0) != nil }
        XCTAssertEqual(kept, Array(seqs.suffix(kept.count)), "the newest are the ones kept")
        XCTAssertGreaterThanOrEqual(kept.count, 3)
        XCTAssertLessThan(kept.count, 15)
        XCTAssertEqual(store.event(seqs[49])?.string(FieldKey("github.repo")), "acme/repo-49")
        let big = store.add(record(50, 50_000))
        XCTAssertEqual(store.event(big)?.original.count, 50_007)
        XCTAssertTrue(seqs.allSatisfy { store.event($0) == nil }, "everything older made room")
        let next = store.add(record(51, 1000))
        XCTAssertNil(store.event(big))
        XCTAssertNotNil(store.event(next))
    }

    /// Past `capacity` events the oldest are gone, and the memory that held them is let go
    /// (whole chunks, so the bytes held stay about what the last `capacity` events need).
    func testTheRingLetsGoOfWhatItNoLongerHolds() {
        var store = EvidenceStore(capacity: 100)
        var e = Event(original: ArraySlice(Array(repeating: UInt8(ascii: "a"), count: 2000)))
        e.append(FieldKey("user.name"), .span(RecordSpan(start: 0, count: 10)))
        e.dropOriginal()
        var last: UInt64 = 0
        for _ in 0..<100_000 { last = store.add(e) }
        XCTAssertNil(store.event(last - 100))
        XCTAssertEqual(store.event(last - 99)?.string(FieldKey("user.name")), "aaaaaaaaaa")
        XCTAssertLessThanOrEqual(store.bytes, 2 * store.chunkBytes, "100 small events: a chunk or two")
    }

    /// An event whose packed form outgrows the room guessed for it (a long string the guess
    /// does not read) is packed again with room for all of it; the chunk it lands in grows
    /// and is counted.
    func testAnEventLargerThanItsGuessIsKeptWhole() {
        var store = EvidenceStore(capacity: 10, maxBytes: 100_000)
        var e = Event(timestamp: 1)
        e.append(FieldKey("message"), .string(String(repeating: "x", count: 20_000)))
        let s = store.add(e)
        let small = store.add(Event(timestamp: 2))
        XCTAssertEqual(store.event(s)?.string(FieldKey("message"))?.utf8.count, 20_000)
        XCTAssertEqual(store.event(small)?.timestamp, 2)
        XCTAssertGreaterThanOrEqual(store.bytes, 20_000)
    }

    /// Events that carry an alert (rules over alerts) are kept as they are, in the same
    /// ring and budget.
    func testAlertsAreKeptWhole() {
        var store = EvidenceStore(capacity: 3)
        var a = Event(timestamp: 7)
        a.alert = Alert(id: "a1", ruleID: "r", ruleName: "r", description: "", severity: .high, count: 1,
                        firstSeen: 7, lastSeen: 7, evidence: [Event(timestamp: 6)])
        let s = store.add(a)
        let plain = store.add(Event(timestamp: 8))
        XCTAssertEqual(store.event(s)?.alert?.evidence.first?.timestamp, 6)
        XCTAssertEqual(store.event(plain)?.timestamp, 8)
        for _ in 0..<3 { _ = store.add(Event(timestamp: 9)) }
        XCTAssertNil(store.event(s))
        XCTAssertNil(store.event(plain))
    }

    /// With the record dropped (`drop_original: true`) the values are what is kept: their
    /// strings are counted.
    func testSizeCountsStringsWhenTheRecordWasDropped() {
        var e = Event()
        e.append(FieldKey("url.full"), .string(String(repeating: "a", count: 50_000)))
        e.append(FieldKey("tags"), .array([.string(String(repeating: "b", count: 10_000))]))
        XCTAssertGreaterThan(EvidenceStore.size(of: e), 60_000)
        let kept = Event(original: ArraySlice(Array(repeating: UInt8(ascii: "c"), count: 30_000)))
        XCTAssertGreaterThan(EvidenceStore.size(of: kept), 60_000)
    }
}
