import Atomics
import Metrics

/// Delivery figures of one sink, exported through swift-metrics (Prometheus):
/// `sluice_sink_delivered_events_total`, `sluice_sink_failed_events_total` (dead-lettered),
/// `sluice_sink_retries_total`, `sluice_sink_dropped_events_total` (disk buffer full with
/// `drop_newest`), gauges `sluice_sink_buffer_bytes`, `sluice_sink_buffer_events`,
/// `sluice_sink_buffer_oldest_age_seconds`; all labelled `component`. Also readable locally.
public final class SinkStats: Sendable {
    private let _delivered = ManagedAtomic<Int>(0), _failed = ManagedAtomic<Int>(0)
    private let _retries = ManagedAtomic<Int>(0), _dropped = ManagedAtomic<Int>(0)
    private let _corrupted = ManagedAtomic<Int>(0)
    private let delivered, failed, retries, dropped, corrupted: Counter
    private let bufBytes, bufEvents, bufAge: Gauge

    public init(component: String) {
        let d = [("component", component)]
        delivered = Counter(label: "sluice_sink_delivered_events_total", dimensions: d)
        failed = Counter(label: "sluice_sink_failed_events_total", dimensions: d)
        retries = Counter(label: "sluice_sink_retries_total", dimensions: d)
        dropped = Counter(label: "sluice_sink_dropped_events_total", dimensions: d)
        corrupted = Counter(label: "sluice_sink_buffer_corrupted_records_total", dimensions: d)
        bufBytes = Gauge(label: "sluice_sink_buffer_bytes", dimensions: d)
        bufEvents = Gauge(label: "sluice_sink_buffer_events", dimensions: d)
        bufAge = Gauge(label: "sluice_sink_buffer_oldest_age_seconds", dimensions: d)
    }

    public var deliveredCount: Int { _delivered.load(ordering: .relaxed) }
    public var failedCount: Int { _failed.load(ordering: .relaxed) }
    public var retryCount: Int { _retries.load(ordering: .relaxed) }
    public var droppedCount: Int { _dropped.load(ordering: .relaxed) }
    public var corruptedCount: Int { _corrupted.load(ordering: .relaxed) }

    func recordDelivered(_ n: Int) { guard n > 0 else { return }; _delivered.wrappingIncrement(by: n, ordering: .relaxed); delivered.increment(by: n) }
    func recordFailed(_ n: Int) { guard n > 0 else { return }; _failed.wrappingIncrement(by: n, ordering: .relaxed); failed.increment(by: n) }
    func recordRetry() { _retries.wrappingIncrement(ordering: .relaxed); retries.increment() }
    func recordDropped(_ n: Int) { guard n > 0 else { return }; _dropped.wrappingIncrement(by: n, ordering: .relaxed); dropped.increment(by: n) }
    func recordCorrupted(_ n: Int) { guard n > 0 else { return }; _corrupted.wrappingIncrement(by: n, ordering: .relaxed); corrupted.increment(by: n) }
    func recordBuffer(bytes: Int, events: Int, oldestAge: Double) {
        bufBytes.record(bytes); bufEvents.record(events); bufAge.record(oldestAge)
    }
}
