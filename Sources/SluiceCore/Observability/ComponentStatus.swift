/// What a pipeline component is doing right now, as `/health`, the systemd watchdog and the
/// STATUS line see it.
public enum ComponentState: String, Sendable, CaseIterable {
    /// Working normally (or idle with nothing to do).
    case running
    /// A sink retrying a failed delivery with backoff (the destination refused or is down).
    case backingOff = "backing_off"
    /// Waiting for room in a full downstream queue (backpressure).
    case blocked
    /// Failing: a source that cannot read, a sink whose deliveries keep failing.
    case failing
    /// Finished (end of input in replay, or stopped).
    case stopped
}

/// One component's figures and state, filled by the runtime for each status request.
///
/// Counters are running totals since start; `activity` is any counter that moves whenever the
/// component does work (events handled, delivery attempts), which the watchdog uses to tell a
/// busy stage from a wedged one.
public struct ComponentStatus: Sendable, Equatable {
    public var name: String
    /// `source`, `transform` or `sink`.
    public var kind: String
    /// The component's `type:` (`file`, `parse`, `http`, ...).
    public var type: String
    public var state: ComponentState
    public var eventsIn: Int
    public var eventsOut: Int
    public var failed: Int
    public var dropped: Int
    /// Events waiting in the component's input queue, and the queue's capacity (0 for sources).
    public var queueDepth: Int
    public var queueCapacity: Int
    public var activity: Int
    /// How long the component has been `failing` (0 when it is not).
    public var failingSeconds: Double
    /// The last error, one line (shown in `/health`; keep secrets out of it).
    public var lastError: String?

    public init(name: String, kind: String, type: String, state: ComponentState = .running,
                eventsIn: Int = 0, eventsOut: Int = 0, failed: Int = 0, dropped: Int = 0,
                queueDepth: Int = 0, queueCapacity: Int = 0, activity: Int? = nil,
                failingSeconds: Double = 0, lastError: String? = nil) {
        self.name = name; self.kind = kind; self.type = type; self.state = state
        self.eventsIn = eventsIn; self.eventsOut = eventsOut; self.failed = failed; self.dropped = dropped
        self.queueDepth = queueDepth; self.queueCapacity = queueCapacity
        self.activity = activity ?? (eventsIn + eventsOut + failed + dropped)
        self.failingSeconds = failingSeconds; self.lastError = lastError
    }
}

/// The whole pipeline at one instant: what the runtime's status closure returns.
public struct PipelineStatus: Sendable, Equatable {
    public var components: [ComponentStatus]
    /// Alerts produced since start (all detectors).
    public var alerts: Int
    public var uptimeSeconds: Double

    public init(components: [ComponentStatus], alerts: Int = 0, uptimeSeconds: Double = 0) {
        self.components = components; self.alerts = alerts; self.uptimeSeconds = uptimeSeconds
    }
}
