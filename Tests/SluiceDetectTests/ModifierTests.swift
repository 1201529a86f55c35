import SluiceCore
import XCTest
@testable import SluiceDetect

/// One test per Sigma modifier (DESIGN.md's list), each with matching and non-matching values.
final class ModifierTests: XCTestCase {
    let curl = DT.process("curl -s -X POST --data-binary @/tmp/src.tar.gz https://api.github.com/repos/x/y/contents/a", image: "/usr/bin/curl")

    func testPlainValueMatchesWholeFieldCaseInsensitively() {
        XCTAssertTrue(DT.hits("sel:\n    Image: '/USR/BIN/CURL'\ncondition: sel", curl))
        XCTAssertFalse(DT.hits("sel:\n    Image: '/usr/bin/cur'\ncondition: sel", curl))
    }

    func testContainsStartswithEndswith() {
        XCTAssertTrue(DT.hits("sel:\n    CommandLine|contains: 'DATA-BINARY'\ncondition: sel", curl))
        XCTAssertFalse(DT.hits("sel:\n    CommandLine|contains: 'upload-pack'\ncondition: sel", curl))
        XCTAssertTrue(DT.hits("sel:\n    CommandLine|startswith: 'curl -s'\ncondition: sel", curl))
        XCTAssertFalse(DT.hits("sel:\n    CommandLine|startswith: '-s'\ncondition: sel", curl))
        XCTAssertTrue(DT.hits("sel:\n    Image|endswith: '/curl'\ncondition: sel", curl))
        XCTAssertFalse(DT.hits("sel:\n    Image|endswith: '/usr'\ncondition: sel", curl))
    }

    func testListIsOrAndAllIsAnd() {
        XCTAssertTrue(DT.hits("sel:\n    CommandLine|contains:\n        - 'wget'\n        - 'curl'\ncondition: sel", curl))
        XCTAssertTrue(DT.hits("sel:\n    CommandLine|contains|all:\n        - '-X POST'\n        - 'api.github.com'\ncondition: sel", curl))
        XCTAssertFalse(DT.hits("sel:\n    CommandLine|contains|all:\n        - '-X POST'\n        - 'gitlab.com'\ncondition: sel", curl))
    }

    func testCased() {
        XCTAssertTrue(DT.hits("sel:\n    CommandLine|contains|cased: 'POST'\ncondition: sel", curl))
        XCTAssertFalse(DT.hits("sel:\n    CommandLine|contains|cased: 'post'\ncondition: sel", curl))
        XCTAssertFalse(DT.hits("sel:\n    Image|cased: '/USR/BIN/CURL'\ncondition: sel", curl))
    }

    func testRegexAndItsFlags() {
        XCTAssertTrue(DT.hits("sel:\n    CommandLine|re: 'api\\.github\\.com/repos/[^/]+/[^/]+/contents'\ncondition: sel", curl))
        XCTAssertFalse(DT.hits("sel:\n    CommandLine|re: 'API\\.GITHUB'\ncondition: sel", curl), "regexes are case-sensitive")
        XCTAssertTrue(DT.hits("sel:\n    CommandLine|re|i: 'API\\.GITHUB'\ncondition: sel", curl))
        let multi = DT.process("echo a\nrm -rf /")
        XCTAssertFalse(DT.hits("sel:\n    CommandLine|re: '^rm'\ncondition: sel", multi))
        XCTAssertTrue(DT.hits("sel:\n    CommandLine|re|m: '^rm'\ncondition: sel", multi))
        XCTAssertFalse(DT.hits("sel:\n    CommandLine|re: 'a.rm'\ncondition: sel", multi))
        XCTAssertTrue(DT.hits("sel:\n    CommandLine|re|s: 'a.rm'\ncondition: sel", multi))
        // No literal prefilter: evaluated directly.
        XCTAssertTrue(DT.hits("sel:\n    CommandLine|re: '[a-z]+ -s'\ncondition: sel", curl))
    }

