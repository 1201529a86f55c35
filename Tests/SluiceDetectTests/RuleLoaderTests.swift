import Foundation
import SluiceCore
import SluiceTestSupport
import XCTest
@testable import SluiceDetect

/// Loading rule files: multi-document YAML, metadata, and bad rules never stopping the others.
final class RuleLoaderTests: XCTestCase {
    func testMultiDocumentMetadataAndTags() {
        let rs = DT.rules("""
        title: Archive staging of source trees
        id: 3b0c6b0e-5d84-4a36-9d7c-6e86b1c1f0a1
        name: archive_staging
        status: test
        description: tar or zip creating an archive of a source tree
        references: [https://attack.mitre.org/techniques/T1560/001/]
        tags: [attack.collection, attack.t1560.001, attack.exfiltration, attack.t1567.001]
        falsepositives: [Backups]
        level: low
        logsource: {category: process_creation, product: linux}
        detection:
            sel:
                Image|endswith: [/tar, /zip]
            condition: sel
        ---
        title: Second
        id: 3b0c6b0e-5d84-4a36-9d7c-6e86b1c1f0a2
        logsource: {category: process_creation}
        detection:
            sel: {Image|endswith: /7z}
            condition: sel
        """)
        XCTAssertEqual(rs.rules.count, 2)
        let r = rs.rules[0]
        XCTAssertEqual(r.name, "archive_staging")
        XCTAssertEqual(r.id, "3b0c6b0e-5d84-4a36-9d7c-6e86b1c1f0a1")
        XCTAssertEqual(r.severity, .low)
        XCTAssertEqual(r.tacticIDs, ["TA0009", "TA0010"])
        XCTAssertEqual(r.techniqueIDs, ["T1560.001", "T1567.001"])
        XCTAssertEqual(r.doc.falsepositives, ["Backups"])
        XCTAssertEqual(rs.rules[1].name, "Second", "name falls back to the title")
    }

    func testBadRulesAreListedAndOthersLoad() throws {
        let dir = makeTempDir("rules")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("sub"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try """
        title: good one
        id: good-1
        logsource: {category: process_creation}
        detection: {sel: {Image|endswith: /curl}, condition: sel}
        ---
        title: bad modifier
        id: bad-mod
        logsource: {category: process_creation}
        detection: {sel: {Image|sha256: abc}, condition: sel}
        ---
        title: windows
        id: bad-ls
        logsource: {product: windows, service: security}
        detection: {sel: {EventID: 4625}, condition: sel}
        ---
        title: bad condition
        id: bad-cond
        logsource: {category: process_creation}
        detection: {sel: {Image: x}, condition: sel and missing}
        """.write(to: dir.appendingPathComponent("a.yml"), atomically: true, encoding: .utf8)
        try "title: broken\nid: broken\ndetection:\n  sel: [unclosed\n".write(to: dir.appendingPathComponent("sub/b.yaml"), atomically: true, encoding: .utf8)
        try "title: dup\nid: good-1\nlogsource: {category: proxy}\ndetection: {s: {c-uri|contains: x}, condition: s}\n"
            .write(to: dir.appendingPathComponent("sub/c.yml"), atomically: true, encoding: .utf8)
        try "not a rule".write(to: dir.appendingPathComponent("README.md"), atomically: true, encoding: .utf8)
        let rs = RuleSet.load(paths: [dir.path])
        XCTAssertEqual(rs.rules.map(\.id), ["good-1"])
        XCTAssertEqual(rs.summary, "rules: 1 loaded, 5 skipped")
        let reasons = Dictionary(uniqueKeysWithValues: rs.skipped.map { ($0.id ?? $0.file, $0) })
        XCTAssertEqual(reasons["bad-mod"]?.reason, .unsupportedModifier("sha256"))
        XCTAssertEqual(reasons["bad-ls"]?.reason.description, "logsource not mapped (product: windows, service: security)")
        XCTAssertTrue(reasons["bad-cond"]?.reason.description.contains("unknown search identifier 'missing'") ?? false)
        XCTAssertEqual(reasons["bad-mod"]?.line, 6)
        let broken = try XCTUnwrap(rs.skipped.first { $0.file.hasSuffix("b.yaml") })
        guard case .badYAML(let line, _) = broken.reason else { return XCTFail("\(broken)") }
        XCTAssertGreaterThanOrEqual(line, 4)
        XCTAssertTrue(broken.description.contains("b.yaml:"), broken.description)
        XCTAssertTrue(reasons["good-1"]?.reason.description.contains("duplicate rule id") ?? false, "\(rs.skipped)")
    }

    func testCorrelationReferences() {
        let rs = RuleSet.parse(yaml: """
        title: Clone
        name: clone
        logsource: {product: github, service: audit}
        detection: {s: {action: git.clone}, condition: s}
        ---
        title: Many clones
        name: many_clones
        correlation: {type: value_count, rules: [clone], group-by: [actor], timespan: 10m, condition: {field: repo, gte: 10}}
        ---
        title: Dangling
        correlation: {type: event_count, rules: [nope], group-by: [actor], timespan: 10m, condition: {gte: 1}}
        ---
        title: Bad type
        correlation: {type: value_median, rules: [clone], group-by: [actor], timespan: 10m, condition: {field: x, gte: 1}}
        """)
        XCTAssertEqual(rs.rules.map(\.name), ["clone", "many_clones"])
        XCTAssertEqual(rs.rules[1].references, [0])
        XCTAssertEqual(rs.rules[0].consumers, [1])
        XCTAssertFalse(rs.rules[0].generates, "a rule referenced by a correlation does not alert alone")
        XCTAssertEqual(rs.skipped.count, 2)
    }
}
