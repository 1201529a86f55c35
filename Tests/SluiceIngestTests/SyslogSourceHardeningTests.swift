#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging
import SluiceTestSupport
import XCTest
@testable import SluiceCore
@testable import SluiceIngest

/// Issue 15: one peer cannot deny service to the others, and cannot drive memory or the log.
// (An extension of SyslogSourceTests to share its certificate and s_client helpers.)
extension SyslogSourceTests {
    /// Builds the listener from YAML options, as `sluice run` does.
    func listener(_ yaml: String) throws -> SyslogSource {
        try SyslogSource.make(try options(yaml, type: "syslog"), buildContext())
    }

    func start(_ src: SyslogSource, capacity: Int = 100_000, logger: Logger? = nil) throws -> (SourceHarness, Int) {
        let h = try SourceHarness(src, name: "syslog_in", capacity: capacity, logger: logger)
        h.start()
        let addr = try XCTUnwrap(src.waitUntilBound(timeout: 20))
        return (h, addr.port ?? 0)
    }

    /// A TCP connection to 127.0.0.1:`port` from `from` (any 127/8 address is loopback).
    func connectFrom(_ port: Int, from: String = "127.0.0.1") throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var local = sockaddr_in()
        local.sin_family = sa_family_t(AF_INET)
        local.sin_addr.s_addr = inet_addr(from)
        _ = withUnsafePointer(to: &local) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let r = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard r == 0 else { close(fd); throw POSIXError(.ECONNREFUSED) }
        return fd
    }

    func send(_ fd: Int32, _ text: String) {
        let b = Array(text.utf8)
        var off = 0
        while off < b.count {
            let n = b[off...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n <= 0 { return }
            off += n
        }
    }

    /// Whether the listener closed `fd` within `seconds` (read returns 0 or an error).
    func closedByPeer(_ fd: Int32, within seconds: Int) -> Bool {
        var tv = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var b = [UInt8](repeating: 0, count: 16)
        let n = read(fd, &b, 16)
        return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
    }

    /// 256 idle connections held every slot forever and a legitimate sender was refused.
    func testIdleConnectionsFromOneAddressDoNotLockOutOthers() throws {
        let src = try listener("mode: tcp\naddress: 127.0.0.1:0\nmax_connections: 16\nmax_connections_per_address: 4\nidle_timeout: 1s")
        let (h, port) = try start(src)
        defer { h.stop() }
        var idle: [Int32] = []
        for _ in 0..<16 { if let fd = try? connectFrom(port, from: "127.0.0.2") { idle.append(fd) } }
        // And from many addresses: connections that never send hold no established slot, and
        // the oldest of them gives its pending slot to a newcomer.
        for i in 0..<40 { if let fd = try? connectFrom(port, from: "127.0.5.\(10 + i)") { idle.append(fd) } }
        defer { idle.forEach { close($0) } }
        usleep(300_000)   // no signal for "accepted" of a silent connection: give the listener time to take them
        let good = try connectFrom(port)
        defer { close(good) }
        send(good, "<86>Nov 22 18:00:00 bastion-01 sshd[1]: from a well-behaved sender\n")
        XCTAssertEqual(h.collect(1, timeout: 10).map(\.text), ["<86>Nov 22 18:00:00 bastion-01 sshd[1]: from a well-behaved sender"])
        // Connections that send nothing are closed after idle_timeout.
        XCTAssertTrue(closedByPeer(idle[0], within: 5), "an idle connection is closed")
    }

    /// Clients that never start their TLS handshake held a slot each, so even certificate-
    /// less clients of an mTLS listener exhausted it. A handshake must finish in time, and
    /// only handshaken connections count against max_connections.
    func testConnectionsWithoutHandshakeAreClosedAndDoNotTakeSlots() throws {
        let dir = tempDir("hs-timeout")
        try self.makeCertificates(dir)
        let src = try listener("""
        mode: tls
        address: 127.0.0.1:0
        max_connections: 2
        max_connections_per_address: 100
        handshake_timeout: 1s
        tls: {cert_file: \(dir)/server.pem, key_file: \(dir)/server.key, ca_file: \(dir)/ca.pem}
        """)
        let (h, port) = try start(src)
        defer { h.stop() }
        let silent = [try connectFrom(port, from: "127.0.0.2"), try connectFrom(port, from: "127.0.0.3")]
        defer { silent.forEach { close($0) } }
        XCTAssertTrue(closedByPeer(silent[0], within: 6), "no ClientHello within handshake_timeout: closed")
        XCTAssertTrue(closedByPeer(silent[1], within: 6))
        let msg = "<38>1 2024-11-22T18:00:03Z bastion-01 sshd 1 - - trusted client"
        XCTAssertEqual(try self.sClient(port: port, dir: dir, cert: "client", message: msg + "\n"), 0)
        XCTAssertEqual(h.collect(1, timeout: 10).map(\.text), [msg])
    }

    /// `ca_file` alone advertised issuers but accepted any client; a configured CA means verify.
    func testCAFileMeansClientsAreVerified() throws {
        let dir = tempDir("mtls-default")
        try self.makeCertificates(dir)
        let src = try listener("mode: tls\naddress: 127.0.0.1:0\ntls: {cert_file: \(dir)/server.pem, key_file: \(dir)/server.key, ca_file: \(dir)/ca.pem}")
        let (h, port) = try start(src)
        defer { h.stop() }
        _ = try self.sClient(port: port, dir: dir, cert: nil, message: "<38>1 2024-11-22T18:00:01Z bastion-01 sshd 1 - - no client cert\n")
        let good = "<38>1 2024-11-22T18:00:02Z bastion-01 sshd 1 - - with a client cert"
        XCTAssertEqual(try self.sClient(port: port, dir: dir, cert: "client", message: good + "\n"), 0)
        XCTAssertEqual(h.collect(1, timeout: 10).map(\.text), [good], "the client without a certificate was refused")
        XCTAssertEqual(h.drain(quiet: 0.5).count, 0)
    }

    /// Each read burst became one batch with no count limit (48,896 events in one queue of
    /// 16,384): a connection hands over at most `batch_size` messages at a time.
    func testBurstIsHandedOverInBatchesOfBatchSize() throws {
        let src = try listener("mode: tcp\naddress: 127.0.0.1:0\nbatch_size: 100")
        let (h, port) = try start(src, capacity: 1_000_000)
        defer { h.stop() }
        let fd = try connectFrom(port)
        var text = ""
        for i in 0..<20_000 { text += "<13>m\(i)\n" }
        send(fd, text)
        close(fd)
        var sizes: [Int] = []
        var total = 0
        let deadline = Date().addingTimeInterval(30)
        while total < 20_000 && Date() < deadline {
            guard let b = h.queue.pop(maxEvents: 1, timeout: 0.2), b.count > 0 else { continue }
            sizes.append(b.count); total += b.count
            b.acknowledge()
        }
        XCTAssertEqual(total, 20_000)
        XCTAssertLessThanOrEqual(sizes.max() ?? 0, 100, "largest batch \(sizes.max() ?? 0)")

        // A sender that stays connected, with a partial message last: every complete one
        // arrives without waiting for more bytes.
        let open = try connectFrom(port)
        defer { close(open) }
        var more = ""
        for i in 0..<250 { more += "<13>n\(i)\n" }
        send(open, more + "<13>partial")
        XCTAssertEqual(h.collect(250, timeout: 10).count, 250)
    }

    /// One warning per refused connection let peers drive the log volume.
    func testRefusedConnectionWarningsAreRateLimited() throws {
        let box = LogCapture()
        let logger = box.logger("syslog", level: .info)
        let src = try listener("mode: tcp\naddress: 127.0.0.1:0\nmax_connections_per_address: 1")
        let (h, port) = try start(src, logger: logger)
        defer { h.stop() }
        let held = try connectFrom(port, from: "127.0.0.4")
        defer { close(held) }
        // The held connection is established once a message sent on it arrives.
        send(held, "<38>1 2026-11-23T01:02:03Z bastion-01 sshd 4711 - - held open\n")
        XCTAssertEqual(h.collect(1, timeout: 10).count, 1, "the first connection is accepted")
        var refused = 0
        for _ in 0..<200 {
            guard let fd = try? connectFrom(port, from: "127.0.0.4") else { continue }
            let wasRefused = closedByPeer(fd, within: 5)
            close(fd)
            guard wasRefused else { break }   // (without a per-address limit: stop at the first)
            refused += 1
        }
        XCTAssertEqual(refused, 200)
        let lines = box.lines.filter { $0.contains("refusing syslog connection") }
        XCTAssertGreaterThanOrEqual(lines.count, 1)
        XCTAssertLessThanOrEqual(lines.count, 3, "\(lines.count) warnings for 200 refusals")
        XCTAssertEqual(h.metrics.counterTotals["syslog_connections_refused"], 200)
    }
}
