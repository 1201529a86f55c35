/// The output side of a component: the lanes of the components that read from it.
///
/// Guarantees: every batch goes down every lane, each path holding its own reference on the
/// batch's acknowledgements (with no lane the batch is acknowledged: nothing reads it);
/// barriers go down every lane; lanes can be added and removed while batches flow (a reload),
/// and a removed lane is finished only after every push that might still target it returned,
/// so nothing is pushed into a lane its consumer already considers finished.
public final class Output: Sendable {
    struct State: Sendable {
        var lanes: [Lane] = []
        var inFlight = 0
        var finished = false
    }
    private let state = Locked(State())

    public init(lanes: [Lane] = []) {
        state.withLock { $0.lanes = lanes }
    }

    public var lanes: [Lane] { state.withLock { $0.lanes } }

    /// Sends a batch down every lane, waiting while a lane is full (backpressure).
    public func emit(_ batch: EventBatch) {
        let lanes = state.withLock { s -> [Lane] in s.inFlight += 1; return s.lanes }
        Lane.push(batch, toAll: lanes)
        state.withLock { $0.inFlight -= 1 }
        state.broadcast()
    }

    /// Sends the barrier of `epoch` down every lane.
    public func emitBarrier(_ epoch: UInt64) {
        let lanes = state.withLock { s -> [Lane] in s.inFlight += 1; return s.lanes }
        for l in lanes { l.pushBarrier(epoch) }
        state.withLock { $0.inFlight -= 1 }
        state.broadcast()
    }

    /// This producer is done: every lane learns it once.
    public func finish() {
        let lanes = state.wait(until: { $0.inFlight == 0 }) { s, _ -> [Lane] in
            guard !s.finished else { return [] }
            s.finished = true
            return s.lanes
        }
        for l in lanes { l.producerFinished() }
    }

    /// True when every lane has room now.
    public var hasRoom: Bool { lanes.allSatisfy(\.hasRoom) }

    /// Runs `callback` once every lane has room (for event-loop sources that must not block:
    /// pause reading, resume in the callback).
    public func whenRoom(_ callback: @escaping @Sendable () -> Void) {
        guard let full = lanes.first(where: { !$0.hasRoom }) else { callback(); return }
        full.whenSpaceAvailable { [weak self] in
            guard let self else { callback(); return }
            self.whenRoom(callback)
        }
    }

    /// Wires a new reader in (the lane must count this output among its producers).
    public func add(_ lane: Lane) {
        state.withLock { s in if !s.finished { s.lanes.append(lane) } }
    }

    /// Unwires a reader: once no push can target it any more, its lane learns this producer
    /// is done.
    public func remove(_ lane: Lane) {
        let removed = state.wait(until: { $0.inFlight == 0 }) { s, _ -> Bool in
            guard let i = s.lanes.firstIndex(where: { $0 === lane }) else { return false }
            s.lanes.remove(at: i)
            return !s.finished
        }
        if removed { lane.producerFinished() }
    }
}
