import Foundation
@testable import SluiceCore

/// Emits `count` events numbered 0..<count in batches, tracking acknowledgements.
final class CountingSource: Source {
    let count: Int
    let batchSize: Int
    let tracker = AckTracker<Int>(initial: 0)
    let emitted = Monitor()
    private var _emitted = 0
    static let seq = FieldKey("test.seq")

    init(count: Int, batchSize: Int) { self.count = count; self.batchSize = batchSize }

    var emittedCount: Int { emitted.withLock { _emitted } }

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
            emitted.withLock { _emitted = i }
        }
    }
}

/// Collects what it receives; optionally sleeps per batch (a slow SIEM).
final class CollectingSink: Sink {
    let delay: useconds_t
    let lock = Monitor()
    private var _events: [Event] = []
    init(delayMicros: useconds_t = 0) { delay = delayMicros }
    var events: [Event] { lock.withLock { _events } }
    func write(_ batch: EventBatch) throws {
        if delay > 0 { usleep(delay) }
        lock.withLock { _events.append(contentsOf: batch.events) }
        batch.acknowledge()
    }
}

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

/// Registry of the test components, addressable by `type:`.
final class TestRegistry {
    var sources: [String: Source] = [:]
    var sinks: [String: Sink] = [:]
    var registry: ComponentRegistry {
        var r = ComponentRegistry()
        let sources = self.sources, sinks = self.sinks
        r.sources["counting"] = { o, ctx in _ = o.string("note"); return sources[ctx.name]! }
        r.transforms["picky"] = { o, _ in PickyTransform(every: o.int("every", default: 10)) }
        r.sinks["collect"] = { o, ctx in _ = o.string("note"); return sinks[ctx.name]! }
        r.sinks["dead_letter"] = { _, ctx in sinks[ctx.name] ?? sinks["_dead_letter"] ?? CollectingSink() }
        return r
    }
}

func quietLogger() -> Logger {
    var l = Logger(label: "test")
    l.logLevel = .critical
    return l
}

import Logging