    func testRegexPrefilterLiteral() {
        XCTAssertEqual(RegexLiteral.required("api\\.github\\.com/repos/[^/]+"), "api.github.com/repos/")
        XCTAssertNil(RegexLiteral.required("foo|barbaz"))
        XCTAssertEqual(RegexLiteral.required("(a|b)xyz\\d+"), "xyz")
        XCTAssertEqual(RegexLiteral.required("abcd?e"), "abc")
        XCTAssertNil(RegexLiteral.required("[a-z]+\\s"))
    }

    func testCIDR() {
        let e = DT.flat([("event.category", DT.list("network")), ("event.type", DT.list("connection")),
                         ("destination.ip", DT.s("140.82.112.4")), ("source.ip", DT.s("2001:db8::7"))])
        let ls = "category: network_connection"
        XCTAssertTrue(DT.hits("sel:\n    DestinationIp|cidr: '140.82.112.0/20'\ncondition: sel", e, logsource: ls))
        XCTAssertFalse(DT.hits("sel:\n    DestinationIp|cidr: '10.0.0.0/8'\ncondition: sel", e, logsource: ls))
        XCTAssertTrue(DT.hits("sel:\n    SourceIp|cidr: '2001:db8::/32'\ncondition: sel", e, logsource: ls))
        XCTAssertFalse(DT.hits("sel:\n    SourceIp|cidr: '2001:db9::/32'\ncondition: sel", e, logsource: ls))
        XCTAssertTrue(DT.hits("sel:\n    DestinationIp|cidr:\n        - '10.0.0.0/8'\n        - '140.82.0.0/16'\ncondition: sel", e, logsource: ls))
    }

    func testExists() {
        XCTAssertTrue(DT.hits("sel:\n    CommandLine|exists: true\ncondition: sel", curl))
        XCTAssertFalse(DT.hits("sel:\n    ParentImage|exists: true\ncondition: sel", curl))
        XCTAssertTrue(DT.hits("sel:\n    ParentImage|exists: false\ncondition: sel", curl))
    }

    func testNumericComparisons() {
        let e = DT.process("x", extra: [("process.pid", .int(4242)), ("process.parent.pid", .string("17"))])
        XCTAssertTrue(DT.hits("sel:\n    ProcessId|gt: 4000\ncondition: sel", e))
        XCTAssertFalse(DT.hits("sel:\n    ProcessId|lt: 4000\ncondition: sel", e))
        XCTAssertTrue(DT.hits("sel:\n    ProcessId|gte: 4242\ncondition: sel", e))
        XCTAssertTrue(DT.hits("sel:\n    ProcessId|lte: 4242\ncondition: sel", e))
        XCTAssertTrue(DT.hits("sel:\n    ParentProcessId|lt: 100\ncondition: sel", e), "numeric text compares as a number")
        XCTAssertFalse(DT.hits("sel:\n    CommandLine|gt: 1\ncondition: sel", e), "text is not a number")
    }

    func testBase64AndBase64offset() {
        // base64 of 'http://' is 'aHR0cDovLw=='.
        let plain = DT.process("powershell -e aHR0cDovLw==")
        XCTAssertTrue(DT.hits("sel:\n    CommandLine|base64|contains: 'http://'\ncondition: sel", plain))
        // The specification's base64offset example: the three shifts of 'http://'.
        XCTAssertEqual(DetectionCompiler.base64Offsets(Array("http://".utf8)), ["aHR0cDovL", "h0dHA6Ly", "odHRwOi8v"])
        for encoded in ["eCBodHRwOi8vZXZpbA==", "eHggaHR0cDovL2V2aWw=", "aHR0cDovL2V2aWw="] {   // ' http://evil' at shifts 1, 2, 0
            XCTAssertTrue(DT.hits("sel:\n    CommandLine|base64offset|contains: 'http://'\ncondition: sel", DT.process("sh -c " + encoded)), encoded)
        }
        XCTAssertFalse(DT.hits("sel:\n    CommandLine|base64offset|contains: 'http://'\ncondition: sel", DT.process("sh -c aGVsbG8=")))
    }

