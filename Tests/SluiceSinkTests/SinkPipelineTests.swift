import Foundation
import SluiceCore
import SluiceTestSupport
import XCTest
@testable import SluiceSink

/// A source that emits prepared events once (for pipeline tests).
final class PreparedSource: Source {
    let events: [Event]
    let acked: ManagedCounter
    init(events: [Event], acked: ManagedCounter) { self.events = events; self.acked = acked }
    func run(_ context: SourceContext) throws {
        let counter = acked
        context.emit(EventBatch(events: events, acks: [Acknowledgement { counter.increment() }]))
    }
}

/// The whole runtime: a source, an HTTP sink whose receiver refuses one `_bulk` item, and
/// the dead-letter sink that must get that item with the receiver's reason.
final class SinkPipelineTests: XCTestCase {
    func testRefusedItemsReachTheDeadLetterSinkThroughTheRuntime() throws {
        let server = try TestHTTPServer { req, _ in
            let n = req.text.split(separator: "\n").count / 2
            var items = (0..<n).map { _ in #"{"create":{"status":201}}"# }
            items[1] = #"{"create":{"status":400,"error":{"type":"mapper_parsing_exception","reason":"failed to parse [source.ip]"}}}"#
            return .init(body: "{\"took\":1,\"errors\":true,\"items\":[\(items.joined(separator: ","))]}")
        }
        defer { server.stop() }
        let dir = tempDir("pipeline")
        let yaml = """
        data_dir: \(dir)
        sources:
          alerts:
            type: prepared
        sinks:
          elastic:
            type: http
            inputs: [alerts]
            preset: elasticsearch
            endpoint: http://127.0.0.1:\(server.port)
            index: sluice-alerts
          failures:
            type: dead_letter
            path: \(dir)/dead.ndjson
        """
        let acked = ManagedCounter()
        let events = (0..<3).map { TestSupport.cloneAlert(repos: ["acme/r\($0)"], id: "alert-\($0)") }
        var registry = SinkComponents.registry
        registry.sources["prepared"] = { _, _ in PreparedSource(events: events, acked: acked) }
        let cfg = try PipelineConfig.parse(yaml, file: "p.yaml")
        let topo = try Topology(config: cfg, registry: registry, mode: .toEnd, logger: TestSupport.logger)
        try topo.start()
        XCTAssertTrue(topo.wait(timeout: 20))
        XCTAssertEqual(acked.value, 1)
        let dead = try String(contentsOfFile: dir + "/dead.ndjson", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(dead.count, 1)
        let o = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(dead[0].utf8)) as? [String: Any])
        XCTAssertEqual((o["error"] as? [String: Any])?["type"] as? String, "sink_rejected")
        XCTAssertTrue(((o["error"] as? [String: Any])?["message"] as? String ?? "").contains("mapper_parsing_exception"))
        XCTAssertEqual((o["sluice"] as? [String: Any])?["component"] as? String, "elastic")
        XCTAssertTrue(((o["event"] as? [String: Any])?["original"] as? String ?? "").contains("alert-1"))
    }
}
