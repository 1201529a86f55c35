import XCTest
@testable import SluiceIngest

final class LineSplitterTests: XCTestCase {
    func split(_ chunks: [String], max: Int = 100) -> (lines: [String], ends: [Int], truncated: Int, pending: String?) {
        var s = LineSplitter(maxLineBytes: max)
        var lines: [String] = [], ends: [Int] = []
        for c in chunks {
            s.feed(Array(c.utf8)) { line, end in lines.append(String(decoding: line, as: UTF8.self)); ends.append(end) }
        }
        let p = s.flushPending().map { String(decoding: $0, as: UTF8.self) }
        return (lines, ends, s.truncated, p)
    }

    func testSplitsAcrossChunksAndStripsCRLF() {
        let r = split(["a\nbb", "b\r\ncc", "c\n\n", "tail"])
        XCTAssertEqual(r.lines, ["a", "bbb", "ccc", ""])
        XCTAssertEqual(r.pending, "tail")
        XCTAssertEqual(r.ends, [2, 3, 2, 3], "ends are offsets within the chunk that completed the line")
    }

    func testOverlongLineIsCutOnceAndItsRestNeverBecomesASecondRecord() {
        let long = String(repeating: "x", count: 250)
        let r = split([String(long.prefix(120)), String(long.dropFirst(120)) + "\nnext\n"], max: 100)
        XCTAssertEqual(r.lines, [String(repeating: "x", count: 100), "next"])
        XCTAssertEqual(r.truncated, 1)
        let r2 = split([long + "\nok\n"], max: 100)
        XCTAssertEqual(r2.lines, [String(repeating: "x", count: 100), "ok"])
        XCTAssertEqual(r2.truncated, 1)
    }

    func testRecordsShareTheChunkWithoutCopying() {
        var s = LineSplitter(maxLineBytes: 100)
        let chunk = Array("one\ntwo\n".utf8)
        var slices: [ArraySlice<UInt8>] = []
        s.feed(chunk) { line, _ in slices.append(line) }
        XCTAssertEqual(slices.map { $0.startIndex }, [0, 4])
    }
}
