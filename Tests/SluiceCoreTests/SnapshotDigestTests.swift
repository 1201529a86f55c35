import XCTest
@testable import SluiceCore

final class SnapshotDigestTests: XCTestCase {
    func digest(_ chunks: [[UInt8]]) -> SnapshotDigest {
        var d = SnapshotDigest()
        for c in chunks { c.withUnsafeBytes { d.add($0) } }
        return d
    }

    func testTheSameBytesGiveTheSameDigestHoweverTheyAreCut() {
        let bytes = (0..<1_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        let whole = digest([bytes])
        for cut in [1, 3, 7, 8, 9, 64, 999] {
            let chunks = stride(from: 0, to: bytes.count, by: cut).map { Array(bytes[$0..<min($0 + cut, bytes.count)]) }
            XCTAssertEqual(digest(chunks), whole, "cut every \(cut) bytes")
        }
        XCTAssertEqual(digest([bytes, []]), whole)
        XCTAssertEqual(whole.count, 1_000)
    }

    func testAnyChangeGivesAnotherDigest() {
        let bytes = [UInt8](repeating: 0, count: 64)
        let base = digest([bytes])
        XCTAssertNotEqual(digest([bytes + [0]]), base, "one more zero byte")
        XCTAssertNotEqual(digest([Array(bytes.dropLast())]), base, "one zero byte less")
        for i in [0, 7, 8, 63] {
            var b = bytes
            b[i] = 1
            XCTAssertNotEqual(digest([b]), base, "byte \(i) changed")
        }
        var swapped = bytes
        swapped[0] = 1; swapped[8] = 2
        var other = bytes
        other[0] = 2; other[8] = 1
        XCTAssertNotEqual(digest([swapped]), digest([other]), "the same words in another order")
        XCTAssertEqual(digest([]), SnapshotDigest())
        XCTAssertNotEqual(digest([[0]]), SnapshotDigest())
    }
}
