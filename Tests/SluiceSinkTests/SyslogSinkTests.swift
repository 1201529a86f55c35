import Foundation
import NIOSSL
import SluiceCore
import SluiceTestSupport
import XCTest
@testable import SluiceSink

/// The syslog sink against a real rsyslog on loopback (TCP, TLS), records compared field by
/// field with what was sent.
final class SyslogSinkTests: XCTestCase {
    func alerts() -> [Event] {
        var out: [Event] = []
        for i in 0..<20 {
            let sev = Severity.allCases[i % 5]
            out.append(TestSupport.cloneAlert(repos: ["acme/api-\(i)", "acme/web-\(i)", "acme/infra"], user: "user\(i)",
                                              ip: "198.51.100.\(i + 1)", severity: sev, id: "alert-\(i)"))
        }
        out.append(TestSupport.cloneAlert(repos: [TestSupport.hostileRepo, "acme/ok"], user: TestSupport.hostileUser,
                                          userAgent: TestSupport.hostileAgent, url: TestSupport.hostileURL, id: "hostile"))
        out.append(TestSupport.cloneEvent(repo: TestSupport.hostileRepo, user: TestSupport.hostileUser,
                                          userAgent: TestSupport.hostileAgent, url: TestSupport.hostileURL))
        return out
    }

    func makeSink(port: Int, mode: SyslogSink.Mode, tls: TLSConfiguration? = nil, serverName: String? = nil,
                  framing: SyslogFraming = SyslogFraming(), buffer: BufferSettings = .memory, dataDir: String? = nil) throws -> DeliverySink {
        let t = try SyslogTransport(mode: mode, host: "127.0.0.1", port: port, framing: framing, tls: tls,
                                    serverName: serverName, timeout: 5, logger: TestSupport.logger)
        return try DeliverySink(name: "siem", transport: t, encoder: CEFEncoder(deviceExternalID: "collector-01"),
                                limits: BatchLimits(maxEvents: 7, maxBytes: 1 << 20, timeout: 0.1),
                                retry: RetryPolicy(initial: 0.05, max: 0.3), buffer: buffer, dataDir: dataDir, logger: TestSupport.logger)
    }

    /// Checks every received record against the event sent: syslog header fields parsed by
    /// rsyslog, and the CEF record parsed by the test's reader and by Python.
    func verify(_ received: [String], sent: [Event], facility: Int = 16) throws {
        XCTAssertEqual(received.count, sent.count, "one syslog message per event")
        let enc = CEFEncoder(deviceExternalID: "collector-01")
        var msgs: [String] = []
        for (line, e) in zip(received, sent) {
            let parts = line.split(separator: "|", maxSplits: 5, omittingEmptySubsequences: false).map(String.init)
            XCTAssertEqual(parts.count, 6, line)
            guard parts.count == 6 else { continue }
            XCTAssertEqual(parts[0], "sluice")
            XCTAssertEqual(parts[1], String(getpid()))
            XCTAssertEqual(parts[2], String(facility))
            XCTAssertEqual(parts[3], String(SyslogFraming.severity(e)))
            XCTAssertEqual(parts[4], HostName.current)
            let msg = parts[5].hasPrefix(" ") ? String(parts[5].dropFirst()) : parts[5]
            msgs.append(msg)
            var expected: [UInt8] = []
            enc.encode(e, into: &expected)
            let got = try XCTUnwrap(CEFRecord(msg), msg)
            let want = try XCTUnwrap(CEFRecord(String(decoding: expected, as: UTF8.self)))
            XCTAssertEqual(got.header, want.header)
            XCTAssertEqual(got.ext, want.ext)
            if e.alert?.id == "hostile" {
                XCTAssertEqual(got.ext["suser"], TestSupport.cefExpected(TestSupport.hostileUser))
                XCTAssertEqual(got.ext["requestClientApplication"], TestSupport.cefExpected(TestSupport.hostileAgent))
                XCTAssertEqual(got.ext["request"], TestSupport.cefExpected(TestSupport.hostileURL))
                XCTAssertEqual(got.ext["cs1"], TestSupport.cefExpected(TestSupport.hostileRepo + ",acme/ok"))
            }
        }
        let py = try PythonCEF.parse(msgs)
        XCTAssertEqual(py.count, msgs.count)
        for (p, m) in zip(py, msgs) {
            let r = CEFRecord(m)
            XCTAssertEqual(p.header, r?.header)
            XCTAssertEqual(p.ext, r?.ext)
        }
    }

