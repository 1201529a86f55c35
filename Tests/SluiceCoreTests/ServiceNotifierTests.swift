#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging
import SluiceTestSupport
import XCTest
@testable import SluiceCore

/// `ServiceNotifier` through libsystemd's sd_notify to a test `NOTIFY_SOCKET`.
final class ServiceNotifierTests: XCTestCase {
    /// A pipeline whose activity grows at each status read, unless it is stuck.
    final class Progress: Sendable {
        struct State: Sendable { var activity = 0; var stuck = false }
        private let state = Guarded(State())
        var stuck: Bool {
            get { state.value.stuck }
            set { state.withLock { $0.stuck = newValue } }
        }
        func status() -> PipelineStatus {
            let activity = state.withLock { s -> Int in
                if !s.stuck { s.activity += 10 }
                return s.activity
            }
            return PipelineStatus(components: [
                componentStatus("audit_log", kind: "source", type: "file", eventsOut: activity),
                componentStatus("parse_github", eventsIn: activity, eventsOut: activity, queueDepth: 512, queueCapacity: 16384),
                componentStatus("siem", kind: "sink", type: "syslog", eventsIn: activity, eventsOut: activity, queueCapacity: 16384),
            ], alerts: 3)
        }
    }

    override func tearDown() {
        unsetenv("NOTIFY_SOCKET"); unsetenv("WATCHDOG_USEC"); unsetenv("WATCHDOG_PID")
    }

    func testReadyStatusWatchdogPingsOnlyWhileProgressAndStopping() throws {
        let rx = try DatagramReceiver(name: "notify")
        setenv("NOTIFY_SOCKET", rx.path, 1)
        setenv("WATCHDOG_USEC", "400000", 1)  // 0.4 s: pings every 0.2 s
        setenv("WATCHDOG_PID", String(getpid()), 1)
        let progress = Progress()
        let n = ServiceNotifier(statusInterval: 0.3, logger: Logger(label: "test")) { progress.status() }
        XCTAssertEqual(n.watchdogPeriod, 0.4)
        XCTAssertTrue(n.isEnabled)
        n.ready()
        let first = try XCTUnwrap(rx.receive(timeout: 5)).text
        XCTAssertTrue(first.hasPrefix("READY=1\nSTATUS="), first)
        XCTAssertTrue(first.contains("3 alerts") && first.contains("all sinks delivering"), first)

        // Progress: pings and status lines arrive.
        var got: [String] = []
        let until = Date().addingTimeInterval(1.2)
        while Date() < until, let d = rx.receive(timeout: 1) { got.append(d.text) }
        XCTAssertGreaterThanOrEqual(got.filter { $0 == "WATCHDOG=1" }.count, 3, "\(got)")
        XCTAssertTrue(got.contains { $0.hasPrefix("STATUS=") && $0.contains("events/s in") && $0.contains("queues 2% full") }, "\(got)")

        // A stage with input queued stops moving: after one period no more pings.
        progress.stuck = true
        Thread.sleep(forTimeInterval: 0.6)  // the scenario: one watchdog period passes; pings decided before it ran out drain
        _ = rx.receiveAll(quiet: 0.05)
        var stuckPings = 0
        let window = Date().addingTimeInterval(1.0)
        while Date() < window { if let d = rx.receive(timeout: 0.2), d.text == "WATCHDOG=1" { stuckPings += 1 } }
        XCTAssertEqual(stuckPings, 0, "no ping while parse_github is stuck")

        // It moves again: pings resume.
        progress.stuck = false
        var resumed = false
        let again = Date().addingTimeInterval(3)
        while Date() < again, !resumed { if let d = rx.receive(timeout: 0.5), d.text == "WATCHDOG=1" { resumed = true } }
        XCTAssertTrue(resumed)

        n.stopping()
        let rest = rx.receiveAll(quiet: 0.5)
        XCTAssertTrue(rest.contains { $0.hasPrefix("STOPPING=1") }, "\(rest)")
        XCTAssertFalse(rest.drop { !$0.hasPrefix("STOPPING=1") }.dropFirst().contains("WATCHDOG=1"), "no ping after STOPPING")
    }

    func testNothingIsSentWithoutNotifySocket() {
        unsetenv("NOTIFY_SOCKET")
        let n = ServiceNotifier(logger: Logger(label: "test")) { PipelineStatus(components: []) }
        XCTAssertFalse(n.isEnabled)
        XCTAssertFalse(n.notify("READY=1"))
        XCTAssertNil(n.watchdogPeriod)
        n.ready()
        n.stopping()
    }

    func testStatusLine() {
        let a = PipelineStatus(components: [
            componentStatus("in", kind: "source", type: "file", eventsOut: 1000),
            componentStatus("siem", kind: "sink", type: "syslog", activity: .backingOff, eventsOut: 500, queueDepth: 8192, queueCapacity: 16384),
            componentStatus("_dead_letter", kind: "sink", type: "dead_letter", eventsOut: 99_999),
        ], alerts: 1)
        var b = a
        b.components[0] = componentStatus("in", kind: "source", type: "file", eventsOut: 3000)
        b.components[1] = componentStatus("siem", kind: "sink", type: "syslog", activity: .backingOff, eventsOut: 1500, queueDepth: 8192, queueCapacity: 16384)
        XCTAssertEqual(ServiceNotifier.statusLine(b, previous: a, elapsed: 2),
                       "1000 events/s in, 500 out; 1 alert; queues 50% full; failing sinks: siem")
        XCTAssertEqual(ServiceNotifier.statusLine(a, previous: nil, elapsed: 0),
                       "1000 events in, 500 out; 1 alert; queues 50% full; failing sinks: siem")
    }
}

extension Array where Element == UInt8 {
    var text: String { String(decoding: self, as: UTF8.self) }
}
