import Foundation
import SluiceTestSupport
import XCTest

/// The SIEM goes away while events keep arriving (issue 5's outage test), against the real
/// `sluice run` binary: with a disk buffer every event arrives, in order, and the agent's
/// memory stays bounded; without one the file source is held back (its checkpoint does not
/// move) and nothing is lost.
final class SinkOutageTests: XCTestCase {
    func rssKiB(_ pid: Int32) -> Int {
        guard let s = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = s.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }) else { return 0 }
        return Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
    }

    func config(_ dir: URL, input: URL, port: Int, buffer: String) -> URL {
        let cfg = dir.appendingPathComponent("p.yaml")
        try? syslogSinkPipeline(dir, input: input, port: port, buffer: buffer,
                                retry: "{initial_backoff: 50ms, max_backoff: 500ms}", shutdownTimeout: "10s")
            .write(to: cfg, atomically: true, encoding: .utf8)
        return cfg
    }

    func firstAppearances(_ s: [Int]) -> [Int] {
        var seen = Set<Int>(), order: [Int] = []
        for x in s where seen.insert(x).inserted { order.append(x) }
        return order
    }

    func testThirtySecondOutageWithDiskBufferDeliversEverythingInOrderWithBoundedMemory() throws {
        let outage = Double(ProcessInfo.processInfo.environment["SLUICE_OUTAGE_SECONDS"] ?? "") ?? 30
        let dir = makeTempDir()
        let input = dir.appendingPathComponent("audit.log")
        try writeAuditLines(input, range: 0..<1_000)
        let siem = TCPReceiver()
        try siem.start()
        let cfg = config(dir, input: input, port: siem.port, buffer: "{type: disk, max_bytes: 256MiB}")
        let agent = try SluiceProcess(["run", "--config", cfg.path], directory: dir)
        XCTAssertTrue(waitUntil(timeout: 60, interval: 0.2) { Set(documentSeqs(siem.bytes)).count == 1_000 }, agent.stderr)
        let before = rssKiB(agent.process.processIdentifier)

        siem.stop()
        var next = 1_000
        var maxRSS = before
        let start = Date()
        while Date().timeIntervalSince(start) < outage {
            try writeAuditLines(input, range: next..<(next + 500), append: true)
            next += 500
            usleep(250_000)   // the scenario: input keeps arriving during the outage
            maxRSS = max(maxRSS, rssKiB(agent.process.processIdentifier))
        }
        let total = next
        XCTAssertTrue(agent.process.isRunning, "the agent died during the outage: \(agent.stderr)")
        try siem.start()
        XCTAssertTrue(waitUntil(timeout: 120, interval: 0.5) { Set(documentSeqs(siem.bytes)).count == total },
                      "after the outage \(Set(documentSeqs(siem.bytes)).count) of \(total) events arrived")
        XCTAssertEqual(firstAppearances(documentSeqs(siem.bytes)), Array(0..<total), "events arrived out of order")
        // Memory stayed bounded: the backlog went to disk, not to the heap.
        XCTAssertLessThan(maxRSS, 200 * 1024, "RSS grew to \(maxRSS / 1024) MiB during a \(Int(outage)) s outage (was \(before / 1024) MiB)")
        print("outage \(outage)s: \(total - 1_000) events during the outage, RSS \(before / 1024) MiB before, \(maxRSS / 1024) MiB max")
        agent.signal(SIGTERM)
        XCTAssertEqual(agent.wait(timeout: 30), 0)
    }

    func testOutageWithoutDiskBufferHoldsTheFileSourceBackAndLosesNothing() throws {
        let dir = makeTempDir()
        let input = dir.appendingPathComponent("audit.log")
        try writeAuditLines(input, range: 0..<500)
        let siem = TCPReceiver()
        try siem.start()
        let cfg = config(dir, input: input, port: siem.port, buffer: "{max_events: 200}")
        let agent = try SluiceProcess(["run", "--config", cfg.path], directory: dir)
        XCTAssertTrue(waitUntil(timeout: 60, interval: 0.2) { Set(documentSeqs(siem.bytes)).count == 500 }, agent.stderr)
        let checkpoint = dir.appendingPathComponent("state/checkpoints/audit.json")
        func offset() -> Int {
            guard let d = try? Data(contentsOf: checkpoint),
                  let o = try? JSONSerialization.jsonObject(with: d) as? [String: Any],
                  let files = o["files"] as? [String: [String: Any]] else { return -1 }
            return files.values.first?["offset"] as? Int ?? -1
        }
        XCTAssertTrue(waitUntil(timeout: 10, interval: 0.2) { offset() == (try? Data(contentsOf: input).count) ?? -2 })
        let delivered = offset()

        siem.stop()
        XCTAssertTrue(waitUntil(timeout: 10) { !Loopback.canConnect(siem.port) }, "the SIEM is down")
        try writeAuditLines(input, range: 500..<5_000, append: true)
        sleep(4)   // the scenario: a 4 s outage during which the checkpoint must hold
        // The sink cannot deliver: nothing new is acknowledged, so the checkpoint holds.
        // (A little may have gone out just before the connection noticed the SIEM was gone.)
        let during = offset()
        let fileSize = (try? Data(contentsOf: input).count) ?? 0
        XCTAssertLessThan(during, fileSize, "the checkpoint advanced over events the SIEM never received")
        XCTAssertTrue(agent.process.isRunning)
        try siem.start()
        XCTAssertTrue(waitUntil(timeout: 90, interval: 0.5) { Set(documentSeqs(siem.bytes)).count == 5_000 },
                      "after the outage \(Set(documentSeqs(siem.bytes)).count) of 5000 events arrived")
        XCTAssertEqual(firstAppearances(documentSeqs(siem.bytes)), Array(0..<5_000))
        XCTAssertGreaterThanOrEqual(during, delivered)
        agent.signal(SIGTERM)
        XCTAssertEqual(agent.wait(timeout: 30), 0)
    }
}
