import Foundation
import SluiceTestSupport
import XCTest

/// The shipped rule pack as a user meets it: it loads (from the folder and built into the
/// binary), every rule has cases that fire and cases that must not, the cases pass, `replay`
/// runs it from flags, and `sluice alerts` prints what it found. (The whole Acme day through the
/// pack, and through `sluice run` into rsyslog, is scripts/e2e_acme_day.py, in `make test`.)
final class RulePackTests: XCTestCase {
    var packageRoot: URL { URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent() }

    static let alerting = ["github_pat_mass_clone", "github_bulk_clone", "repo_archive_mass_download", "github_token_then_bulk_clone",
                           "github_token_new_origin", "github_repo_exposure", "github_new_repo_push", "repo_upload_volume",
                           "repo_upload_unsanctioned", "repo_domain_first_seen", "archive_staging_then_upload", "repo_push_unsanctioned",
                           "repo_exfil_chain"]

    func testPackLoadsFromTheFolderAndBuiltIn() throws {
        let dir = makeTempDir()
        for path in [packageRoot.appendingPathComponent("Pipelines/rules").path, "builtin"] {
            let (status, out, _) = try SluiceProcess.run(["validate", "--rules", path], directory: dir)
            XCTAssertEqual(status, 0, out)
            XCTAssertEqual(out, "rules: 25 loaded, 0 skipped\n", path)
        }
    }

    func testEveryRuleHasMetadataAndCasesThatFireAndThatMustNot() throws {
        for name in Self.alerting {
            let rule = try String(contentsOf: packageRoot.appendingPathComponent("Pipelines/rules/\(name).yml"), encoding: .utf8)
            let doc = rule.components(separatedBy: "\n---\n").map { "\n" + $0 }.first { $0.contains("\nname: \(name)\n") } ?? ""
            for key in ["\nid: ", "\ntitle: ", "\ndescription: ", "\nlevel: ", "\ntags:", "\nfalsepositives:", "\nreferences:", "attack.t1"] {
                XCTAssertTrue(doc.contains(key), "\(name) has no \(key.trimmingCharacters(in: .whitespacesAndNewlines))")
            }
            let cases = try String(contentsOf: packageRoot.appendingPathComponent("Pipelines/tests/rules/\(name).yaml"), encoding: .utf8)
            XCTAssertTrue(cases.contains("alerts_from: [\(name)]"), name)
            XCTAssertTrue(cases.contains("    alerts: []"), "\(name) has no case that must not alert")
            XCTAssertTrue(cases.contains("    alerts:\n      - {"), "\(name) has no case that must alert")
        }
    }

    func testPackCasesPass() throws {
        let (status, out, err) = try SluiceProcess.run(["test", "Pipelines/tests"], directory: packageRoot)
        XCTAssertEqual(status, 0, out.split(separator: "\n").filter { $0.hasPrefix("FAIL") }.joined(separator: "\n") + err)
        let summary = out.split(separator: "\n").last.map(String.init) ?? ""
        XCTAssertTrue(summary.hasSuffix("passed, 0 failed"), summary)
        XCTAssertGreaterThan(Int(summary.split(separator: " ").first ?? "") ?? 0, 100, summary)
    }

    /// A token creates a public repository and pushes to it 14 s later (the Shai-Hulud worm).
    static let worm = [
        #"{"@timestamp":1763652031000,"action":"repo.create","actor":"tvoss","actor_ip":"198.51.100.12","hashed_token":"dhXYkNKhWRwQFhsmGm640oZPrjVUFt1hTyePOxnROTQ=","org":"acme","programmatic_access_type":"Personal access token (classic)","public_repo":true,"repo":"acme/Shai-Hulud","user_agent":"node","visibility":"public"}"#,
        #"{"@timestamp":1763652044734,"action":"git.push","actor":"tvoss","actor_ip":"198.51.100.12","hashed_token":"dhXYkNKhWRwQFhsmGm640oZPrjVUFt1hTyePOxnROTQ=","org":"acme","programmatic_access_type":"Personal access token (classic)","repo":"acme/Shai-Hulud","transport_protocol_name":"http","user_agent":"git/2.43.0"}"#,
    ].joined(separator: "\n") + "\n"