    func testCEFOverTCPToRsyslog() throws {
        let rs = try RsyslogReceiver()
        try rs.start()
        defer { rs.stop() }
        let sink = try makeSink(port: rs.port, mode: .tcp)
        let events = alerts()
        try sink.write(EventBatch(events: Array(events[0..<10])))
        try sink.write(EventBatch(events: Array(events[10...])))
        try sink.flush()
        let got = rs.waitForLines(events.count)
        try verify(got, sent: events)
        // Octet counting: the raw records are exactly the messages (no stray frames).
        XCTAssertEqual(rs.raw.count, events.count)
        XCTAssertTrue(rs.raw.allSatisfy { $0.hasPrefix("<") })
        sink.close()
    }

    /// The receiver's port was chosen free, but another process took it before rsyslogd
    /// started (the race behind a "did not listen" seen in CI): it listens on another port.
    func testRsyslogReceiverMovesOffAPortTakenBeforeItStarts() throws {
        let rs = try RsyslogReceiver()
        let taken = rs.port
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        XCTAssertEqual(Loopback.withSockaddr(Loopback.address(port: taken)) { bind(fd, $0, $1) }, 0)
        XCTAssertEqual(listen(fd, 1), 0)
        XCTAssertFalse(Loopback.isFree(taken))
        try rs.start()
        defer { rs.stop() }
        XCTAssertNotEqual(rs.port, taken)
        let sink = try makeSink(port: rs.port, mode: .tcp)
        let events = alerts()
        try sink.write(EventBatch(events: events))
        try sink.flush()
        try verify(rs.waitForLines(events.count), sent: events)
        sink.close()
    }

    func testCEFOverTLSToRsyslogWithCAAndHostnameCheck() throws {
        let rs = try RsyslogReceiver(tls: true)
        try rs.start()
        defer { rs.stop() }
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .file(rs.caPath)
        tls.certificateVerification = .fullVerification
        let sink = try makeSink(port: rs.port, mode: .tls, tls: tls, serverName: "localhost")
        let events = alerts()
        try sink.write(EventBatch(events: events))
        try sink.flush()
        try verify(rs.waitForLines(events.count), sent: events)
        sink.close()

        // The wrong host name, or no trust in the CA, is refused (retried, never sent).
        let wrong = try SyslogTransport(mode: .tls, host: "127.0.0.1", port: rs.port, framing: SyslogFraming(), tls: tls,
                                        serverName: "siem.example.com", timeout: 3, logger: TestSupport.logger)
        var rb = RecordBatch(); rb.append(Array("17 <134>1 - - - - - x".utf8))
        let o1 = wrong.send(rb)
        guard case .retry = o1 else { return XCTFail("hostname mismatch must fail") }
        wrong.close()
        let untrusted = try SyslogTransport(mode: .tls, host: "127.0.0.1", port: rs.port, framing: SyslogFraming(),
                                            tls: TLSConfiguration.makeClientConfiguration(), serverName: "localhost",
                                            timeout: 3, logger: TestSupport.logger)
        guard case .retry = untrusted.send(rb) else { return XCTFail("unknown CA must fail") }
        untrusted.close()
        XCTAssertEqual(rs.parsed.count, events.count)
    }

    /// Newline framing and an RFC 3164 header: hostile values still make one line each.
    func testNewlineFramingRFC3164IsNotBreakable() throws {
        let rs = try RsyslogReceiver()
        try rs.start()
        defer { rs.stop() }
        var f = SyslogFraming(header: .rfc3164, framing: .newline, facility: 20)
        f.maxMessageBytes = 64 * 1024
        let sink = try makeSink(port: rs.port, mode: .tcp, framing: f)
        let events = alerts()
        try sink.write(EventBatch(events: events))
        try sink.flush()
        let got = rs.waitForLines(events.count)
        XCTAssertEqual(rs.raw.count, events.count)
        try verify(got, sent: events, facility: 20)
        sink.close()
    }

