import Foundation
import SluiceTestSupport
import XCTest

/// The shipped enrichment example through the binary: context, repo_services and threat_intel
/// load at start and enrich a Squid log; a pipeline with a missing intel file does not start.
final class EnrichmentReplayTests: XCTestCase {
    var packageRoot: URL { URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent() }

    func testReplayOfTheEnrichmentExample() throws {
        let (status, out, err) = try SluiceProcess.run(["replay", "--quiet", "--config", "Pipelines/enrichment/enrich.example.yaml"], directory: packageRoot)
        XCTAssertEqual(status, 0, err)
        let events = try out.split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] ?? [:] }
        XCTAssertEqual(events.count, 4, out)
        func path(_ e: [String: Any], _ p: String) -> Any? {
            var cur: Any? = e
            for k in p.split(separator: ".") { cur = (cur as? [String: Any])?[String(k)] }
            return cur
        }
        // The token-authenticated push from a database server to an unsanctioned namespace.
        let push = events[1]
        XCTAssertEqual(path(push, "sluice.asset.name") as? String, "db-prod-01")
        XCTAssertEqual(path(push, "sluice.asset.repo_egress") as? Bool, false)
        XCTAssertEqual(path(push, "sluice.identity.service_account") as? Bool, true)
        XCTAssertEqual(path(push, "sluice.repo.namespace") as? String, "github.com/evil-corp")
        XCTAssertEqual(path(push, "sluice.repo.sanctioned") as? Bool, false)
        XCTAssertEqual(path(push, "sluice.repo_service.operation") as? String, "push")
        XCTAssertEqual(path(push, "url.full") as? String, "https://x-access-token:****@github.com/evil-corp/dump.git/git-receive-pack")
        XCTAssertFalse(out.contains("ghs_16C7e42F"), "no token anywhere in the output, event.original included")
        // The proxy user ACME%5Calice is alice; the archive download is from a sanctioned namespace.
        XCTAssertEqual(path(events[2], "sluice.identity.name") as? String, "alice")
        XCTAssertEqual(path(events[2], "sluice.repo.sanctioned") as? Bool, true)
        XCTAssertEqual(path(events[2], "sluice.repo_service.operation") as? String, "archive_download")
        // Threat intel: destination address and domain.
        let hits = path(events[3], "threat.enrichments") as? [[String: Any]] ?? []
        XCTAssertEqual(hits.map { $0["indicator"] as? String }, ["198.51.100.7", "paste-drop.example"])
    }

    func testMissingIntelFileStopsTheStart() throws {
        let dir = makeTempDir("enrich-e2e")
        defer { try? FileManager.default.removeItem(at: dir) }
        let log = dir.appendingPathComponent("in.jsonl")
        try "{\"action\":\"git.clone\",\"actor_ip\":\"198.51.100.7\"}\n".write(to: log, atomically: true, encoding: .utf8)
        let cfg = dir.appendingPathComponent("p.yaml")
        try """
        sources:
          in: {type: file, include: ["\(log.path)"]}
        transforms:
          parse: {type: parse, inputs: [in], format: github-audit}
          intel: {type: threat_intel, inputs: [parse], files: ["\(dir.path)/missing.csv"]}
        sinks:
          out: {type: stdout, inputs: [intel]}
        """.write(to: cfg, atomically: true, encoding: .utf8)
        let (status, _, err) = try SluiceProcess.run(["replay", "--quiet", "--config", cfg.path], directory: dir)
        XCTAssertNotEqual(status, 0, err)
        XCTAssertTrue(err.contains("missing.csv:0: cannot open"), err)
    }
}
