import Foundation
import Logging
import NIOSSL
import SluiceCore
import SluiceTestSupport
import XCTest
@testable import SluiceSink

/// The HTTP sink against a real HTTP server on loopback speaking HEC and `_bulk`.
final class HTTPSinkTests: XCTestCase {
    /// Builds the sink from pipeline YAML, as `sluice run` would.
    func makeSink(_ sinkYAML: String, dataDir: String? = nil) throws -> DeliverySink {
        var yaml = "sources:\n  in:\n    type: stdin\nsinks:\n  out:\n    inputs: [in]\n"
        yaml += sinkYAML.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n") + "\n"
        if let dataDir { yaml = "data_dir: \(dataDir)\n" + yaml }
        let cfg = try PipelineConfig.parse(yaml, file: "test.yaml", environment: ["HEC_TOKEN": "0b7e2c1a-1111-4c2d-9e7f-abcdef012345"])
        let c = cfg.sinks[0]
        let ctx = BuildContext(name: "out", mode: .follow, dataDir: dataDir, logger: TestSupport.logger, registry: SinkComponents.registry)
        let sink = try HTTPSink.make(c.options, ctx)
        let issues = c.options.finish()
        XCTAssertTrue(issues.isEmpty, "\(issues)")
        return try XCTUnwrap(sink as? DeliverySink)
    }

    func alerts(_ n: Int) -> [Event] {
        (0..<n).map { TestSupport.cloneAlert(repos: ["acme/r\($0)"], user: "user\($0)", id: "alert-\($0)") }
    }