    func testFramingBytes() {
        var out: [UInt8] = []
        let f = SyslogFraming(hostname: "collector-01", procID: "42")
        let e = TestSupport.cloneAlert(repos: ["a/b"], severity: .critical)
        _ = f.appendMessage(for: e, now: TestSupport.t0, to: &out) { $0.append(contentsOf: "CEF:0|x\nline".utf8) }
        let s = String(decoding: out, as: UTF8.self)
        let body = "<130>1 2026-11-23T01:02:03.456Z collector-01 sluice 42 - - CEF:0|x\nline"
        XCTAssertEqual(s, "\(body.utf8.count) \(body)")
        var nl: [UInt8] = []
        let g = SyslogFraming(header: .rfc3164, framing: .newline, facility: 1, hostname: "h", procID: "7")
        _ = g.appendMessage(for: TestSupport.cloneEvent(repo: "x"), now: TestSupport.t0, to: &nl) { $0.append(contentsOf: "a\r\nb\u{0}c".utf8) }
        XCTAssertEqual(String(decoding: nl, as: UTF8.self), "<14>Nov 23 01:02:03 h sluice[7]: a  b c\n")
    }

    func testTruncationKeepsEscapesWhole() {
        var out: [UInt8] = []
        var f = SyslogFraming(framing: .none, hostname: "h", procID: "1")
        f.maxMessageBytes = 60
        let truncated = f.appendMessage(for: TestSupport.cloneEvent(repo: "x"), now: TestSupport.t0, to: &out) {
            $0.append(contentsOf: Array(repeating: UInt8(ascii: "\\"), count: 100))
        }
        XCTAssertTrue(truncated)
        XCTAssertLessThanOrEqual(out.count, 60)
        let trailing = out.reversed().prefix { $0 == 0x5C }.count
        XCTAssertEqual(trailing % 2, 0)
    }

    /// Outage: rsyslog stops while events keep coming; with a disk buffer they are
    /// acknowledged, spooled, and all delivered in order once rsyslog is back. (Short
    /// variant: about 2 s of outage.)
    func testOutageWithDiskBufferDeliversEverythingInOrder() throws {
        let rs = try RsyslogReceiver()
        try rs.start()
        let dataDir = tempDir("outage")
        let sink = try makeSink(port: rs.port, mode: .tcp, buffer: .disk(maxBytes: 8 << 20, whenFull: .block), dataDir: dataDir)
        func batch(_ r: Range<Int>) -> EventBatch {
            EventBatch(events: r.map { TestSupport.cloneAlert(repos: ["acme/r\($0)"], id: "seq-\($0)") })
        }
        try sink.write(batch(0..<50))
        XCTAssertEqual(rs.waitForLines(50).count, 50)
        rs.stop()
        XCTAssertTrue(waitUntil(timeout: 10) { !Loopback.canConnect(rs.port) }, "the receiver is down")
        let acked = ManagedCounter()
        // SLUICE_OUTAGE_SECONDS=30 gives the long variant of the issue (default about 2 s).
        let outage = Double(ProcessInfo.processInfo.environment["SLUICE_OUTAGE_SECONDS"] ?? "") ?? 1.5
        for k in 0..<10 {
            let ack = Acknowledgement { acked.increment() }
            var b = batch((50 + k * 20)..<(70 + k * 20)); b.acks = [ack]
            try sink.write(b)
            usleep(useconds_t(outage * 100_000))   // the scenario: writes spread over the outage
        }
        XCTAssertEqual(acked.value, 10, "acknowledged from the disk buffer while the receiver is down")
        XCTAssertGreaterThan(sink.disk?.bufferedEvents ?? 0, 0)
        try rs.start()
        defer { rs.stop() }
        let got = rs.waitForLines(250, timeout: 20)
        let ids = got.compactMap { line -> Int? in
            guard let r = CEFRecord(String(line.split(separator: "|", maxSplits: 5)[5])) else { return nil }
            return r.ext["externalId"].flatMap { Int($0.dropFirst(4)) }
        }
        // At least once, in order: drop immediate repeats (a resent batch) and compare.
        var dedup: [Int] = []
        for i in ids where !dedup.contains(i) { dedup.append(i) }
        XCTAssertEqual(dedup, Array(0..<250))
        XCTAssertGreaterThan(sink.stats.retryCount, 0)
        sink.close()
    }

