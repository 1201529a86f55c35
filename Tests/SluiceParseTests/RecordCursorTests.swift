import XCTest
import SluiceCore
@testable import SluiceParse

final class RecordCursorTests: XCTestCase {
    func tokens(_ s: String) -> [String] {
        let bytes = Array(s.utf8)
        return bytes.withUnsafeBufferPointer { b in
            var c = RecordCursor(b)
            var out: [String] = []
            while let t = c.token() { out.append(c.string(t)) }
            return out
        }
    }

    func testTokensOfEveryLengthAndSeparator() {
        // Lengths around the 8-byte word boundary, spaces and tabs, runs of separators.
        for n in 0..<20 {
            let word = String(repeating: "a", count: n)
            XCTAssertEqual(tokens("\(word) b\t\tc   d\(word)"), (n > 0 ? [word] : []) + ["b", "c", "d" + word], "n=\(n)")
        }
        XCTAssertEqual(tokens("1700000000.123    456 10.0.0.5\tTCP_TUNNEL/200 \r\n"), ["1700000000.123", "456", "10.0.0.5", "TCP_TUNNEL/200"])
        XCTAssertEqual(tokens(""), [])
        XCTAssertEqual(tokens("   \t "), [])
        XCTAssertEqual(tokens("\u{FF}\u{80}x y"), ["\u{FF}\u{80}x", "y"])
    }

    func testNumbersTimesAndIPs() {
        func with<T>(_ s: String, _ f: (UnsafeBufferPointer<UInt8>, Range<Int>) -> T) -> T {
            let a = Array(s.utf8); return a.withUnsafeBufferPointer { f($0, 0..<$0.count) }
        }
        XCTAssertEqual(with("1700000000.123", ByteText.decimalSeconds), 1_700_000_000_123_000_000)
        XCTAssertEqual(with("1700000000", ByteText.decimalSeconds), 1_700_000_000_000_000_000)
        XCTAssertNil(with("99999999999.1", ByteText.decimalSeconds))
        XCTAssertNil(with("12a", ByteText.uint))
        XCTAssertNil(with("1234567890123456789", ByteText.uint))
        XCTAssertEqual(with("-2", ByteText.int), -2)
        XCTAssertTrue(with("140.82.112.3", ByteText.isIP))
        XCTAssertTrue(with("2001:db8::1", ByteText.isIP))
        XCTAssertTrue(with("::ffff:10.0.0.1", ByteText.isIP))
        XCTAssertFalse(with("256.1.1.1", ByteText.isIP))
        XCTAssertFalse(with("github.com", ByteText.isIP))
        XCTAssertFalse(with("dead:beef", ByteText.isIP))
        XCTAssertTrue(with("fe80::1%eth0", ByteText.isIP))
        XCTAssertTrue(with("::1", ByteText.isIP))
        XCTAssertTrue(with("2001:db8:0:0:0:0:2:1", ByteText.isIP))
        XCTAssertFalse(with("1.2.3.999", ByteText.isIP))
        XCTAssertFalse(with("10.0.0", ByteText.isIP))
        XCTAssertFalse(with("deadbeef", ByteText.isIP))
        XCTAssertFalse(with("1.2.3.4.5", ByteText.isIP))
        // firstOf: the first of up to four bytes, at every position around the 8-byte words.
        for len in 0...24 {
            for at in 0..<max(len, 1) {
                var bytes = [UInt8](repeating: UInt8(ascii: "a"), count: len)
                if at < len { bytes[at] = UInt8(ascii: "?") }
                if at + 3 < len { bytes[at + 3] = UInt8(ascii: "#") }
                let found = bytes.withUnsafeBufferPointer {
                    ByteScan.firstOf($0, from: 0, to: len, UInt8(ascii: "/"), UInt8(ascii: "?"), UInt8(ascii: "#"), UInt8(ascii: "@"))
                }
                XCTAssertEqual(found, at < len ? at : len, "len \(len) at \(at)")
                let later = bytes.withUnsafeBufferPointer {
                    ByteScan.firstOf($0, from: min(at + 1, len), to: len, UInt8(ascii: "#"), UInt8(ascii: "#"), UInt8(ascii: "#"), UInt8(ascii: "#"))
                }
                XCTAssertEqual(later, at + 3 < len ? at + 3 : len, "len \(len) at \(at)")
            }
        }
        for ok in ["0.0.0.0", "255.255.255.255", "1.2.3.4", "10.0.13.064"] { XCTAssertTrue(with(ok, ByteText.isIPv4), ok) }
        for bad in ["1..2.3", "1.2.3.", ".1.2.3", "1.2.3.256", "1234.1.1.1", "1.2.3.4a", "1.2.3.0004", "1.2.3.4 ", "a.b.c.d"] {
            XCTAssertFalse(with(bad, ByteText.isIPv4), bad)
        }
        XCTAssertFalse(with("api.github.com", ByteText.isIP))
        XCTAssertFalse(with("10.0.0.5:443", ByteText.isIP))
        XCTAssertNil(ByteText.time(year: 9999, month: 1, day: 1, hour: 0, minute: 0, second: 0))
        XCTAssertNil(ByteText.rfc3339("9999-12-31T23:59:59Z"))
        XCTAssertEqual(ByteText.rfc3339("2026-11-23T02:08:35Z"), Timestamp.make(year: 2026, month: 11, day: 23, hour: 2, minute: 8, second: 35))
    }

    /// Where a record lies in its event's original: its offset when wholly inside (a line of
    /// a read chunk, a syslog message after its header), -1 otherwise (loose bytes, a record
    /// running past the original, an empty or dropped original).
    func testSpanBaseIsTheRecordsOffsetInsideTheOriginalOrMinusOne() {
        let chunk = Array("<13>1 - web-01 - - - - {\"a\":1}\nnext line".utf8)
        let line = chunk[0..<30]
        let e = Event(original: line)
        XCTAssertEqual(RecordCursor.spanBase(of: line, in: e), 0)
        XCTAssertEqual(RecordCursor.spanBase(of: line[23..<30], in: e), 23)
        XCTAssertEqual(RecordCursor.spanBase(of: chunk[23..<35], in: e), -1, "runs past the original")
        XCTAssertEqual(RecordCursor.spanBase(of: ArraySlice(Array(line)), in: e), -1, "a copy lies elsewhere")
        XCTAssertEqual(RecordCursor.spanBase(of: line, in: Event()), -1)
        var dropped = e
        dropped.dropOriginal()
        XCTAssertEqual(RecordCursor.spanBase(of: line, in: dropped), -1)
        XCTAssertEqual(e.withOriginalBytes { Array($0) }, Array(line))
        XCTAssertEqual(dropped.withOriginalBytes { $0.count }, 0)
    }
}
