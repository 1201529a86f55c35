import Atomics
import Foundation
import Metrics

/// Counters of one pipeline component, kept twice: in swift-metrics (exported to Prometheus
/// as `sluice_component_*{component,kind,type}`) and in local atomics for the end-of-run
/// summary. Updated per batch, not per event.
public final class ComponentMetrics: Sendable {
    public let name: String
    public let kind: String
    public let type: String

    private let _in = ManagedAtomic<Int>(0), _out = ManagedAtomic<Int>(0)
    private let _failed = ManagedAtomic<Int>(0), _dropped = ManagedAtomic<Int>(0)
    private let _bytesIn = ManagedAtomic<Int>(0), _bytesOut = ManagedAtomic<Int>(0)
    private let inCounter, outCounter, failedCounter, droppedCounter, bytesInCounter, bytesOutCounter: Counter
    private let depthGauge: Gauge
    struct Labelled: Sendable {
        var reasons: [String: Int] = [:]
        var reasonCounters: [String: Counter] = [:]
        var parserCounters: [String: Counter] = [:]
        var extra: [String: Counter] = [:]
        var extraTotals: [String: Int] = [:]
    }
    private let labelled = Locked(Labelled())

    public init(name: String, kind: String, type: String) {
        self.name = name; self.kind = kind; self.type = type
        let dims = [("component", name), ("kind", kind), ("type", type)]
        inCounter = Counter(label: "sluice_component_received_events_total", dimensions: dims)
        outCounter = Counter(label: "sluice_component_sent_events_total", dimensions: dims)
        failedCounter = Counter(label: "sluice_component_failed_events_total", dimensions: dims)
        droppedCounter = Counter(label: "sluice_component_dropped_events_total", dimensions: dims)
        bytesInCounter = Counter(label: "sluice_component_received_bytes_total", dimensions: dims)
        bytesOutCounter = Counter(label: "sluice_component_sent_bytes_total", dimensions: dims)
        depthGauge = Gauge(label: "sluice_component_queue_depth_events", dimensions: dims)
    }

    public var eventsIn: Int { _in.load(ordering: .relaxed) }
    public var eventsOut: Int { _out.load(ordering: .relaxed) }
    public var failed: Int { _failed.load(ordering: .relaxed) }
    public var dropped: Int { _dropped.load(ordering: .relaxed) }
    public var bytesIn: Int { _bytesIn.load(ordering: .relaxed) }
    public var bytesOut: Int { _bytesOut.load(ordering: .relaxed) }

    public func recordIn(_ n: Int, bytes: Int = 0) {
        guard n > 0 || bytes > 0 else { return }
        _in.wrappingIncrement(by: n, ordering: .relaxed); inCounter.increment(by: n)
        if bytes > 0 { _bytesIn.wrappingIncrement(by: bytes, ordering: .relaxed); bytesInCounter.increment(by: bytes) }
    }

    public func recordOut(_ n: Int, bytes: Int = 0) {
        guard n > 0 || bytes > 0 else { return }
        _out.wrappingIncrement(by: n, ordering: .relaxed); outCounter.increment(by: n)
        if bytes > 0 { _bytesOut.wrappingIncrement(by: bytes, ordering: .relaxed); bytesOutCounter.increment(by: bytes) }
    }

    public func recordDropped(_ n: Int) {
        guard n > 0 else { return }
        _dropped.wrappingIncrement(by: n, ordering: .relaxed); droppedCounter.increment(by: n)
    }

    /// Counts one failed record under a reason (exported with a `reason` label), and for a
    /// parser's refusal also as `sluice_parse_failures_total{component,parser,reason}`.
    /// Both label sets are bounded (256 reasons per component).
    public func recordFailure(reason: String, parser: String? = nil, count: Int = 1) {
        _failed.wrappingIncrement(by: count, ordering: .relaxed); failedCounter.increment(by: count)
        let (name, type, failedCounter) = (self.name, self.type, self.failedCounter)
        let (pc, c) = labelled.withLock { l -> (Counter?, Counter) in
            var pc: Counter?
            if let parser {
                let key = parser + "\u{0}" + reason
                pc = l.parserCounters[key]
                if pc == nil, l.parserCounters.count < 256 {
                    pc = Counter(label: "sluice_parse_failures_total",
                                 dimensions: [("component", name), ("parser", parser), ("reason", reason)])
                    l.parserCounters[key] = pc
                }
            }
            l.reasons[reason, default: 0] += count
            let c: Counter
            if let existing = l.reasonCounters[reason] { c = existing }
            else if l.reasonCounters.count < 256 {
                c = Counter(label: "sluice_component_failures_total",
                            dimensions: [("component", name), ("type", type), ("reason", reason)])
                l.reasonCounters[reason] = c
            } else { c = failedCounter }
            return (pc, c)
        }
        pc?.increment(by: count)
        c.increment(by: count)
    }

    /// Increments a component-specific counter `sluice_<name>_total{component=…}`.
    public func increment(_ counter: String, by n: Int = 1) {
        let (name, type) = (self.name, self.type)
        let c = labelled.withLock { l -> Counter in
            l.extraTotals[counter, default: 0] += n
            if let existing = l.extra[counter] { return existing }
            let c = Counter(label: "sluice_\(counter)_total", dimensions: [("component", name), ("type", type)])
            l.extra[counter] = c
            return c
        }
        c.increment(by: n)
    }

    public var failureReasons: [String: Int] { labelled.withLock { $0.reasons } }

    /// The totals of the component-specific counters (`increment(_:by:)`), by name.
    public var counterTotals: [String: Int] { labelled.withLock { $0.extraTotals } }

    public func setQueueDepth(_ d: Int) { depthGauge.record(d) }
}
