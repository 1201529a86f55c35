import Foundation
import Logging
import SluiceCore
import SluiceTestSupport
import XCTest
@testable import SluiceDetect
@testable import SluiceSink

/// The `detect` transform: options, forwarding, alerts through the Transform protocol, and
/// an alert as the JSON encoder renders it.
final class DetectTransformTests: XCTestCase {
    func make(_ extra: String) throws -> (DetectTransform, URL) {
        let dir = makeTempDir("detect")
        try ET.cloneRules.write(to: dir.appendingPathComponent("pack.yml"), atomically: true, encoding: .utf8)
        let yaml = "rules: [\(dir.path)]\nallowed_lateness: 30s\n" + extra
        let node = try ConfigNode.load(yaml: yaml, file: dir.appendingPathComponent("pipeline.yaml").path)
        let o = ComponentOptions(component: "detect", node: node)
        let t = try DetectTransform.make(o, BuildContext(name: "detect", mode: .toEnd, dataDir: nil, logger: Logger(label: "t"), registry: ComponentRegistry()))
        XCTAssertEqual(o.finish(), [])
        return (t, dir)
    }

    func testForwardsEventsAndAppendsAlerts() throws {
        let (t, dir) = try make("")
        defer { try? FileManager.default.removeItem(at: dir) }
        XCTAssertEqual(t.engine.options.allowedLateness, 30 * ET.s)
        XCTAssertEqual(t.engine.options.evidenceBufferBytes, 256 << 20)
        var out: [Event] = []
        var dead: [DeadLetter] = []
        let events = (0..<12).map { ET.clone("a/\($0)", at: ET.t0 + Int64($0) * ET.s) }
        t.process(events, into: &out, failures: &dead)
        XCTAssertEqual(out.count, 12, "normalized events forwarded; the alert waits for the lateness")
        t.tick(StageTime(wallClock: Timestamp.now(), eventTime: ET.t0 + 12 * ET.s, final: true), into: &out)
        XCTAssertEqual(out.count, 13)
        let alert = try XCTUnwrap(out.last)
        var bytes: [UInt8] = []
        JSONLineEncoder().encode(alert, into: &bytes)
        let o = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
        XCTAssertEqual((o["event"] as? [String: Any])?["kind"] as? String, "alert")
        XCTAssertEqual((o["rule"] as? [String: Any])?["name"] as? String, "github_pat_mass_clone")
        XCTAssertEqual(o["severity"] as? String, "medium")
        XCTAssertEqual((o["group"] as? [String: Any])?["actor"] as? String, "mallory")
        XCTAssertEqual(((o["related"] as? [String: Any])?["user"] as? [String]), ["mallory"])
        XCTAssertEqual((o["evidence"] as? [[String: Any]])?.count, 10)
        XCTAssertEqual(((o["threat"] as? [String: Any])?["technique"] as? [String: Any])?["id"] as? [String], ["T1567.001", "T1213.003"])
        XCTAssertEqual((o["details"] as? [String: Any])?["distinct_repos"] as? Int, 10)
    }

    func testForwardEventsOffAndBadOptions() throws {
        let (t, dir) = try make("forward_events: false\nevidence_buffer_bytes: 64MiB\n")
        defer { try? FileManager.default.removeItem(at: dir) }
        XCTAssertEqual(t.engine.options.evidenceBufferBytes, 64 << 20)
        var out: [Event] = []
        var dead: [DeadLetter] = []
        t.process([ET.clone("a/1", at: ET.t0)], into: &out, failures: &dead)
        XCTAssertEqual(out.count, 0)
        let node = try ConfigNode.load(yaml: "rules: [/nonexistent/rules]\nevidence_limt: 3\n", file: "p.yaml")
        let o = ComponentOptions(component: "detect", node: node)
        _ = try DetectTransform.make(o, BuildContext(name: "d", mode: .toEnd, dataDir: nil, logger: Logger(label: "t"), registry: ComponentRegistry()))
        let issues = o.finish().map(\.message)
        XCTAssertTrue(issues.contains { $0.contains("no rule could be loaded") }, "\(issues)")
        XCTAssertTrue(issues.contains { $0.contains("unknown option 'evidence_limt'") }, "\(issues)")
    }

    func testEventTimeFromTheRuntimeReleasesAndSnapshotRoundTrips() throws {
        let (t, dir) = try make("")
        defer { try? FileManager.default.removeItem(at: dir) }
        var out: [Event] = []
        var dead: [DeadLetter] = []
        t.process((0..<10).map { ET.clone("a/\($0)", at: ET.t0 + Int64($0) * ET.s) }, into: &out, failures: &dead)
        let snap = try t.snapshot()
        t.tick(StageTime(wallClock: 0, eventTime: ET.t0 + 5 * ET.m), into: &out)
        XCTAssertEqual(out.filter { $0.alert != nil }.count, 1)
        let (t2, dir2) = try make("")
        defer { try? FileManager.default.removeItem(at: dir2) }
        try t2.restore(snap)
        var out2: [Event] = []
        t2.tick(StageTime(wallClock: 0, eventTime: ET.t0 + 5 * ET.m), into: &out2)
        XCTAssertEqual(out2.map { $0.alert!.id }, out.filter { $0.alert != nil }.map { $0.alert!.id })
        try t2.restore(Array("garbage".utf8))   // logged and ignored
    }

    func testRegisteredAsDetect() {
        XCTAssertNotNil(DetectComponents.registry.transforms["detect"])
    }
}
