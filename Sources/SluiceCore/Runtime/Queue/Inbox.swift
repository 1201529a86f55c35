import DequeModule

/// What a full lane does with a new batch.
public enum OverflowPolicy: String, Sendable, CaseIterable {
    /// The producer waits until there is room (backpressure). Nothing is lost.
    case block
    /// Events that do not fit are dropped, counted, and acknowledged so sources move on.
    case dropNewest = "drop_newest"
}

/// How an inbox queues, merges and orders what its producers send.
public struct InboxSettings: Sendable {
    /// Events one lane may hold (each input of a stage has its own lane).
    public var capacity: Int
    public var policy: OverflowPolicy
    /// Largest batch moved at once: pushes are split to it, pops merge up to it.
    public var maxBatch: Int
    /// Event-time alignment across lanes (nanoseconds): a lane's events are handed out only
    /// while they are at most this far ahead of the slowest active lane. nil: no alignment.
    public var maxSkew: Int64?
    /// Seconds an empty lane may stay silent before it stops holding the others back (live
    /// runs). nil: only a finished lane stops holding the others back (replay).
    public var idleTimeout: Double?
    /// Seconds a barrier may wait for the other lanes before its epoch is abandoned here.
    public var barrierTimeout: Double

    public init(capacity: Int, policy: OverflowPolicy = .block, maxBatch: Int = 1024,
                maxSkew: Int64? = nil, idleTimeout: Double? = nil, barrierTimeout: Double = 60) {
        precondition(capacity > 0, "queue capacity must be positive")
        self.capacity = capacity; self.policy = policy; self.maxBatch = max(1, maxBatch)
        self.maxSkew = maxSkew; self.idleTimeout = idleTimeout; self.barrierTimeout = barrierTimeout
    }
}

/// What a stage takes from its inbox.
public enum InboxItem: Sendable {
    /// Events, in order per input, with the acknowledgements they carry.
    case batch(EventBatch)
    /// Every input delivered the barrier of this epoch: everything before it on every input
    /// has been handed out, nothing after it yet. A stateful stage snapshots now.
    case barrier(UInt64)
    /// Nothing could be handed out within the timeout (a chance to run timers).
    case idle
}

/// The input side of a stage: one bounded FIFO **lane** per producer, merged for one
/// consumer.
///
/// Guarantees:
/// - Per lane, order is kept and events held never exceed `capacity` (a push is split into
///   batches of at most `min(maxBatch, capacity)` events and waits for room, or drops what does
///   not fit under `drop_newest`, counted in `dropped` and acknowledged, never silently).
/// - Barriers are aligned (Chandy–Lamport): once a lane delivers the barrier of an epoch, the
///   consumer takes nothing more from that lane until every other unfinished lane delivered it
///   too; then it gets `.barrier(epoch)` once. Barriers are never dropped. Stale barriers (of an
///   epoch given up) are discarded.
/// - With `maxSkew`, lanes are merged in event time: an event is handed out only while its
///   time is at most `maxSkew` ahead of every other active lane's position (its next event, or
///   the newest time it delivered when empty). Finished lanes, lanes waiting at a barrier and
///   (live) lanes silent for `idleTimeout` do not hold the others back. Events without a time
///   (0) are never held.
/// - Lanes that cannot be ordered in event time (a head batch without time, or no `maxSkew`)
///   are served in turn with the others, least recently served first: a busy lane never
///   starves another.
/// - `pop` returns nil once every lane is finished and drained (or after `close()`).
public final class Inbox: Sendable {
    public let name: String
    public let settings: InboxSettings

    enum Item: Sendable {
        case batch(EventBatch)
        case barrier(UInt64)
    }

    struct LaneState: Sendable {
        let id: Int
        let name: String
        var items = Deque<Item>()
        var depth = 0
        var producers: Int
        var lastPush: Double
        /// Largest event time pushed on this lane (Int64.min before any; events without time
        /// do not count).
        var maxTime = Int64.min
        /// Events were pushed (with or without time).
        var pushed = false
        /// Closed to pushes (`Lane.close()`): what is queued still drains.
        var refusing = false
        /// When this lane was last handed out (`State.served`), for taking turns.
        var servedAt: UInt64 = 0
        var finished: Bool { producers <= 0 || refusing }
    }