    func jsonObjects(_ text: String) -> [[String: Any]] {
        text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    func testSplunkHECBatchesWithTokenAndEnvelope() throws {
        let server = try TestHTTPServer { _, _ in .init(body: #"{"text":"Success","code":0}"#) }
        defer { server.stop() }
        let sink = try makeSink("""
        type: http
        preset: splunk_hec
        endpoint: http://127.0.0.1:\(server.port)
        token: ${HEC_TOKEN}
        sourcetype: sluice:alert
        index: security
        batch: {max_events: 10, timeout: 1s}
        """)
        let acked = ManagedCounter()
        try sink.write(EventBatch(events: alerts(25), acks: [Acknowledgement { acked.increment() }]))
        try sink.flush()
        XCTAssertEqual(acked.value, 1)
        let reqs = server.requests
        XCTAssertEqual(reqs.count, 3)
        XCTAssertEqual(reqs[0].uri, "/services/collector/event")
        XCTAssertEqual(reqs[0].headers.first(name: "Authorization"), "Splunk 0b7e2c1a-1111-4c2d-9e7f-abcdef012345")
        let objs = reqs.flatMap { jsonObjects($0.text) }
        XCTAssertEqual(objs.count, 25)
        XCTAssertEqual(objs[0]["sourcetype"] as? String, "sluice:alert")
        XCTAssertEqual(objs[0]["index"] as? String, "security")
        XCTAssertEqual(objs[0]["time"] as? Double, Double(TestSupport.t0 / 1_000_000) / 1000)
        let ev = try XCTUnwrap(objs[24]["event"] as? [String: Any])
        XCTAssertEqual((ev["rule"] as? [String: Any])?["id"] as? String, "sluice-github-mass-clone-pat")
        XCTAssertEqual((ev["event"] as? [String: Any])?["id"] as? String, "alert-24")
        XCTAssertEqual(sink.stats.deliveredCount, 25)
        sink.close()
    }

    func testHECIndexerAcknowledgement() throws {
        let server = try TestHTTPServer { req, n in
            if req.uri.hasPrefix("/services/collector/ack") {
                // Not indexed on the first query, indexed on the second.
                let done = n >= 2
                return .init(body: "{\"acks\":{\"7\":\(done)}}")
            }
            return .init(body: #"{"text":"Success","code":0,"ackId":7}"#)
        }
        defer { server.stop() }
        let sink = try makeSink("""
        type: http
        preset: splunk_hec
        endpoint: http://127.0.0.1:\(server.port)/
        token: ${HEC_TOKEN}
        acknowledgements: true
        ack_interval: 100ms
        ack_timeout: 5s
        """)
        try sink.write(EventBatch(events: alerts(3)))
        try sink.flush()
        let reqs = server.requests
        XCTAssertEqual(reqs.map(\.uri), ["/services/collector/event", "/services/collector/ack", "/services/collector/ack"])
        let channel = reqs[0].headers.first(name: "X-Splunk-Request-Channel")
        XCTAssertNotNil(channel)
        XCTAssertEqual(reqs[1].headers.first(name: "X-Splunk-Request-Channel"), channel)
        XCTAssertEqual(reqs[1].text, #"{"acks":[7]}"#)
        XCTAssertEqual(sink.stats.deliveredCount, 3)
        sink.close()
    }

    /// A HEC receiver that hands out ackId 7 and never reports it indexed; `delay(n)` slows
    /// its n-th answer.
    func neverIndexingHEC(delay: @escaping @Sendable (Int) -> Double = { _ in 0 }) throws -> TestHTTPServer {
        try TestHTTPServer { req, n in
            if req.uri.hasPrefix("/services/collector/ack") { return .init(body: #"{"acks":{"7":false}}"#, delay: delay(n)) }
            return .init(body: #"{"text":"Success","code":0,"ackId":7}"#, delay: delay(n))
        }
    }

    /// A HEC sink with acknowledgements that polls every `interval` and waits ten minutes.
    func ackingSink(port: Int, interval: String) throws -> DeliverySink {
        try makeSink("""
        type: http
        preset: splunk_hec
        endpoint: http://127.0.0.1:\(port)/
        token: ${HEC_TOKEN}
        acknowledgements: true
        ack_interval: \(interval)
        ack_timeout: 10m
        """)
    }

    /// Writes and flushes `events` on a thread of its own; the counter is 1 once both returned.
    func deliverInBackground(_ sink: DeliverySink, _ events: [Event]) -> ManagedCounter {
        let finished = ManagedCounter()
        Thread {
            try? sink.write(EventBatch(events: events))
            try? sink.flush()
            finished.increment()
        }.start()
        return finished
    }

    /// Closing the sink ends a wait for HEC acknowledgements at once (it used to sleep
    /// `ack_interval` after `ack_interval` until `ack_timeout`, whatever the sink's state).
    func testCloseEndsAnAcknowledgementWait() throws {
        let server = try neverIndexingHEC()
        defer { server.stop() }
        let sink = try ackingSink(port: server.port, interval: "100ms")
        let finished = deliverInBackground(sink, alerts(3))
        XCTAssertTrue(waitUntil(timeout: 30) { server.requests.filter { $0.uri.hasPrefix("/services/collector/ack") }.count >= 2 },
                      "the sink polls for the acknowledgement")
        XCTAssertEqual(finished.value, 0, "still waiting for the acknowledgement")
        sink.close()
        XCTAssertTrue(waitUntil(timeout: 30) { finished.value == 1 }, "close ended the acknowledgement wait")
        XCTAssertEqual(sink.stats.deliveredCount, 0, "never acknowledged, never counted as delivered")
    }

    /// Closing the sink while a request is on the wire waits for its answer before the client
    /// is shut down: shutting down cancels in-flight requests, and async-http-client can race
    /// that cancellation with the connection's own release (a fatal precondition in its pool);
    /// nor may a request after close make a new client (dropped unshut, another precondition).
    /// Closes at many moments of slow HEC answers; none may crash, none may hang.
    func testCloseWhileARequestIsInFlight() throws {
        let server = try neverIndexingHEC { n in Double(n % 7) * 0.004 }
        defer { server.stop() }
        for round in 0..<12 {
            let sink = try ackingSink(port: server.port, interval: "1ms")
            let finished = deliverInBackground(sink, alerts(2))
            Thread.sleep(forTimeInterval: 0.02 + Double(round) * 0.003)
            sink.close()
            XCTAssertTrue(waitUntil(timeout: 30) { finished.value == 1 }, "round \(round): close ended the delivery")
            XCTAssertEqual(sink.stats.deliveredCount, 0)
        }
    }

    func testRetriesOn429WithRetryAfterAnd503ThenDelivers() throws {
        let server = try TestHTTPServer { _, n in
            switch n {
            case 0: return .init(status: 429, headers: [("Retry-After", "1")], body: #"{"text":"Server is busy","code":9}"#)
            case 1: return .init(status: 503, body: #"{"text":"Server is busy","code":9}"#)
            default: return .init(body: #"{"text":"Success","code":0}"#)
            }
        }
        defer { server.stop() }
        let sink = try makeSink("""
        type: http
        preset: splunk_hec
        endpoint: http://127.0.0.1:\(server.port)
        token: ${HEC_TOKEN}
        retry: {initial_backoff: 50ms, max_backoff: 200ms}
        """)
        let acked = ManagedCounter()
        try sink.write(EventBatch(events: alerts(5), acks: [Acknowledgement { acked.increment() }]))
        try sink.flush()
        let reqs = server.requests
        XCTAssertEqual(reqs.count, 3)
        XCTAssertGreaterThanOrEqual(reqs[1].at.timeIntervalSince(reqs[0].at), 0.95, "Retry-After: 1 honoured")
        XCTAssertEqual(reqs[2].body, reqs[0].body, "the same request is sent again")
        XCTAssertEqual(sink.stats.retryCount, 2)
        XCTAssertEqual(sink.stats.deliveredCount, 5)
        XCTAssertEqual(acked.value, 1)
        sink.close()
    }

    func testBulkPartialErrorsRetryOnlyRetryableItemsAndDeadLetterTheRest() throws {
        let server = try TestHTTPServer { req, n in
            if n == 0 {
                return .init(body: """
                {"took":3,"errors":true,"items":[
                 {"create":{"_index":"sluice-alerts","_id":"1","status":201,"result":"created"}},
                 {"create":{"_index":"sluice-alerts","status":429,"error":{"type":"es_rejected_execution_exception","reason":"rejected execution of coordinating operation"}}},
                 {"create":{"_index":"sluice-alerts","status":400,"error":{"type":"document_parsing_exception","reason":"[1:52] failed to parse field [count] of type [long]"}}},
                 {"create":{"_index":"sluice-alerts","status":409,"error":{"type":"version_conflict_engine_exception","reason":"document already exists"}}},
                 {"create":{"_index":"sluice-alerts","status":503,"error":{"type":"unavailable_shards_exception","reason":"primary shard is not active"}}}]}
                """)
            }
            return .init(body: #"{"took":1,"errors":false,"items":[{"create":{"status":201}},{"create":{"status":201}}]}"#)
        }
        defer { server.stop() }
        let sink = try makeSink("""
        type: http
        preset: elasticsearch
        endpoint: http://127.0.0.1:\(server.port)
        index: sluice-alerts
        user: sluice_writer
        password: s3cret
        retry: {initial_backoff: 50ms, max_backoff: 100ms}
        """)
        let dead = DeadLetterBox()
        sink.deadLetterHandler = { dead.add($0) }
        try sink.write(EventBatch(events: alerts(5)))
        try sink.flush()
        let reqs = server.requests
        XCTAssertEqual(reqs.count, 2)
        XCTAssertEqual(reqs[0].uri, "/_bulk")
        XCTAssertEqual(reqs[0].headers.first(name: "Content-Type"), "application/x-ndjson")
        XCTAssertEqual(reqs[0].headers.first(name: "Authorization"), "Basic " + Data("sluice_writer:s3cret".utf8).base64EncodedString())
        let lines0 = reqs[0].text.split(separator: "\n")
        XCTAssertEqual(lines0.count, 10)
        XCTAssertEqual(String(lines0[0]), #"{"create":{"_index":"sluice-alerts"}}"#)
        // Only items 1 and 4 are sent again, in order.
        let docs1 = jsonObjects(reqs[1].text).filter { $0["create"] == nil }
        XCTAssertEqual(docs1.compactMap { ($0["event"] as? [String: Any])?["id"] as? String }, ["alert-1", "alert-4"])
        let dl = dead.items
        XCTAssertEqual(dl.count, 1)
        XCTAssertTrue(dl[0].detail.contains("document_parsing_exception"), dl[0].detail)
        XCTAssertTrue(dl[0].event.originalText.contains("alert-2"))
        XCTAssertEqual(sink.stats.failedCount, 1)
        XCTAssertEqual(sink.stats.deliveredCount, 4)
        sink.close()
    }

    func testSlowResponseTimesOutAndIsRetried() throws {
        let server = try TestHTTPServer { _, n in
            n == 0 ? .init(body: "[]", delay: 3) : .init(body: "{}")
        }
        defer { server.stop() }
        let sink = try makeSink("""
        type: http
        preset: webhook
        endpoint: http://127.0.0.1:\(server.port)/hooks/sluice
        timeout: 500ms
        retry: {initial_backoff: 50ms, max_backoff: 100ms}
        """)
        let start = Date()
        try sink.write(EventBatch(events: alerts(2)))
        try sink.flush()
        XCTAssertLessThan(Date().timeIntervalSince(start), 2.5)
        XCTAssertEqual(server.requests.count, 2)
        XCTAssertGreaterThanOrEqual(sink.stats.retryCount, 1)
        let arr = try JSONSerialization.jsonObject(with: Data(server.requests[1].body)) as? [[String: Any]]
        XCTAssertEqual(arr?.count, 2)
        sink.close()
    }

    func testClientErrorGoesToDeadLetterNotALoop() throws {
        let server = try TestHTTPServer { _, _ in .init(status: 400, body: #"{"error":"unknown field"}"#) }
        defer { server.stop() }
        let sink = try makeSink("""
        type: http
        endpoint: http://127.0.0.1:\(server.port)/hook
        format: ndjson
        token: abc
        """)
        let dead = DeadLetterBox()
        sink.deadLetterHandler = { dead.add($0) }
        let acked = ManagedCounter()
        try sink.write(EventBatch(events: alerts(3), acks: [Acknowledgement { acked.increment() }]))
        try sink.flush()
        XCTAssertEqual(server.requests.count, 1)
        XCTAssertEqual(server.requests[0].headers.first(name: "Authorization"), "Bearer abc")
        XCTAssertEqual(dead.items.count, 3)
        XCTAssertTrue(dead.items[0].detail.contains("HTTP 400"))
        XCTAssertTrue(dead.items[0].detail.contains("unknown field"))
        XCTAssertEqual(acked.value, 1)
        sink.close()
    }

    func testGzipBody() throws {
        let server = try TestHTTPServer { _, _ in .init(body: "{}") }
        defer { server.stop() }
        let sink = try makeSink("""
        type: http
        endpoint: http://127.0.0.1:\(server.port)/hook
        compression: gzip
        encoding: cef
        """)
        try sink.write(EventBatch(events: alerts(4)))
        try sink.flush()
        let req = try XCTUnwrap(server.requests.first)
        XCTAssertEqual(req.headers.first(name: "Content-Encoding"), "gzip")
        let dir = tempDir("gzip")
        try Data(req.body).write(to: URL(fileURLWithPath: dir + "/body.gz"))
        let plain = try runProcess(which("gzip")!, ["-dc", dir + "/body.gz"])
        XCTAssertEqual(plain.status, 0)
        let arr = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(plain.out.utf8)) as? [String])
        XCTAssertEqual(arr.count, 4)
        XCTAssertEqual(CEFRecord(arr[3])?.ext["externalId"], "alert-3")
        sink.close()
    }

    func testDiskBufferedHTTPSurvivesOutage() throws {
        let down = ManagedCounter()
        let server = try TestHTTPServer { _, n in
            n < 3 ? .init(status: 503, body: "unavailable") : .init(body: #"{"text":"Success","code":0}"#)
        }
        defer { server.stop() }
        _ = down
        let sink = try makeSink("""
        type: http
        preset: splunk_hec
        endpoint: http://127.0.0.1:\(server.port)
        token: ${HEC_TOKEN}
        buffer: {type: disk, max_bytes: 1MiB, when_full: block}
        retry: {initial_backoff: 50ms, max_backoff: 100ms}
        """, dataDir: tempDir("httpdisk"))
        let acked = ManagedCounter()
        try sink.write(EventBatch(events: alerts(10), acks: [Acknowledgement { acked.increment() }]))
        XCTAssertEqual(acked.value, 1, "acknowledged once on disk")
        XCTAssertTrue(waitUntil(timeout: 5) { sink.stats.deliveredCount == 10 })
        let last = try XCTUnwrap(server.requests.last)
        XCTAssertEqual(jsonObjects(last.text).count, 10)
        sink.close()
    }

    /// HTTPS: the server certificate is checked against `tls.ca_file` and the host name.
    func testHTTPSVerifiesTheServerCertificate() throws {
        let certs = tempDir("https")
        try RsyslogReceiver.makeCertificates(in: certs)
        let server = try TestHTTPServer(tls: (certs + "/server.pem", certs + "/server.key")) { _, _ in
            .init(body: #"{"text":"Success","code":0}"#)
        }
        defer { server.stop() }
        let sink = try makeSink("""
        type: http
        preset: splunk_hec
        endpoint: https://localhost:\(server.port)
        token: ${HEC_TOKEN}
        tls: {ca_file: \(certs)/ca.pem}
        """)
        try sink.write(EventBatch(events: alerts(2)))
        try sink.flush()
        XCTAssertEqual(server.requests.count, 1)
        XCTAssertEqual(sink.stats.deliveredCount, 2)
        sink.close()
        // Without trusting the CA, or for another host name, nothing is sent.
        var rb = RecordBatch(); rb.append(Array(#"{"event":"x"}"#.utf8))
        var cfg = HTTPTransport.Config(preset: .splunk_hec, url: "https://localhost:\(server.port)/services/collector/event")
        cfg.token = "t"
        cfg.timeout = 1   // a refused handshake fails fast or at this deadline
        let untrusted = HTTPTransport(cfg, logger: TestSupport.logger)
        guard case .retry = untrusted.send(rb) else { return XCTFail("an unknown CA must be refused") }
        untrusted.close()
        let tls = TLSOptionsForTests.trusting(certs + "/ca.pem")
        cfg.tls = tls
        cfg.url = "https://127.0.0.1:\(server.port)/services/collector/event"
        let wrongName = HTTPTransport(cfg, logger: TestSupport.logger)
        guard case .retry = wrongName.send(rb) else { return XCTFail("a certificate for another name must be refused") }
        wrongName.close()
        XCTAssertEqual(server.requests.count, 1)
    }
}

final class DeadLetterBox: @unchecked Sendable {
    private let lock = NSLock()
    private var _items: [DeadLetter] = []
    func add(_ d: [DeadLetter]) { lock.lock(); _items += d; lock.unlock() }
    var items: [DeadLetter] { lock.lock(); defer { lock.unlock() }; return _items }
}

enum TLSOptionsForTests {
    static func trusting(_ ca: String) -> TLSConfiguration {
        var t = TLSConfiguration.makeClientConfiguration()
        t.trustRoots = .file(ca)
        return t
    }
}

final class HTTPSinkRedirectAndTLSTests: XCTestCase {
    /// async-http-client follows redirects by default: a 302 turned the POST into a GET
    /// without body and the batch counted as delivered. A 3xx is a delivery failure.
    func testRedirectIsNeverFollowedAndNothingCountsAsDelivered() throws {
        let server = try TestHTTPServer { req, _ in
            if req.method == "POST" {
                return .init(status: 302, headers: [("Location", "http://127.0.0.1:1/elsewhere?token=secret")], body: "")
            }
            return .init(body: "ok")
        }
        defer { server.stop() }
        var cfg = HTTPTransport.Config(preset: .webhook, url: "http://127.0.0.1:\(server.port)/hooks/sluice")
        cfg.timeout = 2
        let t = HTTPTransport(cfg, logger: TestSupport.logger)
        defer { t.close() }
        var rb = RecordBatch(); rb.append(Array(#"{"event":{"action":"git.clone"}}"#.utf8))
        let outcome = t.send(rb)
        guard case .retry(let why, _) = outcome else { return XCTFail("a redirect must not count as delivered: \(outcome)") }
        XCTAssertTrue(why.contains("302"), why)
        XCTAssertTrue(why.contains("http://127.0.0.1:1/elsewhere"), why)
        XCTAssertFalse(why.contains("secret"), "the Location is logged without its query")
        XCTAssertEqual(server.requests.map(\.method), ["POST"], "no GET to the Location")
    }

    /// `openssl s_server -tls1`: a receiver offering only TLS 1.0 is refused.
    func testTLS10ReceiverIsRefused() throws {
        let certs = tempDir("tls10")
        try RsyslogReceiver.makeCertificates(in: certs)
        let server = try TLS10Server(certs: certs, www: true)
        defer { server.stop() }
        var cfg = HTTPTransport.Config(preset: .webhook, url: "https://localhost:\(server.port)/hooks/sluice")
        cfg.timeout = 2
        cfg.tls = TLSOptionsForTests.trusting(certs + "/ca.pem")
        let t = HTTPTransport(cfg, logger: TestSupport.logger)
        defer { t.close() }
        var rb = RecordBatch(); rb.append(Array(#"{"event":{"action":"git.clone"}}"#.utf8))
        guard case .retry = t.send(rb) else { return XCTFail("a TLS 1.0 handshake must fail") }
    }
}

/// `openssl s_server` offering only TLS 1.0 (security level 0, as OpenSSL 3 requires for it).
final class TLS10Server {
    let process = Process()
    let port = Loopback.freePort()
    let output = Pipe()

    init(certs: String, www: Bool) throws {
        guard let openssl = which("openssl") else { throw MissingTestDependency("openssl not installed") }
        process.executableURL = URL(fileURLWithPath: openssl)
        process.arguments = ["s_server", "-tls1", "-cipher", "DEFAULT:@SECLEVEL=0", "-accept", "127.0.0.1:\(port)",
                             "-cert", certs + "/server.pem", "-key", certs + "/server.key", "-quiet"] + (www ? ["-www"] : [])
        process.standardOutput = output
        process.standardError = output
        process.standardInput = Pipe()
        try process.run()
        guard waitUntil(timeout: 10, { Loopback.canConnect(self.port) }) else { throw MissingTestDependency("openssl s_server did not start") }
    }

    /// What the server printed (received application data, in `-quiet` mode without `-www`).
    func received() -> String {
        stop()
        return String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    }

    func stop() {
        if process.isRunning { process.terminate(); process.waitUntilExit() }
    }
}
