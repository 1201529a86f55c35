import Foundation
import SluiceCore
import XCTest
@testable import SluiceSink

final class JSONLineEncoderTests: XCTestCase {
    func json(_ e: Event, _ enc: EventEncoder) throws -> [String: Any] {
        var out: [UInt8] = []
        enc.encode(e, into: &out)
        XCTAssertFalse(out.contains(0x0A))
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(out)) as? [String: Any])
    }

    func testAlertCarriesDesignFields() throws {
        let o = try json(TestSupport.cloneAlert(repos: ["acme/api", "acme/web"]), JSONLineEncoder())
        XCTAssertEqual((o["event"] as? [String: Any])?["kind"] as? String, "alert")
        let rule = try XCTUnwrap(o["rule"] as? [String: Any])
        XCTAssertEqual(rule["id"] as? String, "sluice-github-mass-clone-pat")
        XCTAssertEqual(rule["name"] as? String, "Mass cloning of repositories with a personal access token")
        XCTAssertEqual(o["severity"] as? String, "high")
        let threat = try XCTUnwrap(o["threat"] as? [String: Any])
        XCTAssertEqual((threat["tactic"] as? [String: Any])?["id"] as? [String], ["TA0010"])
        XCTAssertEqual((threat["technique"] as? [String: Any])?["id"] as? [String], ["T1567.001"])
        XCTAssertEqual((o["group"] as? [String: Any])?["user.name"] as? String, "mallory")
        XCTAssertEqual(o["count"] as? Int, 2)
        XCTAssertEqual(o["first_seen"] as? String, "2026-11-23T00:57:03.456Z")
        XCTAssertEqual(o["last_seen"] as? String, "2026-11-23T01:02:03.456Z")
        XCTAssertEqual((o["enrichment"] as? [String: Any])?["threat.indicator.ip"] as? String, "203.0.113.7")
        XCTAssertEqual((o["details"] as? [String: Any])?["distinct_repos"] as? Int, 2)
        let evidence = try XCTUnwrap(o["evidence"] as? [[String: Any]])
        XCTAssertEqual(evidence.count, 2)
        XCTAssertEqual((evidence[0]["github"] as? [String: Any])?["repo"] as? String, "acme/api")
    }

    func testHostileValuesRoundTripAndOriginalWithInvalidUTF8() throws {
        var e = TestSupport.cloneEvent(repo: TestSupport.hostileRepo, user: TestSupport.hostileUser, userAgent: TestSupport.hostileAgent)
        e.original = ArraySlice([0x7B, 0xFF, 0x0A, 0x7D])
        let o = try json(e, JSONLineEncoder())
        XCTAssertEqual((o["github"] as? [String: Any])?["repo"] as? String, TestSupport.hostileRepo)
        XCTAssertEqual((o["user"] as? [String: Any])?["name"] as? String, TestSupport.hostileUser)
        XCTAssertEqual((o["user_agent"] as? [String: Any])?["original"] as? String, TestSupport.hostileAgent)
        XCTAssertEqual((o["event"] as? [String: Any])?["original"] as? String, "{\u{FFFD}\n}")
    }
}