    struct State: Sendable {
        var lanes: [LaneState] = []
        var nextLaneID = 0
        var closed = false
        /// Largest event time handed out.
        var frontier = Int64.min
        /// Epochs at or below this were completed or given up here; their barriers are stale.
        var lastEpoch: UInt64 = 0
        var alignmentStarted: Double?
        var spaceWaiters: [@Sendable () -> Void] = []
        var eventsIn = 0, eventsOut = 0, dropped = 0, depth = 0
        var abandonedEpochs = 0
        /// Batches handed out so far (orders `LaneState.servedAt`).
        var served: UInt64 = 0
    }

    /// Condition 0: the consumer may have something to take; 1: producers may have room.
    let state: Locked<State>
    /// Called (outside the lock) after the depth changed, with the total depth.
    private let onDepthChange: (@Sendable (Int) -> Void)?

    public init(name: String, settings: InboxSettings, onDepthChange: (@Sendable (Int) -> Void)? = nil) {
        self.name = name
        self.settings = settings
        self.onDepthChange = onDepthChange
        state = Locked(State(), conditions: 2)
    }

    /// A new input lane with `producers` producers that will each call `producerFinished()`.
    public func addLane(name: String, producers: Int = 1) -> Lane {
        let id = state.withLock { s -> Int in
            let id = s.nextLaneID
            s.nextLaneID += 1
            s.lanes.append(LaneState(id: id, name: name, producers: producers, lastPush: Clock.monotonic()))
            return id
        }
        return Lane(inbox: self, id: id, name: name)
    }

    public var depth: Int { state.withLock { $0.depth } }
    public var eventsIn: Int { state.withLock { $0.eventsIn } }
    public var eventsOut: Int { state.withLock { $0.eventsOut } }
    public var dropped: Int { state.withLock { $0.dropped } }
    /// Largest event time handed out so far (Int64.min before any).
    public var frontier: Int64 { state.withLock { $0.frontier } }
    /// Epochs whose alignment was given up here (a lane never delivered the barrier in time).
    public var abandonedEpochs: Int { state.withLock { $0.abandonedEpochs } }
    public var laneCount: Int { state.withLock { $0.lanes.count } }
    /// True once every lane finished and drained, or after `close()`.
    public var isDone: Bool { state.withLock { Self.done($0) } }

    /// Stops everything at once: pushes are refused (their batches acknowledged), waiting
    /// producers and the consumer wake, and `pop` returns nil. Used when a drain times out.
    public func close() {
        let waiters = state.withLock { s -> [@Sendable () -> Void] in
            s.closed = true
            let w = s.spaceWaiters
            s.spaceWaiters.removeAll()
            return w
        }
        state.broadcast(0); state.broadcast(1)
        for w in waiters { w() }
    }

    // MARK: producer side (called through `Lane`)

    func push(lane id: Int, _ batch: EventBatch) -> Int {
        let n = batch.count
        if n == 0 { batch.acknowledge(); return 0 }
        let chunk = min(settings.maxBatch, settings.capacity)
        if n <= chunk { return pushChunk(lane: id, batch) }
        // Split: each part holds its own references on the batch's acknowledgements.
        var accepted = 0
        var start = 0
        while start < n {
            let end = min(n, start + chunk)
            let part = batch.sharingAcknowledgements(events: Array(batch.events[start..<end]))
            accepted += pushChunk(lane: id, part)
            start = end
        }
        batch.acknowledge()  // the original reference; every part holds its own
        return accepted
    }

