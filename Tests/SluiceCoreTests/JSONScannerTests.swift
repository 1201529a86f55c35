import XCTest
@testable import SluiceCore

final class JSONScannerTests: XCTestCase {
    func read(_ s: String) throws -> FieldValue {
        let bytes = Array(s.utf8)
        return try bytes.withUnsafeBufferPointer { buf in
            var sc = JSONScanner(buf)
            let v = try sc.readValue(interner: FieldKeyInterner())
            sc.skipWhitespace()
            guard sc.atEnd else { throw sc.error("trailing data") }
            return v
        }
    }

    func testScalarsAndEscapes() throws {
        XCTAssertEqual(try read(#""a\"b\\c\/\n\u00e9\ud83d\ude00""#), .string("a\"b\\c/\né😀"))
        XCTAssertEqual(try read("1763863200000"), .int(1_763_863_200_000))
        XCTAssertEqual(try read("-12"), .int(-12))
        XCTAssertEqual(try read("1.5e3"), .double(1500))
        XCTAssertEqual(try read("99999999999999999999"), .double(1e20))
        XCTAssertEqual(try read(" true "), .bool(true))
        XCTAssertEqual(try read("null"), .null)
    }

    /// Integers around the unchecked 18-digit fast path and Int64's bounds.
    func testIntegerBoundaries() throws {
        XCTAssertEqual(try read("0"), .int(0))
        XCTAssertEqual(try read("-0"), .int(0))
        XCTAssertEqual(try read("999999999999999999"), .int(999_999_999_999_999_999))
        XCTAssertEqual(try read("1000000000000000000"), .int(1_000_000_000_000_000_000))
        XCTAssertEqual(try read("9223372036854775807"), .int(Int64.max))
        XCTAssertEqual(try read("-9223372036854775807"), .int(-Int64.max))
        XCTAssertEqual(try read("9223372036854775808"), .double(9_223_372_036_854_775_808))
        XCTAssertEqual(try read("18446744073709551616"), .double(18_446_744_073_709_551_616))
        XCTAssertEqual(try read("1234567890123456789.5"), .double(1_234_567_890_123_456_789.5))
        XCTAssertEqual(try read("[12,345]"), .array([.int(12), .int(345)]))
        XCTAssertThrowsError(try read("-"))
        XCTAssertThrowsError(try read("1."))
    }

    func testObjectsAndArrays() throws {
        let v = try read(#"{"a": [1, "x", {"b": false}], "c": {}}"#)
        guard case .object(let m) = v else { return XCTFail() }
        XCTAssertEqual(m.map(\.key.path), ["a", "c"])
        XCTAssertEqual(m[0].value, .array([.int(1), .string("x"), .object([Field(FieldKey("b"), .bool(false))])]))
    }

    func testRejectsMalformedInputWithOffsets() {
        for bad in ["{", #"{"a":}"#, #"{"a" 1}"#, "[1,]", #""abc"#, "tru", "01x", #"{"a":1,}"#, "\"\u{01}\"", "-", "1.", "{\"a\":\"\\x\"}"] {
            XCTAssertThrowsError(try read(bad), "accepted malformed JSON: \(bad)")
        }
    }

    /// Keys and values take the one-search path when plain and `rawStringRange` otherwise:
    /// both give the same text, and malformed strings are refused with the same reason and
    /// offset either way.
    func testPlainAndEscapedKeysAndValuesAndTheirErrors() throws {
        let v = try read(#"{"plain":"text","esc\"aped":"a\nb","e":"","long_key_over_eight":"value over eight bytes"}"#)
        guard case .object(let m) = v else { return XCTFail() }
        XCTAssertEqual(m.map(\.key.path), ["plain", "esc\"aped", "e", "long_key_over_eight"])
        XCTAssertEqual(m.map(\.value), [.string("text"), .string("a\nb"), .string(""), .string("value over eight bytes")])
        let cases: [(String, String)] = [
            ("{\"ke\u{01}y\":1}", "control character in string at byte 4"),
            ("{\"key\":\"va\u{1F}lue\"}", "control character in string at byte 10"),
            (#"{"key"#, "unterminated string at byte 2"),
            (#"{"key":"value"#, "unterminated string at byte 8"),
        ]
        for (bad, why) in cases {
            XCTAssertThrowsError(try read(bad)) { XCTAssertEqual("\($0)", why, bad) }
        }
    }

    func testDeepNestingIsAnErrorNotACrash() {
        let deep = String(repeating: "[", count: 100_000)
        XCTAssertThrowsError(try read(deep)) { e in
            XCTAssertTrue("\(e)".contains("too deep"))
        }
    }

    func testInvalidUTF8InStringsIsRepaired() throws {
        let bytes: [UInt8] = [0x22, 0x61, 0xC3, 0x22]
        let v = try bytes.withUnsafeBufferPointer { buf -> FieldValue in
            var sc = JSONScanner(buf)
            return try sc.readValue(interner: FieldKeyInterner())
        }
        XCTAssertEqual(v, .string("a\u{FFFD}"))
    }

    func testInternerReturnsSameKeyForSameBytesAndDistinguishesParents() {
        let i = FieldKeyInterner()
        let name = Array("actor".utf8)
        let k1 = name.withUnsafeBufferPointer { i.key($0) }
        let k2 = name.withUnsafeBufferPointer { i.key($0) }
        let k3 = name.withUnsafeBufferPointer { i.key($0, under: FieldKey("github")) }
        XCTAssertEqual(k1, k2)
        XCTAssertEqual(k1?.path, "actor")
        XCTAssertEqual(k3?.path, "github.actor")
        // Growing the table keeps earlier keys findable.
        for n in 0..<5000 { _ = Array("k\(n)".utf8).withUnsafeBufferPointer { i.key($0) } }
        XCTAssertEqual(name.withUnsafeBufferPointer { i.key($0) }, k1)
    }
}

final class FieldKeyInternerTests: XCTestCase {
    /// Many names under many parents, looked up again after the tables grew several times.
    func testEveryNameIsFoundAgainAfterGrowth() {
        let i = FieldKeyInterner()
        let parents = [nil, FieldKey("log.syslog.structured_data"), FieldKey("github")]
        var first: [String: FieldKey] = [:]
        for n in 0..<3000 {
            for p in parents {
                let name = "param_\(n)_" + String(repeating: "x", count: n % 40)
                let k = Array(name.utf8).withUnsafeBufferPointer { i.key($0, under: p) }
                XCTAssertEqual(k?.path, p.map { $0.path + "." + name } ?? name)
                first[k!.path] = k
            }
        }
        for (path, key) in first {
            let comps = path.split(separator: ".")
            let name = String(comps.last!)
            let parent = comps.count > 1 ? FieldKey(comps.dropLast().joined(separator: ".")) : nil
            XCTAssertEqual(Array(name.utf8).withUnsafeBufferPointer { i.key($0, under: parent) }, key)
        }
        // The empty name is a key too, distinct per parent.
        let e1 = [UInt8]().withUnsafeBufferPointer { i.key($0) }
        let e2 = [UInt8]().withUnsafeBufferPointer { i.key($0, under: FieldKey("github")) }
        XCTAssertNotEqual(e1, e2)
    }
}
