#if canImport(Glibc)
import Glibc
#endif
import Foundation
import SluiceTestSupport
import XCTest

/// Issue 15: SIGTERM with stalled syslog connections printed a NIO warning per connection
/// ("Cannot schedule tasks on an EventLoop that has already shut down", which NIO says will
/// become a crash) and took 8 s against a 3 s `shutdown_timeout`.
final class SyslogShutdownTests: XCTestCase {
    func testShutdownUnderLoadDrainsBeforeTheEventLoopStopsAndHonoursTheTimeout() throws {
        let dir = makeTempDir()
        // A SIEM that accepts connections but never reads: the sink blocks, the queues fill,
        // and the listener stops reading its connections (backpressure).
        let stalled = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(stalled, $0, len) } }
        listen(stalled, 16)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(stalled, $0, &len) } }
        defer { close(stalled) }
        let siemPort = Int(UInt16(bigEndian: addr.sin_port))
        let listenPort = TCPReceiver().port
        let config = """
        data_dir: \(dir.path)/state
        shutdown_timeout: 3s
        buffer: {max_events: 2000}
        sources:
          syslog_in:
            type: syslog
            mode: tcp
            address: 127.0.0.1:\(listenPort)
            max_connections_per_address: 200
        sinks:
          siem:
            type: syslog
            inputs: [syslog_in]
            address: 127.0.0.1:\(siemPort)
            mode: tcp
            timeout: 30s
        """
        try config.write(to: dir.appendingPathComponent("p.yaml"), atomically: true, encoding: .utf8)
        let p = try SluiceProcess(["run", "--config", dir.appendingPathComponent("p.yaml").path], directory: dir,
                                  environment: ["SLUICE_LOG": "info"])
        defer { if p.process.isRunning { p.signal(SIGKILL) } }
        XCTAssertTrue(waitUntil(timeout: 30) { Loopback.canConnect(listenPort) }, p.stderr)

        // 64 senders write until their sockets are full (non-blocking).
        var senders: [Int32] = []
        defer { senders.forEach { close($0) } }
        let line = Array("<13>1 2026-11-23T02:08:35Z host app - - - stalled sender message with some padding to fill buffers\n".utf8)
        var chunk: [UInt8] = []
        for _ in 0..<512 { chunk += line }
        for _ in 0..<64 {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var a = sockaddr_in()
            a.sin_family = sa_family_t(AF_INET); a.sin_addr.s_addr = inet_addr("127.0.0.1"); a.sin_port = in_port_t(UInt16(listenPort).bigEndian)
            guard withUnsafePointer(to: &a, { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }) == 0 else { close(fd); continue }
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            senders.append(fd)
        }
        XCTAssertGreaterThan(senders.count, 60)
        let fillUntil = Date().addingTimeInterval(4)
        while Date() < fillUntil {
            var wrote = false
            for fd in senders { if chunk.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) > 0 { wrote = true } }
            if !wrote { break }
            usleep(10_000)   // the scenario: senders filling the agent's buffers
        }
        let start = Date()
        p.signal(SIGTERM)
        let status = p.wait(timeout: 30)
        let took = Date().timeIntervalSince(start)
        XCTAssertNotNil(status, "sluice did not exit")
        XCTAssertFalse(p.stderr.contains("Cannot schedule tasks"), String(p.stderr.suffix(2000)))
        XCTAssertLessThan(took, 3 + 3, "shutdown took \(took)s against shutdown_timeout 3s")
    }
}
