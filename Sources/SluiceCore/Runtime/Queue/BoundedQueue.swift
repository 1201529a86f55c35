/// A bounded multi-producer, single-consumer queue of event batches: an `Inbox` with one
/// shared lane. What a source's tests and benchmarks use to stand in for a stage.
///
/// Guarantees (those of `Inbox` for one lane): FIFO; never more than `capacity` events held
/// (pushes are split into batches of at most `maxBatch` events and wait for room, or drop
/// what does not fit under `drop_newest`, counted); after `close()` pushes are refused and
/// pops drain what is queued, then return nil; the queue closes itself when all `producers` called `producerFinished()`.
public final class BoundedQueue: Sendable {
    public let inbox: Inbox
    public let lane: Lane

    public init(name: String, capacity: Int, policy: OverflowPolicy = .block, producers: Int = 1, maxBatch: Int = 1 << 20) {
        inbox = Inbox(name: name, settings: InboxSettings(capacity: capacity, policy: policy, maxBatch: maxBatch))
        lane = inbox.addLane(name: name, producers: producers)
    }

    public var name: String { inbox.name }
    public var capacity: Int { inbox.settings.capacity }
    public var policy: OverflowPolicy { inbox.settings.policy }
    public var depth: Int { inbox.depth }
    public var eventsIn: Int { inbox.eventsIn }
    public var eventsOut: Int { inbox.eventsOut }
    public var dropped: Int { inbox.dropped }
    public var isClosed: Bool { inbox.isDone }

    @discardableResult
    public func push(_ batch: EventBatch) -> Int { lane.push(batch) }
    public func tryPush(_ batch: EventBatch) -> Bool { lane.tryPush(batch) }
    public func whenSpaceAvailable(_ callback: @escaping @Sendable () -> Void) { lane.whenSpaceAvailable(callback) }
    public func producerFinished() { lane.producerFinished() }
    /// Refuses further pushes; what is queued still drains, then `pop` returns nil.
    public func close() { lane.close() }

    /// Takes batches (merged, up to `maxEvents`), waiting at most `timeout` seconds (forever
    /// if nil). Returns an empty batch on timeout and nil once closed and drained.
    public func pop(maxEvents: Int = 4096, timeout: Double? = nil) -> EventBatch? {
        while true {
            switch inbox.pop(maxEvents: maxEvents, timeout: timeout) {
            case .batch(let b)?: return b
            case .idle?: return EventBatch(events: [])
            case .barrier?: continue
            case nil: return nil
            }
        }
    }
}
