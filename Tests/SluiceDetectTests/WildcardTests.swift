import SluiceCore
import XCTest
@testable import SluiceDetect

/// Wildcards and escapes as the Sigma specification states them ("String Wildcard",
/// "Escape Character").
final class WildcardTests: XCTestCase {
    func glob(_ pattern: String, _ text: String) -> Bool {
        let p = PatternTest(SigmaPattern(sigma: pattern), cased: false)
        var t = text.lowercased()
        return t.withUTF8 { f in p.matches(folded: f, original: f) }
    }

    func testSpecWildcardExamples() {
        XCTAssertTrue(glob("prog?.exe", "progA.exe"))
        XCTAssertTrue(glob("prog?.exe", "progB.exe"))
        XCTAssertFalse(glob("prog?.exe", "prog.exe"))
        XCTAssertFalse(glob("prog?.exe", "progAB.exe"))
        XCTAssertTrue(glob("antivirus_V*.exe", "antivirus_V1.exe"))
        XCTAssertTrue(glob("antivirus_V*.exe", "antivirus_V21.2.1.exe"))
        XCTAssertFalse(glob("antivirus_V*.exe", "antivirus_X1.exe"))
        XCTAssertTrue(glob("?", "é"), "? is one character, not one byte")
        XCTAssertTrue(glob("*", ""))
    }

    func testEscapes() {
        // `\*` is a literal star.
        XCTAssertEqual(SigmaPattern(sigma: "a\\*b").tokens, [.literal(Array("a*b".utf8))])
        // Plain backslash, single or double.
        XCTAssertEqual(SigmaPattern(sigma: "C:\\Windows").tokens, [.literal(Array("C:\\Windows".utf8))])
        XCTAssertEqual(SigmaPattern(sigma: "C:\\\\Windows").tokens, [.literal(Array("C:\\Windows".utf8))])
        // `\\*`: a backslash followed by a wildcard.
        XCTAssertEqual(SigmaPattern(sigma: "dir\\\\*").tokens, [.literal(Array("dir\\".utf8)), .any])
        // `\\\*`: a backslash and a literal star.
        XCTAssertEqual(SigmaPattern(sigma: "dir\\\\\\*").tokens, [.literal(Array("dir\\*".utf8))])
        // Three or four backslashes: two.
        XCTAssertEqual(SigmaPattern(sigma: "a\\\\\\b").tokens, [.literal(Array("a\\\\b".utf8))])
        XCTAssertEqual(SigmaPattern(sigma: "a\\\\\\\\b").tokens, [.literal(Array("a\\\\b".utf8))])
        XCTAssertEqual(SigmaPattern(sigma: "what\\?").tokens, [.literal(Array("what?".utf8))])
        XCTAssertTrue(glob("a\\*b", "a*b"))
        XCTAssertFalse(glob("a\\*b", "axxb"))
    }

    func testGlobIsLinearOnHostileText() {
        // Many stars against a long near-miss: must finish quickly (single backtrack point).
        let pattern = String(repeating: "*a", count: 30) + "*b"
        let text = String(repeating: "a", count: 20_000)
        XCTAssertFalse(glob(pattern, text))
    }

    func testEscapedWildcardInRule() {
        let e = DT.process("echo what? now*")
        XCTAssertTrue(DT.hits("sel:\n    CommandLine|endswith: 'now\\*'\ncondition: sel", e))
        XCTAssertFalse(DT.hits("sel:\n    CommandLine|endswith: 'now\\*'\ncondition: sel", DT.process("echo nowhere")))
        XCTAssertTrue(DT.hits("sel:\n    CommandLine: 'echo what\\? *'\ncondition: sel", e))
        XCTAssertTrue(DT.hits("sel:\n    CommandLine: 'echo w*t? n?w\\*'\ncondition: sel", e))
    }

    func testMultiPatternFindsOverlaps() {
        let ac = MultiPattern([Array("he".utf8), Array("she".utf8), Array("his".utf8), Array("hers".utf8)])
        var hits: [String] = []
        var t = "ushers"
        t.withUTF8 { ac.scan($0) { p, end in hits.append("\(p)@\(end)") } }
        XCTAssertEqual(Set(hits), ["1@4", "0@4", "3@6"])
    }
}
