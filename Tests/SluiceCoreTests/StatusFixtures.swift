@testable import SluiceCore

/// A `ComponentStatus` with defaults, for the health, watchdog and status-line tests.
func componentStatus(_ name: String, kind: String = "transform", type: String = "parse",
                     state: ComponentState = .running, activity: ComponentActivity = .active,
                     eventsIn: Int = 0, eventsOut: Int = 0, failed: Int = 0, dropped: Int = 0,
                     queueDepth: Int = 0, queueCapacity: Int = 0, consecutiveFailures: Int = 0,
                     lastError: String? = nil) -> ComponentStatus {
    ComponentStatus(name: name, kind: kind, type: type, state: state, activity: activity,
                    eventsIn: eventsIn, eventsOut: eventsOut, failed: failed, dropped: dropped,
                    queueDepth: queueDepth, queueCapacity: queueCapacity,
                    consecutiveFailures: consecutiveFailures, lastError: lastError)
}
