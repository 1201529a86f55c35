import SluiceCore
import SluiceTestSupport
import XCTest
@testable import SluiceDetect

/// `ByteWriter.packedEvent` (a snapshot's alert evidence written from its packed bytes)
/// writes exactly what `ByteWriter.event` writes for the event those bytes unpack to.
final class StateCodecTests: XCTestCase {
    let line = EvidenceFixtures.line

    func audit() -> Event { EvidenceFixtures.auditEvent() }

    /// The events a snapshot meets: a kept original with spans, the same dropped (its spans
    /// become text), a dropped original whose span is not valid UTF-8, an event without
    /// fields, one without a record, a negative time.
    func events() -> [Event] {
        var dropped = audit()
        dropped.dropOriginal()
        var invalid = Event(timestamp: -5, original: ArraySlice([0x61, 0xFF, 0xFE, 0x62] + Array(" user=bob".utf8)))
        invalid.append(FieldKey("message"), .span(RecordSpan(start: 0, count: 4)))
        invalid.append(FieldKey("user.name"), .span(RecordSpan(start: 10, count: 3)))
        invalid.dropOriginal()
        var noRecord = Event(timestamp: 7)
        noRecord.append(FieldKey("github.repo"), .string("acme/payments"))
        noRecord.append(FieldKey("github.public_repo"), .bool(true))
        return [audit(), dropped, invalid, Event(timestamp: 1, original: line[...]), noRecord, Event()]
    }

    func packed(_ e: Event) -> [UInt8] {
        var out: [UInt8] = []
        EventCodec.pack(e, into: &out)
        return out
    }

    func testPackedEventsAreWrittenAsTheEventsTheyUnpackTo() throws {
        // One writer for all, as in a snapshot: names are written once, then by number.
        var fromPacked = ByteWriter(), fromEvents = ByteWriter()
        for e in events() + events() {
            let bytes = packed(e)
            var r = BinaryReader(bytes)
            fromEvents.event(try EventCodec.unpack(&r))
            XCTAssertTrue(bytes.withUnsafeBufferPointer { fromPacked.packedEvent($0) })
        }
        XCTAssertEqual(fromPacked.bytes, fromEvents.bytes)
        // And they read back as the events did.
        var r = ByteReader(fromPacked.bytes)
        for e in events() + events() {
            let back = try r.event()
            XCTAssertEqual(back.timestamp, e.timestamp)
            XCTAssertEqual(back.fields.map(\.key), e.fields.map(\.key))
            XCTAssertEqual(back.fields.map { back.resolved($0.value) }, e.fields.map { e.resolved($0.value) })
        }
        XCTAssertTrue(r.atEnd)
        // The invalid bytes of a dropped original's span are replaced as `selfContained` does.
        var invalid = events()[2]
        invalid = invalid.selfContained()
        XCTAssertEqual(invalid[FieldKey("message")], .string("a\u{FFFD}\u{FFFD}b"))
    }

    func testBytesThatAreNotAPackedEventWriteNothing() {
        let whole = packed(audit())
        var w = ByteWriter()
        w.varint(42)
        for cut in [1, 5, whole.count / 2, whole.count - 1] {
            XCTAssertFalse(Array(whole.prefix(cut)).withUnsafeBufferPointer { w.packedEvent($0) }, "cut at \(cut)")
        }
        XCTAssertFalse((whole + [0]).withUnsafeBufferPointer { w.packedEvent($0) }, "trailing bytes")
        // An unknown value tag. The last field is a null, whose tag (5) is the packed event's
        // last byte whatever the field key ids are (they depend on which tests ran before).
        var withNull = audit()
        withNull.append(FieldKey("test.nothing"), .null)
        var foreign = packed(withNull)
        XCTAssertEqual(foreign.last, 5)
        var check = ByteWriter()
        XCTAssertTrue(foreign.withUnsafeBufferPointer { check.packedEvent($0) }, "the event before it is changed")
        foreign[foreign.count - 1] = 0x7F
        XCTAssertFalse(foreign.withUnsafeBufferPointer { w.packedEvent($0) })
        XCTAssertEqual(w.bytes, [42])
    }

    /// The store writes each kept event as `event(seq)` would be written, packed or whole
    /// (an event carrying an alert is kept as it is).
    func testTheEvidenceStoreWritesWhatItKeeps() {
        var store = EvidenceStore(capacity: 16)
        var withAlert = audit()
        withAlert.alert = Alert(id: "a1", ruleID: "r", ruleName: "n", description: "", severity: .high, tacticIDs: [], techniqueIDs: [],
                                group: [], count: 1, firstSeen: 1, lastSeen: 2, enrichment: [], details: [], evidence: [audit()], escalates: nil)
        let seqs = (events() + [withAlert]).map { store.add($0) }
        var a = ByteWriter(), b = ByteWriter()
        for s in seqs {
            XCTAssertTrue(store.contains(s))
            store.write(s, to: &a)
            b.event(store.event(s)!)
        }
        XCTAssertEqual(a.bytes, b.bytes)
        XCTAssertFalse(store.contains(seqs.last! + 1))
        XCTAssertFalse(store.contains(0))
    }
}