    private func pushChunk(lane id: Int, _ batch: EventBatch) -> Int {
        let n = batch.count
        let cap = settings.capacity
        let maxT = Self.maxTime(batch)
        switch settings.policy {
        case .block:
            let accepted = state.wait(on: 1, until: { s in
                guard !s.closed, let i = Self.index(s, id), !s.lanes[i].refusing else { return true }
                return s.lanes[i].depth == 0 || s.lanes[i].depth + n <= cap
            }, then: { s, _ -> Bool in
                guard !s.closed, let i = Self.index(s, id), !s.lanes[i].refusing else { return false }
                Self.enqueue(&s, i, .batch(batch), events: n, maxTime: maxT)
                return true
            })
            if !accepted { batch.acknowledge(); return 0 }
            state.signal(0)
            onDepthChange?(depth)
            return n
        case .dropNewest:
            let take = state.withLock { s -> Int in
                guard !s.closed, let i = Self.index(s, id), !s.lanes[i].refusing else { return 0 }
                let room = s.lanes[i].depth == 0 ? n : max(0, cap - s.lanes[i].depth)
                let take = min(n, room)
                if take == n {
                    Self.enqueue(&s, i, .batch(batch), events: n, maxTime: maxT)
                } else if take > 0 {
                    Self.enqueue(&s, i, .batch(batch.sharingAcknowledgements(events: Array(batch.events[0..<take]))),
                                 events: take, maxTime: maxT)
                }
                s.dropped += n - take
                return take
            }
            if take < n { batch.acknowledge() }  // the original reference; a kept prefix holds its own
            if take > 0 { state.signal(0); onDepthChange?(depth) }
            return take
        }
    }

    /// The batch's largest event time (Int64.min when none of its events has one).
    private static func maxTime(_ batch: EventBatch) -> Int64 {
        var maxT = Int64.min
        for e in batch.events where e.timestamp != 0 && e.timestamp > maxT { maxT = e.timestamp }
        return maxT
    }

    private static func enqueue(_ s: inout State, _ i: Int, _ item: Item, events n: Int, maxTime: Int64) {
        s.lanes[i].items.append(item)
        s.lanes[i].depth += n
        s.lanes[i].lastPush = Clock.monotonic()
        if maxTime > s.lanes[i].maxTime { s.lanes[i].maxTime = maxTime }
        if n > 0 { s.lanes[i].pushed = true }
        s.depth += n
        s.eventsIn += n
    }

    func tryPush(lane id: Int, _ batch: EventBatch) -> Bool {
        let n = batch.count
        let maxT = Self.maxTime(batch)
        let ok = state.withLock { s -> Bool in
            guard !s.closed, let i = Self.index(s, id), !s.lanes[i].refusing else { return false }
            if s.lanes[i].depth > 0 && s.lanes[i].depth + n > settings.capacity { return false }
            Self.enqueue(&s, i, .batch(batch), events: n, maxTime: maxT)
            return true
        }
        if ok { state.signal(0); onDepthChange?(depth) }
        return ok
    }

    func pushBarrier(lane id: Int, epoch: UInt64) {
        state.withLock { s in
            guard !s.closed, let i = Self.index(s, id) else { return }
            s.lanes[i].items.append(.barrier(epoch))
        }
        state.signal(0)
    }

    /// Marks the barriers of epochs up to `epoch` stale: an epoch the coordinator gave up (a
    /// reload) is never completed by every lane, so a lane already waiting at its barrier
    /// flows on at once instead of after the next epoch's barrier or `barrierTimeout`, and
    /// its barriers still on their way are discarded when they arrive.
    public func abandonEpochs(through epoch: UInt64) {
        let changed = state.withLock { s -> Bool in
            guard epoch > s.lastEpoch else { return false }
            s.lastEpoch = epoch
            s.alignmentStarted = nil
            return true
        }
        if changed { state.broadcast(0) }
    }

    func producerFinished(lane id: Int) {
        state.withLock { s in
            guard let i = Self.index(s, id) else { return }
            s.lanes[i].producers -= 1
        }
        state.broadcast(0)
    }

