import XCTest
@testable import SluiceCore

/// `ByteScan`'s JSON search and the copy-and-check of `JSONWriter.writeQuoted` against
/// byte-by-byte references, at every position of the sixteen-byte blocks (x86-64), the
/// eight-byte words after them and the last bytes one at a time.
final class ByteScanTests: XCTestCase {
    func isSpecial(_ b: UInt8) -> Bool { b < 0x20 || b == 0x22 || b == 0x5C }

    func testFirstJSONSpecialFindsTheFirstAtEveryOffset() {
        let specials: [UInt8] = [0x22, 0x5C, 0x00, 0x0A, 0x1F]
        let plain: [UInt8] = [0x20, 0x21, 0x23, 0x5B, 0x5D, 0x7E, 0x7F, 0x80, 0xC3, 0xFF]
        for n in 0..<70 {
            for at in 0...n {
                for s in specials {
                    var b = (0..<n).map { plain[$0 % plain.count] }
                    if at < n { b[at] = s }
                    // A second special after the first must not be reported instead of it.
                    if at + 3 < n { b[at + 3] = 0x22 }
                    for from in [0, min(at, n), min(1, n)] {
                        let want = (from..<n).first { isSpecial(b[$0]) } ?? n
                        let got = b.withUnsafeBufferPointer { ByteScan.firstJSONSpecial($0.baseAddress ?? UnsafePointer(bitPattern: 1)!, from: from, to: n) }
                        XCTAssertEqual(got, want, "n \(n) special \(s) at \(at) from \(from)")
                    }
                }
            }
        }
    }

    /// With `asciiOnly`, a byte of 0x80 or more anywhere stops the copy with `notASCII`; ASCII
    /// text is copied and escaped as the general path does it.
    func testWriteQuotedReportsTextThatIsNotASCII() {
        for n in 1..<60 {
            for at in 0..<n {
                var b = [UInt8](repeating: UInt8(ascii: "a"), count: n)
                b[at] = 0xC3
                if at > 0 { b[at - 1] = 0x22 }
                var room = [UInt8](repeating: 0, count: 2 * n + 2)
                let r = b.withUnsafeBufferPointer { src in
                    room.withUnsafeMutableBufferPointer {
                        JSONWriter.writeQuoted(src.baseAddress!, n, firstSpecial: 0, to: $0.baseAddress!, shortOnly: true, asciiOnly: true)
                    }
                }
                XCTAssertEqual(r, JSONWriter.notASCII, "n \(n) high byte at \(at)")
            }
            var ascii = (0..<n).map { UInt8(0x20 + $0 % 0x5F) }   // holds `"` and `\` at some lengths
            ascii[n / 2] = 0x0A
            var room = [UInt8](repeating: 0, count: 2 * n + 2)
            let r = ascii.withUnsafeBufferPointer { src in
                room.withUnsafeMutableBufferPointer {
                    JSONWriter.writeQuoted(src.baseAddress!, n, firstSpecial: 0, to: $0.baseAddress!, shortOnly: true, asciiOnly: true)
                }
            }
            var want: [UInt8] = []
            JSONWriter.appendQuotedBytes(ascii[...], to: &want)
            XCTAssertEqual(Array(room[..<max(0, r)]), want, "ASCII text of \(n) bytes")
        }
    }
}
