import Foundation
import XCTest
@testable import SluiceCore

/// `JSONWriter`'s string escaping: every input comes back unchanged through a JSON reader,
/// whichever path wrote it (no escapes, the one-pass path for quotes and backslashes, the
/// counted path for control bytes), and invalid UTF-8 never breaks the output.
final class JSONWriterTests: XCTestCase {
    /// Parses `out` as a one-element JSON array holding a string.
    func decoded(_ out: [UInt8], file: StaticString = #filePath, line: UInt = #line) -> String? {
        let doc = Data([UInt8(ascii: "[")] + out + [UInt8(ascii: "]")])
        guard let arr = try? JSONSerialization.jsonObject(with: doc) as? [String] else {
            XCTFail("not JSON: \(String(decoding: out, as: UTF8.self))", file: file, line: line)
            return nil
        }
        return arr.first
    }

    func quoted(_ s: String) -> [UInt8] {
        var out: [UInt8] = []
        JSONWriter.appendQuotedBytes(Array(s.utf8)[...], to: &out)
        return out
    }

    func testStringsRoundTripThroughEachPath() {
        let record = #"{"action":"git.clone","actor":"dev-a","user_agent":"git/2.43.0","repo":"acme/api"}"#
        let cases = [
            "", "plain", String(repeating: "x", count: 1000),
            record,                                             // quotes every few bytes
            #"C:\Users\dev\repo \"quoted\" \\server\share"#,    // backslashes
            "line one\nline two\r\n\ttabbed",                   // short control escapes
            record + "\u{01}" + record,                         // a \u00XX byte after many quotes
            String(repeating: "\"", count: 300) + "\u{1F}",     // the worst case for the one-pass room
            "\u{00}\u{07}\u{08}\u{0B}\u{0C}\u{1B}",             // controls only
            "ünïcödé \u{1F600} \"and\" quotes",
        ]
        for s in cases {
            XCTAssertEqual(decoded(quoted(s)), s, "round trip of \(s.debugDescription)")
        }
    }

    func testEveryASCIIByteRoundTripsAmidQuotes() {
        for b in UInt8(0)..<0x80 {
            let s = "\"a\\" + String(UnicodeScalar(b)) + "\"b"
            XCTAssertEqual(decoded(quoted(s)), s, "byte \(b)")
        }
    }

    /// The block-at-a-time path against a byte-by-byte escaper: specials at every offset of a
    /// block, a word and the tail, several in one block, runs of every length, the strings'
    /// ends inside and outside a block.
    func testWordAtATimeEscapingMatchesAByteByByteEscaper() {
        func reference(_ b: [UInt8]) -> [UInt8] {
            var out: [UInt8] = [0x22]
            for c in b {
                switch c {
                case 0x22: out += Array(#"\""#.utf8)
                case 0x5C: out += Array(#"\\"#.utf8)
                case 0x0A: out += Array(#"\n"#.utf8)
                case 0x0D: out += Array(#"\r"#.utf8)
                case 0x09: out += Array(#"\t"#.utf8)
                case 0..<0x20: out += Array(String(format: "\\u%04x", c).utf8)
                default: out.append(c)
                }
            }
            return out + [0x22]
        }
        var rng = SystemRandomNumberGenerator()
        let alphabet: [UInt8] = [0x22, 0x5C, 0x0A, 0x09, 0x0D, 0x01, 0x1F, 0x20, 0x7E] + Array("abcxyz{}:,".utf8)
        for n in 0..<100 {
            for round in 0..<60 {
                // Mostly plain text with a few specials, so both whole words and specials occur;
                // every third string dense in them (several in one sixteen-byte block).
                let every = round % 3 == 0 ? 2 : 4
                let b = (0..<n).map { _ in Int.random(in: 0..<every, using: &rng) == 0 ? alphabet.randomElement(using: &rng)! : UInt8(ascii: "m") }
                var out: [UInt8] = []
                JSONWriter.appendQuotedBytes(b[...], to: &out)
                XCTAssertEqual(out, reference(b), "input \(b)")
            }
        }
    }

    func testEscapesAreTheShortFormsWhereJSONHasThem() {
        XCTAssertEqual(String(decoding: quoted("a\"b\\c\nd\re\tf\u{01}"), as: UTF8.self), #""a\"b\\c\nd\re\tf\u0001""#)
    }

    func testInvalidUTF8IsReplacedNotCopied() {
        var out: [UInt8] = []
        JSONWriter.appendQuotedBytes([0x61, 0xFF, 0x22, 0x62][...], to: &out)
        XCTAssertEqual(decoded(out), "a\u{FFFD}\"b")
    }

    func testASpanOutsideTheRecordWritesEmptyText() {
        let record = Array("short".utf8)
        var out: [UInt8] = []
        record.withUnsafeBufferPointer {
            JSONWriter.appendValue(.span(RecordSpan(start: 2, count: 10)), recordBytes: $0, to: &out)
        }
        XCTAssertEqual(String(decoding: out, as: UTF8.self), #""""#)
        out = []
        JSONWriter.appendValue(.span(RecordSpan(start: 1, count: 3)), record: record[...], to: &out)
        XCTAssertEqual(String(decoding: out, as: UTF8.self), #""hor""#)
    }
}
