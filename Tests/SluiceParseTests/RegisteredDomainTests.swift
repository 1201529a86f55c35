import SluiceTestSupport
import XCTest
import SluiceCore
@testable import SluiceParse

/// Registered domains by the Public Suffix List: the embedded copy (what a machine without
/// the `publicsuffix` package gets), Debian's file, and its wildcard and exception rules.
final class RegisteredDomainTests: XCTestCase {
    func testRegisteredDomain() {
        XCTAssertEqual(RegisteredDomain.of("api.github.com"), "github.com")
        XCTAssertEqual(RegisteredDomain.of("GitHub.COM."), "github.com")
        XCTAssertEqual(RegisteredDomain.of("www.bbc.co.uk"), "bbc.co.uk")
        XCTAssertEqual(RegisteredDomain.of("bbc.co.uk"), "bbc.co.uk")
        XCTAssertEqual(RegisteredDomain.of("acme.github.io"), "acme.github.io")
        XCTAssertEqual(RegisteredDomain.of("objects.githubusercontent.com"), "objects.githubusercontent.com")
        XCTAssertNil(RegisteredDomain.of("localhost"))
        XCTAssertNil(RegisteredDomain.of("10.0.0.5"))
        XCTAssertNil(RegisteredDomain.of(""))
        XCTAssertEqual(RegisteredDomain.of("a.b.c.d.cloudfront.net"), "d.cloudfront.net")
        // `in-addr.arpa` is a public suffix on the list: the registered domain is one label more.
        XCTAssertEqual(RegisteredDomain.of("5.113.0.203.in-addr.arpa"), "203.in-addr.arpa")
        XCTAssertNil(RegisteredDomain.of("2001:db8::1"))
        // A public suffix alone has no registered domain.
        XCTAssertNil(RegisteredDomain.of("co.uk"))
        XCTAssertNil(RegisteredDomain.of("github.io"))
    }

    /// The byte form gives a range of the name itself (a span in the parsers) for lower-case
    /// names, and the value form folds upper case into a string.
    func testRegisteredDomainOnBytes() {
        func range(_ s: String) -> String? {
            let b = Array(s.utf8)
            return b.withUnsafeBufferPointer { p in RegisteredDomain.range(p, 0..<p.count).map { ByteText.string(p, $0) } }
        }
        XCTAssertEqual(range("api.github.com."), "github.com")
        XCTAssertEqual(range("www.bbc.co.uk"), "bbc.co.uk")
        XCTAssertEqual(range("objects.githubusercontent.com"), "objects.githubusercontent.com")
        XCTAssertNil(range("API.GitHub.com"))
        XCTAssertNil(range("localhost"))
        XCTAssertNil(range("a..example.com"))
        let upper = Array("Raw.GitHubUserContent.com".utf8)
        let v = upper.withUnsafeBufferPointer { RegisteredDomain.value(RecordCursor($0), 0..<$0.count) }
        XCTAssertEqual(v, .string("raw.githubusercontent.com"))
    }

    /// The PSL's own test vectors (tests/test_psl.txt) for wildcard and exception rules
    /// (`*.ck`, `!www.ck`, `*.kawasaki.jp`, `!city.kawasaki.jp`) and internationalized rules, on
    /// the embedded list.
    func testWildcardExceptionAndIDNRules() {
        let l = PublicSuffixList.embedded
        XCTAssertGreaterThan(l.ruleCount, 9000)
        XCTAssertNil(l.registeredDomain("ck"))
        XCTAssertNil(l.registeredDomain("test.ck"))
        XCTAssertEqual(l.registeredDomain("b.test.ck"), "b.test.ck")
        XCTAssertEqual(l.registeredDomain("a.b.test.ck"), "b.test.ck")
        XCTAssertEqual(l.registeredDomain("www.ck"), "www.ck")
        XCTAssertEqual(l.registeredDomain("www.www.ck"), "www.ck")
        XCTAssertEqual(l.registeredDomain("kawasaki.jp"), "kawasaki.jp", "only *.kawasaki.jp is a rule, not kawasaki.jp")
        XCTAssertNil(l.registeredDomain("test.kawasaki.jp"))
        XCTAssertEqual(l.registeredDomain("test.test.kawasaki.jp"), "test.test.kawasaki.jp")
        XCTAssertEqual(l.registeredDomain("city.kawasaki.jp"), "city.kawasaki.jp")
        XCTAssertEqual(l.registeredDomain("www.city.kawasaki.jp"), "city.kawasaki.jp")
        XCTAssertEqual(l.registeredDomain("example.com"), "example.com")
        XCTAssertEqual(l.registeredDomain("a.b.example.com"), "example.com")
        XCTAssertEqual(l.registeredDomain("a.b.example.uk.com"), "example.uk.com")
        // Unlisted TLD: the implicit `*` rule.
        XCTAssertEqual(l.registeredDomain("b.example.example"), "example.example")
        // 食狮.公司.cn is on the list as Unicode; DNS logs carry it as punycode.
        XCTAssertNil(l.registeredDomain("xn--55qx5d.cn"))
        XCTAssertEqual(l.registeredDomain("shishi.xn--55qx5d.cn"), "shishi.xn--55qx5d.cn")
        XCTAssertEqual(l.registeredDomain("www.xn--85x722f.xn--55qx5d.cn"), "xn--85x722f.xn--55qx5d.cn")
        XCTAssertEqual(PublicSuffixList.punycode(Array("食狮".unicodeScalars.map(\.value))), "85x722f")
        XCTAssertEqual(PublicSuffixList.punycode(Array("bücher".unicodeScalars.map(\.value))), "bcher-kva")
    }

    /// Debian's file (the default source) agrees with the embedded copy generated from it, and a
    /// list given by path is used instead of either.
    func testSystemFileAndConfiguredPath() throws {
        let path = PublicSuffixList.systemPath
        let system = try XCTUnwrap(PublicSuffixList(path: path), "\(path) missing: apt-get install publicsuffix (.ci/apt-packages)")
        XCTAssertEqual(system.origin, path)
        for name in ["api.github.com", "www.bbc.co.uk", "a.b.test.ck", "www.city.kawasaki.jp", "x.s3.amazonaws.com"] {
            XCTAssertEqual(system.registeredDomain(name), PublicSuffixList.embedded.registeredDomain(name), name)
        }
        let dir = makeTempDir("psl")
        defer { try? FileManager.default.removeItem(at: dir) }
        let custom = dir.appendingPathComponent("list.dat").path
        try "// a private list\ncorp.example\n*.apps.corp.example\n!www.apps.corp.example\n".write(toFile: custom, atomically: true, encoding: .utf8)
        let saved = PublicSuffixList.current
        defer { PublicSuffixList.use(saved) }
        try PublicSuffixList.use(path: custom)
        XCTAssertEqual(RegisteredDomain.of("team.corp.example"), "team.corp.example")
        XCTAssertEqual(RegisteredDomain.of("a.b.apps.corp.example"), "a.b.apps.corp.example")
        XCTAssertEqual(RegisteredDomain.of("www.apps.corp.example"), "www.apps.corp.example")
        XCTAssertThrowsError(try PublicSuffixList.use(path: dir.appendingPathComponent("missing.dat").path))
    }
}
