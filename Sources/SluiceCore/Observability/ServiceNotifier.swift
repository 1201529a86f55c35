#if canImport(Glibc)
import Glibc
#endif
import CSystemd
import Foundation
import Logging

/// Tells systemd how the agent is doing through libsystemd's `sd_notify` (for `Type=notify`
/// units): `READY=1` once started, a one-line `STATUS=` summary, `WATCHDOG=1` pings, and
/// `STOPPING=1` at shutdown. Does nothing when `NOTIFY_SOCKET` is not set (not under systemd).
///
/// The watchdog is pinged every half `WatchdogSec` (from `WATCHDOG_USEC`) only while
/// `WatchdogPolicy` finds every stage making progress, so systemd restarts a wedged pipeline.
/// The STATUS line is refreshed every `statusInterval` seconds.
///
/// Use (in `sluice run`): `let n = ServiceNotifier(logger: logger) {
/// PipelineStatus(components: topology.statuses(), alerts: …, uptimeSeconds: …) }`, then
/// `n.ready()` after the topology started, `n.reloading()`/`n.ready()` around a reload, and
/// `n.stopping()` when shutdown begins. Thread-safe.
public final class ServiceNotifier: Sendable {
    private let status: @Sendable () -> PipelineStatus
    private let logger: Logger
    private let statusInterval: Double
    private struct Control: Sendable { var running = false; var stopped = false }
    private let control = Locked(Control())
    /// The watchdog period in seconds (nil when systemd set no watchdog for this process).
    public let watchdogPeriod: Double?

    public init(statusInterval: Double = 10, logger: Logger, status: @escaping @Sendable () -> PipelineStatus) {
        self.status = status
        self.logger = logger
        self.statusInterval = statusInterval
        var usec: UInt64 = 0
        watchdogPeriod = sd_watchdog_enabled(0, &usec) > 0 && usec > 0 ? Double(usec) / 1e6 : nil
    }

    /// True when running under systemd with a notification socket.
    public var isEnabled: Bool { ProcessInfo.processInfo.environment["NOTIFY_SOCKET"] != nil }

    /// Sends raw `KEY=value` lines; returns false when nothing was sent.
    @discardableResult
    public func notify(_ state: String) -> Bool {
        guard isEnabled else { return false }
        return state.withCString { sd_notify(0, $0) } > 0
    }

    /// `READY=1` with a first STATUS; starts the watchdog/status thread (once).
    public func ready() {
        notify("READY=1\nSTATUS=" + Self.statusLine(status(), previous: nil, elapsed: 0))
        let start = control.withLock { c -> Bool in
            guard !c.running, !c.stopped, isEnabled else { return false }
            c.running = true
            return true
        }
        guard start else { return }
        let t = Thread { [weak self] in self?.loop() }
        t.name = "sluice-sd-notify"
        t.start()
    }

    /// `RELOADING=1` (with the monotonic time systemd asks for); call `ready()` when done.
    public func reloading() {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        let usec = UInt64(ts.tv_sec) * 1_000_000 + UInt64(ts.tv_nsec) / 1000
        notify("RELOADING=1\nMONOTONIC_USEC=\(usec)\nSTATUS=reloading")
    }

    /// `STOPPING=1`; stops the watchdog thread (systemd stops expecting pings).
    public func stopping() {
        control.withLock { $0.stopped = true; $0.running = false }
        control.broadcast()
        notify("STOPPING=1\nSTATUS=stopping: draining queues and writing checkpoints")
    }

    private func loop() {
        var policy = WatchdogPolicy(period: watchdogPeriod ?? .infinity)
        let tick = watchdogPeriod.map { max(0.01, $0 / 2) } ?? statusInterval
        var previous: PipelineStatus?
        var lastStatus = Clock.monotonic()
        var lastWithheld: [String] = []
        while true {
            let stopped = control.wait(timeout: tick, until: { $0.stopped }) { c, _ in c.stopped }
            if stopped { return }
            let now = Clock.monotonic()
            let s = status()
            if watchdogPeriod != nil {
                switch policy.evaluate(s.components, now: now) {
                case .ping:
                    notify("WATCHDOG=1")
                    if !lastWithheld.isEmpty {
                        logger.notice("pipeline making progress again; watchdog pings resumed")
                        lastWithheld = []
                    }
                case .withhold(let stuck):
                    if stuck != lastWithheld {
                        logger.error("no progress for \(Self.seconds(policy.period)) in \(stuck.joined(separator: ", ")) with input queued; withholding the watchdog ping so systemd restarts the agent")
                        lastWithheld = stuck
                    }
                }
            }
            if now - lastStatus >= statusInterval || previous == nil {
                notify("STATUS=" + Self.statusLine(s, previous: previous, elapsed: previous == nil ? 0 : now - lastStatus))
                previous = s
                lastStatus = now
            }
        }
    }

    /// One line for `systemctl status`: events/s in and out, alerts, queue fill, failing sinks.
    public static func statusLine(_ s: PipelineStatus, previous: PipelineStatus?, elapsed: Double) -> String {
        func total(_ p: PipelineStatus, _ kind: String) -> Int {
            p.components.filter { $0.kind == kind && $0.type != "dead_letter" }.reduce(0) { $0 + $1.eventsOut }
        }
        var parts: [String] = []
        if let prev = previous, elapsed > 0 {
            let inRate = Double(total(s, "source") - total(prev, "source")) / elapsed
            let outRate = Double(total(s, "sink") - total(prev, "sink")) / elapsed
            parts.append("\(Int(inRate.rounded())) events/s in, \(Int(outRate.rounded())) out")
        } else {
            parts.append("\(total(s, "source")) events in, \(total(s, "sink")) out")
        }
        parts.append("\(s.alerts) alert\(s.alerts == 1 ? "" : "s")")
        let cap = s.components.reduce(0) { $0 + $1.queueCapacity }
        let depth = s.components.reduce(0) { $0 + $1.queueDepth }
        if cap > 0 { parts.append("queues \(Int((Double(depth) * 100 / Double(cap)).rounded()))% full") }
        let failing = s.components.filter {
            $0.kind == "sink" && $0.type != "dead_letter" && ($0.state == .failed || $0.activity == .backingOff || $0.consecutiveFailures > 0)
        }.map(\.name)
        parts.append(failing.isEmpty ? "all sinks delivering" : "failing sinks: " + failing.joined(separator: ", "))
        return parts.joined(separator: "; ")
    }

    static func seconds(_ s: Double) -> String {
        s == s.rounded() ? "\(Int(s))s" : "\((s * 10).rounded() / 10)s"
    }
}
