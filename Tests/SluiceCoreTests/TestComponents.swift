import Foundation
import Logging
@testable import SluiceCore

/// Emits `count` events numbered 0..<count in batches, tracking acknowledgements.
final class CountingSource: Source, @unchecked Sendable {
    // SAFETY: `run` is the only writer of the counters, which live behind `Locked`.
    let count: Int
    let batchSize: Int
    let tracker = AckTracker<Int>(initial: 0)
    private let emitted = Locked(0)
    static let seq = FieldKey("test.seq")

    init(count: Int, batchSize: Int) { self.count = count; self.batchSize = batchSize }

    var emittedCount: Int { emitted.withLock { $0 } }

    func run(_ context: SourceContext) throws {
        var i = 0
        while i < count && !context.isStopping {
            let n = min(batchSize, count - i)
            let events = (i..<(i + n)).map { k -> Event in
                var e = Event(original: ArraySlice("{\"seq\":\(k)}".utf8))
                e.append(Self.seq, .int(Int64(k)))
                return e
            }
            i += n
            let ack = tracker.register(i)
            context.emit(EventBatch(events: events, acks: [ack]))
            let done = i
            emitted.withLock { $0 = done }
        }
    }
}

/// Collects what it receives; optionally sleeps per batch (a slow SIEM).
class CollectingSink: Sink, @unchecked Sendable {
    // SAFETY: the collected events live behind `Locked`; `delay` is immutable.
    let delay: useconds_t
    private let collected = Locked<[Event]>([])
    init(delayMicros: useconds_t = 0) { delay = delayMicros }
    var events: [Event] { collected.withLock { $0 } }
    func write(_ batch: EventBatch) throws {
        if delay > 0 { usleep(delay) }
        collected.withLock { $0.append(contentsOf: batch.events) }
        batch.acknowledge()
    }
}

/// A collecting sink that receives the pipeline's failures.
final class CollectingDeadLetterSink: CollectingSink, DeadLetterDestination, @unchecked Sendable {}

/// Fails every event whose sequence number is divisible by `every`.
final class PickyTransform: Transform {
    let every: Int
    init(every: Int) { self.every = every }
    func process(_ events: [Event], into output: inout [Event], failures: inout [DeadLetter]) {
        for e in events {
            let s = Int(e[CountingSource.seq]?.intValue ?? 0)
            if s % every == 0 { failures.append(DeadLetter(event: e, reason: "picky", detail: "seq \(s)")) }
            else { output.append(e) }
        }
    }
}

/// A positioned source that emits the batches handed to `send` (events numbered as asked); it
/// places requested epoch barriers only when `servicesBarriers` (false: a source whose
/// thread is stuck elsewhere, e.g. blocked by a full downstream lane).
final class ManualSource: PositionedSource, @unchecked Sendable {
    // SAFETY: the queued batches and the position live behind `Locked`; the flag is immutable.
    let servicesBarriers: Bool
    private let queued = Locked<(pending: [Int], sent: Int)>((pending: [], sent: 0))
    init(servicesBarriers: Bool) { self.servicesBarriers = servicesBarriers }

    /// Queues a batch of `count` events numbered `from..<from + count`.
    func send(from: Int, count: Int) { queued.withLock { $0.pending.append(contentsOf: from..<(from + count)) } }

    func run(_ context: SourceContext) throws {
        while !context.isStopping {
            let seqs = queued.withLock { q -> [Int] in defer { q.pending = [] }; return q.pending }
            if !seqs.isEmpty {
                let events = seqs.map { k -> Event in
                    var e = Event()   // no event time: lanes are not merged in time
                    e.append(CountingSource.seq, .int(Int64(k)))
                    return e
                }
                queued.withLock { $0.sent += seqs.count }
                context.emit(EventBatch(events: events))
            }
            if servicesBarriers { context.serviceBarriers() }
            usleep(5_000)
        }
    }

    func barrierPosition() -> [UInt8] { Array(String(queued.withLock { $0.sent }).utf8) }
}

/// A stateful pass-through stage: counts the events it saw (its snapshot), and with
/// `countsTicks` also the ticks (a state that moves with time alone). With `versioned` it
/// reports a `stateVersion` (bumped by every batch and counted tick); `snapshots` counts the
/// times its state was read.
final class CountingStage: StatefulTransform, @unchecked Sendable {
    // SAFETY: called on the stage's own queue only (`snapshots` is locked: tests read it).
    let countsTicks: Bool
    let versioned: Bool
    var seen = 0, ticks = 0
    private var version: UInt64 = 0
    let snapshots = Locked(0)
    init(countsTicks: Bool = false, versioned: Bool = false) {
        self.countsTicks = countsTicks
        self.versioned = versioned
    }
    func process(_ events: [Event], into output: inout [Event], failures: inout [DeadLetter]) {
        seen += events.count
        version += 1
        output.append(contentsOf: events)
    }
    func tick(_ time: StageTime, into output: inout [Event]) { if countsTicks { ticks += 1; version += 1 } }
    var stateVersion: UInt64? { versioned ? version : nil }
    func snapshot() throws -> [UInt8] {
        snapshots.withLock { $0 += 1 }
        return Array("\(seen) \(ticks)".utf8)
    }
    func restore(_ snapshot: [UInt8]) throws {
        let parts = String(decoding: snapshot, as: UTF8.self).split(separator: " ")
        seen = parts.first.flatMap { Int($0) } ?? 0
        ticks = parts.dropFirst().first.flatMap { Int($0) } ?? 0
        version += 1
    }
}

/// Registry of the test components, addressable by `type:`. Sources and sinks are the
/// instances placed in `sources`/`sinks` under the component's name.
final class TestRegistry: @unchecked Sendable {
    // SAFETY: the maps are filled before the registry is used and only read afterwards
    // (behind `Locked`).
    private let parts = Locked<(sources: [String: Source], sinks: [String: Sink])>(uncheckedState: ([:], [:]))

    var sources: [String: Source] {
        get { parts.withLock { $0.sources } }
        set { parts.withLock { $0.sources = newValue } }
    }
    /// The counting stages built, by component name.
    let stages = Locked([String: CountingStage]())

    var sinks: [String: Sink] {
        get { parts.withLock { $0.sinks } }
        set { parts.withLock { $0.sinks = newValue } }
    }

    var registry: ComponentRegistry {
        var r = ComponentRegistry()
        r.sources["counting"] = { [self] o, ctx in _ = o.string("note"); return sources[ctx.name]! }
        r.transforms["picky"] = { o, _ in PickyTransform(every: o.int("every", default: 10)) }
        r.transforms["counting_stage"] = { [self] o, ctx in
            let stage = CountingStage(countsTicks: o.bool("counts_ticks", default: false), versioned: o.bool("versioned", default: false))
            stages.withLock { $0[ctx.name] = stage }
            return stage
        }
        r.sinks["collect"] = { [self] o, ctx in _ = o.string("note"); return sinks[ctx.name]! }
        r.sinks["dead_letter"] = { [self] _, ctx in sinks[ctx.name] ?? CollectingDeadLetterSink() }
        r.defaultDeadLetter = { [self] _, _ in sinks["_dead_letter"] ?? CollectingDeadLetterSink() }
        return r
    }
}

func quietLogger() -> Logger {
    var l = Logger(label: "test")
    l.logLevel = .critical
    return l
}
