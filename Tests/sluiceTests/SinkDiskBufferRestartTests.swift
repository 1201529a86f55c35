import Foundation
import XCTest

/// `sluice run` with a syslog sink and a disk buffer, killed with SIGKILL while the SIEM is
/// down and the buffer holds events; started again with the SIEM up, it delivers them all.
final class SinkDiskBufferRestartTests: XCTestCase {
    /// A TCP receiver on 127.0.0.1 that keeps every byte (stands in for the SIEM).
    final class Receiver: @unchecked Sendable {
        let fd: Int32
        let port: Int
        private let lock = NSLock()
        private var data: [UInt8] = []
        init(port: Int = 0) throws {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var one: Int32 = 1
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_addr.s_addr = inet_addr("127.0.0.1")
            addr.sin_port = in_port_t(UInt16(port).bigEndian)
            var len = socklen_t(MemoryLayout<sockaddr_in>.size)
            guard withUnsafePointer(to: &addr, { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }) == 0 else {
                throw NSError(domain: "bind", code: Int(errno))
            }
            _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
            listen(fd, 8)
            self.fd = fd
            self.port = Int(UInt16(bigEndian: addr.sin_port))
        }
        func start() {
            Thread { [self] in
                while true {
                    let c = accept(fd, nil, nil)
                    if c < 0 { return }
                    Thread { [self] in
                        var b = [UInt8](repeating: 0, count: 65536)
                        while true {
                            let n = read(c, &b, b.count)
                            if n <= 0 { close(c); return }
                            lock.lock(); data += b[0..<n]; lock.unlock()
                        }
                    }.start()
                }
            }.start()
        }
        var bytes: [UInt8] { lock.lock(); defer { lock.unlock() }; return data }
        func stop() { shutdown(fd, Int32(SHUT_RDWR)); close(fd) }
    }

    func segmentBytes(_ dir: URL) -> [UInt8] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        var all: [UInt8] = []
        for n in names.sorted() where n.hasSuffix(".seg") {
            all += [UInt8]((try? Data(contentsOf: dir.appendingPathComponent(n))) ?? Data())
        }
        return all
    }

    func testSIGKILLWhileDiskBufferHoldsEventsThenRestartDeliversThem() throws {
        let dir = try makeTempDir()
        let input = dir.appendingPathComponent("audit.log")
        let n = 400
        try writeAuditLines(input, range: 0..<n)
        // Reserve a port with nothing listening: the SIEM is down.
        let probe = try Receiver()
        let port = probe.port
        probe.stop()
        let cfg = dir.appendingPathComponent("p.yaml")
        try """
        data_dir: \(dir.path)/state
        shutdown_timeout: 5s
        sources:
          audit:
            type: file
            include: ["\(input.path)"]
        transforms:
          parse:
            type: parse
            inputs: [audit]
            format: json
        sinks:
          siem:
            type: syslog
            inputs: [parse]
            address: 127.0.0.1:\(port)
            mode: tcp
            encoding: json
            include_original: false
            buffer: {type: disk, max_bytes: 16MiB}
            retry: {initial_backoff: 50ms, max_backoff: 300ms}
        """.write(to: cfg, atomically: true, encoding: .utf8)

        let first = try SluiceProcess(["run", "--config", cfg.path], directory: dir)
        let buffer = dir.appendingPathComponent("state/buffers/siem")
        XCTAssertTrue(waitUntil(timeout: 60, interval: 0.1) { Set(documentSeqs(segmentBytes(buffer))).count == n },
                      "events never reached the disk buffer: \(first.stderr)")
        first.signal(SIGKILL)
        first.wait(timeout: 10)
        // The input is gone (rotated away, replaced by an empty file): whatever arrives now
        // can only come from the disk buffer.
        try FileManager.default.removeItem(at: input)
        try Data().write(to: input)

        let siem = try Receiver(port: port)
        siem.start()
        defer { siem.stop() }
        let second = try SluiceProcess(["run", "--config", cfg.path], directory: dir)
        XCTAssertTrue(waitUntil(timeout: 60, interval: 0.1) { Set(documentSeqs(siem.bytes)).count == n },
                      "not every buffered event arrived after the restart: \(second.stderr)")
        second.signal(SIGTERM)
        XCTAssertEqual(second.wait(timeout: 30), 0)
        // In order (a replayed tail may repeat, at least once): first appearances are 0..<n.
        var seen = Set<Int>(), order: [Int] = []
        for s in documentSeqs(siem.bytes) where seen.insert(s).inserted { order.append(s) }
        XCTAssertEqual(order, Array(0..<n))
        // Every frame is a well-formed octet-counted RFC 5424 message from sluice.
        let text = String(decoding: siem.bytes, as: UTF8.self)
        var rest = Substring(text)
        var frames = 0
        while !rest.isEmpty {
            guard let sp = rest.firstIndex(of: " "), let len = Int(rest[..<sp]) else { return XCTFail("bad frame at \(rest.prefix(40))") }
            let body = rest.utf8[rest.utf8.index(after: sp)...].prefix(len)
            XCTAssertEqual(body.count, len)
            let msg = String(decoding: body, as: UTF8.self)
            XCTAssertTrue(msg.hasPrefix("<166>1 "), msg)
            XCTAssertTrue(msg.contains(" sluice "), msg)
            rest = Substring(String(decoding: rest.utf8[rest.utf8.index(after: sp)...].dropFirst(len), as: UTF8.self))
            frames += 1
        }
        XCTAssertGreaterThanOrEqual(frames, n)
    }
}
