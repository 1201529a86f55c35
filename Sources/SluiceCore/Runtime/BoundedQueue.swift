import Atomics
import DequeModule

/// What a full queue does with a new batch.
public enum OverflowPolicy: String, Sendable, CaseIterable {
    /// The producer waits until there is room (backpressure). Nothing is lost.
    case block
    /// Events that do not fit are dropped, counted, and acknowledged so sources move on.
    case dropNewest = "drop_newest"
}

/// A bounded multi-producer, single-consumer queue of event batches between two stages.
///
/// Guarantees:
/// - `depth` (events queued) never exceeds `capacity`, except that one batch larger than the
///   whole capacity is admitted alone into an empty queue (so it cannot deadlock).
/// - `block`: `push` sleeps (no spinning) until the batch fits; order is FIFO; nothing is lost.
/// - `drop_newest`: what does not fit is dropped and counted in `dropped`, never silently.
/// - After `close()`, pops drain what is queued, then return `nil`; pushes are refused.
public final class BoundedQueue: @unchecked Sendable {
    public let name: String
    public let capacity: Int
    public let policy: OverflowPolicy

    private let monitor = Monitor(conditions: 2)  // 0: not empty, 1: not full
    private var batches = Deque<EventBatch>()
    private var _depth = 0
    private var closed = false
    private var producers: Int
    private var spaceWaiters: [@Sendable () -> Void] = []

    private let _in = ManagedAtomic<Int>(0)
    private let _out = ManagedAtomic<Int>(0)
    private let _dropped = ManagedAtomic<Int>(0)
    /// Called (outside the lock) after each change of depth, for metrics.
    public var onDepthChange: (@Sendable (Int) -> Void)?

    /// - Parameter producers: how many producers will call `producerFinished()`; when all
    ///   have, the queue closes itself.
    public init(name: String, capacity: Int, policy: OverflowPolicy = .block, producers: Int = 1) {
        precondition(capacity > 0, "queue capacity must be positive")
        self.name = name
        self.capacity = capacity
        self.policy = policy
        self.producers = producers
    }

    public var depth: Int { monitor.withLock { _depth } }
    public var eventsIn: Int { _in.load(ordering: .relaxed) }
    public var eventsOut: Int { _out.load(ordering: .relaxed) }
    public var dropped: Int { _dropped.load(ordering: .relaxed) }
    public var isClosed: Bool { monitor.withLock { closed } }

    /// Adds a batch, waiting while the queue is full (`block`) or dropping what does not fit
    /// (`drop_newest`). Returns the number of events accepted; a closed queue accepts none
    /// (the batch is acknowledged so its source is not held up).
    @discardableResult
    public func push(_ batch: EventBatch) -> Int {
        let n = batch.count
        if n == 0 { batch.acknowledge(); return 0 }
        monitor.lock()
        switch policy {
        case .block:
            while !closed && _depth > 0 && _depth + n > capacity { monitor.wait(1) }
            if closed { monitor.unlock(); batch.acknowledge(); return 0 }
            enqueueLocked(batch)
            monitor.unlock()
            _in.wrappingIncrement(by: n, ordering: .relaxed)
            onDepthChange?(n)
            return n
        case .dropNewest:
            if closed { monitor.unlock(); batch.acknowledge(); return 0 }
            // An empty queue takes any batch whole; otherwise what fits is kept, in order.
            let room = _depth == 0 ? n : max(0, capacity - _depth)
            let take = min(n, room)
            if take == n {
                enqueueLocked(batch)
            } else if take > 0 {
                enqueueLocked(batch.sharingAcknowledgements(events: Array(batch.events[0..<take])))
            }
            monitor.unlock()
            if take < n {
                _dropped.wrappingIncrement(by: n - take, ordering: .relaxed)
                batch.acknowledge()  // the original reference; a kept prefix holds its own
            }
            if take > 0 { _in.wrappingIncrement(by: take, ordering: .relaxed); onDepthChange?(take) }
            return take
        }
    }

    /// Sends one batch down every queue (fan-out), giving each path its own reference on the
    /// batch's acknowledgements; with no queue the batch is acknowledged (nothing reads it).
    public static func push(_ batch: EventBatch, toAll queues: [BoundedQueue]) {
        guard !queues.isEmpty else { batch.acknowledge(); return }
        if queues.count > 1 { for a in batch.acks { a.retain(queues.count - 1) } }
        for q in queues { q.push(batch) }
    }

    /// Adds a batch only if it fits now; returns false (batch untouched) if not.
    public func tryPush(_ batch: EventBatch) -> Bool {
        let n = batch.count
        monitor.lock()
        if closed || (_depth > 0 && _depth + n > capacity) { monitor.unlock(); return false }
        enqueueLocked(batch)
        monitor.unlock()
        _in.wrappingIncrement(by: n, ordering: .relaxed)
        onDepthChange?(n)
        return true
    }

    /// Registers a one-shot callback run when room frees up (or the queue closes).
    public func whenSpaceAvailable(_ callback: @escaping @Sendable () -> Void) {
        monitor.lock()
        if closed || _depth < capacity { monitor.unlock(); callback(); return }
        spaceWaiters.append(callback)
        monitor.unlock()
    }

    private func enqueueLocked(_ batch: EventBatch) {
        batches.append(batch)
        _depth += batch.count
        monitor.signal(0)
    }

    /// Takes batches (merged, up to about `maxEvents`), waiting at most `timeout` seconds
    /// (forever if nil). Returns an empty batch on timeout and `nil` once closed and drained.
    public func pop(maxEvents: Int = 4096, timeout: Double? = nil) -> EventBatch? {
        monitor.lock()
        while batches.isEmpty {
            if closed { monitor.unlock(); return nil }
            if let t = timeout {
                if !monitor.wait(0, seconds: t) && batches.isEmpty {
                    let isClosed = closed
                    monitor.unlock()
                    return isClosed ? nil : EventBatch(events: [])
                }
            } else {
                monitor.wait(0)
            }
        }
        var out = batches.removeFirst()
        while let next = batches.first, out.count + next.count <= maxEvents {
            batches.removeFirst()
            out.events.append(contentsOf: next.events)
            out.acks.append(contentsOf: next.acks)
        }
        _depth -= out.count
        monitor.broadcast(1)
        let waiters = spaceWaiters
        spaceWaiters.removeAll()
        monitor.unlock()
        for w in waiters { w() }
        _out.wrappingIncrement(by: out.count, ordering: .relaxed)
        onDepthChange?(-out.count)
        return out
    }

    /// One producer is done; the queue closes when every producer is.
    public func producerFinished() {
        monitor.lock()
        producers -= 1
        let shouldClose = producers <= 0
        monitor.unlock()
        if shouldClose { close() }
    }

    /// Refuses further pushes and wakes every waiter; queued batches can still be popped.
    public func close() {
        monitor.lock()
        closed = true
        monitor.broadcast(0)
        monitor.broadcast(1)
        let waiters = spaceWaiters
        spaceWaiters.removeAll()
        monitor.unlock()
        for w in waiters { w() }
    }
}
