import XCTest
@testable import SluiceCore
import SluiceTestSupport

/// `EventCodec.pack`/`unpack` (alert evidence kept in memory): what comes back reads and
/// encodes exactly as what went in, in less room.
final class EventPackingTests: XCTestCase {
    let line = EvidenceFixtures.line

    func makeEvent() -> Event { EvidenceFixtures.auditEvent() }

    func roundTrip(_ e: Event) throws -> (Event, Int) {
        var out: [UInt8] = [0xAA]   // appends after what is there
        EventCodec.pack(e, into: &out)
        XCTAssertEqual(out[0], 0xAA)
        XCTAssertLessThanOrEqual(out.count - 1, EventCodec.packedBound(e))
        var r = BinaryReader(Array(out.dropFirst()))
        let back = try EventCodec.unpack(&r)
        XCTAssertTrue(r.isAtEnd)
        return (back, out.count - 1)
    }

    func json(_ e: Event) -> String {
        var out: [UInt8] = []
        EventJSONEncoder().encode(e, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    func testAKeptOriginalComesBackWholeWithItsSpans() throws {
        let e = makeEvent()
        let (back, _) = try roundTrip(e)
        XCTAssertEqual(Array(back.original), line)
        XCTAssertEqual(back.timestamp, e.timestamp)
        XCTAssertEqual(back.fields, e.fields, "spans stay spans of the same record")
        XCTAssertEqual(json(back), json(e))
    }

    /// A dropped original keeps only the text its spans read, and it still reads as dropped;
    /// unpacked, that text is read where it lies in the packed bytes (no copy).
    func testADroppedOriginalShrinksToTheTextOfItsSpans() throws {
        var e = makeEvent()
        e.dropOriginal()
        let (back, size) = try roundTrip(e)
        XCTAssertTrue(back.original.isEmpty)
        XCTAssertTrue(back.hasSpans)
        XCTAssertEqual(back.spanStorage.count, size, "the record is the packed event")
        XCTAssertEqual(json(back), json(e))
        for f in e.fields { XCTAssertEqual(back[f.key], e[f.key], f.key.path) }
        XCTAssertEqual(back.string(FieldKey("user.name")), "octocat")
        XCTAssertEqual(back.value(at: "github.actor_location.country_code"), .string("DE"))
        XCTAssertLessThan(size, 300)
    }

    /// Without a record, top-level strings come back as spans of the packed bytes (read in
    /// place, not copied into new strings); strings inside lists and objects stay strings.
    func testAnEventWithoutARecordAndAnEmptyOne() throws {
        var e = Event(timestamp: -5)
        e.append(FieldKey("message"), .string(String(repeating: "é", count: 300)))
        e.append(FieldKey("related.user"), .array([.string("octocat"), .int(3)]))
        e.append(FieldKey("github.actor_location"), .object([Field(FieldKey("country_code"), .string("DE"))]))
        e.append(FieldKey("user.name"), .string(""))
        let (back, _) = try roundTrip(e)
        XCTAssertEqual(back.fields.map(\.key), e.fields.map(\.key))
        XCTAssertEqual(back.fields.map { back.resolved($0.value) }, e.fields.map(\.value))
        guard case .span? = back.fields.first(where: { $0.key == FieldKey("message") })?.value else {
            return XCTFail("message is not read in place")
        }
        XCTAssertEqual(back[FieldKey("related.user")], e[FieldKey("related.user")])
        XCTAssertEqual(back[FieldKey("github.actor_location")], e[FieldKey("github.actor_location")])
        XCTAssertEqual(back.string(FieldKey("message")), String(repeating: "é", count: 300))
        XCTAssertEqual(back.string(FieldKey("user.name")), "")
        XCTAssertTrue(back.original.isEmpty)
        XCTAssertEqual(json(back), json(e))
        XCTAssertEqual(back.timestamp, -5)
        let (empty, _) = try roundTrip(Event())
        XCTAssertEqual(empty.fields.count, 0)
    }

    /// Bytes that do not come from `pack` in this process are refused, never read past.
    func testTruncatedOrForeignBytesThrow() throws {
        var packed: [UInt8] = []
        EventCodec.pack(makeEvent(), into: &packed)
        for cut in [1, packed.count / 2, packed.count - 1] {
            var r = BinaryReader(Array(packed.prefix(cut)))
            XCTAssertThrowsError(try EventCodec.unpack(&r), "cut at \(cut)")
        }
        // A key id no key has.
        var bad = BinaryWriter()
        bad.varint(0); bad.uvarint(0); bad.uvarint(1); bad.uvarint(UInt64(UInt32.max)); bad.byte(5)
        var r = BinaryReader(bad.bytes)
        XCTAssertThrowsError(try EventCodec.unpack(&r))
    }
}
