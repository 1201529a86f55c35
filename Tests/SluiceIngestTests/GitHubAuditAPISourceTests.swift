import Foundation
import Logging
import SluiceTestSupport
import XCTest
@testable import SluiceCore
@testable import SluiceIngest
@testable import SluiceParse

/// The audit-log poller against `FakeGitHubAuditAPI` on loopback: paging, rate limits,
/// failures, and a restart that resumes without loss or duplicates.
final class GitHubAuditAPISourceTests: XCTestCase {
    static let token = "ghp_Fake0Token0For0Tests0Only0000000000"

    func tokenFile() throws -> String {
        let path = tempDir("gh-token") + "/token"
        try (Self.token + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func source(_ api: FakeGitHubAuditAPI, _ tokenPath: String, perPage: Int = 100, extra: String = "") throws -> GitHubAuditAPISource {
        let opts = try options("""
            org: acme
            api_url: \(api.baseURL)
            token_file: \(tokenPath)
            per_page: \(perPage)
            poll_interval: 1s
            max_backoff: 2s
            \(extra)
            """, type: "github_audit_api")
        let src = try GitHubAuditAPISource.make(opts, buildContext())
        XCTAssertEqual(opts.finish().map(\.description), [])
        return src
    }

    var now: Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    func ids(_ events: [Event]) throws -> [String] {
        let parser = GitHubAuditParser()
        var out: [Event] = []
        for e in events { try parser.parse(e.original, event: e, into: &out) }
        return out.compactMap { $0.string(GitHubKeys.documentID) }
    }

    func testFollowsLinkPagesWithTheDocumentedQuery() throws {
        let api = try FakeGitHubAuditAPI(token: Self.token)
        api.add(count: 250, startingAt: now - 20 * 60 * 1000, prefix: "a")
        let h = try SourceHarness(try source(api, try tokenFile()), name: "github_api")
        h.start()
        defer { h.stop() }
        let events = h.collect(250, timeout: 30)
        XCTAssertEqual(events.count, 250)
        let got = try ids(events)
        XCTAssertEqual(Set(got).count, 250, "each event once")
        XCTAssertTrue(got[0].hasPrefix("a0-") && got[249].hasPrefix("a" + String(249, radix: 36) + "-"), "in time order: \(got[0]) ... \(got[249])")
        let reqs = api.requests
        XCTAssertGreaterThanOrEqual(reqs.count, 3)
        let first = reqs[0].uri
        XCTAssertTrue(first.hasPrefix("/orgs/acme/audit-log?phrase=created%3A%3E%3D"), first)
        for part in ["include=all", "order=asc", "per_page=100"] { XCTAssertTrue(first.contains(part), "\(part) in \(first)") }
        XCTAssertTrue(reqs[1].uri.contains("after=cursor-100"), reqs[1].uri)
        XCTAssertTrue(reqs[2].uri.contains("after=cursor-200"), reqs[2].uri)
        XCTAssertEqual(reqs[0].authorization, "Bearer \(Self.token)")
        XCTAssertEqual(reqs[0].apiVersion, "2022-11-28")
        // Later polls look back `overlap` and skip what was already emitted.
        XCTAssertTrue(waitUntil(timeout: 10) { api.requests.count >= 6 })
        XCTAssertTrue(h.drain(quiet: 0.5).isEmpty, "no duplicates from the overlap")
        XCTAssertGreaterThanOrEqual(h.metrics.counterTotals["github_api_duplicates_skipped"] ?? 0, 250)
    }

    func testRateLimitsAndServerErrorsAreWaitedOutAndRetried() throws {
        let api = try FakeGitHubAuditAPI(token: Self.token)
        api.add(count: 120, startingAt: now - 10 * 60 * 1000, prefix: "r")
        let reset = String(Int(Date().timeIntervalSince1970) + 2)
        api.fail(.status(502, [], "<html>bad gateway</html>"),
                 .status(429, [("retry-after", "1")], #"{"message":"You have exceeded a secondary rate limit."}"#),
                 .status(403, [("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", reset)], #"{"message":"API rate limit exceeded for user ID 1."}"#))
        let h = try SourceHarness(try source(api, try tokenFile(), perPage: 50), name: "github_api")
        h.start()
        defer { h.stop() }
        let events = h.collect(120, timeout: 30)
        XCTAssertEqual(Set(try ids(events)).count, 120)
        let reqs = api.requests
        XCTAssertGreaterThanOrEqual(reqs.count, 6)
        XCTAssertGreaterThanOrEqual(reqs[2].time - reqs[1].time, 0.9, "retry-after: 1 was honoured")
        XCTAssertGreaterThanOrEqual(reqs[3].time + 1.5, Double(reset) ?? 0, "waited for x-ratelimit-reset")
        XCTAssertEqual(reqs[3].uri, reqs[0].uri, "the same page is asked again")
        XCTAssertEqual(h.metrics.counterTotals["github_api_rate_limited"], 2)
        XCTAssertGreaterThanOrEqual(h.metrics.counterTotals["github_api_retries"] ?? 0, 3)
    }

    func testRestartResumesFromTheDeliveredPositionWithoutLossOrDuplicates() throws {
        let api = try FakeGitHubAuditAPI(token: Self.token)
        let t0 = now - 30 * 60 * 1000
        api.add(count: 150, startingAt: t0, prefix: "p")
        let state = tempDir("gh-state")
        let tokenPath = try tokenFile()
        var delivered: [String] = []

        // First run: the first page (100) is delivered, the second (50) reaches the pipeline
        // but no sink acknowledges it before the agent stops.
        do {
            let h = try SourceHarness(try source(api, tokenPath), name: "github_api", stateDir: state)
            h.start()
            let page1 = try XCTUnwrap(h.queue.pop(maxEvents: 100, timeout: 20))
            let page2 = try XCTUnwrap(h.queue.pop(maxEvents: 100, timeout: 20))
            XCTAssertEqual(page1.count, 100)
            XCTAssertEqual(page2.count, 50)
            page1.acknowledge()
            delivered += try ids(page1.events)
            h.stop()
            let saved = try String(contentsOfFile: state + "/checkpoints/github_api.json", encoding: .utf8)
            XCTAssertTrue(saved.contains(#""document_id":"\#(delivered.last!)""#), saved)
        }
        // Meanwhile: new events, and one indexed late with a time before the checkpoint.
        api.add(count: 30, startingAt: t0 + 150_000, prefix: "n")
        api.add(count: 1, startingAt: t0 + 50_500, prefix: "late")

        let h = try SourceHarness(try source(api, tokenPath), name: "github_api", stateDir: state)
        h.start()
        defer { h.stop() }
        let second = try ids(h.collect(81, timeout: 30))
        XCTAssertTrue(h.drain(quiet: 1.5).isEmpty, "nothing more, also across the next polls")
        XCTAssertEqual(second.count, 81)
        XCTAssertTrue(Set(second).isDisjoint(with: delivered), "nothing delivered before the restart comes again")
        let all = Set(delivered + second)
        XCTAssertEqual(all.count, 181, "every event: 150 first, 30 new, 1 late")
        XCTAssertTrue(second.contains { $0.hasPrefix("late") })
    }

    func testAuthErrorsAreReportedAndRetriedLater() throws {
        let api = try FakeGitHubAuditAPI(token: Self.token)
        api.add(count: 3, startingAt: now - 60_000, prefix: "x")
        let wrong = tempDir("gh-wrong") + "/token"
        try "ghp_wrong".write(toFile: wrong, atomically: true, encoding: .utf8)
        let h = try SourceHarness(try source(api, wrong), name: "github_api")
        h.start()
        XCTAssertTrue(waitUntil(timeout: 10) { api.requests.count >= 2 })
        XCTAssertTrue(h.drain(quiet: 0.3).isEmpty)
        XCTAssertGreaterThanOrEqual(h.metrics.counterTotals["github_api_errors"] ?? 0, 1)
        // The token file is re-read: fixing it lets the next poll through.
        try Self.token.write(toFile: wrong, atomically: true, encoding: .utf8)
        XCTAssertEqual(h.collect(3, timeout: 15).count, 3)
        h.stop()
    }

    func testParsingHelpersAndConfiguration() throws {
        XCTAssertEqual(GitHubAuditAPISource.nextLink([#"<https://api.github.com/orgs/acme/audit-log?after=MS42&before=>; rel="next", <https://x/y?before=1>; rel="prev""#]),
                       "https://api.github.com/orgs/acme/audit-log?after=MS42&before=")
        XCTAssertNil(GitHubAuditAPISource.nextLink([#"<https://x/y?before=1>; rel="prev""#]))
        XCTAssertEqual(GitHubAuditAPISource.isoSeconds(millis: 1_763_863_200_999), "2025-11-23T02:00:00+00:00")
        let entries = try XCTUnwrap(GitHubAuditAPISource.splitEntries(Array(#"[{"@timestamp":5,"_document_id":"a","x":{"y":[1]}} , {"created_at":7}]"#.utf8)))
        XCTAssertEqual(entries.map(\.documentID), ["a", nil])
        XCTAssertEqual(entries.map(\.timestamp), [5, 7])
        XCTAssertNil(GitHubAuditAPISource.splitEntries(Array(#"{"message":"x"}"#.utf8)))
        XCTAssertEqual(GitHubAuditAPISource.splitEntries(Array("[]".utf8))?.count, 0)
        XCTAssertEqual(GitHubAuditAPISource.clean("a\u{1B}[31mb\nc"), "a?[31mb?c")

        let bad = try options("org: acme\nenterprise: acme-corp\napi_url: http://github.example.com/api/v3", type: "github_audit_api")
        _ = try GitHubAuditAPISource.make(bad, buildContext())
        let issues = bad.finish().map(\.description).joined(separator: "\n")
        XCTAssertTrue(issues.contains("exactly one of 'org' or 'enterprise'"), issues)
        XCTAssertTrue(issues.contains("api_url must use https"), issues)
        XCTAssertTrue(issues.contains("exactly one of 'token_file' or 'token_env'"), issues)
        let ghes = try options("enterprise: acme-corp\napi_url: https://github.example.com/api/v3/\ntoken_env: GITHUB_AUDIT_TOKEN", type: "github_audit_api")
        let src = try GitHubAuditAPISource.make(ghes, buildContext())
        XCTAssertEqual(ghes.finish().count, 0)
        XCTAssertEqual(src.apiURL + src.path, "https://github.example.com/api/v3/enterprises/acme-corp/audit-log")
    }
}

extension GitHubAuditAPISourceTests {
    /// In a pipeline with stateful stages the poller's position travels with the epochs: what
    /// `barrierPosition()` returned is handed back as `restoredPosition`, and the restarted
    /// poller skips exactly what was emitted before it.
    func testPositionCommittedWithEpochsResumesWithoutDuplicates() throws {
        let api = try FakeGitHubAuditAPI(token: Self.token)
        let t0 = now - 20 * 60 * 1000
        api.add(count: 120, startingAt: t0, prefix: "e")
        let tokenPath = try tokenFile()
        let first = try source(api, tokenPath)
        let h = try SourceHarness(first, name: "github_api")
        h.start()
        XCTAssertEqual(h.collect(120, timeout: 20).count, 120)
        let position = first.barrierPosition()
        h.stop()
        XCTAssertTrue(String(decoding: position, as: UTF8.self).contains(#""recent":[{"#))

        api.add(count: 15, startingAt: t0 + 120_000, prefix: "f")
        let second = try source(api, tokenPath)
        let queue = BoundedQueue(name: "github_api", capacity: 10_000)
        let ctx = SourceContext(name: "github_api", mode: .follow, logger: Logger(label: "test"),
                                metrics: ComponentMetrics(name: "github_api", kind: "source", type: "github_audit_api"),
                                checkpoints: nil, restoredPosition: position, usesEpochs: true, positioned: true,
                                output: Output(lanes: [queue.lane]), reloads: ReloadRegistry(), onDelivered: nil)
        let done = DispatchSemaphore(value: 0)
        Thread { try? second.run(ctx); done.signal() }.start()
        var got: [Event] = []
        let deadline = Date().addingTimeInterval(20)
        while got.count < 15 && Date() < deadline {
            if let b = queue.pop(maxEvents: 100, timeout: 0.2) { got += b.events; b.acknowledge() }
        }
        while let b = queue.pop(maxEvents: 100, timeout: 1.5), b.count > 0 { got += b.events; b.acknowledge() }
        ctx.requestStop()
        XCTAssertEqual(done.wait(timeout: .now() + 20), .success)
        let ids = try self.ids(got)
        XCTAssertEqual(ids.count, 15, "\(ids.prefix(5))")
        XCTAssertTrue(ids.allSatisfy { $0.hasPrefix("f") })
    }
}