    func closeLane(_ id: Int) {
        state.withLock { s in
            guard let i = Self.index(s, id) else { return }
            s.lanes[i].refusing = true
        }
        state.broadcast(0); state.broadcast(1)
    }

    func addProducer(lane id: Int) {
        state.withLock { s in
            guard let i = Self.index(s, id) else { return }
            s.lanes[i].producers += 1
        }
    }

    func hasRoom(lane id: Int) -> Bool {
        state.withLock { s in
            guard !s.closed, let i = Self.index(s, id) else { return true }
            return s.lanes[i].depth < settings.capacity
        }
    }

    func laneDepth(_ id: Int) -> Int {
        state.withLock { s in Self.index(s, id).map { s.lanes[$0].depth } ?? 0 }
    }

    func whenSpaceAvailable(lane id: Int, _ callback: @escaping @Sendable () -> Void) {
        let now = state.withLock { s -> Bool in
            guard !s.closed, let i = Self.index(s, id), s.lanes[i].depth >= settings.capacity else { return true }
            s.spaceWaiters.append(callback)
            return false
        }
        if now { callback() }
    }

    @inline(__always)
    private static func index(_ s: State, _ id: Int) -> Int? {
        for i in s.lanes.indices where s.lanes[i].id == id { return i }
        return nil
    }

    // MARK: consumer side

    private static func done(_ s: State) -> Bool {
        if s.closed { return true }
        if s.lanes.isEmpty { return false }
        return s.lanes.allSatisfy { $0.finished && $0.items.isEmpty }
    }

    /// What the consumer can take now.
    enum Selection {
        case nothing
        case done
        case barrier(UInt64)
        /// From lane index `lane`: events of the head batch up to `limit` (event time), and
        /// whether later batches of that lane may be merged.
        case batch(lane: Int, limit: Int64)
        /// Stale barriers at the heads of these lanes must be discarded first.
        case discard
    }

    private func select(_ s: State, now: Double) -> Selection {
        if Self.done(s) { return .done }
        // Stale barriers are thrown away before anything else.
        for l in s.lanes {
            if case .barrier(let e)? = l.items.first, e <= s.lastEpoch { return .discard }
        }
        // Barrier alignment: the newest epoch waiting at a head is the one being aligned;
        // an older one at another head is superseded.
        var aligning: UInt64?
        for l in s.lanes { if case .barrier(let e)? = l.items.first { aligning = max(aligning ?? 0, e) } }
        if let e = aligning {
            var all = true
            for l in s.lanes {
                switch l.items.first {
                case .barrier(let x)?: if x < e { return .discard }
                case .batch?: all = false
                case nil: if !l.finished { all = false }
                }
            }
            if all { return .barrier(e) }
        }
        // Candidates: lanes whose head is a batch. Timed heads go in event-time order (when
        // aligning); lanes that cannot be ordered (a head without time, or alignment off) take
        // turns with them, least recently served first, so a busy lane never starves another.
        let align = settings.maxSkew != nil && s.lanes.count > 1
        var best: (lane: Int, time: Int64, limit: Int64)?
        var turn: (lane: Int, servedAt: UInt64, limit: Int64)?
        for (i, l) in s.lanes.enumerated() {
            guard case .batch(let b)? = l.items.first else { continue }
            var limit = Int64.max
            if align, let skew = settings.maxSkew {
                for (j, m) in s.lanes.enumerated() where j != i {
                    guard let pos = position(m, now: now) else { continue }
                    let bound = pos > Int64.max - skew ? Int64.max : pos &+ skew
                    if bound < limit { limit = bound }
                }
                let first = b.events.first?.timestamp ?? 0
                if first != 0 && first > limit { continue }
            }
            let t = b.events.first.map { $0.timestamp == 0 ? Int64.min : $0.timestamp } ?? Int64.min
            if align && t != Int64.min {
                if best == nil || t < best!.time { best = (i, t, limit) }
            } else if turn == nil || l.servedAt < turn!.servedAt {
                turn = (i, l.servedAt, limit)
            }
        }
        switch (best, turn) {
        case (let b?, let u?):
            return s.lanes[b.lane].servedAt <= u.servedAt ? .batch(lane: b.lane, limit: b.limit) : .batch(lane: u.lane, limit: u.limit)
        case (let b?, nil): return .batch(lane: b.lane, limit: b.limit)
        case (nil, let u?): return .batch(lane: u.lane, limit: u.limit)
        case (nil, nil): return .nothing
        }
    }

