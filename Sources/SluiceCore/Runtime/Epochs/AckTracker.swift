import DequeModule

/// Turns out-of-order batch completions into an in-order checkpoint position.
///
/// A source registers each batch it emits with the position just after its last record.
/// When batches complete, `committed` advances to the position of the newest batch such that
/// it and every batch before it are complete. Positions of incomplete batches are never
/// reported, so a checkpoint taken from `committed` never skips an undelivered record.
public final class AckTracker<Position: Sendable>: Sendable {
    struct Entry: Sendable { let seq: UInt64; let position: Position; var done: Bool }
    struct State: Sendable {
        var entries = Deque<Entry>()
        var nextSeq: UInt64 = 0
        var firstSeq: UInt64 = 0
        var committed: Position?
        var advanced = false
    }
    private let state: Locked<State>
    /// Called (outside the lock, on the completing thread) whenever `committed` moves.
    private let onAdvance: (@Sendable (Position) -> Void)?

    public init(initial: Position? = nil, onAdvance: (@Sendable (Position) -> Void)? = nil) {
        var s = State()
        s.committed = initial
        state = Locked(s)
        self.onAdvance = onAdvance
    }

    /// Registers a batch ending at `position` and returns its acknowledgement.
    public func register(_ position: Position) -> Acknowledgement {
        let seq = state.withLock { s -> UInt64 in
            let q = s.nextSeq
            s.nextSeq += 1
            s.entries.append(Entry(seq: q, position: position, done: false))
            return q
        }
        return Acknowledgement { [weak self] in self?.complete(seq) }
    }

    private func complete(_ seq: UInt64) {
        let advancedTo = state.withLock { s -> Position? in
            let idx = Int(seq &- s.firstSeq)
            if idx >= 0 && idx < s.entries.count { s.entries[idx].done = true }
            var moved: Position?
            while let f = s.entries.first, f.done {
                moved = f.position
                s.entries.removeFirst()
                s.firstSeq &+= 1
            }
            if let m = moved { s.committed = m; s.advanced = true }
            return moved
        }
        state.broadcast()
        if let a = advancedTo { onAdvance?(a) }
    }

    /// The newest position whose batch and all earlier batches are acknowledged.
    public var committed: Position? { state.withLock { $0.committed } }
    /// Batches emitted but not yet acknowledged.
    public var pending: Int { state.withLock { $0.entries.count } }

    /// Returns `committed` and whether it moved since the last call (for throttled saves).
    public func takeIfAdvanced() -> Position? {
        state.withLock { s in
            guard s.advanced else { return nil }
            s.advanced = false
            return s.committed
        }
    }

    /// Waits up to `seconds` for every registered batch to be acknowledged.
    @discardableResult
    public func waitUntilIdle(seconds: Double) -> Bool {
        state.wait(timeout: seconds, until: { $0.entries.isEmpty }) { _, ready in ready }
    }
}
