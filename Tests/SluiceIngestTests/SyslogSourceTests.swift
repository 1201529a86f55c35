#if canImport(Glibc)
import Glibc
#endif
import Foundation
import NIOCore
import SluiceTestSupport
import XCTest
@testable import SluiceCore
@testable import SluiceIngest

/// Real listeners on loopback, fed by util-linux `logger`, `openssl s_client` and raw sockets.
final class SyslogSourceTests: XCTestCase {
    static let logger = "/usr/bin/logger"

    func startListener(_ src: SyslogSource, capacity: Int = 100_000) throws -> (SourceHarness, Int) {
        let h = try SourceHarness(src, name: "syslog_in", capacity: capacity)
        h.start()
        let addr = try XCTUnwrap(src.waitUntilBound(timeout: 20))
        return (h, addr.port ?? 0)
    }

    func logger(_ args: [String]) throws {
        let run = try runProcess(Self.logger, args)
        let (status, out) = (run.status, run.output)
        XCTAssertEqual(status, 0, out)
    }

    func testUDPReceivesRFC3164AndRFC5424FromLogger() throws {
        let src = SyslogSource(mode: .udp, address: "127.0.0.1:0", receiveBufferBytes: 1 << 20)
        let (h, port) = try startListener(src)
        defer { h.stop() }
        try logger(["-d", "-n", "127.0.0.1", "-P", "\(port)", "--rfc3164", "-t", "sshd", "-p", "authpriv.info",
                    "Accepted publickey for alice from 203.0.113.7 port 51234 ssh2"])
        try logger(["-d", "-n", "127.0.0.1", "-P", "\(port)", "--rfc5424", "-t", "github-audit", "--msgid", "git.clone",
                    #"{"action":"git.clone","repo":"acme/payments"}"#])
        let events = h.collect(2).sorted { $0.text < $1.text }
        XCTAssertEqual(events.count, 2)
        XCTAssertTrue(events[0].text.hasPrefix("<13>1 "), events[0].text)        // user.notice, RFC 5424
        XCTAssertTrue(events[0].text.contains(" github-audit "), events[0].text)
        XCTAssertTrue(events[0].text.hasSuffix(#"{"action":"git.clone","repo":"acme/payments"}"#), events[0].text)
        XCTAssertTrue(events[1].text.hasPrefix("<86>"), events[1].text)          // authpriv.info, RFC 3164
        XCTAssertTrue(events[1].text.hasSuffix("sshd: Accepted publickey for alice from 203.0.113.7 port 51234 ssh2"), events[1].text)
        for e in events {
            XCTAssertEqual(e.string(ECS.sourceIP), "127.0.0.1")
            XCTAssertNotNil(e[ECS.sourcePort])
            XCTAssertEqual(e.string(SyslogKeys.ingressName), "syslog_in")
            XCTAssertEqual(e.string(ECS.sluiceSource), "syslog_in")
        }
    }

    func testTCPOctetCountingAndNewlineFramingFromLogger() throws {
        let src = SyslogSource(mode: .tcp, address: "127.0.0.1:0")
        let (h, port) = try startListener(src)
        defer { h.stop() }
        try logger(["-T", "-n", "127.0.0.1", "-P", "\(port)", "--octet-count", "--rfc5424", "-t", "sudo",
                    "alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/git clone"])
        try logger(["-T", "-n", "127.0.0.1", "-P", "\(port)", "--rfc3164", "-t", "sshd",
                    "Failed password for invalid user admin from 198.51.100.23 port 40022 ssh2"])
        try logger(["-T", "-n", "127.0.0.1", "-P", "\(port)", "--octet-count", "--rfc3164", "-t", "sshd",
                    "Connection closed by 198.51.100.23 port 40022 [preauth]"])
        let events = h.collect(3)
        XCTAssertEqual(events.count, 3)
        let texts = Set(events.map(\.text))
        XCTAssertTrue(texts.contains { $0.hasPrefix("<13>1 ") && $0.hasSuffix("COMMAND=/usr/bin/git clone") }, "\(texts)")
        XCTAssertTrue(texts.contains { $0.hasPrefix("<13>") && $0.hasSuffix("sshd: Failed password for invalid user admin from 198.51.100.23 port 40022 ssh2") }, "\(texts)")
        XCTAssertTrue(texts.contains { $0.hasSuffix("sshd: Connection closed by 198.51.100.23 port 40022 [preauth]") }, "\(texts)")
        for e in events { XCTAssertFalse(e.text.hasSuffix("\n")); XCTAssertEqual(e.string(ECS.sourceIP), "127.0.0.1") }
    }

    func testUnixStreamAndDatagramWithPermissionsAndStaleFile() throws {
        let dir = tempDir("sys-unix")
        for (mode, flag) in [(SyslogSource.Mode.unixStream, "-T"), (.unixDatagram, "-d")] {
            let path = dir + "/\(mode.rawValue).sock"
            makeStaleSocket(path)  // left behind by a crashed process: removed at start
            let src = SyslogSource(mode: mode, address: path, permissions: 0o660)
            let (h, _) = try startListener(src)
            var st = stat()
            XCTAssertEqual(stat(path, &st), 0)
            XCTAssertEqual(st.st_mode & 0o777, 0o660)
            XCTAssertEqual(st.st_mode & S_IFMT, S_IFSOCK)
            try logger([flag, "-u", path, "--rfc3164", "-t", "github-audit", "repo.create acme/exfil-\(mode.rawValue)"])
            try logger([flag, "-u", path, "--rfc5424", "-t", "sshd", "session opened for user alice"])
            let events = h.collect(2)
            XCTAssertEqual(events.count, 2, "\(mode)")
            XCTAssertTrue(events.contains { $0.text.hasSuffix("repo.create acme/exfil-\(mode.rawValue)") }, "\(events.map(\.text))")
            XCTAssertTrue(events.contains { $0.text.hasPrefix("<13>1 ") && $0.text.hasSuffix("session opened for user alice") }, "\(events.map(\.text))")
            for e in events { XCTAssertNil(e[ECS.sourceIP]); XCTAssertEqual(e.string(SyslogKeys.ingressName), "syslog_in") }
            h.stop()
        }
    }

    func testOverlongMessagesAreTruncatedNotSplitAndBrokenFrameClosesOnlyItsConnection() throws {
        let src = SyslogSource(mode: .tcp, address: "127.0.0.1:0", maxMessageBytes: 100)
        let (h, port) = try startListener(src)
        defer { h.stop() }
        let long = "<13>Nov 22 18:00:00 web-1 app: " + String(repeating: "x", count: 300)
        // Newline framing: long line, then a short one.
        try sendTCP(port: port, Array((long + "\n<13>Nov 22 18:00:01 web-1 app: short\n").utf8))
        // Octet counting: a long frame then a short one.
        let short = "<13>1 2024-11-22T18:00:02Z web-1 app - - - short2"
        try sendTCP(port: port, Array("\(long.utf8.count) \(long)\(short.utf8.count) \(short)".utf8))
        // A broken octet-counting frame: the connection is closed, the listener lives on.
        try sendTCP(port: port, Array("12x <13>bad frame".utf8))
        try sendTCP(port: port, Array("<13>Nov 22 18:00:03 web-1 app: after\n".utf8))
        let events = h.collect(5)
        let texts = events.map(\.text)
        XCTAssertEqual(events.count, 5, "\(texts)")
        XCTAssertEqual(texts.filter { $0.count == 100 && $0.hasPrefix("<13>Nov 22 18:00:00") }.count, 2, "\(texts)")
        XCTAssertTrue(texts.contains("<13>Nov 22 18:00:01 web-1 app: short"))
        XCTAssertTrue(texts.contains(short))
        XCTAssertTrue(texts.contains("<13>Nov 22 18:00:03 web-1 app: after"))
        XCTAssertFalse(texts.contains { $0.contains("bad frame") })
        XCTAssertEqual(h.drain(quiet: 0.3).count, 0)
    }

    /// With a downstream queue that is never popped, the agent stops reading: the sender's
    /// non-blocking writes hit EAGAIN (kernel window) instead of memory growing. Then the
    /// queue drains and every line arrives exactly once.
    func testBlockedDownstreamStallsTCPSenderAndLosesNothing() throws {
        let src = SyslogSource(mode: .tcp, address: "127.0.0.1:0")
        let (h, port) = try startListener(src, capacity: 16)
        defer { h.stop() }
        let fd = try connectTCP(port: port)
        defer { close(fd) }
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
        var sent = 0
        var stalled = false
        var pendingLine: [UInt8] = []
        var pendingOffset = 0
        let limit = 256 << 20  // a sender that is not pushed back would write all of this
        var written = 0
        let deadline = Date().addingTimeInterval(60)
        var lastProgress = Date()
        while written < limit && Date() < deadline {
            if pendingOffset == pendingLine.count {
                pendingLine = Array("<86>Nov 22 18:00:00 bastion-01 sshd[4242]: Accepted publickey for alice from 203.0.113.7 port \(sent) ssh2\n".utf8)
                pendingOffset = 0
                sent += 1
            }
            let n = pendingLine[pendingOffset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n > 0 { pendingOffset += n; written += n; lastProgress = Date(); continue }
            if errno == EAGAIN || errno == EWOULDBLOCK {
                if Date().timeIntervalSince(lastProgress) > 2 { stalled = true; break }
                usleep(10_000)   // a non-blocking writer waiting for room in the socket
                continue
            }
            XCTFail("write failed: \(errno)"); return
        }
        XCTAssertTrue(stalled, "the sender was never pushed back after \(written) bytes")
        XCTAssertLessThan(written, limit)
        XCTAssertLessThanOrEqual(h.queue.depth, 16 + 4096, "queue stays bounded")
        // Finish the last line blocking, close, and let the sink drain.
        _ = fcntl(fd, F_SETFL, flags)
        final class Tally: @unchecked Sendable { var received = 0; var ports = Set<Int>() }
        let tally = Tally()
        let expected = sent
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            while tally.received < expected {
                guard let b = h.queue.pop(maxEvents: 4096, timeout: 30), b.count > 0 else { break }
                for e in b.events {
                    let t = e.text
                    if let r = t.range(of: " port "), let p = Int(t[r.upperBound...].prefix { $0.isNumber }) { tally.ports.insert(p) }
                }
                tally.received += b.count
                b.acknowledge()
            }
            group.leave()
        }
        while pendingOffset < pendingLine.count {
            let n = pendingLine[pendingOffset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n > 0 { pendingOffset += n } else if errno != EINTR { break }
        }
        shutdown(fd, Int32(SHUT_WR))
        XCTAssertEqual(group.wait(timeout: .now() + 60), .success)
        XCTAssertEqual(tally.received, sent)
        XCTAssertEqual(tally.ports.count, sent, "every line exactly once")
    }

    func testTLSAndMutualTLSWithOpenSSLCertificates() throws {
        let dir = tempDir("sys-tls")
        try makeCertificates(dir)
        // Server-auth TLS: any client may send.
        do {
            let tls = try SyslogTLS(certFile: dir + "/server.pem", keyFile: dir + "/server.key", caFile: nil, verifyClient: false)
            let src = SyslogSource(mode: .tls, address: "127.0.0.1:0", tls: tls)
            let (h, port) = try startListener(src)
            _ = try sClient(port: port, dir: dir, cert: nil, message: "<38>1 2024-11-22T18:00:00Z bastion-01 sshd 4242 - - Accepted publickey for alice\n")
            let events = h.collect(1)
            XCTAssertEqual(events.map(\.text), ["<38>1 2024-11-22T18:00:00Z bastion-01 sshd 4242 - - Accepted publickey for alice"])
            h.stop()
        }
        // mTLS: a client with a CA-signed certificate gets through; one without, or with a
        // self-signed certificate, is refused.
        let tls = try SyslogTLS(certFile: dir + "/server.pem", keyFile: dir + "/server.key", caFile: dir + "/ca.pem", verifyClient: true)
        let src = SyslogSource(mode: .tls, address: "127.0.0.1:0", tls: tls)
        let (h, port) = try startListener(src)
        defer { h.stop() }
        _ = try sClient(port: port, dir: dir, cert: nil, message: "60 <38>1 2024-11-22T18:00:01Z bastion-01 sshd 1 - - no client cert\n")
        _ = try sClient(port: port, dir: dir, cert: "rogue", message: "<38>1 2024-11-22T18:00:02Z bastion-01 sshd 1 - - rogue cert\n")
        let good = "<38>1 2024-11-22T18:00:03Z bastion-01 sshd 1 - - trusted client"
        _ = try sClient(port: port, dir: dir, cert: "client", message: "\(good.utf8.count) \(good)")
        let events = h.collect(1)
        XCTAssertEqual(events.map(\.text), [good])
        XCTAssertEqual(h.drain(quiet: 0.5).count, 0, "refused clients delivered nothing")

        // A reload (SIGHUP in `sluice run`) re-reads the certificate: replace the server certificate by one from a new
        // CA; after SIGHUP a client trusting only the new CA gets through.
        try makeSecondServerCertificate(dir)
        let renewed = "<38>1 2024-11-22T18:00:04Z bastion-01 sshd 1 - - after reload"
        XCTAssertNotEqual(try sClient(port: port, dir: dir, cert: "client", message: renewed + "\n", ca: "ca2"), 0,
                          "before the reload the old certificate is served")
        try FileManager.default.removeItem(atPath: dir + "/server.pem")
        try FileManager.default.removeItem(atPath: dir + "/server.key")
        try FileManager.default.copyItem(atPath: dir + "/server2.pem", toPath: dir + "/server.pem")
        try FileManager.default.copyItem(atPath: dir + "/server2.key", toPath: dir + "/server.key")
        h.context.reloads.reloadAll()  // what `sluice run` does on SIGHUP
        let served = try waitUntil(timeout: 20, interval: 0.2) {
            try sClient(port: port, dir: dir, cert: "client", message: renewed + "\n", ca: "ca2") == 0
        }
        XCTAssertTrue(served, "after the reload the new certificate is served")
        XCTAssertEqual(h.collect(1).map(\.text), [renewed])
    }

    func testMaxConnectionsRefusesExtraConnectionsAndKeepsTheOthers() throws {
        let src = SyslogSource(mode: .tcp, address: "127.0.0.1:0", maxConnections: 1)
        let (h, port) = try startListener(src)
        defer { h.stop() }
        // A connection takes a slot once it has sent something (issue 15: idle connections
        // that never send cannot hold the slots).
        let first = try connectTCP(port: port)
        defer { close(first) }
        let hello = Array("<86>Nov 22 17:59:59 bastion-01 sshd[1]: first\n".utf8)
        XCTAssertEqual(hello.withUnsafeBytes { write(first, $0.baseAddress, $0.count) }, hello.count)
        XCTAssertEqual(h.collect(1).map(\.text), ["<86>Nov 22 17:59:59 bastion-01 sshd[1]: first"])
        let second = try connectTCP(port: port)
        let extra = Array("<86>Nov 22 18:00:00 bastion-01 sshd[2]: over the limit\n".utf8)
        _ = extra.withUnsafeBytes { write(second, $0.baseAddress, $0.count) }
        var tv = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(second, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var b = [UInt8](repeating: 0, count: 16)
        XCTAssertLessThanOrEqual(read(second, &b, 16), 0, "the connection over the limit is closed by the listener")
        close(second)
        let msg = Array("<86>Nov 22 18:00:00 bastion-01 sshd[1]: still connected\n".utf8)
        XCTAssertEqual(msg.withUnsafeBytes { write(first, $0.baseAddress, $0.count) }, msg.count)
        XCTAssertEqual(h.collect(1).map(\.text), ["<86>Nov 22 18:00:00 bastion-01 sshd[1]: still connected"])
    }

    func testUDPDropsWhileDownstreamIsFullAreCounted() throws {
        let src = SyslogSource(mode: .udp, address: "127.0.0.1:0")
        let (h, port) = try startListener(src, capacity: 1)
        defer { h.queue.close(); h.stop() }
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let sent = 300
        for i in 0..<sent {
            let m = Array("<86>Nov 22 18:00:00 bastion-01 sshd[1]: datagram \(i)".utf8)
            _ = withUnsafePointer(to: &addr) { a in
                a.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                    m.withUnsafeBytes { sendto(fd, $0.baseAddress, $0.count, 0, sa, socklen_t(MemoryLayout<sockaddr_in>.size)) }
                }
            }
            if i % 50 == 49 { usleep(20_000) }   // the scenario: a sender pacing its bursts
        }
        _ = waitUntil(timeout: 20) { src.droppedDatagrams > 0 }
        XCTAssertGreaterThan(src.droppedDatagrams, 0, "drops while the pipeline is full are counted")
        XCTAssertEqual(h.metrics.dropped, src.droppedDatagrams)
        XCTAssertLessThanOrEqual(h.queue.depth, sent, "nothing queued beyond what arrived")
    }

    // MARK: helpers

    func makeStaleSocket(_ path: String) {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            let b = Array(path.utf8)
            for (i, c) in b.enumerated() where i < raw.count - 1 { raw[i] = c }
        }
        let r = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
        XCTAssertEqual(r, 0)
        close(fd)
        var st = stat()
        XCTAssertEqual(stat(path, &st), 0, "stale socket file exists")
    }

    func connectTCP(port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let r = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard r == 0 else { close(fd); throw POSIXError(.ECONNREFUSED) }
        return fd
    }

    func sendTCP(port: Int, _ bytes: [UInt8]) throws {
        let fd = try connectTCP(port: port)
        var off = 0
        while off < bytes.count {
            let n = bytes[off...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            off += n
        }
        shutdown(fd, Int32(SHUT_WR))
        var buf = [UInt8](repeating: 0, count: 64)
        _ = read(fd, &buf, 64)  // wait for the server to close
        close(fd)
    }

    func makeCertificates(_ dir: String) throws {
        let o = "/usr/bin/openssl"
        func run(_ args: [String]) throws {
            let run = try runProcess(o, args)
            let (s, out) = (run.status, run.output)
            XCTAssertEqual(s, 0, "openssl \(args.joined(separator: " ")): \(out)")
        }
        try run(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=Sluice Test CA",
                 "-keyout", dir + "/ca.key", "-out", dir + "/ca.pem",
                 "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
        try "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n".write(toFile: dir + "/server.ext", atomically: true, encoding: .utf8)
        try "extendedKeyUsage=clientAuth\n".write(toFile: dir + "/client.ext", atomically: true, encoding: .utf8)
        for (name, subj) in [("server", "/CN=localhost"), ("client", "/CN=bastion-01")] {
            try run(["req", "-newkey", "rsa:2048", "-nodes", "-subj", subj, "-keyout", dir + "/\(name).key", "-out", dir + "/\(name).csr"])
            try run(["x509", "-req", "-in", dir + "/\(name).csr", "-CA", dir + "/ca.pem", "-CAkey", dir + "/ca.key",
                     "-CAcreateserial", "-days", "2", "-extfile", dir + "/\(name).ext", "-out", dir + "/\(name).pem"])
        }
        try run(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=rogue",
                 "-keyout", dir + "/rogue.key", "-out", dir + "/rogue.pem"])
    }

    func makeSecondServerCertificate(_ dir: String) throws {
        let o = "/usr/bin/openssl"
        func run(_ args: [String]) throws {
            let run = try runProcess(o, args)
            let (s, out) = (run.status, run.output)
            XCTAssertEqual(s, 0, "openssl \(args.joined(separator: " ")): \(out)")
        }
        try run(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=Sluice Test CA 2",
                 "-keyout", dir + "/ca2.key", "-out", dir + "/ca2.pem",
                 "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
        try run(["req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-keyout", dir + "/server2.key", "-out", dir + "/server2.csr"])
        try run(["x509", "-req", "-in", dir + "/server2.csr", "-CA", dir + "/ca2.pem", "-CAkey", dir + "/ca2.key",
                 "-CAcreateserial", "-days", "2", "-extfile", dir + "/server.ext", "-out", dir + "/server2.pem"])
    }

    /// Sends `message` with `openssl s_client`; returns its exit status.
    func sClient(port: Int, dir: String, cert: String?, message: String, ca: String = "ca") throws -> Int32 {
        var args = ["s_client", "-connect", "127.0.0.1:\(port)", "-CAfile", dir + "/\(ca).pem", "-verify_return_error",
                    "-quiet", "-no_ign_eof", "-tls1_2"]
        if let c = cert { args += ["-cert", dir + "/\(c).pem", "-key", dir + "/\(c).key"] }
        let run = try runProcess("/usr/bin/openssl", args, stdin: Array(message.utf8), timeout: 30)
        let (s, _) = (run.status, run.output)
        return s
    }
}