    /// Where a lane stands in event time for the alignment of the others; nil when it must
    /// not hold them back (finished and empty, waiting at a barrier, idle in a live run).
    private func position(_ l: LaneState, now: Double) -> Int64? {
        switch l.items.first {
        case .barrier?: return nil
        case .batch(let b)?:
            if let t = b.events.first?.timestamp, t != 0 { return t }
            return l.maxTime == Int64.min ? nil : l.maxTime
        case nil:
            if l.finished { return nil }
            if let idle = settings.idleTimeout, now - l.lastPush >= idle { return nil }
            // A lane whose events carry no time (raw lines before parsing) tells nothing
            // about time and holds nobody back; one that never pushed holds until it does
            // (or turns idle).
            if l.maxTime == Int64.min && l.pushed { return nil }
            return l.maxTime
        }
    }

    /// Takes what can be handed out, waiting at most `timeout` seconds (nil: until something
    /// comes). Returns `.idle` on timeout and nil once done.
    public func pop(maxEvents: Int? = nil, timeout: Double? = nil) -> InboxItem? {
        let maxEvents = maxEvents ?? settings.maxBatch
        let deadline = timeout.map { Clock.monotonic() + $0 }
        while true {
            // Wake at least every quarter second: lanes turn idle and barrier alignments time
            // out without anyone pushing.
            var waitFor = 0.25
            if let deadline { waitFor = min(waitFor, max(0, deadline - Clock.monotonic())) }
            let (item, progressed, waiters) = state.wait(on: 0, timeout: waitFor, until: { s in
                if case .nothing = self.select(s, now: Clock.monotonic()) { return false }
                return true
            }, then: { s, _ in
                self.take(&s, maxEvents: maxEvents)
            })
            if progressed {
                state.broadcast(1)
                for w in waiters { w() }
                onDepthChange?(depth)
            }
            guard let item else { return nil }
            if case .idle = item {
                if let deadline, Clock.monotonic() >= deadline { return .idle }
                continue
            }
            return item
        }
    }

