import Foundation
import SluiceCore
import XCTest
@testable import SluiceSink

/// An escalation alert names the alert it escalates in every encoding.
final class AlertEscalatesEncodingTests: XCTestCase {
    func escalation() -> Event {
        let a = Alert(id: "b2", ruleID: "r", ruleName: "github_pat_mass_clone", severity: .critical, count: 50,
                      firstSeen: TestSupport.t0 - 1, lastSeen: TestSupport.t0, escalates: "a1")
        var e = Event(timestamp: TestSupport.t0)
        e.alert = a
        return e
    }

    func testJSONCEFAndOCSFCarryEscalates() throws {
        var out: [UInt8] = []
        JSONLineEncoder().encode(escalation(), into: &out)
        let o = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(out)) as? [String: Any])
        XCTAssertEqual(o["escalates"] as? String, "a1")
        out = []
        CEFEncoder().encode(escalation(), into: &out)
        let cef = try XCTUnwrap(CEFRecord(String(decoding: out, as: UTF8.self)))
        XCTAssertEqual(cef.ext["flexString1"], "a1")
        XCTAssertEqual(cef.ext["flexString1Label"], "escalates")
        out = []
        OCSFEncoder().encode(escalation(), into: &out)
        let ocsf = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(out)) as? [String: Any])
        let fi = try XCTUnwrap(ocsf["finding_info"] as? [String: Any])
        XCTAssertEqual((fi["related_events"] as? [[String: Any]])?.first?["uid"] as? String, "a1")
        // A first alert has none.
        out = []
        JSONLineEncoder().encode(TestSupport.cloneAlert(repos: ["a/b"]), into: &out)
        XCTAssertNil(try XCTUnwrap(JSONSerialization.jsonObject(with: Data(out)) as? [String: Any])["escalates"])
    }
}
