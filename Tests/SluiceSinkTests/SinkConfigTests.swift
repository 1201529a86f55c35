import Foundation
import SluiceCore
import XCTest
@testable import SluiceSink

/// Sink options as `sluice validate` sees them: typos and bad values are errors with a place.
final class SinkConfigTests: XCTestCase {
    func issues(_ sinkYAML: String, dataDir: String? = "/tmp/sluice-config-test") throws -> [String] {
        var yaml = "sources:\n  in:\n    type: stdin\nsinks:\n  out:\n    inputs: [in]\n"
        yaml += sinkYAML.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n") + "\n"
        let cfg = try PipelineConfig.parse(yaml, file: "p.yaml", environment: [:])
        let c = cfg.sinks[0]
        let ctx = BuildContext(name: "out", mode: .follow, dataDir: dataDir, logger: TestSupport.logger, registry: SinkComponents.registry)
        let sink = try SinkComponents.registry.sinks[c.type]!(c.options, ctx)
        let found = c.options.finish().map { $0.description }
        sink.close()
        return found
    }

    func testValidSyslogAndHTTPConfigurations() throws {
        XCTAssertEqual(try issues("""
        type: syslog
        address: siem.example.com:6514
        mode: tls
        header: rfc3164
        framing: newline
        facility: local7
        tls: {verify: true, verify_hostname: true, server_name: siem.example.com}
        batch: {max_events: 100, max_bytes: 64KiB, timeout: 500ms}
        buffer: {type: disk, max_bytes: 10MiB, when_full: drop_newest, max_events: 1000}
        retry: {initial_backoff: 100ms, max_backoff: 10s}
        """), [])
    }

    func testTyposAndBadValuesAreReported() throws {
        let found = try issues("""
        type: syslog
        address: siem.example.com
        mode: tcpp
        batch: {max_event: 10}
        buffer: {type: disk, max_byte: 1MiB}
        """)
        let text = found.joined(separator: "\n")
        XCTAssertTrue(text.contains("host:port"), text)
        XCTAssertTrue(text.contains("mode"), text)
        XCTAssertTrue(text.contains("max_event"), text)
        XCTAssertTrue(text.contains("max_byte"), text)
        XCTAssertTrue(text.contains("p.yaml:"), text)
    }

    func testDiskBufferNeedsDataDirAndHECNeedsToken() throws {
        let found = try issues("""
        type: http
        preset: splunk_hec
        endpoint: https://splunk.example.com:8088
        buffer: {type: disk}
        """, dataDir: nil)
        let text = found.joined(separator: "\n")
        XCTAssertTrue(text.contains("data_dir"), text)
        XCTAssertTrue(text.contains("token"), text)
    }
}
