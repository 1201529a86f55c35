import SluiceCore
import XCTest
@testable import SluiceDetect

/// Condition grammar and precedence, and the specification's own detection examples.
final class ConditionTests: XCTestCase {
    func testPrecedence() throws {
        XCTAssertEqual(try ConditionParser.parse("a or b and c"), .or([.ident("a"), .and([.ident("b"), .ident("c")])]))
        XCTAssertEqual(try ConditionParser.parse("not a and b"), .and([.not(.ident("a")), .ident("b")]))
        XCTAssertEqual(try ConditionParser.parse("(a or b) and not c"), .and([.or([.ident("a"), .ident("b")]), .not(.ident("c"))]))
        XCTAssertEqual(try ConditionParser.parse("1 of sel* and not 1 of filter*"), .and([.oneOf("sel*"), .not(.oneOf("filter*"))]))
        XCTAssertEqual(try ConditionParser.parse("all of them"), .allOf(nil))
        XCTAssertEqual(try ConditionParser.parse("NOT a AND b.c"), .and([.not(.ident("a")), .ident("b.c")]))
        XCTAssertThrowsError(try ConditionParser.parse("a and"))
        XCTAssertThrowsError(try ConditionParser.parse("(a or b"))
        XCTAssertThrowsError(try ConditionParser.parse("a | count() > 5"))
    }

    let e = DT.process("tar -czf /tmp/src.tgz /srv/git", image: "/usr/bin/tar", user: "alice")

    func testAndOrNotParentheses() {
        let sels = "sel_tar:\n    Image|endswith: /tar\nsel_zip:\n    Image|endswith: /zip\nfilter_root:\n    User: root\n"
        XCTAssertTrue(DT.hits(sels + "condition: sel_tar and not filter_root", e))
        XCTAssertFalse(DT.hits(sels + "condition: sel_tar and filter_root", e))
        XCTAssertTrue(DT.hits(sels + "condition: sel_zip or sel_tar", e))
        XCTAssertFalse(DT.hits(sels + "condition: sel_zip or sel_tar and filter_root", e), "and binds tighter than or")
        XCTAssertTrue(DT.hits(sels + "condition: (sel_zip or sel_tar) and not filter_root", e))
        XCTAssertTrue(DT.hits(sels + "condition: not sel_zip and not filter_root", e))
    }

    func testOneOfAllOfThem() {
        let sels = "selection_a:\n    Image|endswith: /tar\nselection_b:\n    CommandLine|contains: ' -c'\nselection_c:\n    User: bob\n_hidden:\n    User: nobody\n"
        XCTAssertTrue(DT.hits(sels + "condition: 1 of selection_*", e))
        XCTAssertFalse(DT.hits(sels + "condition: all of selection_*", e))
        XCTAssertTrue(DT.hits(sels + "condition: all of selection_a*", e))
        XCTAssertTrue(DT.hits(sels + "condition: 1 of them", e))
        XCTAssertFalse(DT.hits(sels + "condition: all of them", e))
        XCTAssertTrue(DT.hits("s1:\n    Image|endswith: /tar\n_filter:\n    User: bob\ncondition: all of them", e), "_ identifiers are not part of them")
        XCTAssertTrue(DT.hits(sels + "condition: any of selection_*", e))
    }

    func testConditionListIsOr() {
        XCTAssertTrue(DT.hits("a:\n    User: bob\nb:\n    User: alice\ncondition:\n    - a\n    - b", e))
    }

    func testListOfMapsIsOrAndMapIsAnd() {
        // Specification, "Lists": a list of maps is OR.
        XCTAssertTrue(DT.hits("selection:\n    - Image|endswith: '\\example.exe'\n    - CommandLine|contains: '/srv/git'\ncondition: selection", e))
        // Specification, "Maps": keys are AND, a value list is OR.
        XCTAssertTrue(DT.hits("selection:\n    User: alice\n    Image|endswith:\n        - /tar\n        - /zip\ncondition: selection", e))
        XCTAssertFalse(DT.hits("selection:\n    User: bob\n    Image|endswith:\n        - /tar\n        - /zip\ncondition: selection", e))
    }

