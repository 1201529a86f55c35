import Dispatch

/// Frees delivered batches off the sink's thread.
///
/// A sink's thread is the pipeline's longest stage when it encodes and writes every event;
/// freeing a batch's events (their fields, strings and records) after the write costs that
/// thread another tenth of its time. The reclaimer drops the last reference on its own
/// serial queue instead, so the sink moves on to the next batch.
///
/// Guarantees: only memory moves: a batch handed over has already been delivered and
/// acknowledged. At most `maxPending` batches wait to be freed; beyond that `release`
/// returns false and the caller frees its batch itself, so a reclaimer that falls behind
/// never lets memory grow.
public final class BatchReclaimer: Sendable {
    /// The reclaimer all sinks share.
    public static let shared = BatchReclaimer()
    public let maxPending: Int
    private let queue = DispatchQueue(label: "sluice.reclaim", qos: .utility)
    private let pending = Locked(0)

    public init(maxPending: Int = 4) { self.maxPending = maxPending }

    /// Hands `batch` over to be freed on the reclaimer's queue. False when `maxPending`
    /// batches are already waiting (the caller keeps, and frees, its batch).
    @discardableResult
    public func release(_ batch: __owned EventBatch) -> Bool {
        let taken = pending.withLock { n -> Bool in
            guard n < maxPending else { return false }
            n += 1
            return true
        }
        guard taken else { return false }
        let pending = self.pending
        queue.async {
            withExtendedLifetime(batch) {}
            pending.withLock { $0 -= 1 }
        }
        return true
    }

    /// Batches waiting to be freed now.
    public var waiting: Int { pending.withLock { $0 } }
}
