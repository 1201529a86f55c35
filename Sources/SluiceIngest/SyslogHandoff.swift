#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Atomics
import NIOCore
import SluiceCore

/// Field keys set by the syslog listeners.
public enum SyslogKeys {
    public static let ingressName = FieldKey("observer.ingress.name")
}

/// Moves batches from event-loop threads to the pipeline without blocking an event loop.
///
/// Stream connections hand over one batch per read burst and resume reading only when the
/// batch has been accepted downstream (`emit` returned), so a full pipeline stops reads and
/// the kernel window pushes back on the sender. Datagram listeners cannot push back: when
/// downstream is full or a batch is already waiting, their batch is dropped and counted.
/// In-flight batches are bounded by the number of connections plus `maxDatagramBatches`.
final class SyslogHandoff: Sendable {
    let context: SourceContext
    let name: FieldValue
    private let queue: DispatchQueue
    private let inFlightDatagrams = ManagedAtomic<Int>(0)
    static let maxDatagramBatches = 2
    let droppedDatagrams = ManagedAtomic<Int>(0)

    init(context: SourceContext) {
        self.context = context
        self.name = .string(context.name)
        queue = DispatchQueue(label: "sluice.syslog.\(context.name).handoff")
    }

    /// Stream batches handed over and not yet `finished` by their connection (the
    /// continuation after the emit has not run yet); `waitIdle` waits for zero.
    private let inFlight = Locked(0)
    /// Set when the listener stops: connections read no more.
    let stopping = ManagedAtomic<Bool>(false)

    /// Stream path: emits `events` (blocking a handoff thread, never the loop), then
    /// `resume`, which must end with `finished()` (it usually hops back to the event loop).
    func hand(_ events: [Event], bytes: Int, then resume: @escaping @Sendable () -> Void) {
        let ctx = context
        inFlight.withLock { $0 += 1 }
        queue.async {
            ctx.metrics.recordIn(events.count, bytes: bytes)
            ctx.emit(EventBatch(events: events), bytes: bytes)
            resume()
        }
    }

    /// A handed batch's continuation has run.
    func finished() {
        if inFlight.withLock({ $0 -= 1; return $0 <= 0 }) { inFlight.broadcast() }
    }

    /// Waits up to `timeout` seconds until no stream batch is in flight (emitted and its
    /// continuation run); returns whether that was reached.
    @discardableResult
    func waitIdle(timeout: Double) -> Bool {
        guard inFlight.wait(timeout: timeout, until: { $0 <= 0 }, then: { _, idle in idle }) else { return false }
        queue.sync {}
        return true
    }

    /// Datagram path: emits if there is room, otherwise drops and counts.
    func offer(_ events: [Event], bytes: Int) {
        let ctx = context
        if !ctx.downstreamHasRoom || inFlightDatagrams.load(ordering: .relaxed) >= Self.maxDatagramBatches {
            ctx.metrics.recordIn(events.count, bytes: bytes)
            ctx.metrics.recordDropped(events.count)
            ctx.metrics.increment("syslog_datagrams_dropped", by: events.count)
            droppedDatagrams.wrappingIncrement(by: events.count, ordering: .relaxed)
            return
        }
        inFlightDatagrams.wrappingIncrement(ordering: .relaxed)
        queue.async { [inFlightDatagrams] in
            ctx.metrics.recordIn(events.count, bytes: bytes)
            ctx.emit(EventBatch(events: events), bytes: bytes)
            inFlightDatagrams.wrappingDecrement(ordering: .relaxed)
        }
    }

    /// Waits until every handed batch has been emitted.
    func drain() { queue.sync {} }

    /// A fresh event for one message from `peer`.
    @inline(__always)
    func event(_ bytes: [UInt8], ip: FieldValue?, port: FieldValue?) -> Event {
        var e = Event(original: ArraySlice(bytes))
        e.fields.reserveCapacity(8)
        e.append(ECS.sluiceSource, name)
        e.append(SyslogKeys.ingressName, name)
        if let ip { e.append(ECS.sourceIP, ip) }
        if let port { e.append(ECS.sourcePort, port) }
        return e
    }
}