    func testSpecNullExample() {
        // "selection_main and 1 of selection_empty*" with FieldB '' or null.
        let d = "selection_main:\n    User: alice\nselection_empty1:\n    CurrentDirectory: ''\nselection_empty2:\n    CurrentDirectory: null\ncondition: selection_main and 1 of selection_empty*"
        XCTAssertTrue(DT.hits(d, e), "missing field is null")
        XCTAssertTrue(DT.hits(d, DT.process("tar", user: "alice", extra: [("process.working_directory", DT.s(""))])), "empty")
        XCTAssertFalse(DT.hits(d, DT.process("tar", user: "alice", extra: [("process.working_directory", DT.s("/srv"))])))
        // "selection and not filter" with PasswordLastSet: null → field present.
        XCTAssertFalse(DT.hits("sel:\n    User: alice\nfilter:\n    CurrentDirectory: null\ncondition: sel and not filter", e))
    }

    func testSpecExistsExample() {
        XCTAssertTrue(DT.hits("selection:\n    User: alice\n    CommandLine|exists: true\ncondition: selection", e))
    }

    func testNotOverMissingFieldIsTrue() {
        XCTAssertTrue(DT.hits("sel:\n    User: alice\nfilter:\n    ParentImage|endswith: /cron\ncondition: sel and not filter", e))
    }

    func testKeywordsSearchMessageAndRaw() {
        let ls = "product: linux\n    service: sshd"
        let ssh = DT.flat([("log.syslog.appname", DT.s("sshd")), ("message", DT.s("Failed password for invalid user admin from 203.0.113.9"))],
                          original: "<38>Nov 23 10:00:00 bastion sshd[811]: Failed password for invalid user admin from 203.0.113.9")
        XCTAssertTrue(DT.hits("keywords:\n    - 'invalid user'\n    - 'not in sudoers'\ncondition: keywords", ssh, logsource: ls))
        XCTAssertTrue(DT.hits("keywords:\n    - 'bastion sshd'\ncondition: keywords", ssh, logsource: ls), "raw record")
        XCTAssertFalse(DT.hits("keywords:\n    - 'Accepted publickey'\ncondition: keywords", ssh, logsource: ls))
        // Specification: '|all' keywords are AND.
        XCTAssertTrue(DT.hits("keywords:\n    '|all':\n        - 'Failed password'\n        - 'invalid user'\ncondition: keywords", ssh, logsource: ls))
        XCTAssertFalse(DT.hits("keywords:\n    '|all':\n        - 'Failed password'\n        - 'root'\ncondition: keywords", ssh, logsource: ls))
        XCTAssertFalse(DT.hits("keywords:\n    - 'invalid user'\ncondition: keywords", DT.process("x"), logsource: ls), "other service")
    }

    func testNumbersStringsAndBooleans() {
        let e = DT.flat([("event.category", DT.list("network")), ("event.type", DT.list("connection")),
                         ("destination.port", .int(4444)), ("user.id", .string("0")), ("network.direction", .bool(true)),
                         ("process.executable", DT.s("/usr/bin/nc"))])
        let ls = "category: network_connection"
        XCTAssertTrue(DT.hits("sel:\n    DestinationPort: '4444'\ncondition: sel", e, logsource: ls), "string rule value, number field")
        XCTAssertTrue(DT.hits("sel:\n    DestinationPort: 4444\ncondition: sel", e, logsource: ls))
        XCTAssertTrue(DT.hits("sel:\n    user.id: 0\ncondition: sel", e, logsource: ls), "number rule value, string field")
        XCTAssertTrue(DT.hits("sel:\n    Initiated: 'true'\ncondition: sel", e, logsource: ls), "JSON true matches 'true'")
        XCTAssertTrue(DT.hits("sel:\n    Initiated: true\ncondition: sel", e, logsource: ls))
        XCTAssertFalse(DT.hits("sel:\n    Initiated: 'false'\ncondition: sel", e, logsource: ls))
        XCTAssertTrue(DT.hits("sel:\n    DestinationPort|startswith: '44'\ncondition: sel", e, logsource: ls))
    }
}
