/// Where a component is in its life. Moves only forward:
/// building → starting → running → draining → stopped (or failed from starting/running).
public enum ComponentState: String, Sendable, Comparable {
    /// Built from configuration; nothing acquired.
    case building
    /// `start` is acquiring what the component needs.
    case starting
    /// Processing.
    case running
    /// Asked to stop (or unwired by a reload): finishing what it holds.
    case draining
    /// Done; everything released.
    case stopped
    /// `start` or `run` failed; see the log.
    case failed

    var order: Int {
        switch self {
        case .building: return 0
        case .starting: return 1
        case .running: return 2
        case .draining: return 3
        case .stopped: return 4
        case .failed: return 5
        }
    }
    public static func < (a: ComponentState, b: ComponentState) -> Bool { a.order < b.order }
}

/// What a running component is doing right now (for `/health`, `sluice top` and the
/// watchdog).
public enum ComponentActivity: String, Sendable {
    /// Waiting for input.
    case idle
    /// Moving events.
    case active
    /// Waiting for room downstream (backpressure).
    case blocked
    /// A sink waiting before retrying a failed delivery.
    case backingOff = "backing_off"
}

/// One component's state, figures and health, as the topology reports it.
public struct ComponentStatus: Sendable {
    public let name: String
    public let kind: String
    public let type: String
    public let state: ComponentState
    public let activity: ComponentActivity
    public let eventsIn: Int
    public let eventsOut: Int
    public let failed: Int
    public let dropped: Int
    /// Events waiting in the component's input (0 for sources) and how many it may hold.
    public let queueDepth: Int
    public let queueCapacity: Int
    /// Deliveries in a row that failed (sinks); 0 after a success.
    public let consecutiveFailures: Int
    /// The last delivery or run error, if any.
    public let lastError: String?
}

/// Per-component figures for the end-of-run summary.
public struct ComponentSummary: Sendable {
    public let name: String
    public let kind: String
    public let type: String
    public let eventsIn: Int
    public let eventsOut: Int
    public let failed: Int
    public let dropped: Int
    public let failureReasons: [String: Int]
}