    func testUDPOneDatagramPerMessage() throws {
        let rx = try DatagramReceiver.udp()
        var f = SyslogFraming(framing: .none)
        f.maxMessageBytes = 8192
        let sink = try makeSink(port: rx.port, mode: .udp, framing: f)
        let events = alerts()
        try sink.write(EventBatch(events: events))
        try sink.flush()
        var got: [String] = []
        for _ in events {
            guard let d = rx.receive(timeout: 2) else { break }
            got.append(String(decoding: d, as: UTF8.self))
        }
        XCTAssertEqual(got.count, events.count)
        for (g, e) in zip(got, events) {
            XCTAssertTrue(g.hasPrefix("<\(16 * 8 + SyslogFraming.severity(e))>1 "), g)
            let cef = String(g[g.range(of: "CEF:0|")!.lowerBound...])
            var want: [UInt8] = []
            CEFEncoder(deviceExternalID: "collector-01").encode(e, into: &want)
            XCTAssertEqual(cef, String(decoding: want, as: UTF8.self))
        }
        sink.close()
    }

    /// Outage without a disk buffer: delivery blocks the sink (and so, through the bounded
    /// queues, the sources); nothing is acknowledged until rsyslog is back, then everything
    /// arrives in order.
    func testOutageWithMemoryBufferHoldsBackAndLosesNothing() throws {
        let rs = try RsyslogReceiver()
        try rs.start()
        let sink = try makeSink(port: rs.port, mode: .tcp)
        try sink.write(EventBatch(events: [TestSupport.cloneAlert(repos: ["acme/r0"], id: "seq-0")]))
        try sink.flush()
        XCTAssertEqual(rs.waitForLines(1).count, 1)
        rs.stop()
        XCTAssertTrue(waitUntil(timeout: 10) { !Loopback.canConnect(rs.port) }, "the receiver is down")
        let acked = ManagedCounter(), returned = ManagedCounter()
        let events = (1..<40).map { TestSupport.cloneAlert(repos: ["acme/r\($0)"], id: "seq-\($0)") }
        Thread {
            try? sink.write(EventBatch(events: events, acks: [Acknowledgement { acked.increment() }]))
            try? sink.flush()
            returned.increment()
        }.start()
        usleep(1_000_000)   // the scenario: nothing may be acknowledged for a while
        XCTAssertEqual(acked.value, 0, "nothing acknowledged while the receiver is down")
        XCTAssertEqual(returned.value, 0, "the sink holds its input (backpressure)")
        try rs.start()
        defer { rs.stop() }
        XCTAssertTrue(waitUntil(timeout: 15) { returned.value == 1 })
        XCTAssertEqual(acked.value, 1)
        let ids = rs.waitForLines(40).compactMap { CEFRecord(String($0.split(separator: "|", maxSplits: 5)[5]))?.ext["externalId"] }
        var dedup: [String] = []
        for i in ids where !dedup.contains(i) { dedup.append(i) }
        XCTAssertEqual(dedup, (0..<40).map { "seq-\($0)" })
        sink.close()
    }

