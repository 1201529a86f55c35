/// The whole pipeline at one instant, as `/health`, the systemd watchdog and the STATUS line
/// see it: every component's `ComponentStatus` (from `Topology.statuses()`), the alerts
/// produced so far, and the uptime.
public struct PipelineStatus: Sendable {
    public var components: [ComponentStatus]
    /// Alerts produced since start (all detectors).
    public var alerts: Int
    public var uptimeSeconds: Double

    public init(components: [ComponentStatus], alerts: Int = 0, uptimeSeconds: Double = 0) {
        self.components = components; self.alerts = alerts; self.uptimeSeconds = uptimeSeconds
    }
}

extension ComponentStatus {
    /// A counter that moves whenever the component does work: events in, out, failed or
    /// dropped, and delivery attempts that failed. The watchdog's progress signal.
    public var workDone: Int { eventsIn + eventsOut + failed + dropped + consecutiveFailures }

    /// Not making progress on purpose: waiting for room downstream, waiting before a retry,
    /// or not running (starting, draining, stopped, failed).
    public var isWaitingOnPurpose: Bool {
        activity == .blocked || activity == .backingOff || state != .running
    }
}

extension Topology {
    /// The pipeline's status now, for `MetricsServer(report:status:)` and `ServiceNotifier`
    /// (uses only `statuses()` and `startTime`); `alerts` is the detectors' count of alerts
    /// produced so far, when the caller has one.
    public func pipelineStatus(alerts: Int = 0) -> PipelineStatus {
        let start = startTime
        return PipelineStatus(components: statuses(), alerts: alerts,
                              uptimeSeconds: start > 0 ? Clock.monotonic() - start : 0)
    }
}
