#if canImport(Glibc)
import Glibc
#endif
import Foundation
import SluiceTestSupport
import XCTest
@testable import SluiceCore

final class HealthReportTests: XCTestCase {
    /// A HEC source, a parse transform blocked on backpressure, and a sink doing `sink` with
    /// `failures` deliveries in a row failed.
    func pipeline(sink: ComponentActivity, failures: Int = 0, state: ComponentState = .running) -> PipelineStatus {
        PipelineStatus(components: [
            componentStatus("github_hec", kind: "source", type: "splunk_hec", eventsOut: 120),
            componentStatus("parse_github", activity: .blocked, eventsIn: 120, eventsOut: 118, failed: 2,
                            queueDepth: 16384, queueCapacity: 16384),
            componentStatus("siem \"prod\"", kind: "sink", type: "syslog", state: state, activity: sink, eventsIn: 100, eventsOut: 90,
                            queueDepth: 16384, queueCapacity: 16384, consecutiveFailures: failures,
                            lastError: failures > 0 ? "connect: Connection refused (127.0.0.1:6514)" : nil),
        ], alerts: 4, uptimeSeconds: 3600)
    }

    /// GET over a plain socket; returns (status code, headers, body).
    func get(port: Int, path: String) throws -> (Int, String, String) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        let rc = Loopback.withSockaddr(Loopback.address(port: port)) { connect(fd, $0, $1) }
        guard rc == 0 else { throw NSError(domain: "connect", code: Int(errno)) }
        let req = "GET \(path) HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
        _ = req.withCString { send(fd, $0, strlen($0), 0) }
        var data: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            data += buf[0..<n]
        }
        let text = String(decoding: data, as: UTF8.self)
        guard let split = text.range(of: "\r\n\r\n") else { return (0, text, "") }
        let head = String(text[..<split.lowerBound])
        let code = Int(head.split(separator: " ")[1]) ?? 0
        return (code, head, String(text[split.upperBound...]))
    }

    func testStatesAndThreshold() {
        let r = HealthReport(sinkFailureThreshold: 10)
        XCTAssertEqual(r.overall(pipeline(sink: .active)), .degraded, "a blocked transform is worth knowing")
        XCTAssertEqual(r.overall(PipelineStatus(components: [componentStatus("a", kind: "sink", type: "file", activity: .idle)])), .ok)
        XCTAssertEqual(r.overall(pipeline(sink: .backingOff, failures: 9)), .degraded)
        XCTAssertEqual(r.overall(pipeline(sink: .backingOff, failures: 10)), .unhealthy)
        XCTAssertEqual(r.overall(pipeline(sink: .idle, state: .failed)), .unhealthy)
        XCTAssertEqual(r.health(pipeline(sink: .backingOff, failures: 11).components[2]), "failing")
        XCTAssertEqual(r.health(pipeline(sink: .backingOff, failures: 1).components[2]), "backing_off")
        XCTAssertEqual(r.health(pipeline(sink: .idle, state: .draining).components[2]), "draining")
        XCTAssertEqual(r.render(pipeline(sink: .backingOff, failures: 12)).status, 503)
        XCTAssertEqual(r.render(pipeline(sink: .backingOff, failures: 3)).status, 200)
    }

    func testJSONIsEscapedAndReadsBack() throws {
        let (_, body) = HealthReport().render(pipeline(sink: .backingOff, failures: 15))
        let text = String(decoding: body, as: UTF8.self)
        XCTAssertTrue(text.hasPrefix(#"{"status":"unhealthy","uptime_seconds":3600,"alerts":4,"sink_failure_threshold":10,"components":[{"name":"github_hec","kind":"source","type":"splunk_hec","health":"running","state":"running","activity":"active","events_in":0,"events_out":120"#), text)
        XCTAssertTrue(text.contains(#""name":"siem \"prod\"","kind":"sink","type":"syslog","health":"failing","state":"running","activity":"backing_off""#), text)
        XCTAssertTrue(text.contains(#""consecutive_failures":15,"last_error":"connect: Connection refused (127.0.0.1:6514)"}"#), text)
        let json = try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any]
        XCTAssertEqual((json?["components"] as? [Any])?.count, 3)
        let back = HealthReport.parseComponents(body)
        XCTAssertEqual(back.map(\.name), ["github_hec", "parse_github", "siem \"prod\""])
        XCTAssertEqual(back.map(\.health), ["running", "blocked", "failing"])
        XCTAssertEqual(back[1].queueCapacity, 16384)
        XCTAssertEqual(HealthReport.parseComponents(Array("ok\n".utf8)), [])
    }

    func testMetricsServerServesHealthJSONAndMetrics() throws {
        SluiceMetrics.bootstrap()
        let box = Guarded(pipeline(sink: .active))
        let server = MetricsServer(report: HealthReport(sinkFailureThreshold: 5)) { box.value }
        try server.start(address: "127.0.0.1:0")
        defer { server.stop() }
        let port = try XCTUnwrap(server.boundPort)
        let (code, head, body) = try get(port: port, path: "/health")
        XCTAssertEqual(code, 200)
        XCTAssertTrue(head.lowercased().contains("content-type: application/json"), head)
        XCTAssertTrue(body.hasPrefix(#"{"status":"degraded""#), body)
        box.withLock { $0 = pipeline(sink: .backingOff, failures: 5) }
        let (code2, _, body2) = try get(port: port, path: "/health")
        XCTAssertEqual(code2, 503)
        XCTAssertTrue(body2.hasPrefix(#"{"status":"unhealthy""#), body2)
        ComponentMetrics(name: "health_test", kind: "sink", type: "file").recordOut(3)
        let (code3, _, metrics) = try get(port: port, path: "/metrics")
        XCTAssertEqual(code3, 200)
        XCTAssertTrue(metrics.contains(#"sluice_component_sent_events_total{component="health_test""#), metrics)
        // The plain form still answers text.
        let plain = MetricsServer(healthy: { false })
        try plain.start(address: "127.0.0.1:0")
        defer { plain.stop() }
        let (code4, _, body4) = try get(port: try XCTUnwrap(plain.boundPort), path: "/health")
        XCTAssertEqual(code4, 503)
        XCTAssertEqual(body4, "unhealthy\n")
    }
}