    func testReplayFlagsRunTheBuiltInPackAndPrintAlertsOrEvents() throws {
        let dir = makeTempDir()
        let f = dir.appendingPathComponent("audit.jsonl")
        try Self.worm.write(to: f, atomically: true, encoding: .utf8)
        let ctx = packageRoot.appendingPathComponent("Pipelines/samples/day/context.yaml").path
        let (status, out, err) = try SluiceProcess.run(["replay", "--quiet", "--format", "github-audit", f.path, "--context", ctx], directory: dir)
        XCTAssertEqual(status, 0, err)
        let lines = out.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, out)
        XCTAssertTrue(lines.first?.contains(#""name":"github_new_repo_push""#) ?? false, out)
        XCTAssertTrue(lines.first?.contains(#""severity":"high""#) ?? false, out)
        XCTAssertTrue(lines.first?.contains(#""identity":{"name":"tvoss""#) ?? false, "evidence enriched with the context: \(out)")
        // --events adds the normalized events; without detection flags the events alone (as before).
        let (_, both, _) = try SluiceProcess.run(["replay", "--quiet", "--format", "github-audit", f.path, "--detect", "--events"], directory: dir)
        XCTAssertEqual(both.split(separator: "\n").count, 3, both)
        let (_, events, _) = try SluiceProcess.run(["replay", "--quiet", "--format", "github-audit", f.path], directory: dir)
        XCTAssertEqual(events.split(separator: "\n").count, 2)
        XCTAssertFalse(events.contains(#""kind":"alert""#))
        // A placeholder from the command line: the campaign names no longer raise it.
        let (_, medium, _) = try SluiceProcess.run(["replay", "--quiet", "--format", "github-audit", f.path, "--rules", "builtin",
                                                    "--placeholder", "github_campaign_repo_names=*nothing*"], directory: dir)
        XCTAssertTrue(medium.contains(#""severity":"high""#), "still public: \(medium)")
        // CEF output.
        let (_, cef, _) = try SluiceProcess.run(["replay", "--quiet", "--format", "github-audit", f.path, "--detect", "--output", "cef"], directory: dir)
        XCTAssertTrue(cef.hasPrefix("CEF:0|Sluice|Sluice|"), cef)
        XCTAssertTrue(cef.contains("|github_new_repo_push|8|"), cef)
        let (bad, _, badErr) = try SluiceProcess.run(["replay", "--format", "github-audit", f.path, "--events"], directory: dir)
        XCTAssertNotEqual(bad, 0)
        XCTAssertTrue(badErr.contains("--events applies with detection"), badErr)
    }

    func testAlertsCommandPrintsTableEvidenceAndCounts() throws {
        let dir = makeTempDir()
        let f = dir.appendingPathComponent("audit.jsonl")
        try Self.worm.write(to: f, atomically: true, encoding: .utf8)
        let (_, alerts, _) = try SluiceProcess.run(["replay", "--quiet", "--format", "github-audit", f.path, "--detect"], directory: dir)
        // A line that is not an alert, and an alert whose text holds a terminal escape.
        let hostile = alerts.replacingOccurrences(of: "acme/Shai-Hulud", with: "acme/Shai-Hulud\\u001b[2J")
        let file = dir.appendingPathComponent("alerts.json")
        try ("{\"event\":{\"kind\":\"event\"}}\n" + hostile).write(to: file, atomically: true, encoding: .utf8)
        let (status, out, err) = try SluiceProcess.run(["alerts", file.path, "--width", "150"], directory: dir)
        XCTAssertEqual(status, 0, err)
        let lines = out.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        XCTAssertTrue(lines[0].hasPrefix("TIME (UTC)           SEVERITY  RULE"), out)
        XCTAssertTrue(lines[1].hasPrefix("2025-11-20 15:20:44  high      github_new_repo_push          tvoss"), out)
        XCTAssertTrue(out.contains("Evidence of the top 1 alerts"), out)
        XCTAssertTrue(out.contains("repo.create tvoss acme/Shai-Hulud"), out)
        XCTAssertTrue(out.hasSuffix("1 alerts: 1 high\n"), out)
        XCTAssertFalse(out.contains("\u{1B}"), "no escape reaches the terminal without --color")
        let (_, coloured, _) = try SluiceProcess.run(["alerts", file.path, "--color", "always"], directory: dir)
        XCTAssertTrue(coloured.contains("\u{1B}[1;31mhigh"), coloured)
        XCTAssertFalse(coloured.contains("\u{1B}[2J"), "an escape inside an alert is printed as data")
    }
}