    /// Under the lock: hands out the selection. Returns the item (nil when done), whether
    /// room was freed, and the space waiters to run.
    private func take(_ s: inout State, maxEvents: Int) -> (InboxItem?, Bool, [@Sendable () -> Void]) {
        let now = Clock.monotonic()
        while true {
            switch select(s, now: now) {
            case .done:
                return (nil, false, [])
            case .nothing:
                // Barrier alignment that takes too long is given up (the epoch is not
                // completed here; the coordinator will not commit it).
                if let started = s.alignmentStarted, now - started >= settings.barrierTimeout {
                    var newest: UInt64 = 0
                    for l in s.lanes { if case .barrier(let e)? = l.items.first { newest = max(newest, e) } }
                    s.lastEpoch = max(s.lastEpoch, newest)
                    s.alignmentStarted = nil
                    s.abandonedEpochs += 1
                    continue
                }
                if s.alignmentStarted == nil, s.lanes.contains(where: { if case .barrier? = $0.items.first { return true }; return false }) {
                    s.alignmentStarted = now
                }
                return (.idle, false, [])
            case .discard:
                for i in s.lanes.indices {
                    if case .barrier(let e)? = s.lanes[i].items.first {
                        var newest: UInt64 = 0
                        for l in s.lanes { if case .barrier(let x)? = l.items.first { newest = max(newest, x) } }
                        if e <= s.lastEpoch || e < newest { s.lanes[i].items.removeFirst() }
                    }
                }
                continue
            case .barrier(let e):
                for i in s.lanes.indices {
                    if case .barrier(let x)? = s.lanes[i].items.first, x == e { s.lanes[i].items.removeFirst() }
                }
                s.lastEpoch = max(s.lastEpoch, e)
                s.alignmentStarted = nil
                return (.barrier(e), false, [])
            case .batch(let i, let limit):
                guard case .batch(var out)? = s.lanes[i].items.first else { return (.idle, false, []) }
                s.lanes[i].items.removeFirst()
                s.served += 1
                s.lanes[i].servedAt = s.served
                // Split the head batch at the event-time limit or the size limit.
                var cut = out.count
                if limit != Int64.max {
                    for (k, e) in out.events.enumerated() where e.timestamp != 0 && e.timestamp > limit { cut = k; break }
                }
                cut = min(cut, maxEvents)
                if cut < out.count {
                    let rest = out.sharingAcknowledgements(events: Array(out.events[cut...]))
                    s.lanes[i].items.prepend(.batch(rest))
                    out.events.removeSubrange(cut...)
                } else {
                    // Merge following batches of the same lane while they fit and are eligible.
                    while case .batch(let next)? = s.lanes[i].items.first, out.count + next.count <= maxEvents {
                        if limit != Int64.max, next.events.contains(where: { $0.timestamp != 0 && $0.timestamp > limit }) { break }
                        s.lanes[i].items.removeFirst()
                        out.events.append(contentsOf: next.events)
                        out.acks.append(contentsOf: next.acks)
                    }
                }
                let n = out.count
                s.lanes[i].depth -= n
                s.depth -= n
                s.eventsOut += n
                for e in out.events where e.timestamp > s.frontier { s.frontier = e.timestamp }
                let waiters = s.spaceWaiters
                s.spaceWaiters.removeAll()
                return (.batch(out), true, waiters)
            }
        }
    }
}

/// The producer's handle on one lane of an inbox.
public final class Lane: Sendable {
    public let inbox: Inbox
    let id: Int
    public let name: String

    init(inbox: Inbox, id: Int, name: String) { self.inbox = inbox; self.id = id; self.name = name }

    /// Adds a batch, waiting while the lane is full (`block`) or dropping what does not fit
    /// (`drop_newest`). Returns the events accepted; after `Inbox.close()` none (the batch is
    /// acknowledged so its source is not held up).
    @discardableResult
    public func push(_ batch: EventBatch) -> Int { inbox.push(lane: id, batch) }
    /// Adds a batch only if it fits now; false (batch untouched) if not.
    public func tryPush(_ batch: EventBatch) -> Bool { inbox.tryPush(lane: id, batch) }
    /// Adds an epoch barrier (never blocks, never dropped).
    public func pushBarrier(_ epoch: UInt64) { inbox.pushBarrier(lane: id, epoch: epoch) }
    /// One producer of this lane is done; the lane is finished when all are.
    public func producerFinished() { inbox.producerFinished(lane: id) }
    /// Refuses further pushes (their batches are acknowledged); what is queued still drains.
    public func close() { inbox.closeLane(id) }
    /// Registers one more producer (a component wired in by a reload).
    public func addProducer() { inbox.addProducer(lane: id) }
    public var hasRoom: Bool { inbox.hasRoom(lane: id) }
    public var depth: Int { inbox.laneDepth(id) }
    public var capacity: Int { inbox.settings.capacity }
    /// Runs `callback` once the lane has room (or the inbox closed).
    public func whenSpaceAvailable(_ callback: @escaping @Sendable () -> Void) { inbox.whenSpaceAvailable(lane: id, callback) }

    /// Sends one batch down every lane (fan-out), giving each its own reference on the
    /// batch's acknowledgements; with no lane the batch is acknowledged (nothing reads it).
    public static func push(_ batch: EventBatch, toAll lanes: [Lane]) {
        guard !lanes.isEmpty else { batch.acknowledge(); return }
        if lanes.count > 1 { for a in batch.acks { a.retain(lanes.count - 1) } }
        for l in lanes { l.push(batch) }
    }
}
