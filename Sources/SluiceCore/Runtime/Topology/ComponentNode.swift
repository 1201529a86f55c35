import Dispatch
import Logging

/// Holds a built component for the thread that runs it.
final class ComponentBox: @unchecked Sendable {
    // SAFETY (@unchecked Sendable): after `Topology.start` the component is used only on its
    // runner's serial queue. The topology touches it before that queue starts (restore,
    // `start`) and after the runner finished (final snapshot, `close`), ordered by the
    // runner's completion; `Source.stop()` and `Source.commitCheckpoints()` are thread-safe
    // by the `Source` contract.
    let component: BuiltComponent
    init(_ component: BuiltComponent) { self.component = component }

    var source: Source? { if case .source(let s) = component { return s }; return nil }
    var transform: Transform? { if case .transform(let t) = component { return t }; return nil }
    var sink: Sink? { if case .sink(let s) = component { return s }; return nil }
}

/// What a node's runner reports about it.
struct NodeStatus: Sendable {
    var state: ComponentState = .building
    var activity: ComponentActivity = .idle
    var consecutiveFailures = 0
    var lastError: String?
    var finished = false
}

/// One running component: its queues, figures and state. Shared by the topology and the
/// component's runner.
final class ComponentNode: Sendable {
    let name: String
    let kind: ComponentKind
    let type: String
    let fingerprint: String
    let isDeadLetter: Bool
    let isStateful: Bool
    let reportsFailures: Bool
    let box: ComponentBox
    let metrics: ComponentMetrics
    /// Input lanes (transforms and sinks).
    let inbox: Inbox?
    /// Where its events go, and where its failures go (dead-letter sinks).
    let output = Output()
    let failures = Output()
    let status = Locked(NodeStatus())
    let queue: DispatchQueue
    let logger: Logger

    init(entry: Plan.Entry, inbox: Inbox?, metrics: ComponentMetrics, logger: Logger) {
        name = entry.name
        kind = entry.kind
        type = entry.config.type
        fingerprint = entry.fingerprint
        isDeadLetter = entry.isDeadLetter
        isStateful = entry.isStateful
        reportsFailures = entry.reportsFailures
        box = ComponentBox(entry.component)
        self.inbox = inbox
        self.metrics = metrics
        var l = logger
        l[metadataKey: "component"] = "\(entry.name)"
        self.logger = l
        queue = DispatchQueue(label: "sluice.\(entry.kind.rawValue).\(entry.name)")
    }

    var state: ComponentState { status.withLock { $0.state } }

    func set(_ state: ComponentState) {
        status.withLock { s in if state > s.state || state == .failed { s.state = state } }
    }

    func setActivity(_ a: ComponentActivity) { status.withLock { $0.activity = a } }

    /// Marks the runner done and wakes `waitFinished`.
    func finish(_ final: ComponentState = .stopped) {
        status.withLock { s in
            if s.state != .failed { s.state = final }
            s.finished = true
        }
        status.broadcast()
    }

    var isFinished: Bool { status.withLock { $0.finished } }

    /// Waits (at most `seconds`, nil: forever) until the runner is done.
    @discardableResult
    func waitFinished(seconds: Double?) -> Bool {
        status.wait(timeout: seconds, until: { $0.finished }) { _, ready in ready }
    }

    /// Records failures as dead-letter events (with the reason fields) and sends them on,
    /// each path holding its own references on `acks`.
    func sendToDeadLetter(_ failures: [DeadLetter], acks: [Acknowledgement]) {
        guard !failures.isEmpty else { return }
        var events: [Event] = []
        events.reserveCapacity(failures.count)
        for f in failures {
            metrics.recordFailure(reason: f.reason, parser: f.parser)
            var e = f.event
            e[ECS.sluiceComponent] = .string(name)
            if let p = f.parser { e[ECS.sluiceParser] = .string(p) }
            e[ECS.errorType] = .string(f.reason)
            if !f.detail.isEmpty { e[ECS.errorMessage] = .string(f.detail) }
            events.append(e)
        }
        for a in acks { a.retain() }
        self.failures.emit(EventBatch(events: events, acks: acks))
    }

    func statusReport() -> ComponentStatus {
        let s = status.withLock { $0 }
        var activity = s.activity
        if kind != .sink, activity != .backingOff, !output.lanes.isEmpty, !output.hasRoom { activity = .blocked }
        return ComponentStatus(name: name, kind: kind.rawValue, type: type, state: s.state, activity: activity,
                               eventsIn: metrics.eventsIn, eventsOut: metrics.eventsOut, failed: metrics.failed,
                               dropped: metrics.dropped + (inbox?.dropped ?? 0),
                               queueDepth: inbox?.depth ?? 0, queueCapacity: inbox?.settings.capacity ?? 0,
                               consecutiveFailures: s.consecutiveFailures, lastError: s.lastError)
    }
}