    /// Mutual TLS configured the way an operator writes it (YAML through the sink factory):
    /// rsyslog demands a client certificate signed by its CA.
    func testTLSWithClientCertificateFromConfiguration() throws {
        let rs = try RsyslogReceiver(tls: true, clientCertificates: true)
        try rs.start()
        defer { rs.stop() }
        let yaml = """
        data_dir: \(rs.dir)/state
        sources:
          in: {type: stdin}
        sinks:
          siem:
            type: syslog
            inputs: [in]
            address: 127.0.0.1:\(rs.port)
            mode: tls
            tls:
              ca_file: \(rs.dir)/ca.pem
              cert_file: \(rs.dir)/client.pem
              key_file: \(rs.dir)/client.key
              server_name: localhost
        """
        let cfg = try PipelineConfig.parse(yaml, file: "p.yaml", environment: [:])
        let c = cfg.sinks[0]
        let ctx = BuildContext(name: "siem", mode: .follow, dataDir: cfg.dataDir, logger: TestSupport.logger, registry: SinkComponents.registry)
        let sink = try SyslogSink.make(c.options, ctx)
        XCTAssertEqual(c.options.finish().map(\.description), [])
        let events = alerts()
        try sink.write(EventBatch(events: events))
        try sink.flush()
        XCTAssertEqual(rs.waitForLines(events.count).count, events.count)
        sink.close()
        // Without a client certificate rsyslog closes the connection after the handshake: an
        // error to retry, not a silent loss.
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .file(rs.caPath)
        let anonymous = try SyslogTransport(mode: .tls, host: "127.0.0.1", port: rs.port, framing: SyslogFraming(), tls: tls,
                                            serverName: "localhost", timeout: 3, logger: TestSupport.logger)
        var rb = RecordBatch(); rb.append(Array("17 <134>1 - - - - - x".utf8))
        guard case .retry = anonymous.send(rb) else { return XCTFail("a refused client certificate must be an error") }
        anonymous.close()
    }
}

final class SyslogSinkTLSMinimumTests: XCTestCase {
    /// A syslog TLS sink handshook with `openssl s_server -tls1`; TLS 1.2 is the minimum,
    /// whatever TLS configuration the transport is given.
    func testTLS10ReceiverIsRefused() throws {
        let certs = tempDir("syslog-tls10")
        try RsyslogReceiver.makeCertificates(in: certs)
        let server = try TLS10Server(certs: certs, www: false)
        var tls = TLSConfiguration.makeClientConfiguration()   // NIOSSL's own default minimum is TLS 1.0
        tls.trustRoots = .file(certs + "/ca.pem")
        let t = try SyslogTransport(mode: .tls, host: "127.0.0.1", port: server.port, framing: SyslogFraming(), tls: tls,
                                    serverName: "localhost", timeout: 2, logger: TestSupport.logger)
        var rb = RecordBatch(); rb.append(Array("<165>1 - - sluice - - - CEF:0|Sluice|Sluice|0.1|x|tls10 probe|1|\n".utf8))
        let outcome = t.send(rb)
        t.close()
        XCTAssertFalse(server.received().contains("tls10 probe"), "nothing reaches a TLS 1.0 receiver")
        guard case .retry = outcome else { return XCTFail("a TLS 1.0 handshake must fail: \(outcome)") }
    }

    func testMinVersionOption() throws {
        let o = try sinkOptions("type: syslog\naddress: 127.0.0.1:6514\nmode: tls\ntls: {min_version: \"1.3\"}")
        _ = try SyslogSink.make(o, BuildContext(name: "s", mode: .follow, dataDir: nil, logger: TestSupport.logger, registry: SinkComponents.registry))
        XCTAssertEqual(o.finish().count, 0)
        let bad = try sinkOptions("type: syslog\naddress: 127.0.0.1:6514\nmode: tls\ntls: {min_version: \"1.0\"}")
        _ = try SyslogSink.make(bad, BuildContext(name: "s", mode: .follow, dataDir: nil, logger: TestSupport.logger, registry: SinkComponents.registry))
        XCTAssertTrue(bad.finish().map { "\($0)" }.joined().contains("min_version"))
    }

    func sinkOptions(_ body: String) throws -> ComponentOptions {
        let yaml = "sources:\n  in:\n    type: stdin\nsinks:\n  out:\n    inputs: [in]\n" + body.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n") + "\n"
        return try PipelineConfig.parse(yaml, file: "t.yaml", environment: [:]).sinks[0].options
    }
}
