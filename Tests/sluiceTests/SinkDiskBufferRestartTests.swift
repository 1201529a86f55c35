import Foundation
import SluiceTestSupport
import XCTest

/// `sluice run` with a syslog sink and a disk buffer, killed with SIGKILL while the SIEM is
/// down and the buffer holds events; started again with the SIEM up, it delivers them all.
final class SinkDiskBufferRestartTests: XCTestCase {
    func segmentBytes(_ dir: URL) -> [UInt8] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        var all: [UInt8] = []
        for n in names.sorted() where n.hasSuffix(".seg") {
            all += [UInt8]((try? Data(contentsOf: dir.appendingPathComponent(n))) ?? Data())
        }
        return all
    }

    func testSIGKILLWhileDiskBufferHoldsEventsThenRestartDeliversThem() throws {
        let dir = makeTempDir()
        let input = dir.appendingPathComponent("audit.log")
        let n = 400
        try writeAuditLines(input, range: 0..<n)
        // A port with nothing listening yet: the SIEM is down.
        let siem = TCPReceiver()
        let port = siem.port
        let cfg = dir.appendingPathComponent("p.yaml")
        try syslogSinkPipeline(dir, input: input, port: port, buffer: "{type: disk, max_bytes: 16MiB}",
                               retry: "{initial_backoff: 50ms, max_backoff: 300ms}", shutdownTimeout: "5s")
            .write(to: cfg, atomically: true, encoding: .utf8)

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

        try siem.start()
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
