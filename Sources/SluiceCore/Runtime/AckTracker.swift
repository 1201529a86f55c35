import DequeModule

/// Turns out-of-order batch completions into an in-order checkpoint position.
///
/// A source registers each batch it emits with the position just after its last record.
/// When batches complete, `committed` advances to the position of the newest batch such that
/// it and every batch before it are complete. Positions of incomplete batches are never
/// reported, so a checkpoint taken from `committed` never skips an undelivered record.
public final class AckTracker<Position: Sendable>: @unchecked Sendable {
    private struct Entry { let seq: UInt64; let position: Position; var done: Bool }
    private let monitor = Monitor()
    private var entries = Deque<Entry>()
    private var nextSeq: UInt64 = 0
    private var firstSeq: UInt64 = 0
    private var _committed: Position?
    private var _advanced = false
    /// Called (outside the lock) whenever `committed` moves.
    private let onAdvance: (@Sendable (Position) -> Void)?

    public init(initial: Position? = nil, onAdvance: (@Sendable (Position) -> Void)? = nil) {
        _committed = initial
        self.onAdvance = onAdvance
    }

    /// Registers a batch ending at `position` and returns its acknowledgement.
    public func register(_ position: Position) -> Acknowledgement {
        let seq: UInt64 = monitor.withLock {
            let s = nextSeq
            nextSeq += 1
            entries.append(Entry(seq: s, position: position, done: false))
            return s
        }
        return Acknowledgement { [weak self] in self?.complete(seq) }
    }

    private func complete(_ seq: UInt64) {
        var advancedTo: Position?
        monitor.lock()
        let idx = Int(seq &- firstSeq)
        if idx >= 0 && idx < entries.count { entries[idx].done = true }
        while let f = entries.first, f.done {
            advancedTo = f.position
            entries.removeFirst()
            firstSeq &+= 1
        }
        if let a = advancedTo { _committed = a; _advanced = true }
        monitor.broadcast()
        monitor.unlock()
        if let a = advancedTo { onAdvance?(a) }
    }

    /// The newest position whose batch and all earlier batches are acknowledged.
    public var committed: Position? { monitor.withLock { _committed } }
    /// Batches emitted but not yet acknowledged.
    public var pending: Int { monitor.withLock { entries.count } }

    /// Returns `committed` and whether it moved since the last call (for throttled saves).
    public func takeIfAdvanced() -> Position? {
        monitor.withLock {
            guard _advanced else { return nil }
            _advanced = false
            return _committed
        }
    }

    /// Waits up to `seconds` for every registered batch to be acknowledged.
    @discardableResult
    public func waitUntilIdle(seconds: Double) -> Bool {
        monitor.lock(); defer { monitor.unlock() }
        var remaining = seconds
        while !entries.isEmpty && remaining > 0 {
            monitor.wait(0, seconds: min(remaining, 0.05))
            remaining -= 0.05
        }
        return entries.isEmpty
    }
}
