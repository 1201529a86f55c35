import SluiceCore
import XCTest
@testable import SluiceDetect

final class EvidenceStoreTests: XCTestCase {
    /// A kept event does not keep the read buffer it was sliced from: with rules that match
    /// one line in a few hundred, each of the 65,536 events the store keeps otherwise held a
    /// 256 KiB file-source chunk alive (measured: 529 MiB peak instead of 347 MiB on 500,000
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
}