    func testUTF16Encodings() {
        // 'cmd' as UTF-16LE is 63 00 6d 00 64 00 → base64 'YwBtAGQA'.
        XCTAssertTrue(DT.hits("sel:\n    CommandLine|wide|base64|contains: 'cmd'\ncondition: sel", DT.process("x YwBtAGQA y")))
        XCTAssertTrue(DT.hits("sel:\n    CommandLine|utf16le|base64|contains: 'cmd'\ncondition: sel", DT.process("x YwBtAGQA y")))
        // UTF-16BE 00 63 00 6d 00 64 → 'AGMAbQBk'.
        XCTAssertTrue(DT.hits("sel:\n    CommandLine|utf16be|base64|contains: 'cmd'\ncondition: sel", DT.process("AGMAbQBk")))
        // utf16 prepends a BOM: FF FE 63 00 6D 00 64 00 → '//5jAG0AZAA='.
        XCTAssertTrue(DT.hits("sel:\n    CommandLine|utf16|base64: 'cmd'\ncondition: sel", DT.process("//5jAG0AZAA=")))
        XCTAssertTrue(DT.hits("sel:\n    CommandLine|wide|base64offset|contains: 'cmd'\ncondition: sel", DT.process("x YwBtAGQA y")))
        let rs = RuleSet.parse(yaml: "title: t\nlogsource: {category: process_creation}\ndetection:\n  sel:\n    CommandLine|wide: cmd\n  condition: sel\n")
        XCTAssertEqual(rs.rules.count, 0, "utf16 without base64 is refused")
    }

    func testWindash() {
        let rule = "sel:\n    CommandLine|windash|contains: ' -encodedcommand'\ncondition: sel"
        for dash in ["-", "/", "\u{2013}", "\u{2014}", "\u{2015}"] {
            XCTAssertTrue(DT.hits(rule, DT.process("powershell \(dash)EncodedCommand AAAA")), dash)
        }
        XCTAssertFalse(DT.hits(rule, DT.process("powershell +EncodedCommand AAAA")))
        XCTAssertEqual(try DetectionCompiler.windash("a-b /c").count, 5, "only a flag after a non-word character varies")
    }

    func testFieldref() {
        let same = DT.process("x", extra: [("process.parent.executable", DT.s("/USR/BIN/BASH"))])
        let other = DT.process("x", extra: [("process.parent.executable", DT.s("/usr/bin/sshd"))])
        XCTAssertTrue(DT.hits("sel:\n    Image|fieldref: ParentImage\ncondition: sel", same))
        XCTAssertFalse(DT.hits("sel:\n    Image|fieldref: ParentImage\ncondition: sel", other))
        XCTAssertTrue(DT.hits("sel:\n    CommandLine|fieldref|contains: User\ncondition: sel", DT.process("sudo -u root id")))
    }

    func testExpandPlaceholders() {
        let yaml = """
        title: servers
        logsource: {category: process_creation}
        detection:
            sel:
                host.name|expand: '%Servers%'
            condition: sel
        """
        let rs = RuleSet.parse([(file: "r.yml", yaml: yaml)], placeholders: ["Servers": ["build-*", "db-01"]])
        XCTAssertEqual(rs.rules.count, 1)
        XCTAssertEqual(DT.matches(rs, DT.process("x")), ["servers"])
        let missing = RuleSet.parse(yaml: yaml)
        XCTAssertEqual(missing.rules.count, 0)
        XCTAssertTrue(missing.skipped[0].reason.description.contains("placeholder %Servers% is not configured"), "\(missing.skipped)")
    }

    func testNeq() {
        XCTAssertTrue(DT.hits("sel:\n    User|neq: alice\ncondition: sel", DT.process("x", user: "bob")))
        XCTAssertFalse(DT.hits("sel:\n    User|neq: ALICE\ncondition: sel", DT.process("x", user: "alice")))
        XCTAssertFalse(DT.hits("sel:\n    CurrentDirectory|neq: /tmp\ncondition: sel", DT.process("x")), "missing field")
    }

    func testUnsupportedModifiersAreReported() {
        for m in ["hour", "bogus", "re|x"] {
            let rs = RuleSet.parse(yaml: "title: t\nid: x-\(m)\nlogsource: {category: process_creation}\ndetection:\n  sel:\n    CommandLine|\(m): 1\n  condition: sel\n")
            XCTAssertEqual(rs.rules.count, 0, m)
            XCTAssertTrue(rs.skipped.first?.reason.description.hasPrefix("unsupported modifier") ?? false, "\(rs.skipped)")
        }
    }
}
