import Foundation
import SluiceCore
import XCTest
@testable import SluiceSink

/// `OCSFEncoder`: Detection Findings for alerts, Base Events for the rest, single-line
/// JSON whatever the values hold.
final class OCSFEncoderTests: XCTestCase {
    func testDetectionFinding() throws {
        var out: [UInt8] = []
        OCSFEncoder().encode(TestSupport.cloneAlert(repos: ["acme/api", "acme/web"], severity: .critical), into: &out)
        XCTAssertFalse(out.contains(0x0A))
        let o = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(out)) as? [String: Any])
        XCTAssertEqual(o["class_uid"] as? Int, 2004)
        XCTAssertEqual(o["category_uid"] as? Int, 2)
        XCTAssertEqual(o["activity_id"] as? Int, 1)
        XCTAssertEqual(o["type_uid"] as? Int, 200401)
        XCTAssertEqual(o["severity_id"] as? Int, 5)
        XCTAssertEqual(o["status_id"] as? Int, 1)
        XCTAssertEqual(o["time"] as? Int, Int(TestSupport.t0 / 1_000_000))
        let fi = try XCTUnwrap(o["finding_info"] as? [String: Any])
        XCTAssertEqual(fi["uid"] as? String, "a-1")
        XCTAssertEqual(fi["title"] as? String, "Mass cloning of repositories with a personal access token")
        XCTAssertEqual(fi["first_seen_time"] as? Int, Int((TestSupport.t0 - 300_000_000_000) / 1_000_000))
        let an = try XCTUnwrap(fi["analytic"] as? [String: Any])
        XCTAssertEqual(an["uid"] as? String, "sluice-github-mass-clone-pat")
        XCTAssertEqual(an["type_id"] as? Int, 1)
        let md = try XCTUnwrap(o["metadata"] as? [String: Any])
        XCTAssertEqual(md["version"] as? String, "1.1.0")
        XCTAssertEqual((md["product"] as? [String: Any])?["name"] as? String, "Sluice")
        let attacks = try XCTUnwrap(o["attacks"] as? [[String: Any]])
        XCTAssertEqual((attacks[0]["tactic"] as? [String: Any])?["uid"] as? String, "TA0010")
        XCTAssertEqual((attacks[0]["technique"] as? [String: Any])?["uid"] as? String, "T1567.001")
        let obs = try XCTUnwrap(o["observables"] as? [[String: Any]])
        XCTAssertTrue(obs.contains { $0["type_id"] as? Int == 4 && $0["value"] as? String == "mallory" })
        XCTAssertTrue(obs.contains { $0["type_id"] as? Int == 2 && $0["value"] as? String == "203.0.113.7" })
        let ev = try XCTUnwrap(o["evidences"] as? [[String: Any]])
        XCTAssertEqual(ev.count, 2)
        XCTAssertEqual(((ev[0]["actor"] as? [String: Any])?["user"] as? [String: Any])?["name"] as? String, "mallory")
        XCTAssertEqual(((ev[0]["data"] as? [String: Any])?["github"] as? [String: Any])?["repo"] as? String, "acme/api")
    }

    func testSeverityIDs() {
        XCTAssertEqual(Severity.allCases.map(OCSFEncoder.severityID), [1, 2, 3, 4, 5])
    }

    func testPlainEventIsBaseEvent() throws {
        var out: [UInt8] = []
        OCSFEncoder().encode(TestSupport.cloneEvent(repo: "acme/api"), into: &out)
        let o = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(out)) as? [String: Any])
        XCTAssertEqual(o["class_uid"] as? Int, 0)
        XCTAssertEqual(((o["unmapped"] as? [String: Any])?["github"] as? [String: Any])?["repo"] as? String, "acme/api")
    }

    func testEscalationNamesTheFindingItSupersedes() throws {
        let a = Alert(id: "b2", ruleID: "sluice-github-mass-clone-pat", ruleName: "github_pat_mass_clone", severity: .critical,
                      count: 50, firstSeen: TestSupport.t0 - 1, lastSeen: TestSupport.t0, escalates: "a1")
        var e = Event(timestamp: TestSupport.t0)
        e.alert = a
        let fi = try XCTUnwrap(Self.object(e)["finding_info"] as? [String: Any])
        XCTAssertEqual((fi["related_events"] as? [[String: Any]])?.map { $0["uid"] as? String }, ["a1"])
        XCTAssertNil(try XCTUnwrap(Self.object(TestSupport.cloneAlert(repos: ["acme/api"]))["finding_info"] as? [String: Any])["related_events"])
    }

    /// Without a description the rule name is the message and `desc` is left out; without
    /// an event time the alert's last-seen time is the finding's time.
    func testMessageAndTimeFallBacks() throws {
        let a = Alert(id: "c3", ruleID: "r-9", ruleName: "Archive of a repository downloaded", severity: .low, count: 1,
                      firstSeen: TestSupport.t0 - 5_000_000_000, lastSeen: TestSupport.t0)
        var e = Event(timestamp: 0)
        e.alert = a
        let o = try Self.object(e)
        XCTAssertEqual(o["message"] as? String, "Archive of a repository downloaded")
        XCTAssertEqual(o["time"] as? Int, Int(TestSupport.t0 / 1_000_000))
        XCTAssertEqual(o["severity"] as? String, "Low")
        XCTAssertEqual(o["severity_id"] as? Int, 2)
        let fi = try XCTUnwrap(o["finding_info"] as? [String: Any])
        XCTAssertNil(fi["desc"])
        XCTAssertEqual(fi["first_seen_time"] as? Int, Int((TestSupport.t0 - 5_000_000_000) / 1_000_000))
        XCTAssertNil(o["attacks"], "no ATT&CK ids, no attacks")
        XCTAssertNil(o["observables"])
        XCTAssertNil(o["evidences"])
        XCTAssertNil(o["unmapped"])
    }

    /// Every technique is paired with the rule's (first) tactic; a tactic alone still gives
    /// one attack.
    func testAttacks() throws {
        func attacks(tactics: [String], techniques: [String]) throws -> [[String: Any]] {
            let a = Alert(id: "d4", ruleID: "r", ruleName: "n", severity: .medium, tacticIDs: tactics, techniqueIDs: techniques,
                          count: 1, firstSeen: 0, lastSeen: TestSupport.t0)
            var e = Event(timestamp: TestSupport.t0)
            e.alert = a
            return try XCTUnwrap(Self.object(e)["attacks"] as? [[String: Any]])
        }
        let both = try attacks(tactics: ["TA0010", "TA0009"], techniques: ["T1567.001", "T1213.003"])
        XCTAssertEqual(both.map { ($0["technique"] as? [String: Any])?["uid"] as? String }, ["T1567.001", "T1213.003"])
        XCTAssertEqual(both.map { ($0["tactic"] as? [String: Any])?["uid"] as? String }, ["TA0010", "TA0010"])
        XCTAssertEqual(both.map { $0["version"] as? String }, ["15", "15"])
        let tacticOnly = try attacks(tactics: ["TA0010"], techniques: [])
        XCTAssertEqual(tacticOnly.count, 1)
        XCTAssertNil(tacticOnly[0]["technique"])
        let techniqueOnly = try attacks(tactics: [], techniques: ["T1567.001"])
        XCTAssertNil(techniqueOnly[0]["tactic"])
        XCTAssertEqual((techniqueOnly[0]["technique"] as? [String: Any])?["uid"] as? String, "T1567.001")
    }

    func testObservableTypes() {
        let cases: [(String, Int64)] = [
            ("source.ip", 2), ("threat.indicator.ip", 2), ("user.name", 4), ("host.name", 1), ("destination.domain", 1),
            ("url.full", 6), ("user_agent.original", 16), ("process.name", 9), ("file.path", 7), ("github.repo", 99),
        ]
        for (path, id) in cases { XCTAssertEqual(OCSFEncoder.observableType(path).0, id, path) }
    }

    /// Enrichment values are observables and `enrichments`; group and details go to `unmapped`.
    func testEnrichmentsAndUnmapped() throws {
        let o = try Self.object(TestSupport.cloneAlert(repos: ["acme/api", "acme/web", "acme/infra"]))
        let enr = try XCTUnwrap(o["enrichments"] as? [[String: Any]])
        XCTAssertEqual(enr.map { $0["name"] as? String }, ["threat.indicator.ip"])
        XCTAssertEqual(enr.first?["value"] as? String, "203.0.113.7")
        let obs = try XCTUnwrap(o["observables"] as? [[String: Any]])
        XCTAssertEqual(obs.map { $0["name"] as? String }, ["user.name", "threat.indicator.ip"])
        let unmapped = try XCTUnwrap(o["unmapped"] as? [String: Any])
        XCTAssertNotNil(unmapped["group"], "\(unmapped)")
        XCTAssertEqual(o["count"] as? Int, 3)
    }

    /// Attacker-controlled text (repository, user, user agent, URL) stays inside its JSON
    /// strings: one line, valid JSON, values read back unchanged.
    func testHostileValuesStayInsideStrings() throws {
        let alert = TestSupport.cloneAlert(repos: [TestSupport.hostileRepo], user: TestSupport.hostileUser,
                                           userAgent: TestSupport.hostileAgent, url: TestSupport.hostileURL)
        var out: [UInt8] = []
        OCSFEncoder().encode(alert, into: &out)
        XCTAssertFalse(out.contains(0x0A) || out.contains(0x0D), "one line")
        let o = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(out)) as? [String: Any])
        let ev = try XCTUnwrap(o["evidences"] as? [[String: Any]])
        XCTAssertEqual(((ev[0]["actor"] as? [String: Any])?["user"] as? [String: Any])?["name"] as? String, TestSupport.hostileUser)
        XCTAssertEqual((ev[0]["url"] as? [String: Any])?["url_string"] as? String, TestSupport.hostileURL)
        XCTAssertEqual(((ev[0]["data"] as? [String: Any])?["github"] as? [String: Any])?["repo"] as? String, TestSupport.hostileRepo)
        let obs = try XCTUnwrap(o["observables"] as? [[String: Any]])
        XCTAssertEqual(obs.first?["value"] as? String, TestSupport.hostileUser)
    }

    /// A plain event: a Base Event with its severity clamped to OCSF's 0...6, its message,
    /// and product metadata without a version.
    func testBaseEventSeverityMessageAndMetadata() throws {
        for (given, expected) in [(Int64(3), 3), (9, 6), (-2, 0)] {
            var e = TestSupport.cloneEvent(repo: "acme/api")
            e.append(ECS.eventSeverity, .int(given))
            e.append(ECS.message, .string("git.clone of acme/api"))
            let o = try Self.object(e)
            XCTAssertEqual(o["severity_id"] as? Int, expected, "event.severity \(given)")
            XCTAssertEqual(o["message"] as? String, "git.clone of acme/api")
            XCTAssertEqual(o["time"] as? Int, Int(TestSupport.t0 / 1_000_000))
            let product = try XCTUnwrap((o["metadata"] as? [String: Any])?["product"] as? [String: Any])
            XCTAssertEqual(product["name"] as? String, "Sluice")
            XCTAssertNil(product["version"])
        }
        XCTAssertEqual(try Self.object(TestSupport.cloneEvent(repo: "acme/api"))["severity_id"] as? Int, 0)
    }

    /// Records are appended: the encoder never clears what the buffer holds.
    func testAppendsToTheBuffer() throws {
        var out = Array("prefix ".utf8)
        OCSFEncoder().encode(TestSupport.cloneEvent(repo: "acme/api"), into: &out)
        XCTAssertEqual(Array(out.prefix(7)), Array("prefix ".utf8))
        XCTAssertNotNil(try JSONSerialization.jsonObject(with: Data(out.dropFirst(7))))
    }

    static func object(_ e: Event) throws -> [String: Any] {
        var out: [UInt8] = []
        OCSFEncoder().encode(e, into: &out)
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(out)) as? [String: Any], String(decoding: out, as: UTF8.self))
    }
}
