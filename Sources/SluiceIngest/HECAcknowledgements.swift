import DequeModule
import SluiceCore

/// Splunk HEC indexer acknowledgements: per client channel (`X-Splunk-Request-Channel`), each
/// accepted request gets an ack id, and `/services/collector/ack` answers `true` for an id
/// once every sink of the pipeline has acknowledged that request's events.
///
/// Guarantees: an id answers `true` only after its `Acknowledgement` completed (all sinks
/// delivered, or the pipeline deliberately dropped the events); a `true` is reported once and
/// the id is then forgotten (a later query answers `false`, as Splunk does); ids are numbered
/// from 0 per channel. Bounded: at most `maxChannels` channels (channels idle longer than
/// `idleTimeout` are removed) and `maxPendingPerChannel` ids per channel (the oldest
/// completed-but-unqueried id is forgotten first; a channel whose ids are all still in flight
/// refuses new requests). Thread-safe.
final class HECAcknowledgements: Sendable {
    let maxChannels: Int
    let maxPendingPerChannel: Int
    let idleTimeout: Double

    private final class Channel: @unchecked Sendable {
        // SAFETY (@unchecked Sendable): a channel is reached only through `Table`, and every
        // field is read and written only inside `table.withLock` (the acknowledgement
        // callbacks hold a weak reference and take the same lock).
        var nextID: UInt64 = 0
        var inFlight = Set<UInt64>()
        var done = Set<UInt64>()
        var doneOrder = Deque<UInt64>()
        var lastUsed: Double
        init(now: Double) { lastUsed = now }
    }

    private struct Table: Sendable {
        var channels: [String: Channel] = [:]
        var lastSweep: Double = 0

        mutating func sweep(now: Double, idleTimeout: Double) {
            guard now - lastSweep >= min(idleTimeout, 10) else { return }
            lastSweep = now
            channels = channels.filter { now - $0.value.lastUsed <= idleTimeout || !$0.value.inFlight.isEmpty }
        }
    }
    private let table = Locked(Table())

    init(maxChannels: Int = 1000, maxPendingPerChannel: Int = 10_000, idleTimeout: Double = 600) {
        self.maxChannels = maxChannels
        self.maxPendingPerChannel = maxPendingPerChannel
        self.idleTimeout = idleTimeout
    }

    /// Registers a request on `channel`: its ack id and the `Acknowledgement` to attach to its
    /// batch. Nil when the channel table or the channel is full (answer 503, busy).
    func register(channel name: String, now: Double = Clock.monotonic()) -> (id: UInt64, ack: Acknowledgement)? {
        let registered: (UInt64, Channel)? = table.withLock { t in
            t.sweep(now: now, idleTimeout: idleTimeout)
            let ch: Channel
            if let c = t.channels[name] { ch = c } else {
                guard t.channels.count < maxChannels else { return nil }
                ch = Channel(now: now)
                t.channels[name] = ch
            }
            ch.lastUsed = now
            while ch.inFlight.count + ch.done.count >= maxPendingPerChannel {
                guard let oldest = ch.doneOrder.popFirst() else { return nil }
                ch.done.remove(oldest)
            }
            let id = ch.nextID
            ch.nextID &+= 1
            ch.inFlight.insert(id)
            return (id, ch)
        }
        guard let (id, ch) = registered else { return nil }
        let ack = Acknowledgement { [weak self, weak ch] in
            guard let self, let ch else { return }
            self.table.withLock { _ in
                if ch.inFlight.remove(id) != nil {
                    ch.done.insert(id)
                    ch.doneOrder.append(id)
                }
            }
        }
        return (id, ack)
    }

    /// Answers a status query: `true` for each id whose events were delivered (and forgets it).
    func query(channel name: String, ids: [UInt64], now: Double = Clock.monotonic()) -> [(UInt64, Bool)] {
        table.withLock { t in
            guard let ch = t.channels[name] else { return ids.map { ($0, false) } }
            ch.lastUsed = now
            var out: [(UInt64, Bool)] = []
            out.reserveCapacity(ids.count)
            var removed = false
            for id in ids {
                let ok = ch.done.remove(id) != nil
                removed = removed || ok
                out.append((id, ok))
            }
            if removed { ch.doneOrder.removeAll { !ch.done.contains($0) } }
            return out
        }
    }

    /// Channels now open (for tests and metrics).
    var channelCount: Int { table.withLock { $0.channels.count } }
}
