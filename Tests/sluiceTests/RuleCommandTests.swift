import Foundation
import SluiceTestSupport
import XCTest

/// `sluice validate --rules` and `sluice test` rule cases, as a user runs them.
final class RuleCommandTests: XCTestCase {
    var packageRoot: URL { URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent() }

    func testValidateRulesListsSkippedRulesAndSummary() throws {
        let dir = makeTempDir()
        let folder = packageRoot.appendingPathComponent("Tests/Fixtures/sigma-community").path
        let (status, out, _) = try SluiceProcess.run(["validate", "--rules", folder], directory: dir)
        XCTAssertEqual(status, 1, "some rules were skipped")
        let lines = out.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.last, "rules: 23 loaded, 5 skipped")
        XCTAssertTrue(lines.contains { $0.contains("broken.yml:") && $0.contains("bad YAML at line") }, out)
        XCTAssertTrue(lines.contains { $0.contains("windows_and_legacy.yml:") && $0.contains("0b9e8d7c-6a5f-4e3d-2c1b-0a9f8e7d6c01 (Windows Credential Dumping Via Comsvcs): logsource not mapped") }, out)
        XCTAssertTrue(lines.contains { $0.contains("unsupported modifier 'hour'") }, out)
        let good = dir.appendingPathComponent("good.yml")
        try "title: ok\nlogsource: {category: proxy}\ndetection: {s: {cs-host: x.example}, condition: s}\n".write(to: good, atomically: true, encoding: .utf8)
        let (s2, o2, _) = try SluiceProcess.run(["validate", "--rules", good.path], directory: dir)
        XCTAssertEqual(s2, 0)
        XCTAssertEqual(o2, "rules: 1 loaded, 0 skipped\n")
    }

    func testRuleCasesPassAndFail() throws {
        let dir = makeTempDir()
        try """
        title: Git clone with a personal access token
        name: github_pat_clone
        logsource: {product: github, service: audit}
        detection:
            sel:
                action: git.clone
                programmatic_access_type|startswith: Personal access token
            condition: sel
        ---
        title: Mass cloning with a PAT
        name: github_pat_mass_clone
        correlation: {type: value_count, rules: [github_pat_clone], group-by: [actor], timespan: 10m, condition: {field: repo, gte: 3}}
        sluice:
            tiers: [{gte: 3, level: medium}, {gte: 5, level: high}]
        """.write(to: dir.appendingPathComponent("pack.yml"), atomically: true, encoding: .utf8)
        func clone(_ i: Int, actor: String = "mallory", token: String = "Personal access token (classic)") -> String {
            #"{"@timestamp": \#(1763863200000 + i * 1000), "action": "git.clone", "actor": "\#(actor)", "repo": "acme/r\#(i)", "programmatic_access_type": "\#(token)"}"#
        }
        let five = (0..<5).map { clone($0) }.joined(separator: "\n      ")
        let ssh = (0..<5).map { clone($0, token: "SSH key") }.joined(separator: "\n      ")
        try """
        rules: [pack.yml]
        tests:
          - name: five repositories with a PAT escalate to high
            format: github-audit
            input: |
              \(five)
            alerts:
              - {rule: github_pat_mass_clone, severity: medium, count: 3, group: {actor: mallory}}
              - {rule: github_pat_mass_clone, severity: high, count: 5, escalates: true}
          - name: SSH clones do not fire
            format: github-audit
            input: |
              \(ssh)
            alerts: []
          - name: a wrong expectation fails
            format: github-audit
            input: |
              \(five)
            alerts:
              - {rule: github_pat_mass_clone, severity: critical}
        """.write(to: dir.appendingPathComponent("pack_test.yaml"), atomically: true, encoding: .utf8)
        let (status, out, err) = try SluiceProcess.run(["test", dir.appendingPathComponent("pack_test.yaml").path], directory: dir)
        XCTAssertEqual(status, 1, out + err)
        XCTAssertTrue(out.contains("PASS \(dir.appendingPathComponent("pack_test.yaml").path): five repositories with a PAT escalate to high"), out)
        XCTAssertTrue(out.contains(": SSH clones do not fire"), out)
        XCTAssertTrue(out.contains("FAIL") && out.contains("expected 1 alert, got 2"), out)
        XCTAssertTrue(out.hasSuffix("2 passed, 1 failed\n"), out)
    }
}
